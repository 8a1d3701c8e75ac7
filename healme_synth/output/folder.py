"""A run folder read back: its configs (data/<config>/), each one's manifest and finished shards
per split. A plain run has one config and manifest.json at the top; a sweep has one config per
variant and keeps each variant's manifest, run.json and journal under variants/<variant>/."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import ValidationError

from healme_synth.errors import ConfigError
from healme_synth.output.schema import SCHEMA
from healme_synth.records import SPLITS, Manifest

SWEEP_FILE = "sweep.json"
"""A sweep folder's record of its sweep: the sweep and base files and the variants in order."""
VARIANTS = "variants"
"""Where a sweep keeps each variant's own run state (run.json, journal/, manifest.json)."""
ALL = "all"
"""Every split, in split order."""
T = TypeVar("T")


@dataclass(frozen=True)
class Config:
    """One config of a run folder: its shard folder and, when it was written, its manifest."""

    name: str
    data: Path
    manifest: Manifest | None

    def shards(self, split: str) -> list[Path]:
        """The split's finished shards in order; none when the split was empty (not written)."""
        return sorted(self.data.glob(f"{split}-[0-9]*-of-[0-9]*.parquet"))


def variant_dir(folder: Path, variant: str) -> Path:
    return folder / VARIANTS / variant


def configs(run_dir: Path) -> list[Config]:
    """The folder's configs: a sweep's in its variants' order, otherwise by name."""
    data = run_dir / "data"
    found = sorted(p.name for p in data.glob("*") if p.is_dir() and any(p.glob("*-of-*.parquet")))
    if not run_dir.is_dir() or not found:
        raise ConfigError(
            f"{run_dir} is not a run folder: expected finished shards under "
            f"{data}/<config>/ (written by `healme-synth run` or `ablate`)."
        )
    order = sweep_variants(run_dir)
    names = [v for v in order if v in found] + [n for n in found if n not in order]
    return [Config(n, data / n, _manifest(run_dir, n)) for n in names]


def sweep_variants(run_dir: Path) -> list[str]:
    """The variants a sweep folder's sweep.json lists, in order (none for a plain run)."""
    path = run_dir / SWEEP_FILE
    if not path.is_file():
        return []
    try:
        variants = json.loads(path.read_text(encoding="utf-8"))["variants"]
        return [str(v) for v in variants]
    except (ValueError, KeyError, TypeError) as e:
        raise ConfigError(f"{path}: not a sweep record this version can read ({e}).") from None


def _manifest(run_dir: Path, name: str) -> Manifest | None:
    """A variant's own manifest, or the run's when the run is this config."""
    for path in (variant_dir(run_dir, name) / "manifest.json", run_dir / "manifest.json"):
        if not path.is_file():
            continue
        try:
            manifest = Manifest.model_validate_json(path.read_bytes())
        except ValidationError as e:
            raise ConfigError(
                f"{path}: not a manifest this version can read ({e.error_count()} problems)."
            ) from None
        output = manifest.config.get("output")
        if path.parent != run_dir or (isinstance(output, dict) and output["config_name"] == name):
            return manifest
    return None


def splits(split: str) -> tuple[str, ...]:
    """The splits `--split` names: one, or all of them."""
    if split == ALL:
        return SPLITS
    if split not in SPLITS:
        raise ConfigError(f"unknown split {split!r}; expected one of: {', '.join(SPLITS)}, all.")
    return (split,)


def read_table(config: Config, split: str) -> pa.Table:
    """The split's rows with the explicit schema (0 rows when the split was not written)."""
    tables = []
    for path in config.shards(split):
        try:
            tables.append(pq.read_table(path, schema=SCHEMA))
        except (OSError, pa.ArrowException) as e:
            raise ConfigError(f"{path} is not a readable Parquet shard ({e}).") from None
    return pa.concat_tables(tables) if tables else SCHEMA.empty_table()


def read_rows(config: Config, split: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = read_table(config, split).to_pylist()
    return rows


def sample(items: Sequence[T], n: int, seed: int = 0) -> list[T]:
    """n items picked under a fixed seed, kept in their order: the same pick every time."""
    if n >= len(items):
        return list(items)
    picked = sorted(random.Random(seed).sample(range(len(items)), n))
    return [items[i] for i in picked]
