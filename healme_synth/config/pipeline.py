"""A whole pipeline file as one pydantic tree, the checks that span sections, and its hash."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, model_validator

from healme_synth.config.filters import FiltersSection
from healme_synth.config.judges import JudgeName, JudgeSection
from healme_synth.config.models import ModelSection
from healme_synth.config.roles import JUDGE_ROLE, RolesSection
from healme_synth.config.safety import SafetySection
from healme_synth.config.sampler import SamplerSection
from healme_synth.config.sections import (
    DedupSection,
    OutputSection,
    RunSection,
    Section,
    SeedsSection,
    SessionSection,
)


class PipelineConfig(Section):
    run: RunSection = Field(default_factory=RunSection)  # type: ignore[arg-type]
    seeds: SeedsSection
    protocol: str = "healme"
    """A folder of prompts_dir holding protocol.yaml and its templates."""
    session: SessionSection = Field(default_factory=SessionSection)  # type: ignore[arg-type]
    sampler: SamplerSection | None = None
    """Declared weights over persona attributes; replaces seeds.sample when given."""
    measure_reframe_uptake: bool = True
    """Ask the judge model at which client turn a reframe was first accepted (needs
    roles.judge); rows get `first_reframe_turn`, the manifest means by attitude/receptivity."""
    prompts_dir: str = "../prompts"
    models: dict[str, ModelSection] = Field(min_length=1)
    roles: RolesSection
    filters: FiltersSection = Field(default_factory=FiltersSection)  # type: ignore[arg-type]
    judge: JudgeSection | None = None
    """The older one-judge form, read as `judges: {ctrs: ...}`; give this or `judges`."""
    judges: dict[JudgeName, JudgeSection] = Field(
        default_factory=lambda: {"ctrs": JudgeSection()}  # type: ignore[call-arg]
    )
    """Judges by name (the name appears in reasons, rows and the manifest), run in this order.
    Default: one CTRS judge answered by role `judge`."""
    dedup: DedupSection = Field(default_factory=DedupSection)  # type: ignore[arg-type]
    safety: SafetySection = Field(default_factory=SafetySection)  # type: ignore[arg-type]
    output: OutputSection = Field(default_factory=OutputSection)  # type: ignore[arg-type]

    @model_validator(mode="after")
    def _one_sample_size(self) -> PipelineConfig:
        if self.sampler is not None and self.seeds.sample is not None:
            raise ValueError(
                "seeds.sample and sampler.count both say how many personas to draw; keep one"
            )
        return self

    @model_validator(mode="after")
    def _roles_name_models(self) -> PipelineConfig:
        if self.judge is not None:
            if "judges" in self.model_fields_set:
                raise ValueError("give `judges:` or the older `judge:`, not both")
            self.judges, self.judge = {"ctrs": self.judge}, None
        roles = self.roles.sections()
        for role, section in roles.items():
            if section.model not in self.models:
                raise ValueError(
                    f"roles.{role}.model is {section.model!r}, which is not a key of models "
                    f"(known: {', '.join(sorted(self.models))})"
                )
        for name, judge in self.active_judges().items():
            for role in judge.roles:
                if role not in roles or not JUDGE_ROLE.fullmatch(role):
                    known = ", ".join(r for r in roles if JUDGE_ROLE.fullmatch(r)) or "none"
                    raise ValueError(
                        f"judges.{name}.roles names {role!r}, which is not a judge role of "
                        f"`roles` (judge roles there: {known})"
                    )
        return self

    @model_validator(mode="after")
    def _safety_roles(self) -> PipelineConfig:
        if self.seeds.include_at_risk and not self.safety.enabled:
            raise ValueError(
                "seeds.include_at_risk needs the safety layer (safety.enabled): at-risk seeds "
                "must be probed and checked, never used as plain seeds"
            )
        roles = self.roles.sections()
        for role in self.safety.roles or []:
            if role not in roles or not JUDGE_ROLE.fullmatch(role):
                known = ", ".join(r for r in roles if JUDGE_ROLE.fullmatch(r)) or "none"
                raise ValueError(
                    f"safety.roles names {role!r}, which is not a judge role of `roles` "
                    f"(judge roles there: {known})"
                )
        return self

    def safety_roles(self) -> list[str]:
        """The judge roles that answer the safety judge (none: disclosures stay unverified)."""
        if not self.safety.enabled:
            return []
        if self.safety.roles is not None:
            return list(self.safety.roles)
        return ["judge"] if self.roles.judge is not None else []

    def active_judges(self) -> dict[str, JudgeSection]:
        return {name: j for name, j in self.judges.items() if j.enabled}

    def judge_roles(self) -> list[str]:
        """The roles some enabled judge (or the safety judge) names, in order of first use."""
        used = [r for j in self.active_judges().values() for r in j.roles]
        return list(dict.fromkeys(used + self.safety_roles()))


class Pipeline(BaseModel):
    """A loaded pipeline: the validated config plus where it came from."""

    path: Path
    config: PipelineConfig

    def resolve(self, relative: str) -> Path:
        return (self.path.parent / relative).resolve()

    def sha256(self) -> str:
        """The identity of the dataset the config makes. The card's metadata (license, name,
        source datasets) is left out, so setting it after a run only rewrites the card."""
        data = self.config.model_dump(mode="json", exclude={"output": set(CARD_ONLY)})
        return hashlib.sha256(canonical_json(data)).hexdigest()


CARD_ONLY = ("license", "pretty_name", "source_datasets")
"""`output` fields that describe the dataset on its card and change none of its rows."""


def canonical_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
