"""What the filters check against: the `filters:` section as written, plus what the protocol
fixes. The section is the one declaration of every threshold; Rules adds no threshold of its
own, only the protocol's shape and the texts the roles were shown."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from healme_synth.config import FiltersSection
from healme_synth.records import Role
from healme_synth.roleplay import Protocol


def _unset_section() -> FiltersSection:
    """The section of a run that writes no `filters:`. Validated from an empty mapping because
    mypy, without the pydantic plugin, takes `FiltersSection()` for a call missing arguments."""
    return FiltersSection.model_validate({})


@dataclass(frozen=True)
class Rules:
    """Built once per run by `rules_for`; tests build it directly."""

    turns: int
    """How many turns the protocol produces: exactly (fixed length) or at most (variable)."""
    filters: FiltersSection = field(default_factory=_unset_section)
    """The run's `filters:` section: every threshold the filters use."""
    fixed_length: bool = True
    """False for sessions that end at a marker: fewer turns than `turns` are then fine."""
    end_marker: str | None = None
    """The protocol's end-of-session marker (e.g. "[/END]"), allowed only at the very end of the
    last turn; None means the protocol has none and any end marker is a defect."""
    protocol_min_turns: int | None = None
    """The protocol's fewest turns before the session may close, used when `filters.min_turns`
    is not set; None means `turns` (fixed-length protocols)."""
    word_budget: Mapping[Role, int] = field(default_factory=dict)
    """The protocol's word budget of one utterance per role (e.g. SQPsych's 64 / 128), used
    for a role whose `filters.<role>_max_words` is not set."""
    instructions: tuple[str, ...] = ()
    """Instruction texts the roles saw (system prompts, per-turn guidance). Jinja tags and line
    breaks are treated as breaks, so raw template sources can be passed as they are."""

    @property
    def min_turns(self) -> int:
        """Fewest turns before the session may close: the section's, else the protocol's."""
        if self.filters.min_turns is not None:
            return self.filters.min_turns
        return self.turns if self.protocol_min_turns is None else self.protocol_min_turns

    def max_words_of(self, role: Role) -> int | None:
        """Word budget of one utterance of `role`: the section's, else the protocol's, else
        None (no budget)."""
        configured = {
            "counselor": self.filters.counselor_max_words,
            "client": self.filters.client_max_words,
        }[role]
        return configured or self.word_budget.get(role)


def rules_for(section: FiltersSection, protocol: Protocol, instructions: tuple[str, ...]) -> Rules:
    """The `filters:` section plus what the protocol fixes, as the filters take them."""
    fixed = protocol.rounds is not None
    return Rules(
        turns=protocol.max_turns,
        filters=section,
        fixed_length=fixed,
        end_marker=protocol.end_marker,
        # A fixed-length session closes after exactly its turns; only a variable-length one has
        # a minimum of its own.
        protocol_min_turns=None if fixed else protocol.min_turns,
        word_budget=dict(protocol.word_budget),
        instructions=instructions,
    )
