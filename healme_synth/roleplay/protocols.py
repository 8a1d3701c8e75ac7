"""What a session is: a protocol is data, a folder of prompts_dir with protocol.yaml + templates.

Adding a protocol needs no Python: copy a folder, change the YAML and the templates.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from healme_synth import inputs
from healme_synth.errors import ConfigError
from healme_synth.records import Role


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class ProtocolTemplates(_Strict):
    """Template files, relative to the protocol's folder."""

    counselor_system: str
    """The counselor's system prompt: stable for the whole session, so the prefix caches."""
    client_system: str
    """The client's system prompt: the persona and how to play it."""
    training_system: str
    """The system message stored in each row's `messages` (what the trained model will see)."""
    client_opening: str | None = None
    """When the client opens: the line the client answers first (client's view only)."""
    counselor_opening: str | None = None
    """When the counselor opens: the cue it answers first (counselor's view only)."""
    counselor_turn: str | None = None
    """Per-round guidance appended to the counselor's latest incoming turn (its view only)."""
    client_turn: str | None = None
    """Per-round guidance appended to the client's latest incoming turn (its view only)."""
    planner_system: str | None = None
    """The hidden planning call's system prompt (needs `planning`)."""
    planner: str | None = None
    """The hidden planning call's request: the seed in, a technique and a plan out."""


class Turns(_Strict):
    """Bounds of a variable-length session, in utterances (one role speaking once)."""

    min: int = Field(ge=2)
    """The end marker counts only from this utterance on; earlier ones are removed."""
    max: int = Field(ge=2)
    """The session stops here whether or not anyone ended it."""

    @model_validator(mode="after")
    def _ordered(self) -> Turns:
        if self.min > self.max:
            raise ValueError(f"turns.min {self.min} is above turns.max {self.max}")
        return self


class Planning(_Strict):
    """A hidden call before the session: pick a CBT technique and write a plan that only the
    counselor sees (Cactus). The reply is JSON constrained by structured outputs."""

    max_tokens: int = Field(320, ge=16)
    plan_chars: tuple[int, int] = (40, 900)
    """Shortest and longest plan text accepted; outside it the dialogue is rejected unplayed."""


SeedField = Literal["situation", "intake_form", "questionnaires", "report", "emotions"]


class Protocol(_Strict):
    name: str
    description: str
    rounds: int | None = Field(None, ge=1)
    """Fixed length: a round is one turn of each role. Give either rounds or turns."""
    turns: Turns | None = None
    """Variable length: the session ends at the end marker or at turns.max."""
    opener: Role = "client"
    end_marker: str | None = None
    """The marker that ends a variable-length session (e.g. "[/END]"); stripped from the stored
    text, its position kept in `end_marker_at`."""
    ender: Role | Literal["either"] = "client"
    """Who may end the session with the marker; a marker from the other role is removed."""
    word_budget: dict[Role, int] = Field(default_factory=dict)
    """Most words per utterance for each role: shown to the roles and enforced by the
    monologue filter unless `filters` sets its own."""
    requires: list[SeedField] = Field(default_factory=list)
    """Persona fields every seed must fill for this protocol (checked before a run)."""
    planning: Planning | None = None
    templates: ProtocolTemplates

    @model_validator(mode="after")
    def _length(self) -> Protocol:
        if (self.rounds is None) == (self.turns is None):
            raise ValueError("give exactly one of `rounds` (fixed length) or `turns` (min/max)")
        if self.turns is not None and not self.end_marker:
            raise ValueError("a variable-length protocol (`turns`) needs an `end_marker`")
        if self.rounds is not None and self.end_marker:
            raise ValueError("a fixed-length protocol (`rounds`) cannot have an `end_marker`")
        if self.planning is not None and not (
            self.templates.planner and self.templates.planner_system
        ):
            raise ValueError("`planning` needs templates.planner and templates.planner_system")
        return self

    @property
    def min_turns(self) -> int:
        return self.turns.min if self.turns is not None else 2 * (self.rounds or 0)

    @property
    def max_turns(self) -> int:
        return self.turns.max if self.turns is not None else 2 * (self.rounds or 0)

    def with_turns(self, min_turns: int | None, max_turns: int | None) -> Protocol:
        """The protocol with the pipeline's `session:` bounds; contradictions are refused."""
        if min_turns is None and max_turns is None:
            return self
        if self.turns is None:
            raise ConfigError(
                f"session.min_turns/max_turns: protocol {self.name!r} has a fixed length "
                f"({self.rounds} rounds); only variable-length protocols take turn bounds."
            )
        low = self.turns.min if min_turns is None else min_turns
        high = self.turns.max if max_turns is None else max_turns
        if low > high:
            raise ConfigError(
                f"session: min_turns {low} is above max_turns {high} (protocol {self.name!r} "
                f"allows {self.turns.min}-{self.turns.max}); a session cannot be required to "
                "run longer than it may."
            )
        return self.model_copy(update={"turns": Turns(min=low, max=high)})

    def turn_order(self) -> list[Role]:
        """Who speaks at each utterance, up to the longest session allowed."""
        second: Role = "counselor" if self.opener == "client" else "client"
        return [self.opener if i % 2 == 0 else second for i in range(self.max_turns)]

    def may_end(self, speaker: Role, turn: int) -> bool:
        """Whether an end marker in utterance `turn` (from 0) ends the session."""
        return (
            self.end_marker is not None
            and turn + 1 >= self.min_turns
            and (self.ender in ("either", speaker))
        )

    def round_of(self, turn: int) -> int:
        """Rounds count from 1; turn counts from 0."""
        return turn // 2 + 1

    def template(
        self,
        field: Literal[
            "counselor_system",
            "client_system",
            "training_system",
            "client_opening",
            "counselor_opening",
            "counselor_turn",
            "client_turn",
            "planner_system",
            "planner",
        ],
    ) -> str | None:
        """The template's name for the jinja loader (relative to prompts_dir)."""
        name = getattr(self.templates, field)
        return None if name is None else f"{self.name}/{name}"


def load_protocol(prompts_dir: Path, name: str) -> Protocol:
    path = prompts_dir / name / "protocol.yaml"
    if not path.is_file():
        known = ", ".join(available_protocols(prompts_dir)) or "none"
        raise ConfigError(
            f"protocol {name!r}: {path} does not exist (protocols in {prompts_dir}: {known})."
        )
    try:
        data = inputs.load_yaml(inputs.read_text(path))
        protocol = Protocol.model_validate(data)
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from None
    except ValidationError as e:
        problems = "; ".join(
            f"`{'.'.join(str(p) for p in err['loc'])}`: {err['msg']}" for err in e.errors()
        )
        raise ConfigError(f"{path}: {problems}.") from None
    if protocol.name != name:
        raise ConfigError(f"{path}: name is {protocol.name!r} but the folder is {name!r}.")
    return protocol


def available_protocols(prompts_dir: Path) -> list[str]:
    return sorted(p.parent.name for p in prompts_dir.glob("*/protocol.yaml"))


def strip_end_marker(text: str, marker: str, ends: bool) -> tuple[str, bool]:
    """(text without the marker, whether it was there). When the marker `ends` the session,
    the utterance stops at its first occurrence; otherwise every occurrence is removed and the
    words around it stay."""
    if marker not in text:
        return text, False
    if ends:
        return text[: text.index(marker)].rstrip(), True
    return re.sub(rf"[ \t]*{re.escape(marker)}[ \t]*", " ", text).strip(), True
