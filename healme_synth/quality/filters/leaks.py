"""Filters on a turn leaking what the roles were given: instruction wording (prompt_leak) and
the client's own seed, its situation or intake form, recited verbatim (seed_leak)."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache

from healme_synth.quality.filters.rules import Rules
from healme_synth.quality.filters.text import label_hit, ngrams, where, words_of
from healme_synth.records import Dialogue, Reason

# Wording only a model or a prompt produces: AI self-disclosure, chat-template tokens, the
# protocol's own bookkeeping ("exchange 2 of 3").
_LEAK = re.compile(
    r"\bas an? (?:AI|artificial intelligence)(?: (?:language )?model| assistant| chatbot"
    r"| counselor| therapist)?(?=\s*[,.;:!])"
    r"|\bas an? (?:large )?language model\b"
    r"|\bI(?:'m| am) (?:just |only |merely )?an? (?:AI|artificial intelligence"
    r"|(?:large )?language model|chatbot|virtual assistant|computer program)"
    r"(?=\s*[,.;:!]|\s+(?:and|so|but|that|which|without|with|who|trained|developed|created"
    r"|made|designed)\b)"
    r"|\bI(?:'m| am| was| have been) programmed to\b"
    r"|\bsystem prompt\b"
    r"|<\|[a-z_]{2,30}\|>|\[/?INST\]|<</?SYS>>"
    r"|(?m:^\s*#+\s*(?:instruction|response|system)s?\b)"
    r"|\b(?:exchange|round) \d+ of \d+\b"
    # An assistant's voice: talking about the request or the text instead of to the person.
    r"|\b(?:respond|reply) to this (?:request|prompt)\b|\bthe (?:request|prompt) (?:above|below)\b"
    r"|\bhere(?:'s| is) (?:a |an |the |my )?(?:revised|rewritten|improved|sample|possible) "
    r"(?:version|response|reply|dialogue)\b"
    r"|\bin a more (?:professional|formal|casual|empathetic) tone\b"
    r"|\b(?:is there )?anything else I can (?:help|assist) you with\b"
    r"|\bhow (?:can|may) I assist you\b",
    re.IGNORECASE,
)
# A role's own label at a line start is the prompt's transcript format showing through (the
# other role's label is role_flip's business).
_OWN_LABELS = {
    "counselor": ["counselor", "counsellor", "therapist", "assistant"],
    "client": ["client", "patient", "user"],
}
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|\n", re.DOTALL)
_UNIT_WORDS = 6  # an instruction sentence this long, said whole, is a leak


@lru_cache(maxsize=32)
def _instruction_index(
    instructions: tuple[str, ...], n: int
) -> tuple[frozenset[tuple[str, ...]], tuple[tuple[str, ...], ...]]:
    """The instruction texts' n-word runs and their sentences of _UNIT_WORDS+ words."""
    grams: set[tuple[str, ...]] = set()
    units: list[tuple[str, ...]] = []
    for text in instructions:
        for segment in _TAG.split(text):
            grams.update(ngrams(words_of(segment), n))
            for sentence in re.split(r"[.!?;:]", segment):
                unit = tuple(words_of(sentence))
                if len(unit) >= _UNIT_WORDS:
                    units.append(unit)
    return frozenset(grams), tuple(units)


def _instruction_hit(text: str, rules: Rules) -> str | None:
    if not rules.instructions:
        return None
    span = rules.filters.leak_span
    grams, units = _instruction_index(rules.instructions, span)
    words = words_of(text)
    joined = f" {' '.join(words)} "
    for unit in units:
        if f" {' '.join(unit)} " in joined:
            return " ".join(unit)
    for gram in ngrams(words, span):
        if gram in grams:
            return " ".join(gram)
    return None


def prompt_leak(d: Dialogue, rules: Rules) -> Reason | None:
    """Instruction wording in an utterance: AI self-disclosure, chat-template tokens, the
    speaker's own role label at a line start, or a long run of the prompts' text."""
    for i, m in enumerate(d.messages):
        hit = _LEAK.search(m.content)
        if hit is not None:
            return Reason(name="prompt_leak", detail=f"{where(i, m)} contains {hit.group(0)!r}")
        name = d.persona.name
        own = _OWN_LABELS[m.role] + ([name.lower()] if name and m.role == "client" else [])
        label = label_hit(m.content, own, mid_line=False)
        if label is not None:
            return Reason(
                name="prompt_leak",
                detail=f"{where(i, m)} starts a line with its own label {label!r}",
            )
        text = _instruction_hit(m.content, rules)
        if text is not None:
            return Reason(
                name="prompt_leak", detail=f"{where(i, m)} repeats instruction text {text!r}"
            )
    return None


def seed_leak(d: Dialogue, rules: Rules) -> Reason | None:
    """A client reciting its seed (the persona's situation or intake form) verbatim, a long run
    of words, instead of talking about it. Stating the (short) thought is how a HealMe client
    opens, so the thought is not checked."""
    seeds = [
        (field, words_of(text))
        for field, text in (
            ("situation", d.persona.situation),
            ("intake form", d.persona.intake_form),
        )
        if text
    ]
    for i, m in enumerate(d.messages):
        if m.role != "client":
            continue
        words = words_of(m.content)
        for field, seed in seeds:
            match = SequenceMatcher(None, seed, words, autojunk=False).find_longest_match(
                0, len(seed), 0, len(words)
            )
            if match.size >= rules.filters.seed_span:
                return Reason(
                    name="seed_leak",
                    detail=f"{where(i, m)} copies {match.size} consecutive words of the "
                    f"persona's {field}",
                )
    return None
