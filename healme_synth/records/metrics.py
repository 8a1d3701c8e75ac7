"""Diversity and artefact numbers of a corpus of dialogues, as the manifest, card and `metrics`
command carry them (computed by quality.metrics)."""

from __future__ import annotations

from pydantic import Field

from healme_synth.records.base import Record

TOKENIZER = "lower-cased Unicode words, apostrophes kept, punctuation dropped"


class Spread(Record):
    """A distribution of counts over dialogues."""

    min: float | None = None
    median: float | None = None
    mean: float | None = None
    max: float | None = None
    mode: float | None = None
    """The most common value, and the share of dialogues at it (MAGneT: every session 42)."""
    mode_share: float | None = None


class Share(Record):
    value: str
    count: int
    share: float


class Metrics(Record):
    """What `metrics(...)` reports. Shares are 0-1, entropies in bits; None where the corpus
    has nothing to measure (no technique, no end marker, no uptake reading)."""

    dialogues: int
    sessions: int
    """Sessions distinct-n and EAD were pooled over (all when fewer than asked)."""
    seed: int
    tokenizer: str = TOKENIZER
    distinct_1: float | None = None
    distinct_2: float | None = None
    distinct_3: float | None = None
    ead: float | None = None
    """Expectation-adjusted distinct unigrams: unique / (V * (1 - ((V - 1) / V) ** C))."""
    repeated_utterances: float | None = None
    """Share of utterances that say word for word what an earlier one of the same role in the
    same session said (MAGneT: 8%)."""
    counselor_openers: list[Share] = Field(default_factory=list)
    """The most frequent first three words of counselor utterances, with their share."""
    technique_entropy: float | None = None
    techniques: list[Share] = Field(default_factory=list)
    attitude_entropy: float | None = None
    attitudes: list[Share] = Field(default_factory=list)
    turns: Spread = Field(default_factory=Spread)
    """Utterances per session."""
    words_per_utterance: dict[str, float] = Field(default_factory=dict)
    """Mean words per utterance, per role."""
    end_marker_sessions: int = 0
    """Sessions with an end marker."""
    end_marker_position: float | None = None
    """Mean position of the end marker, as (index + 1) / utterances: 1 = the last utterance."""
    end_marker_early: int = 0
    """Sessions whose marker came before the last utterance (the session went on after it)."""
    uptake_measured: int = 0
    uptake_turn: Spread = Field(default_factory=Spread)
    """Client utterance (from 1) that first accepted a reframe, over sessions where one did."""
