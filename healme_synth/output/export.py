"""Export a run into the formats of the reference datasets, so their training and evaluation
code reads our dialogues unchanged: HealMe's table, Cactus records, SQPsych rows; and into the
trainers' chat formats: ShareGPT, and per-turn prompt/completion examples (TRL).

Exporters read shard rows as plain dicts (the file's own schema), so shards written before or
after a column was added still export; optional columns (condition, cbt_technique, cbt_plan)
come out empty when a run does not have them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from healme_synth.errors import ConfigError
from healme_synth.output.chat import ChatMessage, chat_view
from healme_synth.output.files import atomic_write
from healme_synth.records import HEALME_TRAP_LABELS, SAFETY_REVIEW, TRAIN
from healme_synth.records import SPLITS as RUN_SPLITS

Row = dict[str, Any]
Writer = Callable[[Sequence[Row]], tuple[str, int]]
"""Rows in; the file's text and how many records it holds (a row, or a per-turn example)."""

SPLITS = (*RUN_SPLITS, "all")
"""What `export --split` takes: one of a run's splits, or `all` of them in order."""
HEALME_COLUMNS = (
    "index",
    "thinking_trap",
    "thought",
    "patient_round1",
    "doctor_round1",
    "patient_round2",
    "doctor_round2",
    "patient_round3",
    "polished_doctor_round3",
)
CACTUS_FIELDS = (
    "thought",
    "patterns",
    "intake_form",
    "cbt_technique",
    "cbt_plan",
    "attitude",
    "dialogue",
)
SQPSYCH_COLUMNS = ("file_id", "condition", "client_model", "therapist_model", "dialogue")
_HEALME_TURNS = ["client", "counselor"] * 3
_SHAREGPT_FROM = {"system": "system", "user": "human", "assistant": "gpt"}
_INTAKE_FIELDS = (
    ("Name", "persona_name"),
    ("Age", "age"),
    ("Gender", "gender"),
    ("Occupation", "occupation"),
    ("Situation", "situation"),
)


def read_manifest(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "manifest.json"
    if not path.is_file():
        raise ConfigError(
            f"{run_dir} is not a run directory: expected {path} (written by `healme-synth run`)."
        )
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path} is not valid JSON ({e}); expected a run manifest.") from e
    if not isinstance(manifest, dict) or not isinstance(manifest.get("protocol"), str):
        raise ConfigError(f"{path} has no `protocol`; expected a manifest from `healme-synth run`.")
    return manifest


def shard_paths(run_dir: Path, manifest: dict[str, Any], split: str) -> list[Path]:
    """The split's shards in order, found as the dataset card declares them (data/<config>/)."""
    if split not in SPLITS:
        raise ConfigError(f"unknown split {split!r}; expected one of: {', '.join(SPLITS)}.")
    config = manifest.get("config")
    output = config.get("output") if isinstance(config, dict) else None
    name = output.get("config_name", "default") if isinstance(output, dict) else "default"
    folder = run_dir / "data" / str(name)
    # An empty split is not written (nor declared in the card), so a split without shards is
    # missing only when the manifest lists shards of it; manifests that list none (older runs
    # wrote train and rejected always, safety_review when used) expect those two.
    listed = manifest.get("shards")
    paths: list[Path] = []
    for part in RUN_SPLITS if split == "all" else (split,):
        found = sorted(folder.glob(f"{part}-*.parquet"))
        if isinstance(listed, list):
            expected = any(Path(str(f)).name.startswith(f"{part}-") for f in listed)
        else:
            expected = part != SAFETY_REVIEW
        if not found and expected:
            raise ConfigError(
                f"{run_dir} has no {part} shards: expected {folder}/{part}-*.parquet."
            )
        paths += found
    return paths


def read_rows(run_dir: Path, split: str = TRAIN) -> tuple[dict[str, Any], list[Row]]:
    """The manifest and the split's rows, in shard order (train before rejected for `all`)."""
    manifest = read_manifest(run_dir)
    rows: list[Row] = []
    for path in shard_paths(run_dir, manifest, split):
        try:
            rows += pq.read_table(path).to_pylist()
        except (OSError, pa.ArrowException) as e:
            raise ConfigError(f"{path} is not a readable Parquet shard ({e}).") from e
    return manifest, rows


def _csv(columns: Sequence[str], records: Sequence[Sequence[Any]]) -> tuple[str, int]:
    # RFC 4180 (the csv default, \r\n rows): a cell holding a comma, a quote, \r or \n is quoted
    # and its quotes doubled, which csv, pandas, polars and pyarrow (newlines_in_values) read
    # back unchanged. A \n row end would leave a lone \r in a cell unquoted.
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    writer.writerows(records)
    return buf.getvalue(), len(records)


def _jsonl(records: Sequence[dict[str, Any]]) -> tuple[str, int]:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), len(records)


def _script(row: Row, labels: dict[str, str]) -> str:
    """The dialogue as one string of `Label: text` lines, the way Cactus and SQPsych store it."""
    return "\n".join(f"{labels[t['role']]}: {t['content']}" for t in row["turns"])


def trap_label(trap: str) -> str:
    """HealMe's spelling of a trap; a name HealMe does not have is written readably."""
    return HEALME_TRAP_LABELS.get(trap, readable(trap))


def readable(trap: str) -> str:
    return trap.replace("_", " ")


def healme_csv(rows: Sequence[Row]) -> tuple[str, int]:
    """HealMe's training table: one row per three-round dialogue, client turns as patient_*."""
    records = []
    for i, row in enumerate(rows):
        if row["protocol"] != "healme":
            raise ConfigError(
                f"row {i} ({row['id']}) has protocol {row['protocol']!r}; HealMe's table holds "
                "only `healme` dialogues (three rounds, the client opening)."
            )
        roles = [t["role"] for t in row["turns"]]
        if roles != _HEALME_TURNS:
            raise ConfigError(
                f"row {i} ({row['id']}) has turns {roles}; HealMe's table needs three rounds, "
                "client then counselor."
            )
        traps = row["thinking_traps"]
        records.append(
            [i, trap_label(traps[0]) if traps else "", row["thought"]]
            + [t["content"] for t in row["turns"]]
        )
    return _csv(HEALME_COLUMNS, records)


def intake_form(row: Row) -> str:
    """A compact plain-text intake from the persona fields present (Cactus clients get one)."""
    if row.get("intake_form"):
        return str(row["intake_form"])
    return "\n".join(
        f"{label}: {row[key]}" for label, key in _INTAKE_FIELDS if row.get(key) not in (None, "")
    )


def cactus_jsonl(rows: Sequence[Row]) -> tuple[str, int]:
    """Cactus records; cbt_technique and cbt_plan are null when the run did not plan."""
    labels = {"counselor": "Counselor", "client": "Client"}
    return _jsonl(
        [
            {
                "thought": row["thought"],
                "patterns": [readable(t) for t in row["thinking_traps"]],
                "intake_form": intake_form(row),
                "cbt_technique": row.get("cbt_technique"),
                "cbt_plan": row.get("cbt_plan"),
                "attitude": row["attitude"],
                "dialogue": _script(row, labels),
            }
            for row in rows
        ]
    )


def sqpsych_csv(rows: Sequence[Row]) -> tuple[str, int]:
    """SQPsych's columns; condition is empty when the persona carries none."""
    labels = {"counselor": "Therapist", "client": "Client"}
    return _csv(
        SQPSYCH_COLUMNS,
        [
            [
                row["id"],
                row.get("condition"),
                row["client_model"],
                row["counselor_model"],
                _script(row, labels),
            ]
            for row in rows
        ],
    )


def chat(row: Row) -> tuple[dict[str, str], list[ChatMessage]]:
    """A row's system message and chat view. The view is built again from `turns` by the rules
    `messages` follows (output/chat.py), so shards written before those rules export right."""
    messages = row["messages"]
    if not messages or messages[0]["role"] != "system":
        raise ConfigError(f"row {row['id']}: `messages` does not start with a system message.")
    system = {"role": "system", "content": messages[0]["content"]}
    try:
        return system, chat_view(row["turns"])
    except ConfigError as e:
        raise ConfigError(f"row {row['id']}: {e}") from None


def sharegpt_jsonl(rows: Sequence[Row]) -> tuple[str, int]:
    """ShareGPT conversations: the system turn first, then human/gpt alternating from a human
    turn and ending on gpt, which is what LLaMA-Factory's converter accepts (its default
    `system_tag` is "system"). A row with no counselor reply to a client turn (a dialogue
    rejected before its first exchange) is left out: LLaMA-Factory would drop it as empty."""
    out = []
    for row in rows:
        system, view = chat(row)
        if not view:
            continue
        conversation = [{"from": _SHAREGPT_FROM[system["role"]], "value": system["content"]}]
        conversation += [{"from": _SHAREGPT_FROM[m.role], "value": m.content} for m in view]
        out.append({"id": row["id"], "conversations": conversation})
    return _jsonl(out)


def prompt_completion_jsonl(rows: Sequence[Row]) -> tuple[str, int]:
    """One example per counselor reply, in TRL's conversational prompt/completion format, for
    completion-only loss: `prompt` is the history before the reply (the system message, then
    the chat view up to it), `completion` the reply alone. `id` and `turn` (the reply's index
    in the row's `turns`) trace every example back to its dialogue."""
    out = []
    for row in rows:
        system, view = chat(row)
        for k, m in enumerate(view):
            if m.role == "assistant":
                out.append(
                    {
                        "id": row["id"],
                        "turn": m.turn,
                        "prompt": [system] + [v.as_dict() for v in view[:k]],
                        "completion": [m.as_dict()],
                    }
                )
    return _jsonl(out)


FORMATS: dict[str, Writer] = {
    "healme": healme_csv,
    "cactus": cactus_jsonl,
    "sqpsych": sqpsych_csv,
    "sharegpt": sharegpt_jsonl,
    "prompt_completion": prompt_completion_jsonl,
}
SUFFIXES = {
    "healme": ".csv",
    "cactus": ".jsonl",
    "sqpsych": ".csv",
    "sharegpt": ".jsonl",
    "prompt_completion": ".jsonl",
}


def default_out(format: str, run_dir: Path, split: str = TRAIN) -> Path:
    """exports/ inside the run, beside (not under) data/, so the dataset card's splits ignore it."""
    return run_dir / "exports" / f"{format}-{split}{SUFFIXES.get(format, '')}"


def export_run(format: str, run_dir: Path, out: Path, split: str = TRAIN) -> int:
    """Write one split (or `all`) of a run in a reference format; returns the records written
    (rows, or per-turn examples for prompt_completion)."""
    writer = FORMATS.get(format)
    if writer is None:
        raise ConfigError(
            f"unknown export format {format!r}; expected one of: {', '.join(FORMATS)}."
        )
    if out.is_dir():
        raise ConfigError(f"{out} is a directory; expected the path of the file to write.")
    manifest, rows = read_rows(run_dir, split)
    if format == "healme" and manifest["protocol"] != "healme":
        raise ConfigError(
            f"{run_dir} (run {manifest.get('name')!r}) has protocol {manifest['protocol']!r}; "
            "the healme format is HealMe's three-round table and takes only `healme` runs. "
            "Export it as cactus, sqpsych or sharegpt instead."
        )
    try:
        text, written = writer(rows)
    except ConfigError as e:
        raise ConfigError(f"{run_dir}: {e}") from e
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, text.encode())
    return written
