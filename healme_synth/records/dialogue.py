"""A dialogue as it is played, checked and stored: its messages, verdicts, probe, safety check
and reasons. Roles are stored in dialogue terms (counselor, client); mapping to
user/assistant happens only when a request or a training row is built."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from healme_synth.records.base import Record
from healme_synth.records.persona import Persona

Role = Literal["counselor", "client"]


class Message(Record):
    """One utterance, with what the engine said about producing it."""

    role: Role
    content: str
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0


class Sample(Record):
    """One judge reply (PANAS: its before/after pair) from one judge role. A reply that did not
    parse has parsed=False and no scores, never 0s."""

    role: str
    """The judge role that answered (judge, judge_<name>)."""
    model: str
    index: int
    """Which of the role's `samples` seeded requests this is, from 0."""
    parsed: bool
    scores: dict[str, float]
    """Item scores as replied; PANAS: the affect means before/after and their changes."""
    raw: list[str]
    """The reply text; PANAS: the before reply, then the after reply."""


class Verdict(Record):
    """One judge's combined verdict on one dialogue, over every sample of every judge role.

    Per item: the mean over parsed samples and the spread (max - min) among them. No parsed
    sample means a missing verdict (parsed=0, no scores, mean None), never a score of 0.
    """

    judge: str
    """The judge's key in `judges:` of the pipeline file."""
    rubric: str
    scores: dict[str, float]
    spreads: dict[str, float]
    mean: float | None
    """Mean of the item scores (None for PANAS, whose items are before/after affect)."""
    spread: float | None
    """The largest item spread: how far the samples disagree at worst."""
    parsed: int
    missing: int
    samples: list[Sample]


class Reason(Record):
    """Why a dialogue was rejected: a stable name to count by, and a detail for people."""

    name: str
    detail: str


class Probe(Record):
    """A crisis probe (DOMAIN.md section 7): the client's message at `turn` is this text, placed
    instead of a generated reply, so the disclosure is exact and the counselor's answer testable."""

    type: str
    """The probe type: a file of personas/probes/ (e.g. means_request, delusion)."""
    turn: int
    """Index of the client message the probe replaces."""
    text: str
    labels: list[str]
    """Risk-taxonomy labels the probe discloses (safety.RISK_LABELS)."""
    variant: int = 0
    """Which text of the type was used (before persona fields were filled in)."""
    note: str | None = None
    """Crisis guidance added to the counselor's next request (its view only); None: unguided."""


class Disclosure(Record):
    """One risk label found in a dialogue: where, whose, by what, and the words that set it off."""

    label: str
    """A risk-taxonomy label, or delusion / mania / command_hallucination / compulsion."""
    turn: int | None
    """Index of the client message, from 0 like every turn column; None: the seed's own text."""
    subject: Literal["self", "third_party"] = "self"
    """The client's own risk, or someone else's the client tells of (a sister's attempt)."""
    source: Literal["probe", "rules", "judge", "seed"]
    """An injected probe, the rule screen, the LLM risk screen, or the seed's text."""
    triggers: list[str] = Field(default_factory=list)
    """The words that set it off, as written (a judge's model name for source judge)."""


class SafetyCheck(Record):
    """The counselor safety check of one dialogue: rule pre-check, then the safety judge on the
    counselor's turns after a disclosure. An unparsed judge reply is `unverified`, never safe."""

    verdict: Literal["safe", "unsafe", "unverified"]
    disclosure_turn: int | None = None
    """Index of the first client message disclosing risk (a probe, or found by the screen)."""
    checked_turns: list[int] = Field(default_factory=list)
    """Counselor message indexes the crisis criteria were checked on."""
    failed: list[str] = Field(default_factory=list)
    """Criteria not met (safety.CRITERIA), by the rules or the judge."""
    criteria: dict[str, bool] = Field(default_factory=dict)
    """The judge's answers, pooled over its samples (a criterion passes only if all parsed
    samples say so); empty when the judge was not asked or no reply parsed."""
    findings: list[str] = Field(default_factory=list)
    """What the rules found (criterion, turn, the words) and why a verdict is unverified."""
    models: list[str] = Field(default_factory=list)
    """Judge models asked."""
    raw: list[str] = Field(default_factory=list)
    """The judge's replies as written."""
    disclosures: list[Disclosure] = Field(default_factory=list)
    """Every label found, with turn, subject, source and triggers (also in `findings` as text,
    which is what the shards store)."""


class Dialogue(Record):
    id: str
    protocol: str
    persona: Persona
    run_seed: int
    models: dict[str, str] = Field(default_factory=dict)
    messages: list[Message] = Field(default_factory=list)
    technique: str | None = None
    """The CBT technique of the hidden plan (counselor's view only)."""
    plan: str | None = None
    """The hidden session plan (counselor's view only)."""
    end_marker_at: int | None = None
    """Index of the message that carried the end marker (stripped from its text); None: none."""
    first_reframe_turn: int | None = None
    """Index of the client message that first accepted a reframe; None: never, or not measured."""
    verdicts: list[Verdict] = Field(default_factory=list)
    """One per judge that judged the dialogue (dialogues a filter rejected are not judged)."""
    probe: Probe | None = None
    """The crisis probe placed in this dialogue, if any (safety.probe_fraction, at-risk seeds)."""
    risk_labels: list[str] = Field(default_factory=list)
    """Risk-taxonomy labels present (probe, screened client turns, at-risk seed); ["none"]
    when checked and nothing was found; empty when the safety layer did not run."""
    safety: SafetyCheck | None = None
    """The counselor safety check; None when the safety layer did not run on the dialogue."""
    reasons: list[Reason] = Field(default_factory=list)

    @property
    def kept(self) -> bool:
        return not self.reasons


class Tokens(Record):
    prompt: int = 0
    completion: int = 0
    cached: int = 0
