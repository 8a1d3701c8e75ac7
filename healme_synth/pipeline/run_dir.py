"""The run directory: never two runs mixed in one, and nothing deleted that is not a run.

A command writing a run directory holds its lock for the whole call (`holding`). It then
`claim`s the directory, which only checks: a directory of the same config, personas and input
files resumes; one of another config, or whose input files changed, is refused (naming the
changed keys or files); `--overwrite` replaces only a healme-synth run (its run.json) and never
the command's own input. Only once every start-up check passed (the server answered, say) does
`Claim.take` empty the directory and write run.json: a failed start leaves the old run as it was.
"""

from __future__ import annotations

import functools
import inspect
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, ParamSpec, TypeVar

from healme_synth import inputs
from healme_synth.errors import ConfigError, RunDirError
from healme_synth.output import atomic_write
from healme_synth.pipeline import lock
from healme_synth.pipeline.journal import START, RunStart, read_start, sample_sha256
from healme_synth.pipeline.plan import Plan
from healme_synth.records import Persona

_P = ParamSpec("_P")
_T = TypeVar("_T")

SHOWN = 6
"""Changed keys or files named in a refusal (then "...")."""


def run_start(
    p: Plan,
    command: Literal["run", "filter", "judge", "screen"] = "run",
    sample: Sequence[Persona] | None = None,
) -> RunStart:
    """What run.json records, so a later command knows whether the directory is this run.
    `sample`: the personas of the dialogues a `filter`/`judge` checks (default: the plan's)."""
    cfg = p.pipeline.config
    personas = p.sample if sample is None else sample
    return RunStart(
        name=cfg.run.name,
        config_sha256=p.pipeline.sha256(),
        sample_sha256=sample_sha256(personas),
        dialogues=len(personas),
        batch_size=cfg.run.batch_size,
        config=cfg.model_dump(mode="json"),
        command=command,
        files=dict(p.inputs),
    )


def holding(*params: str) -> Callable[[Callable[_P, _T]], Callable[_P, _T]]:
    """The decorated call holds the lock of the directory passed as the first of `params` that
    is not None, from start to end, and records the input files it reads (a template first
    used mid-run included)."""

    def wrap(fn: Callable[_P, _T]) -> Callable[_P, _T]:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def locked_call(*args: _P.args, **kwargs: _P.kwargs) -> _T:
            given = signature.bind(*args, **kwargs).arguments
            run_dir = Path(next(given[p] for p in params if given.get(p) is not None))
            with lock.locked(run_dir), inputs.recording():
                return fn(*args, **kwargs)

        return locked_call

    return wrap


@dataclass
class Claim:
    """What a command may do with its directory, decided before anything is changed."""

    run_dir: Path
    resuming: bool
    clear: bool
    """Empty the directory first (--overwrite of a healme-synth run)."""
    record: RunStart | None
    """The run.json this session writes (a fresh start) or appends files to (a resume)."""
    fresh: bool

    def take(self) -> None:
        """Every start-up check passed: empty the directory if asked, write run.json, and from
        now on add each input file first read to it before its text is used."""
        if self.clear:
            _empty(self.run_dir)
        record = self.record
        if record is None:
            return
        scope = inputs.current()
        if scope is not None and record.files is not None:
            scope.files = {**scope.files, **record.files}  # a changed one is refused when read
            record.files.update(scope.files)
        else:  # a resumed run.json from before files were recorded (None) is left as it was
            scope = None
        if self.fresh:
            self._write()
        if scope is not None:
            scope.on_new = self._add

    def _add(self, path: str, sha: str) -> None:
        assert self.record is not None and self.record.files is not None
        self.record.files[path] = sha
        self._write()

    def _write(self) -> None:
        assert self.record is not None
        self.run_dir.mkdir(parents=True, exist_ok=True)
        data = self.record.model_dump_json(indent=2) + "\n"
        atomic_write(self.run_dir / START, data.encode())


def claim(
    run_dir: Path,
    overwrite: bool,
    start: RunStart | None = None,
    sources: Iterable[Path] = (),
    keep: Iterable[Path] = (),
) -> Claim:
    """Decide, without changing anything, whether `run_dir` is resumed (True only for `run`,
    with `start` of command "run"), replaced (`overwrite`) or refused. `sources`: what the
    command reads its data from (`filter`/`judge`), which run_dir must neither be nor hold;
    `keep`: other input files (the pipeline file; start.files are added), never deleted."""
    if not lock.holds(run_dir):
        raise RuntimeError(f"{run_dir}: claimed without holding its lock (see `holding`)")
    own = [Path(p) for p in sources]
    for source in own:
        if _within(source, run_dir):
            raise RunDirError(
                f"{run_dir} is where this command reads its input from ({source}); writing "
                "its output there would destroy the input. Pass another directory as --out."
            )
    content = sorted(p for p in run_dir.iterdir() if not _scratch(p.name))
    if not content:
        return Claim(run_dir, resuming=False, clear=False, record=start, fresh=True)
    if not lock.is_run(run_dir):
        names = ", ".join(p.name + "/" * p.is_dir() for p in content[:SHOWN])
        raise RunDirError(
            f"{run_dir} is not empty ({names}{', ...' * (len(content) > SHOWN)}) and holds no "
            f"healme-synth run (no readable {START}), so it is neither resumed nor replaced: "
            "--overwrite only replaces an empty directory or one a healme-synth command wrote. "
            "Pass a new or empty directory as --out."
        )
    if overwrite:
        files = [*keep, *(Path(f) for f in ((start.files or {}) if start else {}))]
        inside = sorted({str(f) for f in files if _within(f, run_dir)})
        if inside:
            raise RunDirError(
                f"{run_dir} holds input files of this command ({', '.join(inside[:SHOWN])}"
                f"{', ...' * (len(inside) > SHOWN)}), so --overwrite would delete them; move "
                "them out of it, or pass another directory as --out."
            )
        return Claim(run_dir, resuming=False, clear=True, record=start, fresh=True)
    found = read_start(run_dir)
    if found is None or start is None or start.command != "run" or found.command != "run":
        what = "a run" if found is None or found.command == "run" else f"`{found.command}` output"
        raise RunDirError(
            f"{run_dir} already holds {what}; pass --overwrite to replace it or --out to "
            "write elsewhere."
        )
    _check_resume(run_dir, found, start)
    return Claim(run_dir, resuming=True, clear=False, record=found, fresh=False)


def _check_resume(run_dir: Path, found: RunStart, start: RunStart) -> None:
    """A run resumes only as the run it started: same config, input files and personas."""
    if found.config_sha256 != start.config_sha256:
        changed = _changed(found.config, start.config)
        raise ConfigError(
            f"{run_dir} already holds a run of another config (config sha256 "
            f"{found.config_sha256[:12]}, now {start.config_sha256[:12]}; changed: "
            f"{', '.join(changed[:SHOWN]) or 'nothing visible'}{', ...' * (len(changed) > SHOWN)}"
            "), so it cannot be resumed; pass --overwrite to replace it or --out to "
            "write elsewhere."
        )
    if found.files is not None:
        changed = inputs.changed(found.files, start.files or {})
        if changed:
            n = len(changed)
            raise ConfigError(
                f"{run_dir} holds a run started from other input files: {n} file"
                f"{'s' * (n > 1)} changed since it started ({', '.join(changed[:SHOWN])}"
                f"{', ...' * (n > SHOWN)}), so resuming would mix dialogues from both versions "
                "in one dataset. Restore the files as they were to resume, or pass --overwrite "
                "to start afresh or --out to write elsewhere."
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


def _scratch(name: str) -> bool:
    """Not run content: the lock, and the temp file of a run.json a kill interrupted."""
    return lock.is_lock_file(name) or name == f".{START}.tmp"


def _within(path: Path, folder: Path) -> bool:
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def _empty(run_dir: Path) -> None:
    """Everything in the directory but its lock; links are removed, never followed."""
    for entry in run_dir.iterdir():
        if lock.is_lock_file(entry.name):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _changed(old: Any, new: Any, where: str = "") -> list[str]:
    """The dotted keys whose values differ between two configs."""
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            key
            for k in sorted(set(old) | set(new), key=str)
            for key in _changed(old.get(k), new.get(k), f"{where}.{k}" if where else str(k))
        ]
    return [] if old == new else [where or "(all)"]
