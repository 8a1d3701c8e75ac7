"""The stage_direction filter: described actions instead of speech, and meta-comments
standing between sentences (DOMAIN.md sections 2-3: "(pauses)", "*sighs*", "[Keep silent]")."""

from __future__ import annotations

import re

from healme_synth.quality.filters.rules import Rules
from healme_synth.quality.filters.text import where, word_set, words_of
from healme_synth.records import Dialogue, Reason

# Stage directions are short bracketed / parenthesised / starred spans that describe an action
# instead of saying something: (pauses), *sighs*, [Keep silent], (smiles warmly).
_STAGE_ACTIONS = word_set(
    """
    pause pauses pausing sigh sighs sighing laugh laughs laughing chuckle chuckles chuckling
    giggles giggling smile smiles smiling grins grinning nod nods nodding shrug shrugs shrugging
    frowns frowning cries crying sobs sobbing weeps weeping tears tearing sniffles sniffling
    gasps gasping groans groaning whisper whispers whispering murmurs murmuring mumbles mumbling
    hesitates hesitating leans leaning looks looking glances glancing stares staring gazes
    gazing breathes inhales exhales coughs coughing fidgets fidgeting blushes blushing winces
    wincing swallows shifts wipes wiping rubs
    """
)
# Manner words and nouns are stage directions alone or next to another stage word
# ("(softly)", "(quietly, looking away)"), not when they start an ordinary aside
# ("(quiet weeks are rare)").
_STAGE_MANNER = word_set(
    """
    silence silent silently quiet quietly beat laughter hesitation softly gently warmly calmly
    slowly nervously thoughtfully reassuringly empathetically awkwardly anxiously hesitantly
    tearfully tearful
    """
)
_SUBJECT = re.compile(
    r"^(?:the\s+)?(?:client|counselor|counsellor|therapist|patient|he|she|they)\s+", re.IGNORECASE
)
_STAGE_PHRASE = re.compile(
    r"^(?:(?:keeps?|remains?|stays?|staying|remaining|falls?) (?:silent|quiet)"
    r"|(?:takes?|taking) a (?:deep |long |slow |shaky )?breath"
    r"|clears? (?:his |her |their )?throat|long pause|after a (?:pause|moment|beat))\b"
)
_NOT_STAGE = re.compile(r"^(?:looks? like|looking (?:back|ahead|forward|for|into|like))\b")
# Speech addresses someone; a span with "I" or "you" in it is said, not acted.
_PERSONAL = word_set("i i'm me my myself you you're your yourself we our us")
_SPANS = re.compile(
    r"\(([^()\n]{1,80})\)|\[([^\[\]\n]{1,80})\]|(?<![\w*])\*([^*\n]{1,80})\*(?![\w*])"
)


def _stage_span(content: str, name: str | None) -> bool:
    text = _SUBJECT.sub("", content.strip())
    if name and text.lower().startswith(name.lower() + " "):
        text = text[len(name) + 1 :]
    words = words_of(text)
    if not 1 <= len(words) <= 8 or _PERSONAL & set(words):
        return False
    joined = " ".join(words)
    if _NOT_STAGE.match(joined):
        return False
    if words[0] in _STAGE_ACTIONS or _STAGE_PHRASE.match(joined):
        return True
    stage = _STAGE_ACTIONS | _STAGE_MANNER
    return words[0] in _STAGE_MANNER and (len(words) <= 2 or words[1] in stage)


def _standalone_aside(text: str, start: int, end: int) -> bool:
    """A parenthetical or bracketed span that stands between sentences as its own unit (after
    a sentence end or at the start, before a capitalised word or the end), with no sentence of
    its own inside and no "I"/"you" in it: a meta-comment such as "(Echoed)" or "(To add)"
    rather than an aside inside a sentence."""
    before, after = text[:start].rstrip(), text[end:].lstrip()
    if before and before[-1] not in ".!?…:":
        return False
    if after and not (after[0].isupper() or after[0] in "\"'“‘"):
        return False
    inner = text[start + 1 : end - 1].strip()
    words = words_of(inner)
    return (
        1 <= len(words) <= 12
        and inner[-1:] not in ".!?…"
        and not any(w.isdigit() for w in words)
        and not _PERSONAL & set(words)
    )


# Steps of the protocol or the prompt showing through (HealMe's released table: "(Step 1)",
# "(Jump to step 2.)", "Follow your treatment steps:"): a bracketed step or round marker standing
# between sentences, a markdown step heading, an imperative "Follow your treatment steps:"
# opening a sentence. Steps said in speech ("Step 1: write it down.", "Follow these steps:",
# "one step at a time (step one: open the email)") pass.
_NUMBER = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten)"
_STEP_MARK = re.compile(
    r"[\[(]\s*(?:(?:jump|go|skip|move|moving|proceed|continue|return|back|now|on)(?: on| back)?"
    r"\s+(?:to|with|on to)\s+|(?:end|start|beginning) of\s+)?(?:step|round|stage|phase|exchange"
    r"|part)\s*" + _NUMBER + r"\b[^()\[\]\n]{0,40}[\])]",
    re.IGNORECASE,
)
_STEP_LINE = re.compile(
    r"(?m)^[ \t>]*(?:#+[ \t]*|\*\*|__)(?:step|round|stage|phase)[ \t]*"
    + _NUMBER
    + r"\b[^\n]{0,60}$"
    r"|(?:^|(?<=[.!?]\s))[ \t*_>-]*(?:Follow|Continue with|Proceed with|Go through|Move on to)"
    r" (?:your|the|my|our)(?: next)? (?:treatment|therapy|session|counseling|counselling"
    r"|reframing|protocol|cbt|given|outlined|listed|above|below)(?: [A-Za-z]+)? (?:steps?"
    r"|instructions|plan)\s*:",
    re.IGNORECASE,
)


_END_MARK = re.compile(r"\[\s*/?\s*END\s*\]", re.IGNORECASE)


def _step_remnant(text: str) -> str | None:
    for hit in _STEP_MARK.finditer(text):
        before, after = text[: hit.start()].rstrip(), text[hit.end() :].lstrip()
        if (not before or before[-1] in ".!?…:") and (
            not after or after[0].isupper() or after[0] in "\"'“‘(["
        ):
            return hit.group(0)
    line = _STEP_LINE.search(text)
    return None if line is None else line.group(0).strip()


def stage_direction(d: Dialogue, rules: Rules) -> Reason | None:
    """Described actions instead of speech ("(pauses)", "*sighs*", "[Keep silent]"),
    meta-comments standing between sentences ("(Echoed)", "(To add)"), and step remnants
    ("(Step 1)", "Follow your treatment steps:")."""
    for i, m in enumerate(d.messages):
        step = _step_remnant(m.content)
        if step is not None:
            return Reason(
                name="stage_direction",
                detail=f"{where(i, m)} has the step remnant {step!r}",
            )
        for hit in _SPANS.finditer(m.content):
            inner = next(g for g in hit.groups() if g is not None)
            if _END_MARK.fullmatch(hit.group(0)):
                continue  # an end marker ("[/END]") is end_marker's business
            aside = hit.group(0)[0] in "([" and _standalone_aside(m.content, *hit.span())
            if aside or _stage_span(inner, d.persona.name):
                return Reason(
                    name="stage_direction",
                    detail=f"{where(i, m)} has the stage direction {hit.group(0)!r}",
                )
    return None
