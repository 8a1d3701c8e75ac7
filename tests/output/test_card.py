"""The run folder as a Hub dataset repo: every mix of empty and non-empty splits loads with
`datasets`, and the card carries the Hub metadata and the sections a user looks for."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from typing import Any

import datasets
import pyarrow.parquet as pq
import pytest
import yaml
from huggingface_hub import DatasetCard

from healme_synth import pipeline
from healme_synth.config import load_pipeline
from healme_synth.output import SCHEMA, ShardWriter, write_card
from healme_synth.output.card import render_card, size_category
from healme_synth.records import SPLITS, Manifest
from tests.conftest import scripted_config

LICENSE = {"output": {"dir": "out", "rows_per_shard": 4, "license": "cc-by-4.0"}}


@pytest.fixture(scope="module")
def scripted_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    """One real scripted run (every dialogue kept: the case that used to break `datasets`)."""
    root = tmp_path_factory.mktemp("run")
    path = root / "pipeline.yaml"
    path.write_text(yaml.safe_dump(scripted_config(**LICENSE)))
    manifest = pipeline.run(pipeline.plan(load_pipeline(path)), root / "r")
    return root / "r", manifest


def rows_of(run_dir: Path) -> list[dict[str, Any]]:
    """The run's train rows, in shard order."""
    shards = sorted((run_dir / "data" / "default").glob("train-*.parquet"))
    return [row for path in shards for row in pq.read_table(path).to_pylist()]


def folder_with(tmp_path: Path, run: tuple[Path, Manifest], splits: tuple[str, ...]) -> Path:
    """A run folder holding the run's rows spread over exactly `splits` (two rows each)."""
    source, manifest = run
    rows = rows_of(source)
    folder = tmp_path / "+".join(splits)
    for i, split in enumerate(splits):
        writer = ShardWriter(folder / "data" / "default", split, rows_per_shard=1)
        for row in rows[2 * i : 2 * i + 2]:
            writer.add(row)
        writer.close()
    write_card(folder, {"default": manifest})
    return folder


def load(*args: Any, tmp_path: Path, **kwargs: Any) -> dict[str, list[str]]:
    ds = datasets.load_dataset(*args, cache_dir=str(tmp_path / "cache"), **kwargs)
    return {split: ds[split]["id"] for split in ds}


MIXES = [m for n in range(1, 4) for m in itertools.combinations(SPLITS, n)]


def test_the_table_covers_every_mix_of_empty_and_non_empty_splits() -> None:
    assert len(MIXES) == 7 and set(itertools.chain(*MIXES)) == {
        "train",
        "rejected",
        "safety_review",
    }


@pytest.mark.parametrize("splits", MIXES, ids=["+".join(m) for m in MIXES])
def test_every_mix_of_splits_loads_from_the_folder_and_by_config(
    tmp_path: Path, scripted_run: tuple[Path, Manifest], splits: tuple[str, ...]
) -> None:
    folder = folder_with(tmp_path, scripted_run, splits)
    ids = [r["id"] for r in rows_of(scripted_run[0])]
    expected = {split: ids[2 * i : 2 * i + 2] for i, split in enumerate(splits)}
    card = DatasetCard.load(folder / "README.md")
    assert card.data.configs == [
        {
            "config_name": "default",
            "data_files": [{"split": s, "path": f"data/default/{s}-*"} for s in splits],
        }
    ]
    assert load(str(folder), tmp_path=tmp_path) == expected
    assert load(str(folder), name="default", tmp_path=tmp_path) == expected
    data_dir = folder / "data" / "default"
    files = {s: str(data_dir / f"{s}-*.parquet") for s in splits}
    assert load("parquet", data_files=files, tmp_path=tmp_path) == expected
    if "train" in splits:  # the packaged builder knows the name `train`, not ours
        assert load("parquet", data_dir=str(data_dir), tmp_path=tmp_path) == {
            "train": expected["train"]
        }


def test_an_all_kept_run_writes_and_declares_train_only(
    tmp_path: Path, scripted_run: tuple[Path, Manifest]
) -> None:
    run_dir, manifest = scripted_run
    assert manifest.counts.kept == manifest.counts.dialogues == 6
    assert sorted(p.name for p in (run_dir / "data" / "default").iterdir()) == [
        "train-00000-of-00002.parquet",
        "train-00001-of-00002.parquet",
    ]
    assert manifest.shards == [
        "data/default/train-00000-of-00002.parquet",
        "data/default/train-00001-of-00002.parquet",
    ]
    ids = [r["id"] for r in rows_of(run_dir)]
    assert len(ids) == 6
    assert load(str(run_dir), tmp_path=tmp_path) == {"train": ids}


def test_the_card_parses_with_every_metadata_field(scripted_run: tuple[Path, Manifest]) -> None:
    run_dir, _ = scripted_run
    data = DatasetCard.load(run_dir / "README.md").data.to_dict()
    assert data == {
        "license": "cc-by-4.0",
        "language": ["en"],
        "task_categories": ["text-generation"],
        "size_categories": ["n<1K"],
        "pretty_name": "t (healme-synth, healme)",
        "tags": [
            "synthetic",
            "counseling",
            "cbt",
            "cognitive-reframing",
            "mental-health",
            "healme-synth",
            "healme",
        ],
        "source_datasets": ["original"],
        "configs": [
            {
                "config_name": "default",
                "data_files": [{"split": "train", "path": "data/default/train-*"}],
            }
        ],
    }


def test_the_card_has_every_section_and_describes_every_column(
    scripted_run: tuple[Path, Manifest],
) -> None:
    run_dir, manifest = scripted_run
    text = (run_dir / "README.md").read_text()
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## How to load",
        "## Data fields",
        "## Sample record",
        "## How it was generated",
        "## Limits and intended use",
        "## Reproduce",
        "## Citations",
    ]
    for heading in (
        "#### Filters and judges",
        "#### Diversity and realism",
        "#### Safety",
        "### Config `default`",
    ):
        assert f"\n{heading}\n" in text
    for field in SCHEMA:
        assert f"\n| `{field.name}` | `" in text
    assert 'ds = datasets.load_dataset("path/to/this/folder")\n' in text
    assert f"`{manifest.config_sha256}`" in text
    assert "Models: counselor `scripted`; client `scripted`; judge `scripted`." in text
    assert "counselor temperature 0.7, top_p 0.95, max_tokens 160" in text
    assert "- Seeds: 6 personas from `bank.yaml`.\n" in text
    assert '"id": "' + rows_of(run_dir)[0]["id"] + '"' in text  # the sample is train's first row
    assert "@inproceedings{xiao-etal-2024-healme," in text
    assert "| none | 0 |\n" in text  # no rejection reason
    assert manifest.metrics is not None and manifest.metrics.dialogues == 6
    assert f"| distinct-1 | {manifest.metrics.distinct_1:.4f} |\n" in text


def test_sizes_follow_the_hubs_buckets() -> None:
    assert [size_category(n) for n in (0, 999, 1000, 9999, 10_000, 999_999, 10**6)] == [
        "n<1K",
        "n<1K",
        "1K<n<10K",
        "1K<n<10K",
        "10K<n<100K",
        "100K<n<1M",
        "n>1M",
    ]


def test_a_folder_of_several_configs_declares_each_and_loads_each_by_name(
    tmp_path: Path, scripted_run: tuple[Path, Manifest]
) -> None:
    source, manifest = scripted_run
    folder = tmp_path / "sweep"
    for name in ("mild", "harsh"):
        shutil.copytree(source / "data" / "default", folder / "data" / name)
    write_card(folder, {"mild": manifest, "harsh": manifest})
    card = DatasetCard.load(folder / "README.md")
    assert [c["config_name"] for c in card.data.configs] == ["mild", "harsh"]
    for name in ("mild", "harsh"):
        ds = datasets.load_dataset(str(folder), name=name, cache_dir=str(tmp_path / "cache"))
        assert list(ds) == ["train"] and ds["train"].num_rows == 6
    assert 'load_dataset("path/to/this/folder", name="harsh")' in card.text


def test_a_card_for_the_hub_can_leave_safety_review_out_and_says_so(
    tmp_path: Path, scripted_run: tuple[Path, Manifest]
) -> None:
    folder = folder_with(tmp_path, scripted_run, ("train", "safety_review"))
    _, manifest = scripted_run
    kept = render_card(folder, {"default": manifest}, include_safety_review=False, repo="o/n")
    card = DatasetCard(kept)
    assert card.data.configs[0]["data_files"] == [
        {"split": "train", "path": "data/default/train-*"}
    ]
    assert "was **left out of this upload**" in kept
    assert 'ds = datasets.load_dataset("o/n")\n' in kept
    assert "left out of this upload" not in (folder / "README.md").read_text()
