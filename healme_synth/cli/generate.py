"""Commands that check, show and run a pipeline file: validate, protocols, render, run."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from healme_synth import pipeline
from healme_synth.cli.app import DEFAULT_PROMPTS, PipelineArg, app, err, on_interrupt, out
from healme_synth.cli.tables import exit_if_failed, share, summary
from healme_synth.config import load_pipeline
from healme_synth.errors import ConfigError
from healme_synth.records import Message
from healme_synth.roleplay import Protocol, available_protocols, load_protocol


@app.command()
def validate(path: PipelineArg) -> None:
    """Check a pipeline file, its seed files and every template it names; report all problems."""
    p = load_pipeline(path)
    plan = pipeline.plan(p)
    out.print(
        f"{path}: OK ({len(plan.personas)} personas, protocol {plan.protocol.name}, "
        f"{session_length(plan.protocol)}, config sha256 {p.sha256()[:12]})"
        + (f"; {plan.at_risk_held_back} at-risk seeds held back" if plan.at_risk_held_back else ""),
        markup=False,
    )


@app.command()
def protocols(
    prompts_dir: Annotated[
        Path, typer.Option(help="The prompts folder that holds the protocols.")
    ] = DEFAULT_PROMPTS,
) -> None:
    """List the session protocols: length, who ends, hidden planning, seed fields they need."""
    names = available_protocols(prompts_dir)
    if not names:  # an empty table with exit 0 read as "no protocols installed"
        what = "no such folder" if not prompts_dir.is_dir() else "no protocols (*/protocol.yaml)"
        raise ConfigError(f"{prompts_dir}: {what}; --prompts-dir names a prompts folder.")
    table = Table("protocol", "length", "opens", "planning", "needs", "description")
    for name in names:
        p = load_protocol(prompts_dir, name)
        cells = (
            name,
            session_length(p),
            p.opener,
            "technique + plan" if p.planning else "-",
            ", ".join(p.requires) or "-",
            " ".join(p.description.split()),
        )
        table.add_row(*map(escape, cells))  # "[/END]" is text, not rich markup
    out.print(table)


def session_length(p: Protocol) -> str:
    if p.turns is None:
        return f"{p.rounds} rounds ({p.max_turns} turns)"
    return f"{p.turns.min}-{p.turns.max} turns, {p.ender} ends with {p.end_marker}"


@app.command()
def render(
    path: PipelineArg,
    persona: Annotated[str, typer.Option(help="The persona id to render for.")],
) -> None:
    """Print the exact messages each role receives at each turn, with scripted replies."""
    plan = pipeline.plan(load_pipeline(path))
    for i, (role, messages) in enumerate(pipeline.render_calls(plan, persona)):
        out.rule(f"call {i + 1}: {role}")
        for m in messages:
            out.print(f"[bold]{m['role']}[/bold]", highlight=False)
            out.print(m["content"], markup=False, highlight=False)
            out.print()


@app.command()
def run(
    path: PipelineArg,
    out_dir: Annotated[
        Optional[Path],  # noqa: UP045 (typer reads the annotation at run time)
        typer.Option("--out", help="Run directory (default: <output.dir>/<run.name>)."),
    ] = None,
    overwrite: Annotated[
        bool,
        typer.Option(
            help="Replace an existing run directory (by default, a run of the same config "
            "there is resumed and one of another config is refused)."
        ),
    ] = False,
    ray: Annotated[
        Optional[int],  # noqa: UP045 (typer reads the annotation at run time)
        typer.Option(
            "--ray",
            min=1,
            help="Play the dialogues on this many Ray actors, each owning its engine (a local "
            "Ray instance, or the cluster RAY_ADDRESS points at).",
        ),
    ] = None,
    ray_gpus: Annotated[
        float, typer.Option("--ray-gpus", min=0, help="GPUs each Ray actor reserves.")
    ] = 0,
) -> None:
    """Generate, filter, judge and write the dataset; resume an interrupted run of the same
    config in the same directory."""
    p = load_pipeline(path)
    plan = pipeline.plan(p)
    cfg = p.config
    run_dir = out_dir or p.resolve(cfg.output.dir) / cfg.run.name
    again = "the same command without --overwrite" if overwrite else "the same command"
    on_interrupt(
        f"interrupted: every finished turn is kept in {run_dir}; the run can be resumed with "
        f"{again}, which goes on where it stopped."
    )
    total = len(plan.sample)
    started = time.monotonic()
    stats = {"turns": 0, "tokens": 0, "prompt": 0, "cached": 0}
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "dialogues · {task.fields[turns]} turns · {task.fields[rate]:.0f} tok/s · "
            "{task.fields[cache]} cached"
        ),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task(cfg.run.name, total=total, turns=0, rate=0.0, cache="-")

        def on_turn(requests: int, tokens: int) -> None:
            stats["turns"] += requests
            stats["tokens"] += tokens
            rate = stats["tokens"] / max(time.monotonic() - started, 1e-9)
            cache = share(stats["cached"] / stats["prompt"]) if stats["prompt"] else "-"
            bar.update(task, turns=stats["turns"], rate=rate, cache=cache)

        def on_message(m: Message) -> None:  # prefix-cache hits of this session's turns
            stats["prompt"] += m.prompt_tokens
            stats["cached"] += m.cached_tokens

        def on_resume(done: int, total: int) -> None:
            bar.console.print(f"resuming: {done} of {total} dialogues done", highlight=False)
            bar.advance(task, done)

        manifest = pipeline.run(
            plan,
            run_dir,
            progress=pipeline.Progress(
                on_turn=on_turn,
                on_dialogues=lambda n: bar.advance(task, n),
                on_message=on_message,
                on_resume=on_resume,
            ),
            overwrite=overwrite,
            ray_actors=ray,
            ray_gpus=ray_gpus,
        )
    summary(manifest, run_dir)
    exit_if_failed(manifest.counts, manifest.failures, cfg.run.max_failed_share, "generate")
