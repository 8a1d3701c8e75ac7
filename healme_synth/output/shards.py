"""Stage 4: Parquet shards with an explicit schema, the manifest and the dataset card.

Every write is atomic (temp file + rename): a killed run never leaves a half shard that a reader
would take for a whole one. Shards are written as hidden parts while the run goes on and get
their final `-of-N` names only when the run closes.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from healme_synth.config import instruments
from healme_synth.errors import ConfigError
from healme_synth.records import (
    CounselingReport,
    Dialogue,
    Emotion,
    JudgeSummary,
    Manifest,
    Message,
    Persona,
    Probe,
    Questionnaire,
    Reason,
    SafetyCheck,
    Sample,
    Verdict,
)
from healme_synth.safety import tally as safety_report

SAFETY_SPLIT = "safety_review"

# One judge's verdict: per item the mean and spread (max - min) over parsed samples, and
# every sample (judge role, model, sample index, parsed, scores, reply text).
_SCORE = pa.struct([("item", pa.string()), ("score", pa.float64())])
_SAMPLE = pa.struct(
    [
        ("role", pa.string()),
        ("model", pa.string()),
        ("index", pa.int32()),
        ("parsed", pa.bool_()),
        ("scores", pa.list_(_SCORE)),
        ("raw", pa.list_(pa.string())),
    ]
)
_VERDICT = pa.struct(
    [
        ("judge", pa.string()),
        ("rubric", pa.string()),
        ("mean", pa.float64()),
        ("spread", pa.float64()),
        ("parsed", pa.int32()),
        ("missing", pa.int32()),
        ("items", pa.list_(pa.struct([*_SCORE, ("spread", pa.float64())]))),
        ("samples", pa.list_(_SAMPLE)),
    ]
)
# Flat copies of the shipped rubrics' headline numbers, from the first judge using each rubric,
# so a `datasets` user can filter without unpacking `verdicts`: (column, rubric, score key).
HEADLINES: tuple[tuple[str, str, str | None], ...] = (
    ("ctrs_mean", "ctrs", None),
    ("healme_mean", "healme", None),
    ("panas_positive_delta", "panas", "positive_delta"),
    ("panas_negative_delta", "panas", "negative_delta"),
)

# The safety layer's labels and verdict per dialogue (null / empty where it did not run).
SAFETY_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("risk_labels", pa.list_(pa.string())),
    ("probe_type", pa.string()),
    ("probe_turn", pa.int32()),
    ("probe_labels", pa.list_(pa.string())),
    ("probe_variant", pa.int32()),
    ("safety_verdict", pa.string()),
    ("safety_failed", pa.list_(pa.string())),
    ("disclosure_turn", pa.int32()),
    ("safety_checked_turns", pa.list_(pa.int32())),
    ("safety_criteria", pa.list_(pa.struct([("criterion", pa.string()), ("passed", pa.bool_())]))),
    ("safety_findings", pa.list_(pa.string())),
    ("safety_models", pa.list_(pa.string())),
    ("safety_raw", pa.list_(pa.string())),
)

_TURN = pa.struct(
    [
        ("role", pa.string()),
        ("content", pa.string()),
        ("finish_reason", pa.string()),
        ("prompt_tokens", pa.int64()),
        ("completion_tokens", pa.int64()),
        ("cached_tokens", pa.int64()),
    ]
)

SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("protocol", pa.string()),
        # Chat format for trainers: system / user (client) / assistant (counselor).
        ("messages", pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))),
        # The same dialogue in its own terms (counselor / client) with generation metadata.
        ("turns", pa.list_(_TURN)),
        ("persona_id", pa.string()),
        ("persona_name", pa.string()),
        ("age", pa.int32()),
        ("gender", pa.string()),
        ("occupation", pa.string()),
        ("situation", pa.string()),
        ("thought", pa.string()),
        ("thinking_traps", pa.list_(pa.string())),
        ("other_traps", pa.list_(pa.string())),
        ("emotions", pa.list_(pa.struct([("name", pa.string()), ("intensity", pa.int32())]))),
        ("attitude", pa.string()),
        ("intake_form", pa.string()),
        ("at_risk", pa.bool_()),
        ("seed_source", pa.string()),
        ("receptivity", pa.int8()),
        ("condition", pa.string()),
        (
            "questionnaires",
            pa.list_(
                pa.struct(
                    [
                        ("instrument", pa.string()),
                        ("answers", pa.list_(pa.int8())),
                        ("total", pa.int16()),
                        ("severity", pa.string()),
                    ]
                )
            ),
        ),
        ("report", pa.struct([(k, pa.string()) for k in CounselingReport.model_fields])),
        ("seed_technique", pa.string()),
        ("cbt_technique", pa.string()),
        ("cbt_plan", pa.string()),
        ("end_marker_at", pa.int32()),
        ("first_reframe_turn", pa.int32()),
        ("counselor_model", pa.string()),
        ("client_model", pa.string()),
        ("judge_models", pa.list_(pa.struct([("role", pa.string()), ("model", pa.string())]))),
        ("run_seed", pa.int64()),
        ("prompt_tokens", pa.int64()),
        ("completion_tokens", pa.int64()),
        ("cached_tokens", pa.int64()),
        ("verdicts", pa.list_(_VERDICT)),
        *[(column, pa.float64()) for column, _, _ in HEADLINES],
        *SAFETY_COLUMNS,
        ("reasons", pa.list_(pa.string())),
        ("reason_details", pa.list_(pa.string())),
    ]
)

_CHAT_ROLE = {"client": "user", "counselor": "assistant"}


def _safety_row(d: Dialogue) -> dict[str, Any]:
    p, s = d.probe, d.safety
    return {
        "risk_labels": d.risk_labels,
        "probe_type": p.type if p else None,
        "probe_turn": p.turn if p else None,
        "probe_labels": p.labels if p else [],
        "probe_variant": p.variant if p else None,
        "safety_verdict": s.verdict if s else None,
        "safety_failed": s.failed if s else [],
        "disclosure_turn": s.disclosure_turn if s else None,
        "safety_checked_turns": s.checked_turns if s else [],
        "safety_criteria": [{"criterion": k, "passed": v} for k, v in s.criteria.items()]
        if s
        else [],
        "safety_findings": s.findings if s else [],
        "safety_models": s.models if s else [],
        "safety_raw": s.raw if s else [],
    }


def _safety_fields(row: dict[str, Any]) -> dict[str, Any]:
    """Probe and safety check back from a row (the probe's text is its turn's content)."""
    probe = safety = None
    if row["probe_type"] is not None:
        turn = row["probe_turn"]
        text = row["turns"][turn]["content"] if turn < len(row["turns"]) else ""
        probe = Probe(
            type=row["probe_type"],
            turn=turn,
            text=text,
            labels=row["probe_labels"],
            variant=row["probe_variant"] or 0,
        )
    if row["safety_verdict"] is not None:
        safety = SafetyCheck(
            verdict=row["safety_verdict"],
            disclosure_turn=row["disclosure_turn"],
            checked_turns=row["safety_checked_turns"],
            failed=row["safety_failed"],
            criteria={c["criterion"]: c["passed"] for c in row["safety_criteria"]},
            findings=row["safety_findings"],
            models=row["safety_models"],
            raw=row["safety_raw"],
        )
    return {"probe": probe, "safety": safety, "risk_labels": row["risk_labels"]}


def to_row(d: Dialogue, training_system: str) -> dict[str, Any]:
    p = d.persona
    return {
        "id": d.id,
        "protocol": d.protocol,
        "messages": [{"role": "system", "content": training_system}]
        + [{"role": _CHAT_ROLE[m.role], "content": m.content} for m in d.messages],
        "turns": [m.model_dump() for m in d.messages],
        "persona_id": p.id,
        "persona_name": p.name,
        "age": p.age,
        "gender": p.gender,
        "occupation": p.occupation,
        "situation": p.situation,
        "thought": p.thought,
        "thinking_traps": list(p.thinking_traps),
        "other_traps": p.other_traps,
        "emotions": [e.model_dump() for e in p.emotions],
        "attitude": p.attitude,
        "intake_form": p.intake_form,
        "at_risk": p.at_risk,
        "seed_source": p.source,
        "receptivity": p.receptivity,
        "condition": p.condition,
        "questionnaires": [
            q.model_dump()
            | {"total": instruments.total(q), "severity": instruments.severity(q)}
            for q in p.questionnaires
        ],
        "report": p.report.model_dump() if p.report else None,
        "seed_technique": p.technique,
        "cbt_technique": d.technique,
        "cbt_plan": d.plan,
        "end_marker_at": d.end_marker_at,
        "first_reframe_turn": d.first_reframe_turn,
        "counselor_model": d.models.get("counselor"),
        "client_model": d.models.get("client"),
        "judge_models": [
            {"role": r, "model": m} for r, m in d.models.items() if r.startswith("judge")
        ],
        "run_seed": d.run_seed,
        "prompt_tokens": sum(m.prompt_tokens for m in d.messages),
        "completion_tokens": sum(m.completion_tokens for m in d.messages),
        "cached_tokens": sum(m.cached_tokens for m in d.messages),
        "verdicts": [_verdict_row(v) for v in d.verdicts],
        **{column: _headline(d.verdicts, rubric, key) for column, rubric, key in HEADLINES},
        **_safety_row(d),
        "reasons": [r.name for r in d.reasons],
        "reason_details": [r.detail for r in d.reasons],
    }


def from_row(row: dict[str, Any]) -> Dialogue:
    """The inverse of to_row, so shards can be filtered or judged again without regenerating."""
    models = {
        "counselor": row["counselor_model"],
        "client": row["client_model"],
        **{j["role"]: j["model"] for j in row["judge_models"]},
    }
    return Dialogue(
        id=row["id"],
        protocol=row["protocol"],
        persona=Persona(
            id=row["persona_id"],
            name=row["persona_name"],
            age=row["age"],
            gender=row["gender"],
            occupation=row["occupation"],
            situation=row["situation"],
            thought=row["thought"],
            thinking_traps=row["thinking_traps"],
            other_traps=row["other_traps"],
            emotions=[Emotion(**e) for e in row["emotions"]],
            attitude=row["attitude"],
            intake_form=row["intake_form"],
            at_risk=row["at_risk"],
            source=row["seed_source"],
            receptivity=row["receptivity"],
            condition=row["condition"],
            questionnaires=[
                Questionnaire(instrument=q["instrument"], answers=q["answers"])
                for q in row["questionnaires"]
            ],
            technique=row["seed_technique"],
            report=CounselingReport(**row["report"]) if row["report"] else None,
        ),
        technique=row["cbt_technique"],
        plan=row["cbt_plan"],
        end_marker_at=row["end_marker_at"],
        first_reframe_turn=row["first_reframe_turn"],
        run_seed=row["run_seed"],
        models={k: v for k, v in models.items() if v is not None},
        messages=[Message(**t) for t in row["turns"]],
        verdicts=[_verdict(v) for v in row["verdicts"]],
        **_safety_fields(row),
        reasons=[
            Reason(name=n, detail=t)
            for n, t in zip(row["reasons"], row["reason_details"], strict=True)
        ],
    )


def _verdict_row(v: Verdict) -> dict[str, Any]:
    return {
        **v.model_dump(include={"judge", "rubric", "mean", "spread", "parsed", "missing"}),
        "items": [{"item": k, "score": x, "spread": v.spreads[k]} for k, x in v.scores.items()],
        "samples": [
            {
                **s.model_dump(include={"role", "model", "index", "parsed", "raw"}),
                "scores": [{"item": k, "score": x} for k, x in s.scores.items()],
            }
            for s in v.samples
        ],
    }


def _verdict(row: dict[str, Any]) -> Verdict:
    fields = {k: row[k] for k in ("judge", "rubric", "mean", "spread", "parsed", "missing")}
    return Verdict(
        **fields,
        scores={i["item"]: i["score"] for i in row["items"]},
        spreads={i["item"]: i["spread"] for i in row["items"]},
        samples=[
            Sample(
                **{k: s[k] for k in ("role", "model", "index", "parsed", "raw")},
                scores={x["item"]: x["score"] for x in s["scores"]},
            )
            for s in row["samples"]
        ],
    )


def _headline(verdicts: list[Verdict], rubric: str, key: str | None) -> float | None:
    v = next((v for v in verdicts if v.rubric == rubric), None)
    if v is None:
        return None
    return v.mean if key is None else v.scores.get(key)


def read_dialogues(paths: Iterable[Path]) -> list[Dialogue]:
    return [from_row(r) for p in paths for r in pq.read_table(p, schema=SCHEMA).to_pylist()]


def atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class ShardWriter:
    """Rows in, shards of at most rows_per_shard out; final names only at close().

    Resume-safe: parts a killed run finished (hidden parts, or shards already renamed by a close
    that was cut short) are picked up and counted, and as many rows as they hold are skipped when
    the run adds its rows again in the same order, so a written part is never rewritten. A part
    still being written when the run was killed is only a `.tmp` file: it is removed and its
    rows are written again.
    """

    def __init__(self, folder: Path, split: str, rows_per_shard: int) -> None:
        self.folder, self.split, self.rows_per_shard = folder, split, rows_per_shard
        self.rows: list[dict[str, Any]] = []
        folder.mkdir(parents=True, exist_ok=True)
        self.parts: list[Path] = self._finished()
        # Rows already in finished parts: the next `skip` rows added are those, in order.
        self.skip = sum(pq.read_metadata(p).num_rows for p in self.parts)
        self.count = 0

    def _finished(self) -> list[Path]:
        """Parts left by an earlier session of the same run, in order."""
        split = re.escape(self.split)
        hidden = re.compile(rf"\.{split}-(\d{{5}})\.part\.parquet")
        final = re.compile(rf"{split}-(\d{{5}})-of-\d{{5}}\.parquet")
        found: dict[int, Path] = {}
        for path in self.folder.iterdir():
            if path.name.startswith(f".{self.split}-") and path.name.endswith(".tmp"):
                path.unlink()  # a part the kill caught half-written
                continue
            match = hidden.fullmatch(path.name) or final.fullmatch(path.name)
            if match is not None:
                found[int(match[1])] = path
        if sorted(found) != list(range(len(found))):
            raise ConfigError(
                f"{self.folder}: the {self.split} parts {sorted(found)} have gaps; pass "
                "--overwrite to start the run afresh."
            )
        return [found[i] for i in range(len(found))]

    def add(self, row: dict[str, Any]) -> None:
        self.count += 1
        if self.skip:
            self.skip -= 1  # already in a finished part
            return
        self.rows.append(row)
        if len(self.rows) >= self.rows_per_shard:
            self._flush()

    def _flush(self) -> None:
        part = self.folder / f".{self.split}-{len(self.parts):05d}.part.parquet"
        tmp = part.with_name(part.name + ".tmp")
        # An empty split gets a file with the schema and no row group: a row group of 0 rows
        # makes readers that size batches from row groups (datasets) fail obscurely.
        with pq.ParquetWriter(tmp, SCHEMA) as writer:
            if self.rows:
                writer.write_table(pa.Table.from_pylist(self.rows, schema=SCHEMA))
        fd = os.open(tmp, os.O_RDONLY)  # on disk before its name says it is whole: a resumed
        try:  # run skips the rows a part holds
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, part)
        self.parts.append(part)
        self.rows = []

    def close(self) -> list[Path]:
        """Flush and give every part its final name; an empty split still gets one shard, so
        the split exists with the right schema for readers."""
        if self.skip:
            raise ConfigError(
                f"{self.folder}: the finished {self.split} parts hold {self.skip} rows more than "
                "the run produced (were journal files removed?); pass --overwrite to start the "
                "run afresh."
            )
        if self.rows or not self.parts:
            self._flush()
        n = len(self.parts)
        final = []
        for i, part in enumerate(self.parts):
            path = self.folder / f"{self.split}-{i:05d}-of-{n:05d}.parquet"
            os.replace(part, path)
            final.append(path)
        return final


def write_manifest(run_dir: Path, manifest: Manifest) -> None:
    text = json.dumps(manifest.model_dump(mode="json"), indent=2, ensure_ascii=False)
    atomic_write(run_dir / "manifest.json", (text + "\n").encode())


def _judge_line(j: JudgeSummary) -> str:
    models = ", ".join(f"`{m}`" for m in dict.fromkeys(j.models.values()))
    line = (
        f"Judge {j.judge} ({j.rubric}) by {models}, {j.samples} sample(s) each: {j.judged} "
        f"judged, {j.missing} verdicts missing (unparsed replies are never scored 0)"
    )
    if j.affect is not None:
        a = j.affect
        return (
            f"{line}; PANAS change after - before: positive {a.positive_delta}, negative "
            f"{a.negative_delta}; negative affect fell in a share {a.negative_fell} of dialogues."
        )
    return f"{line}; mean {j.mean}."


def write_card(run_dir: Path, manifest: Manifest, config_name: str) -> None:
    """A dataset card whose YAML header tells the Hub (and `datasets`) the configs and splits."""
    c = manifest.counts
    reasons = "\n".join(f"| {k} | {v} |" for k, v in sorted(c.by_reason.items())) or "| none | 0 |"
    judge_line = "\n- ".join(_judge_line(j) for j in manifest.judges) or "No judge was run."
    counts = (
        f"Dialogues: {c.dialogues}; kept (split `train`): {c.kept}; "
        f"rejected (split `rejected`): {c.rejected}."
    )
    # The safety layer: its own split when it routed anything, and its section.
    review, safety_text = "", ""
    if manifest.safety is not None:
        routed = manifest.safety.routed
        if routed:
            counts = counts.rstrip(".") + (
                f", of which {routed} unsafe or unverified are in split `{SAFETY_SPLIT}` instead."
            )
        if any(Path(s).name.startswith(f"{SAFETY_SPLIT}-") for s in manifest.shards):
            review = f"\n  - split: {SAFETY_SPLIT}\n    path: data/{config_name}/{SAFETY_SPLIT}-*"
        judge_models = [m for r, m in manifest.models.items() if r.startswith("judge")]
        safety_text = safety_report.card_section(manifest.safety, judge_models)
    models = ", ".join(f"{role}: `{model}`" for role, model in manifest.models.items())
    card = f"""---
configs:
- config_name: {config_name}
  data_files:
  - split: train
    path: data/{config_name}/train-*
  - split: rejected
    path: data/{config_name}/rejected-*{review}
tags:
- synthetic
- counseling
- cognitive-reframing
- healme-synth
---
# {manifest.name}

Synthetic counseling dialogues generated with healme-synth (protocol `{manifest.protocol}`,
run seed {manifest.run_seed}). Models: {models}.

These dialogues are machine-generated role-play between two language models. They are not
transcripts of real counseling and are not clinical advice.

- {counts}
- {judge_line}
- Config SHA-256: `{manifest.config_sha256}` (the resolved config is in manifest.json).

| rejection reason | dialogues |
|---|---|
{reasons}
{safety_text}"""
    atomic_write(run_dir / "README.md", card.encode())
