"""manifest.json: the resolved config and its hash, seeds, models, versions and counts, written
atomically beside the shards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from healme_synth.errors import ConfigError
from healme_synth.output.files import atomic_write
from healme_synth.records import Manifest


def write_manifest(run_dir: Path, manifest: Manifest) -> None:
    text = json.dumps(manifest.model_dump(mode="json"), indent=2, ensure_ascii=False)
    atomic_write(run_dir / "manifest.json", (text + "\n").encode())


def read_manifests(run_dir: Path) -> dict[str, Manifest]:
    """A finished run folder's manifests, by dataset config."""
    path = run_dir / "manifest.json"
    if not path.is_file():
        raise ConfigError(
            f"{run_dir} is not a finished run: expected {path}, which `healme-synth run` writes "
            "when the run is done (run it again with the same command to finish it)."
        )
    try:
        manifest = Manifest.model_validate_json(path.read_bytes())
    except ValidationError as e:
        raise ConfigError(
            f"{path} is not a healme-synth manifest ({e.error_count()} problems, first: "
            f"{e.errors()[0]['msg']})."
        ) from None
    return {section(manifest, "output")["config_name"]: manifest}


def section(m: Manifest, name: str) -> dict[str, Any]:
    """One section of the resolved config a manifest holds (empty when it has none)."""
    value = m.config.get(name)
    return value if isinstance(value, dict) else {}
