"""Reading Cactus-style intake forms as they are released: a field's value on the label's line
(`Age: 45`) or on the next one (`Age:` newline `45`, as Cactus's own files write it), the
presenting problem a missing thought is taken from, and text whose encoding broke on the way
(mojibake such as `canâ€™t`), which an importer must report, never pass on."""

from __future__ import annotations

import re

FIELDS = ("name", "age", "gender", "occupation")
_LABEL = re.compile(r"^[ \t]*([A-Za-z][A-Za-z /()-]{0,40}?)[ \t]*:[ \t]*(.*?)[ \t]*$")
_SECTION = re.compile(r"^\s*\d+\.\s*presenting problem\s*:?\s*$", re.IGNORECASE)
_NEXT_SECTION = re.compile(r"^\s*\d+\.\s*\w")
# A belief the form states in so many words: "the thought that ...", "a persistent belief that".
_BELIEF = re.compile(
    r"\b(?:thought|belief|fear|worry|feeling|conviction|idea)s? that (?P<thought>[^.;]+)",
    re.IGNORECASE,
)
# Sequences that UTF-8 text decoded as Windows-1252 or Latin-1 leaves behind.
# A UTF-8 continuation byte as Windows-1252 shows it.
_TAIL = (
    "[\x80-\xbf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152"
    "\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178]"
)
_MOJIBAKE = re.compile(f"â€{_TAIL}?|[ÃÂ]{_TAIL}|ï»¿|\ufffd")


def fields(form: str | None) -> dict[str, str]:
    """Name, age, gender and occupation of a form, whichever line the value sits on."""
    found: dict[str, str] = {}
    lines = (form or "").splitlines()
    for i, line in enumerate(lines):
        m = _LABEL.match(line)
        if m is None:
            continue
        key = m.group(1).strip().lower()
        if key not in FIELDS or key in found:
            continue
        value = m.group(2)
        if not value:
            following = next((x.strip() for x in lines[i + 1 :] if x.strip()), "")
            value = "" if _LABEL.match(following) or _NEXT_SECTION.match(following) else following
        if value:
            found[key] = value
    return found


def age(value: str | None) -> int | None:
    """The first whole number of an age field ("45", "17 (a junior)"); None without one."""
    m = re.search(r"\d{1,3}", value or "")
    return int(m.group(0)) if m else None


def presenting_problem(form: str | None) -> str | None:
    """The text of the form's presenting-problem section, or None."""
    lines = (form or "").splitlines()
    for i, line in enumerate(lines):
        if _SECTION.match(line):
            body = []
            for rest in lines[i + 1 :]:
                if _NEXT_SECTION.match(rest):
                    break
                body.append(rest.strip())
            text = " ".join(x for x in body if x)
            return text or None
    return None


def derived_thought(form: str | None) -> str | None:
    """A thought for a record that has none: the belief the presenting problem states ("the
    thought that I can't run far"), else its first sentence."""
    problem = presenting_problem(form)
    if problem is None:
        return None
    m = _BELIEF.search(problem)
    if m:
        thought = m.group("thought").strip().rstrip(",")
        thought = re.split(r",\s*(?:causing|leading|which|despite|and this|making)\b", thought)[0]
        return thought[0].upper() + thought[1:] + "."
    first = re.split(r"(?<=[.!?])\s+", problem)[0]
    return first.strip() or None


def mojibake(text: str | None) -> str | None:
    """A short quote around the first broken-encoding sequence, and how it reads repaired."""
    m = _MOJIBAKE.search(text or "")
    if m is None or text is None:
        return None
    start, end = max(0, m.start() - 12), min(len(text), m.end() + 12)
    quote = text[start:end].strip()
    try:
        repaired = quote.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return f"{quote!r}"
    return f"{quote!r}, which reads {repaired!r} decoded as UTF-8"
