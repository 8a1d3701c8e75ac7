"""The run directory: what --overwrite may replace and when, the lock that keeps one command
per directory, the input files a resume checks, and interrupts. The fault corpus
(tests/faults/) covers the same rules from the command line, case by case; these tests look
inside (run.json, the journal, the lock) and at the flows between sessions."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from healme_synth import inputs, pipeline
from healme_synth.backends import ChatTurn, Completion, GenParams
from healme_synth.backends.scripted import ScriptedBackend
from healme_synth.config import load_pipeline
from healme_synth.errors import ConfigError, RunDirError, SetupError
from healme_synth.pipeline import lock
from tests.conftest import ROOT, cli, scripted_config


def plan_of(path: Path) -> pipeline.Plan:
    return pipeline.plan(load_pipeline(path))


def private_config(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    """A scripted pipeline over copies of the prompts, probes and seeds (tests edit them)."""
    for name, source in (("prompts", ROOT / "prompts"), ("probes", ROOT / "personas" / "probes")):
        if not (tmp_path / name).exists():
            shutil.copytree(source, tmp_path / name)
    seeds = tmp_path / "bank.yaml"
    if not seeds.exists():
        shutil.copy(ROOT / "personas" / "bank.yaml", seeds)
    config = scripted_config(
        prompts_dir=str(tmp_path / "prompts"),
        seeds={"files": [str(seeds)], "sample": 6},
        safety={"probes_dir": str(tmp_path / "probes")},
    )
    config.update(overrides)
    return config


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


# ------------------------------------------------------------------ --overwrite


def test_overwrite_refuses_a_folder_that_is_not_a_run(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    out = tmp_path / "r"
    (out / "sub").mkdir(parents=True)
    (out / "my-notes.txt").write_text("mine")
    (out / "sub" / "thesis.tex").write_text("mine too")
    before = tree(out)
    with pytest.raises(RunDirError, match="holds no healme-synth run"):
        pipeline.run(plan_of(write_pipeline(scripted_config())), out, overwrite=True)
    assert tree(out) == before and sorted(p.name for p in out.iterdir()) == ["my-notes.txt", "sub"]


def test_overwrite_waits_until_the_backends_started(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    out = tmp_path / "r"
    pipeline.run(plan_of(write_pipeline(scripted_config())), out)
    before = tree(out)
    dead = scripted_config(
        models={
            "server": {
                "backend": "openai",
                "base_url": "http://127.0.0.1:9/v1",  # discard port: nothing answers
                "model": "toy",
                "max_retries": 0,
                "timeout_s": 2,
            }
        },
        roles={r: {"model": "server"} for r in ("counselor", "client", "judge")},
    )
    with pytest.raises(SetupError, match="cannot reach an OpenAI-compatible server"):
        pipeline.run(plan_of(write_pipeline(dead, "dead.yaml")), out, overwrite=True)
    assert tree(out) == before  # the old run, journal and card included


def test_filter_and_judge_never_write_into_their_source(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    path = write_pipeline(scripted_config())
    run_dir = tmp_path / "r"
    pipeline.run(plan_of(path), run_dir)
    before = tree(run_dir)
    p = plan_of(path)
    from healme_synth.output import transcripts

    dialogues, _ = transcripts.read_transcripts(run_dir, p.protocol.name)
    for out in (run_dir, run_dir.parent):
        with pytest.raises(RunDirError, match="is where this command reads its input from"):
            pipeline.refilter(p, dialogues, out, overwrite=True, source=run_dir)
        with pytest.raises(RunDirError, match="is where this command reads its input from"):
            pipeline.rejudge(p, dialogues, out, overwrite=True, source=run_dir)
    assert tree(run_dir) == before
    # Their output is a healme-synth folder too: replaced by --overwrite, refused by `run`.
    pipeline.refilter(p, dialogues, tmp_path / "f", overwrite=False, source=run_dir)
    start = json.loads((tmp_path / "f" / "run.json").read_text())
    assert start["command"] == "filter" and start["dialogues"] == 6
    pipeline.rejudge(p, dialogues, tmp_path / "f", overwrite=True, source=run_dir)
    assert json.loads((tmp_path / "f" / "run.json").read_text())["command"] == "judge"
    with pytest.raises(RunDirError, match="already holds `judge` output"):
        pipeline.run(p, tmp_path / "f")


def test_a_refused_start_leaves_no_trace(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    path = write_pipeline(scripted_config())
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("mine")
    with pytest.raises(RunDirError):
        pipeline.run(plan_of(path), tmp_path / "notes")
    assert sorted(p.name for p in (tmp_path / "notes").iterdir()) == ["a.txt"]  # no lock file

    def refuse(*_: Any) -> dict[str, Any]:
        raise SetupError("the server is down")

    import healme_synth.pipeline.generate as generate

    deep = tmp_path / "new" / "deeper" / "r"
    original = generate.build_backends
    generate.build_backends = refuse  # type: ignore[assignment]
    try:
        with pytest.raises(SetupError):
            pipeline.run(plan_of(path), deep)
    finally:
        generate.build_backends = original
    assert not (tmp_path / "new").exists()  # nor the folders made for it


# ------------------------------------------------------------------ the lock


def test_a_second_command_on_a_run_directory_is_refused_naming_the_holder(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    path = write_pipeline(scripted_config())
    out = tmp_path / "r"
    hold = (
        "import sys, time; from pathlib import Path; from healme_synth.pipeline import lock\n"
        "with lock.locked(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(600)"
    )
    holder_proc = subprocess.Popen(
        [sys.executable, "-c", hold, str(out)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert holder_proc.stdout is not None and holder_proc.stdout.readline() == "held\n"
        holder = json.loads((out / lock.HOLDER).read_text())
        assert holder["pid"] == holder_proc.pid and holder["command"] == [str(out)]
        for call in (
            lambda: pipeline.run(plan_of(path), out),
            lambda: pipeline.refilter(plan_of(path), [], out, overwrite=True),
            lambda: pipeline.rejudge(plan_of(path), [], out, overwrite=True),
        ):
            with pytest.raises(
                RunDirError,
                match=rf"is in use by another healme-synth command \(PID {holder['pid']}",
            ):
                call()
    finally:
        holder_proc.send_signal(signal.SIGINT)  # unwinds: the lock's `finally` runs
        holder_proc.wait(timeout=60)
    assert not (out / lock.HOLDER).exists()  # released, the sidecar gone with it
    with lock.locked(out), lock.locked(out):  # one process may nest its own hold
        assert lock.holds(out)
    pipeline.run(plan_of(path), out)  # free again
    assert (out / "manifest.json").is_file()


def test_writing_without_the_lock_is_a_bug(tmp_path: Path) -> None:
    from healme_synth.pipeline.run_dir import claim

    with pytest.raises(RuntimeError, match="without holding its lock"):
        claim(tmp_path, overwrite=False)


def test_two_runs_in_one_directory_never_mix_their_journals(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    """The second command is refused while the first runs; the first finishes with every turn
    journaled once (two writers used to duplicate 96-480 turn events, then crash)."""
    config = scripted_config(
        run={"name": "t", "seed": 7, "batch_size": 50},
        seeds={"files": [str(ROOT / "personas" / "bank.yaml")], "sample": 1500},
    )
    path = write_pipeline(config)
    out = tmp_path / "r"
    command = [sys.executable, "-m", "healme_synth", "run", str(path), "--out", str(out)]
    env = {"COLUMNS": "400", "PATH": "/usr/bin:/bin"}
    first = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT, text=True
    )
    while not any(p.stat().st_size for p in (out / "journal").glob("*.jsonl")):
        assert first.poll() is None, first.communicate()[1]
        time.sleep(0.02)
    second = cli("run", path, "--out", out)
    _, first_err = first.communicate(timeout=600)
    assert first.returncode == 0, first_err[-2000:]
    assert second.returncode == 2 and "Traceback" not in second.stderr
    assert f"is in use by another healme-synth command (PID {first.pid}" in second.stderr
    events: Counter[tuple[str, int]] = Counter()
    for chunk in (out / "journal").glob("*.jsonl"):
        for line in chunk.read_bytes().splitlines():
            event = json.loads(line)
            if event["event"] == "message":
                events[(event["id"], event["turn"])] += 1
    assert events and max(events.values()) == 1


# ------------------------------------------------------------------ the input files a resume checks


def test_run_json_records_every_kind_of_input_file(tmp_path: Path) -> None:
    """Each kind the plan or the run reads is in run.json with its SHA-256: role templates,
    included snippets, protocol, judge rubric and template, safety rubric, probe files, seeds
    (YAML and JSONL), questionnaire tables, and templates first read mid-run (intake
    here; uptake, a healme run's, in tests/faults)."""
    bank = yaml.safe_load((ROOT / "personas" / "bank.yaml").read_text())
    answers = {"instrument": "GAD-7", "answers": [1, 1, 0, 0, 1, 0, 0]}
    jsonl = tmp_path / "screened.jsonl"
    jsonl.write_text(
        "".join(
            json.dumps(p | {"id": f"q-{p['id']}", "questionnaires": [answers]}) + "\n"
            for p in bank["personas"]
        )
    )
    config = private_config(tmp_path, protocol="cactus", judges={"ctrs": {"rubric": "ctrs"}})
    config["seeds"] = {
        "files": [str(tmp_path / "bank.yaml"), str(jsonl)],
        "sample": 4,
        "expand_intake": True,
    }
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(config))
    p = plan_of(path)
    prompts, probes = tmp_path / "prompts", tmp_path / "probes"
    planned = {
        prompts / "cactus" / "counselor_system.j2",
        prompts / "cactus" / "protocol.yaml",
        prompts / "common" / "client_profile.j2",  # included by the role templates
        prompts / "judge" / "ctrs.yaml",
        prompts / "judge" / "ctrs.j2",
        prompts / "judge" / "safety.yaml",
        probes / "mania.yaml",
        tmp_path / "bank.yaml",
        jsonl,
        ROOT / "personas" / "questionnaires" / "gad7.yaml",
    }
    assert {inputs.key(f) for f in planned} <= set(p.inputs), sorted(p.inputs)
    for name, sha in p.inputs.items():
        assert inputs.sha256_now(name) == sha
    assert not any(name.endswith(("uptake.j2", "intake.j2")) for name in p.inputs)
    pipeline.run(p, tmp_path / "r")
    recorded = json.loads((tmp_path / "r" / "run.json").read_text())["files"]
    mid_run = {prompts / "common" / "intake.j2"}  # (uptake.j2: a healme run's, in tests/faults)
    assert {inputs.key(f) for f in planned | mid_run} <= set(recorded)
    assert not any("/healme/" in name for name in recorded)  # another protocol's files: unread


def test_a_resume_refuses_a_changed_file_and_names_it(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(private_config(tmp_path)))
    out = tmp_path / "r"
    pipeline.run(plan_of(path), out)
    template = tmp_path / "prompts" / "healme" / "counselor_turn.j2"
    original = template.read_text()
    template.write_text(original + "Be brief.\n")
    with pytest.raises(ConfigError, match=rf"1 file changed since it started \({template}\)"):
        pipeline.run(plan_of(path), out)
    template.write_text(original)  # restored: resumes
    pipeline.run(plan_of(path), out)


def test_a_run_json_from_before_files_were_recorded_still_resumes(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(private_config(tmp_path)))
    out = tmp_path / "r"
    pipeline.run(plan_of(path), out)
    start = json.loads((out / "run.json").read_text())
    del start["files"], start["command"]
    (out / "run.json").write_text(json.dumps(start))
    pipeline.run(plan_of(path), out)  # nothing to compare with: resumed as before
    assert "files" not in json.loads((out / "run.json").read_text())


class EditingBackend(ScriptedBackend):
    """Edits a template after the first batch of turns, as a user might mid-run."""

    def __init__(self, template: Path) -> None:
        super().__init__()
        self.template = template
        self.batches = 0

    def generate(
        self, batch: Sequence[list[ChatTurn]], params: Sequence[GenParams]
    ) -> list[Completion]:
        self.batches += 1
        if self.batches == 2:
            self.template.write_text(self.template.read_text() + "Be brief.\n")
            stat = self.template.stat()  # a later mtime, so jinja2 sees the change at once
            os.utime(self.template, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
        return super().generate(batch, params)


def test_a_template_changed_mid_run_stops_the_run(tmp_path: Path) -> None:
    """jinja2 reloads a template whose file changed: the run stops instead of mixing both."""
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(private_config(tmp_path)))
    template = tmp_path / "prompts" / "healme" / "counselor_turn.j2"
    backend = EditingBackend(template)
    with pytest.raises(ConfigError, match="changed while it was in use"):
        pipeline.run(
            plan_of(path),
            tmp_path / "r",
            backends={r: backend for r in ("counselor", "client", "judge")},
        )
    with pytest.raises(ConfigError, match=f"changed since it started \\({template}\\)"):
        pipeline.run(plan_of(path), tmp_path / "r")


# ------------------------------------------------------------------ interrupts


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_says_it_resumes_and_does(
    signum: int, tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    config = scripted_config(
        run={"name": "t", "seed": 7, "batch_size": 50},
        seeds={"files": [str(ROOT / "personas" / "bank.yaml")], "sample": 1000},
    )
    path = write_pipeline(config)
    reference = tmp_path / "reference"
    pipeline.run(plan_of(path), reference)
    out = tmp_path / "r"
    command = [sys.executable, "-m", "healme_synth", "run", str(path), "--out", str(out)]
    env = {"COLUMNS": "400", "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT, text=True
    )
    while not any(p.stat().st_size for p in (out / "journal").glob("*.jsonl")):
        assert proc.poll() is None
        time.sleep(0.02)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signum and "Traceback" not in err, err[-2000:]
    said = [line for line in err.splitlines() if line.startswith("interrupted:")]
    assert said == [
        f"interrupted: every finished turn is kept in {out}; the run can be resumed with the "
        "same command, which goes on where it stopped."
    ]
    assert not (out / lock.HOLDER).exists()  # the lock was released on the way out
    again = cli("run", path, "--out", out)
    assert again.returncode == 0 and "resuming:" in again.stderr, again.stderr[-2000:]
    shards = sorted((reference / "data").rglob("*.parquet"))
    assert [s.read_bytes() for s in shards] == [
        (out / s.relative_to(reference)).read_bytes() for s in shards
    ]
