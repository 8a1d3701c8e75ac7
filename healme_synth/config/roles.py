"""The `roles:` section: the model and sampling settings of counselor, client and judge roles."""

from __future__ import annotations

import re

from pydantic import ConfigDict, Field, model_validator

from healme_synth.config.sections import Section

# Judge roles beyond `judge` (e.g. a second judge model) are spelt judge_<name>.
JUDGE_ROLE = re.compile(r"judge(_[A-Za-z0-9_]+)?")


class RoleSection(Section):
    model: str
    """A key of `models`."""
    temperature: float = Field(0.7, ge=0, le=2)
    top_p: float = Field(0.95, gt=0, le=1)
    max_tokens: int = Field(160, ge=1)
    stop: list[str] = Field(default_factory=list)
    """Strings that end a reply (not included in it), e.g. a blank line for one paragraph."""
    repetition_penalty: float = Field(1.0, gt=0)
    """Above 1 discourages repeating tokens; small models loop without it."""


class RolesSection(Section):
    """counselor and client, plus judge roles: `judge` and any number of `judge_<name>` (e.g.
    another judge model), which judges name in their `roles`."""

    model_config = ConfigDict(extra="allow", use_attribute_docstrings=True)
    __pydantic_extra__: dict[str, RoleSection] = Field(init=False)

    counselor: RoleSection
    client: RoleSection
    judge: RoleSection | None = None

    @model_validator(mode="after")
    def _only_judge_roles_extra(self) -> RolesSection:
        for name in self.__pydantic_extra__ or {}:
            if not JUDGE_ROLE.fullmatch(name):
                raise ValueError(
                    f"unknown role `{name}` (roles are counselor, client, judge, and "
                    "judge_<name> for more judge models)"
                )
        return self

    def sections(self) -> dict[str, RoleSection]:
        """Every role that is set, extra judge roles included."""
        return {name: section for name, section in self if section is not None}
