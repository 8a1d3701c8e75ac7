"""The records that flow through the pipeline. They *are* the dataset schema.

Roles are stored in dialogue terms (counselor, client); mapping to user/assistant happens only
when a request or a training row is built.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["counselor", "client"]
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


class Record(BaseModel):
    """Unknown keys are an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Emotion(Record):
    name: str = Field(min_length=1)
    intensity: int = Field(ge=0, le=100)


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
    source: str | None = None
    """Where an imported seed came from: file and row."""


class Message(Record):
    """One utterance, with what the engine said about producing it."""

    role: Role
    content: str
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0


class Verdict(Record):
    """A judge's scores. A reply that did not parse has parsed=False and no scores, never 0s."""

    rubric: str
    model: str
    scores: dict[str, int | None]
    mean: float | None
    parsed: bool
    raw: str


class Reason(Record):
    """Why a dialogue was rejected: a stable name to count by, and a detail for people."""

    name: str
    detail: str


class Dialogue(Record):
    id: str
    protocol: str
    persona: Persona
    run_seed: int
    models: dict[str, str] = Field(default_factory=dict)
    messages: list[Message] = Field(default_factory=list)
    verdict: Verdict | None = None
    reasons: list[Reason] = Field(default_factory=list)

    @property
    def kept(self) -> bool:
        return not self.reasons


class Counts(Record):
    dialogues: int = 0
    kept: int = 0
    rejected: int = 0
    by_reason: dict[str, int] = Field(default_factory=dict)


class Tokens(Record):
    prompt: int = 0
    completion: int = 0
    cached: int = 0


class JudgeSummary(Record):
    rubric: str
    model: str
    judged: int = 0
    missing: int = 0
    item_means: dict[str, float | None] = Field(default_factory=dict)
    mean: float | None = None


class Manifest(Record):
    """What a run was and what it produced; written as manifest.json beside the shards."""

    name: str
    protocol: str
    run_seed: int
    config: dict[str, object]
    config_sha256: str
    models: dict[str, str]
    versions: dict[str, str]
    counts: Counts
    tokens: Tokens
    judge: JudgeSummary | None
    shards: list[str]
    seconds: float
    at_risk_held_back: int = 0
    """Seeds flagged at-risk that this run did not use (seeds.include_at_risk is off)."""
