"""What a session is: a protocol is data, a folder of prompts_dir with protocol.yaml + templates.

Adding a protocol needs no Python: copy a folder, change the YAML and the templates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

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
    counselor_turn: str | None = None
    """Per-round guidance appended to the counselor's latest incoming turn (its view only)."""
    client_turn: str | None = None
    """Per-round guidance appended to the client's latest incoming turn (its view only)."""


class Protocol(_Strict):
    name: str
    description: str
    rounds: int = Field(ge=1)
    """A round is one client turn and one counselor turn."""
    opener: Role = "client"
    end_marker: str | None = None
    """The marker that ends a session early (e.g. "[/END]"); None: fixed length, no marker."""
    templates: ProtocolTemplates

    def turn_order(self) -> list[Role]:
        second: Role = "counselor" if self.opener == "client" else "client"
        return [self.opener, second] * self.rounds

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
            "counselor_turn",
            "client_turn",
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
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
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
