"""Commands over existing dialogues and other datasets: export, filter, judge, seeds import."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from healme_synth import pipeline
from healme_synth.cli.app import app, out
from healme_synth.cli.tables import exit_if_failed, judges_summary, reasons_table
from healme_synth.config import load_pipeline
from healme_synth.errors import ConfigError
from healme_synth.output import export as export_formats
from healme_synth.output import transcripts, write_personas
from healme_synth.seeds import importers


@app.command()
def export(
    format: Annotated[str, typer.Argument(help="healme, cactus, sqpsych or sharegpt.")],
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `run`.")],
    out_file: Annotated[
        Optional[Path],  # noqa: UP045 (typer reads the annotation at run time)
        typer.Option("--out", help="Output file (default: RUN_DIR/exports/FORMAT-SPLIT.*)."),
    ] = None,
    split: Annotated[
        str, typer.Option(help="train (kept), rejected, safety_review or all.")
    ] = "train",
) -> None:
    """Write a run's dialogues in a reference dataset's format."""
    target = out_file or export_formats.default_out(format, run_dir, split)
    n = export_formats.export_run(format, run_dir, target, split)
    out.print(f"wrote {n} rows to {target}", highlight=False, markup=False)


@app.command("filter")
def filter_dialogues(
    source: Annotated[Path, typer.Argument(help="A run directory or a JSONL file of dialogues.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Where the checked shards go.")],
    pipeline_file: Annotated[
        Path, typer.Option("--pipeline", help="Filter settings and protocol to check against.")
    ] = Path("pipelines/healme.yaml"),
    overwrite: Annotated[bool, typer.Option(help="Replace an existing output directory.")] = False,
) -> None:
    """Check existing dialogues with the filters, without regenerating them."""
    plan = pipeline.plan(load_pipeline(pipeline_file))
    dialogues, errors = transcripts.read_transcripts(source, plan.protocol.name)
    counts = pipeline.refilter(plan, dialogues, out_dir, overwrite)
    out.print(reasons_table(f"{counts.kept} kept / {counts.dialogues} dialogues", counts))
    out.print(f"written: {out_dir}", highlight=False, markup=False)
    if errors:
        raise ConfigError(
            f"{source}: {len(errors)} line{'s' if len(errors) > 1 else ''} could not be read "
            f"(the other {counts.dialogues} dialogues were checked and written to {out_dir}): "
            + "; ".join(errors)
            + "."
        )


@app.command("judge")
def judge_dialogues(
    source: Annotated[Path, typer.Argument(help="A run directory or a JSONL file of dialogues.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Where the judged shards go.")],
    pipeline_file: Annotated[
        Path, typer.Option("--pipeline", help="The judges, judge roles and models to use.")
    ] = Path("pipelines/healme.yaml"),
    overwrite: Annotated[bool, typer.Option(help="Replace an existing output directory.")] = False,
) -> None:
    """Judge existing dialogues with the pipeline's judges and score gates, afresh."""
    plan = pipeline.plan(load_pipeline(pipeline_file))
    dialogues, errors = transcripts.read_transcripts(source, plan.protocol.name)
    report = pipeline.rejudge(plan, dialogues, out_dir, overwrite)
    counts = report.counts
    out.print(reasons_table(f"{counts.kept} kept / {counts.dialogues} dialogues", counts))
    judges_summary(report.judges)
    out.print(f"written: {out_dir}", highlight=False, markup=False)
    if errors:
        raise ConfigError(
            f"{source}: {len(errors)} line{'s' if len(errors) > 1 else ''} could not be read "
            f"(the other {counts.dialogues} dialogues were judged and written to {out_dir}): "
            + "; ".join(errors)
            + "."
        )
    exit_if_failed(counts, report.failures, plan.pipeline.config.run.max_failed_share, "judge")


seeds_app = typer.Typer(help="Persona seeds from other datasets.", no_args_is_help=True)
app.add_typer(seeds_app, name="seeds")


@seeds_app.command("import")
def seeds_import(
    format: Annotated[str, typer.Argument(help="healme, reframing or cactus.")],
    file: Annotated[Path, typer.Argument(help="The file to import.")],
    out_file: Annotated[
        Optional[Path],  # noqa: UP045 (typer reads the annotation at run time)
        typer.Option("--out", help="Persona JSONL to write (default: personas/imported/...)."),
    ] = None,
    allow_minors: Annotated[
        bool, typer.Option(help="Keep clients under 18 (only with a documented reason).")
    ] = False,
) -> None:
    """Turn a reference dataset's file into persona seeds (JSONL) that seeds.files can name."""
    result = importers.import_seeds(format, file, allow_minors)
    target = out_file or Path("personas") / "imported" / f"{format}-{file.stem}.jsonl"
    write_personas(result.personas, target)
    out.print(
        f"imported {len(result.personas)} personas from {file} into {target} "
        f"({result.at_risk} flagged at-risk); {len(result.errors)} rows with errors",
        highlight=False,
        markup=False,
    )
    if result.errors:
        raise ConfigError(
            f"{file}: {len(result.errors)} row{'s' if len(result.errors) > 1 else ''} could not "
            f"be imported (the other {len(result.personas)} were written to {target}): "
            + "; ".join(result.errors)
            + "."
        )
