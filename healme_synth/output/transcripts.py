"""Dialogues to check again without regenerating: a run directory, or a file of dialogues from
anywhere. A JSONL file (or a JSON array) holds one dialogue per record: this tool's own
`{"id", "messages": [{"role", "content"}], "persona", "protocol"}` with counselor/client or
user/assistant roles, ShareGPT `{"id", "conversations": [{"from", "value"}]}` (this tool's
export), or a Cactus record whose `dialogue` is `Counselor:` / `Client:` lines. A CSV file is
HealMe's table (round columns) or SQPsych's (`file_id`, `dialogue`). Other keys are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError

from healme_synth.errors import ConfigError
from healme_synth.output import peer_dialogues as peer
from healme_synth.output.rows import read_dialogues
from healme_synth.records import Attitude, Dialogue, Message, Persona

ATTITUDES = get_args(Attitude)


def read_transcripts(path: Path, protocol: str) -> tuple[list[Dialogue], list[str]]:
    """Every dialogue of a run directory or dialogue file, and one error per bad record.

    A run's dialogues come back with their old reasons dropped (they are checked afresh). A
    record without a persona gets a stand-in whose thought is the record's `thought` or the
    client's first turn, so seed-dependent checks have what the file says and nothing invented.
    """
    if path.is_dir():
        shards = sorted(path.glob("data/*/*.parquet"))
        if not shards:
            raise ConfigError(f"{path}: no shards under data/<config>/ (is it a run directory?).")
        return [d.model_copy(update={"reasons": []}) for d in read_dialogues(shards)], []
    if not path.is_file():
        raise ConfigError(f"{path}: no such file or run directory.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text (byte {e.start}).") from None
    dialogues: list[Dialogue] = []
    errors: list[str] = []
    seen: set[str] = set()
    for where, default_id, record in _records(path, text):
        if isinstance(record, str):
            errors.append(f"{where}: {record}")
            continue
        try:
            d = _dialogue(record, protocol, where, default_id)
        except ValueError as e:
            errors.append(f"{where}: {e}")
            continue
        if d.id in seen:
            errors.append(f"{where}: id {d.id!r} appears twice")
            continue
        seen.add(d.id)
        dialogues.append(d)
    return dialogues, errors


def _records(path: Path, text: str) -> Iterator[tuple[str, str, Any]]:
    """(where, a default id, the record or an error message) per record of the file."""
    if path.suffix.lower() == ".csv":
        for n, row in peer.csv_records(text):
            if None in row or any(v is None for v in row.values()):
                yield (
                    f"{path} row {n}",
                    "",
                    "the row has a different number of cells than the header",
                )
                continue
            rid = row.get("file_id") or row.get("index") or f"{path.stem}-{n}"
            yield f"{path} row {n}", rid, row
        return
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as e:
            raise ConfigError(f"{path}: not valid JSON (line {e.lineno}: {e.msg}).") from None
        for i, item in enumerate(items):
            yield f"{path} record {i}", f"{path.stem}-{i:05d}", item
        return
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield f"{path} line {n}", f"{path.stem}-{n:05d}", json.loads(line)
        except json.JSONDecodeError as e:
            yield f"{path} line {n}", "", f"not valid JSON ({e.msg})"


def _messages(data: dict[str, Any]) -> list[Message]:
    if "messages" in data:
        items = data["messages"]
        first = items[0] if isinstance(items, list) and items else {}
        keys = (
            ("from", "value")
            if isinstance(first, dict) and "from" in first
            else ("role", "content")
        )
        return peer.chat_messages(items, *keys)
    if "conversations" in data:
        items = data["conversations"]
        first = items[0] if isinstance(items, list) and items else {}
        keys = (
            ("role", "content")
            if isinstance(first, dict) and "role" in first
            else ("from", "value")
        )
        return peer.chat_messages(items, *keys)
    if isinstance(data.get("dialogue"), str):
        return peer.script_messages(data["dialogue"])
    if "patient_round1" in data:
        return peer.table_messages(data)
    raise ValueError(
        'expected "messages" (role/content), "conversations" (ShareGPT), a "dialogue" script '
        "of Counselor:/Client: lines, or HealMe's round columns"
    )


def _dialogue(data: Any, protocol: str, where: str, default_id: str) -> Dialogue:
    if not isinstance(data, dict):
        raise ValueError("expected an object holding a dialogue")
    # The tool's own shape names its id; peer files often number their records instead.
    rid = data.get("id", data.get("file_id", None if "messages" in data else default_id))
    if not isinstance(rid, (str, int)) or rid == "":
        raise ValueError('"id" must be a non-empty string')
    try:
        messages = _messages(data)
        if not messages:
            raise ValueError("the dialogue has no counselor or client turn")
        if isinstance(data.get("persona"), dict):
            persona = Persona.model_validate(data["persona"])
        else:
            persona = _stand_in(data, messages, str(rid), where)
        return Dialogue(
            id=str(rid),
            protocol=str(data.get("protocol") or protocol),
            persona=persona,
            run_seed=0,
            messages=messages,
        )
    except ValidationError as e:
        raise ValueError(
            "; ".join(
                f"`{'.'.join(str(p) for p in err['loc'])}`: {err['msg']}" for err in e.errors()
            )
        ) from None


def _stand_in(data: dict[str, Any], messages: list[Message], rid: str, where: str) -> Persona:
    """A persona from what the record says (thought, intake form, attitude, condition)."""
    first = next((m.content for m in messages if m.role == "client"), "")
    attitude = str(data.get("attitude") or "").strip().lower()

    def text(key: str) -> str | None:
        value = data.get(key)
        return value if isinstance(value, str) and value.strip() else None

    return Persona.model_validate(
        {
            "id": rid,
            "thought": text("thought") or first or "(no client turn)",
            "attitude": attitude if attitude in ATTITUDES else "neutral",
            "intake_form": text("intake_form"),
            "condition": text("condition"),
            "source": f"{where} (no persona given)",
        }
    )
