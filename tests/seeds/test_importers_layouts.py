"""The peers' releases as they are (issue 16): Cactus's evaluation file (nested under AI_client,
no thought, intake values on the next line) and its training release (flat, JSON array or
JSONL), HealMe cells with several traps, broken encoding reported per row, crisis thoughts
flagged with whose risk they are, and one paragraph when many rows fail the same way, with
nothing written when nothing was imported. The fixtures are records the team wrote in the
real layouts (tests/data/imports/cactus_evaluation.json, cactus_training.json[l])."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from healme_synth import pipeline
from healme_synth.config import load_pipeline
from healme_synth.output import write_personas
from healme_synth.seeds import intake
from healme_synth.seeds.importers import import_seeds, summarize
from tests.conftest import ROOT, cli, scripted_config

DATA = ROOT / "tests" / "data" / "imports"
EVALUATION = DATA / "cactus_evaluation.json"
MINOR = "personas under 18 are refused by default (--allow-minors only with a documented reason)"
DERIVED = "(thought derived from the intake form's presenting problem)"


def test_the_evaluation_layout_imports_with_next_line_intake_fields_and_derived_thoughts() -> None:
    result = import_seeds("cactus", EVALUATION)
    # Three attitudes per client, as the real file has; the 15-year-old's three are refused.
    assert [(p.name, p.age, p.gender, p.attitude) for p in result.personas] == [
        ("Odile Marchetti", 38, "female", a) for a in ("positive", "neutral", "negative")
    ] + [("Ines Okoro", 52, "non-binary", a) for a in ("positive", "neutral", "negative")]
    assert result.errors == [
        f"{EVALUATION} record {i}: the client is 15; {MINOR}" for i in (4, 5, 6)
    ]
    first = result.personas[0]
    assert first.id == "cactus_evaluation.json:00001"
    assert first.thought == (
        "One wrong label will ruin my whole career, so I recheck every prescription."
    )
    assert first.source == f"{EVALUATION} record 1 {DERIVED}"
    assert first.intake_form is not None and first.intake_form.startswith("Name:\nOdile")
    assert first.occupation == "Pharmacist"
    # A crisis thought in the presenting problem flags the seed (the client's own risk).
    ines = result.personas[3]
    assert ines.at_risk and ines.risk_flags == [
        "passive_suicidal_ideation (self): 'wish I could just not wake up'; 'I'm a burden'"
    ]
    minors = import_seeds("cactus", EVALUATION, allow_minors=True)
    assert [p.age for p in minors.personas].count(15) == 3 and minors.errors == []


@pytest.mark.parametrize("name", ["cactus_training.jsonl", "cactus_training.json"])
def test_the_training_layout_imports_as_an_array_or_jsonl(name: str) -> None:
    path = DATA / name
    result = import_seeds("cactus", path)
    assert [(p.name, p.age, p.thinking_traps) for p in result.personas] == [
        ("Priyanka Dev", 29, ["mind_reading", "labeling"]),
        ("Marcus Bell", 41, ["personalization", "should_statements"]),
    ]
    where = "line 3" if name.endswith("l") else "record 3"
    assert result.errors == [f"{path} {where}: the client is 16; {MINOR}"]
    marcus = result.personas[1]
    # A brother's attempt is exposure: noted, and not the client's own risk.
    assert not marcus.at_risk
    assert marcus.risk_flags == [
        "suicide_attempt (third party): 'tried to kill himself'; 'suicide attempt'; "
        "'brother's suicide'"
    ]
    assert marcus.source == f"{path} {where.replace('3', '2')}"


@pytest.mark.parametrize(
    ("form", "fields"),
    [
        ("Name:\nLaura Saunders\nAge:\n45\nGender:\nfemale", ("Laura Saunders", "45", "female")),
        ("Name: Kim Lee\nAge: 40\nGender: male", ("Kim Lee", "40", "male")),
        ("Name:\n\nAge:\n17 (a junior)\nGender:\n", (None, "17 (a junior)", None)),
        ("Name:\nAge: 33", (None, "33", None)),
    ],
)
def test_intake_values_are_read_on_the_same_line_or_the_next(
    form: str, fields: tuple[str | None, ...]
) -> None:
    found = intake.fields(form)
    assert (found.get("name"), found.get("age"), found.get("gender")) == fields


def test_a_healme_cell_with_several_traps_is_split(tmp_path: Path) -> None:
    path = tmp_path / "healme.csv"
    path.write_text(
        "index,thinking_trap,thought\n"
        '0,"all-or-nothing thinking,labeling",If I slip once I am a total failure.\n'
        "1,Catastrophizing; mind reading,They will all laugh and my career is over.\n",
        encoding="utf-8",
    )
    result = import_seeds("healme", path)
    assert [p.thinking_traps for p in result.personas] == [
        ["all_or_nothing", "labeling"],
        ["catastrophizing", "mind_reading"],
    ]


def test_broken_encoding_is_reported_per_row_never_imported_silently(tmp_path: Path) -> None:
    path = tmp_path / "reframing.csv"
    path.write_text(
        "situation,thought,reframe,thinking_traps_addressed\n"
        "I missed the bus.,I canâ€™t do anything right.,It was one bus.,overgeneralizing\n"
        "I spilled coffee.,Iâ€™m so clumsy.,Everyone spills.,labeling\n"
        "I forgot a name.,I always embarrass myself.,Names slip.,overgeneralizing\n",
        encoding="utf-8",
    )
    result = import_seeds("reframing", path)
    assert [p.thought for p in result.personas] == ["I always embarrass myself."]
    assert result.errors == [
        f"{path} row 2: `thought` has broken encoding ('I canâ€™t do anythin', which reads "
        "'I can’t do anythin' decoded as UTF-8): the file was saved from another "
        "encoding; fix the row or export the file again as UTF-8",
        f"{path} row 3: `thought` has broken encoding ('Iâ€™m so clumsy.', which reads "
        "'I’m so clumsy.' decoded as UTF-8): the file was saved from another encoding; fix "
        "the row or export the file again as UTF-8",
    ]


@pytest.mark.parametrize(
    ("thought", "at_risk", "flag"),
    [
        ("Someone please kill me", True, "passive_suicidal_ideation (self)"),
        ("I feel like I need to die to be happy", True, "passive_suicidal_ideation (self)"),
        ("I want to shoot myself", True, "active_suicidal_ideation (self)"),
        ("im ready to die", True, "passive_suicidal_ideation (self)"),
        ("My sister tried to commit suicide", False, "suicide_attempt (third party)"),
        ("I'm not suicidal, I'm fed up with my landlord", False, None),
    ],
)
def test_crisis_thoughts_are_flagged_with_whose_risk_they_are(
    thought: str, at_risk: bool, flag: str | None, tmp_path: Path
) -> None:
    path = tmp_path / "reframing.csv"
    path.write_text(
        "situation,thought,reframe,thinking_traps_addressed\n"
        f'A hard week.,"{thought}",Another reading.,catastrophizing\n',
        encoding="utf-8",
    )
    (p,) = import_seeds("reframing", path).personas
    assert p.at_risk is at_risk
    assert [f.split(":")[0] for f in p.risk_flags] == ([flag] if flag else [])


def test_many_rows_failing_alike_are_one_summed_up_problem() -> None:
    errors = [
        f"f.json record {i}: `thought`: Input should be a valid string" for i in range(1, 451)
    ]
    assert summarize(errors) == (
        "450 rows (f.json record 1, f.json record 2, f.json record 3, ...): `thought`: Input "
        "should be a valid string"
    )
    assert summarize(["a row 2: x", "a row 3: y"]) == "a row 2: x; a row 3: y"


def test_the_cli_writes_nothing_when_nothing_imports_and_says_it_in_one_paragraph(
    tmp_path: Path,
) -> None:
    path = tmp_path / "evaluation.json"
    record = json.loads(EVALUATION.read_text(encoding="utf-8"))[0]
    record["AI_client"]["intake_form"] = "Name:\nAnna\nAge:\n16"  # no problem, a minor
    path.write_text(json.dumps([record] * 40), encoding="utf-8")
    out = tmp_path / "seeds.jsonl"
    result = cli("seeds", "import", "cactus", path, "--out", out)
    assert result.returncode == 2 and result.stdout == ""
    assert not out.exists()
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and len(lines[0]) < 600, result.stderr
    assert lines[0].startswith(
        f"error: {path}: no row could be imported, so nothing was written to {out} (40 rows): "
        f"40 rows ({path} record 1, {path} record 2, {path} record 3, ...): "
    )


def test_the_cli_counts_seeds_telling_of_someone_elses_risk(tmp_path: Path) -> None:
    out = tmp_path / "seeds.jsonl"
    result = cli("seeds", "import", "cactus", DATA / "cactus_training.jsonl", "--out", out)
    assert result.returncode == 2  # the 16-year-old
    assert result.stdout.startswith(
        f"imported 2 personas from {DATA / 'cactus_training.jsonl'} into {out} (0 flagged "
        "at-risk, 1 telling of someone else's risk); 1 rows with errors"
    )


def test_no_crisis_seed_reaches_train_unflagged_in_a_run(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    path = tmp_path / "reframing.csv"
    rows = [
        ("Work was hard.", "Someone please kill me"),
        ("I got a bad grade.", "im ready to die"),
        ("Family dinner.", "My sister tried to commit suicide and it is my fault"),
        ("I was late.", "I always ruin everything"),
    ]
    path.write_text(
        "situation,thought,reframe,thinking_traps_addressed\n"
        + "".join(f'{s},"{t}",Another reading.,catastrophizing\n' for s, t in rows),
        encoding="utf-8",
    )
    seeds = tmp_path / "seeds.jsonl"
    write_personas(import_seeds("reframing", path).personas, seeds)
    config = scripted_config(
        seeds={"files": [str(seeds)], "sample": 4, "include_at_risk": True},
        filters={"enabled": ["turn_count"]},
    )
    out = tmp_path / "run"
    pipeline.run(pipeline.plan(load_pipeline(write_pipeline(config))), out)
    shards = sorted((out / "data" / "default").glob("*.parquet"))
    by_thought = {r["thought"]: r for s in shards for r in pq.read_table(s).to_pylist()}
    for thought in ("Someone please kill me", "im ready to die"):
        row = by_thought[thought]
        assert row["at_risk"] and row["probe_type"] is not None
        assert "passive_suicidal_ideation" in row["risk_labels"]
    sister = by_thought["My sister tried to commit suicide and it is my fault"]
    assert not sister["at_risk"] and sister["risk_labels"] == ["none"]
    assert any("(third party, seed)" in f for f in sister["safety_findings"])
