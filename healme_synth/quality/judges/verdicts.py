"""From replies to a Verdict: one Sample per reply (or PANAS pair), pooled per item into the
mean over the parsed samples and their spread (max - min).

A reply that does not parse makes its sample missing, never a row of 0s: scoring parse failures
as 0 silently drags means down and hides a broken judge. No parsed sample is a missing verdict.
"""

from __future__ import annotations

import statistics

from healme_synth.quality.judges import affect
from healme_synth.quality.judges.panel import Judge
from healme_synth.quality.judges.rubric import parse_scores
from healme_synth.records import Sample, Verdict


def make_sample(j: Judge, role: str, model: str, index: int, raws: list[str]) -> Sample:
    """One sample from its reply (affect: its before and after replies); any unparsed reply
    makes the whole sample missing."""
    replies = [r for r in (parse_scores(raw, j.rubric, j.items) for raw in raws) if r is not None]
    ok = len(replies) == len(raws)
    scores: dict[str, float] = {}
    if ok and j.rubric.kind == "affect":
        polarity = {k: str(j.rubric.items[k].polarity) for k in j.items}
        scores = affect.derive(polarity, replies[0], replies[1])
    elif ok:
        scores = {k: float(v) for k, v in replies[0].items()}
    return Sample(role=role, model=model, index=index, parsed=ok, scores=scores, raw=raws)


def combine(j: Judge, samples: list[Sample]) -> Verdict:
    """Pool the samples: per item the mean and the spread (max - min) over the parsed ones."""
    ok = [s for s in samples if s.parsed]
    keys = list(ok[0].scores) if ok else []
    scores = {k: _round(statistics.fmean(s.scores[k] for s in ok)) for k in keys}
    spreads = {k: _round(max(s.scores[k] for s in ok) - min(s.scores[k] for s in ok)) for k in keys}
    scale = bool(ok) and j.rubric.kind == "scale"
    return Verdict(
        judge=j.name,
        rubric=j.rubric.name,
        scores=scores,
        spreads=spreads,
        mean=_round(statistics.fmean(v for s in ok for v in s.scores.values())) if scale else None,
        spread=max(spreads.values()) if spreads else None,
        parsed=len(ok),
        missing=len(samples) - len(ok),
        samples=samples,
    )


def _round(x: float) -> float:
    # Four digits, as the run summaries' means: stable records, no float noise in the shards.
    return round(x, 4)
