"""Scale-out on a local Ray instance: two CPU actors play the chunks, the driver writes one run
directory, and the dataset is the same as a local run's."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import ROOT, cli, scripted_config


def test_a_ray_run_on_two_actors_equals_a_local_run(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    config = scripted_config(
        run={"name": "t", "seed": 5, "batch_size": 8},
        seeds={"files": [str(ROOT / "personas" / "bank.yaml")], "sample": 80},
        dedup={"enabled": True, "threshold": 0.8, "max_per_persona": 1},
    )
    path = write_pipeline(config)
    local = cli("run", path, "--out", tmp_path / "local")
    assert local.returncode == 0, local.stderr
    spread = cli("run", path, "--out", tmp_path / "ray", "--ray", "2")
    assert spread.returncode == 0, spread.stderr[-3000:]
    shards = sorted(
        f.relative_to(tmp_path / "local") for f in (tmp_path / "local").rglob("*.parquet")
    )
    assert [str(s) for s in shards] == [
        "data/default/rejected-00000-of-00001.parquet",
        "data/default/train-00000-of-00001.parquet",
    ]
    for shard in shards:
        assert (tmp_path / "ray" / shard).read_bytes() == (tmp_path / "local" / shard).read_bytes()
    a = json.loads((tmp_path / "local" / "manifest.json").read_text())
    b = json.loads((tmp_path / "ray" / "manifest.json").read_text())
    for key in ("counts", "tokens", "judges", "models", "shards", "uptake"):
        assert a[key] == b[key], key
    # The per-persona cap is run-wide: it held across the two actors' chunks.
    assert a["counts"]["by_reason"].get("persona_cap", 0) > 0
