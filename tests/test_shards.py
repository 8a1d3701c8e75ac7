"""Rows, atomic shards, the round trip back to Dialogues, `datasets` loading, manifest and card."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import yaml

from healme_synth.records import (
    Counts,
    Dialogue,
    Emotion,
    JudgeSummary,
    Manifest,
    Message,
    Reason,
    Tokens,
    Verdict,
)
from healme_synth.shards import (
    CTRS_ITEMS,
    SCHEMA,
    ShardWriter,
    read_dialogues,
    to_row,
    write_card,
    write_manifest,
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


def judged(i: int = 0) -> Dialogue:
    return dialogue(
        messages=messages(),
        dialogue_id=f"{i:06d}-p-001",
        models={**MODELS, "judge": "judge-model"},
        verdict=Verdict(
            rubric="ctrs",
            model="judge-model",
            scores={"understanding": 5, "focus": 2},
            mean=3.5,
            parsed=True,
            raw='{"understanding": 5, "focus": 2}',
        ),
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
        verdict=Verdict(
            rubric="ctrs", model="judge-model", scores={}, mean=None, parsed=False, raw="nope"
        ),
        reasons=[Reason(name="judge_missing", detail="the judge reply did not parse")],
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
        "counselor_model": "counselor-model",
        "client_model": "client-model",
        "judge_model": "judge-model",
        "run_seed": 7,
        "prompt_tokens": 220,
        "completion_tokens": 22,
        "cached_tokens": 136,
        "judge_rubric": "ctrs",
        "judge_parsed": True,
        "judge_mean": 3.5,
        "judge_raw": '{"understanding": 5, "focus": 2}',
        **{f"ctrs_{item}": None for item in CTRS_ITEMS},
        "ctrs_understanding": 5,
        "ctrs_focus": 2,
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
    assert {k: row[k] for k in SCHEMA.names if k.startswith(("judge_", "ctrs_"))} == {
        "judge_model": None,
        "judge_rubric": None,
        "judge_parsed": None,
        "judge_mean": None,
        "judge_raw": None,
        **{f"ctrs_{item}": None for item in CTRS_ITEMS},
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


def test_empty_writer_still_writes_one_empty_shard_with_the_schema(tmp_path: Path) -> None:
    paths = ShardWriter(tmp_path, "rejected", rows_per_shard=3).close()
    assert paths == [tmp_path / "rejected-00000-of-00001.parquet"]
    assert [p.name for p in tmp_path.iterdir()] == ["rejected-00000-of-00001.parquet"]
    table = pq.read_table(paths[0])
    assert table.num_rows == 0
    assert table.schema.equals(SCHEMA, check_metadata=False)


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


def test_load_dataset_from_the_run_folder_uses_the_card_configs(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    folder = run_dir / "data" / "default"
    kept, rejected = [judged(0), judged(1)], [unparsed(), unjudged()]
    write_split(folder, "train", kept)
    write_split(folder, "rejected", rejected)
    write_card(run_dir, manifest(), "default")

    ds = datasets.load_dataset(str(run_dir), "default", cache_dir=str(tmp_path / "cache"))

    assert sorted(ds) == ["rejected", "train"]
    assert ds["train"]["id"] == [d.id for d in kept]
    assert ds["rejected"]["id"] == [d.id for d in rejected]
    assert ds["rejected"]["reasons"] == [["judge_missing"], ["turn_count", "truncated"]]


# ---------------------------------------------------------------- manifest and card


def manifest(judge: bool = True) -> Manifest:
    return Manifest(
        name="healme-test",
        protocol="healme",
        run_seed=7,
        config={"run": {"name": "healme-test", "seed": 7}, "judge": {"items": ["focus"]}},
        config_sha256="ab" * 32,
        models={"counselor": "counselor-model", "client": "client-model", "judge": "judge-model"},
        versions={"pyarrow": "26.0.1", "pydantic": "2.14.3"},
        counts=Counts(
            dialogues=4, kept=2, rejected=2, by_reason={"turn_count": 1, "judge_missing": 1}
        ),
        tokens=Tokens(prompt=100, completion=20, cached=64),
        judge=JudgeSummary(
            rubric="ctrs",
            model="judge-model",
            judged=3,
            missing=1,
            item_means={"understanding": 4.5, "focus": None},
            mean=4.5,
        )
        if judge
        else None,
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


def front_matter(text: str) -> dict[str, object]:
    assert text.startswith("---\n")
    header, _, _ = text[4:].partition("\n---\n")
    loaded = yaml.safe_load(header)
    assert isinstance(loaded, dict)
    return loaded


def test_write_card_front_matter_declares_train_and_rejected(tmp_path: Path) -> None:
    write_card(tmp_path, manifest(), "healme-3r")
    text = (tmp_path / "README.md").read_text()
    assert front_matter(text)["configs"] == [
        {
            "config_name": "healme-3r",
            "data_files": [
                {"split": "train", "path": "data/healme-3r/train-*"},
                {"split": "rejected", "path": "data/healme-3r/rejected-*"},
            ],
        }
    ]
    body = text.partition("\n---\n")[2]
    assert "# healme-test\n" in body
    assert "- Dialogues: 4; kept (split `train`): 2; rejected (split `rejected`): 2.\n" in body
    assert (
        "- Judge: ctrs by `judge-model`, 3 judged, 1 verdicts missing (unparsed replies are "
        "never scored 0); mean 4.5.\n" in body
    )
    assert "| judge_missing | 1 |\n| turn_count | 1 |\n" in body
    assert f"`{'ab' * 32}`" in body
    assert [p.name for p in tmp_path.iterdir()] == ["README.md"]


def test_write_card_without_judge_or_rejections(tmp_path: Path) -> None:
    m = manifest(judge=False).model_copy(update={"counts": Counts(dialogues=2, kept=2, rejected=0)})
    write_card(tmp_path, m, "default")
    text = (tmp_path / "README.md").read_text()
    assert front_matter(text)["configs"][0]["config_name"] == "default"  # type: ignore[index]
    assert "- No judge was run.\n" in text
    assert "| none | 0 |\n" in text
