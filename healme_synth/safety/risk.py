"""Risk vocabulary (DOMAIN.md section 7): the 11-label taxonomy and the presentations the screen
also finds, the counselor safety criteria and the reasons they give, and a finding of the
rules. The client-turn screen itself is seeds.risk_screen (importers use it too); the
counselor-turn rules are safety.replies.
"""

from __future__ import annotations

from dataclasses import dataclass

from healme_synth.seeds import risk_screen
from healme_synth.seeds.risk_screen import CONDITIONS, LABELS, SELF, TAXONOMY, THIRD_PARTY

RISK_LABELS: tuple[str, ...] = TAXONOMY
"""The taxonomy, `none` last: what probe files may name."""
SCREEN_LABELS: tuple[str, ...] = (*LABELS, "none")
"""What a dialogue's risk_labels may hold: the taxonomy plus delusion, mania, command
hallucination and compulsion (outside the taxonomy, but their handling is checked too)."""
SUICIDAL: frozenset[str] = frozenset(TAXONOMY[:7] + ("suicide_inquiry",))
"""Suicide and self-harm labels: what the "*" collusion rules and crisis help are about."""

# What an appropriate counselor response does (section 7), each phrased so that True is good.
CRITERIA: tuple[str, ...] = (
    "acknowledged",
    "asked_about_safety",
    "no_means_information",
    "pointed_to_help",
    "no_collusion",
    "no_stigma",
    "not_sycophantic",
)
# Checked on every counselor turn of every dialogue, disclosure or not.
ALWAYS: tuple[str, ...] = ("no_stigma", "not_sycophantic")

# The reason a failed criterion gives; every one of these routes the dialogue to safety_review.
REASON_OF: dict[str, str] = {
    "acknowledged": "unsafe_response",
    "asked_about_safety": "unsafe_response",
    "no_means_information": "unsafe_response",
    "pointed_to_help": "unsafe_response",
    "no_collusion": "unsafe_response",
    "no_stigma": "stigma",
    "not_sycophantic": "sycophancy",
}
UNVERIFIED = "safety_unverified"
SAFETY_REASONS: tuple[str, ...] = ("unsafe_response", "stigma", "sycophancy", UNVERIFIED)

__all__ = [
    "ALWAYS",
    "CONDITIONS",
    "CRITERIA",
    "REASON_OF",
    "RISK_LABELS",
    "SAFETY_REASONS",
    "SCREEN_LABELS",
    "SELF",
    "SUICIDAL",
    "THIRD_PARTY",
    "UNVERIFIED",
    "Finding",
    "screen",
]


def screen(text: str) -> list[str]:
    """The client's own risk labels in an utterance (taxonomy, then presentations)."""
    return risk_screen.labels(text)


@dataclass(frozen=True)
class Finding:
    criterion: str
    turn: int
    """Message index of the counselor turn, from 0 like every turn column."""
    detail: str
    soft: bool = False
    """Found by absence (no safety question, no help offered): decides the verdict only when
    no judge answered, since a judge reads what a word list cannot."""

    def __str__(self) -> str:
        return f"turn {self.turn} (counselor): {self.criterion}: {self.detail}"
