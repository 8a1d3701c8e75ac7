"""The run directory: never two runs mixed in one. A directory of the same config and personas
resumes, one of another config is refused (naming the changed keys), `--overwrite` empties it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from healme_synth.errors import ConfigError
from healme_synth.output import atomic_write
from healme_synth.pipeline.journal import START, RunStart, read_start, sample_sha256
from healme_synth.pipeline.plan import Plan


def run_start(p: Plan) -> RunStart:
    """What run.json records, so a later `run` knows whether the directory is this run."""
    cfg = p.pipeline.config
    return RunStart(
        name=cfg.run.name,
        config_sha256=p.pipeline.sha256(),
        sample_sha256=sample_sha256(p.sample),
        dialogues=len(p.sample),
        batch_size=cfg.run.batch_size,
        config=cfg.model_dump(mode="json"),
    )


def fresh_dir(run_dir: Path, overwrite: bool, start: RunStart | None = None) -> bool:
    """Never mix two runs in one directory. With `start` (for `run`), a directory holding a run
    of the same config and personas is resumed (returns True) and one of another config is
    refused; `overwrite` empties the directory instead. `start` is then written as run.json."""
    # A run killed while writing run.json left only its temp file: nothing started yet.
    if run_dir.exists() and any(p.name != f".{START}.tmp" for p in run_dir.iterdir()):
        found = read_start(run_dir) if start is not None and not overwrite else None
        if found is not None and start is not None:
            if found.config_sha256 != start.config_sha256:
                changed = _changed(found.config, start.config)
                raise ConfigError(
                    f"{run_dir} already holds a run of another config (config sha256 "
                    f"{found.config_sha256[:12]}, now {start.config_sha256[:12]}; changed: "
                    f"{', '.join(changed[:6]) or 'nothing visible'}{', ...' * (len(changed) > 6)}"
                    "), so it cannot be resumed; pass --overwrite to replace it or --out to "
                    "write elsewhere."
                )
            if found.sample_sha256 != start.sample_sha256:
                raise ConfigError(
                    f"{run_dir} already holds a run of this config, but the seed files now give "
                    "other personas than when it started, so it cannot be resumed; pass "
                    "--overwrite to replace it or --out to write elsewhere."
                )
            if not (run_dir / "journal").is_dir() and any(run_dir.glob("data/*/*.parquet")):
                raise ConfigError(
                    f"{run_dir} holds shards of this config but no journal/ to resume from; "
                    "pass --overwrite to start the run afresh or --out to write elsewhere."
                )
            return True
        if not overwrite:
            raise ConfigError(
                f"{run_dir} already holds a run; pass --overwrite to replace it or --out to "
                "write elsewhere."
            )
        shutil.rmtree(run_dir)
    if start is not None:
        run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(run_dir / START, (start.model_dump_json(indent=2) + "\n").encode())
    return False


def _changed(old: Any, new: Any, where: str = "") -> list[str]:
    """The dotted keys whose values differ between two configs."""
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            key
            for k in sorted(set(old) | set(new), key=str)
            for key in _changed(old.get(k), new.get(k), f"{where}.{k}" if where else str(k))
        ]
    return [] if old == new else [where or "(all)"]
