"""manifest.json: the resolved config and its hash, seeds, models, versions and counts, written
atomically beside the shards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from healme_synth.errors import ConfigError
from healme_synth.output.files import atomic_write
from healme_synth.output.folder import configs
from healme_synth.records import Manifest


def write_manifest(run_dir: Path, manifest: Manifest) -> None:
    text = json.dumps(manifest.model_dump(mode="json"), indent=2, ensure_ascii=False)
    atomic_write(run_dir / "manifest.json", (text + "\n").encode())


def read_manifests(run_dir: Path) -> dict[str, Manifest]:
    """A finished folder's manifests by dataset config: a run's one, a sweep's per variant."""
    found = {c.name: c.manifest for c in configs(run_dir)}
    missing = [name for name, m in found.items() if m is None]
    if missing:
        raise ConfigError(
            f"{run_dir} is not a finished run: config {', '.join(missing)} has no manifest.json "
            "yet, which `healme-synth run` (or `ablate`) writes when it is done; run the same "
            "command again to finish it."
        )
    return {name: m for name, m in found.items() if m is not None}


def section(m: Manifest, name: str) -> dict[str, Any]:
    """One section of the resolved config a manifest holds (empty when it has none)."""
    value = m.config.get(name)
    return value if isinstance(value, dict) else {}
