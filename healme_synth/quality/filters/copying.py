"""Filters on a dialogue copying itself: a role repeating its own turns or looping inside
one, and one role echoing the other's last turn."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from healme_synth.quality.filters.rules import Rules
from healme_synth.quality.filters.text import ngrams, where, words_of
from healme_synth.records import Dialogue, Reason

# Of a phrase said `times` times, the share of the stretch from its first to its last word
# that the phrase itself fills, at or above which it is a loop ("I feel like I feel like I feel
# like ..." fills all of it). A topic said several times over a turn ("having one child")
# fills a quarter or less.
_LOOP_DENSITY = 0.75


def _loop(text: str, topic: frozenset[str]) -> str | None:
    """Heavy repetition inside one utterance: a sentence (5+ words) said twice, a 4-word phrase
    three times, or a 3-word phrase four times, back to back. A phrase whose words are all the
    seed's own (`topic`) is what the session is about, not a loop."""
    seen: set[tuple[str, ...]] = set()
    for sentence in re.split(r"(?<=[.!?…])\s+|\n+", text):
        key = tuple(words_of(sentence))
        if len(key) >= 5 and key in seen:
            return f"says {sentence.strip()!r} twice"
        seen.add(key)
    words = words_of(text)
    for n, times in ((4, 3), (3, 4)):  # a 4-word phrase 3 times, or a 3-word phrase 4 times
        starts: dict[tuple[str, ...], list[int]] = {}
        for k, gram in enumerate(ngrams(words, n)):
            starts.setdefault(gram, []).append(k)
        for gram, at in starts.items():
            if len(at) < times or set(gram) <= topic:
                continue
            dense = any(
                times * n >= _LOOP_DENSITY * (at[k + times - 1] + n - at[k])
                for k in range(len(at) - times + 1)
            )
            if dense:
                return f"loops on {' '.join(gram)!r} ({len(at)} times)"
    return None


def repetition(d: Dialogue, rules: Rules) -> Reason | None:
    """An utterance that repeats an earlier one of the same role (exactly or nearly), or loops
    inside itself."""
    words = [words_of(m.content) for m in d.messages]
    p = d.persona
    topic = frozenset(words_of(" ".join(t for t in (p.thought, p.situation, p.intake_form) if t)))
    for i, m in enumerate(d.messages):
        loop = _loop(m.content, topic)
        if loop is not None:
            return Reason(name="repetition", detail=f"{where(i, m)} {loop}")
        for j in range(i):
            if d.messages[j].role != m.role or min(len(words[i]), len(words[j])) < 6:
                continue
            if words[i] == words[j]:
                return Reason(
                    name="repetition", detail=f"{where(i, m)} repeats turn {j + 1} word for word"
                )
            ratio = SequenceMatcher(None, words[j], words[i], autojunk=False).ratio()
            if ratio >= rules.filters.repeat_similarity:
                return Reason(
                    name="repetition",
                    detail=f"{where(i, m)} repeats turn {j + 1} ({ratio:.0%} the same words)",
                )
    return None


def echo(d: Dialogue, rules: Rules) -> Reason | None:
    """One role copying the other's last turn: most of the utterance is runs of 3+ words taken
    from it, or it reproduces nearly all of a long turn. Quoting a phrase is fine."""
    for i in range(1, len(d.messages)):
        prev, m = d.messages[i - 1], d.messages[i]
        if prev.role == m.role:
            continue
        a, b = words_of(prev.content), words_of(m.content)
        if len(a) < 4 or len(b) < 4:
            continue
        blocks = SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
        copied = sum(blk.size for blk in blocks if blk.size >= 3)
        if (copied >= 4 and copied >= rules.filters.echo_overlap * len(b)) or (
            copied >= 10 and copied >= 0.9 * len(a)
        ):
            return Reason(
                name="echo",
                detail=f"{where(i, m)} copies {copied} of its {len(b)} words from turn {i} "
                f"({prev.role})",
            )
    return None
