"""Shared fixtures. The real vLLM engine is started once per test session and reused by every
test that needs it (engines are cached per model settings inside healme_synth.backends.vllm)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command line as a user meets it: a real process, its exit code and its output."""
    return subprocess.run(
        [sys.executable, "-m", "healme_synth", *map(str, args)],
        check=False,
        capture_output=True,
        text=True,
        env={"COLUMNS": "400", "PATH": "/usr/bin:/bin", **(env or {})},
        cwd=ROOT,
    )


def scripted_config(**overrides: Any) -> dict[str, Any]:
    """A scripted HealMe pipeline over the shipped personas and prompts (absolute paths)."""
    config: dict[str, Any] = {
        "run": {"name": "t", "seed": 7, "batch_size": 4},
        "seeds": {"files": [str(ROOT / "personas" / "bank.yaml")], "sample": 6},
        "protocol": "healme",
        "prompts_dir": str(ROOT / "prompts"),
        "models": {"script": {"backend": "scripted"}},
        "roles": {
            "counselor": {"model": "script"},
            "client": {"model": "script"},
            "judge": {"model": "script", "temperature": 0.0},
        },
        "output": {"dir": "out", "rows_per_shard": 1000},
        # Tests that script a few fixed replies make every dialogue alike on purpose; near-
        # duplicate removal is tested on its own (test_dedup, test_pipeline).
        "dedup": {"enabled": False},
    }
    for key, value in overrides.items():
        config[key] = value
    return config


@pytest.fixture
def write_pipeline(tmp_path: Path) -> Callable[..., Path]:
    """Write a pipeline file into tmp_path and return its path."""

    def write(config: dict[str, Any] | str, name: str = "pipeline.yaml") -> Path:
        path = tmp_path / name
        text = config if isinstance(config, str) else yaml.safe_dump(config, sort_keys=False)
        path.write_text(text)
        return path

    return write


@pytest.fixture(scope="session")
def engine_model() -> Iterator[Any]:
    """The embedded model's engine settings, with the engine started once for the session."""
    from healme_synth.backends.vllm import engine_for
    from healme_synth.config import VllmModel

    model = VllmModel(backend="vllm")
    engine_for(model)
    yield model
