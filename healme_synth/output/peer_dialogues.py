"""Dialogues in the shapes other tools and the reference datasets store them, as this tool's
records, so `screen`, `filter` and `judge` read them unchanged: chat messages with any usual
role names (counselor/client, assistant/user, gpt/human, therapist/patient), ShareGPT
`conversations`, a script of `Counselor:` / `Client:` lines (Cactus records, SQPsych's
`dialogue` column) and HealMe's round columns.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

from healme_synth.records import Message, Role

# Every role name a dialogue file uses, to ours; None: not a dialogue turn (a system prompt).
ROLE: dict[str, Role | None] = {
    "counselor": "counselor",
    "counsellor": "counselor",
    "assistant": "counselor",
    "gpt": "counselor",
    "therapist": "counselor",
    "doctor": "counselor",
    "psychologist": "counselor",
    "ai": "counselor",
    "client": "client",
    "user": "client",
    "human": "client",
    "patient": "client",
    "seeker": "client",
    "system": None,
}
HEALME_TURNS = (
    ("patient_round1", "client"),
    ("doctor_round1", "counselor"),
    ("patient_round2", "client"),
    ("doctor_round2", "counselor"),
    ("patient_round3", "client"),
    ("polished_doctor_round3", "counselor"),
)
_SPEAKER = re.compile(
    r"^\s*(?:\*\*)?(" + "|".join(k for k, v in ROLE.items() if v) + r")(?:\*\*)?\s*:\s?(.*)$",
    re.IGNORECASE,
)


def role_of(name: Any, where: str) -> Role | None:
    if not isinstance(name, str) or name.strip().lower() not in ROLE:
        known = ", ".join(ROLE)
        raise ValueError(f"{where}: role {name!r} is not one of {known}")
    return ROLE[name.strip().lower()]


def chat_messages(items: Any, role_key: str, text_key: str) -> list[Message]:
    """`[{role_key: ..., text_key: ...}]` as messages, system turns left out."""
    if not isinstance(items, list) or not items:
        raise ValueError("expected a non-empty list of turns")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get(text_key), str):
            raise ValueError(f"turn {i}: expected an object with {role_key!r} and {text_key!r}")
        role = role_of(item.get(role_key), f"turn {i}")
        if role is not None:
            out.append(Message(role=role, content=item[text_key]))
    return out


def script_messages(text: str) -> list[Message]:
    """A dialogue stored as one string of `Speaker: text` lines; a line without a speaker
    continues the turn before it. A `[/END]` marker is left in the text (the filters see it)."""
    turns: list[tuple[Role, list[str]]] = []
    for line in text.splitlines():
        m = _SPEAKER.match(line)
        if m:
            role = ROLE[m.group(1).lower()]
            assert role is not None
            turns.append((role, [m.group(2)]))
        elif turns:
            turns[-1][1].append(line)
        elif line.strip():
            raise ValueError(f"the dialogue starts without a speaker: {line.strip()[:60]!r}")
    if not turns:
        raise ValueError("the dialogue holds no `Counselor:` / `Client:` lines")
    return [Message(role=role, content="\n".join(lines).strip()) for role, lines in turns]


def csv_records(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number as a spreadsheet shows it, row) of a CSV with a header."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    yield from enumerate(reader, start=2)


def table_messages(row: dict[str, str]) -> list[Message]:
    """A row of HealMe's table (round columns) or of SQPsych's (`dialogue`)."""
    if "dialogue" in row:
        return script_messages(row["dialogue"] or "")
    counselor3 = "polished_doctor_round3" if "polished_doctor_round3" in row else "doctor_round3"
    columns = [(counselor3 if c == "polished_doctor_round3" else c, r) for c, r in HEALME_TURNS]
    missing = [c for c, _ in columns if c not in row]
    if missing:
        raise ValueError(f"missing the columns {', '.join(missing)}")
    return [
        Message(role=role, content=row[c].strip())  # type: ignore[arg-type]
        for c, role in columns
        if (row[c] or "").strip()
    ]
