"""Commands that compare and show what runs produced: ablate (a sweep of variants into one
folder), compare (tables and plots under stats/), report (one static HTML page), view.

polars and matplotlib load inside the commands that use them, so every other command starts
as fast as before."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from healme_synth import pipeline
from healme_synth.cli.app import app, err, out
from healme_synth.cli.tables import exit_if_failed
from healme_synth.output import configs

if TYPE_CHECKING:
    import polars as pl

RunDirArg = Annotated[
    Path, typer.Argument(help="A run folder: written by `run`, or by `ablate` (one config each).")
]


@app.command()
def ablate(
    sweep_file: Annotated[
        Path, typer.Argument(help="A sweep file, e.g. pipelines/ablate-attitude.yaml.")
    ],
    out_dir: Annotated[
        Optional[Path],  # noqa: UP045 (typer reads the annotation at run time)
        typer.Option("--out", help="The sweep's folder (default: <base output.dir>/<name>)."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option(help="Empty the folder first (by default every variant resumes).")
    ] = False,
    ray: Annotated[
        Optional[int],  # noqa: UP045 (typer reads the annotation at run time)
        typer.Option("--ray", min=1, help="Play each variant's dialogues on this many Ray actors."),
    ] = None,
    ray_gpus: Annotated[
        float, typer.Option("--ray-gpus", min=0, help="GPUs each Ray actor reserves.")
    ] = 0,
    validate: Annotated[
        bool, typer.Option("--validate", help="Check the sweep and every variant; run nothing.")
    ] = False,
) -> None:
    """Run every variant of a sweep with the same run seed and sample indices into one folder,
    one dataset config per variant; unchanged variants are kept, changed ones re-run."""
    sweep = pipeline.load_sweep(sweep_file)
    planned = pipeline.plan_sweep(sweep)
    if validate:
        for p in planned:
            keys = ", ".join(f"{k}={v}" for k, v in p.variant.overrides.items()) or "the base"
            sha = p.variant.pipeline.sha256()[:12]
            out.print(
                f"variant {p.variant.name}: OK ({len(p.plan.sample)} dialogues, protocol "
                f"{p.plan.protocol.name}, config sha256 {sha}; {keys})",
                markup=False,
                highlight=False,
            )
        out.print(f"{sweep_file}: OK ({len(planned)} variants)", markup=False, highlight=False)
        return
    folder = out_dir or sweep.folder()
    statuses: dict[str, str] = {}
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("dialogues"),
        TimeElapsedColumn(),
    )
    # Started with the first variant that runs: a refused folder prints only its error.
    bar = Progress(*columns, console=err, transient=False)

    def progress(variant: str, total: int) -> pipeline.Progress:
        bar.start()  # again: a no-op
        task = bar.add_task(variant, total=total)
        return pipeline.Progress(
            on_dialogues=lambda n: bar.advance(task, n),
            on_resume=lambda done, _: bar.advance(task, done),
        )

    def on_status(variant: str, status: str) -> None:
        statuses[variant] = status
        bar.console.print(f"variant {variant}: {status}", markup=False, highlight=False)

    try:
        manifests = pipeline.run_sweep(
            sweep, folder, planned, overwrite, ray, ray_gpus, progress, on_status
        )
    finally:
        if bar.live.is_started:
            bar.stop()
    table = Table(title=f"{sweep.name}: {len(manifests)} variants")
    for column in ("variant", "status", "dialogues", "kept", "rejected", "generated tokens"):
        table.add_column(column, justify="left" if column in ("variant", "status") else "right")
    for name, m in manifests.items():
        c = m.counts
        cells = (name, statuses[name], c.dialogues, c.kept, c.rejected, m.tokens.completion)
        table.add_row(*map(str, cells))
    out.print(table)
    out.print(f"written: {folder}; compare them: healme-synth compare {folder}", markup=False)
    for m in manifests.values():
        limit = float(m.config["run"]["max_failed_share"])  # type: ignore[index]
        exit_if_failed(m.counts, m.failures, limit, "generate")


@app.command()
def compare(
    run_dir: RunDirArg,
    by: Annotated[
        Optional[str],  # noqa: UP045 (typer reads the annotation at run time)
        typer.Option("--by", help="Also break the tables down by this persona attribute."),
    ] = None,
) -> None:
    """Compare a folder's configs (a sweep's variants, or a run's one config): tables printed
    and written as CSV and Parquet under RUN_DIR/stats/, with PNG plots."""
    from healme_synth.output import plots, stats

    found = configs(run_dir)
    result = stats.compare(found, by)
    stats_dir = run_dir / "stats"
    written = stats.write_tables(result, stats_dir) + plots.write_plots(result, stats_dir)
    titles = {
        "summary": "per config" + (f" and {by}" if by else ""),
        "judges": "judges: item means, 95% bootstrap intervals (spread: max - min over samples)",
        "reasons": "rejection reasons (share of the group's dialogues)",
        "safety": "safety by probe type (appropriate = safe / (safe + unsafe))",
        "mix": "target vs achieved persona mix (shares)",
        "metrics": "diversity and realism of the kept dialogues (healme-synth metrics)",
    }
    summary = result.tables["summary"]
    out.print(frame_table(titles["summary"], _transpose(summary, result.keys()), {"measure"}))
    for name in ("judges", "reasons", "safety", "mix", "metrics"):
        if result.tables[name].height:
            out.print(frame_table(titles[name], result.tables[name]))
    out.print(f"written: {len(written)} files under {stats_dir}", markup=False, highlight=False)


@app.command()
def report(
    run_dir: RunDirArg,
    out_file: Annotated[
        Optional[Path],  # noqa: UP045 (typer reads the annotation at run time)
        typer.Option("--out", help="The HTML file (default: RUN_DIR/report.html)."),
    ] = None,
    dialogues: Annotated[
        int, typer.Option(min=0, help="Dialogues shown per config and split.")
    ] = 2,
) -> None:
    """Write one self-contained HTML page: comparison tables, plots, kept and rejected dialogues
    as chats with their verdicts and reasons, and the safety table."""
    from healme_synth.output import report as pages
    from healme_synth.output import stats

    found = configs(run_dir)
    target = out_file or run_dir / "report.html"
    html = pages.render_report(run_dir.resolve().name, found, stats.compare(found), dialogues)
    pages.write_report(target, html)
    out.print(f"written: {target}", markup=False, highlight=False)


@app.command()
def view(
    run_dir: RunDirArg,
    dialogue_id: Annotated[
        Optional[str],  # noqa: UP045 (typer reads the annotation at run time)
        typer.Option("--id", help="The dialogue to show (in every config that has it)."),
    ] = None,
    sample: Annotated[
        Optional[int],  # noqa: UP045 (typer reads the annotation at run time)
        typer.Option("--sample", min=1, help="Show this many, picked the same way every time."),
    ] = None,
    split: Annotated[str, typer.Option(help="train, rejected, safety_review or all.")] = "all",
    config: Annotated[
        Optional[str],  # noqa: UP045 (typer reads the annotation at run time)
        typer.Option("--config", help="Only this config (a sweep's variant)."),
    ] = None,
) -> None:
    """Print dialogues readably: turns with roles and numbers, reasons, verdicts, safety."""
    from healme_synth.errors import ConfigError
    from healme_synth.output import view as viewer

    found = configs(run_dir)
    if config is not None:
        found = [c for c in found if c.name == config]
        if not found:
            names = ", ".join(c.name for c in configs(run_dir))
            raise ConfigError(f"{run_dir} has no config {config!r} (it has: {names}).")
    for picked in viewer.pick(found, split, dialogue_id, sample):
        out.print(viewer.render(picked))
        out.print()


def frame_table(title: str, frame: pl.DataFrame, text: set[str] | None = None) -> Table:
    """A polars table as a rich one: `text` columns (default: the string ones) left, the rest
    right, missing values as `-`; cells are plain text, never rich markup."""
    import polars as pl

    text = text if text is not None else {n for n, t in frame.schema.items() if t == pl.String}
    table = Table(title=title)
    for name in frame.columns:
        table.add_column(name, justify="left" if name in text else "right")
    for row in frame.rows():
        table.add_row(*(Text("-" if v is None else str(v)) for v in row))
    return table


def _transpose(summary: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """One column per group, one row per measure: groups side by side read best."""
    import polars as pl

    names = [" / ".join(str(v) for v in row) for row in summary.select(keys).rows()]
    measures = [c for c in summary.columns if c not in keys]
    columns: dict[str, list[str | None]] = {"measure": measures}  # type: ignore[dict-item]
    for name, row in zip(names, summary.select(measures).rows(), strict=True):
        columns[name] = [None if v is None else str(v) for v in row]
    return pl.DataFrame(columns, schema={c: pl.String for c in columns})
