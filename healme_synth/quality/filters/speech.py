"""Filters on what a turn says besides speech: the other party's label, unfilled template
slots, a cut-off ending, an end-of-session marker in the wrong place."""

from __future__ import annotations

import re
import unicodedata

from healme_synth.quality.filters.rules import Rules
from healme_synth.quality.filters.text import label_hit, where
from healme_synth.records import Dialogue, Reason

_LABELS = {
    # Labels that mean the text is now speaking as the *other* role.
    "counselor": ["client", "patient", "user"],
    "client": ["counselor", "therapist", "doctor", "assistant"],
}


def role_flip(d: Dialogue, rules: Rules) -> Reason | None:
    """A line that starts with the other party's label (or the client's name, for the
    counselor), or such a label right after a finished sentence: the model is writing the
    other side of the conversation."""
    for i, m in enumerate(d.messages):
        name = d.persona.name
        labels = _LABELS[m.role] + ([name.lower()] if name and m.role == "counselor" else [])
        label = label_hit(m.content, labels, mid_line=True)
        if label is not None:
            return Reason(name="role_flip", detail=f"{where(i, m)} speaks as {label!r}")
    return None


# Unfilled slots a template or a model leaves behind: [Client's Name], [insert date], {name},
# {{ var }}, <name>, [specific situation].
_SLOT_NOUNS = (
    r"name|date|time|day|situation|event|thought|emotion|feeling|strategy|technique|activity"
    r"|place|person|number|location|goal|example|topic|issue|problem|trigger|skill|exercise"
)
_REMNANT = re.compile(
    r"\{\{|\}\}|\{%|%\}"
    r"|\{[A-Za-z_][A-Za-z0-9_ ]{0,30}\}"
    r"|\[(?:insert|your|client|counselor|therapist|patient|name|date|[A-Z][a-z]+'s)[^\]\n]{0,40}\]"
    r"|\[(?:[A-Za-z-]+ ){0,3}(?:" + _SLOT_NOUNS + r")s?\]"
    r"|<(?:name|client|counselor|therapist|date|insert)[a-z_ ]{0,30}>",
    re.IGNORECASE,
)


def template_remnant(d: Dialogue, rules: Rules) -> Reason | None:
    for i, m in enumerate(d.messages):
        hit = _REMNANT.search(m.content)
        if hit:
            return Reason(
                name="template_remnant", detail=f"{where(i, m)} contains {hit.group(0)!r}"
            )
    return None


# What a turn may end with when it was not cut: sentence punctuation, closing quotes/brackets,
# a dash (speech breaking off), or an emoji / symbol.
_TERMINAL = set(".!?…\"'”’)]»*—–~")


def truncated(d: Dialogue, rules: Rules) -> Reason | None:
    """Cut at the token limit; or, when the engine's finish reason is unknown (imported
    dialogues), ending mid-sentence."""
    for i, m in enumerate(d.messages):
        if m.finish_reason == "length":
            return Reason(name="truncated", detail=f"{where(i, m)} was cut at the token limit")
        text = m.content.rstrip()
        if m.finish_reason is None and text:
            last = text[-1]
            if last not in _TERMINAL and unicodedata.category(last) not in ("So", "Sk"):
                tail = " ".join(text.split()[-4:])
                return Reason(name="truncated", detail=f"{where(i, m)} ends mid-sentence: {tail!r}")
    return None


_END = re.compile(r"\[\s*/?\s*END\s*\]|<\s*/?\s*END\s*>|<\|?endoftext\|?>", re.IGNORECASE)


def end_marker(d: Dialogue, rules: Rules) -> Reason | None:
    """An end-of-session marker anywhere but the very end of the last turn (and anywhere at
    all when the protocol has no marker): the dialogue went on after it, or it leaked into
    training text."""
    last = len(d.messages) - 1
    allowed = rules.end_marker
    for i, m in enumerate(d.messages):
        text = m.content
        if allowed and i == last and text.rstrip().endswith(allowed):
            text = text.rstrip()[: -len(allowed)]
        hits = [_END.search(text), re.search(re.escape(allowed), text) if allowed else None]
        found_hits = [h for h in hits if h is not None]
        # The earliest marker, and of two starting together the longer, names the defect.
        hit = min(found_hits, key=lambda h: (h.start(), -len(h.group(0)))) if found_hits else None
        if hit is not None:
            found = hit.group(0)
            if not allowed:
                why = "but this protocol has no end marker"
            elif found == allowed:
                why = "before the end"
            else:
                why = f"(this protocol ends with {allowed!r})"
            return Reason(name="end_marker", detail=f"{where(i, m)} has {found!r} {why}")
    return None
