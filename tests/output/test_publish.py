"""`push`: what a run folder sends to the Hub and what it never sends, checked at the client
boundary (the Hub is the one thing this project may not reach from a test), the refusals, and
the dry run through the real command line."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import pytest
import yaml
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, DatasetCard

from healme_synth import pipeline
from healme_synth.config import load_pipeline
from healme_synth.errors import ConfigError
from healme_synth.output import ShardWriter, publish
from healme_synth.output.card import write_card
from healme_synth.output.manifest import read_manifests
from tests.conftest import cli, scripted_config

LICENSED = {"dir": "out", "rows_per_shard": 2, "license": "cc-by-4.0"}


@dataclass
class Lfs:
    sha256: str


@dataclass
class RemoteFile:
    path: str
    size: int
    blob_id: str | None = None
    lfs: Lfs | None = None


class FakeHub:
    """Stands in for `HfApi` and keeps the repo's files; `fail_at` makes the Nth commit raise
    as a dropped connection would, after which a second push must resume."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.files: dict[str, bytes] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.commits: list[list[str]] = []
        self.fail_at = fail_at

    def create_repo(self, repo_id: str, **kwargs: Any) -> None:
        self.calls.append(("create_repo", {"repo_id": repo_id, **kwargs}))

    def create_branch(self, repo_id: str, **kwargs: Any) -> None:
        self.calls.append(("create_branch", {"repo_id": repo_id, **kwargs}))

    def list_repo_tree(self, repo_id: str, **kwargs: Any) -> list[RemoteFile]:
        self.calls.append(("list_repo_tree", {"repo_id": repo_id, **kwargs}))
        out = []
        for path, data in self.files.items():
            if path.endswith(".parquet"):  # stored in LFS on the Hub
                out.append(RemoteFile(path, len(data), lfs=Lfs(hashlib.sha256(data).hexdigest())))
            else:
                blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
                out.append(RemoteFile(path, len(data), blob_id=blob))
        return out

    def create_commit(self, repo_id: str, operations: list[Any], **kwargs: Any) -> None:
        self.calls.append(("create_commit", {"repo_id": repo_id, **kwargs}))
        if self.fail_at is not None and len(self.commits) + 1 == self.fail_at:
            self.fail_at = None
            raise ConnectionResetError("connection reset by peer")
        paths = []
        for op in operations:
            if isinstance(op, CommitOperationDelete):
                del self.files[op.path_in_repo]
                paths.append(f"-{op.path_in_repo}")
                continue
            assert isinstance(op, CommitOperationAdd)
            source = op.path_or_fileobj
            data = source if isinstance(source, bytes) else Path(str(source)).read_bytes()
            self.files[op.path_in_repo] = data
            paths.append(op.path_in_repo)
        self.commits.append(paths)


def run_folder(root: Path, with_review: bool = False, **output: Any) -> Path:
    """A finished scripted run (six kept dialogues in three shards), optionally with two of
    them moved to a safety_review split, as the safety layer would route them."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / "pipeline.yaml"
    path.write_text(yaml.safe_dump(scripted_config(output={**LICENSED, **output})))
    run_dir = root / "run"
    pipeline.run(pipeline.plan(load_pipeline(path)), run_dir)
    if with_review:
        writer = ShardWriter(run_dir / "data" / "default", "safety_review", rows_per_shard=2)
        writer.add({**_first_row(run_dir), "id": "review-1"})
        writer.close()
        write_card(run_dir, read_manifests(run_dir))
    (run_dir / "exports").mkdir()
    (run_dir / "exports" / "sharegpt-train.jsonl").write_text("{}\n")
    return run_dir


def _first_row(run_dir: Path) -> dict[str, Any]:
    import pyarrow.parquet as pq

    return pq.read_table(run_dir / "data/default/train-00000-of-00003.parquet").to_pylist()[0]


SHARDS = [f"data/default/train-0000{i}-of-00003.parquet" for i in range(3)]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return run_folder(tmp_path, with_review=True)


def test_the_plan_sends_shards_card_and_manifest_and_nothing_else(folder: Path) -> None:
    plan = publish.plan_push(folder, "me/counseling")
    assert [u.path for u in plan.uploads] == [*SHARDS, "README.md", "manifest.json"]
    assert plan.left_out == [
        "exports/",
        "journal/",
        "run.json",
        "data/default/safety_review-00000-of-00001.parquet",
    ]
    card = DatasetCard(plan.uploads[-2].read().decode())
    assert card.data.license == "cc-by-4.0"
    assert card.data.configs[0]["data_files"] == [
        {"split": "train", "path": "data/default/train-*"}
    ]
    assert "was **left out of this upload**" in card.text
    assert 'datasets.load_dataset("me/counseling")' in card.text
    with_review = publish.plan_push(folder, "me/counseling", include_safety_review=True)
    assert [u.path for u in with_review.uploads][3] == (
        "data/default/safety_review-00000-of-00001.parquet"
    )
    assert with_review.left_out == ["exports/", "journal/", "run.json"]


def test_push_uploads_shards_in_batches_then_card_and_manifest(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(publish, "BATCH_FILES", 2)
    hub = FakeHub()
    plan = publish.plan_push(folder, "me/counseling", private=True, revision="v1")
    assert publish.push(plan, hub, report=lambda _: None) == 5
    assert hub.calls[0] == (
        "create_repo",
        {"repo_id": "me/counseling", "private": True, "exist_ok": True, "repo_type": "dataset"},
    )
    assert hub.calls[1] == (
        "create_branch",
        {"repo_id": "me/counseling", "branch": "v1", "exist_ok": True, "repo_type": "dataset"},
    )
    assert all(kw["revision"] == "v1" for name, kw in hub.calls[2:])
    assert hub.commits == [SHARDS[:2], SHARDS[2:], ["README.md", "manifest.json"]]
    assert hub.files["manifest.json"] == (folder / "manifest.json").read_bytes()
    assert not any(p.startswith(("journal", "exports", "run.json")) for p in hub.files)
    assert not any("safety_review" in p for p in hub.files)


def test_an_interrupted_push_resumes_without_sending_a_shard_twice(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(publish, "BATCH_FILES", 1)
    hub = FakeHub(fail_at=2)
    plan = publish.plan_push(folder, "me/counseling")
    with pytest.raises(ConnectionResetError):
        publish.push(plan, hub, report=lambda _: None)
    assert hub.commits == [SHARDS[:1]]
    lines: list[str] = []
    assert publish.push(plan, hub, report=lines.append) == 4
    assert hub.commits == [SHARDS[:1], SHARDS[1:2], SHARDS[2:], ["README.md", "manifest.json"]]
    assert lines[0] == "1 shards already on the Hub: resuming"
    # Pushing again sends only the card and manifest (cheap, and they may have changed).
    assert publish.push(plan, hub, report=lambda _: None) == 2


def test_a_push_removes_shards_an_earlier_push_left_that_this_run_does_not_have(
    folder: Path,
) -> None:
    hub = FakeHub()
    hub.files["data/default/train-00000-of-00009.parquet"] = b"old"
    hub.files["data/other/train-00000-of-00001.parquet"] = b"old"
    hub.files["notes.md"] = b"the owner's own file"
    publish.push(publish.plan_push(folder, "me/counseling"), hub, report=lambda _: None)
    assert hub.commits[-1] == [
        "README.md",
        "manifest.json",
        "-data/default/train-00000-of-00009.parquet",
        "-data/other/train-00000-of-00001.parquet",
    ]
    assert sorted(hub.files) == sorted([*SHARDS, "README.md", "manifest.json", "notes.md"])


def test_what_a_push_sends_loads_with_datasets(folder: Path, tmp_path: Path) -> None:
    hub = FakeHub()
    publish.push(publish.plan_push(folder, "me/counseling"), hub, report=lambda _: None)
    repo = tmp_path / "as-on-the-hub"
    for path, data in hub.files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_bytes(data)
    ds = datasets.load_dataset(str(repo), cache_dir=str(tmp_path / "cache"))
    assert list(ds) == ["train"] and ds["train"].num_rows == 6


@pytest.mark.parametrize(
    "repo_id",
    [
        "counseling",
        "me/",
        "/counseling",
        "me/coun seling",
        "a/b/c",
        "me/-x",
        "me/x--y",
        "me/a..b",
        "me/" + "x" * 95,
    ],
)
def test_a_repo_id_that_is_not_owner_slash_name_is_refused(folder: Path, repo_id: str) -> None:
    with pytest.raises(ConfigError, match="is not a Hub repo id: expected `owner/name`"):
        publish.plan_push(folder, repo_id)


def test_refusals_name_what_is_missing(tmp_path: Path) -> None:
    unlicensed = run_folder(tmp_path / "a", license=None)
    with pytest.raises(ConfigError, match=r"no license for config default; set `output.license`"):
        publish.plan_push(unlicensed, "me/x")
    with pytest.raises(ConfigError, match=r"journal is not a run folder: expected finished shards"):
        publish.plan_push(tmp_path / "a" / "journal", "me/x")
    (unlicensed / "manifest.json").unlink()
    with pytest.raises(
        ConfigError, match=r"is not a finished run: config default has no manifest.json yet"
    ):
        publish.plan_push(unlicensed, "me/x")
    finished = run_folder(tmp_path / "b")
    (finished / "data" / "default" / ".train-00003.part.parquet").write_bytes(b"")
    with pytest.raises(ConfigError, match=r"still in progress .*\.train-00003\.part\.parquet"):
        publish.plan_push(finished, "me/x")


def test_setting_the_license_after_a_run_resumes_it_and_rewrites_only_the_card(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    config = scripted_config(output={"dir": "out"})
    first = cli("run", write_pipeline(config), "--out", tmp_path / "r")
    assert first.returncode == 0, first.stderr
    shards = {p: p.read_bytes() for p in (tmp_path / "r" / "data").rglob("*.parquet")}
    config["output"]["license"] = "cc-by-nc-4.0"
    again = cli("run", write_pipeline(config), "--out", tmp_path / "r")
    assert again.returncode == 0, again.stderr
    assert "resuming: 6 of 6 dialogues done" in again.stderr
    assert {p: p.read_bytes() for p in (tmp_path / "r" / "data").rglob("*.parquet")} == shards
    assert DatasetCard.load(tmp_path / "r" / "README.md").data.license == "cc-by-nc-4.0"


def test_dry_run_lists_files_and_target_and_leaves_out_the_rest(folder: Path) -> None:
    env = {"HF_HUB_OFFLINE": "1", "HTTPS_PROXY": "http://127.0.0.1:9", "HF_TOKEN": "hf_secret42"}
    done = cli("push", folder, "me/counseling", "--dry-run", "--private", env=env)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert (
        "would push to https://huggingface.co/datasets/me/counseling (private, branch main)" in out
    )
    for path in [*SHARDS, "README.md", "manifest.json"]:
        assert f"│ {path}" in out
    size = (folder / SHARDS[0]).stat().st_size
    assert f"│ {size / 1000:.1f} kB │" in out
    assert (
        "left out: exports/, journal/, run.json, "
        "data/default/safety_review-00000-of-00001.parquet" in out
    )
    assert "hf_secret42" not in out + done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["me/x"], "no license for config default"),
        (["not-a-repo"], "'not-a-repo' is not a Hub repo id"),
    ],
)
def test_the_command_exits_2_with_one_paragraph(
    tmp_path: Path, args: list[str], message: str
) -> None:
    unlicensed = run_folder(tmp_path, license=None)
    done = cli("push", unlicensed, *args, "--dry-run")
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and message in done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1


def test_an_unreachable_hub_is_one_paragraph_and_the_token_never_shows(folder: Path) -> None:
    env = {"HF_ENDPOINT": "http://127.0.0.1:9", "HF_TOKEN": "hf_secret42", "HOME": str(folder)}
    done = cli("push", folder, "me/counseling", env=env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(
        "error: push to http://127.0.0.1:9/datasets/me/counseling failed: the Hub could not be "
        "reached ("
    )
    assert "Run the same command again to resume" in done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1
    assert "hf_secret42" not in done.stdout + done.stderr


def test_a_sweep_folder_pushes_every_variant_with_its_manifest(tmp_path: Path) -> None:
    from tests.sweeps import write_sweep

    base = scripted_config(
        run={"name": "t", "seed": 7, "batch_size": 2}, output={**LICENSED, "rows_per_shard": 100}
    )
    sweep = write_sweep(
        tmp_path, base=base, overrides={"seeds.sample": None, "sampler": {"count": 2}}
    )
    done = cli("ablate", sweep, "--out", tmp_path / "sweep")
    assert done.returncode == 0, done.stderr
    plan = publish.plan_push(tmp_path / "sweep", "me/ablation")
    assert [u.path for u in plan.uploads] == [
        "data/positive/train-00000-of-00001.parquet",
        "data/mixed/train-00000-of-00001.parquet",
        "README.md",
        "variants/positive/manifest.json",
        "variants/mixed/manifest.json",
    ]
    assert plan.left_out == ["sweep.json", "variants/ (all but the manifests)"]
    card = DatasetCard(plan.uploads[2].read().decode())
    assert [c["config_name"] for c in card.data.configs] == ["positive", "mixed"]
    assert 'load_dataset("me/ablation", name="mixed")' in card.text
    assert "`variants/mixed/manifest.json`" in card.text
