"""A judge's run summary for the manifest: how many dialogues it judged, how many verdicts and
replies were missing, and the means of its scores and spreads.

Folded in verdict by verdict (Tally) rather than over a list, so a run of any length holds the
same memory; missing verdicts are counted, never averaged in as 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from healme_synth.quality.judges import affect
from healme_synth.quality.judges.means import Means
from healme_synth.quality.judges.panel import Judge
from healme_synth.records import ItemSummary, JudgeSummary, Verdict


@dataclass
class Tally:
    """One judge's run summary, folded in verdict by verdict (the same memory for any run)."""

    judge: Judge
    judged: int = 0
    missing: int = 0
    replies: int = 0
    replies_missing: int = 0
    means: Means = field(default_factory=Means)
    """Over parsed verdicts only: missing verdicts are counted, not averaged in."""

    def add(self, v: Verdict) -> None:
        if v.judge != self.judge.name:
            return
        self.judged += 1
        self.replies += v.parsed + v.missing
        self.replies_missing += v.missing
        if not v.parsed:
            self.missing += 1
            return
        self.means.add("mean", v.mean)
        self.means.add("spread", v.spread)
        for k in self.keys():
            self.means.add(f"score {k}", v.scores.get(k))
            self.means.add(f"spread {k}", v.spreads.get(k))
        if self.judge.rubric.kind == "affect":
            affect.add(self.means, v)

    def keys(self) -> tuple[str, ...]:
        return affect.KEYS if self.judge.rubric.kind == "affect" else self.judge.items

    def summary(self, models: dict[str, str]) -> JudgeSummary:
        j, m = self.judge, self.means
        return JudgeSummary(
            judge=j.name,
            rubric=j.rubric.name,
            models={role: models[role] for role in j.spec.roles if role in models},
            samples=j.spec.samples,
            judged=self.judged,
            missing=self.missing,
            replies=self.replies,
            replies_missing=self.replies_missing,
            mean=m.mean("mean"),
            spread=m.mean("spread"),
            items={
                k: ItemSummary(mean=m.mean(f"score {k}"), spread=m.mean(f"spread {k}"))
                for k in self.keys()
            },
            affect=affect.summary(m) if j.rubric.kind == "affect" else None,
        )


def summarize(j: Judge, verdicts: list[Verdict], models: dict[str, str]) -> JudgeSummary:
    """Means over the dialogues with a verdict; missing verdicts are counted, not averaged in."""
    tally = Tally(j)
    for v in verdicts:
        tally.add(v)
    return tally.summary(models)
