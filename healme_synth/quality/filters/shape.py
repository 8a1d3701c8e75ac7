"""Filters on a dialogue's shape: how many turns, how many words per turn and per role, and
whether the session closes before the protocol lets it."""

from __future__ import annotations

import re
from collections import Counter

from healme_synth.quality.filters.rules import Rules
from healme_synth.quality.filters.text import where
from healme_synth.records import Dialogue, Reason


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
    least = rules.filters.min_words
    for i, m in enumerate(d.messages):
        words = len(m.content.split())
        if words < least:
            return Reason(
                name="empty_utterance",
                detail=f"{where(i, m)} has {words} words, fewer than {least}",
            )
    return None


def overlong_utterance(d: Dialogue, rules: Rules) -> Reason | None:
    most = rules.filters.max_words
    for i, m in enumerate(d.messages):
        words = len(m.content.split())
        if words > most:
            return Reason(
                name="overlong_utterance",
                detail=f"{where(i, m)} has {words} words, more than {most}",
            )
    return None


def monologue(d: Dialogue, rules: Rules) -> Reason | None:
    """One role doing nearly all the talking, or one utterance over its role's word budget."""
    for i, m in enumerate(d.messages):
        budget = rules.max_words_of(m.role)
        words = len(m.content.split())
        if budget is not None and words > budget:
            return Reason(
                name="monologue",
                detail=f"{where(i, m)} has {words} words, over the {m.role} budget of {budget}",
            )
    spoken = Counter[str]()
    for m in d.messages:
        spoken[m.role] += len(m.content.split())
    total = sum(spoken.values())
    if total < 40 or len(d.messages) < 2:
        return None
    role, words = spoken.most_common(1)[0]
    max_share = rules.filters.max_share
    if words > max_share * total:
        return Reason(
            name="monologue",
            detail=f"the {role} speaks {words / total:.0%} of the words, more than {max_share:.0%}",
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
    minimum = rules.min_turns
    for i, m in enumerate(d.messages[: max(minimum - 2, 0)]):
        hit = _CLOSE.search(m.content)
        if hit is not None:
            return Reason(
                name="premature_close",
                detail=f"{where(i, m)} closes the session ({hit.group(0).strip()!r}) "
                f"before turn {minimum}",
            )
    if len(d.messages) < minimum:
        return Reason(
            name="premature_close",
            detail=f"ended after {len(d.messages)} turns, before the minimum of {minimum}",
        )
    return None
