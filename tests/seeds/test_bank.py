from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest
import yaml

from healme_synth.errors import ConfigError
from healme_synth.records import Persona
from healme_synth.seeds.bank import load_personas, sample_personas
from tests.conftest import ROOT

BANK = ROOT / "personas" / "bank.yaml"


def row(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "p1",
        "name": "Ana",
        "age": 30,
        "gender": "female",
        "occupation": "baker",
        "situation": "Her cake collapsed at a wedding.",
        "thought": "I ruin everything.",
        "thinking_traps": ["overgeneralization"],
        "emotions": [{"name": "sad", "intensity": 70}],
        "attitude": "neutral",
    }
    base.update(overrides)
    return base


def test_the_shipped_bank_covers_every_trap_and_attitude_with_adults_only() -> None:
    personas = load_personas([BANK])
    assert len(personas) >= 60
    cells = collections.Counter((p.thinking_traps[0], p.attitude) for p in personas)
    assert len(cells) == 30 and min(cells.values()) >= 2
    assert min(p.age for p in personas) >= 18
    assert len({p.id for p in personas}) == len(personas)


def test_jsonl_and_yaml_load_the_same_persona(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(json.dumps(row()) + "\n\n")
    (tmp_path / "b.yaml").write_text(yaml.safe_dump({"personas": [row(id="p2")]}))
    a, b = load_personas([tmp_path / "a.jsonl", tmp_path / "b.yaml"])
    assert a == Persona.model_validate(row())
    assert b.model_dump() | {"id": "p1"} == a.model_dump()


def test_every_broken_row_is_reported_at_once_with_file_and_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps(row()),
                json.dumps(row(id="p2", age="old")),
                "{not json",
                json.dumps(row(id="p3", thinking_traps=["doom"], mood="x")),
                json.dumps(row(id="p1")),
                json.dumps(row(id="p4", age=16)),
            ]
        )
    )
    with pytest.raises(ConfigError) as e:
        load_personas([path])
    msg = str(e.value)
    assert msg.startswith("6 problems in the persona seeds: ")
    assert f"{path} line 2: field `age`: Input should be a valid integer" in msg
    assert f"{path} line 3: not valid JSON" in msg
    assert f"{path} line 4: field `thinking_traps.0`: Input should be 'labeling'" in msg
    assert f"{path} line 4: unknown key `mood`" in msg
    assert f"{path} line 5: id 'p1' already used at {path} line 1" in msg
    assert f"{path} line 6: persona 'p4' is 16; personas under 18 are refused by default" in msg


def test_minors_load_only_when_allowed(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps(row(age=17)))
    assert [p.age for p in load_personas([path], allow_minors=True)] == [17]


def test_a_yaml_file_without_a_personas_list_is_named(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("- id: 1\n")
    with pytest.raises(
        ConfigError, match="x.yaml: expected a YAML mapping with a `personas:` list"
    ):
        load_personas([path])


def test_sampling_is_deterministic_without_replacement_then_cycles() -> None:
    personas = load_personas([BANK])
    a = sample_personas(personas, 8, seed=3)
    assert a == sample_personas(personas, 8, seed=3)
    assert a != sample_personas(personas, 8, seed=4)
    assert len({p.id for p in a}) == 8
    many = sample_personas(personas, 150, seed=3)
    counts = collections.Counter(p.id for p in many)
    assert many[:8] == a and set(counts.values()) == {2, 3} and len(counts) == 60
    assert sample_personas(personas, None, seed=3) == personas
