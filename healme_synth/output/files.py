"""Atomic file writes (temp file + rename): a killed run never leaves a half file that a reader
would take for a whole one. Every file output writes goes through here."""

from __future__ import annotations

import os
from pathlib import Path

from healme_synth.records import Persona


def atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:  # a failed write (a folder in the way, a full disk) leaves no .tmp
        tmp.unlink(missing_ok=True)
        raise


def write_personas(personas: list[Persona], out: Path) -> None:
    """JSONL, one persona per line: what `seeds.files` reads."""
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = [p.model_dump_json(exclude_defaults=True) for p in personas]
    atomic_write(out, ("\n".join(lines) + "\n" if lines else "").encode())
