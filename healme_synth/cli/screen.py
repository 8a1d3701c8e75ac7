"""`healme-synth screen`: the safety layer on dialogues that exist already (a run directory, this
tool's JSONL or ShareGPT export, user/assistant chats, Cactus, HealMe and SQPsych files)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from healme_synth import pipeline
from healme_synth.cli.app import app, on_interrupt, out
from healme_synth.cli.tables import unread
from healme_synth.config import load_pipeline
from healme_synth.errors import ConfigError
from healme_synth.output import transcripts

SHOWN = 5
"""Flagged dialogues printed with their disclosures (all of them are in summary.json)."""


@app.command("screen")
def screen(
    source: Annotated[
        Path, typer.Argument(help="A run directory, or a JSONL / JSON / CSV file of dialogues.")
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="Where the screened shards go.")],
    pipeline_file: Annotated[
        Path, typer.Option("--pipeline", help="The safety settings, judge roles and models.")
    ] = Path("pipelines/healme.yaml"),
    overwrite: Annotated[bool, typer.Option(help="Replace an existing output directory.")] = False,
    judge: Annotated[
        bool, typer.Option(help="Ask the pipeline's safety judge (--no-judge: rules only).")
    ] = True,
    llm_screen: Annotated[
        Optional[bool],  # noqa: UP045 (typer reads the annotation at run time)
        typer.Option(help="Also classify every client turn with the judge (default: the file's)."),
    ] = None,
) -> None:
    """Screen existing dialogues for crisis disclosures and unsafe counselor replies: safe ones
    to train, unsafe and unverified ones to safety_review, with turns and trigger words."""
    plan = pipeline.plan(load_pipeline(pipeline_file))
    on_interrupt(
        f"interrupted: {out_dir} may hold part of the output (screen does not resume); run the "
        "same command with --overwrite to write it afresh."
    )
    dialogues, errors = transcripts.read_transcripts(source, plan.protocol.name)
    if not dialogues:
        raise ConfigError(
            f"{source}: no dialogue could be read, so nothing was written"
            + (f": {'; '.join(errors[:SHOWN])}" if errors else "")
            + "."
        )
    report = pipeline.screen(
        plan, dialogues, out_dir, overwrite, source=source, judge=judge, llm=llm_screen
    )
    _print(report)
    out.print(f"written: {out_dir}", highlight=False, markup=False)
    if errors:
        raise unread(
            source,
            errors,
            "record",
            f"the other {report.dialogues} dialogues were screened and written to {out_dir}",
        )


def _print(report: pipeline.ScreenReport) -> None:
    s = report.safety
    assert s is not None
    train, review = report.splits.get("train", 0), report.splits.get("safety_review", 0)
    out.print(
        f"screened {report.dialogues} dialogues: {train} to train, {review} to safety_review",
        highlight=False,
        markup=False,
    )
    table = Table()
    table.add_column("risk label (client's own)")
    table.add_column("dialogues", justify="right")
    for label, n in s.risk_labels.items():
        table.add_row(label, str(n))
    out.print(table)
    verdicts = ", ".join(f"{k} {v}" for k, v in s.verdicts.items()) or "none"
    failed = ", ".join(f"{k} {v}" for k, v in s.failed.items()) or "none"
    out.print(f"verdicts: {verdicts}; failed criteria: {failed}", highlight=False, markup=False)
    if not report.judged:
        out.print(
            "no safety judge answered: a disclosure whose replies the rules could not fault is "
            "unverified (set roles.judge in --pipeline to have them judged)",
            highlight=False,
            markup=False,
        )
    for item in report.flagged[:SHOWN]:
        where = ", ".join(
            f"{x['label']} at turn {x['turn']}"
            + (" (third party)" if x["subject"] != "self" else "")
            + (f": '{x['triggers'][0]}'" if x["triggers"] else "")
            for x in item["disclosures"]
        )
        out.print(
            f"  {item['id']}: {item['verdict']} ({', '.join(item['failed']) or 'unverified'})"
            + (f"; {where}" if where else ""),
            highlight=False,
            markup=False,
        )
    if len(report.flagged) > SHOWN:
        out.print(f"  ... and {len(report.flagged) - SHOWN} more in summary.json", markup=False)
