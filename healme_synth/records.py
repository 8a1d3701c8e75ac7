"""The records that flow through the pipeline. They *are* the dataset schema.

Roles are stored in dialogue terms (counselor, client); mapping to user/assistant happens only
when a request or a training row is built.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

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


class Record(BaseModel):
    """Unknown keys are an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


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


class Counts(Record):
    dialogues: int = 0
    kept: int = 0
    rejected: int = 0
    by_reason: dict[str, int] = Field(default_factory=dict)


class Tokens(Record):
    prompt: int = 0
    completion: int = 0
    cached: int = 0


class ItemSummary(Record):
    mean: float | None = None
    """Mean over the dialogues with a verdict of their score on this item."""
    spread: float | None = None
    """Mean over the same dialogues of the item's spread: how far samples disagree, typically."""


class AffectSummary(Record):
    """PANAS over the dialogues with a PANAS verdict: did the client feel better after?"""

    positive_delta: float | None = None
    """Mean change (after - before) of the positive affect mean; success is above 0."""
    negative_delta: float | None = None
    """Mean change (after - before) of the negative affect mean; success is below 0."""
    negative_fell: float | None = None
    """Share (0-1) of those dialogues whose negative affect fell."""
    positive_rose: float | None = None
    """Share (0-1) of those dialogues whose positive affect rose."""


class JudgeSummary(Record):
    """One judge over a run: means over dialogues and how many replies were missing."""

    judge: str
    rubric: str
    models: dict[str, str]
    """Judge role -> model label."""
    samples: int = 1
    """Seeded requests per judge role per dialogue."""
    judged: int = 0
    """Dialogues judged."""
    missing: int = 0
    """Dialogues none of whose replies parsed (a missing verdict, never scored 0)."""
    replies: int = 0
    replies_missing: int = 0
    mean: float | None = None
    spread: float | None = None
    """Mean over dialogues of the verdict spread (largest item spread)."""
    items: dict[str, ItemSummary] = Field(default_factory=dict)
    affect: AffectSummary | None = None


class SafetyTypeSummary(Record):
    """One probe type over a run (or `unprobed`: disclosures the screen found without a probe)."""

    planned: int = 0
    """Dialogues assigned this probe type."""
    injected: int = 0
    """Probes actually placed (the dialogue was played up to the probe's turn)."""
    safe: int = 0
    unsafe: int = 0
    unverified: int = 0
    appropriate_rate: float | None = None
    """safe / (safe + unsafe): the share of verified counselor responses that were appropriate."""


class SafetyReport(Record):
    """What the safety layer did in a run: probes by type, verdicts, what was routed away."""

    probe_fraction: float
    """The target share of dialogues with a probe (safety.probe_fraction)."""
    dialogues: int = 0
    probes_planned: int = 0
    probes_injected: int = 0
    achieved_fraction: float | None = None
    """probes_planned / dialogues (at-risk seeds are always probed and count here)."""
    at_risk_seeds: int = 0
    """At-risk seeds in the run (seeds.include_at_risk), each given the crisis-aware path."""
    disclosures: int = 0
    """Dialogues with a disclosure: an injected probe or a client turn the risk screen flagged."""
    by_type: dict[str, SafetyTypeSummary] = Field(default_factory=dict)
    verdicts: dict[str, int] = Field(default_factory=dict)
    """safe / unsafe / unverified over every checked dialogue."""
    failed: dict[str, int] = Field(default_factory=dict)
    """Criterion -> dialogues that failed it."""
    reasons: dict[str, int] = Field(default_factory=dict)
    """Safety reason -> dialogues (unsafe_response, stigma, sycophancy, safety_unverified)."""
    decided_by_rules: int = 0
    """Unsafe dialogues the rule pre-check caught without asking the judge."""
    routed: int = 0
    """Dialogues written to the `safety_review` split instead of train or rejected."""
    risk_labels: dict[str, int] = Field(default_factory=dict)
    """Taxonomy label -> dialogues carrying it."""


class JudgeReport(Record):
    """What `healme-synth judge` writes as summary.json."""

    counts: Counts
    judges: list[JudgeSummary]
    tokens: Tokens
    failures: dict[str, int] = Field(default_factory=dict)
    """Dialogues whose judge requests still failed after their retries, counted by error."""


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
    judges: list[JudgeSummary] = Field(default_factory=list)
    """One per enabled judge, in the order of `judges:`."""
    shards: list[str]
    seconds: float
    """Run time; a resumed run adds up its sessions (each up to its last journal write)."""
    tokens_per_second: float | None = None
    """Generated (completion) tokens per second of `seconds`."""
    cache_hit_rate: float | None = None
    """Prefix-cache hit rate: cached / prompt tokens over the run (None without prompts)."""
    at_risk_held_back: int = 0
    """Seeds flagged at-risk that this run did not use (seeds.include_at_risk is off)."""
    uptake: dict[str, Any] | None = None
    """Turn of first accepted reframe over kept dialogues: mean, by attitude and receptivity."""
    distribution: dict[str, Any] | None = None
    """With a persona sampler: target, sampled and kept shares per attribute."""
    safety: SafetyReport | None = None
    """Probes injected by type, appropriate-response rate by type, unsafe dialogues routed."""
    failures: dict[str, int] = Field(default_factory=dict)
    """Dialogues that failed to generate (`generation_failed`: a request still failing after
    its retries), counted by error, most frequent first."""
