from __future__ import annotations

import collections
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from healme_synth.config import SamplerSection, instruments
from healme_synth.errors import ConfigError
from healme_synth.records import Persona
from healme_synth.seeds import questionnaires
from healme_synth.seeds.bank import load_personas
from healme_synth.seeds.sampler import (
    achieved,
    check,
    distribution_report,
    sample,
    targets,
)
from tests.conftest import ROOT

POOL = load_personas([ROOT / "personas" / "bank.yaml"])
BY_ID = {p.id: p for p in POOL}

WEIGHTS: dict[str, Any] = {
    "attitude": {"positive": 1, "neutral": 2, "negative": 1},
    "thinking_trap": {"catastrophizing": 3, "mind_reading": 1},
    "technique": {"Decatastrophizing": 1, "Alternative Perspective": 1},
    "age_band": {"18-25": 1, "26-40": 2, "41-64": 1, "65-80": 1},
    "gender": {"woman": 1, "man": 1, "nonbinary": 0.2},
    "occupation": {"nurse": 1, "student": 1},
    "receptivity": {1: 1, 3: 1, 5: 1},
    "phq9": {"mild": 1, "moderate": 1, "severe": 1},
    "gad7": {"minimal": 1, "moderate": 1},
}
ALL_ATTRIBUTES = [
    "attitude",
    "thinking_trap",
    "technique",
    "age_band",
    "gender",
    "occupation",
    "receptivity",
    "phq9",
    "gad7",
]
CONDITIONAL: dict[str, Any] = {
    "count": 1000,
    "weights": {
        "attitude": {"positive": 3, "negative": 1},
        "thinking_trap": {"catastrophizing": 3, "mind_reading": 1},
    },
    "given": {
        "thinking_trap": {"attitude": {"negative": {"catastrophizing": 1, "labeling": 1}}},
    },
}


def section(**overrides: Any) -> SamplerSection:
    return SamplerSection.model_validate({"count": 1000, "weights": WEIGHTS, **overrides})


@pytest.fixture(scope="module")
def full() -> list[Persona]:
    return sample(POOL, section(), seed=7)


def test_achieved_shares_are_within_one_slot_of_each_target(full: list[Persona]) -> None:
    target, got = targets(section()), achieved(full, section())
    assert list(got) == ALL_ATTRIBUTES
    for attr, shares in target.items():
        assert list(got[attr]) == list(shares)
        for value, share in shares.items():
            assert abs(got[attr][value] - share) <= 0.03
            # Quotas: within 1/n (0.1 pp) of the exact target, plus the 4-decimal rounding.
            assert abs(got[attr][value] - share) <= 0.001 + 0.00005 + 1e-12
    # Largest remainder: 454.5/454.5/90.9 -> 454/454/90 + the top two remainders (91, then
    # woman before man on a tie, in declared order).
    assert got["gender"] == {"woman": 0.455, "man": 0.454, "nonbinary": 0.091}
    assert got["attitude"] == {"positive": 0.25, "neutral": 0.5, "negative": 0.25}
    assert got["age_band"] == {"18-25": 0.2, "26-40": 0.4, "41-64": 0.2, "65-80": 0.2}
    assert got["receptivity"] == {"1": 0.334, "3": 0.333, "5": 0.333}


def test_same_seed_same_personas_other_seed_others(full: list[Persona]) -> None:
    assert sample(POOL, section(), seed=7) == full
    other = sample(POOL, section(), seed=8)
    assert other != full
    assert achieved(other, section()) == achieved(full, section())


def test_attributes_are_shuffled_independently(full: list[Persona]) -> None:
    # Same weights on two attributes must not give the same slot pattern.
    pairs = collections.Counter((p.technique, p.occupation) for p in full)
    assert len(pairs) == 4
    assert all(200 <= n <= 300 for n in pairs.values())


def test_ids_are_unique_stable_and_name_the_base(full: list[Persona]) -> None:
    assert len({p.id for p in full}) == 1000
    for i, p in enumerate(full):
        base_id, slot = p.id.split("~")
        assert slot == f"{i:05d}"
        assert base_id in BY_ID
        assert p.source == f"sampled from {base_id}"


def test_the_base_seed_has_the_sampled_trap_and_is_used_evenly(full: list[Persona]) -> None:
    for p in full:
        base = BY_ID[p.id.split("~")[0]]
        assert p.thought == base.thought
        assert p.situation == base.situation
        assert p.thinking_traps[0] in base.thinking_traps
    for trap, slots in (("catastrophizing", 750), ("mind_reading", 250)):
        uses = collections.Counter(p.id.split("~")[0] for p in full if p.thinking_traps[0] == trap)
        # Every pool seed showing the trap (6 single-trap ones, plus multi-trap ones) is used,
        # each as often as the others give or take one.
        assert set(uses) == {p.id for p in POOL if trap in p.thinking_traps}
        assert sum(uses.values()) == slots
        assert max(uses.values()) - min(uses.values()) <= 1
    # A multi-trap base keeps its other trap, after the sampled one.
    assert any(p.thinking_traps == ["mind_reading", "all_or_nothing"] for p in full)


def test_ages_lie_in_their_bands_and_overlays_are_set(full: list[Persona]) -> None:
    assert all(p.age is not None and 18 <= p.age <= 80 for p in full)
    assert {p.gender for p in full} == {"woman", "man", "nonbinary"}
    assert {p.occupation for p in full} == {"nurse", "student"}
    assert {p.receptivity for p in full} == {1, 3, 5}
    assert {p.technique for p in full} == {"Decatastrophizing", "Alternative Perspective"}
    ages = collections.Counter(p.age for p in full)
    assert min(ages) == 18 and max(ages) == 80


def test_questionnaire_answers_land_in_the_sampled_band(full: list[Persona]) -> None:
    for p in full:
        assert [q.instrument for q in p.questionnaires] == ["phq9", "gad7"]
        phq, gad = p.questionnaires
        assert len(phq.answers) == 9 and len(gad.answers) == 7
        assert instruments.severity(phq) in {"mild", "moderate", "severe"}
        assert instruments.severity(gad) in {"minimal", "moderate"}
        assert p.condition == questionnaires.condition(p)
        assert phq.answers[8] == 0 and not p.at_risk
    conditions = collections.Counter(p.condition for p in full)
    assert set(conditions) == {"control", "mdd", "gad", "mdd+gad"}


def test_unweighted_attributes_keep_the_base_values() -> None:
    only = SamplerSection.model_validate({"count": 90, "weights": {"attitude": {"negative": 1}}})
    out = sample(POOL, only, seed=1)
    assert len(out) == 90
    # No trap weighted: the whole pool is cycled, each seed used once or twice.
    assert collections.Counter(p.id.split("~")[0] for p in out).most_common(1)[0][1] == 2
    for p in out:
        base = BY_ID[p.id.split("~")[0]]
        assert p.attitude == "negative"
        assert p.model_dump(exclude={"id", "source", "attitude"}) == base.model_dump(
            exclude={"id", "source", "attitude"}
        )


def test_conditional_weights_hold_within_each_parent_group() -> None:
    conditional = SamplerSection.model_validate(CONDITIONAL)
    out = sample(POOL, conditional, seed=3)
    by_attitude = collections.Counter((p.attitude, p.thinking_traps[0]) for p in out)
    # negative: 250 slots split 1:1; positive: 750 slots fall back to the marginal 3:1.
    assert by_attitude == {
        ("negative", "catastrophizing"): 125,
        ("negative", "labeling"): 125,
        ("positive", "catastrophizing"): 563,
        ("positive", "mind_reading"): 187,
    }
    # Implied marginal: catastrophizing .75 x .75 + .25 x .5; mind_reading .75 x .25; ...
    assert targets(conditional) == {
        "attitude": {"positive": 0.75, "negative": 0.25},
        "thinking_trap": {"catastrophizing": 0.6875, "mind_reading": 0.1875, "labeling": 0.125},
    }
    assert achieved(out, conditional)["thinking_trap"] == {
        "catastrophizing": 0.688,
        "mind_reading": 0.187,
        "labeling": 0.125,
    }


def test_a_conditional_child_needs_no_marginal_when_every_parent_value_has_an_entry() -> None:
    data: dict[str, Any] = {
        "count": 10,
        "weights": {"attitude": {"positive": 1, "negative": 1}},
        "given": {
            "technique": {
                "attitude": {
                    "positive": {"Behavior Experiment": 1},
                    "negative": {"Decatastrophizing": 1},
                }
            }
        },
    }
    out = sample(POOL, SamplerSection.model_validate(data), seed=0)
    assert {(p.attitude, p.technique) for p in out} == {
        ("positive", "Behavior Experiment"),
        ("negative", "Decatastrophizing"),
    }


def test_distribution_report_gives_target_sampled_and_kept(full: list[Persona]) -> None:
    report = distribution_report(section(), full, full[:4])
    assert list(report) == ALL_ATTRIBUTES
    assert report["attitude"]["target"] == {"positive": 0.25, "neutral": 0.5, "negative": 0.25}
    assert report["attitude"]["sampled"] == {"positive": 0.25, "neutral": 0.5, "negative": 0.25}
    kept = collections.Counter(p.attitude for p in full[:4])
    assert report["attitude"]["kept"] == {
        a: kept[a] / 4 for a in ("positive", "neutral", "negative")
    }
    assert distribution_report(section(), full, [])["gender"]["kept"] == {}


def test_achieved_reads_pool_personas_back_with_other_for_unknowns() -> None:
    shares = achieved(POOL[:6], section())
    assert shares["attitude"] == {"positive": 0.3333, "neutral": 0.3333, "negative": 0.3333}
    assert shares["thinking_trap"] == {"catastrophizing": 0.0, "mind_reading": 0.0, "labeling": 1.0}
    assert shares["phq9"] == {"mild": 0.0, "moderate": 0.0, "severe": 0.0, "(other)": 1.0}


def test_yaml_shape_loads_with_integer_receptivity_keys() -> None:
    text = """
count: 12
weights:
  receptivity: {1: 1, 5: 3}
  age_band: {"18-25": 1}
"""
    loaded = SamplerSection.model_validate(yaml.safe_load(text))
    assert loaded.weights["receptivity"] == {"1": 1.0, "5": 3.0}
    out = sample(POOL, loaded, seed=0)
    assert collections.Counter(p.receptivity for p in out) == {5: 9, 1: 3}
    assert all(p.age is not None and 18 <= p.age <= 25 for p in out)


def test_a_trap_without_a_seed_in_the_pool_is_named() -> None:
    pool = [p for p in POOL if "labeling" not in p.thinking_traps]
    conditional = SamplerSection.model_validate(CONDITIONAL)
    message = (
        "1 problem in the sampler: thinking trap 'labeling' is sampled but none of the 54 pool "
        "personas has it."
    )
    with pytest.raises(ConfigError) as e:
        check(pool, conditional)
    assert str(e.value) == message
    with pytest.raises(ConfigError) as e:
        sample(pool, conditional, seed=0)
    assert str(e.value) == message


def test_minor_age_bands_are_refused_unless_allowed() -> None:
    minors = section(count=20, weights={"age_band": {"16-17": 1, "18-25": 1}})
    with pytest.raises(ConfigError) as e:
        sample(POOL, minors, seed=0)
    assert str(e.value) == (
        "1 problem in the sampler: age band '16-17' includes ages under 18; personas under 18 "
        "are refused by default (set seeds.allow_minors: true only with a documented reason)."
    )
    out = sample(POOL, minors, seed=0, allow_minors=True)
    assert sorted(p.age is not None and p.age < 18 for p in out) == [False] * 10 + [True] * 10
    with pytest.raises(ConfigError) as e:
        check([], minors)
    assert str(e.value).startswith("2 problems in the sampler: the persona pool is empty; age")


ALLOWED = (
    "allowed: attitude, thinking_trap, technique, age_band, gender, occupation, receptivity, "
    "phq9, gad7"
)
TRAPS = (
    "labeling, mind_reading, fortune_telling, catastrophizing, all_or_nothing, "
    "overgeneralization, discounting_the_positive, should_statements, personalization, "
    "mental_filtering"
)
BASE = {"attitude": {"positive": 1, "negative": 1}}


@pytest.mark.parametrize(
    ("weights", "given", "message"),
    [
        ({"mood": {"low": 1}}, {}, f"weights: unknown attribute 'mood' ({ALLOWED})"),
        (
            {"attitude": {"happy": 1}},
            {},
            "weights.attitude: unknown value 'happy' (allowed: positive, neutral, negative)",
        ),
        (
            {"thinking_trap": {"doom": 1}},
            {},
            f"weights.thinking_trap: unknown value 'doom' (allowed: {TRAPS})",
        ),
        (
            {"phq9": {"extreme": 1}},
            {},
            "weights.phq9: unknown value 'extreme' (allowed: minimal, mild, moderate, "
            "moderately_severe, severe)",
        ),
        (
            {"receptivity": {6: 1}},
            {},
            "weights.receptivity: unknown value '6' (allowed: 1, 2, 3, 4, 5)",
        ),
        (
            {"attitude": {"positive": 0}},
            {},
            "weights.attitude.positive: weight is 0.0; weights must be > 0 "
            "(leave a value out instead of weighting it 0)",
        ),
        (
            {"gender": {"woman": -1}},
            {},
            "weights.gender.woman: weight is -1.0; weights must be > 0 "
            "(leave a value out instead of weighting it 0)",
        ),
        ({"occupation": {}}, {}, "weights.occupation: no values are weighted"),
        (
            {"age_band": {"18to25": 1}},
            {},
            "weights.age_band: age band '18to25' is not 'A-B' with A <= B <= 120 (e.g. 18-25)",
        ),
        (
            {"age_band": {"40-30": 1}},
            {},
            "weights.age_band: age band '40-30' is not 'A-B' with A <= B <= 120 (e.g. 18-25)",
        ),
        (
            {"age_band": {"18-130": 1}},
            {},
            "weights.age_band: age band '18-130' is not 'A-B' with A <= B <= 120 (e.g. 18-25)",
        ),
        (
            {"age_band": {"18-30": 1, "25-40": 1}},
            {},
            "age bands '18-30' and '25-40' overlap; an age must fall in one",
        ),
        (
            BASE,
            {"mood": {"attitude": {"positive": {"x": 1}}}},
            f"given: unknown attribute 'mood' ({ALLOWED})",
        ),
        (
            BASE,
            {"technique": {"gender": {"woman": {"Reality Testing": 1}}}},
            "given.technique.gender: gender is not sampled; give it weights first",
        ),
        (
            {**BASE, "technique": {"Reality Testing": 1}},
            {"attitude": {"technique": {"Reality Testing": {"positive": 1}}}},
            "given.attitude.technique: technique is not sampled before attitude (order: "
            "attitude, thinking_trap, technique, age_band, gender, occupation, receptivity, "
            "phq9, gad7); a conditional may only depend on an earlier attribute",
        ),
        (
            BASE,
            {"technique": {"attitude": {"neutral": {"Reality Testing": 1}}}},
            "given.technique.attitude: 'neutral' is not a value attitude is sampled with "
            "(values: positive, negative)",
        ),
        (
            BASE,
            {"technique": {"attitude": {"positive": {"Reality Testing": 1}}}},
            "given.technique.attitude: no entry for negative and technique has no marginal "
            "weights to fall back on",
        ),
        (
            BASE,
            {"technique": {"attitude": {"positive": {"Mindfulness": 1}}}},
            "given.technique.attitude.positive: unknown value 'Mindfulness' (allowed: "
            "Efficiency Evaluation, Pie Chart Technique, Alternative Perspective, "
            "Decatastrophizing, Pros and Cons Analysis, Evidence-Based Questioning, Reality "
            "Testing, Continuum Technique, Changing Rules to Wishes, Behavior Experiment, "
            "Problem-Solving Skills Training, Systematic Exposure)",
        ),
        (
            {**BASE, "gender": {"man": 1}},
            {"technique": {"attitude": {}, "gender": {}}},
            "given.technique: conditions on 2 attributes (attitude, gender); give exactly one "
            "parent attribute",
        ),
    ],
)
def test_config_problems_are_named(
    weights: dict[str, Any], given: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError) as e:
        SamplerSection.model_validate({"count": 5, "weights": weights, "given": given})
    assert [err["msg"] for err in e.value.errors()] == [f"Value error, {message}"]


def test_unknown_keys_and_a_missing_count_are_refused() -> None:
    with pytest.raises(ValidationError) as e:
        SamplerSection.model_validate({"count": 0, "weight": {}})
    assert [(err["loc"], err["type"]) for err in e.value.errors()] == [
        (("count",), "greater_than_equal"),
        (("weight",), "extra_forbidden"),
    ]
