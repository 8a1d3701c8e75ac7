"""The metrics command: diversity and artefact numbers (quality.metrics) for any dialogues the
tool reads, one column per input (and per config of a run folder), so a run stands next to a
peer's data in one table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from healme_synth.cli.app import app, out
from healme_synth.errors import ConfigError
from healme_synth.output import metric_rows, read_dialogues, transcripts
from healme_synth.quality.metrics import SESSIONS, metrics
from healme_synth.records import Dialogue
from healme_synth.records.metrics import TOKENIZER, Metrics


def _inputs(path: Path, split: str) -> list[tuple[str, list[Dialogue], int | None]]:
    """(column name, dialogues, the run seed if known) per config of a run folder, or one for
    a JSONL file."""
    if not path.is_dir():
        dialogues, errors = transcripts.read_transcripts(path, "healme")
        if errors:
            raise ConfigError(
                f"{path}: {len(errors)} lines could not be read: " + "; ".join(errors)
            )
        return [(path.name, dialogues, None)]
    manifest = path / "manifest.json"
    seed = json.loads(manifest.read_text())["run_seed"] if manifest.is_file() else None
    pattern = "*.parquet" if split == "all" else f"{split}-*.parquet"
    found = []
    for config in sorted(p for p in (path / "data").glob("*") if p.is_dir()):
        shards = sorted(config.glob(pattern))
        found.append((f"{path.name}/{config.name}", read_dialogues(shards), seed))
    if not found:
        raise ConfigError(f"{path}: no shards under data/<config>/ (is it a run directory?).")
    return found


@app.command("metrics")
def metrics_command(
    inputs: Annotated[
        list[Path],
        typer.Argument(help="Run folders or JSONL files of dialogues (one column each)."),
    ],
    sessions: Annotated[
        int, typer.Option(min=1, help="Sessions distinct-n and EAD are pooled over.")
    ] = SESSIONS,
    seed: Annotated[
        Optional[int],  # noqa: UP045 (typer reads the annotation at run time)
        typer.Option(help="Seed of that sample (default: the run's seed; 0 for a JSONL file)."),
    ] = None,
    split: Annotated[
        str, typer.Option(help="A run folder's split: train (kept), rejected, safety_review, all.")
    ] = "train",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Diversity and realism metrics (distinct-n, EAD, repeats, openers, entropies, lengths)."""
    columns: list[tuple[str, Metrics]] = []
    for path in inputs:
        for name, dialogues, run_seed in _inputs(path, split):
            s = seed if seed is not None else (run_seed or 0)
            columns.append((name, metrics(dialogues, sessions=sessions, seed=s)))
    if as_json:
        out.print_json(json.dumps({name: m.model_dump(mode="json") for name, m in columns}))
        return
    table = Table(title=f"dialogue metrics (tokens: {TOKENIZER})")
    table.add_column("metric")
    for name, _ in columns:
        table.add_column(name, justify="right")
    for k, (label, _) in enumerate(metric_rows(columns[0][1])):
        table.add_row(label, *(metric_rows(m)[k][1] for _, m in columns))
    out.print(table)
