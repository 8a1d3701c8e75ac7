"""What a speaker is asked at a turn: its templates rendered with the persona, protocol and
(counselor only) the hidden plan, the turn notes kept where they were given, and its sampling."""

from __future__ import annotations

from typing import Any

from healme_synth.backends import ChatTurn, GenParams, gen_params, turn_seed, view
from healme_synth.config import RoleSection
from healme_synth.prompts import Prompts
from healme_synth.records import Dialogue, Persona, Role
from healme_synth.roleplay import crisis
from healme_synth.roleplay.protocols import Protocol
from healme_synth.seeds import questionnaires


def prompt_context(persona: Persona, protocol: Protocol, turn: int | None = None) -> dict[str, Any]:
    """What every protocol template may use. Never the hidden plan: see `request`."""
    context: dict[str, Any] = {
        "persona": persona.model_dump(),
        "protocol": protocol.name,
        "rounds": protocol.rounds,
        "min_turns": protocol.min_turns,
        "max_turns": protocol.max_turns,
        "end_marker": protocol.end_marker,
        "word_budget": protocol.word_budget,
        "symptoms": [s for q in persona.questionnaires for s in questionnaires.statements(q)],
    }
    if turn is not None:
        context.update(
            turn=turn,
            round=protocol.round_of(turn),
            can_end=protocol.may_end("client", turn) or protocol.may_end("counselor", turn),
            last_turn=turn + 1 >= protocol.max_turns,
        )
    return context


def request(
    dialogue: Dialogue, speaker: Role, turn: int, protocol: Protocol, prompts: Prompts
) -> list[ChatTurn]:
    """Render the speaker's prompts for this turn and build its view."""
    persona = dialogue.persona
    # The hidden plan exists in the counselor's context only: the client's templates cannot
    # name it even by mistake (StrictUndefined makes that a template error).
    hidden = (
        {"technique": dialogue.technique, "plan": dialogue.plan} if speaker == "counselor" else {}
    )
    system = prompts.render(
        protocol.template(f"{speaker}_system"),  # type: ignore[arg-type]
        **prompt_context(persona, protocol),
        **hidden,
    )
    opening_name = protocol.template(f"{speaker}_opening")  # type: ignore[arg-type]
    opening = None
    if speaker == protocol.opener and opening_name:
        opening = prompts.render(opening_name, **prompt_context(persona, protocol), **hidden)
    # Every earlier note stays where it was given, so each request begins with the speaker's
    # previous request and reply, token for token: the engine's prefix cache (and a hosted API's
    # prompt cache) then serves all but the newest turn. A note dropped from the history would
    # change the prompt from that point on and force the speaker's own last reply to be recomputed.
    asked = [
        t
        for t, m in enumerate(dialogue.messages)
        if m.role == speaker and m.finish_reason != "probe"
    ]
    notes = {
        t - 1: note
        for t in [*asked, turn]
        if (note := turn_note(dialogue, speaker, t, protocol, prompts, hidden))
    }
    return view(dialogue, speaker, system, opening, notes)


def turn_note(
    dialogue: Dialogue,
    speaker: Role,
    turn: int,
    protocol: Protocol,
    prompts: Prompts,
    hidden: dict[str, Any],
) -> str | None:
    """The guidance the speaker is given with the turn it answers at `turn`: the protocol's turn
    note, or the crisis guidance right after a probe."""
    note = None
    note_name = protocol.template(f"{speaker}_turn")  # type: ignore[arg-type]
    if note_name and turn > 0:
        context = prompt_context(dialogue.persona, protocol, turn)
        note = prompts.render(note_name, **context, **hidden) or None
    return crisis.counselor_note(dialogue, speaker, turn) or note


def turn_request(
    d: Dialogue,
    speaker: Role,
    turn: int,
    protocol: Protocol,
    prompts: Prompts,
    section: RoleSection,
) -> tuple[list[ChatTurn], GenParams]:
    """What the speaker is asked at this turn, and with which sampling (its own seed)."""
    params = gen_params(
        section, seed=turn_seed(d.run_seed, d.id, turn, speaker), role=speaker, stop=True
    )
    return request(d, speaker, turn, protocol, prompts), params
