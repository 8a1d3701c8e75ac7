"""Fault corpus: a resume refuses when a file the run read changed since it started, naming the
file, for every kind of input (templates, included snippets, protocol files, rubrics, probe
files, questionnaire tables, seed files), read at planning or first read mid-run. Each change
here leaves the config and the personas as they were, so only the file check can see it.
(Issue 17, item 2.)"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from healme_synth import inputs
from tests.conftest import ROOT
from tests.faults.corpus import Case, World, check

REFUSED = "holds a run started from other input files: {n} changed since it started ({files})"


def edited(
    name: str, where: Callable[[World], Path], change: Callable[[Path], None] | None = None
) -> Case:
    """A finished run of the world's private pipeline, then `change` to the file `where`
    gives (default: a comment or blank line appended), then the same `run` again."""

    def setup(w: World) -> list[str | Path]:
        path = w.private_pipeline()
        run_dir = w.finished_run(path)
        target = where(w)
        (change or _append)(target)
        w.facts.update(n="1 file", files=str(target))
        return ["run", path, "--out", run_dir]

    return Case(f"resume-after-editing-{name}", setup, 2, (REFUSED, "Restore the files"))


def _append(path: Path) -> None:
    suffix = {".j2": "{# edited #}\n", ".jsonl": "\n"}.get(path.suffix, "# edited\n")
    path.write_text(path.read_text() + suffix)


def _delete(path: Path) -> None:
    path.unlink()


def new_probe_file(w: World) -> list[str | Path]:
    path = w.private_pipeline()
    run_dir = w.finished_run(path)
    probe = yaml.safe_load((w.probes() / "mania.yaml").read_text())
    probe["type"] = "mania_again"
    added = w.probes() / "mania_again.yaml"
    added.write_text(yaml.safe_dump(probe))
    w.facts.update(n="1 file", files=str(added))
    return ["run", path, "--out", run_dir]


def removed_probe_file(w: World) -> list[str | Path]:
    path = w.private_pipeline()
    run_dir = w.finished_run(path)
    gone = w.probes() / "mania.yaml"
    gone.unlink()
    w.facts.update(n="1 file", files=str(gone))
    return ["run", path, "--out", run_dir]


def two_files(w: World) -> list[str | Path]:
    path = w.private_pipeline()
    run_dir = w.finished_run(path)
    first, second = w.prompts() / "healme" / "client_turn.j2", w.prompts() / "judge" / "ctrs.yaml"
    _append(first)
    _append(second)
    w.facts.update(n="2 files", files=", ".join(sorted(map(str, (first, second)))))
    return ["run", path, "--out", run_dir]


def jsonl_seeds(w: World) -> list[str | Path]:
    seeds = w.seeds("bank.jsonl")
    path = w.private_pipeline(seeds={"files": [str(seeds)], "sample": 6})
    run_dir = w.finished_run(path)
    _append(seeds)
    w.facts.update(n="1 file", files=str(seeds))
    return ["run", path, "--out", run_dir]


def questionnaire_table(w: World) -> list[str | Path]:
    """The shipped PHQ-9 table is read through the seeds' answers. It is not copied into the
    world (its folder is fixed), so the run's record of it is what changes here: the same
    comparison a changed file meets."""
    bank = yaml.safe_load((ROOT / "personas" / "bank.yaml").read_text())
    seeds = w.root / "seeds" / "screened.jsonl"
    seeds.parent.mkdir(parents=True, exist_ok=True)
    answers = {"instrument": "PHQ-9", "answers": [1, 1, 1, 1, 0, 0, 0, 0, 0]}
    seeds.write_text(
        "".join(json.dumps(p | {"questionnaires": [answers]}) + "\n" for p in bank["personas"])
    )
    path = w.private_pipeline(seeds={"files": [str(seeds)], "sample": 6})
    run_dir = w.finished_run(path)
    table = inputs.key(ROOT / "personas" / "questionnaires" / "phq9.yaml")
    start = json.loads((run_dir / "run.json").read_text())
    assert table in start["files"], sorted(start["files"])
    start["files"][table] = "0" * 64  # as if the table had been edited since
    (run_dir / "run.json").write_text(json.dumps(start))
    w.facts.update(n="1 file", files=table)
    return ["run", path, "--out", run_dir]


def intake_template(w: World) -> list[str | Path]:
    """Read only when the client writes the intake forms, mid-run (not by the dry run)."""
    path = w.private_pipeline(
        protocol="cactus",
        seeds={"files": [str(w.seeds())], "sample": 4, "expand_intake": True},
        judges={},
    )
    run_dir = w.finished_run(path)
    target = w.prompts() / "common" / "intake.j2"
    _append(target)
    w.facts.update(n="1 file", files=str(target))
    return ["run", path, "--out", run_dir]


def unchanged(w: World) -> list[str | Path]:
    path = w.private_pipeline()
    return ["run", path, "--out", w.finished_run(path)]


def moved_prompts(w: World) -> list[str | Path]:
    """Same files, another folder: a changed config (prompts_dir), named as such."""
    path = w.private_pipeline()
    run_dir = w.finished_run(path)
    shutil.copytree(w.prompts(), w.root / "prompts2")
    config = yaml.safe_load(path.read_text())
    config["prompts_dir"] = str(w.root / "prompts2")
    path.write_text(yaml.safe_dump(config))
    return ["run", path, "--out", run_dir]


CASES = [
    edited("a-role-template", lambda w: w.prompts() / "healme" / "counselor_system.j2"),
    edited("an-included-snippet", lambda w: w.prompts() / "common" / "client_receptivity.j2"),
    edited("the-training-system-template", lambda w: w.prompts() / "healme" / "training_system.j2"),
    edited("the-protocol-file", lambda w: w.prompts() / "healme" / "protocol.yaml"),
    edited("a-judge-rubric", lambda w: w.prompts() / "judge" / "ctrs.yaml"),
    edited("a-judge-template", lambda w: w.prompts() / "judge" / "ctrs.j2"),
    edited("the-safety-rubric", lambda w: w.prompts() / "judge" / "safety.yaml"),
    edited("the-uptake-template-read-mid-run", lambda w: w.prompts() / "judge" / "uptake.j2"),
    edited("a-probe-file", lambda w: w.probes() / "means_request.yaml"),
    edited("the-seed-bank", lambda w: w.seeds()),
    edited(
        "by-deleting-a-template-read-mid-run",
        lambda w: w.prompts() / "judge" / "uptake.j2",
        _delete,
    ),
    Case("resume-after-adding-a-probe-file", new_probe_file, 2, (REFUSED,)),
    Case("resume-after-removing-a-probe-file", removed_probe_file, 2, (REFUSED,)),
    Case("resume-after-editing-two-files", two_files, 2, (REFUSED,)),
    Case("resume-after-editing-jsonl-seeds", jsonl_seeds, 2, (REFUSED,)),
    Case("resume-after-a-questionnaire-table-changed", questionnaire_table, 2, (REFUSED,)),
    Case("resume-after-editing-the-intake-template", intake_template, 2, (REFUSED,)),
    Case(
        "resume-with-unchanged-files", unchanged, 0, ("resuming: 6 of 6 dialogues done",), out="r"
    ),
    Case(
        "resume-with-the-prompts-moved",
        moved_prompts,
        2,
        ("already holds a run of another config", "changed: prompts_dir"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_resume_input_faults(case: Case, tmp_path: Path) -> None:
    check(case, tmp_path)
