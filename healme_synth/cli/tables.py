"""What the commands print: rejection reasons, judge and safety tables, the run summary, and
the exit-1 rule for runs where too many dialogues failed."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from healme_synth.cli.app import err, out
from healme_synth.errors import ConfigError
from healme_synth.output import summary_line, type_rows
from healme_synth.records import Counts, JudgeSummary, Manifest


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
            table.add_row(j.judge if n == 0 else "", item, num(mean), num(spread))
    out.print(table)
    for j in judges:
        line = (
            f"judge {j.judge} ({j.rubric}): {j.judged} judged, {j.missing} verdicts missing; "
            f"{j.replies_missing} of {j.replies} replies did not parse"
        )
        if j.affect is not None:
            a = j.affect
            line += (
                f"; PANAS change positive {num(a.positive_delta)}, negative "
                f"{num(a.negative_delta)}; negative fell in {share(a.negative_fell)} of "
                "the dialogues"
            )
        out.print(line, highlight=False, markup=False)


def num(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def share(x: float | None) -> str:
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
        f"({m.tokens.cached} cached, {share(m.cache_hit_rate)}) in {m.seconds:.1f}s, "
        f"{m.tokens_per_second or 0:.0f} generated tokens/s"
    )
    out.print(f"written: {run_dir}")


def unread(source: Path, errors: list[str], kind: str, rest: str) -> ConfigError:
    """The paragraph for input records that could not be read, after the others were handled
    (`rest`, e.g. "the other 5 dialogues were checked and written to DIR")."""
    plural = "s" if len(errors) > 1 else ""
    return ConfigError(
        f"{source}: {len(errors)} {kind}{plural} could not be read ({rest}): "
        + "; ".join(errors)
        + "."
    )
