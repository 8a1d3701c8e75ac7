"""The language_drift filter: letters of another script than the dialogue's language
(code-switching, a model falling back to its pretraining language)."""

from __future__ import annotations

import unicodedata
from collections import Counter

from healme_synth.config import LANGUAGE_SCRIPTS
from healme_synth.quality.filters.rules import Rules
from healme_synth.quality.filters.text import where, word_set
from healme_synth.records import Dialogue, Reason

# Scripts a letter is counted in; letters whose name starts otherwise (ordinal indicators,
# modifier letters, ...) are ignored rather than guessed at.
_SCRIPTS = word_set(
    "LATIN GREEK CYRILLIC ARMENIAN HEBREW ARABIC SYRIAC THAANA DEVANAGARI BENGALI GURMUKHI "
    "GUJARATI ORIYA TAMIL TELUGU KANNADA MALAYALAM SINHALA THAI LAO TIBETAN MYANMAR GEORGIAN "
    "HANGUL ETHIOPIC CHEROKEE KHMER MONGOLIAN HIRAGANA KATAKANA BOPOMOFO CJK YI"
)


def _script(ch: str) -> str | None:
    """The script a letter belongs to (first word of its Unicode name), or None for
    non-letters and letters of no clear script."""
    if not unicodedata.category(ch).startswith("L"):
        return None
    words = unicodedata.name(ch, "").split()
    if words and words[0] in ("FULLWIDTH", "HALFWIDTH"):
        words = words[1:]
    return words[0] if words and words[0] in _SCRIPTS else None


def language_drift(d: Dialogue, rules: Rules) -> Reason | None:
    """Letters of another script than the language's, above a small share (a foreign name or
    one quoted word is fine; a sentence in another script is code-switching)."""
    expected = LANGUAGE_SCRIPTS[rules.filters.language]
    share = rules.filters.max_foreign_share
    for i, m in enumerate(d.messages):
        scripts = Counter(s for s in map(_script, m.content) if s is not None)
        letters = sum(scripts.values())
        foreign = {s: n for s, n in scripts.items() if s not in expected}
        count = sum(foreign.values())
        if count >= 3 and count > share * letters:
            top = max(foreign, key=lambda s: foreign[s])
            want = "/".join(sorted(s.title() for s in expected))
            return Reason(
                name="language_drift",
                detail=f"{where(i, m)} has {count} of {letters} letters in "
                f"{'Han' if top == 'CJK' else top.title()} script, expected {want}",
            )
    return None
