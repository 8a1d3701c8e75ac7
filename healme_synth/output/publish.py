"""Publishing a finished run folder as a Hub dataset repo: what goes (the declared shards, the
card for the Hub, manifest.json), what never goes (journal/, exports/, run.json with local paths,
caches, and `safety_review` unless asked for), and the upload in batched commits that a rerun
resumes by skipping what the repo already holds."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from healme_synth.errors import ConfigError
from healme_synth.output.card import declared_splits, render_card, shards
from healme_synth.output.folder import SWEEP_FILE, variant_dir
from healme_synth.output.manifest import read_manifests, section
from healme_synth.records import SAFETY_REVIEW

# The Hub's rule for a repo id: owner/name, letters, digits, `-`, `_`, `.`, at most 96 in all,
# no `--` or `..`, not starting or ending with `-` or `.`.
_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_REPO_ID = re.compile(rf"{_PART}/{_PART}")
BATCH_BYTES = 512 * 1024**2
"""Shards per commit up to this size: a killed push loses at most one batch of work."""
BATCH_FILES = 100


@dataclass
class Upload:
    """One file of the repo: where it lands, and its bytes or the local file holding them."""

    path: str
    source: Path | None = None
    content: bytes | None = None

    @property
    def size(self) -> int:
        return len(self.content) if self.content is not None else self.source_path.stat().st_size

    @property
    def source_path(self) -> Path:
        assert self.source is not None
        return self.source

    def read(self) -> bytes:
        return self.content if self.content is not None else self.source_path.read_bytes()


@dataclass
class PushPlan:
    repo_id: str
    revision: str | None
    private: bool
    uploads: list[Upload]
    left_out: list[str] = field(default_factory=list)
    """What the folder holds that is not pushed, as shown by --dry-run."""

    @property
    def url(self) -> str:
        from huggingface_hub import constants

        return f"{constants.ENDPOINT}/datasets/{self.repo_id}"


def check_repo_id(repo_id: str) -> None:
    if not _REPO_ID.fullmatch(repo_id) or len(repo_id) > 96 or "--" in repo_id or ".." in repo_id:
        raise ConfigError(
            f"{repo_id!r} is not a Hub repo id: expected `owner/name` (your user or organisation, "
            "a slash, and a name of letters, digits, `-`, `_` or `.`, at most 96 characters)."
        )


def plan_push(
    run_dir: Path,
    repo_id: str,
    *,
    private: bool = False,
    revision: str | None = None,
    include_safety_review: bool = False,
) -> PushPlan:
    """Everything a push would send, checked before any network access."""
    check_repo_id(repo_id)
    manifests = read_manifests(run_dir)
    unfinished = sorted(p.name for p in (run_dir / "data").rglob(".*.parquet*"))
    if unfinished:
        raise ConfigError(
            f"{run_dir} holds a run still in progress (unfinished parts such as {unfinished[0]}); "
            "finish it with the same `healme-synth run` command, then push."
        )
    unlicensed = [n for n, m in manifests.items() if not section(m, "output").get("license")]
    if unlicensed:
        raise ConfigError(
            f"{run_dir}: no license for config {', '.join(unlicensed)}; set `output.license` in "
            "the pipeline file (a Hub license id such as cc-by-4.0) and run it again (only the "
            "card is rewritten). The right license depends on the terms of the models that "
            "generated the dialogues, so healme-synth does not pick one."
        )
    uploads: list[Upload] = []
    on_disk = declared_splits(run_dir, include_safety_review)
    for config in manifests:  # the folder's order (a sweep's variants as listed)
        for split in on_disk.get(config, []):
            for shard in shards(run_dir, config, split):
                uploads.append(Upload(shard.relative_to(run_dir).as_posix(), source=shard))
    card = render_card(
        run_dir, manifests, include_safety_review=include_safety_review, repo=repo_id
    )
    uploads.append(Upload("README.md", content=card.encode()))
    for path in manifest_paths(run_dir, list(manifests)):
        uploads.append(Upload(path.relative_to(run_dir).as_posix(), source=path))
    sent = {u.path for u in uploads}
    tops = {path.split("/")[0] for path in sent}
    left_out = sorted(
        p.name
        + ("/" if p.is_dir() else "")
        + (" (all but the manifests)" if p.name in tops else "")
        for p in run_dir.iterdir()
        # Hidden files (the run's lock, caches) are never pushed and not worth listing.
        if p.name not in sent and p.name != "data" and not p.name.startswith(".")
    )
    review = sorted(
        p.relative_to(run_dir).as_posix()
        for p in (run_dir / "data").glob(f"*/{SAFETY_REVIEW}-*.parquet")
        if p.relative_to(run_dir).as_posix() not in sent
    )
    return PushPlan(repo_id, revision, private, uploads, left_out + review)


def manifest_paths(run_dir: Path, names: list[str]) -> list[Path]:
    """A run's manifest.json, or a sweep's one per variant (variants/<variant>/manifest.json)."""
    if (run_dir / SWEEP_FILE).is_file():
        return [variant_dir(run_dir, name) / "manifest.json" for name in names]
    return [run_dir / "manifest.json"]


def _git_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _already_there(upload: Upload, remote: Any) -> bool:
    """The repo holds this exact file (LFS files by SHA-256, others by git blob id)."""
    if remote is None or getattr(remote, "size", None) != upload.size:
        return False
    data = upload.read()
    lfs = getattr(remote, "lfs", None)
    if lfs is not None:
        return bool(getattr(lfs, "sha256", None) == hashlib.sha256(data).hexdigest())
    return bool(getattr(remote, "blob_id", None) == _git_sha1(data))


def _batches(uploads: list[Upload]) -> Iterator[list[Upload]]:
    batch: list[Upload] = []
    size = 0
    for u in uploads:
        if batch and (size + u.size > BATCH_BYTES or len(batch) >= BATCH_FILES):
            yield batch
            batch, size = [], 0
        batch.append(u)
        size += u.size
    if batch:
        yield batch


def push(plan: PushPlan, api: Any, report: Any = print) -> int:
    """Upload the plan through `api` (a `huggingface_hub.HfApi`: create_repo, create_branch,
    list_repo_tree, create_commit). Shards go in batched commits, skipping those already on the
    Hub so an interrupted push resumes; then the card and manifest, removing shards a previous
    push left under data/ that this run does not have. Returns the files sent."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    kind = {"repo_type": "dataset"}
    api.create_repo(plan.repo_id, private=plan.private, exist_ok=True, **kind)
    if plan.revision:
        api.create_branch(plan.repo_id, branch=plan.revision, exist_ok=True, **kind)
    at = {"revision": plan.revision, **kind}
    remote = {
        f.path: f
        for f in api.list_repo_tree(plan.repo_id, recursive=True, **at)
        if hasattr(f, "size")  # files, not folders
    }
    shards = [u for u in plan.uploads if u.path.startswith("data/")]
    todo = [u for u in shards if not _already_there(u, remote.get(u.path))]
    if len(todo) < len(shards):
        report(f"{len(shards) - len(todo)} shards already on the Hub: resuming")
    batches = list(_batches(todo))
    for i, batch in enumerate(batches, start=1):
        report(f"commit {i}/{len(batches)}: {len(batch)} shards")
        api.create_commit(
            plan.repo_id,
            [CommitOperationAdd(u.path, u.source_path) for u in batch],
            commit_message=f"healme-synth push: shards, part {i} of {len(batches)}",
            **at,
        )
    ours = {u.path for u in plan.uploads}
    stale = sorted(p for p in remote if p.startswith("data/") and p not in ours)
    last = [u for u in plan.uploads if not u.path.startswith("data/")]
    api.create_commit(
        plan.repo_id,
        [CommitOperationAdd(u.path, u.read()) for u in last]
        + [CommitOperationDelete(p) for p in stale],
        commit_message="healme-synth push: dataset card and manifest"
        + (f"; {len(stale)} stale shards removed" if stale else ""),
        **at,
    )
    return len(todo) + len(last)
