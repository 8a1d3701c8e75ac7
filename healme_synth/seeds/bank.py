"""Stage 1: load persona seeds, apply the seed policy, and sample them under the run seed."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from healme_synth import inputs
from healme_synth.config import instruments
from healme_synth.errors import ConfigError
from healme_synth.records import Persona
from healme_synth.seeds import questionnaires


def load_personas(paths: Iterable[Path], allow_minors: bool = False) -> list[Persona]:
    """All personas of all files; every broken row of every file is reported at once."""
    personas: list[Persona] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in paths:
        for where, row in _rows(path, problems):
            try:
                persona = Persona.model_validate(row)
            except ValidationError as e:
                problems.extend(f"{where}: {_field_problem(err)}" for err in e.errors())
                continue
            bad = [instruments.validate(q) for q in persona.questionnaires]
            if any(bad):
                problems.extend(f"{where}: field `questionnaires`: {b}" for b in bad if b)
                continue
            # A condition label from the answers, and PHQ-9 item 9 above 0 marks the seed
            # at-risk: it goes to the safety path, never to a plain session.
            persona = questionnaires.enrich(persona)
            if persona.id in seen:
                problems.append(f"{where}: id {persona.id!r} already used at {seen[persona.id]}")
                continue
            if persona.age is not None and persona.age < 18 and not allow_minors:
                problems.append(
                    f"{where}: persona {persona.id!r} is {persona.age}; personas under 18 are "
                    "refused by default (set seeds.allow_minors: true only with a documented "
                    "reason)"
                )
                continue
            seen[persona.id] = where
            personas.append(persona)
    if problems:
        raise ConfigError(
            f"{len(problems)} problem{'s' if len(problems) > 1 else ''} in the persona seeds: "
            + "; ".join(problems)
            + "."
        )
    return personas


def _rows(path: Path, problems: list[str]) -> Iterable[tuple[str, Any]]:
    """(where, raw row) pairs; `where` names the file and the row for error messages."""
    try:
        text = inputs.read_text(path)
    except OSError as e:
        problems.append(f"{path}: cannot read ({e.strerror})")
        return
    if path.suffix == ".jsonl":
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                yield f"{path} line {n}", json.loads(line)
            except json.JSONDecodeError as e:
                problems.append(f"{path} line {n}: not valid JSON ({e.msg})")
        return
    try:
        data = inputs.load_yaml(text)
    except yaml.YAMLError as e:
        problems.append(f"{path}: not valid YAML ({e})")
        return
    if not isinstance(data, dict) or not isinstance(data.get("personas"), list):
        problems.append(f"{path}: expected a YAML mapping with a `personas:` list")
        return
    for n, row in enumerate(data["personas"], start=1):
        rid = row.get("id") if isinstance(row, dict) else None
        yield f"{path} persona {n}" + (f" (id {rid})" if rid else ""), row


def _field_problem(err: Any) -> str:
    field = ".".join(str(p) for p in err["loc"]) or "(row)"
    if err["type"] == "extra_forbidden":
        return f"unknown key `{field}`"
    if err["type"] == "missing":
        return f"`{field}` is required"
    return f"field `{field}`: {err['msg']} (got {err.get('input')!r})"


def sample_personas(personas: list[Persona], n: int | None, seed: int) -> list[Persona]:
    """n personas drawn without replacement, reshuffled for each further pass when n is larger.

    Deterministic under the run seed, and independent of anything but the bank and n.
    """
    if not personas:
        return []
    if n is None:
        return list(personas)
    rng = random.Random(seed)
    out: list[Persona] = []
    while len(out) < n:
        order = list(personas)
        rng.shuffle(order)
        out.extend(order[: n - len(out)])
    return out
