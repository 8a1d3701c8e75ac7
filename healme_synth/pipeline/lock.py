"""One command at a time in a run directory: `run`, `filter --out` and `judge --out` hold an
exclusive lock on it (filelock: flock, released by the kernel even after `kill -9`), so two
commands never append to one journal. The lock file stays in the directory (waiters must share
its inode); the holder's PID and command line go into a sidecar file, since a second command
can only read who holds the lock, never the lock itself."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from healme_synth.errors import RunDirError
from healme_synth.output import atomic_write

LOCK = ".healme-synth.lock"
HOLDER = ".healme-synth.lock.json"
"""The holder's PID, command line and start time (removed when the lock is released)."""

_held: set[str] = set()
"""The run directories this process holds (resolved), so writers can check they hold theirs."""


def is_lock_file(name: str) -> bool:
    """The lock and its sidecar (and the sidecar's temp file): not run content."""
    return name.startswith(LOCK)


def holds(run_dir: Path) -> bool:
    return str(run_dir.resolve()) in _held


@contextlib.contextmanager
def locked(run_dir: Path) -> Iterator[None]:
    """Hold the directory's lock for the block (creating the directory); another holder is a
    RunDirError naming its PID. What a refused or failed start created is removed again: a
    directory left with nothing but the lock (with the parents created for it), or the lock
    file itself in a directory that did not become a run. Reentrant in one process (a sweep
    holding its folder may run a variant in it)."""
    if holds(run_dir):
        yield
        return
    created = [p for p in (run_dir, *run_dir.parents) if not p.exists()]
    new_lock = not (run_dir / LOCK).exists()
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(run_dir / LOCK, timeout=0)
        lock.acquire()
    except Timeout:
        raise RunDirError(_busy(run_dir)) from None
    except OSError as e:
        if created:
            _remove_if_unused(created)
        raise RunDirError(
            f"{run_dir}: cannot use it as a run directory ({e.strerror or e}); expected a "
            "directory this user can write (new, empty, or holding a healme-synth run)."
        ) from None
    key = str(run_dir.resolve())
    try:
        holder = {
            "pid": os.getpid(),
            "command": sys.argv[1:],
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        atomic_write(run_dir / HOLDER, (json.dumps(holder) + "\n").encode())
        _held.add(key)
        yield
    finally:
        _held.discard(key)
        with contextlib.suppress(OSError):
            (run_dir / HOLDER).unlink(missing_ok=True)
        lock.release()
        if created:
            _remove_if_unused(created)
        elif new_lock and not is_run(run_dir):
            # A refused command leaves nothing in somebody's folder, not even its lock.
            with contextlib.suppress(OSError):
                (run_dir / LOCK).unlink()


def is_run(run_dir: Path) -> bool:
    """A healme-synth command wrote this directory: its run.json, of any version, is there."""
    try:
        found = json.loads((run_dir / "run.json").read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(found, dict) and "config_sha256" in found


def _busy(run_dir: Path) -> str:
    """Who holds the lock, from its sidecar (the holder may be a moment from writing it)."""
    holder: dict[str, object] = {}
    for _ in range(20):
        try:
            holder = json.loads((run_dir / HOLDER).read_text(encoding="utf-8"))
            break
        except (OSError, ValueError):
            time.sleep(0.05)
    pid = holder.get("pid", "unknown")
    command = holder.get("command")
    shown = f", `{' '.join(map(str, command))}`" if isinstance(command, list) else ""
    since = f", since {holder['since']}" if "since" in holder else ""
    return (
        f"{run_dir} is in use by another healme-synth command (PID {pid}{shown}{since}); two "
        "commands writing one run directory would corrupt its journal. Wait for it to end (or "
        f"stop it: kill {pid}), then run this command again, or write elsewhere with --out."
    )


def _remove_if_unused(created: list[Path]) -> None:
    """The directories this command created, deepest first, if they hold nothing but the lock."""
    run_dir = created[0]
    with contextlib.suppress(OSError):
        if all(is_lock_file(p.name) for p in run_dir.iterdir()):
            for p in run_dir.iterdir():
                p.unlink()
        for folder in created:
            folder.rmdir()  # stops at the first one that is not empty
