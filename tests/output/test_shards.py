"""Rows, atomic shards, the round trip back to Dialogues, `datasets` loading, manifest and card."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pyarrow.parquet as pq

from healme_synth.output import (
    SCHEMA,
    ShardWriter,
    read_dialogues,
    to_row,
    write_manifest,
)
from healme_synth.records import (
    AffectSummary,
    CounselingReport,
    Counts,
    Dialogue,
    Emotion,
    ItemSummary,
    JudgeSummary,
    Manifest,
    Message,
    Questionnaire,
    Reason,
    Sample,
    Tokens,
    Verdict,
)
from tests.helpers import dialogue, persona

SYSTEM = "You are a warm, careful counselor."
MODELS = {"counselor": "counselor-model", "client": "client-model"}


def messages() -> list[Message]:
    return [
        Message(
            role="client",
            content="I messed up the report.",
            finish_reason="stop",
            prompt_tokens=40,
            completion_tokens=6,
            cached_tokens=0,
        ),
        Message(
            role="counselor",
            content="What happened exactly?",
            finish_reason="stop",
            prompt_tokens=50,
            completion_tokens=4,
            cached_tokens=32,
        ),
        Message(
            role="client",
            content="A number in the wrong column.",
            finish_reason=None,
            prompt_tokens=60,
            completion_tokens=7,
            cached_tokens=48,
        ),
        Message(
            role="counselor",
            content="One figure, caught in",
            finish_reason="length",
            prompt_tokens=70,
            completion_tokens=5,
            cached_tokens=56,
        ),
    ]


JUDGES = {"judge": "judge-model", "judge_large": "large-model"}


def ctrs_verdict() -> Verdict:
    """Two judge models, one sample each: 5/2 and 3/2."""
    return Verdict(
        judge="ctrs",
        rubric="ctrs",
        scores={"understanding": 4.0, "focus": 2.0},
        spreads={"understanding": 2.0, "focus": 0.0},
        mean=3.0,
        spread=2.0,
        parsed=2,
        missing=0,
        samples=[
            Sample(
                role="judge",
                model="judge-model",
                index=0,
                parsed=True,
                scores={"understanding": 5.0, "focus": 2.0},
                raw=['{"understanding": 5, "focus": 2}'],
            ),
            Sample(
                role="judge_large",
                model="large-model",
                index=0,
                parsed=True,
                scores={"understanding": 3.0, "focus": 2.0},
                raw=['{"understanding": 3, "focus": 2}'],
            ),
        ],
    )


PANAS_SCORES = {
    "positive_before": 1.5,
    "positive_after": 2.0,
    "positive_delta": 0.5,
    "negative_before": 3.0,
    "negative_after": 2.2,
    "negative_delta": -0.8,
}


def panas_verdict() -> Verdict:
    """One parsed before/after pair, one pair whose after reply did not parse."""
    return Verdict(
        judge="panas",
        rubric="panas",
        scores=PANAS_SCORES,
        spreads=dict.fromkeys(PANAS_SCORES, 0.0),
        mean=None,
        spread=0.0,
        parsed=1,
        missing=1,
        samples=[
            Sample(
                role="judge",
                model="judge-model",
                index=0,
                parsed=True,
                scores=PANAS_SCORES,
                raw=['{"before": "..."}', '{"after": "..."}'],
            ),
            Sample(
                role="judge",
                model="judge-model",
                index=1,
                parsed=False,
                scores={},
                raw=['{"before": "..."}', "no"],
            ),
        ],
    )


def judged(i: int = 0) -> Dialogue:
    return dialogue(
        messages=messages(),
        dialogue_id=f"{i:06d}-p-001",
        persona=persona(
            receptivity=2,
            questionnaires=[Questionnaire(instrument="phq9", answers=[2, 2, 1, 2, 1, 1, 1, 0, 0])],
            condition="mdd",
            report=CounselingReport(
                case_brief="An accountant.",
                presenting_issue="Self-blame.",
                process="Q.",
                outcome="O.",
            ),
        ),
        models={**MODELS, **JUDGES},
        verdicts=[ctrs_verdict(), panas_verdict()],
        technique="Reality Testing",
        plan="Check the evidence for the thought.",
        end_marker_at=3,
        first_reframe_turn=2,
    )


def unparsed() -> Dialogue:
    return dialogue(
        messages=messages(),
        dialogue_id="000001-p-002",
        persona=persona(
            id="p-002",
            name="Tomasz",
            age=52,
            gender="male",
            occupation="city bus driver",
            thinking_traps=["labeling", "should_statements"],
            emotions=[Emotion(name="guilty", intensity=80), Emotion(name="sad", intensity=55)],
            attitude="negative",
        ),
        models={**MODELS, "judge": "judge-model"},
        run_seed=11,
        verdicts=[
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
                        model="judge-model",
                        index=0,
                        parsed=False,
                        scores={},
                        raw=["nope"],
                    )
                ],
            )
        ],
        reasons=[Reason(name="judge_missing", detail="no reply of judges.ctrs parsed (0 of 1)")],
    )


def unjudged() -> Dialogue:
    return dialogue(
        messages=messages()[:3],
        dialogue_id="000002-p-003",
        persona=persona(id="p-003", emotions=[]),
        models=MODELS,
        reasons=[
            Reason(name="turn_count", detail="3 turns, expected 4"),
            Reason(name="truncated", detail="turn 4 (counselor) was cut at the token limit"),
        ],
    )


# ---------------------------------------------------------------- to_row


def test_to_row_has_exactly_the_schema_columns_in_order() -> None:
    for d in [judged(), unparsed(), unjudged()]:
        assert list(to_row(d, SYSTEM)) == SCHEMA.names


def test_to_row_values() -> None:
    row = to_row(judged(), SYSTEM)
    assert row == {
        "id": "000000-p-001",
        "protocol": "healme",
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "I messed up the report."},
            {"role": "assistant", "content": "What happened exactly?"},
            {"role": "user", "content": "A number in the wrong column."},
            {"role": "assistant", "content": "One figure, caught in"},
        ],
        "turns": [m.model_dump() for m in messages()],
        "persona_id": "p-001",
        "persona_name": "Priya",
        "age": 29,
        "gender": "female",
        "occupation": "junior accountant",
        "situation": "Entered a figure in the wrong column during the quarterly close.",
        "thought": "I am an idiot who cannot be trusted with numbers.",
        "thinking_traps": ["labeling"],
        "other_traps": [],
        "emotions": [{"name": "ashamed", "intensity": 75}],
        "attitude": "positive",
        "intake_form": None,
        "at_risk": False,
        "seed_source": None,
        "receptivity": 2,
        "condition": "mdd",
        "questionnaires": [
            {
                "instrument": "phq9",
                "answers": [2, 2, 1, 2, 1, 1, 1, 0, 0],
                "total": 10,
                "severity": "moderate",
            }
        ],
        "report": {
            "case_brief": "An accountant.",
            "presenting_issue": "Self-blame.",
            "process": "Q.",
            "outcome": "O.",
        },
        "seed_technique": None,
        "cbt_technique": "Reality Testing",
        "cbt_plan": "Check the evidence for the thought.",
        "end_marker_at": 3,
        "first_reframe_turn": 2,
        "counselor_model": "counselor-model",
        "client_model": "client-model",
        "judge_models": [
            {"role": "judge", "model": "judge-model"},
            {"role": "judge_large", "model": "large-model"},
        ],
        "run_seed": 7,
        "prompt_tokens": 220,
        "completion_tokens": 22,
        "cached_tokens": 136,
        "verdicts": [
            {
                "judge": "ctrs",
                "rubric": "ctrs",
                "mean": 3.0,
                "spread": 2.0,
                "parsed": 2,
                "missing": 0,
                "items": [
                    {"item": "understanding", "score": 4.0, "spread": 2.0},
                    {"item": "focus", "score": 2.0, "spread": 0.0},
                ],
                "samples": [
                    {
                        "role": "judge",
                        "model": "judge-model",
                        "index": 0,
                        "parsed": True,
                        "raw": ['{"understanding": 5, "focus": 2}'],
                        "scores": [
                            {"item": "understanding", "score": 5.0},
                            {"item": "focus", "score": 2.0},
                        ],
                    },
                    {
                        "role": "judge_large",
                        "model": "large-model",
                        "index": 0,
                        "parsed": True,
                        "raw": ['{"understanding": 3, "focus": 2}'],
                        "scores": [
                            {"item": "understanding", "score": 3.0},
                            {"item": "focus", "score": 2.0},
                        ],
                    },
                ],
            },
            {
                "judge": "panas",
                "rubric": "panas",
                "mean": None,
                "spread": 0.0,
                "parsed": 1,
                "missing": 1,
                "items": [{"item": k, "score": v, "spread": 0.0} for k, v in PANAS_SCORES.items()],
                "samples": [
                    {
                        "role": "judge",
                        "model": "judge-model",
                        "index": 0,
                        "parsed": True,
                        "raw": ['{"before": "..."}', '{"after": "..."}'],
                        "scores": [{"item": k, "score": v} for k, v in PANAS_SCORES.items()],
                    },
                    {
                        "role": "judge",
                        "model": "judge-model",
                        "index": 1,
                        "parsed": False,
                        "raw": ['{"before": "..."}', "no"],
                        "scores": [],
                    },
                ],
            },
        ],
        "ctrs_mean": 3.0,
        "healme_mean": None,
        "panas_positive_delta": 0.5,
        "panas_negative_delta": -0.8,
        # The safety layer did not run on this dialogue: nulls and empty lists.
        "risk_labels": [],
        "probe_type": None,
        "probe_turn": None,
        "probe_labels": [],
        "probe_variant": None,
        "safety_verdict": None,
        "safety_failed": [],
        "disclosure_turn": None,
        "safety_checked_turns": [],
        "safety_criteria": [],
        "safety_findings": [],
        "safety_models": [],
        "safety_raw": [],
        "reasons": [],
        "reason_details": [],
    }
    assert row["turns"][3] == {
        "role": "counselor",
        "content": "One figure, caught in",
        "finish_reason": "length",
        "prompt_tokens": 70,
        "completion_tokens": 5,
        "cached_tokens": 56,
    }


def test_to_row_messages_map_client_to_user_and_counselor_to_assistant() -> None:
    d = dialogue(models=MODELS)  # six turns, client first
    chat = to_row(d, SYSTEM)["messages"]
    assert [m["role"] for m in chat] == ["system"] + ["user", "assistant"] * 3
    assert [m["content"] for m in chat[1:]] == [m.content for m in d.messages]
    assert all(set(m) == {"role", "content"} for m in chat)


def test_to_row_without_verdict_and_with_reasons() -> None:
    row = to_row(unjudged(), SYSTEM)
    judging = ("judge_", "verdicts", "ctrs_", "healme_", "panas_")
    assert {k: row[k] for k in SCHEMA.names if k.startswith(judging)} == {
        "judge_models": [],
        "verdicts": [],
        "ctrs_mean": None,
        "healme_mean": None,
        "panas_positive_delta": None,
        "panas_negative_delta": None,
    }
    assert row["reasons"] == ["turn_count", "truncated"]
    assert row["reason_details"] == [
        "3 turns, expected 4",
        "turn 4 (counselor) was cut at the token limit",
    ]
    assert row["emotions"] == []


# ---------------------------------------------------------------- ShardWriter


def test_shard_writer_names_and_sizes(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "default"
    writer = ShardWriter(folder, "train", rows_per_shard=2)
    rows = [to_row(judged(i), SYSTEM) for i in range(5)]
    for row in rows:
        writer.add(row)
    # While the run goes on, only hidden parts exist: no reader can take one for a whole shard.
    assert all(p.name.startswith(".") for p in folder.iterdir())
    assert len(list(folder.iterdir())) == 2

    paths = writer.close()

    names = [f"train-0000{i}-of-00003.parquet" for i in range(3)]
    assert paths == [folder / n for n in names]
    assert sorted(p.name for p in folder.iterdir()) == names  # no hidden, .tmp or .part left
    assert writer.count == 5
    ids = [pq.read_table(p).column("id").to_pylist() for p in paths]
    assert ids == [
        ["000000-p-001", "000001-p-001"],
        ["000002-p-001", "000003-p-001"],
        ["000004-p-001"],
    ]
    for p in paths:
        assert pq.read_schema(p).equals(SCHEMA, check_metadata=False)


def test_shard_writer_exact_multiple_has_no_empty_trailing_shard(tmp_path: Path) -> None:
    writer = ShardWriter(tmp_path, "rejected", rows_per_shard=2)
    for i in range(4):
        writer.add(to_row(judged(i), SYSTEM))
    assert [p.name for p in writer.close()] == [
        "rejected-00000-of-00002.parquet",
        "rejected-00001-of-00002.parquet",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "rejected-00000-of-00002.parquet",
        "rejected-00001-of-00002.parquet",
    ]


def test_an_empty_split_writes_no_file(tmp_path: Path) -> None:
    # `datasets` refuses a split declared without data, and a 0-row shard is read as such: an
    # empty split is neither written nor (see test_card.py) declared.
    assert ShardWriter(tmp_path, "rejected", rows_per_shard=3).close() == []
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- round trip


def write_split(folder: Path, split: str, dialogues: list[Dialogue], per: int = 2) -> list[Path]:
    writer = ShardWriter(folder, split, rows_per_shard=per)
    for d in dialogues:
        writer.add(to_row(d, SYSTEM))
    return writer.close()


def test_read_dialogues_round_trip(tmp_path: Path) -> None:
    originals = [judged(0), unparsed(), unjudged(), judged(3)]
    paths = write_split(tmp_path, "train", originals, per=3)
    assert len(paths) == 2
    assert read_dialogues(paths) == originals


def test_read_dialogues_round_trip_keeps_the_judge_model_of_a_pipeline_dialogue(
    tmp_path: Path,
) -> None:
    # pipeline.run() gives every dialogue models={role: label} for counselor, client AND judge;
    # a dialogue rejected by a filter was never judged, and must still keep its judge model.
    models = {**MODELS, "judge": "judge-model"}
    originals = [
        judged(0).model_copy(update={"models": models}),
        unjudged().model_copy(update={"models": models}),
    ]
    assert read_dialogues(write_split(tmp_path, "train", originals)) == originals


# ---------------------------------------------------------------- datasets


def test_load_dataset_parquet_data_dir_train_split_has_only_kept_rows(tmp_path: Path) -> None:
    folder = tmp_path / "run" / "data" / "default"
    kept = [judged(0), judged(1), judged(2)]
    write_split(folder, "train", kept)
    write_split(folder, "rejected", [unparsed(), unjudged()])

    ds = datasets.load_dataset("parquet", data_dir=str(folder), cache_dir=str(tmp_path / "cache"))

    # The packaged parquet builder recognises `train-*` only; `rejected-*` is neither a split
    # of its own nor merged into train (the card's `configs:` is what exposes it, see below).
    assert list(ds) == ["train"]
    train = ds["train"]
    assert train.column_names == SCHEMA.names
    assert train["id"] == [d.id for d in kept]
    assert train[0]["messages"] == to_row(kept[0], SYSTEM)["messages"]


# ---------------------------------------------------------------- manifest and card


def manifest(judge: bool = True) -> Manifest:
    return Manifest(
        name="healme-test",
        protocol="healme",
        run_seed=7,
        config={
            "run": {"name": "healme-test", "seed": 7},
            "judges": {"ctrs": {"items": ["focus"]}},
        },
        config_sha256="ab" * 32,
        models={"counselor": "counselor-model", "client": "client-model", **JUDGES},
        versions={"pyarrow": "26.0.1", "pydantic": "2.14.3"},
        counts=Counts(
            dialogues=4, kept=2, rejected=2, by_reason={"turn_count": 1, "judge_missing": 1}
        ),
        tokens=Tokens(prompt=100, completion=20, cached=64),
        judges=[
            JudgeSummary(
                judge="ctrs",
                rubric="ctrs",
                models=JUDGES,
                samples=2,
                judged=3,
                missing=1,
                replies=12,
                replies_missing=5,
                mean=4.5,
                spread=1.0,
                items={
                    "understanding": ItemSummary(mean=4.5, spread=1.0),
                    "focus": ItemSummary(mean=None, spread=None),
                },
            ),
            JudgeSummary(
                judge="panas",
                rubric="panas",
                models={"judge": "judge-model"},
                judged=3,
                replies=3,
                items={k: ItemSummary(mean=v, spread=0.0) for k, v in PANAS_SCORES.items()},
                affect=AffectSummary(
                    positive_delta=0.5, negative_delta=-0.8, negative_fell=0.6667, positive_rose=1.0
                ),
            ),
        ]
        if judge
        else [],
        shards=[
            "data/default/train-00000-of-00001.parquet",
            "data/default/rejected-00000-of-00001.parquet",
        ],
        seconds=1.25,
    )


def test_write_manifest_is_the_manifest_as_json(tmp_path: Path) -> None:
    for m in [manifest(), manifest(judge=False)]:
        write_manifest(tmp_path, m)
        assert json.loads((tmp_path / "manifest.json").read_text()) == m.model_dump(mode="json")
        assert Manifest.model_validate_json((tmp_path / "manifest.json").read_text()) == m
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]
