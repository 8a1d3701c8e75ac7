"""Persona sampler for ablations: declared weights per attribute, met by quotas rather than luck.

Each attribute's n slots are split by largest-remainder rounding of n x share (within each parent
value's group for conditional weights), then dealt out by a shuffle seeded from the run seed and
the attribute's name. Achieved shares are therefore within 1/n of the target, identical under the
same seed, and attributes are not correlated by a shared random stream.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

from healme_synth.config import instruments
from healme_synth.config.sampler import (
    INSTRUMENTS,
    SamplerSection,
    age_band_bounds,
    attributes,
    domain,
)
from healme_synth.errors import ConfigError
from healme_synth.records import Persona
from healme_synth.seeds import questionnaires
from healme_synth.seeds.quota import exact_shares, quota, stream

OTHER = "(other)"
"""The value `achieved` counts for a persona whose attribute is unset or outside every band."""


def check(pool: list[Persona], section: SamplerSection, allow_minors: bool = False) -> None:
    """What only the pool and the seed policy can tell; `validate` reports it before a run."""
    problems = [] if pool else ["the persona pool is empty"]
    if not allow_minors:
        problems += [
            f"age band {b!r} includes ages under 18; personas under 18 are refused by default "
            "(set seeds.allow_minors: true only with a documented reason)"
            for b in domain(section, "age_band")
            if age_band_bounds(b)[0] < 18
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
        rng = stream(seed, attr)
        for group, weights in _groups(section, attr, slots):
            values = quota(len(group), weights)
            rng.shuffle(values)
            for i, value in zip(group, values, strict=True):
                slots[i][attr] = value
    bases = _bases(pool, [s.get("thinking_trap") for s in slots], seed)
    return [
        _build(i, base, chosen, seed)
        for i, (base, chosen) in enumerate(zip(bases, slots, strict=True))
    ]


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


def _bases(pool: list[Persona], traps: list[str | None], seed: int) -> list[Persona]:
    """Round-robin over a seeded shuffle of the pool personas with each trap: even use."""
    cycles: dict[str | None, list[Persona]] = {}
    used: Counter[str | None] = Counter()
    out: list[Persona] = []
    for trap in traps:
        if trap not in cycles:
            cycles[trap] = [p for p in pool if trap is None or trap in p.thinking_traps]
            stream(seed, "base", trap or "").shuffle(cycles[trap])
        out.append(cycles[trap][used[trap] % len(cycles[trap])])
        used[trap] += 1
    return out


def _build(i: int, base: Persona, chosen: dict[str, str], seed: int) -> Persona:
    """The base with chosen attributes overlaid; its own stream makes it independent of others."""
    rng = stream(seed, "persona", str(i))
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
        data["age"] = rng.randint(*age_band_bounds(chosen["age_band"]))
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
    found = instruments.get(name)
    return found.name if found else None


def targets(section: SamplerSection) -> dict[str, dict[str, float]]:
    """Target shares; a conditional's is implied: sum over parent shares x conditional shares."""
    shares: dict[str, dict[str, Fraction]] = {}
    for attr in attributes(section):
        if attr not in section.given:
            shares[attr] = exact_shares(section.weights[attr])
            continue
        ((parent, tables),) = section.given[attr].items()
        implied = dict.fromkeys(domain(section, attr), Fraction(0))
        for value, share in shares[parent].items():
            for v, s in exact_shares(tables.get(value) or section.weights[attr]).items():
                implied[v] += share * s
        shares[attr] = implied
    return {a: {v: round(float(s), 4) for v, s in d.items()} for a, d in shares.items()}


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
        spans = [(b, *age_band_bounds(b)) for b in domain(section, attr)]
        return next((b for b, lo, hi in spans if p.age is not None and lo <= p.age <= hi), OTHER)
    if attr in INSTRUMENTS:
        found = [q for q in p.questionnaires if _instrument(q.instrument) == attr]
        return instruments.severity(found[0]) if found else OTHER
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
