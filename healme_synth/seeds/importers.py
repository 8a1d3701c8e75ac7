"""Seeds from the reference datasets' files: HealMe's training table, the reframing CSV, Cactus.

A bad row is reported with its row number and the rest is imported; trap names are normalised
to HealMe's ten (others are kept aside, never guessed); seeds whose thought carries crisis
content are flagged at-risk so no plain reframing protocol gets them unflagged.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError

from healme_synth.errors import ConfigError
from healme_synth.records import HEALME_TRAP_LABELS, Persona, ThinkingTrap

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

# Crisis content in a seed's own words (DOMAIN.md section 1): screened, never silently used.
_RISK = re.compile(
    r"suicid|kill(?:ing)? my ?self"
    r"|(?:want|wish)(?:ed|es)? (?:someone|somebody) (?:would|to) kill me"
    r"|end(?:ing)? (?:my|it) (?:life|all)|take my (?:own )?life|better off dead"
    r"|\bwish(?:ed|es|ing)? (?:i (?:could|would|was|were) )?(?:just )?(?:to )?"
    r"(?:die|be dead|dead)\b"
    r"|want(?:ed|s)? to die|(?:don'?t|do not) want to (?:live|be alive)|no reason to live"
    r"|self[- ]?harm|hurt(?:ing)? my ?self|cut(?:ting)? my ?self",
    re.IGNORECASE,
)


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
    return any(_RISK.search(t) for t in texts if t)


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
    risky = at_risk(data.get("thought"), data.get("situation"), data.get("intake_form"))
    try:
        persona = Persona.model_validate({**data, "at_risk": risky, "source": where})
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
    names = value if isinstance(value, list) else str(value or "").split(",")
    return normalise_traps([str(n) for n in names])


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
        yield from enumerate(reader, start=2)


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
        traps, other = _traps([row["thinking_trap"]])
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


_INTAKE_LINE = re.compile(
    r"^[ \t]*(name|age|gender|occupation)[ \t]*:[ \t]*([^\n]+?)[ \t]*$", re.I | re.M
)


def _cactus(path: Path) -> Rows:
    """Cactus records (a JSON array or JSONL): the intake form, thought, patterns, attitude."""
    text = path.read_text(encoding="utf-8-sig")
    records: list[tuple[str, Any]]
    if text.lstrip().startswith("["):
        try:
            records = [(f"{path} record {i}", r) for i, r in enumerate(json.loads(text), 1)]
        except json.JSONDecodeError as e:
            raise ConfigError(f"{path}: not valid JSON (line {e.lineno}: {e.msg}).") from None
    else:
        records = []
        for n, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    records.append((f"{path} line {n}", json.loads(line)))
                except json.JSONDecodeError as e:
                    records.append((f"{path} line {n}", ValueError(f"not valid JSON ({e.msg})")))
    for i, (where, record) in enumerate(records, start=1):
        if isinstance(record, ValueError):
            yield where, str(record)
            continue
        if not isinstance(record, dict):
            yield where, "expected a JSON object with thought, patterns, intake_form, ..."
            continue
        intake = str(record.get("intake_form") or "") or None
        fields = {k.lower(): v for k, v in _INTAKE_LINE.findall(intake or "")}
        traps, other = _traps(record.get("patterns"))
        age = fields.get("age", "")
        data = {
            "id": f"{path.name}:{i:05d}",
            "thought": record.get("thought"),
            "thinking_traps": traps,
            "other_traps": other,
            "attitude": str(record.get("attitude", "")).strip().lower(),
            "intake_form": intake,
            "name": fields.get("name"),
            "age": int(age) if age.isdigit() else None,
            "gender": fields.get("gender"),
            "occupation": fields.get("occupation"),
        }
        yield where, data


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
