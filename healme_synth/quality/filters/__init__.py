"""Rule filters: each gives one played dialogue's defect as a stable reason and detail, or None."""

from __future__ import annotations

from collections.abc import Callable

from healme_synth.quality.filters.copying import echo, repetition
from healme_synth.quality.filters.encoding import mojibake
from healme_synth.quality.filters.inversion import role_inversion
from healme_synth.quality.filters.language import language_drift
from healme_synth.quality.filters.leaks import prompt_leak, seed_leak
from healme_synth.quality.filters.rules import Rules, rules_for
from healme_synth.quality.filters.shape import (
    empty_utterance,
    monologue,
    overlong_utterance,
    premature_close,
    turn_count,
)
from healme_synth.quality.filters.speech import end_marker, role_flip, template_remnant, truncated
from healme_synth.quality.filters.stage import stage_direction
from healme_synth.quality.filters.topic import off_topic, topic
from healme_synth.records import Dialogue, Reason

Filter = Callable[[Dialogue, Rules], Reason | None]

# The reason names: what the manifest counts, what `filters.enabled` switches and what goes in
# rejected rows; in the order of config.FilterName, which is the order reasons are listed in.
FILTERS: dict[str, Filter] = {
    "turn_count": turn_count,
    "empty_utterance": empty_utterance,
    "overlong_utterance": overlong_utterance,
    "role_flip": role_flip,
    "role_inversion": role_inversion,
    "template_remnant": template_remnant,
    "truncated": truncated,
    "end_marker": end_marker,
    "stage_direction": stage_direction,
    "language_drift": language_drift,
    "mojibake": mojibake,
    "repetition": repetition,
    "echo": echo,
    "monologue": monologue,
    "premature_close": premature_close,
    "prompt_leak": prompt_leak,
    "seed_leak": seed_leak,
    "off_topic": off_topic,
}


def check(d: Dialogue, names: list[str], rules: Rules) -> list[Reason]:
    """Every reason the enabled filters find (not only the first), so counts tell the truth."""
    return [r for name in names if (r := FILTERS[name](d, rules)) is not None]


__all__ = [
    "FILTERS",
    "Filter",
    "Rules",
    "check",
    "echo",
    "empty_utterance",
    "end_marker",
    "language_drift",
    "mojibake",
    "monologue",
    "off_topic",
    "overlong_utterance",
    "premature_close",
    "prompt_leak",
    "repetition",
    "role_flip",
    "role_inversion",
    "rules_for",
    "seed_leak",
    "stage_direction",
    "template_remnant",
    "topic",
    "truncated",
    "turn_count",
]
