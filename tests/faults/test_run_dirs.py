"""Fault corpus: run directories. `--overwrite` replaces only an empty directory or one a
healme-synth command wrote (its run.json), never the command's own input, and only after every
start-up check passed; one command at a time holds a run directory; an interrupt says how to
resume. (Issue 17, items 1, 4 and 9.)"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from tests.faults.corpus import Case, World, check

NOT_A_RUN = "holds no healme-synth run (no readable run.json)"
OWN_INPUT = "is where this command reads its input from"
BUSY = "is in use by another healme-synth command (PID {pid}"


def notes(w: World, out: str = "r") -> Path:
    """A folder of somebody's own files, a nested one included."""
    folder = w.root / out
    (folder / "sub").mkdir(parents=True)
    (folder / "my-notes.txt").write_text("keep me\n")
    (folder / "sub" / "thesis.tex").write_text("\\section{Keep}\n")
    return folder


def run_over_notes(overwrite: bool) -> Case:
    def setup(w: World) -> list[str | Path]:
        notes(w)
        return ["run", w.pipeline(), "--out", w.root / "r", *["--overwrite"] * overwrite]

    return Case(
        f"run-over-a-folder-of-notes{'-overwrite' if overwrite else ''}",
        setup,
        2,
        ("{root}/r is not empty (my-notes.txt, sub/)", NOT_A_RUN),
    )


def foreign_run_json(w: World) -> list[str | Path]:
    notes(w)
    (w.root / "r" / "run.json").write_text(json.dumps({"name": "another tool's run"}))
    return ["run", w.pipeline(), "--out", w.root / "r", "--overwrite"]


def broken_run_json(w: World) -> list[str | Path]:
    (w.root / "r").mkdir()
    (w.root / "r" / "run.json").write_bytes(b"\x00\x01 not json")
    (w.root / "r" / "my-notes.txt").write_text("keep me\n")
    return ["run", w.pipeline(), "--out", w.root / "r", "--overwrite"]


def out_is_a_file(w: World) -> list[str | Path]:
    (w.root / "r").write_text("a file, not a folder\n")
    return ["run", w.pipeline(), "--out", w.root / "r", "--overwrite"]


def out_under_a_file(w: World) -> list[str | Path]:
    (w.root / "f").write_text("a file\n")
    return ["run", w.pipeline(), "--out", w.root / "f" / "r"]


def recheck_into_its_source(command: str, overwrite: bool) -> Case:
    def setup(w: World) -> list[str | Path]:
        path = w.pipeline()
        run_dir = w.finished_run(path)
        flag = ["--overwrite"] * overwrite
        return [command, run_dir, "--out", run_dir, "--pipeline", path, *flag]

    return Case(
        f"{command}-a-run-into-itself{'-overwrite' if overwrite else ''}",
        setup,
        2,
        ("{root}/r " + OWN_INPUT + " ({root}/r)",),
    )


def filter_a_file_inside_its_out(w: World) -> list[str | Path]:
    path = w.pipeline()
    run_dir = w.finished_run(path)
    w.judged(run_dir, path, "j")
    lines = [json.dumps({"messages": [{"role": "client", "content": "Hi."}]})]
    (w.root / "j" / "dialogues.jsonl").write_text("\n".join(lines) + "\n")
    return ["filter", w.root / "j" / "dialogues.jsonl", "--out", w.root / "j", "--pipeline", path]


def filter_into_a_parent_of_its_source(w: World) -> list[str | Path]:
    path = w.pipeline()
    w.finished_run(path, "runs/r")
    return [
        "filter",
        w.root / "runs" / "r",
        "--out",
        w.root / "runs",
        "--pipeline",
        path,
        "--overwrite",
    ]


def run_over_its_own_pipeline(w: World) -> list[str | Path]:
    path = w.pipeline()
    run_dir = w.finished_run(path)
    inside = run_dir / "p.yaml"
    inside.write_text(path.read_text())
    return ["run", inside, "--out", run_dir, "--overwrite"]


def run_over_its_own_seeds(w: World) -> list[str | Path]:
    run_dir = w.finished_run(w.pipeline())
    seeds = run_dir / "seeds.yaml"
    seeds.write_text((w.seeds()).read_text())
    path = w.pipeline("q.yaml", seeds={"files": [str(seeds)], "sample": 6})
    return ["run", path, "--out", run_dir, "--overwrite"]


def run_reading_prompts_through_a_link_inside(w: World) -> list[str | Path]:
    """The link goes (never followed); the prompts are read where it points, and stay."""
    run_dir = w.finished_run(w.pipeline())
    prompts = run_dir / "prompts"
    prompts.symlink_to(w.prompts())
    path = w.pipeline("q.yaml", prompts_dir=str(prompts))
    return ["run", path, "--out", run_dir, "--overwrite"]


def overwrite_with_the_server_down(w: World) -> list[str | Path]:
    run_dir = w.finished_run(w.pipeline())
    return ["run", w.openai_pipeline(), "--out", run_dir, "--overwrite"]


def fresh_run_with_the_server_down(w: World) -> list[str | Path]:
    return ["run", w.openai_pipeline(), "--out", w.root / "new" / "r"]


def judge_overwrite_with_the_server_down(w: World) -> list[str | Path]:
    path = w.pipeline()
    run_dir = w.finished_run(path)
    judged = w.judged(run_dir, path, "j")
    return ["judge", run_dir, "--out", judged, "--pipeline", w.openai_pipeline(), "--overwrite"]


def overwrite_a_run_with_extra_files(w: World) -> list[str | Path]:
    """Documented: a folder holding a healme-synth run is replaced whole, notes included."""
    run_dir = w.finished_run(w.pipeline())
    (run_dir / "my-notes.txt").write_text("inside the run: replaced with it\n")
    return [
        "run",
        w.pipeline("q.yaml", run={"name": "t", "seed": 8, "batch_size": 4}),
        "--out",
        run_dir,
        "--overwrite",
    ]


def overwrite_never_follows_links(w: World) -> list[str | Path]:
    run_dir = w.finished_run(w.pipeline())
    notes(w, "elsewhere")
    (run_dir / "link-to-dir").symlink_to(w.root / "elsewhere")
    (run_dir / "link-to-file").symlink_to(w.root / "elsewhere" / "my-notes.txt")
    return [
        "run",
        w.pipeline("q.yaml", run={"name": "t", "seed": 8, "batch_size": 4}),
        "--out",
        run_dir,
        "--overwrite",
    ]


def run_into_an_empty_folder(w: World) -> list[str | Path]:
    (w.root / "r").mkdir()
    return ["run", w.pipeline(), "--out", w.root / "r"]


def refilter_over_a_filter_output(w: World) -> list[str | Path]:
    path = w.pipeline()
    run_dir = w.finished_run(path)
    w.judged(run_dir, path, "f")
    return ["filter", run_dir, "--out", w.root / "f", "--pipeline", path, "--overwrite"]


def run_into_a_judge_output(w: World) -> list[str | Path]:
    path = w.pipeline()
    run_dir = w.finished_run(path)
    w.judged(run_dir, path, "j")
    return ["run", path, "--out", w.root / "j"]


def filter_over_notes(w: World) -> list[str | Path]:
    path = w.pipeline()
    run_dir = w.finished_run(path)
    notes(w, "f")
    return ["filter", run_dir, "--out", w.root / "f", "--pipeline", path, "--overwrite"]


def run_into_a_busy_run(w: World) -> list[str | Path]:
    w.running("busy")
    return ["run", w.root / "long.yaml", "--out", w.root / "busy"]


def overwrite_a_busy_run(w: World) -> list[str | Path]:
    w.running("busy")
    return ["run", w.pipeline(), "--out", w.root / "busy", "--overwrite"]


def recheck_into_a_busy_run(command: str) -> Case:
    def setup(w: World) -> list[str | Path]:
        path = w.pipeline()
        run_dir = w.finished_run(path)
        w.running("busy")
        return [command, run_dir, "--out", w.root / "busy", "--pipeline", path, "--overwrite"]

    return Case(f"{command}-into-a-busy-run", setup, 2, (BUSY,), out="busy")


def interrupted(signum: int, overwrite: bool) -> Case:
    def setup(w: World) -> list[str | Path]:
        path = w.pipeline(
            seeds={"files": [str(w.seeds())], "sample": 20_000},
            run={"name": "t", "seed": 7, "batch_size": 50},
        )
        return ["run", path, "--out", w.root / "r", *["--overwrite"] * overwrite]

    again = "the same command without --overwrite" if overwrite else "the same command,"
    return Case(
        f"run-interrupted-by-{signal.Signals(signum).name}{'-overwrite' if overwrite else ''}",
        setup,
        128 + signum,
        (
            "interrupted: every finished turn is kept in {root}/r; the run can be resumed with "
            + again,
        ),
        out="r",
        interrupt=signum,
    )


CASES = [
    # --overwrite and what it may replace
    run_over_notes(overwrite=False),
    run_over_notes(overwrite=True),
    Case("run-over-a-foreign-run-json", foreign_run_json, 2, (NOT_A_RUN, "my-notes.txt, run.json")),
    Case("run-over-an-unreadable-run-json", broken_run_json, 2, (NOT_A_RUN,)),
    Case("out-is-a-file", out_is_a_file, 2, ("{root}/r: cannot use it as a run directory",)),
    Case(
        "out-under-a-file", out_under_a_file, 2, ("{root}/f/r: cannot use it as a run directory",)
    ),
    recheck_into_its_source("filter", overwrite=False),
    recheck_into_its_source("filter", overwrite=True),
    recheck_into_its_source("judge", overwrite=False),
    recheck_into_its_source("judge", overwrite=True),
    Case(
        "filter-a-jsonl-inside-its-out",
        filter_a_file_inside_its_out,
        2,
        ("{root}/j " + OWN_INPUT + " ({root}/j/dialogues.jsonl)",),
    ),
    Case(
        "filter-into-a-parent-of-its-source",
        filter_into_a_parent_of_its_source,
        2,
        ("{root}/runs " + OWN_INPUT + " ({root}/runs/r)",),
    ),
    Case(
        "overwrite-a-run-holding-its-pipeline",
        run_over_its_own_pipeline,
        2,
        ("{root}/r holds input files of this command ({root}/r/p.yaml)", "would delete them"),
    ),
    Case(
        "overwrite-a-run-holding-its-seeds",
        run_over_its_own_seeds,
        2,
        ("{root}/r holds input files of this command ({root}/r/seeds.yaml)",),
    ),
    Case(
        "overwrite-a-run-holding-a-link-to-its-prompts",
        run_reading_prompts_through_a_link_inside,
        0,
        (),
        out="r",
    ),
    # Start-up checks come before anything is deleted or created.
    Case(
        "overwrite-with-the-server-down",
        overwrite_with_the_server_down,
        2,
        ("cannot reach an OpenAI-compatible server at {url}",),
    ),
    Case(
        "fresh-run-with-the-server-down-leaves-no-folder",
        fresh_run_with_the_server_down,
        2,
        ("cannot reach an OpenAI-compatible server at {url}",),
    ),
    Case(
        "judge-overwrite-with-the-server-down",
        judge_overwrite_with_the_server_down,
        2,
        ("cannot reach an OpenAI-compatible server at {url}",),
    ),
    # What --overwrite and a plain run do replace or fill (and nothing beside it).
    Case("overwrite-a-run-with-extra-files", overwrite_a_run_with_extra_files, 0, (), out="r"),
    Case("overwrite-never-follows-links", overwrite_never_follows_links, 0, (), out="r"),
    Case("run-into-an-empty-folder", run_into_an_empty_folder, 0, (), out="r"),
    Case("refilter-over-a-judge-output", refilter_over_a_filter_output, 0, (), out="f"),
    Case(
        "run-into-a-judge-output",
        run_into_a_judge_output,
        2,
        ("{root}/j already holds `judge` output; pass --overwrite",),
    ),
    Case(
        "filter-over-notes", filter_over_notes, 2, ("{root}/f is not empty (my-notes.txt, sub/)",)
    ),
    # One command at a time
    Case("run-into-a-busy-run", run_into_a_busy_run, 2, (BUSY, "kill {pid}"), out="busy"),
    Case("overwrite-a-busy-run", overwrite_a_busy_run, 2, (BUSY,), out="busy"),
    recheck_into_a_busy_run("filter"),
    recheck_into_a_busy_run("judge"),
    # Interrupts say how to resume
    interrupted(signal.SIGINT, overwrite=False),
    interrupted(signal.SIGTERM, overwrite=False),
    interrupted(signal.SIGTERM, overwrite=True),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_run_directory_faults(case: Case, tmp_path: Path) -> None:
    check(case, tmp_path)


def test_overwrite_of_links_leaves_their_targets(tmp_path: Path) -> None:
    """The case above checks nothing outside changed; here, that the run itself was replaced."""
    check(Case("links", overwrite_never_follows_links, 0, (), out="r"), tmp_path)
    run_dir = tmp_path / "world" / "r"
    assert not (run_dir / "link-to-dir").exists() and not (run_dir / "link-to-file").exists()
    assert json.loads((run_dir / "run.json").read_text())["config"]["run"]["seed"] == 8
    assert sorted(os.listdir(tmp_path / "world" / "elsewhere")) == ["my-notes.txt", "sub"]
    assert (tmp_path / "world" / "elsewhere" / "sub" / "thesis.tex").is_file()
