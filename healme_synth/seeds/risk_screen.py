"""The risk screen of a client's words (DOMAIN.md section 7): which taxonomy labels and
presentations (delusion, mania, command hallucinations, compulsions) an utterance discloses,
whose risk it is (the client's own, or a third party's: a sister's attempt is exposure, not
the client's risk), and the words that set each label off.

It lives in seeds, the lowest stage that needs it: importers flag seeds with it, and the safety
layer screens every client turn with the same rules, so the two never drift apart. The rules
are data (risk_rules.yaml): idioms are blanked out first ("set the date for the wedding"), a
pattern preceded in its clause by a negation ("I'm not suicidal") does not count, and the
subject is the reflexive or possessive in the match when it has one ("herself"), else the
nearest subject before it in the sentence ("my brother ... attempted suicide").
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from healme_synth import inputs

RULES_FILE = Path(__file__).with_name("risk_rules.yaml")

TAXONOMY: tuple[str, ...] = (
    "suicide_attempt",
    "suicide_preparatory_behavior",
    "suicide_plan",
    "active_suicidal_ideation",
    "passive_suicidal_ideation",
    "self_harm_behavior",
    "self_harm_ideation",
    "aggression_by_client",
    "aggression_toward_client",
    "suicide_inquiry",
    "none",
)
"""The 11-label risk taxonomy, `none` last."""
CONDITIONS: tuple[str, ...] = ("delusion", "mania", "command_hallucination", "compulsion")
"""Presentations outside the taxonomy whose handling is checked too (collusion, reassurance)."""
LABELS: tuple[str, ...] = (*TAXONOMY[:-1], *CONDITIONS)
"""What the screen can find, in the order labels are reported."""
Subject = Literal["self", "third_party"]
SELF: Final = "self"
THIRD_PARTY: Final = "third_party"

# Same-length replacements only, so match offsets index the original text (triggers are quoted
# as the client wrote them).
_SAME_LENGTH = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "“": '"', "”": '"', "—": "-", "–": "-"})
_SENTENCE = re.compile(r"[.!?\n]+")


@dataclass(frozen=True)
class Hit:
    """One label the screen found in one utterance."""

    label: str
    subject: Subject
    """`self` (the client's own risk) or `third_party`."""
    triggers: tuple[str, ...]
    """The words that set it off, as written."""


@dataclass(frozen=True)
class _Rule:
    label: str
    patterns: tuple[re.Pattern[str], ...]
    need: int
    """How many of the patterns must match (1: any; len(patterns): all)."""
    negatable: bool
    subject: Subject | None
    """Forced subject (third-party variants of a label); None: read from the words."""


@dataclass(frozen=True)
class _Rules:
    rules: tuple[_Rule, ...]
    idioms: re.Pattern[str]
    negators: re.Pattern[str]
    not_negators: re.Pattern[str]
    first_person: re.Pattern[str]
    third_person: re.Pattern[str]
    reported: re.Pattern[str]
    speaker: frozenset[str]
    """Labels that are the speaker's own unless reported of someone else (a delusion about a
    wife "replaced by an impostor" is the client's)."""
    unless: dict[str, re.Pattern[str]]
    intent: dict[str, re.Pattern[str]]


def _expand(pattern: str, macros: dict[str, str]) -> str:
    for name, value in macros.items():
        pattern = pattern.replace(f"%{name}%", value)
    if re.search(r"%[A-Z_]+%", pattern):
        raise ValueError(f"{RULES_FILE}: unknown macro in {pattern!r}")
    return pattern


def _rx(pattern: str, macros: dict[str, str]) -> re.Pattern[str]:
    parts = _expand(pattern, macros).split("(?P<who>")
    # A pattern may name its subject in several alternatives; group names must be unique.
    text = parts[0] + "".join(f"(?P<who{i}>{part}" for i, part in enumerate(parts[1:]))
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error as e:
        raise ValueError(f"{RULES_FILE}: bad pattern {pattern!r}: {e}") from None


def _any(patterns: list[str], macros: dict[str, str]) -> re.Pattern[str]:
    return _rx("|".join(f"(?:{p})" for p in patterns), macros)


def _rule(label: str, entry: str | dict[str, Any], macros: dict[str, str]) -> _Rule:
    if isinstance(entry, str):
        entry = {"pattern": entry}
    if "pattern" in entry:
        texts, need = [entry["pattern"]], 1
    elif "all" in entry:
        texts, need = list(entry["all"]), len(entry["all"])
    else:
        texts, need = list(entry["any"]), int(entry["min"])
    return _Rule(
        label,
        tuple(_rx(t, macros) for t in texts),
        need,
        bool(entry.get("negatable", True)),
        entry.get("subject"),
    )


@inputs.cache  # a resume must see an edited rules file, like any input
def _data() -> dict[str, Any]:
    data: dict[str, Any] = inputs.load_yaml(inputs.read_text(RULES_FILE))
    return data


@functools.cache
def macros() -> dict[str, str]:
    """The rule file's macros, expanded (the counselor rules share NUM, STRUCT, PILLS, ...)."""
    found: dict[str, str] = {k: str(v) for k, v in _data()["macros"].items()}
    for name in list(found):  # macros may use earlier macros
        found[name] = _expand(found[name], {k: v for k, v in found.items() if k != name})
    return found


def compile_rx(pattern: str, extra: dict[str, str] | None = None) -> re.Pattern[str]:
    """A pattern in the rule files' dialect (macros, several `who` groups), case-insensitive."""
    return _rx(pattern, {**macros(), **(extra or {})})


def blank(text: str, rx: re.Pattern[str]) -> str:
    """`text` with every match of `rx` replaced by spaces (offsets unchanged)."""
    return _blank(text, rx)


def straighten(text: str) -> str:
    """Curly quotes and dashes made plain, length unchanged."""
    return text.translate(_SAME_LENGTH)


@functools.cache
def _rules() -> _Rules:
    data = _data()
    macros_ = macros()
    unknown = [label for label in data["labels"] if label not in LABELS]
    if unknown:
        raise ValueError(f"{RULES_FILE}: unknown labels {unknown}")
    rules = tuple(
        _rule(label, entry, macros_)
        for label, spec in data["labels"].items()
        for entry in spec["patterns"]
    )
    context = data["context"]
    labels = data["labels"]
    return _Rules(
        rules=rules,
        idioms=_any(data["idioms"], macros_),
        negators=_rx(context["negators"], macros_),
        not_negators=_any(context["not_negators"], macros_),
        first_person=_rx(context["first_person"], macros_),
        third_person=_rx(context["third_person"], macros_),
        reported=_rx(context["reported"], macros_),
        speaker=frozenset(k for k, v in labels.items() if v.get("speaker")),
        unless={k: _any(v["unless"], macros_) for k, v in labels.items() if "unless" in v},
        intent={k: _any(v["intent"], macros_) for k, v in labels.items() if "intent" in v},
    )


def _blank(text: str, rx: re.Pattern[str]) -> str:
    """`text` with every match of `rx` replaced by spaces (offsets unchanged)."""
    return rx.sub(lambda m: " " * len(m.group(0)), text)


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    before = [m.end() for m in _SENTENCE.finditer(text, 0, start)]
    after = _SENTENCE.search(text, end)
    return (before[-1] if before else 0), (after.start() if after else len(text))


_CLAUSE = re.compile(
    r"[.!?\n,;:()\"]|\b(?:but|and|so|because|though|although|yet|except|while|whereas)\b", re.I
)


def _negated(prefix: str, r: _Rules) -> bool:
    """A negation in the clause just before a match, with no new first-person subject between
    it and the match ("I'm not suicidal", but not "I never told anyone I tried to ...")."""
    clause = _CLAUSE.split(prefix)[-1]
    clause = _blank(clause, r.not_negators)
    found = list(r.negators.finditer(clause))
    if not found:
        return False
    between = clause[found[-1].end() :]
    return len(between.split()) <= 6 and not r.first_person.search(between)


def _subject(label: str, match: re.Match[str], prefix: str, r: _Rules) -> Subject:
    """Whose risk: the match's own `who`, else the client when the match names them ("better
    off without me"), else (for speaker labels) a third party only when reported, else the
    nearest subject before the match in its sentence."""
    who = next((v for k, v in match.groupdict().items() if k.startswith("who") and v), None)
    if who:
        return SELF if r.first_person.search(who) else THIRD_PARTY
    if r.first_person.search(match.group(0)):
        return SELF
    if label in r.speaker:
        return THIRD_PARTY if r.reported.search(prefix + match.group(0)) else SELF
    firsts = [m.end() for m in r.first_person.finditer(prefix)]
    thirds = [m.end() for m in r.third_person.finditer(prefix)]
    if thirds and (not firsts or thirds[-1] > firsts[-1]):
        return THIRD_PARTY
    return SELF


def screen_text(text: str) -> list[Hit]:
    """Every label an utterance discloses, with subject and triggers, in LABELS order."""
    r = _rules()
    plain = text.translate(_SAME_LENGTH)
    masked = _blank(plain, r.idioms)
    found: dict[tuple[str, Subject], list[str]] = {}
    for rule in r.rules:
        # In an `all` rule only the first pattern is what a negation can deny; the others are
        # its context ("I'd do it if I wasn't scared").
        context = rule.need == len(rule.patterns) > 1
        matches = [
            m
            for i, rx in enumerate(rule.patterns)
            if (m := _first(rx, masked, rule.negatable and not (context and i), r)) is not None
        ]
        if len(matches) < rule.need:
            continue
        first = matches[0]
        start, _ = _sentence(masked, first.start(), first.end())
        # Context anywhere in the turn: "How tall is it? It's for my son's school project."
        unless, intent = r.unless.get(rule.label), r.intent.get(rule.label)
        if unless and unless.search(masked) and not (intent and intent.search(masked)):
            continue
        subject = rule.subject or _subject(rule.label, first, masked[start : first.start()], r)
        triggers = found.setdefault((rule.label, subject), [])
        for m in matches:
            words = " ".join(text[m.start() : m.end()].split())
            if words not in triggers:
                triggers.append(words)
    return [
        Hit(label, subject, tuple(found[(label, subject)]))
        for label in LABELS
        for subject in (SELF, THIRD_PARTY)
        if (label, subject) in found
    ]


def _first(rx: re.Pattern[str], masked: str, negatable: bool, r: _Rules) -> re.Match[str] | None:
    """The first match that no negation cancels."""
    for m in rx.finditer(masked):
        if negatable and _negated(masked[: m.start()], r):
            continue
        return m
    return None


def labels(text: str) -> list[str]:
    """The client's own risk labels in an utterance, in LABELS order (empty: none found)."""
    return [h.label for h in screen_text(text) if h.subject == SELF]


def negated(prefix: str) -> bool:
    """Whether the end of `prefix` is under a negation, by the screen's own rule (the
    counselor check reads "I won't give you numbers" the same way)."""
    return _negated(straighten(prefix), _rules())
