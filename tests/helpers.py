"""Tiny builders of records for unit tests (filters, judge, shards)."""

from __future__ import annotations

from typing import Any

from healme_synth.records import Dialogue, Emotion, Message, Persona

# A clean HealMe exchange: the client opens, three rounds, six turns.
CLEAN_TURNS: list[tuple[str, str]] = [
    ("client", "I messed up the quarterly report and I feel like an idiot."),
    ("counselor", "That sounds painful. What happened, and what did you tell yourself then?"),
    ("client", "I put a number in the wrong column and my manager caught it."),
    ("counselor", "So one figure was misplaced and caught in time. What else could it mean?"),
    ("client", "Maybe that I am new at this and still learning the process."),
    ("counselor", "That is a kinder reading. Could you double-check one sheet tomorrow?"),
]


def persona(**overrides: Any) -> Persona:
    fields: dict[str, Any] = {
        "id": "p-001",
        "name": "Priya",
        "age": 29,
        "gender": "female",
        "occupation": "junior accountant",
        "situation": "Entered a figure in the wrong column during the quarterly close.",
        "thought": "I am an idiot who cannot be trusted with numbers.",
        "thinking_traps": ["labeling"],
        "emotions": [Emotion(name="ashamed", intensity=75)],
        "attitude": "positive",
    }
    fields.update(overrides)
    return Persona(**fields)


def dialogue(
    turns: list[tuple[str, str]] | None = None,
    *,
    messages: list[Message] | None = None,
    dialogue_id: str = "000000-p-001",
    **overrides: Any,
) -> Dialogue:
    """A dialogue from (role, content) pairs (default: CLEAN_TURNS) or from ready Messages."""
    if messages is None:
        messages = [
            Message(role=role, content=content)  # type: ignore[arg-type]
            for role, content in (CLEAN_TURNS if turns is None else turns)
        ]
    fields: dict[str, Any] = {
        "id": dialogue_id,
        "protocol": "healme",
        "persona": persona(),
        "run_seed": 7,
        "messages": messages,
    }
    fields.update(overrides)
    return Dialogue(**fields)


def replace_turn(index: int, content: str) -> list[tuple[str, str]]:
    """CLEAN_TURNS with one turn's text replaced (its role kept)."""
    turns = list(CLEAN_TURNS)
    turns[index] = (turns[index][0], content)
    return turns


# Replies with commas, doubled quotes, \n and \r\n: what a CSV exporter must quote to round-trip.
CSV_CLIENT = [
    'I said "fine", but honestly, I\'m not fine.\nIt keeps coming back.',
    "Maybe she was busy, or tired;\r\nI don't know.",
    'OK, I could ask her, "plainly", tomorrow.',
]
CSV_COUNSELOR = [
    'You said "fine", yet it still hurts. What happened first?',
    'What else, besides "she hates me", could explain it?\nTake your time.',
    "That took courage, honestly. Asking her is a concrete step.",
]
