"""The hidden planning call of planning protocols (Cactus): one structured request per dialogue
picks a CBT technique and writes a plan that only the counselor's templates see."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from healme_synth.backends import (
    Backend,
    ChatTurn,
    check_alternation,
    failure,
    gen_params,
    turn_seed,
    usage,
)
from healme_synth.config import RoleSection
from healme_synth.prompts import Prompts
from healme_synth.records import CBT_TECHNIQUES, Dialogue, Reason, Tokens
from healme_synth.roleplay.protocols import Protocol
from healme_synth.roleplay.turn_requests import prompt_context


class SessionPlan(BaseModel):
    """What the hidden planning call must return."""

    model_config = ConfigDict(extra="forbid", strict=True)
    technique: str
    plan: str


def plan_schema(techniques: Sequence[str], plan_chars: tuple[int, int]) -> dict[str, Any]:
    """The JSON schema that constrains the planner: a technique from the list, a bounded plan."""
    return {
        "type": "object",
        "properties": {
            "technique": {"type": "string", "enum": list(techniques)},
            "plan": {"type": "string", "minLength": plan_chars[0], "maxLength": plan_chars[1]},
        },
        "required": ["technique", "plan"],
        "additionalProperties": False,
    }


def plan_sessions(
    dialogues: list[Dialogue],
    protocol: Protocol,
    prompts: Prompts,
    backend: Backend,
    section: RoleSection,
) -> Tokens:
    """The hidden planning call, one batch for all dialogues: each gets a technique and a plan
    for the counselor's eyes only. A seed that prescribes a technique keeps it (the planner only
    writes the plan): LLM planners pick Evidence-Based Questioning about half the time, so a
    technique mix is better declared in the persona sampler than left to the planner.
    A reply that does not parse rejects the dialogue before it is played, never a blank plan.
    Returns what the calls cost."""
    planning = protocol.planning
    if planning is None or not dialogues:
        return Tokens()
    batch, params = [], []
    for d in dialogues:
        context = prompt_context(d.persona, protocol) | {"techniques": list(CBT_TECHNIQUES)}
        system, ask = protocol.template("planner_system"), protocol.template("planner")
        assert system is not None and ask is not None  # Protocol checks it when it loads
        turns: list[ChatTurn] = [
            {"role": "system", "content": prompts.render(system, **context)},
            {"role": "user", "content": prompts.render(ask, **context)},
        ]
        check_alternation(turns)
        batch.append(turns)
        techniques = [d.persona.technique] if d.persona.technique else list(CBT_TECHNIQUES)
        params.append(
            gen_params(
                section,
                seed=turn_seed(d.run_seed, d.id, -1, "planner"),
                role="planner",
                max_tokens=planning.max_tokens,
                json_schema=plan_schema(techniques, planning.plan_chars),
            )
        )
    completions = backend.generate(batch, params)
    for d, c, p in zip(dialogues, completions, params, strict=True):
        allowed = p.json_schema["properties"]["technique"]["enum"]  # type: ignore[index]
        low, high = planning.plan_chars
        failed = failure(c, "planner")
        if failed is not None:
            d.reasons.append(failed)
            continue
        try:
            reply = SessionPlan.model_validate_json(c.text)
        except ValidationError:
            d.reasons.append(Reason(name="plan_missing", detail="the planner reply did not parse"))
            continue
        plan = reply.plan.strip()
        if reply.technique not in allowed or not low <= len(plan) <= high:
            d.reasons.append(
                Reason(
                    name="plan_missing",
                    detail=f"the planner chose {reply.technique!r} with a {len(plan)}-character "
                    f"plan (expected one of {', '.join(allowed)} and {low}-{high} characters)",
                )
            )
            continue
        d.technique, d.plan = reply.technique, plan
    return usage(completions)
