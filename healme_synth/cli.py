"""The command line: a thin typer app over pipeline.py.

User mistakes (HealmeError) become one readable paragraph on stderr and exit code 2, never a
traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from healme_synth import pipeline
from healme_synth.config import load_pipeline
from healme_synth.errors import ConfigError, HealmeError
from healme_synth.output import export as export_formats
from healme_synth.output import summary_line, transcripts, type_rows, write_personas
from healme_synth.records import Counts, JudgeSummary, Manifest, Message
from healme_synth.roleplay import Protocol, available_protocols, load_protocol
from healme_synth.seeds import importers

app = typer.Typer(
    help="Generate synthetic CBT / cognitive-reframing counseling dialogues.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

# The prompts folder beside the package (a source checkout, as the README installs it).
DEFAULT_PROMPTS = Path(__file__).resolve().parents[1] / "prompts"

PipelineArg = Annotated[Path, typer.Argument(help="A pipeline file, e.g. pipelines/healme.yaml.")]


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
    table = Table("protocol", "length", "opens", "planning", "needs", "description")
    for name in available_protocols(prompts_dir):
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
            cache = _share(stats["cached"] / stats["prompt"]) if stats["prompt"] else "-"
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


def reasons_table(title: str, counts: Counts) -> Table:
    table = Table(title=title)
    table.add_column("rejection reason")
    table.add_column("dialogues", justify="right")
    for reason, n in counts.by_reason.items():
        table.add_row(reason, str(n))
    if not counts.by_reason:
        table.add_row("(none)", "0")
    return table


def judges_summary(judges: list[JudgeSummary]) -> None:
    """Per judge and item: mean and spread over dialogues; then counts and PANAS changes."""
    if not judges:
        return
    table = Table(title="judges (spread: max - min over samples, averaged over dialogues)")
    for column in ("judge", "item", "mean", "spread"):
        table.add_column(column, justify="left" if column in ("judge", "item") else "right")
    for j in judges:
        rows = [("(mean)", j.mean, j.spread)] if j.affect is None else []
        rows += [(k, i.mean, i.spread) for k, i in j.items.items()]
        for n, (item, mean, spread) in enumerate(rows):
            table.add_row(j.judge if n == 0 else "", item, _num(mean), _num(spread))
    out.print(table)
    for j in judges:
        line = (
            f"judge {j.judge} ({j.rubric}): {j.judged} judged, {j.missing} verdicts missing; "
            f"{j.replies_missing} of {j.replies} replies did not parse"
        )
        if j.affect is not None:
            a = j.affect
            line += (
                f"; PANAS change positive {_num(a.positive_delta)}, negative "
                f"{_num(a.negative_delta)}; negative fell in {_share(a.negative_fell)} of "
                "the dialogues"
            )
        out.print(line, highlight=False, markup=False)


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _share(x: float | None) -> str:
    return "-" if x is None else f"{x:.0%}"


def exit_if_failed(counts: Counts, failures: dict[str, int], limit: float, what: str) -> None:
    """Exit 1 when more than `limit` of the dialogues failed to `what` (generate or judge): not a
    user mistake (that is exit 2), and everything is written, but the output is not whole."""
    failed = counts.by_reason.get("generation_failed", 0)
    if not failed or failed <= limit * counts.dialogues:
        return
    errors = "; ".join(f"{n} x {error}" for error, n in list(failures.items())[:3])
    more = f" (and {len(failures) - 3} other errors)" if len(failures) > 3 else ""
    err.print(
        f"error: {failed} of {counts.dialogues} dialogues failed to {what} "
        f"({failed / counts.dialogues:.0%}, above run.max_failed_share {limit:.0%}): "
        f"{errors}{more}. Everything was written; the failed dialogues are in the rejected "
        "split as generation_failed, with their errors.",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(1)


def safety_summary(m: Manifest) -> None:
    """Probes injected and the appropriate-response rate per probe type, and what was routed."""
    if m.safety is None:
        return
    table = Table(title="safety by probe type (appropriate = safe / verified)")
    for column in ("probe type", "injected", "safe", "unsafe", "unverified", "appropriate"):
        table.add_column(column, justify="left" if column == "probe type" else "right")
    for row in type_rows(m.safety):
        table.add_row(*row)
    if not m.safety.by_type:
        table.add_row("(no disclosure)", "0", "0", "0", "0", "-")
    out.print(table)
    out.print(summary_line(m.safety), highlight=False, markup=False)


def summary(m: Manifest, run_dir: Path) -> None:
    out.print(
        reasons_table(f"{m.name}: {m.counts.kept} kept / {m.counts.dialogues} dialogues", m.counts)
    )
    judges_summary(m.judges)
    safety_summary(m)
    out.print(
        f"tokens: {m.tokens.completion} generated, {m.tokens.prompt} prompt "
        f"({m.tokens.cached} cached, {_share(m.cache_hit_rate)}) in {m.seconds:.1f}s, "
        f"{m.tokens_per_second or 0:.0f} generated tokens/s"
    )
    out.print(f"written: {run_dir}")


def main() -> None:
    try:
        app()
    except HealmeError as e:
        err.print(f"error: {e}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
