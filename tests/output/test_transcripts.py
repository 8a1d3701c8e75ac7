"""`healme-synth filter` on dialogues the project did not generate, and on a run directory."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq

from healme_synth import pipeline
from healme_synth.config import load_pipeline
from healme_synth.output.transcripts import read_transcripts
from tests.conftest import cli, scripted_config

CLEAN = [
    ("client", "I forgot my friend's birthday, so I must be a terrible friend."),
    ("counselor", "That sounds painful. What happened, and what are you telling yourself?"),
    ("client", "I missed the date. I keep telling myself that I never care about anyone."),
    ("counselor", "If another friend forgot once, would that mean they never cared about you?"),
    ("client", "No, I would think they were busy. Maybe that applies to me as well."),
    ("counselor", "You found that yourself. A short message to her today could be a good step."),
]


def line(dialogue_id: str, turns: list[tuple[str, str]], **extra: object) -> str:
    messages = [{"role": r, "content": c} for r, c in turns]
    return json.dumps({"id": dialogue_id, "messages": messages, **extra})


def rows(out: Path, split: str) -> list[dict[str, object]]:
    return [
        r for p in sorted(out.glob(f"data/default/{split}-*")) for r in pq.read_table(p).to_pylist()
    ]


def test_filter_checks_a_foreign_jsonl_and_names_every_reason(tmp_path: Path) -> None:
    flipped = list(CLEAN)
    flipped[3] = ("counselor", "Would that mean they never cared?\nClient: No, I guess not.")
    staged = list(CLEAN)
    staged[1] = ("counselor", "(nods slowly) That sounds painful. What happened?")
    source = tmp_path / "dialogues.jsonl"
    source.write_text(
        "\n".join(
            [
                line("a", CLEAN),
                line("b", flipped, protocol="healme"),
                line("c", staged),
                line("d", CLEAN[:4]),
                '{"messages": []}',
                "{oops",
            ]
        )
        + "\n"
    )
    result = cli("filter", source, "--out", tmp_path / "out")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert (
        f"{source}: 2 lines could not be read (the other 4 dialogues were checked and written "
        f'to {tmp_path / "out"}): {source} line 5: "id" must be a non-empty string; '
        f"{source} line 6: not valid JSON"
    ) in result.stderr
    assert [r["id"] for r in rows(tmp_path / "out", "train")] == ["a"]
    rejected = {
        r["id"]: (r["reasons"], r["reason_details"]) for r in rows(tmp_path / "out", "rejected")
    }
    assert rejected == {
        "b": (["role_flip"], ["turn 4 (counselor) speaks as 'client'"]),
        "c": (["stage_direction"], ["turn 2 (counselor) has the stage direction '(nods slowly)'"]),
        "d": (
            ["turn_count", "premature_close"],
            ["4 turns, expected 6", "ended after 4 turns, before the minimum of 6"],
        ),
    }
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary == {
        "dialogues": 4,
        "kept": 1,
        "rejected": 3,
        "by_reason": {"premature_close": 1, "role_flip": 1, "stage_direction": 1, "turn_count": 1},
    }


def test_a_clean_file_exits_0_and_a_stand_in_persona_carries_the_clients_first_turn(
    tmp_path: Path,
) -> None:
    source = tmp_path / "ok.jsonl"
    source.write_text(line("a", CLEAN) + "\n")
    result = cli("filter", source, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    (row,) = rows(tmp_path / "out", "train")
    assert row["thought"] == CLEAN[0][1]
    assert row["seed_source"] == f"{source} line 1 (no persona given)"
    dialogues, errors = read_transcripts(source, "healme")
    assert errors == [] and [m.content for m in dialogues[0].messages] == [c for _, c in CLEAN]


def test_filter_on_a_run_directory_reproduces_the_runs_filter_decisions(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    config = scripted_config(judge={"enabled": False})
    config["roles"].pop("judge")
    config["models"]["script"]["replies"] = {
        "client": [
            "I keep thinking I ruin things for everyone at work.",
            "(sighs) Maybe it was only one meeting that went badly.",
            "I could ask my manager how she saw the meeting.",
        ],
        "counselor": ["What happened in that meeting, and what did you tell yourself?"],
    }
    path = write_pipeline(config)
    manifest = pipeline.run(pipeline.plan(load_pipeline(path)), tmp_path / "run")
    result = cli("filter", tmp_path / "run", "--out", tmp_path / "again", "--pipeline", path)
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "again" / "summary.json").read_text())
    assert summary == manifest.counts.model_dump()
    assert summary["by_reason"] == {"repetition": 6, "stage_direction": 6}
