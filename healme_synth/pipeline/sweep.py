"""Running a sweep: every variant with the base's run seed and sample indices into one dataset
folder, as one config each.

```
<folder>/README.md                  the card of every config
<folder>/sweep.json                 the sweep: its file, base, common overrides, variants in order
<folder>/data/<variant>/*.parquet   each variant's shards: `load_dataset(folder, name=variant)`
<folder>/variants/<variant>/        that variant's run.json, journal/ and manifest.json
```
Each variant is a run whose state lives in its own variants/<variant>/ (pipeline.run with
`state_dir`), so it resumes like a run. A variant whose merged config or sampled personas
changed since (its run.json says so) is emptied, state and shards, and run afresh; a finished
variant whose shards are all there is kept as it is, without building its backends.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from healme_synth.errors import ConfigError, RunDirError
from healme_synth.output import SWEEP_FILE, VARIANTS, atomic_write, variant_dir, write_card
from healme_synth.pipeline import lock
from healme_synth.pipeline.chunk import Progress
from healme_synth.pipeline.generate import run
from healme_synth.pipeline.journal import read_start
from healme_synth.pipeline.plan import Plan, plan
from healme_synth.pipeline.run_dir import run_start
from healme_synth.pipeline.sweep_file import Sweep, Variant
from healme_synth.records import Manifest

NEW, RESUMING, CHANGED, UNCHANGED = "new", "resuming", "changed", "unchanged"
"""What a sweep does with a variant: runs it (first time), goes on with an interrupted run,
empties and re-runs it (its config or personas changed), or keeps it as it is (finished)."""


@dataclass
class Planned:
    variant: Variant
    plan: Plan


def plan_sweep(sweep: Sweep) -> list[Planned]:
    """Plan every variant (seeds, templates, rubrics), all problems of a variant at once; every
    variant must draw as many dialogues, so they share sample indices."""
    planned = []
    for v in sweep.variants:
        try:
            planned.append(Planned(v, plan(v.pipeline)))
        except ConfigError as e:
            raise ConfigError(f"{sweep.path}: variant `{v.name}`: {e}") from None
    sizes = {p.variant.name: len(p.plan.sample) for p in planned}
    if len(set(sizes.values())) > 1:
        shown = ", ".join(f"{name} {n}" for name, n in sizes.items())
        raise ConfigError(
            f"{sweep.path}: the variants draw different numbers of dialogues ({shown}); every "
            "variant of a sweep plays the same sample indices, so set `seeds.sample` or "
            "`sampler.count` under `overrides:` for all of them."
        )
    return planned


def run_sweep(
    sweep: Sweep,
    folder: Path,
    planned: list[Planned] | None = None,
    overwrite: bool = False,
    ray_actors: int | None = None,
    ray_gpus: float = 0,
    progress: Callable[[str, int], Progress] | None = None,
    on_status: Callable[[str, str], None] | None = None,
) -> dict[str, Manifest]:
    """Run (or resume, or keep) every variant into `folder`; the manifests by variant.

    `progress(variant, dialogues)` gives each variant's run its Progress; `on_status(variant,
    status)` is told what happens to each (NEW, RESUMING, CHANGED, UNCHANGED, or `removed` for a
    variant the sweep no longer has)."""
    planned = planned if planned is not None else plan_sweep(sweep)
    names = [p.variant.name for p in planned]
    manifests = {}
    # The folder's lock for the whole sweep (each variant's run also locks its own state):
    # another sweep into this folder would remove and rewrite the same variants.
    with lock.locked(folder):
        _prepare(sweep, folder, overwrite, names, on_status)
        for p in planned:
            name = p.variant.name
            status, manifest = _state(folder, name, p.plan)
            if on_status is not None:
                on_status(name, status)
            if manifest is None:
                manifest = run(
                    p.plan,
                    folder,
                    progress=progress(name, len(p.plan.sample)) if progress is not None else None,
                    ray_actors=ray_actors,
                    ray_gpus=ray_gpus,
                    state_dir=variant_dir(folder, name),
                )
            manifests[name] = manifest
        write_card(folder, manifests)
    return manifests


def _prepare(
    sweep: Sweep,
    folder: Path,
    overwrite: bool,
    names: list[str],
    on_status: Callable[[str, str], None] | None,
) -> None:
    """Never mix a sweep with anything else, and delete only what a sweep wrote: a non-empty
    folder without sweep.json is refused (even with `overwrite`, which empties a sweep's
    folder); variants the sweep no longer has are removed, so the folder holds exactly the
    sweep's configs. Then sweep.json records the sweep."""
    content = [p for p in folder.iterdir() if not lock.is_lock_file(p.name)]
    if content and not (folder / SWEEP_FILE).is_file():
        shown = ", ".join(sorted(p.name + "/" * p.is_dir() for p in content)[:6])
        raise RunDirError(
            f"{folder} is not empty ({shown}) and holds no healme-synth sweep (no {SWEEP_FILE}), "
            "so it is neither resumed nor replaced; pass a new or empty directory as --out."
        )
    if content and overwrite:
        inside = [f for f in (sweep.path, sweep.base.path) if _within(f, folder)]
        if inside:
            raise RunDirError(
                f"{folder} holds the sweep's own input ({', '.join(map(str, inside))}), so "
                "--overwrite would delete it; move it out, or pass another directory as --out."
            )
        for entry in content:
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    elif content:
        for gone in sorted(_variants_in(folder) - set(names)):
            _remove(folder, gone)
            if on_status is not None:
                on_status(gone, "removed")
    record = {
        "sweep": str(sweep.path),
        "base": str(sweep.base.path),
        "name": sweep.name,
        "overrides": sweep.overrides,
        "variants": names,
        "variant_overrides": {v.name: v.overrides for v in sweep.variants},
    }
    text = json.dumps(record, indent=2, ensure_ascii=False, default=str)
    atomic_write(folder / SWEEP_FILE, (text + "\n").encode())


def _within(path: Path, folder: Path) -> bool:
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def _variants_in(folder: Path) -> set[str]:
    found = {p.name for p in (folder / "data").glob("*") if p.is_dir()}
    return found | {p.name for p in (folder / VARIANTS).glob("*") if p.is_dir()}


def _remove(folder: Path, name: str) -> None:
    shutil.rmtree(variant_dir(folder, name), ignore_errors=True)
    shutil.rmtree(folder / "data" / name, ignore_errors=True)


def _state(folder: Path, name: str, p: Plan) -> tuple[str, Manifest | None]:
    """What to do with one variant, and its manifest when it is kept as it is."""
    state = variant_dir(folder, name)
    start, found = run_start(p), read_start(state)
    if found is None:
        _remove(folder, name)  # shards or state without run.json: nothing a run can resume
        return NEW, None
    if (found.config_sha256, found.sample_sha256) != (start.config_sha256, start.sample_sha256):
        _remove(folder, name)
        return CHANGED, None
    manifest = _manifest(state / "manifest.json")
    if (
        manifest is not None
        and manifest.config_sha256 == start.config_sha256
        and all((folder / shard).is_file() for shard in manifest.shards)
    ):
        return UNCHANGED, manifest
    if not (state / "journal").is_dir():
        _remove(folder, name)  # unfinished and nothing to resume from
        return NEW, None
    return RESUMING, None


def _manifest(path: Path) -> Manifest | None:
    if not path.is_file():
        return None
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except ValidationError:
        return None  # written by another version: the variant is resumed and writes it anew
