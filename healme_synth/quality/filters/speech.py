"""Filters on what a turn says besides speech: the other party's label, unfilled template
slots, a cut-off ending, an end-of-session marker in the wrong place."""

from __future__ import annotations

import re
import unicodedata

from healme_synth.quality.filters.rules import Rules
from healme_synth.quality.filters.text import LABELS, OTHER, label_hit, where
from healme_synth.records import Dialogue, Reason


def role_flip(d: Dialogue, rules: Rules) -> Reason | None:
    """A line that starts with the other party's label (or the client's name, for the
    counselor), or such a label right after a finished sentence: the model is writing the
    other side of the conversation."""
    for i, m in enumerate(d.messages):
        name = d.persona.name
        labels = LABELS[OTHER[m.role]] + ([name.lower()] if name and m.role == "counselor" else [])
        label = label_hit(m.content, labels, mid_line=True)
        if label is not None:
            return Reason(name="role_flip", detail=f"{where(i, m)} speaks as {label!r}")
    return None


# Unfilled slots a template or a model leaves behind: [Client's Name], [insert date], {name},
# {{ var }}, <name>, <client_name>, [NAME], CLIENT_NAME, client_name, "___", (insert name here).
_SLOT_NOUNS = (
    r"name|date|time|day|situation|event|thought|emotion|feeling|strategy|technique|activity"
    r"|place|person|number|location|goal|example|topic|issue|problem|trigger|skill|exercise"
    r"|age|job|occupation|relationship|friend|detail|details|input|response|behaviou?r"
    r"|belief|distortion|trap|scenario|experience|concern|fear|worry|client|counselor"
)
_REMNANT = re.compile(
    r"\{\{|\}\}|\{%|%\}"
    r"|\{[A-Za-z_][A-Za-z0-9_ ]{0,30}\}"
    r"|\[(?:insert|your|client|counselor|therapist|patient|name|date|[A-Z][a-z]+'s)[^\]\n]{0,40}\]"
    r"|\[(?:[A-Za-z-]+ ){0,3}(?:" + _SLOT_NOUNS + r")s?\]"
    r"|<(?:name|client|counselor|therapist|date|insert)[a-z_ ]{0,30}>"
    # Any snake_case name in angle brackets (<situation_description>), "(insert name here)".
    r"|<[a-z]+(?:_[a-z]+)+>"
    r"|\((?:insert|enter|fill in) [^()\n]{1,40}\)",
    re.IGNORECASE,
)
# Case matters for these: ALL-CAPS words in angle brackets (<DATE>; not HTML's <em>), ALL-CAPS
# snake_case or a placeholder word in square brackets ([CLIENT_NAME], [PLACEHOLDER]), and
# blanks of 3+ underscores.
_CAPS_SLOT = re.compile(
    r"<[A-Z]{2,}(?:[_ ][A-Z]+)*>|\[[A-Z]+(?:_[A-Z]+)+\]|\[(?:PLACEHOLDER|TBD|TODO|X{3,})\]"
    r"|(?<![\w_])_{3,}(?![\w_])"
)
# A bare snake_case identifier naming a slot (client_name, SPECIFIC_SITUATION); code a client
# talks about (a file, a variable, a username) is said so, or has digits or an extension.
_SNAKE = re.compile(r"(?<![\w.`/@#-])[a-z]+(?:_[a-z]+)+(?![\w`/@-]|\.\w)", re.IGNORECASE)
_SLOT_WORDS = re.compile(r"(?:" + _SLOT_NOUNS + r")s?", re.IGNORECASE)
_CODE_WORDS = re.compile(
    r"\b(?:variable|field|column|function|method|file|folder|table|key|parameter|setting"
    r"|called|named|username|handle|hashtag|tag|code|script|class|attribute|argument|env)"
    r"s?\W+(?:\w+\W+){0,2}$",
    re.IGNORECASE,
)


def _slot(text: str) -> str | None:
    """The first unfilled slot in `text`, or None."""
    hits = [h for h in (_REMNANT.search(text),) if h is not None]
    # A line of underscores alone is a rule drawn across the text, not a blank to fill.
    hits += [
        h
        for h in _CAPS_SLOT.finditer(text)
        if not (set(h.group(0)) == {"_"} and _whole_line(text, h))
    ]
    for h in _SNAKE.finditer(text):
        # A slot names what goes in it; an identifier the speaker calls code is code.
        named = any(_SLOT_WORDS.fullmatch(part) for part in h.group(0).split("_"))
        if named and not _CODE_WORDS.search(text[: h.start()]):
            hits.append(h)
            break
    return min(hits, key=lambda h: h.start()).group(0) if hits else None


def _whole_line(text: str, hit: re.Match[str]) -> bool:
    start = text.rfind("\n", 0, hit.start()) + 1
    end = text.find("\n", hit.end())
    return text[start : len(text) if end < 0 else end].strip() == hit.group(0)


def template_remnant(d: Dialogue, rules: Rules) -> Reason | None:
    for i, m in enumerate(d.messages):
        slot = _slot(m.content)
        if slot is not None:
            return Reason(name="template_remnant", detail=f"{where(i, m)} contains {slot!r}")
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
