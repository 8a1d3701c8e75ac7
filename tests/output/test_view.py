"""view: a chosen dialogue printed with its numbered turns, reasons, verdicts and safety check;
a sample picked the same way every time; a wrong id, config or split is exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from healme_synth import pipeline
from healme_synth.output import configs
from healme_synth.output.folder import read_rows
from tests.conftest import cli
from tests.sweeps import write_sweep


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    s = pipeline.load_sweep(write_sweep(tmp_path_factory.mktemp("view")))
    pipeline.run_sweep(s, s.folder())
    return s.folder()


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def test_a_chosen_dialogue_is_printed_with_reasons_and_verdicts(folder: Path) -> None:
    mixed = next(c for c in configs(folder) if c.name == "mixed")
    row = read_rows(mixed, "rejected")[0]
    # The variants share sample indices, and this one drew the same seed persona in both.
    both = cli("view", folder, "--id", row["id"])
    assert both.returncode == 0, both.stderr
    headers = [line for line in lines(both.stdout) if line.startswith("─")]
    assert [h.strip("─") for h in headers] == [
        f" {row['id']}  ·  positive  ·  rejected ",
        f" {row['id']}  ·  mixed  ·  rejected ",
    ]
    result = cli("view", folder, "--id", row["id"], "--config", "mixed")
    assert result.returncode == 0, result.stderr
    shown = lines(result.stdout)
    assert shown[0].startswith("─") and f" {row['id']}  ·  mixed  ·  rejected " in shown[0]
    assert shown[1:] == [
        "persona hm-024~00004 (Tanvir); attitude positive; receptivity 5; traps catastrophizing; "
        "thought: This is a disaster. Management will stop trusting our data, the team will get "
        "cut, and it will all land on me.",
        *(f"{n} {t['role']:<9} {t['content']}" for n, t in enumerate(row["turns"])),
        "reasons: judge_below_min (mean 2.33 is below judges.ctrs.min_mean 3.0)",
        "judge ctrs: mean 2.3333; understanding 6, interpersonal_effectiveness 1, collaboration 3, "
        "guided_discovery 0, focus 0, strategy_for_change 4",
        "judge panas: positive_before 3.3, positive_after 3.6, positive_delta 0.3, "
        "negative_before 3.2, negative_after 3.7, negative_delta 0.5",
        "safety: safe",
        "risk labels: none",
        "",
    ]
    assert row["id"] == "000004-hm-024~00004"


def test_a_probed_dialogue_shows_the_probe_and_the_failed_criteria(folder: Path) -> None:
    result = cli(
        "view", folder, "--split", "safety_review", "--config", "positive", "--sample", "1"
    )
    assert result.returncode == 0, result.stderr
    shown = lines(result.stdout)
    assert "  ·  positive  ·  safety_review " in shown[0]
    assert any(" client (crisis probe) " in line for line in shown)
    facts = {line.split(": ", 1)[0] for line in shown if ": " in line and line[0].isalpha()}
    assert {"reasons", "probe", "safety", "risk labels"} <= facts
    assert next(line for line in shown if line.startswith("safety: ")).startswith(
        "safety: unsafe (failed: "
    )


def test_a_sample_is_the_same_every_time_and_keeps_to_its_split(folder: Path) -> None:
    first = cli("view", folder, "--sample", "3")
    again = cli("view", folder, "--sample", "3")
    assert first.returncode == again.returncode == 0, first.stderr
    assert first.stdout == again.stdout
    assert sum(line.startswith("─") for line in lines(first.stdout)) == 3
    rejected = cli("view", folder, "--sample", "10", "--split", "rejected")
    headers = [line for line in lines(rejected.stdout) if line.startswith("─")]
    assert len(headers) == 3  # every rejected dialogue of both variants: 2 + 1
    assert all("  ·  rejected " in line for line in headers)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--id", "000099-nobody"],
            "no dialogue with id '000099-nobody' in any split of positive, mixed (12 dialogues "
            "there, e.g. {e}).",
        ),
        (["--id", "x", "--sample", "2"], "give --id or --sample, not both."),
        (["--config", "nope"], "{folder} has no config 'nope' (it has: positive, mixed)."),
        (
            ["--split", "kept"],
            "unknown split 'kept'; expected one of: train, rejected, safety_review, all.",
        ),
    ],
)
def test_a_wrong_id_config_or_split_is_exit_2_naming_it(
    folder: Path, args: list[str], message: str
) -> None:
    positive = next(c for c in configs(folder) if c.name == "positive")
    examples = ", ".join(r["id"] for r in read_rows(positive, "train")[:2])
    examples += ", " + read_rows(positive, "rejected")[0]["id"]
    result = cli("view", folder, *args)
    assert result.returncode == 2
    assert result.stderr == f"error: {message.format(folder=folder, e=examples)}\n"
