"""Existing dialogues checked again without regenerating them: `filter` runs the filters,
`judge` the judges and gates; both write kept and rejected shards and a summary.json."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from healme_synth import safety
from healme_synth.backends import Backend, build_backends
from healme_synth.errors import ConfigError
from healme_synth.output import ShardWriter, atomic_write, to_row
from healme_synth.pipeline.plan import Plan, training_system
from healme_synth.pipeline.run_dir import claim, holding, run_start
from healme_synth.pipeline.totals import add_tokens, failure_errors
from healme_synth.quality import filters
from healme_synth.quality import judges as judging
from healme_synth.records import Counts, Dialogue, JudgeReport, Tokens


@holding("out_dir")
def refilter(
    p: Plan,
    dialogues: list[Dialogue],
    out_dir: Path,
    overwrite: bool,
    source: Path | None = None,
) -> Counts:
    """Run the pipeline's filters over existing dialogues; write kept/rejected shards and a
    summary.json of counts per reason. Verdicts already present are carried, not re-gated.
    `source`: where the dialogues came from, which out_dir must not be or hold."""
    cfg = p.pipeline.config
    start = run_start(p, "filter", [d.persona for d in dialogues])
    sources = [source] if source is not None else []
    claim(out_dir, overwrite, start, sources, keep=[p.pipeline.path]).take()
    data = out_dir / "data" / cfg.output.config_name
    train = ShardWriter(data, "train", cfg.output.rows_per_shard)
    rejected = ShardWriter(data, "rejected", cfg.output.rows_per_shard)
    counts = Counts()
    reasons: Counter[str] = Counter()
    for d in dialogues:
        # A stored unsafe verdict stays a reason: re-filtering never moves it into train.
        d.reasons = filters.check(d, list(cfg.filters.enabled), p.rules) + safety.reasons(d)
        (train if d.kept else rejected).add(to_row(d, training_system(p, d.persona)))
        counts.dialogues += 1
        counts.kept += d.kept
        reasons.update({r.name for r in d.reasons})
    train.close()
    rejected.close()
    counts.rejected = counts.dialogues - counts.kept
    counts.by_reason = dict(sorted(reasons.items()))
    text = json.dumps(counts.model_dump(), indent=2)
    atomic_write(out_dir / "summary.json", (text + "\n").encode())
    return counts


@holding("out_dir")
def rejudge(
    p: Plan,
    dialogues: list[Dialogue],
    out_dir: Path,
    overwrite: bool,
    backends: dict[str, Backend] | None = None,
    source: Path | None = None,
) -> JudgeReport:
    """Judge existing dialogues afresh with the pipeline's judges (no filters, nothing
    regenerated) and gate them; write kept/rejected shards and a summary.json of counts per
    reason, judge summaries and tokens. `source` as for `refilter`."""
    cfg = p.pipeline.config
    if not p.judges:
        raise ConfigError(
            f"{p.pipeline.path}: no judge is enabled, so there is nothing to judge with "
            "(see `judges:`)."
        )
    header = run_start(p, "judge", [d.persona for d in dialogues])
    sources = [source] if source is not None else []
    claimed = claim(out_dir, overwrite, header, sources, keep=[p.pipeline.path])  # checks only
    if backends is None:
        backends = build_backends(cfg, only=cfg.judge_roles())
    claimed.take()  # the judges' server answered: now the old output may go
    models = {role: b.label for role, b in backends.items()}
    data = out_dir / "data" / cfg.output.config_name
    train = ShardWriter(data, "train", cfg.output.rows_per_shard)
    rejected = ShardWriter(data, "rejected", cfg.output.rows_per_shard)
    tokens, verdicts, reasons, failures = Tokens(), [], Counter[str](), Counter[str]()
    for start in range(0, len(dialogues), cfg.run.batch_size):
        chunk = dialogues[start : start + cfg.run.batch_size]
        for d in chunk:
            kept_models = {r: m for r, m in d.models.items() if not r.startswith("judge")}
            d.models, d.verdicts, d.reasons = {**kept_models, **models}, [], safety.reasons(d)
        add_tokens(tokens, judging.judge(chunk, p.judges, backends, p.roles(), p.prompts))
        for d in chunk:
            d.reasons += judging.gate(d, p.judges)  # after any generation_failed of the judge
            (train if d.kept else rejected).add(to_row(d, training_system(p, d.persona)))
            reasons.update({r.name for r in d.reasons})
            failures.update(failure_errors(d))
            verdicts += d.verdicts
    train.close()
    rejected.close()
    kept = sum(d.kept for d in dialogues)
    report = JudgeReport(
        counts=Counts(
            dialogues=len(dialogues),
            kept=kept,
            rejected=len(dialogues) - kept,
            by_reason=dict(sorted(reasons.items())),
        ),
        judges=[judging.summarize(j, verdicts, models) for j in p.judges],
        tokens=tokens,
        failures=dict(failures.most_common()),
    )
    text = json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False)
    atomic_write(out_dir / "summary.json", (text + "\n").encode())
    return report
