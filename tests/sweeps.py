"""A small scripted sweep for the sweep, stats, report and view tests: two attitude variants of
six dialogues each, with a score gate (so some are rejected) and crisis probes (so some are
routed to safety_review): every variant has all three splits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.conftest import scripted_config

COMMON: dict[str, Any] = {
    "seeds.sample": None,
    "sampler": {"count": 6, "weights": {"receptivity": {1: 1, 5: 1}}},
    "judges.ctrs.min_mean": 3,
    "safety.probe_fraction": 0.34,
}
VARIANTS: dict[str, dict[str, Any]] = {
    "positive": {"sampler.weights.attitude": {"positive": 1}},
    "mixed": {"sampler.weights.attitude": {"positive": 1, "negative": 1}},
}


def write_sweep(
    folder: Path,
    variants: dict[str, dict[str, Any]] | None = None,
    overrides: dict[str, Any] | None = None,
    base: dict[str, Any] | None = None,
    name: str = "sweep.yaml",
) -> Path:
    """base.yaml (scripted, batches of 2, output.dir `out`) and a sweep file named `s` on it;
    the sweep's folder is folder/out/s."""
    folder.mkdir(parents=True, exist_ok=True)
    config = base or scripted_config(
        run={"name": "t", "seed": 7, "batch_size": 2},
        judges={"ctrs": {}, "panas": {"rubric": "panas"}},
    )
    (folder / "base.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    sweep = {
        "base": "base.yaml",
        "name": "s",
        "overrides": COMMON if overrides is None else overrides,
        "variants": VARIANTS if variants is None else variants,
    }
    path = folder / name
    path.write_text(yaml.safe_dump(sweep, sort_keys=False))
    return path
