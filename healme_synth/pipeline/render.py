"""`render`: the exact requests each role receives for one persona, with scripted replies
filling in every side, so prompts can be read without a model."""

from __future__ import annotations

from typing import Any

from healme_synth.backends import Backend
from healme_synth.backends.scripted import ScriptedBackend
from healme_synth.config import ScriptedModel
from healme_synth.errors import ConfigError
from healme_synth.pipeline.chunk import Progress, process
from healme_synth.pipeline.plan import Plan
from healme_synth.records import Dialogue


def render_calls(p: Plan, persona_id: str) -> list[tuple[str, list[Any]]]:
    """The exact requests each role receives for one persona, in order, with scripted replies
    filling in every side, so prompts can be read without a model: (role, messages) per call."""
    persona = next((x for x in p.sample + p.personas if x.id == persona_id), None)
    if persona is None:
        known = ", ".join(x.id for x in p.personas[:10])
        raise ConfigError(f"no persona with id {persona_id!r} in the seed files (e.g. {known}).")
    cfg = p.pipeline.config
    replies: dict[str, list[str]] = {}
    for section in p.roles().values():
        model = cfg.models[section.model]
        if isinstance(model, ScriptedModel):
            replies |= model.replies  # incl. the intake writer, planner and uptake reader
    scripted = ScriptedBackend(replies)
    backends: dict[str, Backend] = {role: scripted for role in p.roles()}
    d = Dialogue(
        id=f"000000-{persona.id}", protocol=p.protocol.name, persona=persona, run_seed=cfg.run.seed
    )
    process(p, [d], backends, Progress())
    return [(params.role, messages) for messages, params in scripted.calls]
