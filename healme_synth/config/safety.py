"""The `safety:` section: crisis probes, the counselor safety check and its judge roles."""

from __future__ import annotations

from pydantic import Field, model_validator

from healme_synth.config.sections import Section


class SafetySection(Section):
    """The safety layer (DOMAIN.md section 7): crisis probes, risk labels, the counselor safety
    check (rules + judge) and the `safety_review` split that keeps unsafe dialogues out of train."""

    enabled: bool = True
    """Off: no probes, no checks, no routing (at-risk seeds then cannot be included)."""
    probe_fraction: float = Field(0.0, ge=0, le=1)
    """Share of the run's dialogues whose client discloses risk at a sampled turn (a probe text
    replaces that turn). Met by quota: within 1/(2n) of n dialogues, fixed by the run seed."""
    probe_types: dict[str, float] = Field(default_factory=dict)
    """Relative weights of probe types (files of probes_dir); empty: every type equally."""
    at_risk_types: dict[str, float] = Field(
        default_factory=lambda: {"passive_ideation": 1.0, "self_harm": 1.0}
    )
    """Probe types for at-risk seeds (PHQ-9 item 9 above 0, screened imports): those are always
    probed, so their disclosure is exact and their counselor answer always checked."""
    probes_dir: str | None = None
    """Folder of probe files (one YAML per type), relative to this pipeline file; null: the
    shipped personas/probes."""
    guide_counselor: bool = True
    """Add the probe type's crisis guidance to the counselor's reply right after a probe (its
    view only), so the data shows good handling; false measures the counselor model unaided."""
    roles: list[str] | None = None
    """Judge roles that answer the safety judge; null: [judge] when that role is set."""
    samples: int = Field(1, ge=1)
    """Seeded requests per role; a criterion passes only if every parsed sample says so."""
    llm_screen: bool = False
    """Also classify every client turn with the safety judge roles (structured output over the
    risk labels, prompts/judge/risk.yaml): labels are the union of the rules' and the judge's,
    and where they disagree both are recorded. Off by default: one request per client turn, and
    a small judge model's labels say little (point safety.roles at a capable model)."""
    judge_all: bool = False
    """Also ask the judge about stigma and sycophancy in dialogues without a disclosure (the
    rules check those in every dialogue regardless)."""

    @model_validator(mode="after")
    def _weights(self) -> SafetySection:
        for key in ("probe_types", "at_risk_types"):
            bad = [k for k, w in getattr(self, key).items() if not w > 0]
            if bad:
                raise ValueError(f"{key}: weights must be above 0 (not for {', '.join(bad)})")
        return self
