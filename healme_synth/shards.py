"""Stage 4: Parquet shards with an explicit schema, the manifest and the dataset card.

Every write is atomic (temp file + rename): a killed run never leaves a half shard that a reader
would take for a whole one. Shards are written as hidden parts while the run goes on and get
their final `-of-N` names only when the run closes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, get_args

import pyarrow as pa
import pyarrow.parquet as pq

from healme_synth.config import CtrsItem
from healme_synth.records import Dialogue, Emotion, Manifest, Message, Persona, Reason, Verdict

CTRS_ITEMS: tuple[str, ...] = get_args(CtrsItem)

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
        ("counselor_model", pa.string()),
        ("client_model", pa.string()),
        ("judge_model", pa.string()),
        ("run_seed", pa.int64()),
        ("prompt_tokens", pa.int64()),
        ("completion_tokens", pa.int64()),
        ("cached_tokens", pa.int64()),
        ("judge_rubric", pa.string()),
        ("judge_parsed", pa.bool_()),
        ("judge_mean", pa.float64()),
        ("judge_raw", pa.string()),
        *[(f"ctrs_{item}", pa.int8()) for item in CTRS_ITEMS],
        ("reasons", pa.list_(pa.string())),
        ("reason_details", pa.list_(pa.string())),
    ]
)

_CHAT_ROLE = {"client": "user", "counselor": "assistant"}


def to_row(d: Dialogue, training_system: str) -> dict[str, Any]:
    p, v = d.persona, d.verdict
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
        "counselor_model": d.models.get("counselor"),
        "client_model": d.models.get("client"),
        "judge_model": v.model if v else d.models.get("judge"),
        "run_seed": d.run_seed,
        "prompt_tokens": sum(m.prompt_tokens for m in d.messages),
        "completion_tokens": sum(m.completion_tokens for m in d.messages),
        "cached_tokens": sum(m.cached_tokens for m in d.messages),
        "judge_rubric": v.rubric if v else None,
        "judge_parsed": v.parsed if v else None,
        "judge_mean": v.mean if v else None,
        "judge_raw": v.raw if v else None,
        **{f"ctrs_{item}": (v.scores.get(item) if v else None) for item in CTRS_ITEMS},
        "reasons": [r.name for r in d.reasons],
        "reason_details": [r.detail for r in d.reasons],
    }


def from_row(row: dict[str, Any]) -> Dialogue:
    """The inverse of to_row, so shards can be filtered or judged again without regenerating."""
    verdict = None
    if row["judge_rubric"] is not None:
        prefix = f"{row['judge_rubric']}_"
        verdict = Verdict(
            rubric=row["judge_rubric"],
            model=row["judge_model"],
            scores={
                k.removeprefix(prefix): v
                for k, v in row.items()
                if k.startswith(prefix) and v is not None
            },
            mean=row["judge_mean"],
            parsed=row["judge_parsed"],
            raw=row["judge_raw"],
        )
    models = {
        "counselor": row["counselor_model"],
        "client": row["client_model"],
        "judge": row["judge_model"],
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
        ),
        run_seed=row["run_seed"],
        models={k: v for k, v in models.items() if v is not None},
        messages=[Message(**t) for t in row["turns"]],
        verdict=verdict,
        reasons=[
            Reason(name=n, detail=t)
            for n, t in zip(row["reasons"], row["reason_details"], strict=True)
        ],
    )


def read_dialogues(paths: Iterable[Path]) -> list[Dialogue]:
    return [from_row(r) for p in paths for r in pq.read_table(p, schema=SCHEMA).to_pylist()]


def atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class ShardWriter:
    """Rows in, shards of at most rows_per_shard out; final names only at close()."""

    def __init__(self, folder: Path, split: str, rows_per_shard: int) -> None:
        self.folder, self.split, self.rows_per_shard = folder, split, rows_per_shard
        self.rows: list[dict[str, Any]] = []
        self.parts: list[Path] = []
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        self.count += 1
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
        os.replace(tmp, part)
        self.parts.append(part)
        self.rows = []

    def close(self) -> list[Path]:
        """Flush and give every part its final name; an empty split still gets one shard, so
        the split exists with the right schema for readers."""
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


def write_card(run_dir: Path, manifest: Manifest, config_name: str) -> None:
    """A dataset card whose YAML header tells the Hub (and `datasets`) the configs and splits."""
    c = manifest.counts
    reasons = "\n".join(f"| {k} | {v} |" for k, v in sorted(c.by_reason.items())) or "| none | 0 |"
    judge = manifest.judge
    judge_line = (
        f"Judge: {judge.rubric} by `{judge.model}`, {judge.judged} judged, {judge.missing} "
        f"verdicts missing (unparsed replies are never scored 0); mean {judge.mean}."
        if judge
        else "No judge was run."
    )
    counts = (
        f"Dialogues: {c.dialogues}; kept (split `train`): {c.kept}; "
        f"rejected (split `rejected`): {c.rejected}."
    )
    models = ", ".join(f"{role}: `{model}`" for role, model in manifest.models.items())
    card = f"""---
configs:
- config_name: {config_name}
  data_files:
  - split: train
    path: data/{config_name}/train-*
  - split: rejected
    path: data/{config_name}/rejected-*
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
"""
    atomic_write(run_dir / "README.md", card.encode())
