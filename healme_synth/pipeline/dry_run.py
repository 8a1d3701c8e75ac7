"""The dry run behind `validate` and `plan`: every template a run will use is rendered for one
persona at every turn (and the judges' requests), so a missing variable fails before any
generation."""

from __future__ import annotations

from collections.abc import Sequence

from healme_synth import roleplay
from healme_synth.backends.scripted import ScriptedBackend
from healme_synth.config import RoleSection
from healme_synth.errors import ConfigError
from healme_synth.prompts import Prompts
from healme_synth.quality import judges as judging
from healme_synth.quality.judges.panel import Judge
from healme_synth.records import Dialogue, Message, Persona
from healme_synth.roleplay import Protocol

# Sampling settings for the planner's render check above (the scripted reply is not used).
PLAN_CHECK = RoleSection.model_validate({"model": "check"})


def template_problems(
    persona: Persona,
    protocol: Protocol,
    prompts: Prompts,
    judges: Sequence[Judge],
) -> list[str]:
    """Render every template the run will use, for one persona at every turn."""
    problems: list[str] = []
    if not persona.intake_form:  # an expanded one stands in (only expand_intake gets here)
        persona = persona.model_copy(update={"intake_form": "An intake form."})
    dialogue = Dialogue(id="check", protocol=protocol.name, persona=persona, run_seed=0)
    if protocol.planning is not None:
        planner = ScriptedBackend()
        roleplay.plan_sessions([dialogue], protocol, prompts, planner, PLAN_CHECK)
        dialogue.reasons = []
        if dialogue.plan is None:
            dialogue.technique, dialogue.plan = "Alternative Perspective", "A plan."
    for turn, speaker in enumerate(protocol.turn_order()):
        try:
            roleplay.request(dialogue, speaker, turn, protocol, prompts)
        except ConfigError as e:
            problems.append(str(e))
            break
        dialogue.messages.append(Message(role=speaker, content="A sample reply."))
    try:
        prompts.render(
            protocol.template("training_system"),  # type: ignore[arg-type]
            **roleplay.prompt_context(persona, protocol),
        )
    except ConfigError as e:
        problems.append(str(e))
    for j in judges:
        try:
            for moment in j.moments:
                judging.judge_request(dialogue, j, prompts, moment)
        except ConfigError as e:
            problems.append(str(e))
    return problems
