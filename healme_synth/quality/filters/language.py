"""The language_drift filter: letters of another script than the dialogue's language, then
(for utterances long enough to tell) another language in the same script, identified by lingua
(code-switching, a model falling back to its pretraining language, a Spanish reply in an
English session)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import cache
from typing import TYPE_CHECKING

from healme_synth.config import LANGUAGE_SCRIPTS
from healme_synth.quality.filters.rules import Rules
from healme_synth.quality.filters.text import where, word_set
from healme_synth.records import Dialogue, Message, Reason

if TYPE_CHECKING:
    from lingua import Language, LanguageDetector

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
    one quoted word is fine; a sentence in another script is code-switching); else an
    utterance of `language_min_words`+ words that lingua reads as another language."""
    for i, m in enumerate(d.messages):
        reason = _script_drift(i, m, rules) or _language_drift(i, m, rules)
        if reason is not None:
            return reason
    return None


def _script_drift(i: int, m: Message, rules: Rules) -> Reason | None:
    """The fast path: no model, and it settles every utterance in a foreign script."""
    expected = LANGUAGE_SCRIPTS[rules.filters.language]
    share = rules.filters.max_foreign_share
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


# lingua's codes differ from ISO 639-1 for Norwegian (Bokmal is its model for "no"); a code
# lingua has no model for (gl, ne) gets the script check only.
_LINGUA_CODE = {"no": "NB"}
# Lower-case words only: names are capitalised, and one accented name ("Malgorzata" with its
# Polish l) is enough for lingua's unique-letter rule to rule out English.
_WORD = re.compile(r"(?<![\w'’])[^\W\d_]+(?:['’][^\W\d_]+)*")


@cache
def detector() -> LanguageDetector:
    """Built once per process, on first use: every language lingua knows, in its low-accuracy
    (trigram) mode. Measured here (bench/filters.py): 0.4 s and about 70 MB, against 21 s and
    900 MB for the high-accuracy models of all languages; on utterances of 8+ words it gave
    the same answers on the labelled set."""
    from lingua import LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()


@cache
def lingua_language(code: str) -> Language | None:
    from lingua import IsoCode639_1, Language

    try:
        return Language.from_iso_code_639_1(IsoCode639_1.from_str(_LINGUA_CODE.get(code, code)))
    except ValueError:
        return None


def identified_words(text: str) -> list[str]:
    """The words lingua is shown: lower-case words, no digits, no names."""
    return [w for w in _WORD.findall(text) if not w[0].isupper()]


def _language_drift(i: int, m: Message, rules: Rules) -> Reason | None:
    expected = lingua_language(rules.filters.language)
    words = identified_words(m.content)
    if expected is None or len(words) < rules.filters.language_min_words:
        return None
    text = " ".join(words)
    confidence = detector().compute_language_confidence(text, expected)
    if confidence >= rules.filters.min_language_confidence:
        return None
    # Close languages share the confidence: English at 0.49 may still be the likeliest one.
    found = detector().detect_language_of(text)
    if found == expected:
        return None
    read = "another language" if found is None else found.name.title()
    return Reason(
        name="language_drift",
        detail=f"{where(i, m)} reads as {read}, expected {expected.name.title()} "
        f"(lingua confidence {confidence:.2f} over {len(words)} words)",
    )
