"""Commands over existing dialogues and other datasets: export, filter, judge, seeds import."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from healme_synth import pipeline
from healme_synth.cli.app import app, on_interrupt, out
from healme_synth.cli.tables import exit_if_failed, judges_summary, reasons_table, unread
from healme_synth.config import load_pipeline
from healme_synth.errors import ConfigError
from healme_synth.output import export as export_formats
from healme_synth.output import transcripts, write_personas
from healme_synth.records import Dialogue
from healme_synth.seeds import importers


@app.command()
def export(
    format: Annotated[
        str,
        typer.Argument(
            help="healme, cactus, sqpsych, sharegpt, or prompt_completion (one example per "
            "counselor turn, TRL's conversational prompt/completion format)."
        ),
    ],
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `run`.")],
    out_file: Annotated[
        Optional[Path],  # noqa: UP045 (typer reads the annotation at run time)
        typer.Option("--out", help="Output file (default: RUN_DIR/exports/FORMAT-SPLIT.*)."),
    ] = None,
    split: Annotated[
        str, typer.Option(help="train (kept), rejected, safety_review or all.")
    ] = "train",
) -> None:
    """Write a run's dialogues in a reference dataset's format or a trainer's chat format."""
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
    safety_check: Annotated[
        bool, typer.Option("--safety", help="Also run the safety screen (as `screen` does).")
    ] = False,
) -> None:
    """Check existing dialogues with the filters, without regenerating them."""
    plan = pipeline.plan(load_pipeline(pipeline_file))
    on_interrupt(_partial(out_dir))
    dialogues, errors = transcripts.read_transcripts(source, plan.protocol.name)
    if safety_check:
        pipeline.check_existing(plan, dialogues)
    counts = pipeline.refilter(plan, dialogues, out_dir, overwrite, source=source)
    out.print(reasons_table(f"{counts.kept} kept / {counts.dialogues} dialogues", counts))
    _unscreened(dialogues, "filter --safety")
    out.print(f"written: {out_dir}", highlight=False, markup=False)
    if errors:
        raise unread(
            source,
            errors,
            "line",
            f"the other {counts.dialogues} dialogues were checked and written to {out_dir}",
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
    on_interrupt(_partial(out_dir))
    dialogues, errors = transcripts.read_transcripts(source, plan.protocol.name)
    report = pipeline.rejudge(plan, dialogues, out_dir, overwrite, source=source)
    counts = report.counts
    out.print(reasons_table(f"{counts.kept} kept / {counts.dialogues} dialogues", counts))
    judges_summary(report.judges)
    _unscreened(dialogues, "screen")
    out.print(f"written: {out_dir}", highlight=False, markup=False)
    if errors:
        raise unread(
            source,
            errors,
            "line",
            f"the other {counts.dialogues} dialogues were judged and written to {out_dir}",
        )
    exit_if_failed(counts, report.failures, plan.pipeline.config.run.max_failed_share, "judge")


def _unscreened(dialogues: list[Dialogue], remedy: str) -> None:
    """Say so when dialogues carry no safety verdict: their train split was not screened."""
    n = sum(d.safety is None for d in dialogues)
    if n:
        out.print(
            f"safety: {n} of {len(dialogues)} dialogues carry no stored safety verdict, so the "
            f"safety layer did not check them (run `healme-synth {remedy}` to screen them)",
            highlight=False,
            markup=False,
        )


def _partial(out_dir: Path) -> str:
    return (
        f"interrupted: {out_dir} may hold part of the output (filter and judge do not resume); "
        "run the same command with --overwrite to write it afresh."
    )


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
    target = out_file or Path("personas") / "imported" / f"{format}-{file.stem}.jsonl"
    if target.is_dir():  # checked first: writing would leave a .tmp file beside it
        raise ConfigError(f"{target} is a folder; --out names the persona JSONL file to write.")
    result = importers.import_seeds(format, file, allow_minors)
    n = len(result.errors)
    if not result.personas:
        raise ConfigError(
            f"{file}: no row could be imported, so nothing was written to {target}"
            + (f" ({n} row{'s' * (n > 1)}): {importers.summarize(result.errors)}" if n else "")
            + "."
        )
    try:
        write_personas(result.personas, target)
    except OSError as e:
        raise ConfigError(f"{target}: cannot write the personas ({e.strerror}).") from None
    others = sum(bool(p.risk_flags) and not p.at_risk for p in result.personas)
    out.print(
        f"imported {len(result.personas)} personas from {file} into {target} "
        f"({result.at_risk} flagged at-risk"
        + (f", {others} telling of someone else's risk" if others else "")
        + f"); {n} rows with errors",
        highlight=False,
        markup=False,
    )
    if result.errors:
        raise ConfigError(
            f"{file}: {n} row{'s' * (n > 1)} could not be imported (the other "
            f"{len(result.personas)} were written to {target}): "
            + importers.summarize(result.errors)
            + "."
        )
