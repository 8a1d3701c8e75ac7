"""The judges without an engine: the shipped rubrics, the judges config, parsing (a bad reply is
missing, never 0), pooling samples across seeds and judge models, PANAS before/after, every
score gate's exact reason, the summary, a whole scripted run, and `healme-synth judge`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from healme_synth import pipeline
from healme_synth.backends import GenParams
from healme_synth.backends.requests import turn_seed
from healme_synth.backends.scripted import ScriptedBackend
from healme_synth.config import JudgeSection, RoleSection, load_pipeline
from healme_synth.errors import ConfigError
from healme_synth.prompts import Prompts
from healme_synth.quality.judges import (
    Judge,
    gate,
    judge,
    judge_request,
    load_judges,
    load_rubric,
    parse_scores,
    summarize,
    verdict_schema,
)
from healme_synth.records import AffectSummary, ItemSummary, Reason, Sample, Tokens, Verdict
from tests.conftest import cli, scripted_config
from tests.helpers import CLEAN_TURNS, dialogue, persona

ROOT = Path(__file__).resolve().parents[2]
PROMPTS = Prompts(ROOT / "prompts")
RUBRIC = load_rubric(ROOT / "prompts")
ITEMS = ["understanding", "focus"]
POSITIVE = [
    "interested",
    "excited",
    "strong",
    "enthusiastic",
    "proud",
    "alert",
    "inspired",
    "determined",
    "attentive",
    "active",
]
NEGATIVE = [
    "distressed",
    "upset",
    "guilty",
    "scared",
    "hostile",
    "irritable",
    "ashamed",
    "nervous",
    "jittery",
    "afraid",
]
GARBAGE = "I think the counselor was quite good overall."


def make_judge(rubric: str = "ctrs", name: str | None = None, **spec: Any) -> Judge:
    return load_judges(ROOT / "prompts", {name or rubric: JudgeSection(rubric=rubric, **spec)})[0]


def ctrs(understanding: int, focus: int) -> str:
    return json.dumps({"understanding": understanding, "focus": focus})


def panas(positive: int, negative: int, **overrides: int) -> str:
    """A PANAS reply: every positive item rated `positive`, every negative one `negative`."""
    ratings = {**dict.fromkeys(POSITIVE, positive), **dict.fromkeys(NEGATIVE, negative)}
    return json.dumps({**ratings, **overrides})


# ---------------------------------------------------------------- shipped rubrics


def test_ctrs_rubric_has_all_eleven_items_and_cactus_six_by_default() -> None:
    assert (RUBRIC.name, RUBRIC.kind, RUBRIC.low, RUBRIC.high) == ("ctrs", "scale", 0, 6)
    assert list(RUBRIC.items) == [
        "agenda",
        "feedback",
        "understanding",
        "interpersonal_effectiveness",
        "collaboration",
        "pacing",
        "guided_discovery",
        "focus",
        "strategy_for_change",
        "application_of_techniques",
        "homework",
    ]
    for key, item in RUBRIC.items.items():
        assert list(item.anchors) == [0, 2, 4, 6], key
        assert all(text.strip() for text in item.anchors.values()), key
    assert make_judge("ctrs").items == (
        "understanding",
        "interpersonal_effectiveness",
        "collaboration",
        "guided_discovery",
        "focus",
        "strategy_for_change",
    )


def test_healme_rubric_scores_four_items_0_to_3_with_an_anchor_per_score() -> None:
    rubric = load_rubric(ROOT / "prompts", "healme")
    assert (rubric.kind, rubric.low, rubric.high) == ("scale", 0, 3)
    assert list(rubric.items) == ["empathy", "logical_coherence", "guidance", "overall"]
    for key, item in rubric.items.items():
        assert list(item.anchors) == [0, 1, 2, 3], key
    overall = rubric.items["overall"].anchors[1]
    assert "at most 1 whenever empathy and logical coherence are both 1 or lower" in overall
    assert make_judge("healme").items == ("empathy", "logical_coherence", "guidance", "overall")


def test_panas_rubric_has_ten_positive_and_ten_negative_items_rated_1_to_5() -> None:
    rubric = load_rubric(ROOT / "prompts", "panas")
    assert (rubric.kind, rubric.low, rubric.high) == ("affect", 1, 5)
    assert [k for k, i in rubric.items.items() if i.polarity == "positive"] == POSITIVE
    assert [k for k, i in rubric.items.items() if i.polarity == "negative"] == NEGATIVE
    assert rubric.anchors == {
        1: "very slightly or not at all",
        2: "a little",
        3: "moderately",
        4: "quite a bit",
        5: "extremely",
    }
    assert make_judge("panas").items == tuple(POSITIVE + NEGATIVE)


# ---------------------------------------------------------------- judges config


@pytest.mark.parametrize(
    ("specs", "problem"),
    [
        (
            {"ctrs": {"items": ["understanding", "empathy"]}},
            "judges.ctrs.items ['empathy'] are not ctrs items (known: agenda, feedback,",
        ),
        (
            {"ctrs": {"items": ["focus"], "min_items": {"understanding": 3}}},
            "judges.ctrs.min_items ['understanding'] are not among the items it scores.",
        ),
        ({"hm": {"rubric": "healme", "min_mean": 4}}, "judges.hm.min_mean is 4.0, outside the "),
        (
            {"hm": {"rubric": "healme", "min_items": {"empathy": 3.5}}},
            "judges.hm.min_items.empathy is 3.5, outside the healme scale 0-3.",
        ),
        (
            {"ctrs": {"require_negative_drop": True}},
            "judges.ctrs: require_negative_drop / require_positive_rise need an affect rubric "
            "(panas), not ctrs.",
        ),
        (
            {"panas": {"rubric": "panas", "min_mean": 3}},
            "judges.panas.min_mean: a panas judge rates every item and gates on "
            "require_negative_drop / require_positive_rise.",
        ),
        (
            {"panas": {"rubric": "panas", "items": ["upset"]}},
            "judges.panas.items: a panas judge rates every item",
        ),
        (
            {"x": {"rubric": "mitsi"}},
            f"{ROOT / 'prompts' / 'judge' / 'mitsi.yaml'}: cannot read the judge rubric",
        ),
    ],
    ids=[
        "unknown-item",
        "min-item-not-scored",
        "min-mean-off-scale",
        "min-item-off-scale",
        "affect-gate-on-a-scale",
        "mean-gate-on-panas",
        "panas-items",
        "unknown-rubric",
    ],
)
def test_load_judges_names_each_problem(specs: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError) as e:
        load_judges(ROOT / "prompts", {k: JudgeSection(**v) for k, v in specs.items()})
    assert problem in str(e.value)


def test_load_judges_skips_disabled_ones_and_keeps_the_order() -> None:
    specs = {
        "b": JudgeSection(rubric="healme"),
        "off": JudgeSection(enabled=False, rubric="nowhere"),
        "a": JudgeSection(rubric="ctrs", items=["focus"]),
    }
    judges = load_judges(ROOT / "prompts", specs)
    assert [(j.name, j.rubric.name, j.items) for j in judges] == [
        ("b", "healme", ("empathy", "logical_coherence", "guidance", "overall")),
        ("a", "ctrs", ("focus",)),
    ]


def test_judges_section_roles_and_the_older_judge_key(
    write_pipeline: Callable[..., Path],
) -> None:
    config = scripted_config(
        models={"script": {"backend": "scripted"}, "big": {"backend": "scripted"}},
        judges={
            "ctrs": {"items": ["focus"], "roles": ["judge", "judge_big"], "samples": 3},
            "panas": {"rubric": "panas", "require_negative_drop": True},
        },
    )
    config["roles"]["judge_big"] = {"model": "big", "temperature": 0.9}
    cfg = load_pipeline(write_pipeline(config)).config
    assert cfg.judge_roles() == ["judge", "judge_big"]
    assert cfg.roles.sections()["judge_big"] == RoleSection(model="big", temperature=0.9)
    assert cfg.judges["ctrs"].samples == 3 and cfg.judges["panas"].require_negative_drop
    # No judges key: one CTRS judge on role judge. The older `judge:` key is read as judges.ctrs.
    default = load_pipeline(write_pipeline(scripted_config(), "d.yaml")).config
    assert default.judges == {"ctrs": JudgeSection()}
    older = scripted_config(judge={"items": ["focus"], "min_mean": 3})
    cfg = load_pipeline(write_pipeline(older, "o.yaml")).config
    assert (cfg.judge, cfg.judges) == (None, {"ctrs": JudgeSection(items=["focus"], min_mean=3)})
    assert cfg.model_dump()["judges"]["ctrs"]["min_mean"] == 3


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda c: c.update(judge={"items": ["focus"]}, judges={"ctrs": {}}),
            "give `judges:` or the older `judge:`, not both",
        ),
        (
            lambda c: c.update(judges={"ctrs": {"roles": ["judge_big"]}}),
            "judges.ctrs.roles names 'judge_big', which is not a judge role of `roles` (judge "
            "roles there: judge)",
        ),
        (
            lambda c: c.update(judges={"ctrs": {"roles": ["counselor"]}}),
            "judges.ctrs.roles names 'counselor', which is not a judge role",
        ),
        (
            lambda c: c["roles"].pop("judge"),
            "judges.ctrs.roles names 'judge', which is not a judge role of `roles` (judge roles "
            "there: none)",
        ),
        (
            lambda c: c["roles"].update(critic={"model": "script"}),
            "unknown role `critic` (roles are counselor, client, judge, and judge_<name> for "
            "more judge models)",
        ),
        (
            lambda c: c["roles"].update(judge_big={"model": "nope"}),
            "roles.judge_big.model is 'nope', which is not a key of models (known: script)",
        ),
        (
            lambda c: c["roles"].update(judge_big={"model": "script", "temprature": 1}),
            "unknown key `roles.judge_big.temprature` (allowed here: model, temperature, top_p, "
            "max_tokens, stop, repetition_penalty)",
        ),
        (
            lambda c: c.update(judges={"ctrs": {"roles": ["judge", "judge"]}}),
            "roles ['judge', 'judge'] names a role twice (use samples: N instead)",
        ),
        (lambda c: c.update(judges={"CTRS": {}}), "String should match pattern"),
        (lambda c: c.update(judges={"ctrs": {"samples": 0}}), "judges.ctrs.samples"),
    ],
    ids=[
        "both-forms",
        "undeclared-role",
        "not-a-judge-role",
        "judge-role-missing",
        "unknown-role",
        "extra-role-bad-model",
        "extra-role-typo",
        "role-twice",
        "bad-name",
        "zero-samples",
    ],
)
def test_judges_config_problems(
    change: Callable[[dict[str, Any]], object],
    problem: str,
    write_pipeline: Callable[..., Path],
) -> None:
    config = scripted_config()
    change(config)
    with pytest.raises(ConfigError) as e:
        load_pipeline(write_pipeline(config))
    assert problem in str(e.value)


def test_a_disabled_judge_needs_no_role(write_pipeline: Callable[..., Path]) -> None:
    config = scripted_config(judges={"ctrs": {"enabled": False}})
    config["roles"].pop("judge")
    assert load_pipeline(write_pipeline(config)).config.judge_roles() == []


# ---------------------------------------------------------------- schema and parsing


def test_verdict_schema_is_a_closed_object_of_bounded_integers() -> None:
    schema = verdict_schema(RUBRIC, ITEMS)
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["understanding", "focus"]
    for key, title in [("understanding", "Understanding"), ("focus", "Focus")]:
        assert schema["properties"][key] == {
            "type": "integer",
            "minimum": 0,
            "maximum": 6,
            "title": title,
        }
    panas_rubric = load_rubric(ROOT / "prompts", "panas")
    props = verdict_schema(panas_rubric, POSITIVE + NEGATIVE)["properties"]
    assert list(props) == POSITIVE + NEGATIVE
    assert {(p["minimum"], p["maximum"]) for p in props.values()} == {(1, 5)}


@pytest.mark.parametrize(
    ("raw", "scores"),
    [
        ('{"understanding": 5, "focus": 2}', {"understanding": 5, "focus": 2}),
        ('{"focus": 6, "understanding": 6}', {"understanding": 6, "focus": 6}),
        ('  {"understanding": 0, "focus": 0}\n', {"understanding": 0, "focus": 0}),
    ],
    ids=["mixed", "reordered", "zeros-are-real-scores"],
)
def test_parse_scores_valid(raw: str, scores: dict[str, int]) -> None:
    assert parse_scores(raw, RUBRIC, ITEMS) == scores


@pytest.mark.parametrize(
    "raw",
    [
        GARBAGE,
        '{"understanding": 5, "focus"',
        '{"understanding": 5}',
        '{"understanding": 5, "focus": 4, "agenda": 3}',
        '{"understanding": 7, "focus": 4}',
        '{"understanding": -1, "focus": 4}',
        '{"understanding": "5", "focus": 4}',
        '{"understanding": true, "focus": 4}',
        '{"understanding": 4.5, "focus": 4}',
        '{"understanding": null, "focus": 4}',
        "",
        "null",
        "[5, 4]",
        '{"understanding": 5, "focus": 4} and that is my verdict',
    ],
    ids=[
        "not-json",
        "truncated",
        "missing-item",
        "extra-key",
        "above-6",
        "below-0",
        "string-score",
        "bool-score",
        "fraction",
        "null-score",
        "empty",
        "json-null",
        "json-list",
        "trailing-text",
    ],
)
def test_parse_scores_bad_reply_is_none_never_zero(raw: str) -> None:
    assert parse_scores(raw, RUBRIC, ITEMS) is None


@pytest.mark.parametrize(
    ("rubric", "raw", "ok"),
    [
        ("healme", '{"empathy": 3, "logical_coherence": 0, "guidance": 2, "overall": 1}', True),
        ("healme", '{"empathy": 4, "logical_coherence": 0, "guidance": 2, "overall": 1}', False),
        ("healme", '{"empathy": 3, "logical_coherence": 0, "guidance": 2}', False),
        ("panas", panas(1, 5), True),
        ("panas", panas(3, 3, afraid=0), False),
        ("panas", panas(3, 3, afraid=6), False),
        ("panas", json.dumps(dict.fromkeys(POSITIVE, 2)), False),
    ],
    ids=[
        "healme-ok",
        "healme-above-3",
        "healme-missing-overall",
        "panas-ok",
        "panas-below-1",
        "panas-above-5",
        "panas-no-negative",
    ],
)
def test_parse_scores_per_rubric(rubric: str, raw: str, ok: bool) -> None:
    j = make_judge(rubric)
    assert (parse_scores(raw, j.rubric, j.items) is not None) == ok


# ---------------------------------------------------------------- judge(): CTRS


def test_judge_sets_one_verdict_per_dialogue_from_the_backend_replies() -> None:
    hidden = persona(
        situation="Spilled coffee on the quarterly ledger in front of the whole team.",
        thought="Everyone will remember this forever and whisper about me.",
        thinking_traps=["catastrophizing", "mind_reading"],
        attitude="negative",
    )
    good = dialogue(dialogue_id="000000-a", persona=hidden)
    bad = dialogue(dialogue_id="000001-b", persona=hidden, run_seed=9)
    backend = ScriptedBackend(replies={"judge": [ctrs(5, 2), GARBAGE]})
    roles = {"judge": RoleSection(model="j", temperature=0.0, max_tokens=64)}
    j = make_judge("ctrs", items=ITEMS)

    tokens = judge([good, bad], [j], {"judge": backend}, roles, PROMPTS)

    assert good.verdicts == [
        Verdict(
            judge="ctrs",
            rubric="ctrs",
            scores={"understanding": 5.0, "focus": 2.0},
            spreads={"understanding": 0.0, "focus": 0.0},
            mean=3.5,
            spread=0.0,
            parsed=1,
            missing=0,
            samples=[
                Sample(
                    role="judge",
                    model="scripted",
                    index=0,
                    parsed=True,
                    scores={"understanding": 5.0, "focus": 2.0},
                    raw=[ctrs(5, 2)],
                )
            ],
        )
    ]
    # Missing, never 0: no scores, no mean.
    assert bad.verdicts == [
        Verdict(
            judge="ctrs",
            rubric="ctrs",
            scores={},
            spreads={},
            mean=None,
            spread=None,
            parsed=0,
            missing=1,
            samples=[
                Sample(
                    role="judge",
                    model="scripted",
                    index=0,
                    parsed=False,
                    scores={},
                    raw=[GARBAGE],
                )
            ],
        )
    ]
    # One request per dialogue, with the verdict schema and a seed per dialogue and sample.
    assert len(backend.calls) == 2
    for (turns, params), d in zip(backend.calls, [good, bad], strict=True):
        assert params == GenParams(
            temperature=0.0,
            top_p=0.95,
            max_tokens=64,
            seed=turn_seed(d.run_seed, d.id, 6, "judge:ctrs:judge:0"),
            role="judge",
        )
        assert params.json_schema == verdict_schema(RUBRIC, ITEMS)
        assert [t["role"] for t in turns] == ["system", "user"]
        assert turns[0]["content"] == RUBRIC.system
        prompt = turns[1]["content"]
        for role, content in CLEAN_TURNS:
            label = "Counselor" if role == "counselor" else "Client"
            assert f"{label}: {content}\n" in prompt + "\n"
        for hidden_text in [hidden.situation, hidden.thought, *hidden.thinking_traps]:
            assert hidden_text not in prompt
        assert "negative" not in prompt
        assert "Answer with a JSON object whose keys are exactly: understanding, focus;" in prompt
    # Tokens as the scripted backend counts them: words in, words out.
    expected_prompt = sum(len(t["content"].split()) for turns, _ in backend.calls for t in turns)
    assert tokens == Tokens(
        prompt=expected_prompt, completion=len(ctrs(5, 2).split()) + len(GARBAGE.split())
    )


def test_judging_again_replaces_the_verdict_of_the_same_judge_only() -> None:
    d = dialogue()
    backend = ScriptedBackend(replies={"judge": [ctrs(1, 1), ctrs(6, 6)]})
    roles = {"judge": RoleSection(model="j")}
    healme = ScriptedBackend()
    judge([d], [make_judge("ctrs", items=ITEMS)], {"judge": backend}, roles, PROMPTS)
    judge([d], [make_judge("healme")], {"judge": healme}, roles, PROMPTS)
    judge([d], [make_judge("ctrs", items=ITEMS)], {"judge": backend}, roles, PROMPTS)
    assert [(v.judge, v.mean) for v in d.verdicts][1] == ("ctrs", 6.0)
    assert [v.judge for v in d.verdicts] == ["healme", "ctrs"]


def test_judge_prompt_lists_each_transcript_turn_in_order() -> None:
    j = make_judge("ctrs", items=ITEMS)
    prompt = judge_request(dialogue(), j, PROMPTS)[1]["content"]
    positions = [prompt.index(content) for _, content in CLEAN_TURNS]
    assert positions == sorted(positions)
    assert "- understanding (Understanding): 0 = missed or misread" in prompt
    assert "- focus (Focus on key cognitions or behaviors): 0 = did not elicit" in prompt
    assert "- agenda" not in prompt
    healme = judge_request(dialogue(), make_judge("healme"), PROMPTS)[1]["content"]
    assert "Rate the counselor on each item from 0 to 3" in healme
    assert "- empathy (Empathy): 0 = passes over what the client said" in healme
    assert "each value an integer from 0 to 3." in healme


def test_judge_with_no_dialogues_calls_nothing() -> None:
    backend = ScriptedBackend(replies={"judge": [ctrs(1, 1)]})
    roles = {"judge": RoleSection(model="j")}
    assert judge([], [make_judge()], {"judge": backend}, roles, PROMPTS) == Tokens()
    assert backend.calls == []


# ---------------------------------------------------------------- samples and judge models


def test_samples_of_two_judge_models_pool_into_means_and_spreads() -> None:
    first, second = dialogue(dialogue_id="000000-a"), dialogue(dialogue_id="000001-b")
    # Requests go dialogue by dialogue, sample by sample, one call per judge role.
    a = ScriptedBackend(replies={"judge": [ctrs(5, 2), ctrs(4, 2), GARBAGE, GARBAGE]})
    b = ScriptedBackend(replies={"judge_b": [ctrs(3, 3), GARBAGE, GARBAGE, "{}"]})
    b.label = "model-b"
    roles = {
        "judge": RoleSection(model="a", temperature=0.0),
        "judge_b": RoleSection(model="b", temperature=0.7),
    }
    j = make_judge("ctrs", items=ITEMS, roles=["judge", "judge_b"], samples=2)

    judge([first, second], [j], {"judge": a, "judge_b": b}, roles, PROMPTS)

    (v,) = first.verdicts
    assert [(s.role, s.model, s.index, s.parsed) for s in v.samples] == [
        ("judge", "scripted", 0, True),
        ("judge", "scripted", 1, True),
        ("judge_b", "model-b", 0, True),
        ("judge_b", "model-b", 1, False),
    ]
    # understanding 5, 4, 3: mean 4, spread 2; focus 2, 2, 3: mean 2.3333, spread 1.
    assert v.scores == {"understanding": 4.0, "focus": 2.3333}
    assert v.spreads == {"understanding": 2.0, "focus": 1.0}
    assert (v.mean, v.spread, v.parsed, v.missing) == (3.1667, 2.0, 3, 1)
    # Not one of four samples parsed: a missing verdict, never 0.
    (w,) = second.verdicts
    assert (w.scores, w.spreads, w.mean, w.spread, w.parsed, w.missing) == (
        {},
        {},
        None,
        None,
        0,
        4,
    )
    # Each sample index has its own seed, per role; each role its own sampling settings.
    seeds = [p.seed for _, p in a.calls + b.calls]
    assert len(set(seeds)) == 8
    assert [p.seed for _, p in a.calls[:2]] == [
        turn_seed(7, "000000-a", 6, "judge:ctrs:judge:0"),
        turn_seed(7, "000000-a", 6, "judge:ctrs:judge:1"),
    ]
    assert b.calls[0][1].seed == turn_seed(7, "000000-a", 6, "judge:ctrs:judge_b:0")
    assert {p.temperature for _, p in b.calls} == {0.7}
    # Samples of one dialogue ask the same question.
    assert a.calls[0][0] == a.calls[1][0] == b.calls[0][0]


# ---------------------------------------------------------------- PANAS


def test_panas_before_sees_the_intake_only_and_after_adds_the_dialogue() -> None:
    p = persona(
        intake_form="Priya, 29, started a new job three months ago; sleeps badly.",
        emotions=[{"name": "ashamed", "intensity": 75}, {"name": "anxious", "intensity": 40}],
        attitude="negative",
        thinking_traps=["labeling", "should_statements"],
    )
    d = dialogue(persona=p)
    j = make_judge("panas")
    before = judge_request(d, j, PROMPTS, "before")[1]["content"]
    after = judge_request(d, j, PROMPTS, "after")[1]["content"]
    for prompt in (before, after):
        assert "- Client: Priya, 29 years old, female, junior accountant\n" in prompt
        assert f"- Situation: {p.situation}\n" in prompt
        assert f"- Thought that troubles them: {p.thought}\n" in prompt
        assert "- Feelings they reported: ashamed (75/100), anxious (40/100)\n" in prompt
        assert f"- Intake form: {p.intake_form}\n" in prompt
        assert "Feelings: " + ", ".join(POSITIVE + NEGATIVE) + ".\n" in prompt
        # The persona's role-play settings are not intake.
        assert "negative" not in prompt and "should" not in prompt
    for _, content in CLEAN_TURNS:
        assert content not in before
        assert content in after
    assert "now, on arriving, before any counseling" in before
    assert "at the end of this session" in after
    assert judge_request(d, j, PROMPTS, "before")[0]["content"] == j.rubric.system


def test_panas_deltas_come_from_the_before_and_after_replies() -> None:
    d = dialogue()
    proud_low = panas(3, 2, proud=1)  # positive mean 2.8
    backend = ScriptedBackend(replies={"judge": [panas(2, 4), proud_low]})
    j = make_judge("panas")
    judge([d], [j], {"judge": backend}, {"judge": RoleSection(model="j")}, PROMPTS)
    (v,) = d.verdicts
    expected = {
        "positive_before": 2.0,
        "positive_after": 2.8,
        "positive_delta": 0.8,
        "negative_before": 4.0,
        "negative_after": 2.0,
        "negative_delta": -2.0,
    }
    assert v.scores == expected
    assert (v.mean, v.spread, v.parsed, v.missing) == (None, 0.0, 1, 0)
    assert v.samples == [
        Sample(
            role="judge",
            model="scripted",
            index=0,
            parsed=True,
            scores=expected,
            raw=[panas(2, 4), proud_low],
        )
    ]
    # Two structured-output requests, before then after, each with its own seed.
    (_, p_before), (_, p_after) = backend.calls
    assert p_before.seed == turn_seed(7, d.id, 6, "judge:panas:judge:0:before")
    assert p_after.seed == turn_seed(7, d.id, 6, "judge:panas:judge:0:after")
    assert p_before.json_schema == p_after.json_schema == verdict_schema(j.rubric, j.items)


@pytest.mark.parametrize(
    "replies",
    [[GARBAGE, panas(3, 2)], [panas(2, 4), GARBAGE], [GARBAGE, GARBAGE]],
    ids=["before-unparsed", "after-unparsed", "both-unparsed"],
)
def test_panas_is_missing_when_either_reply_does_not_parse(replies: list[str]) -> None:
    d = dialogue()
    backend = ScriptedBackend(replies={"judge": replies})
    judge(
        [d], [make_judge("panas")], {"judge": backend}, {"judge": RoleSection(model="j")}, PROMPTS
    )
    (v,) = d.verdicts
    assert (v.scores, v.mean, v.spread, v.parsed, v.missing) == ({}, None, None, 0, 1)
    assert v.samples[0].raw == replies and v.samples[0].scores == {}


def test_panas_pools_parsed_samples_and_leaves_out_broken_pairs() -> None:
    d = dialogue()
    backend = ScriptedBackend(
        replies={
            "judge": [panas(2, 4), panas(3, 2), panas(2, 5), GARBAGE, panas(1, 4), panas(3, 3)]
        }
    )
    j = make_judge("panas", samples=3)
    judge([d], [j], {"judge": backend}, {"judge": RoleSection(model="j")}, PROMPTS)
    (v,) = d.verdicts
    # Samples 0 (+1, -2) and 2 (+2, -1); sample 1's after reply did not parse.
    assert v.scores == {
        "positive_before": 1.5,
        "positive_after": 3.0,
        "positive_delta": 1.5,
        "negative_before": 4.0,
        "negative_after": 2.5,
        "negative_delta": -1.5,
    }
    assert v.spreads["positive_delta"] == 1.0 and v.spreads["negative_before"] == 0.0
    assert (v.parsed, v.missing, v.spread) == (2, 1, 1.0)


# ---------------------------------------------------------------- gates


def verdict(
    judge_name: str,
    scores: dict[str, float] | None,
    spreads: dict[str, float] | None = None,
    rubric: str | None = None,
) -> Verdict:
    """A pooled verdict with these scores, or (None) one with no parsed sample of two."""
    if scores is None:
        return Verdict(
            judge=judge_name,
            rubric=rubric or judge_name,
            scores={},
            spreads={},
            mean=None,
            spread=None,
            parsed=0,
            missing=2,
            samples=[],
        )
    spreads = spreads or dict.fromkeys(scores, 0.0)
    scale = (rubric or judge_name) != "panas"
    return Verdict(
        judge=judge_name,
        rubric=rubric or judge_name,
        scores=scores,
        spreads=spreads,
        mean=sum(scores.values()) / len(scores) if scale else None,
        spread=max(spreads.values()),
        parsed=2,
        missing=0,
        samples=[],
    )


def affect(pos: tuple[float, float], neg: tuple[float, float]) -> dict[str, float]:
    return {
        "positive_before": pos[0],
        "positive_after": pos[1],
        "positive_delta": round(pos[1] - pos[0], 4),
        "negative_before": neg[0],
        "negative_after": neg[1],
        "negative_delta": round(neg[1] - neg[0], 4),
    }


MISSING = Reason(name="judge_missing", detail="no reply of judges.ctrs parsed (0 of 2)")


@pytest.mark.parametrize(
    ("spec", "verdicts", "reasons"),
    [
        ({}, [], []),
        ({"min_mean": 5}, [], []),
        ({}, [verdict("ctrs", None)], [MISSING]),
        ({"min_mean": 2, "max_spread": 0}, [verdict("ctrs", None)], [MISSING]),
        ({"on_missing": "keep", "min_mean": 2}, [verdict("ctrs", None)], []),
        ({}, [verdict("ctrs", {"understanding": 0, "focus": 0})], []),
        (
            {"min_mean": 4},
            [verdict("ctrs", {"understanding": 4, "focus": 3})],
            [
                Reason(
                    name="judge_below_min",
                    detail="mean 3.50 is below judges.ctrs.min_mean 4.0",
                )
            ],
        ),
        ({"min_mean": 4}, [verdict("ctrs", {"understanding": 4, "focus": 4})], []),
        (
            {"min_items": {"focus": 3}},
            [verdict("ctrs", {"understanding": 6, "focus": 2.5})],
            [
                Reason(
                    name="judge_item_below_min",
                    detail="focus 2.50 is below judges.ctrs.min_items.focus 3.0",
                )
            ],
        ),
        (
            {"min_items": {"understanding": 5, "focus": 3}},
            [verdict("ctrs", {"understanding": 4, "focus": 2})],
            [
                Reason(
                    name="judge_item_below_min",
                    detail="understanding 4.00 is below judges.ctrs.min_items.understanding "
                    "5.0; focus 2.00 is below judges.ctrs.min_items.focus 3.0",
                )
            ],
        ),
        ({"min_items": {"focus": 3}}, [verdict("ctrs", {"understanding": 0, "focus": 3})], []),
        (
            {"max_spread": 2},
            [verdict("ctrs", {"understanding": 4, "focus": 4}, {"understanding": 1, "focus": 3})],
            [
                Reason(
                    name="judge_disagreement",
                    detail="samples differ by 3.00 on focus, above judges.ctrs.max_spread 2.0",
                )
            ],
        ),
        (
            {"max_spread": 2},
            [verdict("ctrs", {"understanding": 4, "focus": 4}, {"understanding": 2, "focus": 2})],
            [],
        ),
        (
            {"min_mean": 5, "min_items": {"focus": 5}, "max_spread": 1},
            [verdict("ctrs", {"understanding": 6, "focus": 3}, {"understanding": 2, "focus": 0})],
            [
                Reason(
                    name="judge_below_min",
                    detail="mean 4.50 is below judges.ctrs.min_mean 5.0",
                ),
                Reason(
                    name="judge_item_below_min",
                    detail="focus 3.00 is below judges.ctrs.min_items.focus 5.0",
                ),
                Reason(
                    name="judge_disagreement",
                    detail="samples differ by 2.00 on understanding, above "
                    "judges.ctrs.max_spread 1.0",
                ),
            ],
        ),
        # Another judge's verdict is not this judge's business.
        ({"min_mean": 6}, [verdict("healme", {"empathy": 0})], []),
    ],
    ids=[
        "not-judged",
        "not-judged-with-min",
        "missing-reject",
        "missing-is-the-only-reason",
        "missing-keep",
        "zeros-without-gates",
        "below-min-mean",
        "at-min-mean",
        "item-below-min",
        "two-items-below-min",
        "item-at-min",
        "disagreement",
        "spread-at-max",
        "three-gates-at-once",
        "other-judge",
    ],
)
def test_gate_ctrs(spec: dict[str, Any], verdicts: list[Verdict], reasons: list[Reason]) -> None:
    j = make_judge("ctrs", items=ITEMS, **spec)
    assert gate(dialogue(verdicts=verdicts), [j]) == reasons


NOT_DOWN = "panas_negative_not_down"
NOT_UP = "panas_positive_not_up"


@pytest.mark.parametrize(
    ("spec", "scores", "reasons"),
    [
        ({}, affect((3, 2), (2, 4)), []),
        ({"require_negative_drop": True}, affect((2, 3), (4, 2)), []),
        (
            {"require_negative_drop": True},
            affect((2, 3), (3, 3)),
            [
                Reason(
                    name=NOT_DOWN,
                    detail="negative affect went from 3.00 to 3.00 (+0.00) and did not fall "
                    "(judges.panas.require_negative_drop)",
                )
            ],
        ),
        (
            {"require_negative_drop": True},
            affect((2, 3), (2.2, 2.5)),
            [
                Reason(
                    name=NOT_DOWN,
                    detail="negative affect went from 2.20 to 2.50 (+0.30) and did not fall "
                    "(judges.panas.require_negative_drop)",
                )
            ],
        ),
        ({"require_positive_rise": True}, affect((2, 2.1), (3, 3)), []),
        (
            {"require_positive_rise": True},
            affect((2.5, 2), (3, 1)),
            [
                Reason(
                    name=NOT_UP,
                    detail="positive affect went from 2.50 to 2.00 (-0.50) and did not rise "
                    "(judges.panas.require_positive_rise)",
                )
            ],
        ),
        (
            {"require_negative_drop": True, "require_positive_rise": True},
            affect((2, 2), (3, 3.5)),
            [
                Reason(
                    name=NOT_DOWN,
                    detail="negative affect went from 3.00 to 3.50 (+0.50) and did not fall "
                    "(judges.panas.require_negative_drop)",
                ),
                Reason(
                    name=NOT_UP,
                    detail="positive affect went from 2.00 to 2.00 (+0.00) and did not rise "
                    "(judges.panas.require_positive_rise)",
                ),
            ],
        ),
        (
            {"require_negative_drop": True, "max_spread": 0.5},
            affect((2, 3), (4, 2)) | {"negative_delta": -2.0},
            [],
        ),
        (
            {"require_negative_drop": True, "require_positive_rise": True},
            None,
            [Reason(name="judge_missing", detail="no reply of judges.panas parsed (0 of 2)")],
        ),
    ],
    ids=[
        "no-requirement",
        "negative-fell",
        "negative-unchanged",
        "negative-rose",
        "positive-rose",
        "positive-fell",
        "both-fail",
        "spread-within-max",
        "missing",
    ],
)
def test_gate_panas(
    spec: dict[str, Any], scores: dict[str, float] | None, reasons: list[Reason]
) -> None:
    j = make_judge("panas", **spec)
    assert gate(dialogue(verdicts=[verdict("panas", scores)]), [j]) == reasons


def test_gate_panas_disagreement_names_the_widest_key() -> None:
    j = make_judge("panas", max_spread=0.5)
    spreads = dict.fromkeys(affect((2, 3), (4, 2)), 0.0) | {"negative_after": 0.9}
    v = verdict("panas", affect((2, 3), (4, 2)), spreads)
    assert gate(dialogue(verdicts=[v]), [j]) == [
        Reason(
            name="judge_disagreement",
            detail="samples differ by 0.90 on negative_after, above judges.panas.max_spread 0.5",
        )
    ]


def test_gate_over_several_judges_gives_each_judges_reasons_in_order() -> None:
    judges = [
        make_judge("ctrs", items=ITEMS, min_mean=4),
        make_judge("healme"),
        make_judge("panas", require_negative_drop=True),
    ]
    d = dialogue(
        verdicts=[
            verdict("panas", affect((2, 2), (3, 3))),
            verdict("healme", None),
            verdict("ctrs", {"understanding": 2, "focus": 2}),
        ]
    )
    assert [r.name for r in gate(d, judges)] == [
        "judge_below_min",
        "judge_missing",
        NOT_DOWN,
    ]


# ---------------------------------------------------------------- summarize


def test_summarize_averages_parsed_verdicts_over_dialogues_and_counts_missing() -> None:
    j = make_judge("ctrs", items=ITEMS, roles=["judge", "judge_b"], samples=2)
    verdicts = [
        verdict("ctrs", {"understanding": 6, "focus": 1}, {"understanding": 2, "focus": 0}),
        verdict("ctrs", None),
        verdict("ctrs", {"understanding": 3, "focus": 2}, {"understanding": 0, "focus": 1}),
        verdict("healme", {"empathy": 3}),
        verdict("ctrs", {"understanding": 4, "focus": 4}),
    ]
    verdicts[2].missing = 1
    summary = summarize(j, verdicts, {"judge": "model-a", "judge_b": "model-b", "client": "c"})
    assert summary.model_dump() == {
        "judge": "ctrs",
        "rubric": "ctrs",
        "models": {"judge": "model-a", "judge_b": "model-b"},
        "samples": 2,
        "judged": 4,
        "missing": 1,
        "replies": 9,
        "replies_missing": 3,
        # Mean of the verdict means 3.5, 2.5 and 4.0; of the spreads 2, 1 and 0.
        "mean": 3.3333,
        "spread": 1.0,
        "items": {
            "understanding": {"mean": 4.3333, "spread": 0.6667},
            "focus": {"mean": 2.3333, "spread": 0.3333},
        },
        "affect": None,
    }


def test_summarize_with_nothing_parsed_has_no_means() -> None:
    j = make_judge("ctrs", items=ITEMS)
    for verdicts, judged in [([verdict("ctrs", None), verdict("ctrs", None)], 2), ([], 0)]:
        summary = summarize(j, verdicts, {"judge": "j"})
        assert (summary.judged, summary.missing, summary.mean, summary.spread) == (
            judged,
            judged,
            None,
            None,
        )
        assert summary.items == {
            "understanding": ItemSummary(mean=None, spread=None),
            "focus": ItemSummary(mean=None, spread=None),
        }


def test_summarize_panas_gives_mean_changes_and_the_share_whose_negative_fell() -> None:
    j = make_judge("panas")
    verdicts = [
        verdict("panas", affect((2, 2.5), (4, 2))),
        verdict("panas", affect((2, 2.5), (3, 3))),
        verdict("panas", None),
        verdict("panas", affect((3, 2.8), (3, 2.5))),
    ]
    summary = summarize(j, verdicts, {"judge": "j"})
    assert summary.affect == AffectSummary(
        positive_delta=0.2667,  # (0.5 + 0.5 - 0.2) / 3
        negative_delta=-0.8333,  # (-2 + 0 - 0.5) / 3
        negative_fell=0.6667,
        positive_rose=0.6667,
    )
    assert (summary.judged, summary.missing, summary.mean) == (4, 1, None)
    assert list(summary.items) == [
        "positive_before",
        "positive_after",
        "positive_delta",
        "negative_before",
        "negative_after",
        "negative_delta",
    ]
    assert summary.items["negative_before"] == ItemSummary(mean=3.3333, spread=0.0)
    assert summarize(j, [], {}).affect == AffectSummary()


# ---------------------------------------------------------------- a whole scripted run

CLIENT = [
    "I keep thinking I ruin things.",
    "My sister says the party was fine, but I still feel awful about it.",
    "Maybe I could call her tomorrow and ask how she saw the evening.",
]
COUNSELOR = [
    "What happened, and what did you tell yourself about it?",
    "If a friend told you this story, how would you read the same evening?",
    "You worked hard on this today; a small call to your sister sounds like a good step.",
]


def run_config() -> dict[str, Any]:
    """Six dialogues; CTRS by two judge models, two samples each; PANAS on its own role."""
    config = scripted_config(
        output={"dir": "out", "rows_per_shard": 10},
        models={
            "script": {
                "backend": "scripted",
                "replies": {
                    "client": CLIENT,
                    "counselor": COUNSELOR,
                    # Two samples per dialogue: even dialogues get 5/4 and 4/4, odd 3/3 twice.
                    "judge": [ctrs(5, 4), ctrs(4, 4), ctrs(3, 3), ctrs(3, 3)],
                    # Dialogues 0, 1, 2, 3, 4, 5 get pairs P0, P1, P2, P0, P1, P2.
                    "judge_panas": [
                        panas(2, 4),
                        panas(3, 2),
                        panas(1, 5),
                        panas(2, 4),
                        panas(2, 3),
                        panas(2, 3),
                    ],
                },
            },
            "other": {
                "backend": "scripted",
                "replies": {"judge_b": [ctrs(3, 4), "not json", ctrs(3, 3), ctrs(3, 4)]},
            },
        },
        judges={
            "ctrs": {
                "items": ITEMS,
                "roles": ["judge", "judge_b"],
                "samples": 2,
                "max_spread": 1.5,
            },
            "panas": {"rubric": "panas", "roles": ["judge_panas"], "require_negative_drop": True},
        },
    )
    config["roles"]["judge_b"] = {"model": "other", "temperature": 0.5}
    config["roles"]["judge_panas"] = {"model": "script", "temperature": 0.0, "max_tokens": 300}
    return config


def test_run_pools_two_judge_models_gates_and_writes_the_manifest(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    plan = pipeline.plan(load_pipeline(write_pipeline(run_config())))
    out = tmp_path / "run"
    manifest = pipeline.run(plan, out)
    assert manifest.counts.model_dump() == {
        "dialogues": 6,
        "kept": 2,
        "rejected": 4,
        "by_reason": {"judge_disagreement": 3, "panas_negative_not_down": 2},
    }
    assert {k: v for k, v in manifest.models.items() if k.startswith("judge")} == {
        "judge": "scripted",
        "judge_b": "scripted",
        "judge_panas": "scripted",
    }
    ctrs_summary, panas_summary = (j.model_dump() for j in manifest.judges)
    assert ctrs_summary == {
        "judge": "ctrs",
        "rubric": "ctrs",
        "models": {"judge": "scripted", "judge_b": "scripted"},
        "samples": 2,
        "judged": 6,
        "missing": 0,
        "replies": 24,
        "replies_missing": 3,
        # Even dialogues: mean 4.0, spread 2.0; odd: mean 3.125, spread 1.0.
        "mean": 3.5625,
        "spread": 1.5,
        "items": {
            "understanding": {"mean": 3.5, "spread": 1.0},
            "focus": {"mean": 3.625, "spread": 0.5},
        },
        "affect": None,
    }
    assert panas_summary["affect"] == {
        "positive_delta": 0.6667,
        "negative_delta": -1.0,
        "negative_fell": 0.6667,
        "positive_rose": 0.6667,
    }
    assert {k: i["mean"] for k, i in panas_summary["items"].items()} == {
        "positive_before": 1.6667,
        "positive_after": 2.3333,
        "positive_delta": 0.6667,
        "negative_before": 4.0,
        "negative_after": 3.0,
        "negative_delta": -1.0,
    }
    on_disk = json.loads((out / "manifest.json").read_text())
    assert on_disk["judges"] == [ctrs_summary, panas_summary]
    card = (out / "README.md").read_text()
    assert (
        "- Judge `ctrs` (rubric `ctrs`) by `scripted`, 2 sample(s) each: 6 judged, 0 verdicts"
        in card
    )

    rows = {
        r["id"][:6]: r for p in sorted(out.rglob("*.parquet")) for r in pq.read_table(p).to_pylist()
    }
    assert {k: (r["reasons"], r["reason_details"]) for k, r in rows.items()} == {
        "000000": (
            ["judge_disagreement"],
            ["samples differ by 2.00 on understanding, above judges.ctrs.max_spread 1.5"],
        ),
        "000001": ([], []),
        "000002": (
            ["judge_disagreement", NOT_DOWN],
            [
                "samples differ by 2.00 on understanding, above judges.ctrs.max_spread 1.5",
                "negative affect went from 3.00 to 3.00 (+0.00) and did not fall "
                "(judges.panas.require_negative_drop)",
            ],
        ),
        "000003": ([], []),
        "000004": (
            ["judge_disagreement"],
            ["samples differ by 2.00 on understanding, above judges.ctrs.max_spread 1.5"],
        ),
        "000005": (
            [NOT_DOWN],
            [
                "negative affect went from 3.00 to 3.00 (+0.00) and did not fall "
                "(judges.panas.require_negative_drop)"
            ],
        ),
    }
    kept = rows["000001"]
    assert (kept["ctrs_mean"], kept["healme_mean"]) == (3.125, None)
    assert (kept["panas_positive_delta"], kept["panas_negative_delta"]) == (1.0, -1.0)
    assert kept["judge_models"] == [
        {"role": "judge", "model": "scripted"},
        {"role": "judge_b", "model": "scripted"},
        {"role": "judge_panas", "model": "scripted"},
    ]
    ctrs_row, panas_row = kept["verdicts"]
    assert {k: ctrs_row[k] for k in ("judge", "mean", "spread", "parsed", "missing")} == {
        "judge": "ctrs",
        "mean": 3.125,
        "spread": 1.0,
        "parsed": 4,
        "missing": 0,
    }
    assert ctrs_row["items"] == [
        {"item": "understanding", "score": 3.0, "spread": 0.0},
        {"item": "focus", "score": 3.25, "spread": 1.0},
    ]
    assert [(s["role"], s["index"], s["raw"]) for s in ctrs_row["samples"]] == [
        ("judge", 0, [ctrs(3, 3)]),
        ("judge", 1, [ctrs(3, 3)]),
        ("judge_b", 0, [ctrs(3, 3)]),
        ("judge_b", 1, [ctrs(3, 4)]),
    ]
    assert panas_row["samples"][0]["raw"] == [panas(1, 5), panas(2, 4)]


# ---------------------------------------------------------------- healme-synth judge

CLEAN = [
    ("client", "I forgot my friend's birthday, so I must be a terrible friend."),
    ("counselor", "That sounds painful. What happened, and what are you telling yourself?"),
    ("client", "I missed the date. I keep telling myself that I never care about anyone."),
    ("counselor", "If another friend forgot once, would that mean they never cared about you?"),
    ("client", "No, I would think they were busy. Maybe that applies to me as well."),
    ("counselor", "You found that yourself. A short message to her today could be a good step."),
]


def judge_pipeline(write_pipeline: Callable[..., Path]) -> Path:
    """CTRS (min mean 3) and PANAS (negative must fall) with scripted replies, in order."""
    config = scripted_config(
        models={
            "script": {"backend": "scripted"},
            "judge_model": {
                "backend": "scripted",
                "replies": {
                    "judge": [ctrs(5, 4), "not json", ctrs(1, 2)],
                    "judge_panas": [
                        panas(2, 4),
                        panas(3, 2),
                        panas(2, 3),
                        panas(2, 3),
                        panas(2, 3),
                        "oops",
                    ],
                },
            },
        },
        judges={
            "ctrs": {"items": ITEMS, "min_mean": 3},
            "panas": {"rubric": "panas", "roles": ["judge_panas"], "require_negative_drop": True},
        },
    )
    config["roles"]["judge"]["model"] = "judge_model"
    config["roles"]["judge_panas"] = {"model": "judge_model"}
    return write_pipeline(config)


def jsonl(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def line(dialogue_id: str) -> str:
    return json.dumps(
        {"id": dialogue_id, "messages": [{"role": r, "content": c} for r, c in CLEAN]}
    )


def split_rows(out: Path, split: str) -> list[dict[str, Any]]:
    paths = sorted(out.glob(f"data/default/{split}-*"))
    return [r for p in paths for r in pq.read_table(p).to_pylist()]


def test_judge_command_on_a_jsonl_judges_gates_and_summarises(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    path = judge_pipeline(write_pipeline)
    source = jsonl(tmp_path / "d.jsonl", line("a"), line("b"), "{oops", line("c"))
    result = cli("judge", source, "--out", tmp_path / "out", "--pipeline", path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert (
        f"error: {source}: 1 line could not be read (the other 3 dialogues were judged and "
        f"written to {tmp_path / 'out'}): {source} line 3: not valid JSON"
    ) in result.stderr.replace("\n", "")
    assert [r["id"] for r in split_rows(tmp_path / "out", "train")] == ["a"]
    rejected = {r["id"]: r["reasons"] for r in split_rows(tmp_path / "out", "rejected")}
    assert rejected == {
        "b": ["judge_missing", NOT_DOWN],
        "c": ["judge_below_min", "judge_missing"],
    }
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["counts"] == {
        "dialogues": 3,
        "kept": 1,
        "rejected": 2,
        "by_reason": {"judge_below_min": 1, "judge_missing": 2, NOT_DOWN: 1},
    }
    ctrs_summary, panas_summary = summary["judges"]
    assert ctrs_summary == {
        "judge": "ctrs",
        "rubric": "ctrs",
        "models": {"judge": "scripted"},
        "samples": 1,
        "judged": 3,
        "missing": 1,
        "replies": 3,
        "replies_missing": 1,
        "mean": 3.0,
        "spread": 0.0,
        "items": {
            "understanding": {"mean": 3.0, "spread": 0.0},
            "focus": {"mean": 3.0, "spread": 0.0},
        },
        "affect": None,
    }
    assert (panas_summary["judged"], panas_summary["missing"]) == (3, 1)
    assert panas_summary["affect"] == {
        "positive_delta": 0.5,
        "negative_delta": -1.0,
        "negative_fell": 0.5,
        "positive_rose": 0.5,
    }
    assert summary["tokens"]["completion"] > 0
    out = result.stdout
    assert "1 kept / 3 dialogues" in out
    assert "judge ctrs (ctrs): 3 judged, 1 verdicts missing; 1 of 3 replies did not parse" in out
    assert (
        "judge panas (panas): 3 judged, 1 verdicts missing; 1 of 3 replies did not parse; PANAS "
        "change positive 0.50, negative -1.00; negative fell in 50% of the dialogues"
    ) in out
    assert "negative_delta" in out and "understanding" in out


def test_judge_command_on_a_run_directory_judges_afresh(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    config = scripted_config(judges={"ctrs": {"enabled": False}})
    config["models"]["script"]["replies"] = {"client": CLIENT, "counselor": COUNSELOR}
    run = pipeline.run(
        pipeline.plan(load_pipeline(write_pipeline(config, "run.yaml"))), tmp_path / "run"
    )
    assert run.counts.kept == 6 and run.judges == []
    only_ctrs = scripted_config(judges={"ctrs": {"items": ITEMS, "min_mean": 4}})
    only_ctrs["models"]["script"]["replies"] = {"judge": [ctrs(5, 4), ctrs(3, 4)]}
    path = write_pipeline(only_ctrs, "judge.yaml")
    result = cli("judge", tmp_path / "run", "--out", tmp_path / "again", "--pipeline", path)
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "again" / "summary.json").read_text())
    assert summary["counts"] == {
        "dialogues": 6,
        "kept": 3,
        "rejected": 3,
        "by_reason": {"judge_below_min": 3},
    }
    kept = split_rows(tmp_path / "again", "train")
    assert [r["ctrs_mean"] for r in kept] == [4.5] * 3
    assert all(r["judge_models"] == [{"role": "judge", "model": "scripted"}] for r in kept)
    # The dialogues themselves are the run's, unchanged.
    originals = {r["id"]: r["turns"] for r in split_rows(tmp_path / "run", "train")}
    assert {r["id"]: r["turns"] for r in kept} == {r["id"]: originals[r["id"]] for r in kept}


def test_judge_command_bad_input_is_one_paragraph_and_exit_2(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    path = judge_pipeline(write_pipeline)
    missing = cli("judge", tmp_path / "nowhere.jsonl", "--out", tmp_path / "o", "--pipeline", path)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert f"error: {tmp_path / 'nowhere.jsonl'}: no such file or run directory." in (
        missing.stderr.replace("\n", "")
    )
    config = scripted_config(judges={})
    no_judge = write_pipeline(config, "none.yaml")
    source = jsonl(tmp_path / "d.jsonl", line("a"))
    result = cli("judge", source, "--out", tmp_path / "o", "--pipeline", no_judge)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"error: {no_judge}: no judge is enabled, so there is nothing to judge with" in (
        result.stderr.replace("\n", "")
    )
    with pytest.raises(ConfigError, match="no judge is enabled"):
        pipeline.rejudge(pipeline.plan(load_pipeline(no_judge)), [], tmp_path / "x", False)
