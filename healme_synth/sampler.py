"""Persona sampler for ablations: declared weights per attribute, met by quotas rather than luck.

Each attribute's n slots are split by largest-remainder rounding of n x share (within each parent
value's group for conditional weights), then dealt out by a shuffle seeded from the run seed and
the attribute's name. Achieved shares are therefore within 1/n of the target, identical under the
same seed, and attributes are not correlated by a shared random stream.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from fractions import Fraction
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from healme_synth import questionnaires
from healme_synth.errors import ConfigError
from healme_synth.records import CBT_TECHNIQUES, Attitude, Persona, ThinkingTrap

# Sampling order: a conditional may only depend on an attribute that comes earlier.
ORDER: tuple[str, ...] = (
    *("attitude", "thinking_trap", "technique", "age_band", "gender", "occupation"),
    *("receptivity", "phq9", "gad7"),
)
INSTRUMENTS: tuple[str, ...] = ("phq9", "gad7")
OTHER = "(other)"
"""The value `achieved` counts for a persona whose attribute is unset or outside every band."""

Weights = dict[str, dict[str, float]]


class _Section(BaseModel):
    # Same settings as config.Section; not imported from there because config imports this module.
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class SamplerSection(_Section):
    count: int = Field(ge=1)
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
            _band(value, where)
        if not 0 < weight < float("inf"):
            raise ValueError(
                f"{where}.{value}: weight is {weight}; weights must be > 0 "
                "(leave a value out instead of weighting it 0)"
            )


def _allowed(attr: str) -> tuple[str, ...] | None:
    """The values an attribute can take; None for free text (gender, occupation, age bands)."""
    if attr in INSTRUMENTS:
        instrument = questionnaires.get(attr)
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


def _band(value: str, where: str = "weights.age_band") -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,3})-(\d{1,3})", value)
    low, high = (int(match[1]), int(match[2])) if match else (1, 0)
    if not low <= high <= 120:
        raise ValueError(
            f"{where}: age band {value!r} is not 'A-B' with A <= B <= 120 (e.g. 18-25)"
        )
    return low, high


def _check_bands(bands: list[str]) -> None:
    """Bands may not overlap: `achieved` reads the band back from the age."""
    spans = sorted((*_band(b), b) for b in bands)
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


def check(pool: list[Persona], section: SamplerSection, allow_minors: bool = False) -> None:
    """What only the pool and the seed policy can tell; `validate` reports it before a run."""
    problems = [] if pool else ["the persona pool is empty"]
    if not allow_minors:
        problems += [
            f"age band {b!r} includes ages under 18; personas under 18 are refused by default "
            "(set seeds.allow_minors: true only with a documented reason)"
            for b in domain(section, "age_band")
            if _band(b)[0] < 18
        ]
    problems += [
        f"thinking trap {t!r} is sampled but none of the {len(pool)} pool personas has it"
        for t in domain(section, "thinking_trap")
        if pool and not any(t in p.thinking_traps for p in pool)
    ]
    if problems:
        s = "s" if len(problems) > 1 else ""
        raise ConfigError(
            f"{len(problems)} problem{s} in the sampler: " + "; ".join(problems) + "."
        )


def sample(
    pool: list[Persona], section: SamplerSection, seed: int, allow_minors: bool = False
) -> list[Persona]:
    """`count` personas: base seeds from the pool with the sampled attributes overlaid."""
    check(pool, section, allow_minors)
    slots: list[dict[str, str]] = [{} for _ in range(section.count)]
    for attr in attributes(section):
        rng = _rng(seed, attr)
        for group, weights in _groups(section, attr, slots):
            values = _quota(len(group), weights)
            rng.shuffle(values)
            for i, value in zip(group, values, strict=True):
                slots[i][attr] = value
    bases = _bases(pool, [s.get("thinking_trap") for s in slots], seed)
    return [
        _build(i, base, chosen, seed)
        for i, (base, chosen) in enumerate(zip(bases, slots, strict=True))
    ]


def _rng(seed: int, *parts: str) -> random.Random:
    """A stream per purpose, stable across processes (Python's hash() is salted per process)."""
    digest = hashlib.sha256(":".join((str(seed), *parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _groups(
    section: SamplerSection, attr: str, slots: list[dict[str, str]]
) -> list[tuple[list[int], dict[str, float]]]:
    """(slot indices, weights) per parent value; one group of all slots when unconditional."""
    if attr not in section.given:
        return [(list(range(len(slots))), section.weights[attr])]
    ((parent, tables),) = section.given[attr].items()
    return [
        (group, tables.get(value) or section.weights[attr])
        for value in domain(section, parent)
        if (group := [i for i, s in enumerate(slots) if s[parent] == value])
    ]


def _quota(n: int, weights: dict[str, float]) -> list[str]:
    """Largest-remainder rounding, exact: each value gets the floor or ceiling of n x share."""
    exact = {v: n * share for v, share in _normalised(weights).items()}
    counts = {v: int(q) for v, q in exact.items()}
    # sorted() is stable, so equal remainders go to values in declared order.
    by_remainder = sorted(exact, key=lambda v: exact[v] - counts[v], reverse=True)
    for value in by_remainder[: n - sum(counts.values())]:
        counts[value] += 1
    return [v for v in weights for _ in range(counts[v])]


def _bases(pool: list[Persona], traps: list[str | None], seed: int) -> list[Persona]:
    """Round-robin over a seeded shuffle of the pool personas with each trap: even use."""
    cycles: dict[str | None, list[Persona]] = {}
    used: Counter[str | None] = Counter()
    out: list[Persona] = []
    for trap in traps:
        if trap not in cycles:
            cycles[trap] = [p for p in pool if trap is None or trap in p.thinking_traps]
            _rng(seed, "base", trap or "").shuffle(cycles[trap])
        out.append(cycles[trap][used[trap] % len(cycles[trap])])
        used[trap] += 1
    return out


def _build(i: int, base: Persona, chosen: dict[str, str], seed: int) -> Persona:
    """The base with chosen attributes overlaid; its own stream makes it independent of others."""
    rng = _rng(seed, "persona", str(i))
    data = base.model_dump()
    data.update(id=f"{base.id}~{i:05d}", source=f"sampled from {base.id}")
    for attr in ("attitude", "technique", "gender", "occupation"):
        if attr in chosen:
            data[attr] = chosen[attr]
    if "thinking_trap" in chosen:
        trap = chosen["thinking_trap"]
        # The sampled trap leads; other traps the base thought shows stay after it.
        data["thinking_traps"] = [trap, *(t for t in base.thinking_traps if t != trap)]
    if "age_band" in chosen:
        data["age"] = rng.randint(*_band(chosen["age_band"]))
    if "receptivity" in chosen:
        data["receptivity"] = int(chosen["receptivity"])
    # A name or intake form written for other demographics would contradict the sampled ones:
    # drop them (seeds.expand_intake writes a fitting form; the roles then go without a name).
    if data["gender"] != base.gender:
        data["name"] = None
    if any(data[k] != getattr(base, k) for k in ("gender", "age", "occupation")):
        data["intake_form"] = None
    asked = [name for name in INSTRUMENTS if name in chosen]
    for name in asked:
        answers = questionnaires.answers_for(name, chosen[name], rng)
        kept = [q for q in data["questionnaires"] if _instrument(q["instrument"]) != name]
        data["questionnaires"] = [*kept, {"instrument": name, "answers": answers}]
    if asked:
        data["condition"] = None  # the base's label described other answers; enrich re-derives it
    persona = Persona.model_validate(data)
    return questionnaires.enrich(persona) if asked else persona


def _instrument(name: str) -> str | None:
    found = questionnaires.get(name)
    return found.name if found else None


def targets(section: SamplerSection) -> dict[str, dict[str, float]]:
    """Target shares; a conditional's is implied: sum over parent shares x conditional shares."""
    shares: dict[str, dict[str, Fraction]] = {}
    for attr in attributes(section):
        if attr not in section.given:
            shares[attr] = _normalised(section.weights[attr])
            continue
        ((parent, tables),) = section.given[attr].items()
        implied = dict.fromkeys(domain(section, attr), Fraction(0))
        for value, share in shares[parent].items():
            for v, s in _normalised(tables.get(value) or section.weights[attr]).items():
                implied[v] += share * s
        shares[attr] = implied
    return {a: {v: round(float(s), 4) for v, s in d.items()} for a, d in shares.items()}


def _normalised(weights: dict[str, float]) -> dict[str, Fraction]:
    total = sum(Fraction(w) for w in weights.values())
    return {v: Fraction(w) / total for v, w in weights.items()}


def achieved(personas: list[Persona], section: SamplerSection) -> dict[str, dict[str, float]]:
    """Shares among personas (sampled ones, or only the kept dialogues'), read back from fields."""
    out: dict[str, dict[str, float]] = {}
    for attr in attributes(section):
        counts = Counter(_value(p, attr, section) for p in personas)
        keys = domain(section, attr)
        keys += sorted(k for k in counts if k not in keys)
        out[attr] = {k: round(counts[k] / len(personas), 4) for k in keys} if personas else {}
    return out


def _value(p: Persona, attr: str, section: SamplerSection) -> str:
    """The persona's value of an attribute as the sampler names it; the first trap counts."""
    if attr == "age_band":
        spans = [(b, *_band(b)) for b in domain(section, attr)]
        return next((b for b, lo, hi in spans if p.age is not None and lo <= p.age <= hi), OTHER)
    if attr in INSTRUMENTS:
        found = [q for q in p.questionnaires if _instrument(q.instrument) == attr]
        return questionnaires.severity(found[0]) if found else OTHER
    value: object = {
        "attitude": p.attitude,
        "thinking_trap": p.thinking_traps[0] if p.thinking_traps else None,
        "technique": p.technique,
        "gender": p.gender,
        "occupation": p.occupation,
        "receptivity": p.receptivity,
    }[attr]
    return OTHER if value is None else str(value)


def distribution_report(
    section: SamplerSection, sampled: list[Persona], kept: list[Persona]
) -> dict[str, dict[str, dict[str, float]]]:
    """Target vs achieved shares per attribute, for the run manifest."""
    target, got, survived = targets(section), achieved(sampled, section), achieved(kept, section)
    return {
        a: {"target": target[a], "sampled": got[a], "kept": survived[a]}
        for a in attributes(section)
    }
