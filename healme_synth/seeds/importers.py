"""Seeds from the reference datasets' files: HealMe's training table, the reframing CSV, Cactus.

A bad row is reported with its row number and the rest is imported (rows failing the same way
are summed up in one paragraph); trap names are normalised to HealMe's ten (others are kept
aside, never guessed; a cell may hold several); seeds whose own words disclose risk (the risk
screen) are flagged at-risk so no plain reframing protocol gets them unflagged, and someone
else's risk they mention (a sister's attempt) is noted without making the client at-risk.
Text whose encoding broke (mojibake) is reported per row, never imported silently.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError

from healme_synth.errors import ConfigError
from healme_synth.records import HEALME_TRAP_LABELS, Persona, ThinkingTrap
from healme_synth.seeds import cactus, intake, risk_screen

TRAPS: tuple[str, ...] = get_args(ThinkingTrap)


def _key(name: str) -> str:
    return " ".join(re.sub(r"[^a-z ]+", " ", name.lower()).split())


# Spellings seen in HealMe, the reframing dataset and Cactus, after _key() folding.
_ALIASES: dict[str, str] = {
    **{name.replace("_", " "): name for name in TRAPS},
    **{_key(label): name for name, label in HEALME_TRAP_LABELS.items()},
    "labelling": "labeling",
    "labeling and mislabeling": "labeling",
    "labelling and mislabelling": "labeling",
    "mislabeling": "labeling",
    "jumping to conclusions mind reading": "mind_reading",
    "mind reading": "mind_reading",
    "mindreading": "mind_reading",
    "jumping to conclusions fortune telling": "fortune_telling",
    "fortune telling": "fortune_telling",
    "catastrophising": "catastrophizing",
    "magnification": "catastrophizing",
    "all or nothing": "all_or_nothing",
    "all or nothing thinking": "all_or_nothing",
    "black and white thinking": "all_or_nothing",
    "black and white or polarized thinking all or nothing thinking": "all_or_nothing",
    "polarized thinking": "all_or_nothing",
    "overgeneralizing": "overgeneralization",
    "overgeneralisation": "overgeneralization",
    "overgeneralising": "overgeneralization",
    "over generalization": "overgeneralization",
    "disqualifying the positive": "discounting_the_positive",
    "discounting positives": "discounting_the_positive",
    "should statement": "should_statements",
    "shoulds": "should_statements",
    "personalizing": "personalization",
    "personalisation": "personalization",
    "personalising": "personalization",
    "mental filter": "mental_filtering",
    "filtering": "mental_filtering",
}


def normalise_traps(names: list[str]) -> tuple[list[str], list[str]]:
    """(traps among the ten, other names as given), each in first-seen order."""
    known: list[str] = []
    other: list[str] = []
    for name in names:
        if not name.strip():
            continue
        canonical = _ALIASES.get(_key(name))
        if canonical is not None:
            if canonical not in known:
                known.append(canonical)
        elif name.strip() not in other:
            other.append(name.strip())
    return known, other


def at_risk(*texts: str | None) -> bool:
    """Whether the seed's own words disclose the client's own risk (the risk screen)."""
    return any(
        h.subject == risk_screen.SELF for t in texts if t for h in risk_screen.screen_text(t)
    )


def risk_flags(*texts: str | None) -> list[str]:
    """Every label the screen finds in the seed's words, whose it is, and the words."""
    found: dict[tuple[str, str], list[str]] = {}
    for text in texts:
        for h in risk_screen.screen_text(text or ""):
            words = found.setdefault((h.label, h.subject), [])
            words += [t for t in h.triggers if t not in words]
    return [
        f"{label} ({'self' if who == risk_screen.SELF else 'third party'}): "
        + "; ".join(f"'{t}'" for t in words)
        for (label, who), words in found.items()
    ]


SHOWN = 3
"""Rows named when many rows fail the same way."""


def summarize(errors: list[str]) -> str:
    """Errors as one paragraph: each distinct problem once, with how many rows had it and
    the first few of them (not 450 copies of one message)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for error in errors:
        where, _, problem = error.partition(": ")
        groups[problem].append(where)
    parts = []
    for problem, places in groups.items():
        if len(places) <= SHOWN:
            parts += [f"{where}: {problem}" for where in places]
            continue
        parts.append(f"{len(places)} rows ({', '.join(places[:SHOWN])}, ...): {problem}")
    return "; ".join(parts)


@dataclass
class Imported:
    personas: list[Persona] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """One message per bad row, naming the file and the row."""

    @property
    def at_risk(self) -> int:
        return sum(p.at_risk for p in self.personas)


def _persona(data: dict[str, Any], where: str, allow_minors: bool) -> Persona:
    """Validate a seed, with the same policy as the bank (no minors by default)."""
    texts = [data.get(k) for k in ("thought", "situation", "intake_form")]
    for key, text in zip(("thought", "situation", "intake_form"), texts, strict=True):
        broken = intake.mojibake(text) if isinstance(text, str) else None
        if broken:
            raise ValueError(
                f"`{key}` has broken encoding ({broken}): the file was saved from another "
                "encoding; fix the row or export the file again as UTF-8"
            )
    words = [t for t in texts if isinstance(t, str)]
    try:
        persona = Persona.model_validate(
            {
                "source": where,
                **data,
                "at_risk": at_risk(*words),
                "risk_flags": risk_flags(*words),
            }
        )
    except ValidationError as e:
        raise ValueError(
            "; ".join(
                f"`{'.'.join(str(p) for p in err['loc'])}`: {err['msg']}" for err in e.errors()
            )
        ) from None
    if persona.age is not None and persona.age < 18 and not allow_minors:
        raise ValueError(
            f"the client is {persona.age}; personas under 18 are refused by default "
            "(--allow-minors only with a documented reason)"
        )
    return persona


def _traps(value: Any) -> tuple[list[str], list[str]]:
    """A list of names, or one cell holding several ("all-or-nothing thinking,labeling")."""
    names = value if isinstance(value, list) else [value]
    return normalise_traps([part for n in names for part in re.split(r"[,;]", str(n or ""))])


def _csv_rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number as a spreadsheet shows it, row); the header must hold the columns."""
    with path.open(newline="", encoding="utf-8-sig") as f:  # -sig: Excel's "CSV UTF-8"
        reader = csv.DictReader(f)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise ConfigError(
                f"{path}: expected a CSV with the columns {', '.join(columns)}; "
                f"missing: {', '.join(missing)} (header: {', '.join(reader.fieldnames or [])})."
            )
        yield from _records(path, reader)


def _records(path: Path, reader: csv.DictReader[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows, numbered; a quote that never closes is refused with the row it opened in.
    (Python's csv reads an unclosed quote to the end of the file as one cell: the rows after
    it vanished into that cell, and only a later "row N" cell-count error hinted at it.)"""
    row, start, end, at = 1, 0, 0, 0  # `start`: the last row's first line
    records = iter(reader)
    while True:
        at = reader.line_num + 1
        try:
            record = next(records)
        except StopIteration:
            break
        except csv.Error as e:
            raise ConfigError(
                f"{path} row {row + 1} (line {at}): not readable as CSV ({e}); a cell this "
                "long is usually a quote opened there and never closed, which swallows the "
                "rest of the file. Close the quote (or split the cell) and import again."
            ) from None
        row, start, end = row + 1, at, reader.line_num
        yield row, record
    if end > start and _unclosed(path, start):
        raise ConfigError(
            f"{path} row {row} (line {start}): a quote opened in this row is never closed, so "
            f"lines {start + 1}-{end} (every row after it) were read into one of its cells "
            "(nothing was imported from the file). Close the quote and import again."
        )


def _unclosed(path: Path, line: int) -> bool:
    """Whether the CSV from `line` on ends inside a quoted cell."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        rest = "".join(text for n, text in enumerate(f, start=1) if n >= line)
    try:
        for _ in csv.reader(io.StringIO(rest), strict=True):
            pass
    except csv.Error as e:
        return "unexpected end of data" in str(e)
    return False


# A reader yields (where, the seed's fields) for a good row, or (where, an error message).
Rows = Iterator[tuple[str, dict[str, Any] | str]]
BAD_CELLS = "the row has a different number of cells than the header"


def _healme(path: Path) -> Rows:
    """HealMe's training table: one (thinking trap, thought) seed per row."""
    for line, row in _csv_rows(path, ("thinking_trap", "thought")):
        where = f"{path} row {line}"
        if None in row or any(v is None for v in row.values()):
            yield where, BAD_CELLS
            continue
        traps, other = _traps(row["thinking_trap"])
        data = {
            "id": f"{path.name}:{row.get('index') or line}",
            "thought": row["thought"].strip(),
            "thinking_traps": traps,
            "other_traps": other,
            "attitude": "neutral",
        }
        yield where, data


def _reframing(path: Path) -> Rows:
    """The reframing CSV: each (situation, thought) appears on several rows with different
    reframes; one seed per pair, with the traps of all its rows."""
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    columns = ("situation", "thought", "reframe", "thinking_traps_addressed")
    for line, row in _csv_rows(path, columns):
        where = f"{path} row {line}"
        if None in row or any(v is None for v in row.values()):
            yield where, BAD_CELLS
            continue
        key = (row["situation"].strip(), row["thought"].strip())
        if key in pairs:
            pairs[key]["names"].extend(row["thinking_traps_addressed"].split(","))
            continue
        pairs[key] = {"where": where, "names": row["thinking_traps_addressed"].split(",")}
    for n, ((situation, thought), seen) in enumerate(pairs.items(), start=1):
        traps, other = normalise_traps(seen["names"])
        data = {
            "id": f"{path.name}:{n:05d}",
            "situation": situation,
            "thought": thought,
            "thinking_traps": traps,
            "other_traps": other,
            "attitude": "neutral",
        }
        where = seen["where"]
        yield where, data


def _cactus(path: Path) -> Rows:
    """Cactus records, training or evaluation layout (seeds/cactus.py)."""
    return cactus.read(path, _traps)


READERS: dict[str, Callable[[Path], Rows]] = {
    "healme": _healme,
    "reframing": _reframing,
    "cactus": _cactus,
}


def import_seeds(format: str, path: Path, allow_minors: bool = False) -> Imported:
    """Every good row as a Persona; every bad row as an error naming it."""
    if format not in READERS:
        raise ConfigError(f"unknown seed format {format!r}; expected one of: {', '.join(READERS)}.")
    if not path.is_file():
        raise ConfigError(f"{path}: no such file to import.")
    result = Imported()
    try:
        rows = list(READERS[format](path))
    except UnicodeDecodeError as e:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {e.start}); save it as UTF-8 and import again."
        ) from None
    for where, row in rows:
        if isinstance(row, str):
            result.errors.append(f"{where}: {row}")
            continue
        try:
            result.personas.append(_persona(row, where, allow_minors))
        except ValueError as e:
            result.errors.append(f"{where}: {e}")
    return result
