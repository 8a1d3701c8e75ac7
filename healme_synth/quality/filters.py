"""Stage 3a: rule filters. Each is a small pure function Dialogue -> Reason | None.

A reason has a stable name (what the manifest counts and what `filters.enabled` switches, and
what goes in rejected rows); the detail says, for a person, which turn failed and how.

The failure modes are the ones users found in the reference datasets (DOMAIN.md sections 2-3):
end markers mid-dialogue, unfilled placeholders, stage directions, code-switching, role flips,
monologues, repetition loops, clients reusing their intake text, plus what small models add
(echoing the other side, instruction wording, cut-off turns). Thresholds live in `Rules`, so a
run can tune them from the pipeline file.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from healme_synth.config import LANGUAGE_SCRIPTS
from healme_synth.records import Dialogue, Message, Reason


def _split(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Scripts a letter is counted in; letters whose name starts otherwise (ordinal indicators,
# modifier letters, ...) are ignored rather than guessed at.
_SCRIPTS = _split(
    "LATIN GREEK CYRILLIC ARMENIAN HEBREW ARABIC SYRIAC THAANA DEVANAGARI BENGALI GURMUKHI "
    "GUJARATI ORIYA TAMIL TELUGU KANNADA MALAYALAM SINHALA THAI LAO TIBETAN MYANMAR GEORGIAN "
    "HANGUL ETHIOPIC CHEROKEE KHMER MONGOLIAN HIRAGANA KATAKANA BOPOMOFO CJK YI"
)


@dataclass(frozen=True)
class Rules:
    """What the filters check against; built once per run from the protocol and `filters:`."""

    turns: int
    """How many turns the protocol produces: exactly (fixed length) or at most (variable)."""
    fixed_length: bool = True
    """False for sessions that end at a marker: fewer turns than `turns` are then fine."""
    min_words: int = 2
    max_words: int = 220
    min_turns: int | None = None
    """Fewest turns before the session may close; None means `turns` (fixed-length protocols)."""
    end_marker: str | None = None
    """The protocol's end-of-session marker (e.g. "[/END]"), allowed only at the very end of the
    last turn; None means the protocol has none and any end marker is a defect."""
    language: str = "en"
    """The dialogue's language (a key of LANGUAGE_SCRIPTS); letters in other scripts drift."""
    max_foreign_share: float = 0.02
    """Share of an utterance's letters allowed in another script (names, a quoted word)."""
    repeat_similarity: float = 0.8
    """Word-sequence similarity at which an utterance repeats an earlier one of its role."""
    echo_overlap: float = 0.7
    """Share of an utterance copied (in runs of 3+ words) from the other role's last turn."""
    max_share: float = 0.8
    """Largest share of all words one role may speak."""
    counselor_max_words: int | None = None
    """Word budget of one counselor utterance (e.g. 64 in SQPsych); None: no budget."""
    client_max_words: int | None = None
    """Word budget of one client utterance (e.g. 128 in SQPsych); None: no budget."""
    seed_span: int = 12
    """Consecutive words of the persona's situation or intake form a client may not copy."""
    leak_span: int = 10
    """Consecutive words of instruction text that make an utterance a prompt leak."""
    instructions: tuple[str, ...] = ()
    """Instruction texts the roles saw (system prompts, per-turn guidance). Jinja tags and line
    breaks are treated as breaks, so raw template sources can be passed as they are."""


def _where(i: int, m: Message) -> str:
    return f"turn {i + 1} ({m.role})"


_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def _words(text: str) -> list[str]:
    """Lower-cased words without punctuation, so spacing and quotes do not hide a copy."""
    return [w.replace("’", "'") for w in _WORD.findall(text.lower())]


def turn_count(d: Dialogue, rules: Rules) -> Reason | None:
    if not rules.fixed_length:
        if len(d.messages) > rules.turns:
            return Reason(
                name="turn_count",
                detail=f"{len(d.messages)} turns, more than the maximum of {rules.turns}",
            )
        return None
    if len(d.messages) != rules.turns:
        return Reason(name="turn_count", detail=f"{len(d.messages)} turns, expected {rules.turns}")
    return None


def empty_utterance(d: Dialogue, rules: Rules) -> Reason | None:
    for i, m in enumerate(d.messages):
        words = len(m.content.split())
        if words < rules.min_words:
            return Reason(
                name="empty_utterance",
                detail=f"{_where(i, m)} has {words} words, fewer than {rules.min_words}",
            )
    return None


def overlong_utterance(d: Dialogue, rules: Rules) -> Reason | None:
    for i, m in enumerate(d.messages):
        words = len(m.content.split())
        if words > rules.max_words:
            return Reason(
                name="overlong_utterance",
                detail=f"{_where(i, m)} has {words} words, more than {rules.max_words}",
            )
    return None


_LABELS = {
    # Labels that mean the text is now speaking as the *other* role.
    "counselor": ["client", "patient", "user"],
    "client": ["counselor", "therapist", "doctor", "assistant"],
}


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


def _label_hit(text: str, labels: list[str], mid_line: bool) -> str | None:
    start, middle = _label_patterns(tuple(labels))
    hit = start.search(text) or (middle.search(text) if mid_line else None)
    if hit is None:
        return None
    return next(g for g in hit.groups() if g is not None).lower()


def role_flip(d: Dialogue, rules: Rules) -> Reason | None:
    """A line that starts with the other party's label (or the client's name, for the
    counselor), or such a label right after a finished sentence: the model is writing the
    other side of the conversation."""
    for i, m in enumerate(d.messages):
        name = d.persona.name
        labels = _LABELS[m.role] + ([name.lower()] if name and m.role == "counselor" else [])
        label = _label_hit(m.content, labels, mid_line=True)
        if label is not None:
            return Reason(name="role_flip", detail=f"{_where(i, m)} speaks as {label!r}")
    return None


# Unfilled slots a template or a model leaves behind: [Client's Name], [insert date], {name},
# {{ var }}, <name>, [specific situation].
_SLOT_NOUNS = (
    r"name|date|time|day|situation|event|thought|emotion|feeling|strategy|technique|activity"
    r"|place|person|number|location|goal|example|topic|issue|problem|trigger|skill|exercise"
)
_REMNANT = re.compile(
    r"\{\{|\}\}|\{%|%\}"
    r"|\{[A-Za-z_][A-Za-z0-9_ ]{0,30}\}"
    r"|\[(?:insert|your|client|counselor|therapist|patient|name|date|[A-Z][a-z]+'s)[^\]\n]{0,40}\]"
    r"|\[(?:[A-Za-z-]+ ){0,3}(?:" + _SLOT_NOUNS + r")s?\]"
    r"|<(?:name|client|counselor|therapist|date|insert)[a-z_ ]{0,30}>",
    re.IGNORECASE,
)


def template_remnant(d: Dialogue, rules: Rules) -> Reason | None:
    for i, m in enumerate(d.messages):
        hit = _REMNANT.search(m.content)
        if hit:
            return Reason(
                name="template_remnant", detail=f"{_where(i, m)} contains {hit.group(0)!r}"
            )
    return None


# What a turn may end with when it was not cut: sentence punctuation, closing quotes/brackets,
# a dash (speech breaking off), or an emoji / symbol.
_TERMINAL = set(".!?…\"'”’)]»*—–~")


def truncated(d: Dialogue, rules: Rules) -> Reason | None:
    """Cut at the token limit; or, when the engine's finish reason is unknown (imported
    dialogues), ending mid-sentence."""
    for i, m in enumerate(d.messages):
        if m.finish_reason == "length":
            return Reason(name="truncated", detail=f"{_where(i, m)} was cut at the token limit")
        text = m.content.rstrip()
        if m.finish_reason is None and text:
            last = text[-1]
            if last not in _TERMINAL and unicodedata.category(last) not in ("So", "Sk"):
                tail = " ".join(text.split()[-4:])
                return Reason(
                    name="truncated", detail=f"{_where(i, m)} ends mid-sentence: {tail!r}"
                )
    return None


_END = re.compile(r"\[\s*/?\s*END\s*\]|<\s*/?\s*END\s*>|<\|?endoftext\|?>", re.IGNORECASE)


def end_marker(d: Dialogue, rules: Rules) -> Reason | None:
    """An end-of-session marker anywhere but the very end of the last turn (and anywhere at
    all when the protocol has no marker): the dialogue went on after it, or it leaked into
    training text."""
    last = len(d.messages) - 1
    for i, m in enumerate(d.messages):
        text = m.content
        allowed = rules.end_marker
        if allowed and i == last and text.rstrip().endswith(allowed):
            text = text.rstrip()[: -len(allowed)]
        hits = [_END.search(text), re.search(re.escape(allowed), text) if allowed else None]
        found_hits = [h for h in hits if h is not None]
        hit = min(found_hits, key=lambda h: (h.start(), -len(h.group(0)))) if found_hits else None
        if hit is not None:
            found = hit.group(0)
            if not allowed:
                why = "but this protocol has no end marker"
            elif found == allowed:
                why = "before the end"
            else:
                why = f"(this protocol ends with {allowed!r})"
            return Reason(name="end_marker", detail=f"{_where(i, m)} has {found!r} {why}")
    return None


# Stage directions are short bracketed / parenthesised / starred spans that describe an action
# instead of saying something: (pauses), *sighs*, [Keep silent], (smiles warmly).
_STAGE_ACTIONS = _split(
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
_STAGE_MANNER = _split(
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
_PERSONAL = _split("i i'm me my myself you you're your yourself we our us")
_SPANS = re.compile(
    r"\(([^()\n]{1,80})\)|\[([^\[\]\n]{1,80})\]|(?<![\w*])\*([^*\n]{1,80})\*(?![\w*])"
)


def _stage_span(content: str, name: str | None) -> bool:
    text = _SUBJECT.sub("", content.strip())
    if name and text.lower().startswith(name.lower() + " "):
        text = text[len(name) + 1 :]
    words = _words(text)
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
    words = _words(inner)
    return (
        1 <= len(words) <= 12
        and inner[-1:] not in ".!?…"
        and not any(w.isdigit() for w in words)
        and not _PERSONAL & set(words)
    )


def stage_direction(d: Dialogue, rules: Rules) -> Reason | None:
    """Described actions instead of speech ("(pauses)", "*sighs*", "[Keep silent]"), and
    meta-comments standing between sentences ("(Echoed)", "(To add)")."""
    for i, m in enumerate(d.messages):
        for hit in _SPANS.finditer(m.content):
            inner = next(g for g in hit.groups() if g is not None)
            aside = hit.group(0)[0] in "([" and _standalone_aside(m.content, *hit.span())
            if aside or _stage_span(inner, d.persona.name):
                return Reason(
                    name="stage_direction",
                    detail=f"{_where(i, m)} has the stage direction {hit.group(0)!r}",
                )
    return None


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
    expected = LANGUAGE_SCRIPTS[rules.language]
    for i, m in enumerate(d.messages):
        scripts = Counter(s for s in map(_script, m.content) if s is not None)
        letters = sum(scripts.values())
        foreign = {s: n for s, n in scripts.items() if s not in expected}
        count = sum(foreign.values())
        if count >= 3 and count > rules.max_foreign_share * letters:
            top = max(foreign, key=lambda s: foreign[s])
            want = "/".join(sorted(s.title() for s in expected))
            return Reason(
                name="language_drift",
                detail=f"{_where(i, m)} has {count} of {letters} letters in "
                f"{'Han' if top == 'CJK' else top.title()} script, expected {want}",
            )
    return None


def _ngrams(words: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(words[k : k + n]) for k in range(len(words) - n + 1)]


def _loop(text: str) -> str | None:
    """Heavy repetition inside one utterance: a sentence (5+ words) said twice, a 4-word phrase
    three times, or a 3-word phrase four times."""
    seen: set[tuple[str, ...]] = set()
    for sentence in re.split(r"(?<=[.!?…])\s+|\n+", text):
        key = tuple(_words(sentence))
        if len(key) >= 5 and key in seen:
            return f"says {sentence.strip()!r} twice"
        seen.add(key)
    words = _words(text)
    for n, times in ((4, 3), (3, 4)):  # a 4-word phrase 3 times, or a 3-word phrase 4 times
        grams = _ngrams(words, n)
        if grams:
            gram, count = Counter(grams).most_common(1)[0]
            if count >= times:
                return f"loops on {' '.join(gram)!r} ({count} times)"
    return None


def repetition(d: Dialogue, rules: Rules) -> Reason | None:
    """An utterance that repeats an earlier one of the same role (exactly or nearly), or loops
    inside itself."""
    words = [_words(m.content) for m in d.messages]
    for i, m in enumerate(d.messages):
        loop = _loop(m.content)
        if loop is not None:
            return Reason(name="repetition", detail=f"{_where(i, m)} {loop}")
        for j in range(i):
            if d.messages[j].role != m.role or min(len(words[i]), len(words[j])) < 6:
                continue
            if words[i] == words[j]:
                return Reason(
                    name="repetition", detail=f"{_where(i, m)} repeats turn {j + 1} word for word"
                )
            ratio = SequenceMatcher(None, words[j], words[i], autojunk=False).ratio()
            if ratio >= rules.repeat_similarity:
                return Reason(
                    name="repetition",
                    detail=f"{_where(i, m)} repeats turn {j + 1} ({ratio:.0%} the same words)",
                )
    return None


def echo(d: Dialogue, rules: Rules) -> Reason | None:
    """One role copying the other's last turn: most of the utterance is runs of 3+ words taken
    from it, or it reproduces nearly all of a long turn. Quoting a phrase is fine."""
    for i in range(1, len(d.messages)):
        prev, m = d.messages[i - 1], d.messages[i]
        if prev.role == m.role:
            continue
        a, b = _words(prev.content), _words(m.content)
        if len(a) < 4 or len(b) < 4:
            continue
        blocks = SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
        copied = sum(blk.size for blk in blocks if blk.size >= 3)
        if (copied >= 4 and copied >= rules.echo_overlap * len(b)) or (
            copied >= 10 and copied >= 0.9 * len(a)
        ):
            return Reason(
                name="echo",
                detail=f"{_where(i, m)} copies {copied} of its {len(b)} words from turn {i} "
                f"({prev.role})",
            )
    return None


def monologue(d: Dialogue, rules: Rules) -> Reason | None:
    """One role doing nearly all the talking, or one utterance over its role's word budget."""
    budgets = {"counselor": rules.counselor_max_words, "client": rules.client_max_words}
    for i, m in enumerate(d.messages):
        budget = budgets[m.role]
        words = len(m.content.split())
        if budget is not None and words > budget:
            return Reason(
                name="monologue",
                detail=f"{_where(i, m)} has {words} words, over the {m.role} budget of {budget}",
            )
    spoken = Counter[str]()
    for m in d.messages:
        spoken[m.role] += len(m.content.split())
    total = sum(spoken.values())
    if total < 40 or len(d.messages) < 2:
        return None
    role, words = spoken.most_common(1)[0]
    if words > rules.max_share * total:
        return Reason(
            name="monologue",
            detail=f"the {role} speaks {words / total:.0%} of the words, more than "
            f"{rules.max_share:.0%}",
        )
    return None


# Closing formulas; said before the last round they end the session early.
_CLOSE = re.compile(
    r"(?<!say )(?<!said )(?<!saying )(?<!says )(?<!a )(?<!the )(?<!to )"
    r"\b(?:good-?bye|bye(?: for now)?)\b\s*(?:,\s*[\w ]{1,20})?[.!]"
    r"|\bsee you (?:next (?:week|time|session)|soon|then)\b"
    r"|\buntil next (?:time|week|session)\b"
    r"|\b(?:that's|that is|this is) (?:all|it) (?:for|we have time for) "
    r"(?:today|now|this session|this time)\b"
    r"|\b(?:our|this|the) session (?:is (?:over|finished|done|complete)|has (?:ended|finished)"
    r"|ends here)\b"
    r"|\b(?:we're|we are) (?:out of time|done for today)\b"
    r"|\blet(?:'s| us) (?:end|stop|wrap up|close) (?:here|there|for today|the session|our session"
    r"|this session)\b"
    r"|\b(?:end|close|finish) (?:our|the|this) session\b"
    r"|\bthank you for (?:today|the session|this session|today's session)\b",
    re.IGNORECASE,
)


def premature_close(d: Dialogue, rules: Rules) -> Reason | None:
    """The session ends before the protocol's minimum: too few turns, or a farewell in a turn
    before the last round (the dialogue then limps on or stops)."""
    minimum = rules.turns if rules.min_turns is None else rules.min_turns
    for i, m in enumerate(d.messages[: max(minimum - 2, 0)]):
        hit = _CLOSE.search(m.content)
        if hit is not None:
            return Reason(
                name="premature_close",
                detail=f"{_where(i, m)} closes the session ({hit.group(0).strip()!r}) "
                f"before turn {minimum}",
            )
    if len(d.messages) < minimum:
        return Reason(
            name="premature_close",
            detail=f"ended after {len(d.messages)} turns, before the minimum of {minimum}",
        )
    return None


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
            grams.update(_ngrams(_words(segment), n))
            for sentence in re.split(r"[.!?;:]", segment):
                unit = tuple(_words(sentence))
                if len(unit) >= _UNIT_WORDS:
                    units.append(unit)
    return frozenset(grams), tuple(units)


def _instruction_hit(text: str, rules: Rules) -> str | None:
    if not rules.instructions:
        return None
    grams, units = _instruction_index(rules.instructions, rules.leak_span)
    words = _words(text)
    joined = f" {' '.join(words)} "
    for unit in units:
        if f" {' '.join(unit)} " in joined:
            return " ".join(unit)
    for gram in _ngrams(words, rules.leak_span):
        if gram in grams:
            return " ".join(gram)
    return None


def prompt_leak(d: Dialogue, rules: Rules) -> Reason | None:
    """Instruction wording in an utterance: AI self-disclosure, chat-template tokens, the
    speaker's own role label at a line start, or a long run of the prompts' text."""
    for i, m in enumerate(d.messages):
        hit = _LEAK.search(m.content)
        if hit is not None:
            return Reason(name="prompt_leak", detail=f"{_where(i, m)} contains {hit.group(0)!r}")
        name = d.persona.name
        own = _OWN_LABELS[m.role] + ([name.lower()] if name and m.role == "client" else [])
        label = _label_hit(m.content, own, mid_line=False)
        if label is not None:
            return Reason(
                name="prompt_leak",
                detail=f"{_where(i, m)} starts a line with its own label {label!r}",
            )
        text = _instruction_hit(m.content, rules)
        if text is not None:
            return Reason(
                name="prompt_leak", detail=f"{_where(i, m)} repeats instruction text {text!r}"
            )
    return None


def seed_leak(d: Dialogue, rules: Rules) -> Reason | None:
    """A client reciting its seed (the persona's situation or intake form) verbatim, a long run
    of words, instead of talking about it. Stating the (short) thought is how a HealMe client
    opens, so the thought is not checked."""
    seeds = [
        (field, _words(text))
        for field, text in (
            ("situation", d.persona.situation),
            ("intake form", d.persona.intake_form),
        )
        if text
    ]
    for i, m in enumerate(d.messages):
        if m.role != "client":
            continue
        words = _words(m.content)
        for field, seed in seeds:
            match = SequenceMatcher(None, seed, words, autojunk=False).find_longest_match(
                0, len(seed), 0, len(words)
            )
            if match.size >= rules.seed_span:
                return Reason(
                    name="seed_leak",
                    detail=f"{_where(i, m)} copies {match.size} consecutive words of the "
                    f"persona's {field}",
                )
    return None


FILTERS: dict[str, Callable[[Dialogue, Rules], Reason | None]] = {
    "turn_count": turn_count,
    "empty_utterance": empty_utterance,
    "overlong_utterance": overlong_utterance,
    "role_flip": role_flip,
    "template_remnant": template_remnant,
    "truncated": truncated,
    "end_marker": end_marker,
    "stage_direction": stage_direction,
    "language_drift": language_drift,
    "repetition": repetition,
    "echo": echo,
    "monologue": monologue,
    "premature_close": premature_close,
    "prompt_leak": prompt_leak,
    "seed_leak": seed_leak,
}


def check(d: Dialogue, names: list[str], rules: Rules) -> list[Reason]:
    """Every reason the enabled filters find (not only the first), so counts tell the truth."""
    return [r for name in names if (r := FILTERS[name](d, rules)) is not None]
