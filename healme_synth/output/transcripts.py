"""Dialogues to check again without regenerating: a run directory, or a JSONL file of dialogues
from anywhere, one per line: {"id", "messages": [{"role": "counselor"|"client", "content"}],
optional "persona" and "protocol"}.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from healme_synth.errors import ConfigError
from healme_synth.output.rows import read_dialogues
from healme_synth.records import Dialogue, Message, Persona


def read_transcripts(path: Path, protocol: str) -> tuple[list[Dialogue], list[str]]:
    """Every dialogue of a run directory or JSONL file, and one error per bad line.

    A run's dialogues come back with their old reasons dropped (they are checked afresh). A
    JSONL line without a persona gets a stand-in whose thought is the client's first turn, so
    seed-dependent checks have what the dialogue itself says and nothing invented.
    """
    if path.is_dir():
        shards = sorted(path.glob("data/*/*.parquet"))
        if not shards:
            raise ConfigError(f"{path}: no shards under data/<config>/ (is it a run directory?).")
        return [d.model_copy(update={"reasons": []}) for d in read_dialogues(shards)], []
    if not path.is_file():
        raise ConfigError(f"{path}: no such file or run directory.")
    dialogues: list[Dialogue] = []
    errors: list[str] = []
    seen: set[str] = set()
    for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = _dialogue(json.loads(line), protocol, f"{path} line {n}")
        except json.JSONDecodeError as e:
            errors.append(f"{path} line {n}: not valid JSON ({e.msg})")
            continue
        except ValueError as e:
            errors.append(f"{path} line {n}: {e}")
            continue
        if d.id in seen:
            errors.append(f"{path} line {n}: id {d.id!r} appears twice")
            continue
        seen.add(d.id)
        dialogues.append(d)
    return dialogues, errors


def _dialogue(data: Any, protocol: str, where: str) -> Dialogue:
    if not isinstance(data, dict):
        raise ValueError('expected an object with "id" and "messages"')
    if not isinstance(data.get("id"), str) or not data["id"]:
        raise ValueError('"id" must be a non-empty string')
    unknown = set(data) - {"id", "messages", "persona", "protocol"}
    if unknown:
        raise ValueError(
            f"unknown keys {sorted(unknown)} (allowed: id, messages, persona, protocol)"
        )
    try:
        messages = [Message.model_validate(m) for m in data.get("messages") or []]
        if not messages:
            raise ValueError('"messages" must be a non-empty list')
        if "persona" in data:
            persona = Persona.model_validate(data["persona"])
        else:
            first = next((m.content for m in messages if m.role == "client"), "")
            persona = Persona.model_validate(
                {
                    "id": data["id"],
                    "thought": first or "(no client turn)",
                    "attitude": "neutral",
                    "source": f"{where} (no persona given)",
                }
            )
        return Dialogue(
            id=data["id"],
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
