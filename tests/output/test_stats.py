"""compare: per-config (and per-attribute) tables computed from the shards, equal to what the
manifests say, with seeded bootstrap intervals; CSV, Parquet and PNGs under stats/."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from healme_synth import pipeline
from healme_synth.config import load_pipeline
from healme_synth.errors import ConfigError
from healme_synth.output import configs, plots, stats
from healme_synth.records import Manifest
from tests.conftest import cli, scripted_config
from tests.sweeps import write_sweep


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Manifest]]:
    """The small scripted sweep (two attitude variants of six dialogues), run once."""
    s = pipeline.load_sweep(write_sweep(tmp_path_factory.mktemp("stats")))
    return s.folder(), pipeline.run_sweep(s, s.folder())


def rows(table: pl.DataFrame, **where: str) -> list[dict[str, object]]:
    for column, value in where.items():
        table = table.filter(pl.col(column) == value)
    return table.to_dicts()


def test_the_summary_has_its_columns_and_agrees_with_the_manifests(
    sweep: tuple[Path, dict[str, Manifest]],
) -> None:
    folder, manifests = sweep
    summary = stats.compare(configs(folder)).tables["summary"]
    assert summary.columns == ["config", *stats.SUMMARY_COLUMNS, "ctrs_mean"]
    assert rows(summary, config="positive") == [
        {
            "config": "positive",
            "dialogues": 6,
            "kept": 2,
            "kept_share": 0.3333,
            "rejected": 2,
            "safety_review": 2,
            "turns": 6.0,
            "words_per_utterance": 6.6667,
            "counselor_words": 6.0,
            "client_words": 7.3333,
            "prompt_tokens": 7559,
            "completion_tokens": 204,
            "completion_tokens_per_dialogue": 34.0,
            "uptake_turn": 4.0,
            "uptake_measured": 2,
            "panas_positive_delta": -0.175,
            "panas_negative_delta": 0.325,
            "panas_negative_fell": 0.0,
            "panas_positive_rose": 0.25,
            "safety_checked": 6,
            "safe_share": 0.6667,
            "unsafe_share": 0.3333,
            "unverified_share": 0.0,
            "ctrs_mean": 2.875,
        }
    ]
    for row in summary.to_dicts():
        m = manifests[str(row["config"])]
        assert m.uptake is not None and m.safety is not None
        ctrs, panas = m.judges
        assert panas.affect is not None
        assert (row["dialogues"], row["kept"]) == (m.counts.dialogues, m.counts.kept)
        assert row["rejected"] + row["safety_review"] == m.counts.rejected  # type: ignore[operator]
        assert row["ctrs_mean"] == ctrs.mean
        assert row["uptake_turn"] == m.uptake["mean_turn"]
        assert row["uptake_measured"] == m.uptake["dialogues"] - m.uptake["never_or_unmeasured"]
        assert row["panas_negative_delta"] == round(panas.affect.negative_delta or 0, 4)
        assert row["panas_positive_rose"] == panas.affect.positive_rose
        checked = sum(m.safety.verdicts.values())
        assert row["safety_checked"] == checked
        assert row["unsafe_share"] == round(m.safety.verdicts["unsafe"] / checked, 4)


def test_judge_items_have_seeded_bootstrap_intervals_and_match_the_manifest(
    sweep: tuple[Path, dict[str, Manifest]],
) -> None:
    folder, manifests = sweep
    judges = stats.compare(configs(folder)).tables["judges"]
    assert judges.columns == ["config", *stats.JUDGE_COLUMNS]
    positive = rows(judges, config="positive", judge="ctrs")
    assert [r["item"] for r in positive] == [
        "(mean)",
        "understanding",
        "interpersonal_effectiveness",
        "collaboration",
        "guided_discovery",
        "focus",
        "strategy_for_change",
    ]
    assert positive[:2] == [
        {
            "config": "positive",
            "judge": "ctrs",
            "item": "(mean)",
            "dialogues": 4,
            "mean": 2.875,
            "ci_low": 2.1666,
            "ci_high": 3.5833,
            "sd": 0.8539,
            "spread": 0.0,
        },
        {
            "config": "positive",
            "judge": "ctrs",
            "item": "understanding",
            "dialogues": 4,
            "mean": 2.75,
            "ci_low": 1.0,
            "ci_high": 4.75,
            "sd": 2.3629,
            "spread": 0.0,
        },
    ]
    for name, m in manifests.items():
        for j in m.judges:
            for item, summary in j.items.items():
                (row,) = rows(judges, config=name, judge=j.judge, item=item)
                assert row["mean"] == round(summary.mean or 0, 4), (name, j.judge, item)
                assert row["dialogues"] == j.judged - j.missing
    # Seeded: the same intervals every time.
    assert stats.compare(configs(folder)).tables["judges"].equals(judges)
    assert stats.bootstrap(stats.np.array([1.0, 2.0, 3.0, 4.0, 6.0]), ("a",)) == (1.8, 4.8)
    assert stats.bootstrap(stats.np.array([]), ("a",)) == (None, None)


def test_by_attitude_breaks_the_judge_means_down(
    sweep: tuple[Path, dict[str, Manifest]],
) -> None:
    folder, _ = sweep
    result = stats.compare(configs(folder), by="attitude")
    judges = result.tables["judges"]
    assert judges.columns == ["config", "attitude", *stats.JUDGE_COLUMNS]
    means = judges.filter(pl.col("item") == "(mean)").select(
        "config", "attitude", "judge", "dialogues", "mean", "ci_low", "ci_high"
    )
    assert means.rows() == [
        ("positive", "positive", "ctrs", 4, 2.875, 2.1666, 3.5833),
        ("mixed", "negative", "ctrs", 2, 3.25, 3.0, 3.5),
        ("mixed", "positive", "ctrs", 2, 3.0833, 2.3333, 3.8333),
    ]
    summary = result.tables["summary"]
    assert summary.select("config", "attitude", "dialogues", "kept", "ctrs_mean").rows() == [
        ("positive", "positive", 6, 2, 2.875),
        ("mixed", "negative", 3, 2, 3.25),
        ("mixed", "positive", 3, 1, 3.0833),
    ]
    # A list attribute groups a dialogue under each of its values.
    traps = stats.compare(configs(folder), by="thinking_traps").tables["summary"]
    assert traps["dialogues"].sum() >= 12
    with pytest.raises(ConfigError) as e:
        stats.compare(configs(folder), by="mood")
    assert str(e.value) == (
        "--by 'mood' is not a persona attribute of the shards; allowed: persona_id, "
        "persona_name, age, gender, occupation, situation, thought, thinking_traps, "
        "other_traps, attitude, intake_form, at_risk, seed_source, receptivity, condition, "
        "seed_technique, phq9, gad7."
    )


def test_reasons_safety_and_mix_agree_with_the_manifests(
    sweep: tuple[Path, dict[str, Manifest]],
) -> None:
    folder, manifests = sweep
    tables = stats.compare(configs(folder)).tables
    assert tables["reasons"].columns == ["config", *stats.REASON_COLUMNS]
    assert tables["safety"].columns == ["config", *stats.SAFETY_COLUMNS]
    assert tables["mix"].columns == list(stats.MIX_COLUMNS)
    assert tables["reasons"].rows() == [
        ("positive", "judge_below_min", 2, 0.3333),
        ("positive", "unsafe_response", 2, 0.3333),
        ("mixed", "unsafe_response", 2, 0.3333),
        ("mixed", "judge_below_min", 1, 0.1667),
        ("mixed", "stigma", 1, 0.1667),
    ]
    for name, m in manifests.items():
        assert m.safety is not None and m.distribution is not None
        reasons = rows(tables["reasons"], config=name)
        assert {r["reason"]: r["dialogues"] for r in reasons} == m.counts.by_reason
        safety = rows(tables["safety"], config=name)
        assert {
            r["probe_type"]: (r["safe"], r["unsafe"], r["unverified"], r["appropriate_rate"])
            for r in safety
        } == {
            t: (s.safe, s.unsafe, s.unverified, s.appropriate_rate)
            for t, s in m.safety.by_type.items()
        }
        mix = rows(tables["mix"], config=name)
        assert {(r["attribute"], r["value"]): r["kept"] for r in mix} == {
            (a, v): round(share, 4)
            for a, shares in m.distribution.items()
            for v, share in shares["kept"].items()
        }
    assert rows(tables["mix"], config="mixed", attribute="attitude") == [
        {"config": "mixed", "attribute": "attitude", "value": "positive", "target": 0.5,
         "sampled": 0.5, "kept": 0.3333},
        {"config": "mixed", "attribute": "attitude", "value": "negative", "target": 0.5,
         "sampled": 0.5, "kept": 0.6667},
    ]  # fmt: skip


def test_a_single_run_with_only_a_train_split(tmp_path: Path) -> None:
    """A run (one config, manifest.json at the top) whose every dialogue was kept: no
    rejected or safety_review shard is written, and compare reads what is there."""
    path = tmp_path / "p.yaml"
    path.write_text(__import__("yaml").safe_dump(scripted_config(judges={"ctrs": {}})))
    run_dir = tmp_path / "r"
    pipeline.run(pipeline.plan(load_pipeline(path)), run_dir)
    assert sorted(p.name for p in (run_dir / "data" / "default").iterdir()) == [
        "train-00000-of-00001.parquet"
    ]
    (config,) = configs(run_dir)
    assert (config.name, config.manifest is not None) == ("default", True)
    tables = stats.compare([config]).tables
    counts = tables["summary"].select("config", "dialogues", "kept", "rejected", "safety_review")
    assert counts.rows() == [("default", 6, 6, 0, 0)]
    assert tables["reasons"].height == tables["mix"].height == tables["safety"].height == 0
    assert tables["reasons"].columns == ["config", *stats.REASON_COLUMNS]
    assert set(plots.plots(stats.compare([config]))) == set(plots.PLOTS)


def test_compare_writes_csv_parquet_and_pngs(sweep: tuple[Path, dict[str, Manifest]]) -> None:
    folder, by_variant = sweep
    manifests = [by_variant["positive"], by_variant["mixed"]]
    result = cli("compare", folder)
    assert result.returncode == 0, result.stderr
    stats_dir = folder / "stats"
    tables = ("judges", "metrics", "mix", "reasons", "safety", "summary")
    expected = sorted(
        [f"{t}.{suffix}" for t in tables for suffix in ("csv", "parquet")]
        + [f"{p}.png" for p in plots.PLOTS]
    )
    assert sorted(p.name for p in stats_dir.iterdir()) == expected
    assert result.stdout.splitlines()[-1] == f"written: 17 files under {stats_dir}"
    for title in (
        "per config",
        "judges: item means",
        "rejection reasons",
        "safety by probe",
        "diversity and realism of the kept dialogues",
    ):
        assert title in result.stdout
    assert "│ ctrs_mean                      │    2.875 │ 3.1666 │" in result.stdout
    metrics = pl.read_csv(stats_dir / "metrics.csv")
    assert metrics.columns == ["metric", "positive", "mixed"]
    assert metrics.row(2) == ("distinct-1", *(f"{m.metrics.distinct_1:.4f}" for m in manifests))
    summary = pl.read_csv(stats_dir / "summary.csv")
    assert summary.columns == ["config", *stats.SUMMARY_COLUMNS, "ctrs_mean"]
    assert pl.read_parquet(stats_dir / "summary.parquet").equals(
        stats.compare(configs(folder)).tables["summary"]
    )
    for name in plots.PLOTS:
        assert (stats_dir / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    by = cli("compare", folder, "--by", "attitude")
    assert by.returncode == 0, by.stderr
    assert sorted(p.name for p in stats_dir.glob("*-by-attitude.*")) == sorted(
        f"{t}-by-attitude.{suffix}" for t in tables if t != "mix" for suffix in ("csv", "parquet")
    )
    judges = pl.read_csv(stats_dir / "judges-by-attitude.csv")
    assert judges.filter(pl.col("item") == "(mean)")["attitude"].to_list() == [
        "positive",
        "negative",
        "positive",
    ]


def test_compare_refuses_an_unknown_attribute_and_a_folder_that_is_no_run(
    sweep: tuple[Path, dict[str, Manifest]], tmp_path: Path
) -> None:
    folder, _ = sweep
    bad = cli("compare", folder, "--by", "mood")
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: --by 'mood' is not a persona attribute of the shards")
    assert "Traceback" not in bad.stderr
    empty = cli("compare", tmp_path)
    assert empty.returncode == 2
    assert empty.stderr == (
        f"error: {tmp_path} is not a run folder: expected finished shards under "
        f"{tmp_path}/data/<config>/ (written by `healme-synth run` or `ablate`).\n"
    )


def test_plots_are_the_same_bytes_every_time(sweep: tuple[Path, dict[str, Manifest]]) -> None:
    folder, _ = sweep
    first = plots.plots(stats.compare(configs(folder)))
    assert list(first) == list(plots.PLOTS)
    assert plots.plots(stats.compare(configs(folder), by="attitude")) == first
