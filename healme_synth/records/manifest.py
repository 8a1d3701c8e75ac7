"""What a run produced, summed up: counts, judge and safety summaries, and the manifest written
beside the shards."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from healme_synth.records.base import Record
from healme_synth.records.dialogue import Tokens
from healme_synth.records.metrics import Metrics


class Counts(Record):
    dialogues: int = 0
    kept: int = 0
    rejected: int = 0
    by_reason: dict[str, int] = Field(default_factory=dict)


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
    metrics: Metrics | None = None
    """Diversity and realism of the kept dialogues (distinct-n, EAD, repeats, openers, ...)."""
    failures: dict[str, int] = Field(default_factory=dict)
    """Dialogues that failed to generate (`generation_failed`: a request still failing after
    its retries), counted by error, most frequent first."""
