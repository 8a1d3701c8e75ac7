"""The fault corpus harness: each case builds a small world in a temp folder (pipeline files,
copied prompts and seeds, finished runs, a toy server, a command holding a run directory),
runs one real command line and checks what a user would see and what is left on disk:

- the exit code; for exit 2, exactly one `error:` paragraph holding every expected fragment;
- no Python traceback, whatever the exit code;
- no file or folder outside the directory the command was given (`out`) created, changed or
  removed, in the world or in the repository's own inputs (prompts/, personas/, pipelines/);
  with `out=None` not even inside it;
- when a case has a `secret`, no form of it (raw, repr- or JSON-escaped, bytes repr,
  URL-encoded) in stdout, stderr or any file of the world.

A case file is a table of `Case`s and one parametrized test calling `check`; extend a table,
or add a file, to cover more faults.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from healme_synth import pipeline
from healme_synth.config import load_pipeline
from tests.backends.fault_server import Faults, FaultServer
from tests.conftest import ROOT, scripted_config

REPO_INPUTS = ("prompts", "personas", "pipelines")
"""The repository's own input folders: no command may change them."""
KEY_ENV = "HEALME_FAULT_API_KEY"


@dataclass
class World:
    """Everything a case sets up lives under `root` (the commands run with the repository as
    their working directory, as a user's would, but get absolute paths)."""

    root: Path
    server: FaultServer | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    """Values the expected fragments are formatted with (`{root}`, `{pid}`, ...)."""
    _cleanup: list[Callable[[], None]] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The toy server's /v1 root (a case with `server=`), else a port nobody listens on."""
        if self.server is not None:
            return self.server.base_url
        return self.facts.setdefault("url", f"http://127.0.0.1:{free_port()}/v1")

    def pipeline(self, name: str = "p.yaml", **overrides: Any) -> Path:
        """A scripted pipeline (conftest's scripted_config with these sections replaced)."""
        config = scripted_config(**overrides)
        config["output"] = {"dir": str(self.root / "outputs"), "rows_per_shard": 1000}
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        return path

    def openai_pipeline(
        self, name: str = "openai.yaml", url: str | None = None, **model: Any
    ) -> Path:
        """Every role on an OpenAI-compatible server (default: `url`), no retries."""
        server = {
            "backend": "openai",
            "base_url": url or self.url,
            "model": "toy",
            "api_key_env": KEY_ENV,
            "max_retries": 0,
            "timeout_s": 5,
            **model,
        }
        return self.pipeline(
            name,
            models={"server": server},
            roles={
                "counselor": {"model": "server", "max_tokens": 24},
                "client": {"model": "server", "max_tokens": 24},
                "judge": {"model": "server", "temperature": 0.0, "max_tokens": 96},
            },
            seeds={"files": [str(ROOT / "personas" / "bank.yaml")], "sample": 2},
            filters={"enabled": []},
        )

    def prompts(self) -> Path:
        """A private copy of the shipped prompts folder (cases edit it)."""
        target = self.root / "prompts"
        if not target.exists():
            shutil.copytree(ROOT / "prompts", target)
        return target

    def probes(self) -> Path:
        target = self.root / "probes"
        if not target.exists():
            shutil.copytree(ROOT / "personas" / "probes", target)
        return target

    def seeds(self, name: str = "bank.yaml") -> Path:
        """A private copy of the shipped persona bank (as YAML, or as JSONL for *.jsonl)."""
        target = self.root / "seeds" / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.suffix == ".jsonl":
                bank = yaml.safe_load((ROOT / "personas" / "bank.yaml").read_text())
                target.write_text("".join(json.dumps(p) + "\n" for p in bank["personas"]))
            else:
                shutil.copy(ROOT / "personas" / "bank.yaml", target)
        return target

    def private_pipeline(self, name: str = "p.yaml", **overrides: Any) -> Path:
        """A scripted pipeline reading only the world's copies of prompts, probes and seeds."""
        private: dict[str, Any] = {
            "prompts_dir": str(self.prompts()),
            "seeds": {"files": [str(self.seeds())], "sample": 6},
            "safety": {"probes_dir": str(self.probes())},
        }
        return self.pipeline(name, **(private | overrides))

    def finished_run(self, path: Path, out: str = "r") -> Path:
        """A run of `path` into root/out, finished (played in this process: quicker)."""
        run_dir = self.root / out
        pipeline.run(pipeline.plan(load_pipeline(path)), run_dir)
        return run_dir

    def judged(self, source: Path, path: Path, out: str) -> Path:
        """`judge source --out root/out` with the scripted pipeline `path`, done here."""
        plan = pipeline.plan(load_pipeline(path))
        from healme_synth.output import transcripts

        dialogues, _ = transcripts.read_transcripts(source, plan.protocol.name)
        pipeline.rejudge(plan, dialogues, self.root / out, overwrite=False)
        return self.root / out

    def running(self, out: str = "busy", dialogues: int = 50_000) -> int:
        """A long `run` into root/out, started in the background and writing its journal when
        this returns (stopped when the case ends); its PID is `{pid}`."""
        path = self.pipeline(
            "long.yaml",
            seeds={"files": [str(ROOT / "personas" / "bank.yaml")], "sample": dialogues},
            run={"name": "long", "seed": 7, "batch_size": 50},
        )
        log_path = self.root.parent / f"{out}.err"  # outside the world: it grows meanwhile
        log = log_path.open("w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "healme_synth", "run", str(path), "--out", str(self.root / out)],
            stdout=subprocess.DEVNULL,
            stderr=log,
            env=environment({}),
            cwd=ROOT,
        )

        def stop() -> None:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
            log.close()

        self._cleanup.append(stop)
        journal = self.root / out / "journal"
        deadline = time.monotonic() + 120
        while not any(p.stat().st_size for p in journal.glob("*.jsonl")):
            assert proc.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "the background run wrote no journal"
            time.sleep(0.05)
        self.facts["pid"] = proc.pid
        return proc.pid

    def close(self) -> None:
        for stop in reversed(self._cleanup):
            stop()


@dataclass(frozen=True)
class Case:
    id: str
    setup: Callable[[World], Sequence[str | Path]]
    """Builds the world and returns the command's arguments (after `healme-synth`)."""
    code: int
    says: tuple[str, ...] = ()
    """Fragments of the error paragraph (exit 2) or of stdout + stderr; formatted with the
    world's facts (`{root}` is the world's folder)."""
    out: str | None = None
    """The folder (relative to the world) the command may change; None: nothing may change."""
    secret: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    server: Faults | None = None
    """Start the toy OpenAI-compatible server with these faults for the case."""
    echo_key: bool = False
    """The toy server puts the Authorization header into its error messages."""
    reply: str | None = None
    """What the toy server says to requests without a schema (the turns)."""
    interrupt: int | None = None
    """Send this signal once the command's journal (under `out`) holds a turn."""

    def __str__(self) -> str:
        return self.id


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def environment(extra: Mapping[str, str]) -> dict[str, str]:
    return {"COLUMNS": "400", "PATH": "/usr/bin:/bin", **extra}


def check(case: Case, tmp_path: Path) -> None:
    with contextlib.ExitStack() as stack:
        server = None
        if case.server is not None:
            reply = {"reply": case.reply} if case.reply is not None else {}
            server = stack.enter_context(
                FaultServer(case.server, echo_key_in_errors=case.echo_key, **reply)
            )
        world = World(tmp_path / "world", server)
        world.root.mkdir()
        world.facts["root"] = world.root
        stack.callback(world.close)
        args = [str(a) for a in case.setup(world)]
        skip = world.root / case.out if case.out is not None else None
        before, written = snapshot(world.root, skip), snapshot(world.root, None)
        done = _run(args, case, world)
        after = snapshot(world.root, skip)
        written = {p: h for p, h in snapshot(world.root, None).items() if written.get(p) != h}
    stderr = done.stderr
    assert "Traceback" not in stderr, stderr[-3000:]
    assert done.returncode == case.code, (done.returncode, stderr[-3000:], done.stdout[-2000:])
    expected = [" ".join(f.format(**world.facts).split()) for f in case.says]
    if case.code == 2:
        errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1, stderr[-3000:]
        text = " ".join(errors[0].split())
    else:
        text = " ".join((done.stdout + "\n" + stderr).split())
    for fragment in expected:
        assert fragment in text, (fragment, text[-3000:])
    assert_same(before, after)
    if case.secret is not None:
        assert_nowhere(case.secret, done, [Path(p) for p in written])


def _run(args: list[str], case: Case, world: World) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "healme_synth", *args]
    env = environment(case.env)
    if case.interrupt is None:
        return subprocess.run(
            command, check=False, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600
        )
    assert case.out is not None
    journal = world.root / case.out / "journal"
    with (
        (world.root.parent / "out.txt").open("w+") as o,
        (world.root.parent / "err.txt").open("w+") as e,
    ):
        proc = subprocess.Popen(command, stdout=o, stderr=e, env=env, cwd=ROOT)
        deadline = time.monotonic() + 120
        while not any(p.stat().st_size for p in journal.glob("*.jsonl")):
            assert proc.poll() is None, "the run ended before it could be interrupted"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        proc.send_signal(case.interrupt)
        proc.wait(timeout=120)
        o.seek(0)
        e.seek(0)
        return subprocess.CompletedProcess(command, proc.returncode, o.read(), e.read())


def snapshot(root: Path, skip: Path | None) -> dict[str, str]:
    """Every file, folder and link under the world and the repository's input folders."""
    found: dict[str, str] = {}
    tops = [root, *(ROOT / name for name in REPO_INPUTS)]
    for top in tops:
        for dirpath, dirnames, filenames in os.walk(top):
            here = Path(dirpath)
            if skip is not None and (here == skip or skip in here.parents):
                dirnames[:] = []
                continue
            found[str(here)] = "dir"
            for name in filenames + [d for d in dirnames if (here / d).is_symlink()]:
                path = here / name
                if skip is not None and path == skip:
                    continue
                if path.is_symlink():
                    found[str(path)] = f"link -> {os.readlink(path)}"
                else:
                    found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def assert_same(before: dict[str, str], after: dict[str, str]) -> None:
    gone = sorted(set(before) - set(after))
    new = sorted(set(after) - set(before))
    changed = sorted(p for p in set(before) & set(after) if before[p] != after[p])
    assert not (gone or new or changed), {"removed": gone, "created": new, "changed": changed}


def forms(secret: str) -> set[str]:
    """Every way a message or file might carry the secret."""
    return {
        secret,
        repr(secret)[1:-1],
        repr(secret.encode("utf-8", "backslashreplace"))[2:-1],
        repr(secret.encode("utf-8"))[2:-1],
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        urllib.parse.quote(secret, safe=""),
        secret.strip(),
    } - {""}


def assert_nowhere(
    secret: str, done: subprocess.CompletedProcess[str], written: list[Path]
) -> None:
    """Not in the output, nor in any file the command wrote (a file the user wrote the secret
    into, a pipeline file with a URL, is the user's)."""
    for form in forms(secret):
        assert form not in done.stdout and form not in done.stderr, (form, done.stderr[-2000:])
        for path in written:
            if path.is_file() and not path.is_symlink():
                assert form.encode() not in path.read_bytes(), (form, path)
