"""The `filters:` section: which rule filters run and every threshold they use (the one
declaration of each; the filters' rules are derived from it)."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field, model_validator

from healme_synth.config.sections import Section


def _split(words: str) -> frozenset[str]:
    return frozenset(words.split())


# The script(s) each supported language is written in, as the first word of Unicode character
# names (CJK ideographs are named "CJK UNIFIED IDEOGRAPH-...").
LANGUAGE_SCRIPTS: dict[str, frozenset[str]] = {
    **dict.fromkeys(
        _split(
            "en fr de es it pt nl sv da no nb fi is pl cs sk sl hr ro hu tr id ms vi tl sw et lv "
            "lt ga cy ca eu gl af sq"
        ),
        frozenset({"LATIN"}),
    ),
    **dict.fromkeys(_split("ru uk bg be mk kk"), frozenset({"CYRILLIC"})),
    "sr": frozenset({"CYRILLIC", "LATIN"}),
    "el": frozenset({"GREEK"}),
    "zh": frozenset({"CJK"}),
    "ja": frozenset({"CJK", "HIRAGANA", "KATAKANA"}),
    "ko": frozenset({"HANGUL", "CJK"}),
    **dict.fromkeys(_split("ar fa ur"), frozenset({"ARABIC"})),
    "he": frozenset({"HEBREW"}),
    **dict.fromkeys(_split("hi mr ne"), frozenset({"DEVANAGARI"})),
    "bn": frozenset({"BENGALI"}),
    "ta": frozenset({"TAMIL"}),
    "th": frozenset({"THAI"}),
    "ka": frozenset({"GEORGIAN"}),
    "hy": frozenset({"ARMENIAN"}),
}


FilterName = Literal[
    "turn_count",
    "empty_utterance",
    "overlong_utterance",
    "role_flip",
    "role_inversion",
    "template_remnant",
    "truncated",
    "end_marker",
    "stage_direction",
    "language_drift",
    "mojibake",
    "repetition",
    "echo",
    "monologue",
    "premature_close",
    "prompt_leak",
    "seed_leak",
    "off_topic",
]


OFF_BY_DEFAULT: tuple[FilterName, ...] = ("off_topic",)
"""Filters a run enables by naming them. off_topic compares the dialogue with its seed, so
text written without one (scripted replies, test fixtures, placeholder seeds) is off topic
by construction, and its lexical measure catches 94% of the labelled drifts (bench/RESULTS.md):
a user who seeds real dialogues turns it on (`enabled: [..., off_topic]`)."""


class FiltersSection(Section):
    enabled: list[FilterName] = Field(
        default_factory=lambda: [n for n in get_args(FilterName) if n not in OFF_BY_DEFAULT]
    )
    """Filters to run, each giving its own reason; all but OFF_BY_DEFAULT (off_topic) unless
    listed."""
    min_words: int = Field(2, ge=1)
    """An utterance with fewer words is empty for training purposes."""
    max_words: int = Field(220, ge=1)
    """An utterance with more words is overlong (a rant, or a model that did not stop)."""
    min_turns: int | None = Field(None, ge=1)
    """premature_close: fewest turns before the session may end; null means the protocol's
    number of turns (HealMe's sessions have a fixed length)."""
    language: str = "en"
    """language_drift: the dialogues' language (ISO 639-1, e.g. en, fr, ru, zh); letters of
    another script than its own count as drift, and so does an utterance that lingua reads as
    another language."""
    language_min_words: int = Field(10, ge=1)
    """language_drift: fewest words an utterance needs before lingua identifies its language,
    counting only lower-case words (names are left out: one accented name can make lingua
    pick the name's language). Shorter utterances get the script check only: on the labelled
    corpus, English utterances of 6-9 such words were misread (one foreign phrase, or none:
    "volunteer to present at the next team review" read as Tagalog), none of 10 or more."""
    min_language_confidence: float = Field(0.5, gt=0, le=1)
    """language_drift: lingua's confidence (0-1) that an utterance is in `language` below
    which it is drift."""
    max_foreign_share: float = Field(0.02, ge=0, le=1)
    """language_drift: share of an utterance's letters that may be in another script (a name,
    a quoted word); three or more such letters above this share are drift."""
    repeat_similarity: float = Field(0.8, gt=0, le=1)
    """repetition: word-sequence similarity (0-1) at which an utterance repeats an earlier one
    of the same role."""
    echo_overlap: float = Field(0.7, gt=0, le=1)
    """echo: share of an utterance copied, in runs of three or more words, from the other
    role's last turn."""
    max_share: float = Field(0.8, gt=0.5, le=1)
    """monologue: largest share of all words one role may speak."""
    counselor_max_words: int | None = Field(None, ge=1)
    """monologue: word budget of one counselor utterance (e.g. 64 for SQPsych); null: none."""
    client_max_words: int | None = Field(None, ge=1)
    """monologue: word budget of one client utterance (e.g. 128 for SQPsych); null: none."""
    seed_span: int = Field(12, ge=3)
    """seed_leak: this many consecutive words of the persona's situation (or intake form) in a
    client turn are a verbatim copy of the seed."""
    leak_span: int = Field(10, ge=3)
    """prompt_leak: this many consecutive words of a prompt's text in an utterance are a leak."""
    max_off_topic_share: float = Field(0.5, ge=0, lt=1)
    """off_topic: largest share of the client's turns that may be off the seed (share no
    content word, as a crude stem, with its thought, situation or intake form, nor with the
    dialogue's earlier on-topic turns); above it the dialogue is about something else. 0.5
    lets one digression of HealMe's three client turns pass and stops two."""
    counselor_topic_words: int = Field(2, ge=1)
    """off_topic: fewest distinct topic words (the seed's, or the client's on-topic words) in
    all the counselor's turns; with fewer it never addresses the seed (one shared word is
    often chance: "lately" against a seed's "late")."""
    topic_min_words: int = Field(4, ge=1)
    """off_topic: a client turn with fewer content words ("Maybe.", "Yes, I think so.") is not
    judged: it can be on topic without naming it."""

    @model_validator(mode="after")
    def _known_language(self) -> FiltersSection:
        if self.language not in LANGUAGE_SCRIPTS:
            raise ValueError(
                f"filters.language is {self.language!r}, which has no known script "
                f"(known: {', '.join(sorted(LANGUAGE_SCRIPTS))})"
            )
        return self
