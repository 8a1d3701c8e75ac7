"""The dataset card (README.md): Hub metadata built as `huggingface_hub.DatasetCardData`, the body
rendered from templates/dataset_card.md.j2. The configs and splits it declares are the ones that
have shards on disk, so `load_dataset` never looks for a split that was not written."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from huggingface_hub import DatasetCard, DatasetCardData

from healme_synth.output.files import atomic_write
from healme_synth.output.folder import SWEEP_FILE, VARIANTS, Config
from healme_synth.output.manifest import section
from healme_synth.output.metrics_text import metric_rows
from healme_synth.output.safety_text import card_section
from healme_synth.output.schema import SCHEMA
from healme_synth.records import SAFETY_REVIEW, SPLITS, TRAIN, JudgeSummary, Manifest

TEMPLATES = Path(__file__).with_name("templates")
# An imported seed's `seed_source` is `<file> row <n>` (the sampler's are `sampled from <id>`).
_IMPORTED = re.compile(r"(?:.*/)?([^/]+) row \d+")
_TAGS = ["synthetic", "counseling", "cbt", "cognitive-reframing", "mental-health", "healme-synth"]
# The Hub's size buckets, by upper bound.
_SIZES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (10**6, "100K<n<1M"))


def shards(run_dir: Path, config: str, split: str) -> list[Path]:
    """A config's finished shards of one split, in order (none when the split was empty)."""
    return Config(config, run_dir / "data" / config, None).shards(split)


def declared_splits(run_dir: Path, include_safety_review: bool = True) -> dict[str, list[str]]:
    """Per config under data/, the splits that have finished shards, in split order."""
    found: dict[str, list[str]] = {}
    for folder in sorted(p for p in (run_dir / "data").glob("*") if p.is_dir()):
        splits = [
            s
            for s in SPLITS
            if (include_safety_review or s != SAFETY_REVIEW) and shards(run_dir, folder.name, s)
        ]
        if splits:
            found[folder.name] = splits
    return found


def _rows(run_dir: Path, config: str, split: str) -> int:
    return sum(pq.read_metadata(p).num_rows for p in shards(run_dir, config, split))


def size_category(n: int) -> str:
    return next((label for bound, label in _SIZES if n < bound), "n>1M")


def _type(t: pa.DataType) -> str:
    """A column's type, short enough for a table cell."""
    if pa.types.is_list(t):
        return f"list<{_type(t.value_type)}>"
    if pa.types.is_struct(t):
        return "struct{" + ", ".join(t.field(i).name for i in range(t.num_fields)) + "}"
    return str(t)


def data_fields() -> list[dict[str, str]]:
    docs = yaml.safe_load((TEMPLATES / "card_fields.yaml").read_text(encoding="utf-8"))
    return [{"name": f.name, "type": _type(f.type), "description": docs[f.name]} for f in SCHEMA]


def _shorten(value: Any, limit: int = 160) -> Any:
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + " ..."
    if isinstance(value, list):
        head = [_shorten(v, limit) for v in value[:4]]
        return head + ([f"... {len(value) - 4} more"] if len(value) > 4 else [])
    if isinstance(value, dict):
        return {k: _shorten(v, limit) for k, v in value.items()}
    return value


def sample_record(run_dir: Path, splits: dict[str, list[str]]) -> tuple[str, str]:
    """The first row of the first config's train split (else its first split), as JSON."""
    for config, names in splits.items():
        split = TRAIN if TRAIN in names else names[0]
        first = shards(run_dir, config, split)[0]
        row = pq.ParquetFile(first).read_row_group(0).slice(0, 1).to_pylist()[0]
        # `turns` repeats `messages` in dialogue terms; raw judge replies are long and noisy.
        skip = {"turns", "safety_raw"}
        shown = {k: v for k, v in row.items() if k not in skip and v not in (None, [], "")}
        return split, json.dumps(_shorten(shown), indent=2, ensure_ascii=False, default=str)
    return "", ""


def _judge_line(j: JudgeSummary) -> str:
    models = ", ".join(f"`{m}`" for m in dict.fromkeys(j.models.values()))
    line = (
        f"Judge `{j.judge}` (rubric `{j.rubric}`) by {models}, {j.samples} sample(s) each: "
        f"{j.judged} judged, {j.missing} verdicts missing (an unparsed reply is never scored 0)"
    )
    if j.affect is not None:
        a = j.affect
        return (
            f"{line}; PANAS change after - before: positive {a.positive_delta}, negative "
            f"{a.negative_delta}; negative affect fell in a share {a.negative_fell} of dialogues."
        )
    items = ", ".join(f"{k} {i.mean}" for k, i in j.items.items())
    return f"{line}; mean {j.mean}" + (f" ({items})." if items else ".")


def _distribution(m: Manifest) -> list[tuple[str, ...]]:
    rows = []
    for attribute, shares in (m.distribution or {}).items():
        for value, target in shares["target"].items():
            got = (shares["sampled"].get(value), shares["kept"].get(value))
            rows.append((attribute, str(value), f"{target:.0%}", *(f"{x or 0:.0%}" for x in got)))
    return rows


def _config(run_dir: Path, name: str, splits: list[str], m: Manifest) -> dict[str, Any]:
    cfg: dict[str, Any] = m.config
    seeds = cfg["seeds"]
    judge_models = [model for role, model in m.models.items() if role.startswith("judge")]
    return {
        "name": name,
        "manifest": m,
        "splits": [{"name": s, "rows": _rows(run_dir, name, s)} for s in splits],
        "sampling": {role: cfg["roles"][role] for role in m.models if role in cfg["roles"]},
        "seeds": f"{seeds['sample'] or 'all'} personas from "
        + ", ".join(f"`{Path(f).name}`" for f in seeds["files"]),
        "filters": [f"`{f}`" for f in cfg["filters"]["enabled"]] or ["none"],
        "judges": [_judge_line(j) for j in m.judges],
        "distribution": _distribution(m),
        "metrics": metric_rows(m.metrics) if m.metrics is not None else [],
        "tokenizer": m.metrics.tokenizer if m.metrics is not None else "",
        "safety": card_section(m.safety, judge_models) if m.safety is not None else "",
    }


def _seed_files(run_dir: Path, splits: dict[str, list[str]]) -> list[str]:
    """Files imported seeds came from (`seed_source` is `<file> row <n>`)."""
    files: set[str] = set()
    for config, names in splits.items():
        for split in names:
            for path in shards(run_dir, config, split):
                column = pq.read_table(path, columns=["seed_source"]).column(0).to_pylist()
                files.update(m[1] for s in column if s and (m := _IMPORTED.fullmatch(s)))
    return sorted(files)


def render_card(
    run_dir: Path,
    manifests: Mapping[str, Manifest],
    *,
    include_safety_review: bool = True,
    repo: str | None = None,
) -> str:
    """The card for the configs of `manifests` that have shards under run_dir/data/."""
    on_disk = declared_splits(run_dir, include_safety_review)
    splits = {name: on_disk[name] for name in manifests if name in on_disk}
    configs = [_config(run_dir, n, s, manifests[n]) for n, s in splits.items()]
    sweep = (run_dir / SWEEP_FILE).is_file()
    for c in configs:
        c["manifest_path"] = f"{VARIANTS}/{c['name']}/manifest.json" if sweep else "manifest.json"
    first = next(iter(manifests.values()))
    output = section(first, "output")
    total = sum(s["rows"] for c in configs for s in c["splits"])
    citations = yaml.safe_load((TEMPLATES / "citations.yaml").read_text(encoding="utf-8"))
    protocols = list(dict.fromkeys(m.protocol for m in manifests.values()))
    sources = list(dict.fromkeys([*output["source_datasets"], *_seed_files(run_dir, splits)]))
    data = DatasetCardData(
        license=output["license"],
        language=[section(first, "filters")["language"]],
        task_categories=["text-generation"],
        size_categories=[size_category(total)],
        pretty_name=output["pretty_name"] or f"{first.name} (healme-synth, {first.protocol})",
        tags=[*_TAGS, *protocols],
        source_datasets=sources or ["original"],
        configs=[
            {
                "config_name": name,
                "data_files": [{"split": s, "path": f"data/{name}/{s}-*"} for s in names],
            }
            for name, names in splits.items()
        ],
    )
    sample_split, sample = sample_record(run_dir, splits)
    card = DatasetCard.from_template(
        data,
        template_path=str(TEMPLATES / "dataset_card.md.j2"),
        version=first.versions.get("healme-synth", ""),
        configs=configs,
        total_rows=total,
        excluded_safety_review=not include_safety_review
        and any(SAFETY_REVIEW in s for s in declared_splits(run_dir).values()),
        # Locally the card must not depend on where the folder is (a resumed or moved run
        # is byte-identical); pushed, it names the repo.
        repo=repo or "path/to/this/folder",
        fields=data_fields(),
        sample=sample,
        sample_split=sample_split,
        citations=[citations[p] for p in protocols if p in citations],
        manifest_note="Each config's `variants/<config>/manifest.json`"
        if sweep
        else "`manifest.json`",
    )
    return str(card)


def write_card(run_dir: Path, manifests: Mapping[str, Manifest]) -> None:
    """README.md of a run folder: one config per manifest (a sweep has several)."""
    atomic_write(run_dir / "README.md", render_card(run_dir, manifests).encode())
