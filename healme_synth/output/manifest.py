"""manifest.json: the resolved config and its hash, seeds, models, versions and counts, written
atomically beside the shards."""

from __future__ import annotations

import json
from pathlib import Path

from healme_synth.output.files import atomic_write
from healme_synth.records import Manifest


def write_manifest(run_dir: Path, manifest: Manifest) -> None:
    text = json.dumps(manifest.model_dump(mode="json"), indent=2, ensure_ascii=False)
    atomic_write(run_dir / "manifest.json", (text + "\n").encode())
