"""Who the client is: a persona seed, its questionnaire answers and report, and the closed
vocabularies (attitudes, HealMe's ten thinking traps, the twelve CBT techniques)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from healme_synth.records.base import Record

Attitude = Literal["positive", "neutral", "negative"]


ThinkingTrap = Literal[
    "labeling",
    "mind_reading",
    "fortune_telling",
    "catastrophizing",
    "all_or_nothing",
    "overgeneralization",
    "discounting_the_positive",
    "should_statements",
    "personalization",
    "mental_filtering",
]


# How HealMe's released table spells each trap (DOMAIN.md section 1); exporters write these and
# importers read them (and their variants) back.
HEALME_TRAP_LABELS: dict[str, str] = {
    "labeling": "Labeling and mislabeling",
    "mind_reading": "Jumping to conclusions: mind reading",
    "fortune_telling": "Jumping to conclusions: Fortune-telling",
    "catastrophizing": "Catastrophizing",
    "all_or_nothing": "Black-and-white or polarized thinking / All or nothing thinking",
    "overgeneralization": "Overgeneralization",
    "discounting_the_positive": "Discounting the positive",
    "should_statements": "Should statements",
    "personalization": "Personalization",
    "mental_filtering": "Mental filtering",
}


# The twelve CBT techniques a Cactus-style planner chooses from (DOMAIN.md section 2).
CBT_TECHNIQUES: tuple[str, ...] = (
    "Efficiency Evaluation",
    "Pie Chart Technique",
    "Alternative Perspective",
    "Decatastrophizing",
    "Pros and Cons Analysis",
    "Evidence-Based Questioning",
    "Reality Testing",
    "Continuum Technique",
    "Changing Rules to Wishes",
    "Behavior Experiment",
    "Problem-Solving Skills Training",
    "Systematic Exposure",
)


class Emotion(Record):
    name: str = Field(min_length=1)
    intensity: int = Field(ge=0, le=100)


class Questionnaire(Record):
    """Item-level answers to a screening instrument (PHQ-9, GAD-7), each 0-3 in item order."""

    instrument: str = Field(min_length=1)
    answers: list[Annotated[int, Field(ge=0, le=3)]]
    """Each 0-3; the per-instrument answer count is checked by questionnaires.validate (records
    must not import the instrument tables)."""


class CounselingReport(Record):
    """A CPsyCoun-style counseling report: the seed a `report` session is rebuilt from."""

    case_brief: str = Field(min_length=1)
    presenting_issue: str = Field(min_length=1)
    process: str = Field(min_length=1)
    outcome: str = Field(min_length=1)


class Persona(Record):
    """A client seed. Everything here is visible to the client role only.

    The bank's personas fill every field; imported seeds often carry only a thought and its
    traps (HealMe's table) or an intake form (Cactus), so demographics are optional.
    """

    id: str = Field(min_length=1)
    thought: str = Field(min_length=1)
    thinking_traps: list[ThinkingTrap] = Field(default_factory=list)
    """Traps among HealMe's ten; an imported seed may have none of them."""
    other_traps: list[str] = Field(default_factory=list)
    """Trap names a source used that are not among the ten (kept, not guessed)."""
    attitude: Attitude
    name: str | None = None
    age: int | None = Field(None, ge=0, le=120)
    gender: str | None = None
    occupation: str | None = None
    situation: str | None = None
    emotions: list[Emotion] = Field(default_factory=list)
    intake_form: str | None = None
    """A Cactus-style intake form (free text), when the seed has one."""
    at_risk: bool = False
    """Crisis content in the seed itself (e.g. a wish to die): never a plain reframing seed."""
    risk_flags: list[str] = Field(default_factory=list)
    """What the risk screen found in the seed's own words, as `label (self|third party):
    'triggers'`; at_risk is set by the client's own risk only (a sister's attempt is not)."""
    source: str | None = None
    """Where an imported seed came from: file and row."""
    receptivity: int | None = Field(None, ge=1, le=5)
    """How readily the client accepts a reframe: 1 holds out longest, 5 accepts quickly."""
    questionnaires: list[Questionnaire] = Field(default_factory=list)
    condition: str | None = None
    """A condition label (e.g. `mdd`, `control`), as SQPsych publishes it."""
    technique: str | None = None
    """A CBT technique the seed prescribes; None lets the planner choose."""
    report: CounselingReport | None = None
