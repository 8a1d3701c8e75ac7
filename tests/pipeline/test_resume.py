"""Resume: a run killed at any point (kill -9 included) and started again in the same directory
ends with exactly the dataset an uninterrupted run writes; a changed config is refused."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from healme_synth import pipeline
from healme_synth.backends import ChatTurn, Completion, GenParams
from healme_synth.backends.scripted import ScriptedBackend
from healme_synth.config import load_pipeline
from healme_synth.errors import ConfigError, RunDirError
from healme_synth.output import ShardWriter, to_row
from healme_synth.pipeline.journal import ChunkLog, peek, read_chunk, restore
from healme_synth.records import Dialogue, Message, Tokens
from tests.conftest import ROOT, cli, scripted_config
from tests.helpers import dialogue, persona

# Differ between sessions by nature: wall time and what follows from it.
TIMED = {"seconds", "tokens_per_second"}


def killed_run_config() -> dict[str, Any]:
    """2,000 HealMe dialogues with every filter, a gated CTRS judge, reframe uptake and
    near-duplicate removal with a per-persona cap: every kind of decision a resume must repeat.
    Small shards, so parts are finished while the run goes on."""
    return scripted_config(
        run={"name": "t", "seed": 7, "batch_size": 100},
        seeds={"files": [str(ROOT / "personas" / "bank.yaml")], "sample": 2000},
        judges={"ctrs": {"min_mean": 2.5, "min_items": {"focus": 1}}},
        dedup={"enabled": True, "threshold": 0.2, "num_perm": 64, "max_per_persona": 12},
        output={"dir": "out", "rows_per_shard": 300},
    )


def files(run_dir: Path) -> dict[str, bytes]:
    """Everything a finished run leaves besides its journal and run-start file."""
    return {
        str(p.relative_to(run_dir)): p.read_bytes()
        for p in sorted(run_dir.rglob("*"))
        if p.is_file() and p.name not in ("manifest.json", "run.json") and "journal" not in p.parts
    }


def untimed(run_dir: Path) -> dict[str, Any]:
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["seconds"] > 0 and manifest["tokens_per_second"] > 0
    return {k: v for k, v in manifest.items() if k not in TIMED}


def journal_bytes(run_dir: Path) -> int:
    return sum(p.stat().st_size for p in (run_dir / "journal").glob("*.jsonl"))


def parts(run_dir: Path) -> dict[str, tuple[int, int]]:
    """Finished hidden parts: (split, index) -> (inode, mtime), to see they are never rewritten."""
    found = {}
    for p in (run_dir / "data" / "default").glob(".*.part.parquet"):
        split, index = p.name[1:].split(".")[0].rsplit("-", 1)
        st = p.stat()
        found[f"{split}-{index}"] = (st.st_ino, st.st_mtime_ns)
    return found


def test_a_run_killed_at_random_points_resumes_to_the_same_dataset(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    path = write_pipeline(killed_run_config())
    reference = tmp_path / "reference"
    pipeline.run(pipeline.plan(load_pipeline(path)), reference)

    out = tmp_path / "killed"
    rng = random.Random(3)  # kills: 1.1 s, +4.9 MB, 0.08 s, 0.5 s, +3.3 MB, +5.3 MB
    command = [sys.executable, "-m", "healme_synth", "run", str(path), "--out", str(out)]
    env = {"COLUMNS": "400", "PATH": "/usr/bin:/bin"}
    seen_parts: dict[str, tuple[int, int]] = {}
    resumed: list[str] = []
    kills = 0
    for session in range(12):
        log = tmp_path / f"session-{session}.err"
        with log.open("w") as err:
            proc = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=ROOT
            )
            before = journal_bytes(out) if (out / "journal").exists() else 0
            # Kill after the journal grew by a random amount (anywhere in a chunk: mid-turn,
            # between stages, while a part is written), or after a random short delay
            # (start-up, journal replay); the last sessions run to the end.
            if kills < 6:
                by_delay = rng.random() < 0.35
                delay, growth = rng.uniform(0.05, 2.0), rng.randint(1, 6_000_000)
                started = time.monotonic()
                while proc.poll() is None:
                    if by_delay and time.monotonic() - started >= delay:
                        break
                    grown = journal_bytes(out) - before if (out / "journal").exists() else 0
                    if not by_delay and grown >= growth:
                        break
                    time.sleep(0.005)
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    kills += 1
            proc.wait(timeout=300)
        resumed += [line for line in log.read_text().splitlines() if "resuming:" in line]
        if out.exists():
            seen_parts |= parts(out)
        if proc.returncode == 0:
            break
        assert proc.returncode == -signal.SIGKILL, log.read_text()
    assert proc.returncode == 0 and kills == 6, (kills, log.read_text())

    # It did resume in the middle of the run, from finished chunks.
    done = [int(line.split("resuming: ")[1].split(" of ")[0]) for line in resumed]
    assert any(0 < n < 2000 for n in done), resumed
    assert all(line.endswith(" of 2000 dialogues done") for line in resumed)
    # Byte-identical shards and card; the same manifest up to wall time.
    assert files(out) == files(reference)
    assert untimed(out) == untimed(reference)
    assert json.loads((out / "manifest.json").read_text())["counts"]["by_reason"].keys() == {
        "judge_below_min",
        "judge_item_below_min",
        "near_duplicate",
        "persona_cap",
    }
    # A part finished by a killed session was renamed at the end, never written again.
    final = {}
    for p in (out / "data" / "default").glob("*.parquet"):
        split, index, _, _ = p.stem.split("-")
        st = p.stat()
        final[f"{split}-{index}"] = (st.st_ino, st.st_mtime_ns)
    assert seen_parts and all(final[k] == v for k, v in seen_parts.items())


class Crash(Exception):
    """Stands in for a kill inside a backend call."""


class Engine:
    """The scripted backend, reporting a third of each prompt as cached (so the prefix-cache
    totals are checked too) and crashing at its `crash_at`-th call."""

    label = "scripted"

    def __init__(self, crash_at: int | None = None) -> None:
        self.scripted = ScriptedBackend()
        self.calls = 0
        self.crash_at = crash_at

    def generate(
        self, batch: Sequence[list[ChatTurn]], params: Sequence[GenParams]
    ) -> list[Completion]:
        self.calls += 1
        if self.calls == self.crash_at:
            raise Crash
        return [
            dataclasses.replace(c, cached_tokens=c.prompt_tokens // 3)
            for c in self.scripted.generate(batch, params)
        ]


def test_crashes_in_every_stage_resume_to_the_same_dataset(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    """Cactus sessions (intake forms written for a third of the seeds, hidden plans, variable
    length), crashed at random backend calls: intake, plan, turns, uptake and judge calls."""
    bank = yaml.safe_load((ROOT / "personas" / "bank.yaml").read_text())["personas"]
    seeds = tmp_path / "seeds.jsonl"
    with seeds.open("w") as f:
        for i, p in enumerate(bank):
            if i % 3:
                p["intake_form"] = " ".join([f"{p['id']} works, sleeps badly, worries."] * 8)
            f.write(json.dumps(p) + "\n")
    config = scripted_config(
        run={"name": "t", "seed": 3, "batch_size": 25},
        seeds={"files": [str(seeds)], "sample": 200, "expand_intake": True},
        protocol="cactus",
        session={"min_turns": 4, "max_turns": 6},
        judges={"ctrs": {"min_mean": 2.5}},
        dedup={"enabled": True, "threshold": 0.16, "max_per_persona": 3},
        output={"dir": "out", "rows_per_shard": 40},
    )
    plan = pipeline.plan(load_pipeline(write_pipeline(config)))

    def run(out: Path, engine: Engine, progress: pipeline.Progress | None = None) -> None:
        backends: dict[str, Any] = {role: engine for role in ("counselor", "client", "judge")}
        pipeline.run(plan, out, backends=backends, progress=progress)

    reference = tmp_path / "reference"
    run(reference, Engine())
    rng = random.Random(5)
    out, crashes, resumes = tmp_path / "crashed", 0, []
    progress = pipeline.Progress(on_resume=lambda done, total: resumes.append((done, total)))
    while True:
        try:
            run(out, Engine(crash_at=rng.randint(1, 12) if crashes < 8 else None), progress)
            break
        except Crash:
            crashes += 1
    assert crashes == 8 and len(resumes) == 8
    assert any(0 < done < 200 for done, _ in resumes)
    assert files(out) == files(reference)
    assert untimed(out) == untimed(reference)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["by_reason"]["intake_missing"] > 0  # the intake stage decided
    tokens = manifest["tokens"]
    assert 0 < tokens["cached"] < tokens["prompt"]  # exact: compared with the reference above
    assert manifest["cache_hit_rate"] == round(tokens["cached"] / tokens["prompt"], 4)


def test_a_changed_config_is_refused_and_overwrite_starts_afresh(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    out = tmp_path / "r"
    path = write_pipeline(scripted_config())
    assert cli("run", path, "--out", out).returncode == 0
    before = (out / "manifest.json").read_bytes()

    other = write_pipeline(scripted_config(run={"name": "t", "seed": 8, "batch_size": 4}), "o.yaml")
    refused = cli("run", other, "--out", out)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert f"error: {out} already holds a run of another config" in refused.stderr
    assert "changed: run.seed), so it cannot be resumed; pass --overwrite" in refused.stderr
    assert (out / "manifest.json").read_bytes() == before

    # Same config, but the seed file now gives other personas: refused as well.
    seeds = tmp_path / "bank.yaml"
    seeds.write_text((ROOT / "personas" / "bank.yaml").read_text())
    config = scripted_config(seeds={"files": [str(seeds)], "sample": 6})
    moved = write_pipeline(config, "m.yaml")
    assert cli("run", moved, "--out", tmp_path / "m").returncode == 0
    bank = yaml.safe_load(seeds.read_text())
    bank["personas"] = bank["personas"][::-1]
    seeds.write_text(yaml.safe_dump(bank))
    refused = cli("run", moved, "--out", tmp_path / "m")
    assert refused.returncode == 2
    # (The seed file's SHA-256 in run.json tells first, naming it.)
    assert f"1 file changed since it started ({seeds})" in " ".join(refused.stderr.split())

    fresh = cli("run", other, "--out", out, "--overwrite")
    assert fresh.returncode == 0, fresh.stderr
    assert "resuming" not in fresh.stderr
    assert json.loads((out / "manifest.json").read_text())["run_seed"] == 8
    assert json.loads((out / "run.json").read_text())["config"]["run"]["seed"] == 8


def test_a_finished_run_started_again_is_resumed_and_unchanged(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    out = tmp_path / "r"
    path = write_pipeline(scripted_config())
    assert cli("run", path, "--out", out).returncode == 0
    before = files(out), untimed(out)
    again = cli("run", path, "--out", out)
    assert again.returncode == 0, again.stderr
    assert "resuming: 6 of 6 dialogues done" in again.stderr
    assert (files(out), untimed(out)) == before

    shutil.rmtree(out / "journal")  # shards without the journal they came from: not resumable
    with pytest.raises(ConfigError, match="no journal/ to resume from; pass --overwrite"):
        pipeline.run(pipeline.plan(load_pipeline(path)), out)


def test_a_directory_without_a_run_start_file_is_refused(tmp_path: Path) -> None:
    plan = pipeline.plan(load_pipeline(ROOT / "pipelines" / "scripted.yaml"))
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "notes.txt").write_text("mine")
    # Not a run: neither resumed nor replaced (--overwrite would not delete it either).
    with pytest.raises(RunDirError, match=r"is not empty \(notes.txt\) and holds no healme-synth"):
        pipeline.run(plan, tmp_path / "r")
    with pytest.raises(RunDirError, match="holds no healme-synth run"):
        pipeline.run(plan, tmp_path / "r", overwrite=True)
    assert (tmp_path / "r" / "notes.txt").read_text() == "mine"


# ---------------------------------------------------------------- the journal


def test_a_torn_last_line_is_ignored_and_cut_before_appending(tmp_path: Path) -> None:
    path = tmp_path / "journal" / "chunk-00000.jsonl"
    d = dialogue(id="000000-p-001")
    turns = list(d.messages)
    d.messages = []
    log = ChunkLog(path, clock=lambda: 1.5)
    log.done("plan", [d], Tokens(prompt=3, completion=2))
    for m in turns[:2]:
        d.messages.append(m)
        log.record(d, m)
    log.close()
    whole = path.read_bytes()
    with path.open("ab") as f:  # what a kill in the middle of a write leaves
        f.write(b'{"event":"message","seconds":1.6,"id":"000000-p-0')

    state = read_chunk(path)
    assert (state.stage, state.tokens, state.seconds) == (
        "plan",
        Tokens(prompt=3, completion=2),
        1.5,
    )
    assert [e["turn"] for e in state.messages] == [0, 1]
    assert peek(path) == (False, 1.5)
    fresh = dialogue(id="000000-p-001", messages=[])
    (back,) = restore([fresh], state)
    assert back.messages == turns[:2] and back.model_dump() == d.model_dump()

    log = ChunkLog(path, state, clock=lambda: 2.0)  # the next session appends after the cut
    assert path.read_bytes() == whole
    assert not log.todo("intake") and not log.todo("plan") and log.todo("converse")
    d.messages.append(turns[2])
    log.record(d, turns[2])
    log.done("done", [d], Tokens(prompt=4))
    log.close()
    state = read_chunk(path)
    assert state.done and state.messages == [] and state.dialogues == [d]
    assert peek(path) == (True, 2.0)
    lines = path.read_bytes().splitlines()
    message = json.loads(lines[1])
    assert {k: message[k] for k in ("event", "id", "turn", "role", "end_marker_at")} == {
        "event": "message",
        "id": "000000-p-001",
        "turn": 0,
        "role": turns[0].role,
        "end_marker_at": None,
    }
    assert message["message"] == turns[0].model_dump() and isinstance(message["seed"], int)


def test_a_journal_of_other_dialogues_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "chunk-00000.jsonl"
    log = ChunkLog(path)
    log.done("plan", [dialogue(id="000000-p-001")], Tokens())
    log.close()
    with pytest.raises(ConfigError, match="not this run's"):
        restore([dialogue(id="000000-p-002")], read_chunk(path))


# ---------------------------------------------------------------- resumable shards


def rows(n: int) -> list[dict[str, Any]]:
    return [
        to_row(Dialogue(id=f"{i:06d}-p", protocol="healme", persona=persona(), run_seed=1), "S")
        for i in range(n)
    ]


def test_a_shard_writer_picks_up_the_parts_a_killed_run_finished(tmp_path: Path) -> None:
    whole = ShardWriter(tmp_path / "whole", "train", 2)
    for row in rows(5):
        whole.add(row)
    reference = [p.read_bytes() for p in whole.close()]

    folder = tmp_path / "killed"
    killed = ShardWriter(folder, "train", 2)
    for row in rows(3):
        killed.add(row)  # one part finished, one row in memory: lost with the process
    (folder / ".train-00001.part.parquet.tmp").write_bytes(b"half a part")
    first = (folder / ".train-00000.part.parquet").stat()

    resumed = ShardWriter(folder, "train", 2)
    assert resumed.skip == 2 and not (folder / ".train-00001.part.parquet.tmp").exists()
    for row in rows(5):
        resumed.add(row)
    paths = resumed.close()
    assert [p.read_bytes() for p in paths] == reference and resumed.count == 5
    assert paths[0].stat().st_ino == first.st_ino  # renamed, never rewritten


def test_a_close_cut_short_between_renames_is_finished_on_resume(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    writer = ShardWriter(folder, "rejected", 2)
    for row in rows(5):
        writer.add(row)
    writer._flush()  # close(): the last part is written, then the first rename only
    os.replace(folder / ".rejected-00000.part.parquet", folder / "rejected-00000-of-00003.parquet")

    resumed = ShardWriter(folder, "rejected", 2)
    assert resumed.skip == 5
    for row in rows(5):
        resumed.add(row)
    names = [p.name for p in resumed.close()]
    assert names == [f"rejected-0000{i}-of-00003.parquet" for i in range(3)]
    assert sorted(p.name for p in folder.iterdir()) == names

    (folder / names[1]).unlink()
    with pytest.raises(ConfigError, match="have gaps"):
        ShardWriter(folder, "rejected", 2)


def test_more_rows_on_disk_than_the_run_produced_is_an_error(tmp_path: Path) -> None:
    writer = ShardWriter(tmp_path, "train", 2)
    for row in rows(4):
        writer.add(row)
    resumed = ShardWriter(tmp_path, "train", 2)
    resumed.add(rows(1)[0])
    with pytest.raises(ConfigError, match="hold 3 rows more than the run produced"):
        resumed.close()


def test_messages_recorded_out_of_turn_are_left_to_the_turn_loop() -> None:
    d = dialogue(id="000000-p-001")
    turns = list(d.messages)
    state = read_chunk(Path("/nonexistent"))
    state.messages = [
        {"id": d.id, "turn": 1, "message": turns[1].model_dump(), "end_marker_at": None},
        {"id": d.id, "turn": 0, "message": turns[0].model_dump(), "end_marker_at": None},
    ]
    (back,) = restore([dialogue(id=d.id, messages=[])], state)
    assert back.messages == [turns[0]]
    assert isinstance(back.messages[0], Message)
