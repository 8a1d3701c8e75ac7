"""Filters on a turn leaking what the roles were given: instruction wording (prompt_leak) and
the client's own seed, its situation or intake form, recited verbatim (seed_leak)."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache

from healme_synth.quality.filters.rules import Rules
from healme_synth.quality.filters.text import LABELS, label_hit, ngrams, where, words_of
from healme_synth.records import Dialogue, Reason

# Wording only a model or a prompt produces, in either role: AI self-disclosure, chat-template
# tokens, the protocol's own bookkeeping ("exchange 2 of 3"), and an assistant's meta-replies
# about the request or the role-play instead of speech. The counselor's greeting "How can I
# help / assist you today?" is counseling talk, not a leak (Cactus's sessions open with it:
# 19 of 19 such flags were false); from the client it is role_inversion's business.
_AI = r"(?:AI|A\.I\.|artificial intelligence)"
_LEAK = re.compile(
    r"\bas an? " + _AI + r"(?: (?:language )?model| assistant| chatbot"
    r"| counselor| therapist| system| program)?(?=\s*[,.;:!]|\s+(?:I|my|it)\b)"
    r"|\bas an? (?:large )?language model\b"
    r"|\bI(?:'m| am) (?:just |only |merely |simply |actually |not a person, |)?an? "
    r"(?:" + _AI + r"(?: (?:language )?model| assistant| chatbot| system| program| bot)?"
    r"|(?:large )?language model|chatbot|virtual assistant|computer program)"
    r"(?=\s*[,.;:!)—–-]|\s*$|\s+(?:and|so|but|that|which|without|with|who|trained|developed"
    r"|created|made|designed|here|too|myself|not|built|by|from|I)\b)"
    r"|\bI(?:'m| am| was| have been) programmed to\b"
    r"|\bI (?:don't|do not) have (?:personal |real |any )?(?:feelings|emotions|experiences"
    r"|a body|a life)(?: of my own)?(?: (?:or|and) [a-z ]{1,30})?,? (?:like (?:humans|people|you)"
    r"(?: do)?|the way (?:humans|people) do|as an? "
    + _AI
    + r"|since I(?:'m| am) an? "
    + _AI
    + r"|because I(?:'m| am) an? "
    + _AI
    + r")"
    r"|\bI(?:'m| am) not (?:a )?human\b"
    r"|\bsystem prompt\b"
    r"|<\|[a-z_]{2,30}\|>|\[/?INST\]|<</?SYS>>"
    r"|(?m:^\s*#+\s*(?:instruction|response|system)s?\b)"
    r"|\b(?:exchange|round) \d+ of \d+\b"
    # An assistant's voice: talking about the request or the text instead of to the person.
    r"|\b(?:respond|reply) to this (?:request|prompt)\b|\bthe (?:request|prompt) (?:above|below)\b"
    r"|\bhere(?:'s| is| are) (?:a |an |the |my )?(?:revised|rewritten|improved|sample|possible"
    r"|continued|next) (?:version|response|reply|dialogue|turn|message)s?\b"
    r"|\bhere(?:'s| is) (?:the |my |a )?(?:client's|counselor's|counsellor's|therapist's"
    r"|patient's|doctor's) (?:next )?(?:response|reply|turn|message|line|part)\b"
    r"|\bthe (?:client|counselor|therapist|patient)'s (?:next )?(?:response|reply|turn) "
    r"(?:is|would be|could be|might be)\b"
    r"|\b(?:as|playing) the (?:client|patient|counselor|therapist)(?: in this [a-z -]{1,20})?, I"
    r"(?:'ll| will| would| might)\b"
    r"|\b(?:break|breaking|out of|stay in|staying in|step(?:ping)? out of) (?:the |this |my )?"
    r"(?:role-?play|character)\b"
    r"|\bI (?:can(?:'t|not)|am unable to|won't|will not) (?:continue|engage in|take part in"
    r"|participate in|go on with) (?:this|the|that) (?:role-?play|conversation|scenario)\b"
    r"|\b(?:fulfill|fulfil|comply with|complete) (?:this|that|your) request\b"
    r"|\bin a more (?:professional|formal|casual|empathetic) tone\b"
    r"|\b(?:is there )?anything else I can (?:help|assist) you with\b"
    r"|(?:^|[(\[])\s*note:? (?:this|the|my) (?:response|reply|dialogue|conversation|turn)\b",
    re.IGNORECASE,
)
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
        own = LABELS[m.role] + ([name.lower()] if name and m.role == "client" else [])
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
