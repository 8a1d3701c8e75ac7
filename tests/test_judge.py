"""The judge without an engine: schema, parsing (a bad reply is missing, never 0), the gate, the
summary, the shipped rubric, and one judge() call over the scripted backend."""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

import pytest

from healme_synth.backends import GenParams
from healme_synth.backends.scripted import ScriptedBackend
from healme_synth.config import CtrsItem, JudgeSection, RoleSection
from healme_synth.judge import (
    Rubric,
    gate,
    judge,
    judge_request,
    load_rubric,
    parse_verdict,
    summarize,
    verdict_schema,
)
from healme_synth.prompts import Prompts
from healme_synth.records import Reason, Tokens, Verdict
from healme_synth.roleplay import turn_seed
from tests.helpers import CLEAN_TURNS, dialogue, persona

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = Prompts(ROOT / "prompts")
RUBRIC = load_rubric(ROOT / "prompts")
ITEMS = ["understanding", "focus"]


def verdict(scores: dict[str, int | None] | None, model: str = "m") -> Verdict:
    """A parsed verdict with these scores, or (None) one that did not parse."""
    if scores is None:
        return Verdict(rubric="ctrs", model=model, scores={}, mean=None, parsed=False, raw="oops")
    values = [v for v in scores.values() if v is not None]
    return Verdict(
        rubric="ctrs",
        model=model,
        scores=scores,
        mean=sum(values) / len(values),
        parsed=True,
        raw=json.dumps(scores),
    )


# ---------------------------------------------------------------- schema


def test_verdict_schema_is_a_closed_object_of_bounded_integers() -> None:
    schema = verdict_schema(RUBRIC, ITEMS)
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["understanding", "focus"]
    assert list(schema["properties"]) == ["understanding", "focus"]
    for key, title in [("understanding", "Understanding"), ("focus", "Focus")]:
        assert schema["properties"][key] == {
            "type": "integer",
            "minimum": 0,
            "maximum": 6,
            "title": title,
        }


# ---------------------------------------------------------------- parse_verdict


@pytest.mark.parametrize(
    ("raw", "scores", "mean"),
    [
        ('{"understanding": 5, "focus": 2}', {"understanding": 5, "focus": 2}, 3.5),
        ('{"focus": 6, "understanding": 6}', {"understanding": 6, "focus": 6}, 6.0),
        ('  {"understanding": 0, "focus": 0}\n', {"understanding": 0, "focus": 0}, 0.0),
        ('{"understanding": 1, "focus": 2}', {"understanding": 1, "focus": 2}, 1.5),
    ],
    ids=["mixed", "reordered", "zeros-are-real-scores", "low"],
)
def test_parse_verdict_valid(raw: str, scores: dict[str, int | None], mean: float) -> None:
    assert parse_verdict(raw, RUBRIC, ITEMS, "judge-model") == Verdict(
        rubric="ctrs", model="judge-model", scores=scores, mean=mean, parsed=True, raw=raw
    )


def test_parse_verdict_rounds_the_mean_to_four_places() -> None:
    raw = '{"understanding": 1, "focus": 1, "pacing": 2}'
    v = parse_verdict(raw, RUBRIC, ["understanding", "focus", "pacing"], "m")
    assert (v.parsed, v.mean) == (True, 1.3333)


@pytest.mark.parametrize(
    "raw",
    [
        "The counselor did well, I would say 5 and 4.",
        '{"understanding": 5, "focus"',
        '{"understanding": 5}',
        '{"understanding": 5, "focus": 4, "agenda": 3}',
        '{"understanding": 7, "focus": 4}',
        '{"understanding": -1, "focus": 4}',
        '{"understanding": "five", "focus": 4}',
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
        "word-score",
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
def test_parse_verdict_bad_reply_is_missing_never_zero(raw: str) -> None:
    assert parse_verdict(raw, RUBRIC, ITEMS, "judge-model") == Verdict(
        rubric="ctrs", model="judge-model", scores={}, mean=None, parsed=False, raw=raw
    )


# ---------------------------------------------------------------- gate


@pytest.mark.parametrize(
    ("v", "config", "reason"),
    [
        (None, JudgeSection(), None),
        (None, JudgeSection(min_mean=5), None),
        (
            verdict(None),
            JudgeSection(on_missing="reject"),
            Reason(name="judge_missing", detail="the judge reply did not parse"),
        ),
        (
            verdict(None),
            JudgeSection(on_missing="reject", min_mean=2),
            Reason(name="judge_missing", detail="the judge reply did not parse"),
        ),
        (verdict(None), JudgeSection(on_missing="keep"), None),
        (verdict(None), JudgeSection(on_missing="keep", min_mean=2), None),
        (verdict({"understanding": 0, "focus": 0}), JudgeSection(), None),
        (
            verdict({"understanding": 4, "focus": 3}),
            JudgeSection(min_mean=4),
            Reason(name="judge_below_min", detail="mean 3.50 is below judge.min_mean 4.0"),
        ),
        (
            verdict({"understanding": 0, "focus": 1}),
            JudgeSection(min_mean=0.75),
            Reason(name="judge_below_min", detail="mean 0.50 is below judge.min_mean 0.75"),
        ),
        (verdict({"understanding": 4, "focus": 4}), JudgeSection(min_mean=4), None),
        (verdict({"understanding": 6, "focus": 5}), JudgeSection(min_mean=4), None),
    ],
    ids=[
        "not-judged",
        "not-judged-with-min",
        "missing-reject",
        "missing-reject-with-min",
        "missing-keep",
        "missing-keep-with-min",
        "zeros-without-min",
        "below-min",
        "below-fractional-min",
        "at-min",
        "above-min",
    ],
)
def test_gate(v: Verdict | None, config: JudgeSection, reason: Reason | None) -> None:
    assert gate(dialogue(verdict=v), config) == reason


# ---------------------------------------------------------------- summarize


def test_summarize_averages_parsed_verdicts_only_and_counts_missing() -> None:
    verdicts = [
        verdict({"understanding": 6, "focus": 1}),
        verdict(None),
        verdict({"understanding": 3, "focus": 2}),
        verdict(None),
        verdict({"understanding": 4, "focus": 4}),
    ]
    summary = summarize(verdicts, "ctrs", "judge-model", ITEMS)
    assert summary.model_dump() == {
        "rubric": "ctrs",
        "model": "judge-model",
        "judged": 5,
        "missing": 2,
        "item_means": {"understanding": 4.3333, "focus": 2.3333},
        # Mean of the verdict means 3.5, 2.5 and 4.0.
        "mean": 3.3333,
    }


def test_summarize_with_no_parsed_verdict_has_no_means() -> None:
    summary = summarize([verdict(None), verdict(None)], "ctrs", "j", ITEMS)
    assert summary.model_dump() == {
        "rubric": "ctrs",
        "model": "j",
        "judged": 2,
        "missing": 2,
        "item_means": {"understanding": None, "focus": None},
        "mean": None,
    }


def test_summarize_nothing() -> None:
    assert summarize([], "ctrs", "j", ITEMS).model_dump() == {
        "rubric": "ctrs",
        "model": "j",
        "judged": 0,
        "missing": 0,
        "item_means": {"understanding": None, "focus": None},
        "mean": None,
    }


# ---------------------------------------------------------------- rubric


def test_shipped_rubric_has_all_eleven_ctrs_items_with_four_anchors() -> None:
    assert isinstance(RUBRIC, Rubric)
    assert RUBRIC.name == "ctrs"
    assert (RUBRIC.low, RUBRIC.high) == (0, 6)
    assert list(RUBRIC.items) == list(get_args(CtrsItem))
    assert len(RUBRIC.items) == 11
    for key, item in RUBRIC.items.items():
        assert list(item.anchors) == [0, 2, 4, 6], key
        assert all(text.strip() for text in item.anchors.values()), key
        assert item.title.strip(), key


# ---------------------------------------------------------------- judge()

VALID = '{"understanding": 5, "focus": 2}'
GARBAGE = "I think the counselor was quite good overall."


def test_judge_sets_verdicts_from_the_backend_replies() -> None:
    hidden = persona(
        situation="Spilled coffee on the quarterly ledger in front of the whole team.",
        thought="Everyone will remember this forever and whisper about me.",
        thinking_traps=["catastrophizing", "mind_reading"],
        attitude="negative",
    )
    good = dialogue(dialogue_id="000000-a", persona=hidden)
    bad = dialogue(dialogue_id="000001-b", persona=hidden, run_seed=9)
    backend = ScriptedBackend(replies={"judge": [VALID, GARBAGE]})
    section = RoleSection(model="j", temperature=0.0, max_tokens=64)
    config = JudgeSection(items=["understanding", "focus"])

    tokens = judge([good, bad], backend, section, config, RUBRIC, PROMPTS)

    assert good.verdict == Verdict(
        rubric="ctrs",
        model="scripted",
        scores={"understanding": 5, "focus": 2},
        mean=3.5,
        parsed=True,
        raw=VALID,
    )
    assert bad.verdict == Verdict(
        rubric="ctrs", model="scripted", scores={}, mean=None, parsed=False, raw=GARBAGE
    )

    # One request per dialogue, each with the verdict schema and a per-dialogue seed.
    assert len(backend.calls) == 2
    schema = verdict_schema(RUBRIC, ITEMS)
    for (turns, params), d in zip(backend.calls, [good, bad], strict=True):
        assert params == GenParams(
            temperature=0.0,
            top_p=0.95,
            max_tokens=64,
            seed=turn_seed(d.run_seed, d.id, 6, "judge"),
            role="judge",
        )
        assert params.json_schema == schema
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
        prompt=expected_prompt,
        completion=len(VALID.split()) + len(GARBAGE.split()),
        cached=0,
    )


def test_judge_prompt_lists_each_transcript_turn_in_order() -> None:
    prompt = judge_request(dialogue(), RUBRIC, ITEMS, PROMPTS)[1]["content"]
    positions = [prompt.index(content) for _, content in CLEAN_TURNS]
    assert positions == sorted(positions)
    assert "- understanding (Understanding): 0 = missed or misread" in prompt
    assert "- focus (Focus on key cognitions or behaviors): 0 = did not elicit" in prompt
    assert "- agenda" not in prompt


def test_judge_with_no_dialogues_calls_nothing() -> None:
    backend = ScriptedBackend(replies={"judge": [VALID]})
    tokens = judge([], backend, RoleSection(model="j"), JudgeSection(), RUBRIC, PROMPTS)
    assert tokens == Tokens()
    assert backend.calls == []
