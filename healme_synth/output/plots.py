"""The comparison's plots as PNG bytes: judge score distributions per config, target against
achieved mix, turns and utterance length histograms, rejection reasons.

Drawn on matplotlib's Agg canvas through the object API (Figure, no pyplot): no display, no
global state, the same in a test, a server and a CLI. Every plot is always drawn, with a note
when there is nothing to show, so a folder's stats/ and report always have the same files."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import polars as pl
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from healme_synth.output.files import atomic_write
from healme_synth.output.stats import CONFIG, MEAN_ITEM, Comparison, reasons

PLOTS = ("judges", "mix", "turns", "lengths", "reasons")
"""The plots, by file stem (stats/<name>.png), in the order the report shows them."""
DPI = 100


def plots(result: Comparison) -> dict[str, bytes]:
    """Every plot as PNG bytes, per config whatever the comparison is grouped by."""
    df = result.rows
    configs = list(df[CONFIG].unique(maintain_order=True))
    return {
        "judges": _png(_judges(result.scores, configs)),
        "mix": _png(_mix(result.tables["mix"], configs)),
        "turns": _png(_turns(df, configs)),
        "lengths": _png(_lengths(df, configs)),
        "reasons": _png(_reasons(reasons(df, [CONFIG]), configs)),
    }


def write_plots(result: Comparison, stats_dir: Path) -> list[Path]:
    """Every plot as stats/<name>.png."""
    stats_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, png in plots(result).items():
        atomic_write(stats_dir / f"{name}.png", png)
        written.append(stats_dir / f"{name}.png")
    return written


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    # No timestamp or version in the file: the same data gives the same bytes.
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _empty(title: str, note: str) -> Figure:
    fig = Figure(figsize=(6, 2.5), layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title)
    ax.text(0.5, 0.5, note, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    return fig


def _headlines(scores: pl.DataFrame) -> list[tuple[str, str]]:
    """(judge, item) pairs to plot: a judge's verdict mean, or PANAS's two changes."""
    pairs = scores.select("judge", "item").unique(maintain_order=True).rows()
    means = [(j, i) for j, i in pairs if i == MEAN_ITEM]
    judged = {j for j, _ in means}
    deltas = [(j, i) for j, i in pairs if j not in judged and i.endswith("_delta")]
    return means + deltas


def _judges(scores: pl.DataFrame, configs: Sequence[str]) -> Figure:
    panels = _headlines(scores)
    if not panels:
        return _empty("judge scores", "no parsed judge verdicts")
    fig = Figure(figsize=(max(4.0, 1.2 * len(configs) + 2) * len(panels), 3.6))
    fig.set_layout_engine("constrained")
    for n, (judge, item) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), n + 1)
        picked = scores.filter((pl.col("judge") == judge) & (pl.col("item") == item))
        values = [picked.filter(pl.col(CONFIG) == c)["score"].to_list() for c in configs]
        shown = [(c, v) for c, v in zip(configs, values, strict=True) if v]
        ax.boxplot([v for _, v in shown], tick_labels=[c for c, _ in shown], showmeans=True)
        ax.set_title(judge if item == MEAN_ITEM else f"{judge} {item}")
        ax.set_ylabel("verdict mean" if item == MEAN_ITEM else "after - before")
        _rotate(ax)
    fig.suptitle("judge scores per dialogue, by config (triangle: mean)")
    return fig


def _mix(mix: pl.DataFrame, configs: Sequence[str]) -> Figure:
    if not mix.height:
        return _empty("target vs achieved mix", "no persona sampler: no declared mix")
    attributes = list(mix["attribute"].unique(maintain_order=True))
    shown = [c for c in configs if c in set(mix[CONFIG])]
    fig = Figure(figsize=(3.2 * len(shown) + 1, 2.6 * len(attributes)))
    fig.set_layout_engine("constrained")
    for row, attribute in enumerate(attributes):
        for col, config in enumerate(shown):
            ax = fig.add_subplot(len(attributes), len(shown), row * len(shown) + col + 1)
            part = mix.filter((pl.col(CONFIG) == config) & (pl.col("attribute") == attribute))
            x = list(range(part.height))
            for measure, offset in (("target", -0.27), ("sampled", 0.0), ("kept", 0.27)):
                ax.bar([i + offset for i in x], part[measure].to_list(), 0.27, label=measure)
            ax.set_xticks(x, part["value"].to_list())
            ax.set_ylim(0, 1)
            ax.set_title(f"{config}: {attribute}", fontsize=9)
            _rotate(ax)
            if row == 0 and col == 0:
                ax.legend(fontsize=7)
    fig.suptitle("target, sampled and kept shares")
    return fig


def _turns(df: pl.DataFrame, configs: Sequence[str]) -> Figure:
    turns = df.with_columns(pl.col("turns").list.len().alias("n"))
    fig = Figure(figsize=(6.5, 3.2), layout="constrained")
    ax = fig.add_subplot()
    low, high = int(turns["n"].min() or 0), int(turns["n"].max() or 0)  # type: ignore[arg-type]
    bins = [b - 0.5 for b in range(low, high + 2)]
    for c in configs:
        values = turns.filter(pl.col(CONFIG) == c)["n"].to_list()
        ax.hist(values, bins=bins, histtype="step", linewidth=1.5, label=c)
    ax.set_xlabel("utterances per dialogue")
    ax.set_ylabel("dialogues")
    ax.set_title("dialogue length")
    ax.legend(fontsize=8)
    return fig


def _lengths(df: pl.DataFrame, configs: Sequence[str]) -> Figure:
    utterances = (
        df.select(CONFIG, "turns")
        .explode("turns")
        .drop_nulls("turns")
        .select(
            CONFIG,
            pl.col("turns").struct.field("role"),
            pl.col("turns").struct.field("content").str.count_matches(r"\S+").alias("words"),
        )
    )
    fig = Figure(figsize=(9, 3.2), layout="constrained")
    top = int(utterances["words"].max() or 1)  # type: ignore[arg-type]
    bins = list(range(0, top + max(1, top // 20) + 1, max(1, top // 20)))
    for n, role in enumerate(("counselor", "client")):
        ax = fig.add_subplot(1, 2, n + 1)
        for c in configs:
            words = utterances.filter((pl.col(CONFIG) == c) & (pl.col("role") == role))
            ax.hist(words["words"].to_list(), bins=bins, histtype="step", linewidth=1.5, label=c)
        ax.set_title(f"{role} utterances")
        ax.set_xlabel("words")
        ax.set_ylabel("utterances")
        ax.legend(fontsize=8)
    return fig


def _reasons(table: pl.DataFrame, configs: Sequence[str]) -> Figure:
    if not table.height:
        return _empty("rejection reasons", "no dialogue was rejected")
    names = sorted(set(table["reason"]))
    fig = Figure(figsize=(7, 0.5 * len(names) * max(1, len(configs) / 2) + 1.5))
    fig.set_layout_engine("constrained")
    ax = fig.add_subplot()
    height = 0.8 / len(configs)
    for k, c in enumerate(configs):
        part = dict(table.filter(pl.col(CONFIG) == c).select("reason", "share").rows())
        y = [i + k * height for i in range(len(names))]
        ax.barh(y, [part.get(r, 0.0) for r in names], height, label=c)
    ax.set_yticks([i + 0.4 - height / 2 for i in range(len(names))], names)
    ax.invert_yaxis()
    ax.set_xlabel("share of the config's dialogues")
    ax.set_title("rejection reasons")
    ax.legend(fontsize=8)
    return fig


def _rotate(ax: Axes) -> None:
    for label in ax.get_xticklabels():
        label.set_rotation(20)
        label.set_horizontalalignment("right")
