"""Screening instruments (PHQ-9, GAD-7) as data: personas/questionnaires/*.yaml maps each item's
score to a sentence the client could say, and gives the severity bands. The tables live with
the config because the sampler section is validated against their band names, and rows carry
totals and bands; seeds turn them into symptom statements and conditions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ConfigDict, Field, ValidationError, model_validator

from healme_synth import inputs
from healme_synth.errors import ConfigError
from healme_synth.records import Questionnaire, Record

INSTRUMENTS_DIR = Path(__file__).resolve().parents[2] / "personas" / "questionnaires"


MAX_SCORE = 3


class Item(Record):
    key: str = Field(min_length=1)
    topic: str = Field(min_length=1)
    statements: list[str] = Field(min_length=MAX_SCORE + 1, max_length=MAX_SCORE + 1)
    """What the client could say at score 0, 1, 2, 3 (index = score)."""


class Band(Record):
    name: str = Field(min_length=1)
    low: int = Field(ge=0)
    high: int = Field(ge=0)


class Instrument(Record):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    title: str = Field(min_length=1)
    items: list[Item] = Field(min_length=1)
    bands: list[Band] = Field(min_length=1)
    no_symptoms: str = Field(min_length=1)
    """What the client says when every item is 0."""
    self_harm_item: str | None = None
    """Key of the item that routes a nonzero answer to the safety layer (PHQ-9 item 9)."""

    @model_validator(mode="after")
    def _consistent(self) -> Instrument:
        # Bands must tile 0..max exactly, otherwise severity() could fall through a gap.
        expected = 0
        for band in self.bands:
            if band.low != expected or band.high < band.low:
                raise ValueError(f"bands must cover 0-{self.max_total} in order without gaps")
            expected = band.high + 1
        if expected != self.max_total + 1:
            raise ValueError(f"bands must end at {self.max_total} (items x {MAX_SCORE})")
        if self.self_harm_item is not None and self.self_harm_item not in self.keys:
            raise ValueError(f"self_harm_item {self.self_harm_item!r} is not an item key")
        return self

    @property
    def keys(self) -> list[str]:
        return [item.key for item in self.items]

    @property
    def max_total(self) -> int:
        return MAX_SCORE * len(self.items)

    def band(self, name: str) -> Band:
        for band in self.bands:
            if band.name == name:
                return band
        known = ", ".join(b.name for b in self.bands)
        raise ValueError(f"{self.name} has no band {name!r} (bands: {known})")


def load_instrument(path: Path) -> Instrument:
    """One instrument file; a broken file is a ConfigError naming the file and the field."""
    try:
        data: Any = inputs.load_yaml(inputs.read_text(path))
        return Instrument.model_validate(data)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the questionnaire file ({e.strerror}).") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from None
    except ValidationError as e:
        raise ConfigError(f"{path}: {'; '.join(map(_problem, e.errors()))}.") from None


def _problem(err: Any) -> str:
    msg = str(err["msg"]).removeprefix("Value error, ")
    field = ".".join(str(p) for p in err["loc"])
    return f"field `{field}`: {msg}" if field else msg


@inputs.cache  # a cached answer still reports the files it read to the run
def instruments(directory: Path = INSTRUMENTS_DIR) -> dict[str, Instrument]:
    """All instruments of a directory by name; read once, on first use (import stays cheap)."""
    found: dict[str, Instrument] = {}
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise ConfigError(f"{directory}: no questionnaire files (*.yaml) found.")
    for path in paths:
        instrument = load_instrument(path)
        if normalised_name(instrument.name) in found:
            raise ConfigError(f"{path}: field `name`: {instrument.name!r} is defined twice.")
        found[normalised_name(instrument.name)] = instrument
    return found


def __getattr__(name: str) -> dict[str, Instrument]:
    """`INSTRUMENTS` is the shipped instruments, loaded lazily on first access."""
    if name == "INSTRUMENTS":
        return instruments()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def normalised_name(name: str) -> str:
    """Seeds spell instruments as PHQ-9, phq9 or phq_9; all mean the same one."""
    return name.lower().replace("-", "").replace("_", "").replace(" ", "")


def get(name: str) -> Instrument:
    """The shipped instrument of that name; ValueError naming the known ones otherwise."""
    found = instruments().get(normalised_name(name))
    if found is None:
        raise ValueError(f"unknown instrument {name!r} (known: {', '.join(sorted(instruments()))})")
    return found


def validate(q: Questionnaire) -> str | None:
    """The problem with a questionnaire seed, or None; the seed loader prefixes file and row."""
    try:
        instrument = get(q.instrument)
    except ValueError as e:
        return str(e)
    if len(q.answers) != len(instrument.items):
        return f"{instrument.name} needs {len(instrument.items)} answers, got {len(q.answers)}"
    for n, (answer, item) in enumerate(zip(q.answers, instrument.items, strict=True), start=1):
        if not 0 <= answer <= MAX_SCORE:
            return f"{instrument.name} item {n} ({item.key}) is {answer}; answers are 0-{MAX_SCORE}"
    return None


def checked(q: Questionnaire) -> Instrument:
    problem = validate(q)
    if problem is not None:
        raise ValueError(problem)
    return get(q.instrument)


def total(q: Questionnaire) -> int:
    checked(q)
    return sum(q.answers)


def severity(q: Questionnaire) -> str:
    """The band name (e.g. `moderately_severe`) the total falls in."""
    instrument = checked(q)
    score = sum(q.answers)
    return next(b.name for b in instrument.bands if b.low <= score <= b.high)
