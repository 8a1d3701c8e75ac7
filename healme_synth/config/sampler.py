"""The `sampler:` section: declared weights per persona attribute (marginal and conditional),
checked for unknown attributes and values, order, fallbacks and overlapping age bands."""

from __future__ import annotations

import re
from typing import Any, get_args

from pydantic import Field, field_validator, model_validator

from healme_synth.config import instruments
from healme_synth.config.sections import MAX_DIALOGUES, Section
from healme_synth.records import CBT_TECHNIQUES, Attitude, ThinkingTrap

# Sampling order: a conditional may only depend on an attribute that comes earlier.
ORDER: tuple[str, ...] = (
    *("attitude", "thinking_trap", "technique", "age_band", "gender", "occupation"),
    *("receptivity", "phq9", "gad7"),
)


INSTRUMENTS: tuple[str, ...] = ("phq9", "gad7")


Weights = dict[str, dict[str, float]]


class SamplerSection(Section):
    count: int = Field(ge=1, le=MAX_DIALOGUES)
    """Personas to sample."""
    weights: Weights = Field(default_factory=dict)
    """Marginal targets: attribute -> value -> weight (> 0; normalised per attribute)."""
    given: dict[str, dict[str, Weights]] = Field(default_factory=dict)
    """Conditional targets: attribute -> parent attribute -> parent value -> value -> weight.
    A parent value without an entry falls back to the attribute's marginal weights."""

    @field_validator("weights", "given", mode="before")
    @classmethod
    def _string_keys(cls, data: Any) -> Any:
        """YAML reads `receptivity: {1: 1}` with int keys; values are compared as strings."""
        if isinstance(data, dict):
            return {str(k): cls._string_keys(v) for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> SamplerSection:
        for attr, values in self.weights.items():
            _check_values(attr, values, f"weights.{attr}")
        for child, parents in self.given.items():
            _check_given(self, child, parents)
        _check_bands(domain(self, "age_band"))
        return self


def _check_values(attr: str, values: dict[str, float], where: str) -> None:
    """Unknown attributes, values and non-positive weights, each named with what is allowed."""
    if attr not in ORDER:
        raise ValueError(f"weights: unknown attribute {attr!r} (allowed: {', '.join(ORDER)})")
    if not values:
        raise ValueError(f"{where}: no values are weighted")
    allowed = _allowed(attr)
    for value, weight in values.items():
        if not value.strip():
            raise ValueError(f"{where}: a value is empty")
        if allowed is not None and value not in allowed:
            raise ValueError(f"{where}: unknown value {value!r} (allowed: {', '.join(allowed)})")
        if attr == "age_band":
            age_band_bounds(value, where)
        if not 0 < weight < float("inf"):
            raise ValueError(
                f"{where}.{value}: weight is {weight}; weights must be > 0 "
                "(leave a value out instead of weighting it 0)"
            )


def _allowed(attr: str) -> tuple[str, ...] | None:
    """The values an attribute can take; None for free text (gender, occupation, age bands)."""
    if attr in INSTRUMENTS:
        instrument = instruments.get(attr)
        return tuple(b.name for b in instrument.bands) if instrument else ()
    fixed: dict[str, tuple[str, ...]] = {
        "attitude": get_args(Attitude),
        "thinking_trap": get_args(ThinkingTrap),
        "technique": CBT_TECHNIQUES,
        "receptivity": ("1", "2", "3", "4", "5"),
    }
    return fixed.get(attr)


def _check_given(section: SamplerSection, child: str, parents: dict[str, Weights]) -> None:
    """One earlier, sampled parent; tables only for values it takes; a fallback where none."""
    if child not in ORDER:
        raise ValueError(f"given: unknown attribute {child!r} (allowed: {', '.join(ORDER)})")
    if len(parents) != 1:
        raise ValueError(
            f"given.{child}: conditions on {len(parents)} attributes "
            f"({', '.join(parents) or 'none'}); give exactly one parent attribute"
        )
    ((parent, tables),) = parents.items()
    where = f"given.{child}.{parent}"
    if parent not in ORDER:
        raise ValueError(f"{where}: unknown attribute {parent!r} (allowed: {', '.join(ORDER)})")
    if parent not in attributes(section):
        raise ValueError(f"{where}: {parent} is not sampled; give it weights first")
    if ORDER.index(parent) >= ORDER.index(child):
        raise ValueError(
            f"{where}: {parent} is not sampled before {child} "
            f"(order: {', '.join(ORDER)}); a conditional may only depend on an earlier attribute"
        )
    parent_values = domain(section, parent)
    for value, table in tables.items():
        if value not in parent_values:
            raise ValueError(
                f"{where}: {value!r} is not a value {parent} is sampled with "
                f"(values: {', '.join(parent_values)})"
            )
        _check_values(child, table, f"{where}.{value}")
    missing = [v for v in parent_values if v not in tables]
    if missing and child not in section.weights:
        raise ValueError(
            f"{where}: no entry for {', '.join(missing)} and {child} has no marginal weights "
            "to fall back on"
        )


def age_band_bounds(value: str, where: str = "weights.age_band") -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,3})-(\d{1,3})", value)
    low, high = (int(match[1]), int(match[2])) if match else (1, 0)
    if not low <= high <= 120:
        raise ValueError(
            f"{where}: age band {value!r} is not 'A-B' with A <= B <= 120 (e.g. 18-25)"
        )
    return low, high


def _check_bands(bands: list[str]) -> None:
    """Bands may not overlap: `achieved` reads the band back from the age."""
    spans = sorted((*age_band_bounds(b), b) for b in bands)
    for (_, high, name), (low, _, other) in zip(spans, spans[1:], strict=False):
        if low <= high:
            raise ValueError(f"age bands {name!r} and {other!r} overlap; an age must fall in one")


def attributes(section: SamplerSection) -> list[str]:
    """Sampled attributes, in sampling order."""
    return [a for a in ORDER if a in section.weights or a in section.given]


def domain(section: SamplerSection, attr: str) -> list[str]:
    """Every value an attribute can be sampled with: marginal ones first, then conditional ones."""
    values = dict.fromkeys(section.weights.get(attr, {}))
    for tables in section.given.get(attr, {}).values():
        for table in tables.values():
            values.update(dict.fromkeys(table))
    return list(values)
