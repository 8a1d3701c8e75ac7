"""How the filters read text: words without punctuation, word n-grams, speaker labels, and
the "turn N (role)" every detail starts with."""

from __future__ import annotations

import re
from functools import lru_cache

from healme_synth.records import Message, Role


def word_set(words: str) -> frozenset[str]:
    """A vocabulary written as one whitespace-separated string."""
    return frozenset(words.split())


# Speaker labels of each role, English and a few localised ones (es, pt, it, fr, de): the
# other role's at a line start means the text now speaks as the other role (role_flip); its
# own means the prompt's transcript format shows through (prompt_leak).
LABELS: dict[Role, list[str]] = {
    "counselor": sorted(
        word_set(
            "counselor counsellor therapist assistant psychologist psychotherapist psychiatrist "
            "doctor terapeuta consejero consejera psicólogo psicóloga conselheiro conselheira "
            "thérapeute psychologue conseiller conseillère therapeut therapeutin berater "
            "beraterin psychologe psychologin"
        )
    ),
    "client": sorted(
        word_set("client patient user human cliente paciente patiente klient klientin")
    ),
}
OTHER: dict[Role, Role] = {"counselor": "client", "client": "counselor"}


def where(i: int, m: Message) -> str:
    return f"turn {i + 1} ({m.role})"


_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def words_of(text: str) -> list[str]:
    """Lower-cased words without punctuation, so spacing and quotes do not hide a copy."""
    return [w.replace("’", "'") for w in _WORD.findall(text.lower())]


def ngrams(words: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(words[k : k + n]) for k in range(len(words) - n + 1)]


@lru_cache(maxsize=256)
def _label_patterns(labels: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A speaker label at a line start, and one right after a finished sentence mid-line; both
    allow markdown around the label and a parenthetical before the colon ("Client (sighs):")."""
    names = "|".join(map(re.escape, labels))
    label = r"(" + names + r")(?:\s*\([^)\n]{0,40}\))?[\s*_]*:"
    bracket = r"[\[(](" + names + r")[\])][ \t]*\S"
    return (
        re.compile(r"(?im)^[\s*_\"'#>-]*(?:" + label + "|" + bracket + ")"),
        re.compile(r"(?i)[.!?…][\"”’')\]]*[ \t]+[*_]*" + label),
    )


def label_hit(text: str, labels: list[str], mid_line: bool) -> str | None:
    """The first of `labels` used as a speaker label in `text` (lower-cased), or None."""
    start, middle = _label_patterns(tuple(labels))
    hit = start.search(text) or (middle.search(text) if mid_line else None)
    if hit is None:
        return None
    return next(g for g in hit.groups() if g is not None).lower()
