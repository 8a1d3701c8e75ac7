"""Existing dialogues screened for safety, without regenerating them (`healme-synth screen`, and
`filter --safety`): the risk screen on every client turn, the counselor check on every
counselor turn, and the safety judge and LLM risk screen when the pipeline configures them.
Safe dialogues go to `train`, unsafe and unverified ones to `safety_review`, each row with its
verdict, labels, disclosure turn and the words that set the screen off; summary.json holds the
totals and every flagged dialogue."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from healme_synth import safety
from healme_synth.backends import Backend, build_backends
from healme_synth.output import ShardWriter, atomic_write, to_row
from healme_synth.pipeline.plan import Plan, training_system
from healme_synth.pipeline.run_dir import claim, holding, run_start
from healme_synth.pipeline.totals import add_tokens
from healme_synth.records import SAFETY_REVIEW, TRAIN, Dialogue, SafetyReport, Tokens
from healme_synth.safety import llm_screen, probes
from healme_synth.safety.tally import Tally


def stage_for(p: Plan, judge: bool = True, llm: bool | None = None) -> safety.Stage:
    """The pipeline's safety layer for dialogues that exist already: no probes to place;
    `judge` False leaves every judge out (rules only); `llm` overrides safety.llm_screen."""
    stage = safety.load(p.pipeline, p.prompts, p.protocol, [])
    rubric = stage.risk_rubric
    if llm is not None:
        rubric = llm_screen.load_rubric(p.prompts) if llm else None
    return dataclasses.replace(
        stage,
        roles=stage.roles if judge else [],
        risk_rubric=rubric,
        assignment=probes.Assignment({}, {}),
    )


def screen_dialogues(
    p: Plan, dialogues: list[Dialogue], stage: safety.Stage, backends: dict[str, Backend]
) -> Tokens:
    """A fresh safety check of every dialogue (a stored verdict is replaced, its safety
    reasons with it), in batches of run.batch_size."""
    tokens = Tokens()
    kept = set(safety.risk.SAFETY_REASONS)
    size = p.pipeline.config.run.batch_size
    for start in range(0, len(dialogues), size):
        chunk = dialogues[start : start + size]
        for d in chunk:
            d.safety, d.risk_labels = None, []
            d.reasons = [r for r in d.reasons if r.name not in kept]
        add_tokens(tokens, safety.check(chunk, stage, backends, p.roles(), p.prompts))
    return tokens


def check_existing(p: Plan, dialogues: list[Dialogue], judge: bool = True) -> Tokens:
    """`filter --safety`: the same screen on dialogues about to be re-filtered, with the
    pipeline's judges unless `judge` is False."""
    stage = stage_for(p, judge)
    cfg = p.pipeline.config
    backends = build_backends(cfg, only=stage.roles) if stage.roles else {}
    return screen_dialogues(p, dialogues, stage, backends)


@dataclass
class ScreenReport:
    dialogues: int = 0
    splits: dict[str, int] = field(default_factory=dict)
    safety: SafetyReport | None = None
    flagged: list[dict[str, Any]] = field(default_factory=list)
    """Every dialogue not in train: id, verdict, labels, disclosure turn, failed criteria and
    its disclosures (label, turn, subject, source, triggers)."""
    tokens: Tokens = field(default_factory=Tokens)
    judged: bool = False
    """Whether a safety judge answered (False: disclosures stay unverified unless a rule
    decided them)."""

    def dump(self) -> dict[str, Any]:
        return {
            "dialogues": self.dialogues,
            "splits": self.splits,
            "judged": self.judged,
            "safety": self.safety.model_dump(mode="json") if self.safety else None,
            "tokens": self.tokens.model_dump(),
            "flagged": self.flagged,
        }


@holding("out_dir")
def screen(
    p: Plan,
    dialogues: list[Dialogue],
    out_dir: Path,
    overwrite: bool,
    source: Path | None = None,
    backends: dict[str, Backend] | None = None,
    judge: bool = True,
    llm: bool | None = None,
) -> ScreenReport:
    """Screen existing dialogues and write train / safety_review shards and summary.json.
    `source`: where the dialogues came from, which out_dir must not be or hold."""
    cfg = p.pipeline.config
    stage = stage_for(p, judge, llm)
    start = run_start(p, "screen", [d.persona for d in dialogues])
    sources = [source] if source is not None else []
    claimed = claim(out_dir, overwrite, start, sources, keep=[p.pipeline.path])  # checks only
    if backends is None:
        backends = build_backends(cfg, only=stage.roles) if stage.roles else {}
    claimed.take()  # the judge's server answered: now the old output may go
    report = ScreenReport(dialogues=len(dialogues), judged=bool(stage.roles))
    report.tokens = screen_dialogues(p, dialogues, stage, backends)
    data = out_dir / "data" / cfg.output.config_name
    writers = {s: ShardWriter(data, s, cfg.output.rows_per_shard) for s in (TRAIN, SAFETY_REVIEW)}
    tally = Tally(stage)
    counts: Counter[str] = Counter()
    for d in dialogues:
        split = SAFETY_REVIEW if safety.for_review(d) else TRAIN
        writers[split].add(to_row(d, training_system(p, d.persona)))
        counts[split] += 1
        tally.add(d)
        if split == SAFETY_REVIEW and d.safety is not None:
            report.flagged.append(_flagged(d))
    for writer in writers.values():
        writer.close()
    report.splits = {s: counts[s] for s in (TRAIN, SAFETY_REVIEW)}
    report.safety = tally.report()
    text = json.dumps(report.dump(), indent=2, ensure_ascii=False)
    atomic_write(out_dir / "summary.json", (text + "\n").encode())
    return report


def _flagged(d: Dialogue) -> dict[str, Any]:
    s = d.safety
    assert s is not None
    return {
        "id": d.id,
        "verdict": s.verdict,
        "risk_labels": d.risk_labels,
        "disclosure_turn": s.disclosure_turn,
        "failed": s.failed,
        "reasons": [r.name for r in d.reasons],
        "disclosures": [x.model_dump() for x in s.disclosures],
    }
