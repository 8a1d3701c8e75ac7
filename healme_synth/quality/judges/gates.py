"""Score gates: the reasons a judged dialogue is rejected, read off its verdicts.

A missing verdict is its own reason (`judge_missing`), never a low score, so a broken judge is
told apart from a bad dialogue; PANAS's before/after gates live in affect.gate.
"""

from __future__ import annotations

from healme_synth.quality.judges import affect
from healme_synth.quality.judges.panel import Judge
from healme_synth.records import Dialogue, Reason, Verdict


def gate(d: Dialogue, judges: list[Judge]) -> list[Reason]:
    """Every score gate each judge's verdict fails, as reasons; unjudged dialogues pass."""
    verdicts = {v.judge: v for v in d.verdicts}
    return [r for j in judges if j.name in verdicts for r in gate_verdict(verdicts[j.name], j)]


def gate_verdict(v: Verdict, j: Judge) -> list[Reason]:
    """A missing verdict is its own reason (never a low score) and the only one it gets."""
    spec, where = j.spec, j.where
    if not v.parsed:
        if spec.on_missing == "keep":
            return []
        detail = f"no reply of {where} parsed (0 of {v.missing})"
        return [Reason(name="judge_missing", detail=detail)]
    reasons: list[Reason] = []
    if spec.min_mean is not None and v.mean is not None and v.mean < spec.min_mean:
        detail = f"mean {v.mean:.2f} is below {where}.min_mean {spec.min_mean}"
        reasons.append(Reason(name="judge_below_min", detail=detail))
    low = [
        f"{item} {v.scores[item]:.2f} is below {where}.min_items.{item} {minimum}"
        for item, minimum in spec.min_items.items()
        if v.scores[item] < minimum
    ]
    if low:
        reasons.append(Reason(name="judge_item_below_min", detail="; ".join(low)))
    if spec.max_spread is not None and v.spread is not None and v.spread > spec.max_spread:
        # Name the first item at the widest spread, so the reason points at what to look at.
        worst = next(k for k, s in v.spreads.items() if s == v.spread)
        detail = (
            f"samples differ by {v.spread:.2f} on {worst}, above {where}.max_spread "
            f"{spec.max_spread}"
        )
        reasons.append(Reason(name="judge_disagreement", detail=detail))
    if j.rubric.kind == "affect":
        reasons += affect.gate(v, spec, where)
    return reasons
