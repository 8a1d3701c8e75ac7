"""Stage 3a: rule filters. Each is a small pure function: Dialogue -> Reason | None.

Reason names are stable (they are counted in the manifest and stored in rejected rows); the
detail says, for a person, which turn failed and how.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from healme_synth.records import Dialogue, Message, Reason

END_MARKER = "[/END]"


@dataclass(frozen=True)
class Rules:
    turns: int
    """How many turns the protocol produces."""
    min_words: int = 2
    max_words: int = 220


def _where(i: int, m: Message) -> str:
    return f"turn {i + 1} ({m.role})"


def turn_count(d: Dialogue, rules: Rules) -> Reason | None:
    if len(d.messages) != rules.turns:
        return Reason(name="turn_count", detail=f"{len(d.messages)} turns, expected {rules.turns}")
    return None


def empty_utterance(d: Dialogue, rules: Rules) -> Reason | None:
    for i, m in enumerate(d.messages):
        words = len(m.content.split())
        if words < rules.min_words:
            return Reason(
                name="empty_utterance",
                detail=f"{_where(i, m)} has {words} words, fewer than {rules.min_words}",
            )
    return None


def overlong_utterance(d: Dialogue, rules: Rules) -> Reason | None:
    for i, m in enumerate(d.messages):
        words = len(m.content.split())
        if words > rules.max_words:
            return Reason(
                name="overlong_utterance",
                detail=f"{_where(i, m)} has {words} words, more than {rules.max_words}",
            )
    return None


_LABELS = {
    # Labels that mean the text is now speaking as the *other* role.
    "counselor": ["client", "patient", "user"],
    "client": ["counselor", "therapist", "doctor", "assistant"],
}


def role_flip(d: Dialogue, rules: Rules) -> Reason | None:
    """A line that starts with the other party's label (or the client's name, for the
    counselor): the model is writing the other side of the conversation."""
    for i, m in enumerate(d.messages):
        labels = _LABELS[m.role] + ([d.persona.name.lower()] if m.role == "counselor" else [])
        pattern = r"(?im)^[\s*_\"'#>-]*(" + "|".join(map(re.escape, labels)) + r")[\s*_]*:"
        hit = re.search(pattern, m.content)
        if hit:
            return Reason(
                name="role_flip",
                detail=f"{_where(i, m)} speaks as {hit.group(1).lower()!r}",
            )
    return None


# Unfilled slots a template or a model leaves behind: [Client's Name], [insert date], {name},
# {{ var }}, <name>, and the end marker (never valid in a fixed-length protocol's text).
_REMNANT = re.compile(
    r"\[/?END\]"
    r"|\{\{|\}\}|\{%|%\}"
    r"|\{[A-Za-z_][A-Za-z0-9_ ]{0,30}\}"
    r"|\[(?:insert|your|client|counselor|therapist|patient|name|date|[A-Z][a-z]+'s)[^\]\n]{0,40}\]"
    r"|<(?:name|client|counselor|therapist|date|insert)[a-z_ ]{0,30}>",
    re.IGNORECASE,
)


def template_remnant(d: Dialogue, rules: Rules) -> Reason | None:
    for i, m in enumerate(d.messages):
        hit = _REMNANT.search(m.content)
        if hit:
            return Reason(
                name="template_remnant", detail=f"{_where(i, m)} contains {hit.group(0)!r}"
            )
    return None


def truncated(d: Dialogue, rules: Rules) -> Reason | None:
    for i, m in enumerate(d.messages):
        if m.finish_reason == "length":
            return Reason(name="truncated", detail=f"{_where(i, m)} was cut at the token limit")
    return None


FILTERS: dict[str, Callable[[Dialogue, Rules], Reason | None]] = {
    "turn_count": turn_count,
    "empty_utterance": empty_utterance,
    "overlong_utterance": overlong_utterance,
    "role_flip": role_flip,
    "template_remnant": template_remnant,
    "truncated": truncated,
}


def check(d: Dialogue, names: list[str], rules: Rules) -> list[Reason]:
    """Every reason the enabled filters find (not only the first), so counts tell the truth."""
    return [r for name in names if (r := FILTERS[name](d, rules)) is not None]
