"""Stage 3s: the counselor safety check, risk labels and routing (DOMAIN.md section 7).

Every played dialogue is screened (safety.assess): client turns for disclosures (an injected
probe, the rule screen, and with `safety.llm_screen` the LLM risk screen), counselor turns for
obvious failures (safety.replies). A dialogue with a disclosure and no obvious failure goes to
the safety judge (structured output, one call over the counselor's replies after the
disclosure). The verdict is safe, unsafe (with the criteria it failed) or unverified (no judge
reply parsed, no judge, or no counselor reply to check); with no judge answer, no safety
question and no help after a crisis disclosure is unsafe by the rules. Unsafe and unverified
dialogues never enter `train`: they go to the `safety_review` split.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError, model_validator

from healme_synth import inputs
from healme_synth.backends import (
    Backend,
    ChatTurn,
    Completion,
    check_alternation,
    gen_params,
    turn_seed,
    usage,
)
from healme_synth.config import Pipeline, RoleSection
from healme_synth.errors import ConfigError
from healme_synth.prompts import Prompts
from healme_synth.records import (
    SAFETY_REVIEW,
    Dialogue,
    Persona,
    Reason,
    Record,
    SafetyCheck,
    Tokens,
)
from healme_synth.roleplay import Protocol
from healme_synth.safety import llm_screen, probes, risk
from healme_synth.safety.assess import Assessment, assess, describe

SPLIT = SAFETY_REVIEW
REQUEST = "judge/safety.j2"
UNPROBED = "unprobed"
"""The by_type key of disclosures the screen found in dialogues without a probe."""


class SafetyRubric(Record):
    name: str
    system: str
    criteria: dict[str, str]

    @model_validator(mode="after")
    def _all_criteria(self) -> SafetyRubric:
        if list(self.criteria) != list(risk.CRITERIA):
            raise ValueError(f"criteria must be exactly {', '.join(risk.CRITERIA)}, in order")
        return self


@dataclass(frozen=True)
class Stage:
    """The safety layer of a run, loaded and checked before any generation."""

    bank: dict[str, probes.ProbeType]
    rubric: SafetyRubric
    roles: list[str]
    """Judge roles that answer (empty: disclosures stay unverified)."""
    samples: int
    judge_all: bool
    probe_fraction: float
    assignment: probes.Assignment
    at_risk_seeds: int
    risk_rubric: llm_screen.RiskRubric | None = None
    """The LLM risk screen's labels and prompt (None: `safety.llm_screen` is off)."""


def load(pipeline: Pipeline, prompts: Prompts, protocol: Protocol, sample: list[Persona]) -> Stage:
    """Probe bank, judge rubric and the run's probe assignment; every problem at once."""
    cfg = pipeline.config
    section = cfg.safety
    folder = pipeline.resolve(section.probes_dir) if section.probes_dir else probes.PROBES_DIR
    bank = probes.load_bank(folder)
    problems = probes.check_bank(bank, section, sample[0]) if sample else []
    path = prompts.root / "judge" / "safety.yaml"
    try:
        rubric = SafetyRubric.model_validate(inputs.load_yaml(inputs.read_text(path)))
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the safety rubric ({e.strerror}).") from None
    except (yaml.YAMLError, ValidationError) as e:
        raise ConfigError(f"{path}: not a valid safety rubric: {e}") from None
    if problems:
        raise ConfigError("; ".join(problems) + ".")
    risk_rubric = llm_screen.load_rubric(prompts) if section.llm_screen else None
    return Stage(
        bank=bank,
        rubric=rubric,
        roles=cfg.safety_roles(),
        samples=section.samples,
        judge_all=section.judge_all,
        probe_fraction=section.probe_fraction,
        assignment=probes.assign(sample, section, bank, protocol, cfg.run.seed),
        at_risk_seeds=sum(p.at_risk for p in sample),
        risk_rubric=risk_rubric,
    )


def schema(criteria: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {c: {"type": "boolean"} for c in criteria},
        "required": list(criteria),
        "additionalProperties": False,
    }


def parse(raw: str, criteria: list[str]) -> dict[str, bool] | None:
    """The judge's answers, or None unless it is exactly those keys with true/false values."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or sorted(data) != sorted(criteria):
        return None
    if not all(isinstance(v, bool) for v in data.values()):
        return None
    return {c: data[c] for c in criteria}


def request(d: Dialogue, a: Assessment, stage: Stage, prompts: Prompts) -> list[ChatTurn]:
    asked = list(risk.CRITERIA) if a.disclosure is not None else list(risk.ALWAYS)
    transcript = [
        {"number": i + 1, "role": m.role, "content": m.content} for i, m in enumerate(d.messages)
    ]
    user = prompts.render(
        REQUEST,
        transcript=transcript,
        disclosure=None if a.disclosure is None else a.disclosure + 1,
        describe=a.describe,
        judged=[i + 1 for i in a.judged],
        criteria=[{"key": c, "question": stage.rubric.criteria[c]} for c in asked],
    )
    turns: list[ChatTurn] = [
        {"role": "system", "content": stage.rubric.system},
        {"role": "user", "content": user},
    ]
    check_alternation(turns)
    return turns


def check(
    dialogues: list[Dialogue],
    stage: Stage,
    backends: dict[str, Backend],
    roles: dict[str, RoleSection],
    prompts: Prompts,
) -> Tokens:
    """Label, check and give a verdict to every dialogue; add the safety reasons. Returns the
    judge's tokens. Obvious rule failures are unsafe without asking the judge."""
    spent: list[Completion] = []
    judged = llm_screen.Judged({}, {}, Tokens())
    if stage.risk_rubric is not None and stage.roles:
        judged = llm_screen.classify(
            dialogues, stage.roles, backends, roles, stage.risk_rubric, prompts
        )
    assessed = [
        (d, assess(d, stage.bank, judged.disclosures.get(d.id, ()), judged.notes.get(d.id, ())))
        for d in dialogues
    ]
    ask = [
        (d, a)
        for d, a in assessed
        if not a.rule_failed
        and a.judged
        and stage.roles
        and (a.disclosure is not None or stage.judge_all)
    ]
    replies: dict[str, list[tuple[str, str]]] = {d.id: [] for d, _ in ask}
    for role in stage.roles if ask else []:
        section, backend = roles[role], backends[role]
        jobs = [(d, a, n) for d, a in ask for n in range(stage.samples)]
        params = [
            gen_params(
                section,
                seed=turn_seed(d.run_seed, d.id, len(d.messages), f"safety:{role}:{n}"),
                role="safety",
                json_schema=schema(_asked(a)),
            )
            for d, a, n in jobs
        ]
        out = backend.generate([request(d, a, stage, prompts) for d, a, _ in jobs], params)
        spent += out
        for (d, _, _), c in zip(jobs, out, strict=True):
            replies[d.id].append((backend.label, c.text))
    for d, a in assessed:
        d.risk_labels = a.labels
        d.safety = verdict(a, replies.get(d.id), bool(stage.roles))
        d.reasons += reasons(d)
    tokens = usage(spent)
    return Tokens(
        prompt=tokens.prompt + judged.tokens.prompt,
        completion=tokens.completion + judged.tokens.completion,
        cached=tokens.cached + judged.tokens.cached,
    )


def _asked(a: Assessment) -> list[str]:
    return list(risk.CRITERIA) if a.disclosure is not None else list(risk.ALWAYS)


def verdict(a: Assessment, replies: list[tuple[str, str]] | None, has_judge: bool) -> SafetyCheck:
    base: dict[str, Any] = {
        "disclosure_turn": a.disclosure,
        "checked_turns": a.judged if a.disclosure is not None or replies is not None else [],
        "findings": [describe(x) for x in a.disclosures] + a.notes + [str(f) for f in a.findings],
        "disclosures": a.disclosures,
    }
    if a.rule_failed:
        return SafetyCheck(verdict="unsafe", failed=a.rule_failed, **base)
    asked = _asked(a)
    parsed = [p for p in (parse(raw, asked) for _, raw in replies or []) if p is not None]
    if replies:
        base |= {"models": list(dict.fromkeys(m for m, _ in replies))}
        base |= {"raw": [r for _, r in replies]}
    if not parsed and a.soft_failed:
        # No judge read the replies: the rules' "no safety question, no help" decides.
        return SafetyCheck(verdict="unsafe", failed=a.soft_failed, **base)
    if replies is None:
        if a.disclosure is None:
            return SafetyCheck(verdict="safe", **base)
        why = (
            "no counselor reply after the disclosure to check"
            if not a.judged
            else "no safety judge (set roles.judge or safety.roles)"
            if not has_judge
            else "not judged"
        )
        return SafetyCheck(verdict="unverified", **base | {"findings": base["findings"] + [why]})
    if not parsed:
        why = f"no reply of the safety judge parsed (0 of {len(replies)})"
        return SafetyCheck(verdict="unverified", **base | {"findings": base["findings"] + [why]})
    criteria = {c: all(p[c] for p in parsed) for c in asked}
    failed = [c for c in a.required if not criteria[c]]
    return SafetyCheck(
        verdict="unsafe" if failed else "safe", failed=failed, criteria=criteria, **base
    )


def reasons(d: Dialogue) -> list[Reason]:
    """The safety reasons of a checked dialogue (recomputed from its stored check, so commands
    that re-filter a run's dialogues keep unsafe ones out of train too)."""
    s = d.safety
    if s is None or s.verdict == "safe":
        return []
    if s.verdict == "unverified":
        return [Reason(name=risk.UNVERIFIED, detail="; ".join(s.findings[-1:]))]
    where = ""
    if s.disclosure_turn is not None:
        kind = d.probe.type if d.probe is not None else "screened"
        where = f" after the {kind} disclosure at turn {s.disclosure_turn}"
    out: dict[str, list[str]] = {}
    for c in s.failed:
        hits = [f for f in s.findings if f": {c}: " in f]
        judged = c in s.criteria  # the judge answered it: its word, not the rules' hint, decided
        detail = (
            f"{c}: not met per the safety judge{where}" if judged or not hits else "; ".join(hits)
        )
        out.setdefault(risk.REASON_OF[c], []).append(detail)
    return [Reason(name=name, detail="; ".join(details)) for name, details in out.items()]


def for_review(d: Dialogue) -> bool:
    """Unsafe or unverified: the dialogue goes to `safety_review`, never to train."""
    return d.safety is not None and d.safety.verdict != "safe"
