"""The mojibake filter: text whose encoding broke on the way (UTF-8 read as Windows-1252 or
Latin-1, "donâ€™t", "cafÃ©"), replacement characters, stray control characters. Its own reason,
not language_drift: the letters are Latin, and the fix is in an export or import step, not the
model."""

from __future__ import annotations

import re

from healme_synth.quality.filters.rules import Rules
from healme_synth.quality.filters.text import where
from healme_synth.records import Dialogue, Reason

# A lead byte of a UTF-8 sequence (U+00C2-U+00F4 when misread) followed by continuation bytes
# as Windows-1252 or Latin-1 shows them. A candidate only: it counts when re-encoding it gives
# valid UTF-8, so "São", "Zoë" or "naïve" (a lead-byte letter followed by an ordinary one)
# never match.
_CONTINUATION = "\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc" + (
    "\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
)
_CANDIDATE = re.compile(f"[\u00c2-\u00f4][{_CONTINUATION}]{{1,3}}")
# U+FFFD (bytes a decoder could not read) and C0/C1 controls other than tab and line breaks.
_BROKEN = re.compile("[\ufffd\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]")


def _misread(chunk: str) -> bool:
    for codec in ("cp1252", "latin-1"):
        try:
            chunk.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        return True
    return False


def _garbled(text: str) -> str | None:
    """The first garbled span of `text` (with a few characters around it), or None."""
    spans = [h for h in _CANDIDATE.finditer(text) if _misread(h.group(0))]
    broken = _BROKEN.search(text)
    if broken is not None:
        spans.append(broken)
    if not spans:
        return None
    first = min(spans, key=lambda h: h.start())
    return text[max(first.start() - 3, 0) : first.end() + 3]


def mojibake(d: Dialogue, rules: Rules) -> Reason | None:
    for i, m in enumerate(d.messages):
        span = _garbled(m.content)
        if span is not None:
            return Reason(name="mojibake", detail=f"{where(i, m)} has broken encoding: {span!r}")
    return None
