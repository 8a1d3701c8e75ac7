"""The manifest of a run, from its plan and what it added up: the resolved config and its hash,
models, versions, counts, tokens, judge, uptake, distribution and safety reports."""

from __future__ import annotations

from pathlib import Path

from healme_synth.output import read_dialogues
from healme_synth.pipeline.plan import Plan
from healme_synth.pipeline.totals import Totals, cache_hit_rate, versions
from healme_synth.quality.metrics import metrics
from healme_synth.records import TRAIN, Counts, Manifest
from healme_synth.seeds import sampler


def build_manifest(
    p: Plan,
    totals: Totals,
    models: dict[str, str],
    shards: list[Path],
    run_dir: Path,
    seconds: float,
) -> Manifest:
    cfg = p.pipeline.config
    return Manifest(
        name=cfg.run.name,
        protocol=p.protocol.name,
        run_seed=cfg.run.seed,
        config=cfg.model_dump(mode="json"),
        config_sha256=p.pipeline.sha256(),
        models=models,
        versions=versions(),
        counts=Counts(
            dialogues=totals.dialogues,
            kept=totals.kept,
            rejected=totals.dialogues - totals.kept,
            by_reason=dict(sorted(totals.reasons.items())),
        ),
        tokens=totals.tokens,
        judges=[verdicts.summary(models) for verdicts in totals.judges],
        shards=[str(s.relative_to(run_dir)) for s in shards],
        seconds=round(seconds, 3),
        tokens_per_second=round(totals.tokens.completion / max(seconds, 1e-9), 1),
        cache_hit_rate=cache_hit_rate(totals.tokens),
        at_risk_held_back=p.at_risk_held_back,
        uptake=totals.reframe_uptake.summary()
        if cfg.measure_reframe_uptake and "judge" in models
        else None,
        distribution=sampler.distribution_report(cfg.sampler, p.sample, totals.kept_personas)
        if cfg.sampler is not None
        else None,
        # Read back from the train shards: the run keeps no dialogue in memory.
        metrics=metrics(
            read_dialogues([s for s in shards if s.name.startswith(f"{TRAIN}-")]), seed=cfg.run.seed
        ),
        failures=dict(totals.failures.most_common()),
        safety=totals.safety.report() if totals.safety is not None else None,
    )
