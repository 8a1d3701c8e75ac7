"""Rubrics as data: prompts/judge/<rubric>.yaml read into a checked model, and the scores model
a judge's reply must validate against.

The same scores model gives the JSON schema that constrains decoding and parses the reply, so
what the engine is asked for and what is accepted cannot drift apart. A reply that does not
parse is None (a missing sample), never a row of 0s.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from healme_synth import inputs
from healme_synth.errors import ConfigError


class RubricItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    anchors: dict[int, str] = Field(default_factory=dict)
    polarity: Literal["positive", "negative"] | None = None
    """Affect items: the mean (positive or negative affect) the item counts toward."""


class Rubric(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    kind: Literal["scale", "affect"] = "scale"
    """scale: one request over the transcript. affect (PANAS): one request from the intake
    alone (before) and one from the intake plus the transcript (after)."""
    system: str
    items: dict[str, RubricItem]
    default_items: list[str] | None = None
    """What a judge scores when its `items` is null; null here: every item."""
    low: int = 0
    high: int = 6
    anchors: dict[int, str] = Field(default_factory=dict)
    """Anchors shared by every item (PANAS's 1-5 scale)."""

    @model_validator(mode="after")
    def _consistent(self) -> Rubric:
        if self.low >= self.high:
            raise ValueError(f"low {self.low} is not below high {self.high}")
        unknown = [i for i in self.default_items or [] if i not in self.items]
        if unknown:
            raise ValueError(f"default_items {unknown} are not items of the rubric")
        if self.kind == "affect":
            poles = {item.polarity for item in self.items.values()}
            if poles != {"positive", "negative"}:
                raise ValueError("an affect rubric needs every item's polarity, both kinds used")
        return self


def load_rubric(prompts_dir: Path, name: str = "ctrs") -> Rubric:
    path = prompts_dir / "judge" / f"{name}.yaml"
    try:
        rubric = Rubric.model_validate(inputs.load_yaml(inputs.read_text(path)))
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the judge rubric ({e.strerror}).") from None
    except (yaml.YAMLError, ValidationError) as e:
        raise ConfigError(f"{path}: not a valid rubric: {e}") from None
    if rubric.name != name:
        raise ConfigError(f"{path}: `name` is {rubric.name!r}; it must be the file's name.")
    return rubric


def verdict_model(rubric: Rubric, items: Sequence[str]) -> type[BaseModel]:
    """The pydantic model a reply must validate against; its JSON schema constrains decoding."""
    return _scores_model(rubric.name, rubric.low, rubric.high, tuple(items))


# Cached on hashable parts (not the Rubric) so every reply of a run reuses one model class.
@functools.cache
def _scores_model(name: str, low: int, high: int, items: tuple[str, ...]) -> type[BaseModel]:
    fields: dict[str, Any] = {item: (int, Field(ge=low, le=high)) for item in items}
    return create_model(
        f"{name.capitalize()}Scores",
        __config__=ConfigDict(extra="forbid", strict=True),  # "5" or true is not a score
        **fields,
    )


def verdict_schema(rubric: Rubric, items: Sequence[str]) -> dict[str, Any]:
    return verdict_model(rubric, items).model_json_schema()


def parse_scores(raw: str, rubric: Rubric, items: Sequence[str]) -> dict[str, int] | None:
    """The item scores of one reply, or None when it does not parse (never 0s)."""
    try:
        scores: dict[str, int] = (
            verdict_model(rubric, items).model_validate(json.loads(raw)).model_dump()
        )
    except (json.JSONDecodeError, ValidationError):
        return None
    return scores
