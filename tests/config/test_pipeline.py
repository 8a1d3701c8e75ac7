"""Checks that span sections of a pipeline file, and what the file means when a key is left out."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from healme_synth.config import (
    FilterName,
    FiltersSection,
    JudgeSection,
    PipelineConfig,
    SafetySection,
    SessionSection,
)

MODELS = {"m": {"backend": "scripted"}}
ROLES = {"counselor": {"model": "m"}, "client": {"model": "m"}, "judge": {"model": "m"}}


def config(**sections: Any) -> dict[str, Any]:
    return {"seeds": {"files": ["a.yaml"]}, "models": MODELS, "roles": ROLES, **sections}


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as e:
        PipelineConfig.model_validate(data)
    return [str(err["msg"]).removeprefix("Value error, ") for err in e.value.errors()]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            config(roles={"counselor": {"model": "big"}, "client": {"model": "m"}}),
            "roles.counselor.model is 'big', which is not a key of models (known: m)",
        ),
        (
            config(roles={**ROLES, "coach": {"model": "m"}}),
            "unknown role `coach` (roles are counselor, client, judge, and judge_<name> for more "
            "judge models)",
        ),
        (
            config(judges={"ctrs": {"roles": ["judge_big"]}}),
            "judges.ctrs.roles names 'judge_big', which is not a judge role of `roles` (judge "
            "roles there: judge)",
        ),
        (
            config(judges={"ctrs": {"roles": ["judge", "judge"]}}),
            "roles ['judge', 'judge'] names a role twice (use samples: N instead)",
        ),
        (
            {**config(sampler={"count": 4}), "seeds": {"files": ["a.yaml"], "sample": 3}},
            "seeds.sample and sampler.count both say how many personas to draw; keep one",
        ),
        (
            config(judge={}, judges={"ctrs": {}}),
            "give `judges:` or the older `judge:`, not both",
        ),
        (
            {
                **config(safety={"enabled": False}),
                "seeds": {"files": ["a.yaml"], "include_at_risk": True},
            },
            "seeds.include_at_risk needs the safety layer (safety.enabled): at-risk seeds must be "
            "probed and checked, never used as plain seeds",
        ),
        (
            config(safety={"roles": ["counselor"]}),
            "safety.roles names 'counselor', which is not a judge role of `roles` (judge roles "
            "there: judge)",
        ),
        (
            config(safety={"probe_types": {"mania": 0, "plan": 1}}),
            "probe_types: weights must be above 0 (not for mania)",
        ),
        (
            config(session={"min_turns": 12, "max_turns": 8}),
            "min_turns 12 is above max_turns 8: a session cannot be required to run longer than "
            "it may",
        ),
        (
            config(filters={"language": "xx"}),
            "filters.language is 'xx', which has no known script (known: af, ar, be, bg, bn, ca, "
            "cs, cy, da, de, el, en, es, et, eu, fa, fi, fr, ga, gl, he, hi, hr, hu, hy, id, is, "
            "it, ja, ka, kk, ko, lt, lv, mk, mr, ms, nb, ne, nl, no, pl, pt, ro, ru, sk, sl, sq, "
            "sr, sv, sw, ta, th, tl, tr, uk, ur, vi, zh)",
        ),
    ],
)
def test_cross_section_problems_are_named(data: dict[str, Any], message: str) -> None:
    assert problems(data) == [message]


def test_defaults_run_every_filter_and_one_ctrs_judge_on_role_judge() -> None:
    cfg = PipelineConfig.model_validate(config())
    every = list(FilterName.__args__)  # type: ignore[attr-defined]
    assert cfg.filters.enabled == [n for n in every if n != "off_topic"]
    assert len(cfg.filters.enabled) == 17
    assert list(cfg.judges) == ["ctrs"] and cfg.judges["ctrs"].roles == ["judge"]
    assert cfg.judge_roles() == ["judge"]
    assert cfg.safety_roles() == ["judge"]
    assert cfg.session == SessionSection()
    assert cfg.safety.probe_fraction == 0.0
    assert cfg.run.mode == "lockstep" and cfg.run.batch_size == 64


def test_the_older_one_judge_form_is_read_as_judges_ctrs() -> None:
    cfg = PipelineConfig.model_validate(config(judge={"min_mean": 4, "on_missing": "keep"}))
    assert cfg.judge is None
    assert list(cfg.judges) == ["ctrs"]
    assert cfg.judges["ctrs"].min_mean == 4 and cfg.judges["ctrs"].on_missing == "keep"


def test_judge_roles_follow_first_use_and_skip_disabled_judges() -> None:
    roles = {**ROLES, "judge_big": {"model": "m"}, "judge_small": {"model": "m"}}
    cfg = PipelineConfig.model_validate(
        config(
            roles=roles,
            judges={
                "ctrs": {"roles": ["judge_big", "judge"]},
                "healme": {"rubric": "healme", "roles": ["judge_small"], "enabled": False},
            },
            safety={"roles": ["judge_small"]},
        )
    )
    assert list(cfg.active_judges()) == ["ctrs"]
    assert cfg.judge_roles() == ["judge_big", "judge", "judge_small"]
    assert set(cfg.roles.sections()) == {"counselor", "client", "judge", "judge_big", "judge_small"}


def test_a_disabled_safety_layer_has_no_judge_roles_and_no_role_judge_leaves_it_unverified() -> (
    None
):
    off = PipelineConfig.model_validate(config(safety={"enabled": False}))
    assert off.safety_roles() == []
    no_judge = PipelineConfig.model_validate(
        config(roles={"counselor": {"model": "m"}, "client": {"model": "m"}}, judges={})
    )
    assert no_judge.safety_roles() == [] and no_judge.judge_roles() == []


@pytest.mark.parametrize(
    ("section", "data", "field"),
    [
        (FiltersSection, {"max_share": 0.5}, "max_share"),
        (FiltersSection, {"enabled": ["turn_count", "spelling"]}, "enabled"),
        (JudgeSection, {"rubric": "../ctrs"}, "rubric"),
        (SafetySection, {"probe_fraction": 1.5}, "probe_fraction"),
        (SessionSection, {"min_turns": 1}, "min_turns"),
    ],
)
def test_out_of_range_values_are_refused_at_their_field(
    section: type[Any], data: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as e:
        section.model_validate(data)
    assert e.value.errors()[0]["loc"][0] == field
