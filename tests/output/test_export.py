"""Exporters over a real scripted run: exact columns, order, counts, cells, quoting round trips."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import yaml

from healme_synth import pipeline
from healme_synth.config import load_pipeline
from healme_synth.errors import ConfigError
from healme_synth.output import ShardWriter, export
from tests.conftest import scripted_config
from tests.helpers import CSV_CLIENT as CLIENT
from tests.helpers import CSV_COUNSELOR as COUNSELOR

PERSONA = {
    "id": "x-1",
    "name": "Ana, M.",
    "age": 41,
    "gender": "female",
    "occupation": "school librarian",
    "situation": 'Her colleague said "hmm" when Ana presented, and left early.',
    "thought": 'She thinks I\'m "useless", and so does everyone.',
    "thinking_traps": ["mind_reading", "labeling"],
    "emotions": [{"name": "hurt", "intensity": 70}],
    "attitude": "neutral",
}
TURNS = [CLIENT[0], COUNSELOR[0], CLIENT[1], COUNSELOR[1], CLIENT[2], COUNSELOR[2]]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four dialogues of one persona; batch_size 1 so each dialogue gets replies 0, 1, 2 in its
    rounds, and the judge alternates a parsed and an unparsed verdict: 2 kept, 2 rejected."""
    root = tmp_path_factory.mktemp("export")
    (root / "personas.yaml").write_text(yaml.safe_dump({"personas": [PERSONA]}))
    config = scripted_config(
        run={"name": "t", "seed": 7, "batch_size": 1},
        seeds={"files": [str(root / "personas.yaml")], "sample": 4},
        judge={"items": ["understanding", "focus"]},
    )
    config["models"]["script"]["replies"] = {
        "client": CLIENT,
        "counselor": COUNSELOR,
        "judge": ['{"understanding": 5, "focus": 4}', "not json"],
    }
    (root / "p.yaml").write_text(yaml.safe_dump(config))
    pipeline.run(pipeline.plan(load_pipeline(root / "p.yaml")), root / "run")
    return root / "run"


def manifest(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "manifest.json").read_text())  # type: ignore[no-any-return]


def shard_rows(run_dir: Path, split: str) -> list[dict[str, Any]]:
    return pq.read_table(run_dir / f"data/default/{split}-00000-of-00001.parquet").to_pylist()


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_run_has_kept_and_rejected_dialogues(run_dir: Path) -> None:
    counts = manifest(run_dir)["counts"]
    assert (counts["kept"], counts["rejected"]) == (2, 2)
    assert [r["id"] for r in shard_rows(run_dir, "train")] == ["000000-x-1", "000002-x-1"]


def test_healme_table_has_healme_columns_in_order_and_exact_cells(
    run_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "nested" / "healme.csv"
    assert export.export_run("healme", run_dir, out) == manifest(run_dir)["counts"]["kept"]
    header, *rows = read_csv(out)
    assert header == [
        "index",
        "thinking_trap",
        "thought",
        "patient_round1",
        "doctor_round1",
        "patient_round2",
        "doctor_round2",
        "patient_round3",
        "polished_doctor_round3",
    ]
    assert len(rows) == 2
    assert rows[0] == [
        "0",
        "Jumping to conclusions: mind reading",
        'She thinks I\'m "useless", and so does everyone.',
        *TURNS,
    ]
    assert [r[0] for r in rows] == ["0", "1"]
    assert list(tmp_path.joinpath("nested").iterdir()) == [out]  # no temp file left behind


def test_healme_csv_reads_back_the_same_strings_with_pyarrow_and_pandas(
    run_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "healme.csv"
    export.export_run("healme", run_dir, out, split="all")
    expected = read_csv(out)
    assert "\r\n" in expected[1][5] and '"' in expected[1][2]  # the hard cells are there
    table = pacsv.read_csv(
        out,
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(export.HEALME_COLUMNS, "string")
        ),
    )
    assert table.column_names == expected[0]
    assert [list(r.values()) for r in table.to_pylist()] == expected[1:]
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert frame.columns.tolist() == expected[0]
    assert frame.to_numpy().tolist() == expected[1:]


def test_rejected_and_all_splits(run_dir: Path, tmp_path: Path) -> None:
    n = export.export_run("sharegpt", run_dir, tmp_path / "r.jsonl", split="rejected")
    assert n == manifest(run_dir)["counts"]["rejected"] == 2
    assert [r["id"] for r in read_jsonl(tmp_path / "r.jsonl")] == ["000001-x-1", "000003-x-1"]
    assert export.export_run("sharegpt", run_dir, tmp_path / "a.jsonl", split="all") == 4
    ids = [r["id"] for r in read_jsonl(tmp_path / "a.jsonl")]
    assert ids == ["000000-x-1", "000002-x-1", "000001-x-1", "000003-x-1"]
    export.export_run("healme", run_dir, tmp_path / "r.csv", split="rejected")
    assert [r[0] for r in read_csv(tmp_path / "r.csv")[1:]] == ["0", "1"]


def test_cactus_records(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "cactus.jsonl"
    assert export.export_run("cactus", run_dir, out) == 2
    records = read_jsonl(out)
    assert [list(r) for r in records] == [list(export.CACTUS_FIELDS)] * 2
    assert list(export.CACTUS_FIELDS) == [
        "thought",
        "patterns",
        "intake_form",
        "cbt_technique",
        "cbt_plan",
        "attitude",
        "dialogue",
    ]
    assert records[0] == {
        "thought": 'She thinks I\'m "useless", and so does everyone.',
        "patterns": ["mind reading", "labeling"],
        "intake_form": "Name: Ana, M.\nAge: 41\nGender: female\nOccupation: school librarian\n"
        'Situation: Her colleague said "hmm" when Ana presented, and left early.',
        "cbt_technique": None,
        "cbt_plan": None,
        "attitude": "neutral",
        "dialogue": "\n".join(
            f"{'Client' if i % 2 == 0 else 'Counselor'}: {t}" for i, t in enumerate(TURNS)
        ),
    }


def test_sqpsych_rows(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "sqpsych.csv"
    assert export.export_run("sqpsych", run_dir, out) == 2
    header, *rows = read_csv(out)
    assert header == ["file_id", "condition", "client_model", "therapist_model", "dialogue"]
    assert rows[0] == [
        "000000-x-1",
        "",
        "scripted",
        "scripted",
        "Client: "
        + TURNS[0]
        + "\nTherapist: "
        + TURNS[1]
        + "\nClient: "
        + TURNS[2]
        + "\nTherapist: "
        + TURNS[3]
        + "\nClient: "
        + TURNS[4]
        + "\nTherapist: "
        + TURNS[5],
    ]
    assert len(rows) == 2


def test_sharegpt_conversations(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "sharegpt.jsonl"
    assert export.export_run("sharegpt", run_dir, out) == 2
    first = read_jsonl(out)[0]
    system = shard_rows(run_dir, "train")[0]["messages"][0]
    assert system["role"] == "system" and system["content"]
    assert first == {
        "id": "000000-x-1",
        "conversations": [{"from": "system", "value": system["content"]}]
        + [{"from": "human" if i % 2 == 0 else "gpt", "value": t} for i, t in enumerate(TURNS)],
    }


def test_prompt_completion_examples(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "pc.jsonl"
    assert export.export_run("prompt_completion", run_dir, out) == 2 * 3  # per counselor turn
    examples = read_jsonl(out)
    system = {
        "role": "system",
        "content": shard_rows(run_dir, "train")[0]["messages"][0]["content"],
    }
    chat = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": t} for i, t in enumerate(TURNS)
    ]
    assert examples[:3] == [
        {"id": "000000-x-1", "turn": 1, "prompt": [system, *chat[:1]], "completion": [chat[1]]},
        {"id": "000000-x-1", "turn": 3, "prompt": [system, *chat[:3]], "completion": [chat[3]]},
        {"id": "000000-x-1", "turn": 5, "prompt": [system, *chat[:5]], "completion": [chat[5]]},
    ]
    assert [(e["id"], e["turn"]) for e in examples[3:]] == [("000002-x-1", t) for t in (1, 3, 5)]


def test_healme_format_refuses_other_protocols(run_dir: Path, tmp_path: Path) -> None:
    # A manifest of another protocol is refused before any row is read.
    other = tmp_path / "cactus-run"
    shutil.copytree(run_dir, other)
    data = manifest(other) | {"protocol": "cactus"}
    (other / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(ConfigError, match=r"cactus-run \(run 't'\) has protocol 'cactus'"):
        export.export_run("healme", other, tmp_path / "x.csv")
    # Rows of another protocol under a healme manifest are refused too, naming the row.
    mixed = tmp_path / "mixed-run"
    mixed.mkdir()
    shutil.copy(run_dir / "manifest.json", mixed / "manifest.json")
    writer = ShardWriter(mixed / "data" / "default", "train", 1000)
    for row in shard_rows(run_dir, "train"):
        writer.add(row | {"protocol": "cactus"})
    writer.close()
    with pytest.raises(ConfigError, match=r"mixed-run: row 0 \(000000-x-1\) has protocol 'cactus'"):
        export.export_run("healme", mixed, tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()
    # The other formats take any protocol.
    assert export.export_run("cactus", other, tmp_path / "c.jsonl") == 2


def test_missing_pieces_are_named(run_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"empty is not a run directory: expected .*manifest"):
        export.export_run("sharegpt", tmp_path / "empty", tmp_path / "x.jsonl")
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(run_dir / "manifest.json", bare / "manifest.json")
    with pytest.raises(ConfigError, match=r"bare has no train shards: expected .*train-\*"):
        export.export_run("sharegpt", bare, tmp_path / "x.jsonl")
    with pytest.raises(ConfigError, match="unknown export format 'alpaca'; expected one of: "):
        export.export_run("alpaca", run_dir, tmp_path / "x.jsonl")
    with pytest.raises(ConfigError, match="unknown split 'test'"):
        export.export_run("sharegpt", run_dir, tmp_path / "x.jsonl", split="test")
    with pytest.raises(ConfigError, match="is a directory"):
        export.export_run("sharegpt", run_dir, tmp_path)


def test_a_split_left_empty_exports_no_rows(run_dir: Path, tmp_path: Path) -> None:
    # An empty split is not written and its shards are not listed in the manifest.
    empty = tmp_path / "all-kept"
    shutil.copytree(run_dir, empty)
    for path in empty.glob("data/default/rejected-*.parquet"):
        path.unlink()
    data = manifest(empty)
    data["shards"] = [s for s in data["shards"] if "/rejected-" not in s]
    (empty / "manifest.json").write_text(json.dumps(data))
    assert export.export_run("sharegpt", empty, tmp_path / "r.jsonl", split="rejected") == 0
    assert (tmp_path / "r.jsonl").read_text() == ""
    assert export.export_run("sharegpt", empty, tmp_path / "a.jsonl", split="all") == 2
    assert [r["id"] for r in read_jsonl(tmp_path / "a.jsonl")] == ["000000-x-1", "000002-x-1"]


def test_names_and_default_out() -> None:
    assert export.trap_label("all_or_nothing") == (
        "Black-and-white or polarized thinking / All or nothing thinking"
    )
    assert export.readable("discounting_the_positive") == "discounting the positive"
    assert export.default_out("healme", Path("outputs/t")) == Path(
        "outputs/t/exports/healme-train.csv"
    )
    assert export.default_out("cactus", Path("r"), "all") == Path("r/exports/cactus-all.jsonl")
    assert export.default_out("prompt_completion", Path("r")) == Path(
        "r/exports/prompt_completion-train.jsonl"
    )
    assert (
        set(export.FORMATS)
        == set(export.SUFFIXES)
        == {"healme", "cactus", "sqpsych", "sharegpt", "prompt_completion"}
    )
