"""Sweeps: every variant of a base pipeline runs with the same run seed and sample indices into
one folder, one dataset config each; each resumes like a run, a changed variant re-runs alone,
and a bad sweep file is one readable paragraph (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import datasets
import pytest

from healme_synth import pipeline
from healme_synth.pipeline.lock import is_lock_file
from healme_synth.records import Manifest
from tests.conftest import ROOT, cli
from tests.sweeps import COMMON, VARIANTS, write_sweep


def run(path: Path, **kwargs: Any) -> tuple[dict[str, str], dict[str, Manifest]]:
    """The sweep run in this process: what happened to each variant, and the manifests."""
    sweep = pipeline.load_sweep(path)
    statuses: dict[str, str] = {}
    manifests = pipeline.run_sweep(
        sweep,
        kwargs.pop("folder", sweep.folder()),
        on_status=lambda v, s: statuses.__setitem__(v, s),
        **kwargs,
    )
    return statuses, manifests


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every shard's bytes and modification time: a kept variant's are not even rewritten."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.glob("data/*/*.parquet"))
    }


def test_a_sweep_writes_one_config_per_variant_into_one_folder(tmp_path: Path) -> None:
    path = write_sweep(tmp_path)
    statuses, manifests = run(path)
    folder = tmp_path / "out" / "s"
    assert statuses == {"positive": "new", "mixed": "new"}
    listed = sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and "journal" not in p.parts and not is_lock_file(p.name)
    )
    assert listed == [
        "README.md",
        "data/mixed/rejected-00000-of-00001.parquet",
        "data/mixed/safety_review-00000-of-00001.parquet",
        "data/mixed/train-00000-of-00001.parquet",
        "data/positive/rejected-00000-of-00001.parquet",
        "data/positive/safety_review-00000-of-00001.parquet",
        "data/positive/train-00000-of-00001.parquet",
        "sweep.json",
        "variants/mixed/manifest.json",
        "variants/mixed/run.json",
        "variants/positive/manifest.json",
        "variants/positive/run.json",
    ]
    assert sorted(p.name for p in (folder / "variants" / "mixed" / "journal").iterdir()) == [
        "chunk-00000.jsonl",
        "chunk-00001.jsonl",
        "chunk-00002.jsonl",
    ]
    assert json.loads((folder / "sweep.json").read_text()) == {
        "sweep": str(path),
        "base": str(tmp_path / "base.yaml"),
        "name": "s",
        "overrides": json.loads(json.dumps(COMMON)),
        "variants": ["positive", "mixed"],
        "variant_overrides": VARIANTS,
    }
    ids = {}
    for name, manifest in manifests.items():
        assert manifest.name == "s"
        assert manifest.config["output"]["config_name"] == name  # type: ignore[index]
        loaded = datasets.load_dataset(str(folder), name=name)
        assert {split: loaded[split].num_rows for split in loaded} == {
            "positive": {"train": 2, "rejected": 2, "safety_review": 2},
            "mixed": {"train": 3, "rejected": 1, "safety_review": 2},
        }[name]
        rows = [row for split in loaded for row in loaded[split]]
        assert {row["run_seed"] for row in rows} == {7}
        ids[name] = sorted(row["id"].split("-")[0] for row in rows)
        attitudes = sorted(row["attitude"] for row in rows)
        expected = ["positive"] * 6 if name == "positive" else ["negative"] * 3 + ["positive"] * 3
        assert attitudes == expected
    # The same sample indices in every variant (the personas differ: that is the ablation).
    assert ids["positive"] == ids["mixed"] == [f"{i:06d}" for i in range(6)]


def test_a_rerun_keeps_finished_variants_and_a_changed_variant_reruns_alone(
    tmp_path: Path,
) -> None:
    path = write_sweep(tmp_path)
    folder = tmp_path / "out" / "s"
    run(path)
    before = snapshot(folder)
    statuses, _ = run(path)
    assert statuses == {"positive": "unchanged", "mixed": "unchanged"}
    assert snapshot(folder) == before

    write_sweep(
        tmp_path, variants={**VARIANTS, "mixed": {"sampler.weights.attitude": {"negative": 1}}}
    )
    statuses, manifests = run(path)
    assert statuses == {"positive": "unchanged", "mixed": "changed"}
    after = snapshot(folder)
    kept = {k: v for k, v in after.items() if k.startswith("data/positive/")}
    assert kept == {k: v for k, v in before.items() if k.startswith("data/positive/")}
    assert all(after[k][0] != before[k][0] for k in after if k.startswith("data/mixed/"))
    rows = datasets.load_dataset(str(folder), name="mixed")
    assert {row["attitude"] for split in rows for row in rows[split]} == {"negative"}
    assert manifests["mixed"].distribution["attitude"]["target"] == {"negative": 1.0}  # type: ignore[index]

    # A variant the sweep no longer has is removed, state and shards.
    write_sweep(tmp_path, variants={"positive": VARIANTS["positive"]})
    statuses, _ = run(path)
    assert statuses == {"mixed": "removed", "positive": "unchanged"}
    assert sorted(p.name for p in (folder / "data").iterdir()) == ["positive"]
    assert sorted(p.name for p in (folder / "variants").iterdir()) == ["positive"]
    assert "config_name: mixed" not in (folder / "README.md").read_text()


class Stop(Exception):
    """Stands in for a kill between two chunks."""


def test_an_interrupted_variant_resumes_to_the_uninterrupted_result(tmp_path: Path) -> None:
    path = write_sweep(tmp_path)
    whole = tmp_path / "whole"
    run(path, folder=whole)

    def progress(variant: str, total: int) -> pipeline.Progress:
        def on_dialogues(n: int) -> None:
            if variant == "mixed":
                raise Stop  # after its first chunk of 2 was journaled and handed to the shards

        return pipeline.Progress(on_dialogues=on_dialogues)

    cut = tmp_path / "cut"
    with pytest.raises(Stop):
        run(path, folder=cut, progress=progress)
    assert not (cut / "variants" / "mixed" / "manifest.json").exists()
    resumed: list[tuple[int, int]] = []
    statuses, _ = run(
        path,
        folder=cut,
        progress=lambda v, t: pipeline.Progress(on_resume=lambda d, n: resumed.append((d, n))),
    )
    assert statuses == {"positive": "unchanged", "mixed": "resuming"}
    assert resumed == [(2, 6)]
    assert {k: v[0] for k, v in snapshot(cut).items()} == {
        k: v[0] for k, v in snapshot(whole).items()
    }


@pytest.mark.parametrize(
    ("sweep", "message"),
    [
        (
            "base: base.yaml\nvarients: {}\n",
            "{path} is not a sweep file: `variants` is required; line 2, unknown key "
            "`varients` (allowed here: base, name, overrides, variants).",
        ),
        (
            "base: base.yaml\nvariants:\n  a:\n    roles.counselor.temprature: 0.3\n",
            "{path}: variant `a` (merged onto {base}) has 1 problem: line 4, unknown key "
            "`roles.counselor.temprature` (allowed here: model, temperature, top_p, max_tokens, "
            "stop, repetition_penalty).",
        ),
        (
            "base: base.yaml\nvariants:\n  a: {}\n  b:\n    run.seed: 8\n",
            "{path}: variant `b`: line 5, `run.seed` cannot be overridden: every variant runs "
            "with the same run seed (set `run.seed` under `overrides:`).",
        ),
        (
            "base: base.yaml\nvariants:\n  a:\n    protocol.rounds: 2\n",
            "{path}: variant `a`: line 4, `protocol` is 'healme', not a section, so "
            "`protocol.rounds` cannot be set.",
        ),
        (
            "base: base.yaml\nvariants:\n  a: {}\n  b: {seeds.sample: 5}\n",
            "{path}: the variants draw different numbers of dialogues (a 6, b 5); every variant "
            "of a sweep plays the same sample indices, so set `seeds.sample` or `sampler.count` "
            "under `overrides:` for all of them.",
        ),
        (
            "base: nope.yaml\nvariants: {a: {}}\n",
            "{dir}/nope.yaml: cannot read the pipeline file (No such file or directory).",
        ),
        (
            "base: base.yaml\nvariants:\n  a b: {}\n",
            "{path} is not a sweep file: line 3, variant name `a b`: String should match "
            "pattern '^[A-Za-z0-9][A-Za-z0-9._-]*$'.",
        ),
    ],
)
def test_a_bad_sweep_file_is_one_paragraph_naming_file_variant_and_key(
    tmp_path: Path, sweep: str, message: str
) -> None:
    write_sweep(tmp_path)
    path = tmp_path / "bad.yaml"
    path.write_text(sweep)
    result = cli("ablate", path, "--validate")
    assert result.returncode == 2, result.stderr
    expected = message.format(path=path, base=tmp_path / "base.yaml", dir=tmp_path)
    assert result.stderr == f"error: {expected}\n"


def test_a_folder_that_is_not_a_sweep_is_never_written_or_replaced(tmp_path: Path) -> None:
    path = write_sweep(tmp_path)
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    for extra in ([], ["--overwrite"]):
        result = cli("ablate", path, "--out", folder, *extra)
        assert result.returncode == 2, result.stderr
        assert result.stderr == (
            f"error: {folder} is not empty (notes.txt) and holds no healme-synth sweep (no "
            "sweep.json), so it is neither resumed nor replaced; pass a new or empty directory "
            "as --out.\n"
        )
    # Nothing was added (but maybe the lock file, as in any directory a command locked).
    assert [p.name for p in folder.iterdir() if not is_lock_file(p.name)] == ["notes.txt"]


def test_the_shipped_sweeps_validate() -> None:
    attitude = cli("ablate", ROOT / "pipelines" / "ablate-attitude.yaml", "--validate")
    assert attitude.returncode == 0, attitude.stderr
    lines = attitude.stdout.splitlines()
    assert [line.split(" (")[0] for line in lines] == [
        "variant positive: OK",
        "variant mixed: OK",
        "variant negative: OK",
        f"{ROOT / 'pipelines' / 'ablate-attitude.yaml'}: OK",
    ]
    assert lines[1].endswith(
        "; sampler.weights.attitude={'positive': 1, 'neutral': 1, 'negative': 1})"
    )
    embedded = cli("ablate", ROOT / "pipelines" / "ablate-embedded.yaml", "--validate")
    assert embedded.returncode == 0, embedded.stderr
    assert [line.split(", config sha256")[0] for line in embedded.stdout.splitlines()] == [
        "variant cool: OK (4 dialogues, protocol healme",
        "variant warm: OK (4 dialogues, protocol healme",
        f"{ROOT / 'pipelines' / 'ablate-embedded.yaml'}: OK (2 variants)",
    ]


def test_the_shipped_attitude_sweep_runs_end_to_end(tmp_path: Path) -> None:
    sweep = ROOT / "pipelines" / "ablate-attitude.yaml"
    first = cli("ablate", sweep, "--out", tmp_path / "a")
    assert first.returncode == 0, first.stderr
    assert [line for line in first.stderr.splitlines() if line.startswith("variant")] == [
        "variant positive: new",
        "variant mixed: new",
        "variant negative: new",
    ]
    assert f"written: {tmp_path / 'a'}; compare them: healme-synth compare" in first.stdout
    for name in ("positive", "mixed", "negative"):
        loaded = datasets.load_dataset(str(tmp_path / "a"), name=name)
        assert sum(loaded[split].num_rows for split in loaded) == 12
    again = cli("ablate", sweep, "--out", tmp_path / "a")
    assert again.returncode == 0, again.stderr
    assert [line for line in again.stderr.splitlines() if line.startswith("variant")] == [
        "variant positive: unchanged",
        "variant mixed: unchanged",
        "variant negative: unchanged",
    ]
