"""PANAS for judges: the client's affect from the intake alone (before) and from the intake plus
the dialogue (after), as positive and negative means and their changes.

Success is positive affect up and negative affect down (DOMAIN.md section 6). Both requests are
structured outputs; if either reply fails to parse the whole sample is missing (never 0).
"""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING, Any

from healme_synth.quality.judges.means import Means
from healme_synth.records import AffectSummary, Dialogue, Reason, Verdict

if TYPE_CHECKING:
    from healme_synth.config import JudgeSection

MOMENTS: tuple[str, str] = ("before", "after")
# What one PANAS sample (and the pooled verdict) holds, in this order.
KEYS: tuple[str, ...] = (
    "positive_before",
    "positive_after",
    "positive_delta",
    "negative_before",
    "negative_after",
    "negative_delta",
)


def context(d: Dialogue, moment: str | None, transcript: list[dict[str, Any]]) -> dict[str, Any]:
    """Template variables: the persona's intake always, the dialogue only after it."""
    if moment not in MOMENTS:
        raise ValueError(f"a PANAS request is {' or '.join(MOMENTS)}, not {moment!r}")
    return {
        "moment": moment,
        "persona": d.persona.model_dump(),
        "transcript": transcript if moment == "after" else None,
    }


def derive(
    polarity: dict[str, str], before: dict[str, int], after: dict[str, int]
) -> dict[str, float]:
    """Positive and negative means before and after, and each change (after - before)."""
    out: dict[str, float] = {}
    for pole in ("positive", "negative"):
        keys = [k for k in before if polarity[k] == pole]
        b = statistics.fmean(before[k] for k in keys)
        a = statistics.fmean(after[k] for k in keys)
        out.update(
            {
                f"{pole}_before": round(b, 4),
                f"{pole}_after": round(a, 4),
                f"{pole}_delta": round(a - b, 4),
            }
        )
    return {k: out[k] for k in KEYS}


def gate(v: Verdict, spec: JudgeSection, where: str) -> list[Reason]:
    reasons = []
    for pole, required, name, verb in [
        ("negative", spec.require_negative_drop, "panas_negative_not_down", "fall"),
        ("positive", spec.require_positive_rise, "panas_positive_not_up", "rise"),
    ]:
        delta = v.scores[f"{pole}_delta"]
        if required and (delta >= 0 if pole == "negative" else delta <= 0):
            setting = "require_negative_drop" if pole == "negative" else "require_positive_rise"
            detail = (
                f"{pole} affect went from {v.scores[f'{pole}_before']:.2f} to "
                f"{v.scores[f'{pole}_after']:.2f} ({delta:+.2f}) and did not {verb} "
                f"({where}.{setting})"
            )
            reasons.append(Reason(name=name, detail=detail))
    return reasons


def add(means: Means, v: Verdict) -> None:
    """Fold one parsed PANAS verdict into a judge's running means."""
    pos, neg = v.scores["positive_delta"], v.scores["negative_delta"]
    means.add("affect positive_delta", pos)
    means.add("affect negative_delta", neg)
    means.add("affect negative_fell", float(neg < 0))
    means.add("affect positive_rose", float(pos > 0))


def summary(means: Means) -> AffectSummary:
    """Over parsed PANAS verdicts only: mean changes and the share of dialogues that improved."""
    return AffectSummary(
        positive_delta=means.mean("affect positive_delta"),
        negative_delta=means.mean("affect negative_delta"),
        negative_fell=means.mean("affect negative_fell"),
        positive_rose=means.mean("affect positive_rose"),
    )
