"""Questionnaire seeds: totals, bands, statements, labels, the safety flag and sampled answers."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from healme_synth.config import instruments
from healme_synth.errors import ConfigError
from healme_synth.records import Persona, Questionnaire
from healme_synth.seeds import questionnaires as qs

PHQ_BANDS = ["minimal", "mild", "moderate", "moderately_severe", "severe"]
GAD_BANDS = ["minimal", "mild", "moderate", "severe"]


def vector(total: int, items: int) -> list[int]:
    """Answers with the given total, filled 3 at a time from the first item."""
    out = []
    for _ in range(items):
        out.append(min(3, total))
        total -= out[-1]
    assert total == 0
    return out


def persona(*questionnaires: Questionnaire, **fields: object) -> Persona:
    return Persona.model_validate(
        {
            "id": "q-1",
            "thought": "I can't cope.",
            "attitude": "neutral",
            "questionnaires": [q.model_dump() for q in questionnaires],
            **fields,
        }
    )


def phq(*answers: int) -> Questionnaire:
    return Questionnaire(instrument="phq9", answers=list(answers))


def gad(*answers: int) -> Questionnaire:
    return Questionnaire(instrument="gad7", answers=list(answers))


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately_severe"),
        (19, "moderately_severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_total_and_band_at_every_edge(score: int, band: str) -> None:
    q = Questionnaire(instrument="phq9", answers=vector(score, 9))
    assert instruments.total(q) == score
    assert instruments.severity(q) == band


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_total_and_band_at_every_edge(score: int, band: str) -> None:
    q = Questionnaire(instrument="gad7", answers=vector(score, 7))
    assert instruments.total(q) == score
    assert instruments.severity(q) == band


def test_instrument_spellings_are_equivalent() -> None:
    for name in ("PHQ-9", "phq_9", "Phq9"):
        assert instruments.total(Questionnaire(instrument=name, answers=[1] * 9)) == 9


def test_statements_are_the_scored_items_in_order() -> None:
    assert qs.statements(phq(0, 1, 2, 0, 0, 0, 0, 0, 3)) == [
        "Some days I've felt low or a bit hopeless.",
        "I've had trouble sleeping, or slept way too much, more than half the days.",
        "Nearly every day I've had thoughts that I'd be better off gone, or about harming myself.",
    ]
    assert qs.statements(gad(3, 0, 0, 0, 0, 1, 0)) == [
        "Nearly every day I feel keyed up and anxious.",
        "Some days I've snapped at people more than usual.",
    ]


def test_all_zero_answers_give_one_no_symptoms_statement() -> None:
    assert qs.statements(phq(*[0] * 9)) == [
        "Over the last two weeks my mood, sleep, energy and appetite have all been pretty normal."
    ]
    assert qs.statements(gad(*[0] * 7)) == [
        "Over the last two weeks I haven't really felt anxious, tense or caught up in worry."
    ]


@pytest.mark.parametrize(
    ("questionnaires", "label"),
    [
        ([phq(*vector(10, 9)), gad(*vector(9, 7))], "mdd"),
        ([phq(*vector(9, 9)), gad(*vector(10, 7))], "gad"),
        ([phq(*vector(10, 9)), gad(*vector(10, 7))], "mdd+gad"),
        ([phq(*vector(9, 9)), gad(*vector(9, 7))], "control"),
        ([phq(*vector(27, 9))], "mdd"),
        ([gad(*vector(4, 7))], "control"),
        ([], "control"),
    ],
)
def test_condition_labels(questionnaires: list[Questionnaire], label: str) -> None:
    assert qs.condition(persona(*questionnaires)) == label


def test_self_harm_flag_reads_phq9_item_9_only() -> None:
    assert qs.self_harm_flag(persona(phq(0, 0, 0, 0, 0, 0, 0, 0, 1)))
    assert not qs.self_harm_flag(persona(phq(3, 3, 3, 3, 3, 3, 3, 3, 0)))
    assert not qs.self_harm_flag(persona(gad(3, 3, 3, 3, 3, 3, 3)))
    assert not qs.self_harm_flag(persona())


def test_enrich_fills_condition_and_at_risk() -> None:
    out = qs.enrich(persona(phq(2, 2, 2, 2, 2, 0, 0, 0, 1)))
    assert (out.condition, out.at_risk) == ("mdd", True)
    kept = qs.enrich(persona(phq(*[0] * 9), condition="mdd"))
    assert (kept.condition, kept.at_risk) == ("mdd", False)
    bare = qs.enrich(persona())
    assert (bare.condition, bare.at_risk) == (None, False)


@pytest.mark.parametrize(
    ("instrument", "answers", "problem"),
    [
        ("phq9", [1] * 8, "phq9 needs 9 answers, got 8"),
        ("GAD-7", [1] * 9, "gad7 needs 7 answers, got 9"),
        ("phq9", [0, 0, 4, 0, 0, 0, 0, 0, 0], "phq9 item 3 (sleep) is 4; answers are 0-3"),
        ("gad7", [0, 0, 0, 0, 0, 0, -1], "gad7 item 7 (dread) is -1; answers are 0-3"),
        ("bdi", [1] * 21, "unknown instrument 'bdi' (known: gad7, phq9)"),
        ("phq9", [0] * 9, None),
    ],
)
def test_validate_messages(instrument: str, answers: list[int], problem: str | None) -> None:
    # model_construct skips the record's own 0-3 check, so validate's message is what shows.
    q = Questionnaire.model_construct(instrument=instrument, answers=answers)
    assert instruments.validate(q) == problem
    if problem is not None:
        with pytest.raises(ValueError, match="^" + re.escape(problem) + "$"):
            instruments.total(q)


def test_record_rejects_answers_outside_0_to_3() -> None:
    with pytest.raises(ValidationError) as e:
        Questionnaire(instrument="phq9", answers=[0, 4])
    assert [(err["loc"], err["type"]) for err in e.value.errors()] == [
        (("answers", 1), "less_than_equal")
    ]


@pytest.mark.parametrize(
    ("instrument", "band"),
    [("phq9", b) for b in PHQ_BANDS] + [("gad7", b) for b in GAD_BANDS],
)
def test_answers_for_lands_in_the_band(instrument: str, band: str) -> None:
    vectors = set()
    for seed in range(50):
        answers = qs.answers_for(instrument, band, random.Random(seed))
        q = Questionnaire(instrument=instrument, answers=answers)
        assert instruments.validate(q) is None
        assert instruments.severity(q) == band
        if instrument == "phq9":
            assert answers[8] == 0
        assert answers == qs.answers_for(instrument, band, random.Random(seed))
        vectors.add(tuple(answers))
    assert len(vectors) > 10  # points spread over different items, not one fixed pattern


@pytest.mark.parametrize("band", PHQ_BANDS)
def test_answers_for_self_harm_sets_item_9(band: str) -> None:
    for seed in range(50):
        answers = qs.answers_for("phq9", band, random.Random(seed), self_harm=True)
        q = Questionnaire(instrument="phq9", answers=answers)
        assert answers[8] >= 1
        assert instruments.severity(q) == band
        assert qs.self_harm_flag(persona(q))


def test_answers_for_exact_vector() -> None:
    assert qs.answers_for("gad7", "mild", random.Random(1)) == [1, 0, 1, 0, 1, 0, 3]


def test_answers_for_refusals() -> None:
    with pytest.raises(ValueError, match=r"^phq9 has no band 'extreme' \(bands: minimal, mild,"):
        qs.answers_for("phq9", "extreme", random.Random(0))
    with pytest.raises(ValueError, match=r"^unknown instrument 'bdi'"):
        qs.answers_for("bdi", "mild", random.Random(0))
    with pytest.raises(ValueError, match=r"^gad7 has no self-harm item$"):
        qs.answers_for("gad7", "mild", random.Random(0), self_harm=True)


def test_data_files_have_a_statement_for_every_item_and_score() -> None:
    found = instruments.instruments()
    assert sorted(found) == ["gad7", "phq9"]
    assert instruments.INSTRUMENTS is found
    assert [len(found["phq9"].items), len(found["gad7"].items)] == [9, 7]
    assert [b.name for b in found["phq9"].bands] == PHQ_BANDS
    assert [b.name for b in found["gad7"].bands] == GAD_BANDS
    assert found["phq9"].self_harm_item == "self_harm" == found["phq9"].keys[8]
    for instrument in found.values():
        for item in instrument.items:
            assert len(item.statements) == 4
            assert all(s.strip() for s in item.statements), item.key
        sentences = [s for item in instrument.items for s in item.statements]
        assert len(set(sentences)) == len(sentences)


def test_broken_data_file_names_file_and_field(tmp_path: Path) -> None:
    data = yaml.safe_load((instruments.INSTRUMENTS_DIR / "gad7.yaml").read_text(encoding="utf-8"))
    data["items"][2]["statements"] = data["items"][2]["statements"][:3]
    path = tmp_path / "gad7.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        instruments.load_instrument(path)
    assert str(e.value) == (
        f"{path}: field `items.2.statements`: List should have at least 4 items after "
        "validation, not 3."
    )


def test_data_file_with_a_gap_in_the_bands(tmp_path: Path) -> None:
    data = yaml.safe_load((instruments.INSTRUMENTS_DIR / "gad7.yaml").read_text(encoding="utf-8"))
    data["bands"][1]["low"] = 6
    data["surprise"] = 1
    path = tmp_path / "gad7.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        instruments.load_instrument(path)
    assert str(e.value) == f"{path}: field `surprise`: Extra inputs are not permitted."
    del data["surprise"]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        instruments.load_instrument(path)
    assert str(e.value) == f"{path}: bands must cover 0-21 in order without gaps."


def test_empty_instrument_directory_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        instruments.instruments(tmp_path)
    assert str(e.value) == f"{tmp_path}: no questionnaire files (*.yaml) found."
