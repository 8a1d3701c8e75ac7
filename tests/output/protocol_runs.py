"""Scripted runs of every shipped protocol, for the tests of what trainers read (`messages`,
the chat exports, TRL): each shipped pipeline as it is (seeds, sampler, session bounds, safety
probes, filters, judges), with the scripted backend in place of the model.

The replies are chosen so every shape a protocol can give shows up: the counselor opens Cactus
and SQPsych sessions, the Cactus client ends its sessions with the marker (so those rows end on
a client turn), SQPsych sessions that run to their maximum end on a client turn too, and the
pipelines' crisis probes replace a client turn in some dialogues.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml

from healme_synth import pipeline
from healme_synth.config import load_pipeline
from healme_synth.roleplay import load_protocol
from tests.conftest import ROOT

PROTOCOLS = ("healme", "cactus", "sqpsych", "report")
OPENED_BY_COUNSELOR = {"cactus", "sqpsych"}
# Five replies per role (runs have 6 or 8 dialogues), so each dialogue's replies change from
# turn to turn; under six words each, so the repetition filter lets a reply come back. The last
# one carries the end marker where the protocol lets that role end the session.
CLIENT = [
    "I keep worrying.",
    "It started at work.",
    "Maybe I could ask.",
    "That could be true.",
    "Thanks, that helps.",
]
COUNSELOR = [
    "Hello, what brings you in?",
    "What went through your mind?",
    "What else could it mean?",
    "What would you try?",
    "Let us plan one step.",
]
# Cactus writes each persona's intake form first; it must have 40 words or more.
INTAKE = " ".join(["Works as a clerk, sleeps badly, and worries about small mistakes."] * 5)


def protocol_config(name: str, out: Path) -> dict[str, Any]:
    """pipelines/<name>.yaml with absolute paths and the scripted backend for every role."""
    config: dict[str, Any] = yaml.safe_load((ROOT / "pipelines" / f"{name}.yaml").read_text())
    here = ROOT / "pipelines"
    config["seeds"]["files"] = [str((here / f).resolve()) for f in config["seeds"]["files"]]
    config["prompts_dir"] = str(ROOT / "prompts")
    protocol = load_protocol(ROOT / "prompts", name)
    replies = {"client": list(CLIENT), "counselor": list(COUNSELOR), "intake": [INTAKE]}
    for role in ("client", "counselor"):
        if protocol.end_marker and protocol.ender in (role, "either"):
            replies[role][-1] += f" {protocol.end_marker}"
    config["models"] = {"script": {"backend": "scripted", "replies": replies}}
    for role in config["roles"].values():
        role["model"] = "script"
    config["output"]["dir"] = str(out)
    return config


def protocol_run(name: str, root: Path) -> Path:
    """Run the protocol's shipped pipeline, scripted, into root/run; return the run folder."""
    path = root / f"{name}.yaml"
    path.write_text(yaml.safe_dump(protocol_config(name, root)))
    pipeline.run(pipeline.plan(load_pipeline(path)), root / "run")
    return root / "run"


def split_rows(run_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """Every split's rows, by split name (train, rejected, safety_review when written)."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(run_dir.glob("data/*/*.parquet")):
        rows.setdefault(path.name.split("-")[0], []).extend(pq.read_table(path).to_pylist())
    return rows


_RUNS: dict[str, Path] = {}


def shared_run(name: str, factory: pytest.TempPathFactory) -> Path:
    """One run per protocol for the whole test session (the modules that read them never
    write into them): the runs take a few seconds each."""
    if name not in _RUNS:
        _RUNS[name] = protocol_run(name, factory.mktemp(name))
    return _RUNS[name]
