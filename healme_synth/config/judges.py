"""The `judges:` section: one entry per judge, with its rubric, items, roles, samples and gates."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from healme_synth.config.sections import Section

# A judge's name: used in reasons, the manifest and the `verdicts` column.
JudgeName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]


class JudgeSection(Section):
    """One judge: a rubric and its items, the judge roles that answer and how often, and the
    score gates a judged dialogue must pass (each failing gate is its own reason)."""

    enabled: bool = True
    rubric: str = Field("ctrs", pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    """prompts_dir/judge/<rubric>.yaml (items, scale, anchors) and its request <rubric>.j2:
    ctrs (0-6), healme (0-3) or panas (1-5, before and after)."""
    items: list[str] | None = Field(None, min_length=1)
    """Items to score; null: the rubric's defaults (CTRS: Cactus's six; HealMe: all four).
    PANAS always rates all twenty."""
    roles: list[str] = Field(default_factory=lambda: ["judge"], min_length=1)
    """Judge roles (keys of `roles`) that answer; their samples are pooled into one verdict."""
    samples: int = Field(1, ge=1)
    """Seeded requests per role and dialogue; each sample index gets its own seed."""
    on_missing: Literal["reject", "keep"] = "reject"
    """A dialogue none of whose replies parsed has a missing verdict (never scored 0): reject
    it (`judge_missing`) or keep it."""
    min_mean: float | None = Field(None, ge=0)
    """Reject (`judge_below_min`) when the mean item score is below this."""
    min_items: dict[str, float] = Field(default_factory=dict)
    """Per-item minimums, e.g. {focus: 3}; reject (`judge_item_below_min`) when below."""
    max_spread: float | None = Field(None, ge=0)
    """Reject (`judge_disagreement`) when the samples' scores on an item differ by more
    than this (spread = max - min over the parsed samples)."""
    require_negative_drop: bool = False
    """PANAS: reject (`panas_negative_not_down`) unless negative affect fell."""
    require_positive_rise: bool = False
    """PANAS: reject (`panas_positive_not_up`) unless positive affect rose."""

    @model_validator(mode="after")
    def _distinct_roles(self) -> JudgeSection:
        if len(set(self.roles)) != len(self.roles):
            raise ValueError(f"roles {self.roles} names a role twice (use samples: N instead)")
        return self
