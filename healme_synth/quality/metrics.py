"""Stage 3m: the diversity and artefact numbers the literature reports for a corpus of
dialogues (DOMAIN.md section 9), so a run can be put next to Cactus, MAGneT or CPsyCoun in one
table: distinct-n and EAD, repeated utterances, counselor openers, technique and attitude
entropy, session lengths, words per utterance, end-marker position and reframe uptake.

Tokenizer: lower-cased Unicode words, apostrophes kept inside a word ("don't" is one token),
punctuation dropped (`words_of`, the filters' tokenizer). Distinct-n and EAD fall with corpus
size, so they are pooled over a fixed number of sessions (default 100) sampled under a seed
(the run seed); every other number is over all the dialogues given.
"""

from __future__ import annotations

import math
import random
import statistics
from collections import Counter
from collections.abc import Sequence

from healme_synth.quality.filters.text import ngrams, words_of
from healme_synth.records import Dialogue
from healme_synth.records.metrics import Metrics, Share, Spread

SESSIONS = 100
"""Sessions distinct-n and EAD are pooled over (MAGneT's distinct-1: 0.0121 over 100, 0.0049
over 442: only equal counts compare)."""
EAD_VOCABULARY = 50_000
"""V of EAD. The word tokenizer has no fixed vocabulary, so a fixed English-sized one is used:
what counts is that two corpora are adjusted by the same V."""
OPENER_WORDS = 3
"""A counselor opener is the first three words of its utterance ("it sounds like")."""
TOP_OPENERS = 5


def sample(dialogues: Sequence[Dialogue], sessions: int, seed: int) -> list[Dialogue]:
    """`sessions` dialogues drawn under `seed`, the same whatever order they come in."""
    ordered = sorted(dialogues, key=lambda d: d.id)
    if len(ordered) <= sessions:
        return ordered
    return random.Random(seed).sample(ordered, sessions)


def distinct(utterances: Sequence[list[str]], n: int) -> float | None:
    grams = [g for words in utterances for g in ngrams(words, n)]
    return len(set(grams)) / len(grams) if grams else None


def ead(utterances: Sequence[list[str]], vocabulary: int = EAD_VOCABULARY) -> float | None:
    tokens = [w for words in utterances for w in words]
    if not tokens:
        return None
    expected = vocabulary * (1 - ((vocabulary - 1) / vocabulary) ** len(tokens))
    return len(set(tokens)) / expected


def entropy(counts: Counter[str]) -> float | None:
    total = sum(counts.values())
    if not total:
        return None
    return -sum(c / total * math.log2(c / total) for c in counts.values() if c) + 0.0


def shares(counts: Counter[str], top: int | None = None) -> list[Share]:
    total = sum(counts.values())
    return [Share(value=v, count=c, share=c / total) for v, c in counts.most_common(top)]


def spread(values: Sequence[float]) -> Spread:
    if not values:
        return Spread()
    mode, at = Counter(values).most_common(1)[0]
    return Spread(
        min=min(values),
        median=statistics.median(values),
        mean=statistics.fmean(values),
        max=max(values),
        mode=mode,
        mode_share=at / len(values),
    )


def repeated(dialogues: Sequence[Dialogue]) -> float | None:
    repeats = total = 0
    for d in dialogues:
        seen: set[tuple[str, tuple[str, ...]]] = set()
        for m in d.messages:
            key = (m.role, tuple(words_of(m.content)))
            total += 1
            repeats += key in seen and bool(key[1])
            seen.add(key)
    return repeats / total if total else None


def metrics(dialogues: Sequence[Dialogue], *, sessions: int = SESSIONS, seed: int = 0) -> Metrics:
    """Every number for `dialogues` (kept ones, usually: what a user trains on)."""
    pooled = sample(dialogues, sessions, seed)
    utterances = [words_of(m.content) for d in pooled for m in d.messages]
    openers = Counter(
        " ".join(words[:OPENER_WORDS])
        for d in dialogues
        for m in d.messages
        if m.role == "counselor" and (words := words_of(m.content))
    )
    techniques = Counter(t for d in dialogues if (t := d.technique or d.persona.technique))
    attitudes = Counter[str](d.persona.attitude for d in dialogues)
    by_role: dict[str, list[int]] = {}
    for d in dialogues:
        for m in d.messages:
            by_role.setdefault(m.role, []).append(len(words_of(m.content)))
    marked = [(d.end_marker_at, len(d.messages)) for d in dialogues if d.end_marker_at is not None]
    positions = [(at + 1) / max(length, 1) for at, length in marked]
    uptake = [_client_ordinal(d) for d in dialogues if d.first_reframe_turn is not None]
    return Metrics(
        dialogues=len(dialogues),
        sessions=len(pooled),
        seed=seed,
        distinct_1=distinct(utterances, 1),
        distinct_2=distinct(utterances, 2),
        distinct_3=distinct(utterances, 3),
        ead=ead(utterances),
        repeated_utterances=repeated(dialogues),
        counselor_openers=shares(openers, TOP_OPENERS),
        technique_entropy=entropy(techniques) if techniques else None,
        techniques=shares(techniques),
        attitude_entropy=entropy(attitudes) if attitudes else None,
        attitudes=shares(attitudes),
        turns=spread([len(d.messages) for d in dialogues]),
        words_per_utterance={r: statistics.fmean(w) for r, w in sorted(by_role.items())},
        end_marker_sessions=len(marked),
        end_marker_position=statistics.fmean(positions) if positions else None,
        end_marker_early=sum(1 for at, length in marked if at < length - 1),
        uptake_measured=len(uptake),
        uptake_turn=spread(uptake),
    )


def _client_ordinal(d: Dialogue) -> int:
    """first_reframe_turn is a message index; readers count client utterances from 1."""
    turn = d.first_reframe_turn or 0
    return sum(1 for m in d.messages[: turn + 1] if m.role == "client")
