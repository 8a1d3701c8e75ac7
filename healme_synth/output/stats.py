"""The comparison of a run folder's configs (a sweep's variants, or a run's one config), as polars
tables: per config, or per config and persona attribute, what was kept and why not, how long
the dialogues are, what they cost, how the judges scored them (with seeded bootstrap intervals),
PANAS changes, reframe uptake, safety verdicts, and the achieved against the target mix.

Every number is computed from the shards' rows, so it holds for any folder, and the per-config
numbers equal the manifest's (the same dialogues, the same means)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from healme_synth.errors import ConfigError
from healme_synth.output.folder import Config, read_table
from healme_synth.output.metrics_text import metric_rows
from healme_synth.output.schema import SCHEMA
from healme_synth.records import REJECTED, SAFETY_REVIEW, SPLITS, TRAIN

CONFIG = "config"
MEAN_ITEM = "(mean)"
"""The judges table's row for a judge's verdict mean (over its items), before the items."""
NONE = "(none)"
"""The group of dialogues without a value for the attribute."""
DIGITS = 4
BOOTSTRAP = 1000
"""Resamples per interval; each group's resampling is seeded by its key, so its interval is the
same on every run and does not move when other groups are added."""

# Persona columns of the shard schema that group dialogues: scalars and lists of strings (a
# dialogue is in the group of each of its thinking traps). Struct columns cannot be a group.
_PERSONA = [f.name for f in SCHEMA][
    SCHEMA.get_field_index("persona_id") : SCHEMA.get_field_index("seed_technique") + 1
]
_GROUPABLE = [
    name
    for name in _PERSONA
    if not pa.types.is_struct(t := SCHEMA.field(name).type)
    and not (pa.types.is_list(t) and not pa.types.is_string(t.value_type))
]
INSTRUMENTS = ("phq9", "gad7")
"""Questionnaire severity bands, as the sampler weights them, are attributes too."""
ATTRIBUTES: tuple[str, ...] = (*_GROUPABLE, *INSTRUMENTS)

SUMMARY_COLUMNS = (
    "dialogues",
    "kept",
    "kept_share",
    "rejected",
    "safety_review",
    "turns",
    "words_per_utterance",
    "counselor_words",
    "client_words",
    "prompt_tokens",
    "completion_tokens",
    "completion_tokens_per_dialogue",
    "uptake_turn",
    "uptake_measured",
    "panas_positive_delta",
    "panas_negative_delta",
    "panas_negative_fell",
    "panas_positive_rose",
    "safety_checked",
    "safe_share",
    "unsafe_share",
    "unverified_share",
)
"""The summary's columns after the group keys; then `<judge>_mean` per judge with a mean."""
JUDGE_COLUMNS = ("judge", "item", "dialogues", "mean", "ci_low", "ci_high", "sd", "spread")
REASON_COLUMNS = ("reason", "dialogues", "share")
SAFETY_COLUMNS = ("probe_type", "dialogues", "safe", "unsafe", "unverified", "appropriate_rate")
MIX_COLUMNS = (CONFIG, "attribute", "value", "target", "sampled", "kept")
TABLES = ("summary", "judges", "reasons", "safety", "mix")

_NEEDED = (
    *_PERSONA,
    *("id", "turns", "verdicts", "prompt_tokens", "completion_tokens", "first_reframe_turn"),
    *("panas_positive_delta", "panas_negative_delta", "probe_type", "disclosure_turn"),
    *("safety_verdict", "reasons"),
)


@dataclass
class Comparison:
    """The tables of one `compare`, keyed by config, or by config and `by`; and what the plots
    draw from: every dialogue's row and every judge score, per config."""

    by: str | None
    rows: pl.DataFrame
    scores: pl.DataFrame
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)

    def keys(self) -> list[str]:
        return [CONFIG] if self.by is None else [CONFIG, self.by]


def dialogues(configs: Sequence[Config]) -> pl.DataFrame:
    """One row per dialogue of every config and split, with `config` and `split` columns."""
    frames = []
    for c in configs:
        for split in SPLITS:
            table = read_table(c, split).select(_NEEDED)
            frames.append(
                pl.from_arrow(table).with_columns(  # type: ignore[union-attr]
                    pl.lit(c.name).alias(CONFIG), pl.lit(split).alias("split")
                )
            )
    return pl.concat(frames, how="vertical")


def with_attribute(df: pl.DataFrame, by: str) -> pl.DataFrame:
    """The attribute as a string column named `by` (a list attribute exploded, a missing value
    `(none)`), so every attribute groups and sorts the same way."""
    if by not in ATTRIBUTES:
        raise ConfigError(
            f"--by {by!r} is not a persona attribute of the shards; allowed: "
            f"{', '.join(ATTRIBUTES)}."
        )
    if by in INSTRUMENTS:
        severity = pl.col("questionnaires").list.eval(
            pl.element().filter(pl.element().struct.field("instrument") == by)
        )
        column = severity.list.first().struct.field("severity")
        return df.with_columns(column.fill_null(NONE).alias(by))
    if isinstance(df.schema[by], pl.List):
        df = df.with_columns(
            pl.when(pl.col(by).list.len() > 0).then(pl.col(by)).otherwise(pl.lit([NONE]))
        ).explode(by)
    return df.with_columns(pl.col(by).cast(pl.String).fill_null(NONE))


def compare(configs: Sequence[Config], by: str | None = None) -> Comparison:
    rows = dialogues(configs)
    grouped = rows if by is None else with_attribute(rows, by)
    result = Comparison(by, rows, judge_scores(rows, [CONFIG]))
    keys = result.keys()
    scores = result.scores if by is None else judge_scores(grouped, keys)
    result.tables = {
        "summary": summary(grouped, scores, keys),
        "judges": judges(scores, keys),
        "reasons": reasons(grouped, keys),
        "safety": safety(grouped, keys),
        "mix": mix(configs),
        "metrics": metrics_table(configs),
    }
    order = {c.name: i for i, c in enumerate(configs)}
    for name, table in result.tables.items():  # configs in the folder's order, then by key
        if name not in ("mix", "metrics") and table.height:
            rank = pl.col(CONFIG).replace_strict(order, return_dtype=pl.Int32)
            result.tables[name] = table.sort(rank, *keys[1:], maintain_order=True)
    return result


def metrics_table(configs: Sequence[Config]) -> pl.DataFrame:
    """The manifests' diversity and realism metrics of the kept dialogues: one row per metric,
    one column per config (configs whose manifest has none are left out)."""
    columns = {
        c.name: metric_rows(c.manifest.metrics)
        for c in configs
        if c.manifest and c.manifest.metrics
    }
    if not columns:
        return pl.DataFrame({"metric": []}, schema={"metric": pl.String})
    labels = [label for label, _ in next(iter(columns.values()))]
    return pl.DataFrame(
        {"metric": labels, **{name: [v for _, v in rows] for name, rows in columns.items()}}
    )


def judge_scores(df: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """One row per parsed verdict and item: keys, id, split, judge, item, score, spread, with
    `(mean)` rows for the verdict mean; missing verdicts have no scores (never 0)."""
    verdicts = (
        df.select(*keys, "id", "split", "verdicts")
        .explode("verdicts")
        .drop_nulls("verdicts")
        .unnest("verdicts")
        .filter(pl.col("parsed") > 0)
    )
    base = [*keys, "id", "split", "judge"]
    means = verdicts.filter(pl.col("mean").is_not_null()).select(
        *base, pl.lit(MEAN_ITEM).alias("item"), pl.col("mean").alias("score"), "spread"
    )
    items = (
        verdicts.select(*base, "items")
        .explode("items")
        .drop_nulls("items")
        .select(*base, pl.col("items").struct.unnest())
        .select(*base, "item", "score", "spread")
    )
    return pl.concat([means, items], how="vertical")


def bootstrap(values: np.ndarray, key: Sequence[object]) -> tuple[float | None, float | None]:
    """The 95% percentile interval of the mean, over BOOTSTRAP resamples seeded by `key`."""
    if len(values) == 0:
        return None, None
    rng = np.random.default_rng(zlib.crc32("|".join(map(str, key)).encode()))
    means = values[rng.integers(0, len(values), size=(BOOTSTRAP, len(values)))].mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    return _round(float(low)), _round(float(high))


def judges(scores: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Per group, judge and item: dialogues, mean, bootstrap interval, sd and mean spread."""
    # Judges in config order, items in rubric order, the verdict mean first.
    judge_rank = {j: i for i, j in enumerate(scores["judge"].unique(maintain_order=True))}
    item_rank = {i: n for n, i in enumerate(scores["item"].unique(maintain_order=True))}
    rows = []
    grouped = scores.group_by([*keys, "judge", "item"], maintain_order=True)
    for group, part in grouped:
        values = part["score"].to_numpy().astype(float)
        low, high = bootstrap(values, group)
        rows.append(
            {
                **dict(zip([*keys, "judge", "item"], group, strict=True)),
                "dialogues": len(values),
                "mean": _round(float(values.mean())),
                "ci_low": low,
                "ci_high": high,
                "sd": _round(float(values.std(ddof=1))) if len(values) > 1 else None,
                "spread": _round(part["spread"].mean()),  # type: ignore[arg-type]
            }
        )
    schema: dict[str, pl.DataType] = {k: pl.String() for k in [*keys, "judge", "item"]}
    schema |= {"dialogues": pl.Int64()} | {c: pl.Float64() for c in JUDGE_COLUMNS[3:]}
    table = pl.DataFrame(rows, schema=schema)
    return table.sort(
        *keys,
        pl.col("judge").replace_strict(judge_rank, default=0, return_dtype=pl.Int32),
        pl.col("item").replace_strict(item_rank, default=0, return_dtype=pl.Int32),
    )


def summary(df: pl.DataFrame, scores: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """One row per group: counts, lengths, tokens, uptake, PANAS, safety shares, judge means."""
    words = pl.element().struct.field("content").str.count_matches(r"\S+")

    def role_words(role: str | None) -> tuple[pl.Expr, pl.Expr]:
        turns = pl.col("turns")
        if role is not None:
            turns = turns.list.eval(pl.element().filter(pl.element().struct.field("role") == role))
        return turns.list.eval(words).list.sum().sum(), turns.list.len().sum()

    kept = pl.col("split") == TRAIN
    checked = pl.col("safety_verdict").is_not_null()
    uptake = (pl.col("first_reframe_turn") + 1).filter(kept)  # counted from 1, as the manifest
    negative = pl.col("panas_negative_delta").drop_nulls()
    positive = pl.col("panas_positive_delta").drop_nulls()

    def per(total: tuple[pl.Expr, pl.Expr], name: str) -> pl.Expr:
        return (total[0] / total[1]).round(DIGITS).alias(name)

    def verdict_share(v: str) -> pl.Expr:
        share = (pl.col("safety_verdict") == v).filter(checked).mean()
        return share.round(DIGITS).alias(f"{v}_share")

    table = df.group_by(keys, maintain_order=True).agg(
        pl.len().alias("dialogues"),
        kept.sum().alias("kept"),
        kept.mean().round(DIGITS).alias("kept_share"),
        (pl.col("split") == REJECTED).sum().alias("rejected"),
        (pl.col("split") == SAFETY_REVIEW).sum().alias("safety_review"),
        pl.col("turns").list.len().mean().round(DIGITS).alias("turns"),
        per(role_words(None), "words_per_utterance"),
        per(role_words("counselor"), "counselor_words"),
        per(role_words("client"), "client_words"),
        pl.col("prompt_tokens").sum(),
        pl.col("completion_tokens").sum(),
        pl.col("completion_tokens").mean().round(DIGITS).alias("completion_tokens_per_dialogue"),
        uptake.mean().round(DIGITS).alias("uptake_turn"),
        uptake.count().alias("uptake_measured"),
        pl.col("panas_positive_delta").mean().round(DIGITS),
        pl.col("panas_negative_delta").mean().round(DIGITS),
        (negative < 0).mean().round(DIGITS).alias("panas_negative_fell"),
        (positive > 0).mean().round(DIGITS).alias("panas_positive_rose"),
        checked.sum().alias("safety_checked"),
        *(verdict_share(v) for v in ("safe", "unsafe", "unverified")),
    )
    counts = [c for c, t in table.schema.items() if t == pl.UInt32]  # pl.len() and sums of bools
    table = table.with_columns(pl.col(counts).cast(pl.Int64)).select(*keys, *SUMMARY_COLUMNS)
    means = scores.filter(pl.col("item") == MEAN_ITEM)
    for judge in means["judge"].unique(maintain_order=True):
        per_group = (
            means.filter(pl.col("judge") == judge)
            .group_by(keys)
            .agg(pl.col("score").mean().round(DIGITS).alias(f"{judge}_mean"))
        )
        table = table.join(per_group, on=keys, how="left", maintain_order="left")
    return table


def reasons(df: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Per group and rejection reason: dialogues with it and their share of the group."""
    sizes = df.group_by(keys).agg(pl.len().alias("_size"))
    table = (
        df.select(*keys, "reasons")
        .explode("reasons")
        .drop_nulls("reasons")
        .group_by([*keys, "reasons"])
        .agg(pl.len().alias("dialogues"))
        .join(sizes, on=keys)
        .select(
            *keys,
            pl.col("reasons").alias("reason"),
            pl.col("dialogues").cast(pl.Int64),
            (pl.col("dialogues") / pl.col("_size")).round(DIGITS).alias("share"),
        )
    )
    return table.sort(*keys, "dialogues", "reason", descending=[False] * len(keys) + [True, False])


def safety(df: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Per group and probe type (`unprobed`: a disclosure the screen found without a probe):
    dialogues checked, verdicts, and the appropriate-response rate safe / (safe + unsafe)."""
    probe = (
        pl.when(pl.col("probe_type").is_not_null())
        .then(pl.col("probe_type"))
        .when(pl.col("disclosure_turn").is_not_null())
        .then(pl.lit("unprobed"))
    )
    verdicts = ("safe", "unsafe", "unverified")
    counts = [(pl.col("safety_verdict") == v).sum().alias(v) for v in verdicts]
    table = (
        df.filter(pl.col("safety_verdict").is_not_null())
        .with_columns(probe.alias("probe_type"))
        .drop_nulls("probe_type")
        .group_by([*keys, "probe_type"])
        .agg(pl.len().cast(pl.Int64).alias("dialogues"), *(c.cast(pl.Int64) for c in counts))
    )
    rate = pl.col("safe") / (pl.col("safe") + pl.col("unsafe"))
    return table.with_columns(
        pl.when(pl.col("safe") + pl.col("unsafe") > 0)
        .then(rate.round(DIGITS))
        .alias("appropriate_rate")
    ).sort(*keys, "probe_type")


def mix(configs: Sequence[Config]) -> pl.DataFrame:
    """Per config with a persona sampler: each attribute value's target, sampled and kept share
    (from the manifest, which saw the personas as sampled, before any filter)."""
    rows = []
    for c in configs:
        distribution = c.manifest.distribution if c.manifest is not None else None
        for attribute, shares in (distribution or {}).items():
            for value, target in shares["target"].items():
                rows.append(
                    {
                        CONFIG: c.name,
                        "attribute": attribute,
                        "value": str(value),
                        "target": _round(target),
                        "sampled": _round(shares["sampled"].get(value, 0.0)),
                        "kept": _round(shares["kept"].get(value, 0.0)),
                    }
                )
    schema = {CONFIG: pl.String, "attribute": pl.String, "value": pl.String}
    return pl.DataFrame(rows, schema=schema | {k: pl.Float64 for k in MIX_COLUMNS[3:]})


def write_tables(result: Comparison, stats_dir: Path) -> list[Path]:
    """Each table as CSV and Parquet under stats/ (`-by-<attribute>` when grouped by one; the
    mix does not depend on it)."""
    stats_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in result.tables.items():
        stem = name if result.by is None or name == "mix" else f"{name}-by-{result.by}"
        for suffix in (".csv", ".parquet"):
            path = stats_dir / f"{stem}{suffix}"
            tmp = path.with_name(f".{path.name}.tmp")  # atomic, like every file output writes
            table.write_csv(tmp) if suffix == ".csv" else table.write_parquet(tmp)
            tmp.replace(path)
            written.append(path)
    return written


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), DIGITS)
