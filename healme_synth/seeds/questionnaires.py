"""Questionnaire seeds (SQPsych style, DOMAIN.md section 3): PHQ-9 / GAD-7 item scores turned into
plain-language symptom statements, a condition label, a safety flag, and answers that realise
a sampled severity band. The instrument tables themselves are config/instruments.py."""

from __future__ import annotations

import random
from typing import Any

from healme_synth.config.instruments import (
    MAX_SCORE,
    checked,
    get,
    normalised_name,
    total,
)
from healme_synth.records import Persona, Questionnaire

# 10 is the usual screening cut-off for both PHQ-9 and GAD-7 (the start of the moderate band).
CUTOFF = 10


def statements(q: Questionnaire) -> list[str]:
    """What the client would say about each symptom they scored, in item order.

    Items scored 0 are left out so the client does not recite a checklist of absent symptoms.
    """
    instrument = checked(q)
    said = [item.statements[a] for item, a in zip(instrument.items, q.answers, strict=True) if a]
    return said or [instrument.no_symptoms]


def _find(persona: Persona, name: str) -> Questionnaire | None:
    """The persona's first answers to an instrument (a seed normally has at most one)."""
    return next((q for q in persona.questionnaires if normalised_name(q.instrument) == name), None)


def condition(persona: Persona) -> str:
    """`mdd`, `gad`, `mdd+gad` or `control`, from PHQ-9 / GAD-7 totals at the cut-off of 10."""
    phq, gad = _find(persona, "phq9"), _find(persona, "gad7")
    mdd = phq is not None and total(phq) >= CUTOFF
    anxious = gad is not None and total(gad) >= CUTOFF
    return {(True, True): "mdd+gad", (True, False): "mdd", (False, True): "gad"}.get(
        (mdd, anxious), "control"
    )


def self_harm_flag(persona: Persona) -> bool:
    """A nonzero self-harm item (PHQ-9 item 9): the persona must go to the safety layer (§7)."""
    for q in persona.questionnaires:
        instrument = checked(q)
        item = instrument.self_harm_item
        if item is not None and q.answers[instrument.keys.index(item)] > 0:
            return True
    return False


def answers_for(
    instrument: str, band: str, rng: random.Random, self_harm: bool = False
) -> list[int]:
    """Item answers whose total lies in `band`, for a sampler realising a sampled severity.

    Points go one at a time to random items that still have room, so symptoms differ from
    persona to persona; the same rng state gives the same vector. The self-harm item stays 0
    unless asked for, so crisis content never enters a seed by chance.
    """
    found = get(instrument)
    chosen = found.band(band)
    harm = found.keys.index(found.self_harm_item) if found.self_harm_item is not None else None
    if self_harm and harm is None:
        raise ValueError(f"{found.name} has no self-harm item")
    answers = [0] * len(found.items)
    open_items = [i for i in range(len(answers)) if i != harm or self_harm]
    low = max(chosen.low, 1 if self_harm else 0)
    high = min(chosen.high, MAX_SCORE * len(open_items))
    if low > high:
        raise ValueError(f"{found.name} band {band!r} cannot be reached with these items")
    points = rng.randint(low, high)
    if self_harm and harm is not None:
        answers[harm] = 1
        points -= 1
    for _ in range(points):
        i = rng.choice([i for i in open_items if answers[i] < MAX_SCORE])
        answers[i] += 1
    return answers


def enrich(persona: Persona) -> Persona:
    """A copy with the condition label derived (when missing) and at_risk set by the safety item."""
    update: dict[str, Any] = {}
    if persona.condition is None and persona.questionnaires:
        update["condition"] = condition(persona)
    if self_harm_flag(persona):
        update["at_risk"] = True
    return persona.model_copy(update=update) if update else persona
