"""Cactus's released files as they are (DOMAIN.md section 2), in either layout:

- the training release: flat records `thought, patterns, intake_form, cbt_technique, cbt_plan,
  attitude, dialogue`, as a JSON array or JSONL;
- the evaluation file: a JSON array of records whose client fields sit under `AI_client`
  (`intake_form`, `attitude`, `attitude_instruction`, `dialogue_history_init`), with
  `AI_counselor.CBT` and a `ground_truth_CBT` list, and no `thought`: the thought is taken from
  the intake form's presenting problem and the seed's source says it was derived.

Intake values are read on the label's line or the next (`Age:` newline `45`), so ages are
known and minors refused like everywhere else.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from healme_synth.errors import ConfigError
from healme_synth.seeds import intake

Rows = Iterator[tuple[str, dict[str, Any] | str]]
EXPECTED = "expected a JSON object with thought, patterns, intake_form, ... (or AI_client)"
DERIVED = "thought derived from the intake form's presenting problem"


def _records(path: Path, text: str) -> list[tuple[str, Any]]:
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as e:
            raise ConfigError(f"{path}: not valid JSON (line {e.lineno}: {e.msg}).") from None
        return [(f"{path} record {i}", r) for i, r in enumerate(items, 1)]
    records: list[tuple[str, Any]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                records.append((f"{path} line {n}", json.loads(line)))
            except json.JSONDecodeError as e:
                records.append((f"{path} line {n}", ValueError(f"not valid JSON ({e.msg})")))
    return records


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    """The evaluation layout's fields where the training layout has them."""
    client = record.get("AI_client")
    if not isinstance(client, dict):
        return record
    counselor = record.get("AI_counselor")
    cbt = counselor.get("CBT") if isinstance(counselor, dict) else None
    truth = record.get("ground_truth_CBT")
    return {
        "thought": record.get("thought"),
        "patterns": record.get("patterns"),
        "intake_form": client.get("intake_form")
        or (cbt.get("client_information") if isinstance(cbt, dict) else None),
        "attitude": client.get("attitude"),
        "cbt_technique": truth[0] if isinstance(truth, list) and truth else truth,
    }


def read(path: Path, traps: Any) -> Rows:
    """(where, the seed's fields) per good record, (where, an error) per bad one. `traps`
    turns a patterns value into (known traps, other names)."""
    text = path.read_text(encoding="utf-8-sig")
    for i, (where, record) in enumerate(_records(path, text), start=1):
        if isinstance(record, ValueError):
            yield where, str(record)
            continue
        if not isinstance(record, dict):
            yield where, EXPECTED
            continue
        flat = _flat(record)
        form = flat.get("intake_form")
        form = form if isinstance(form, str) and form.strip() else None
        fields = intake.fields(form)
        known, other = traps(flat.get("patterns"))
        thought = flat.get("thought")
        source = where
        if thought is None and "AI_client" in record:
            thought = intake.derived_thought(form)
            source = f"{where} ({DERIVED})"
        data = {
            "id": f"{path.name}:{i:05d}",
            "thought": thought,
            "thinking_traps": known,
            "other_traps": other,
            "attitude": str(flat.get("attitude", "")).strip().lower(),
            "intake_form": form,
            "name": fields.get("name"),
            "age": intake.age(fields.get("age")),
            "gender": fields.get("gender"),
            "occupation": fields.get("occupation"),
            "source": source,
        }
        yield where, data
