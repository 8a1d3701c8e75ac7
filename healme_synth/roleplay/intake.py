"""Stage 1b (optional): the client model writes a Cactus-style intake form for personas that
have only structured fields (e.g. sampled ones), so intake-driven protocols can use them.

The form is written once per dialogue before the session and stored on the dialogue's persona,
so the row shows exactly what the client played.
"""

from __future__ import annotations

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
from healme_synth.records import Dialogue, Reason, Tokens

SYSTEM = "common/intake_system.j2"
REQUEST = "common/intake.j2"
MIN_WORDS = 40
"""A shorter form is not an intake form: the dialogue is rejected before it is played."""


def intake_request(d: Dialogue, prompts: Prompts) -> list[ChatTurn]:
    persona = d.persona.model_dump()
    turns: list[ChatTurn] = [
        {"role": "system", "content": prompts.render(SYSTEM, persona=persona)},
        {"role": "user", "content": prompts.render(REQUEST, persona=persona)},
    ]
    check_alternation(turns)
    return turns


def expand_intakes(
    dialogues: list[Dialogue], prompts: Prompts, backend: Backend, section: RoleSection, tokens: int
) -> Tokens:
    """Fill `intake_form` for every dialogue whose persona has none, in one backend call;
    returns what it cost."""
    todo = [d for d in dialogues if not d.persona.intake_form and d.kept]
    if not todo:
        return Tokens()
    params = [
        gen_params(
            section,
            seed=turn_seed(d.run_seed, d.id, -2, "intake"),
            role="intake",
            max_tokens=tokens,
        )
        for d in todo
    ]
    completions = backend.generate([intake_request(d, prompts) for d in todo], params)
    for d, c in zip(todo, completions, strict=True):
        failed = failure(c, "intake form")
        if failed is not None:
            d.reasons.append(failed)
            continue
        form = c.text.strip()
        words = len(form.split())
        if words < MIN_WORDS or c.finish_reason == "length":
            why = "was cut at max_tokens" if c.finish_reason == "length" else f"has {words} words"
            d.reasons.append(
                Reason(
                    name="intake_missing",
                    detail=f"the written intake form {why} (need {MIN_WORDS}+ words, complete)",
                )
            )
            continue
        d.persona = d.persona.model_copy(update={"intake_form": form})
    return usage(completions)
