"""Stage 2: the turn loop. All active dialogues advance together, one backend call per turn.

Each role sees only its own system prompt, its own turns as `assistant` and the other's as
`user`: never the other role's instructions or the persona's hidden fields.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from healme_synth.backends import Backend, ChatTurn, GenParams
from healme_synth.config import RoleSection
from healme_synth.prompts import Prompts
from healme_synth.protocols import Protocol
from healme_synth.records import Dialogue, Message, Persona, Role


class ViewError(AssertionError):
    """A request would break strict user/assistant alternation: a bug, not a user mistake."""


def view(
    dialogue: Dialogue,
    speaker: Role,
    system: str,
    opening: str | None = None,
    note: str | None = None,
) -> list[ChatTurn]:
    """The chat the speaker answers next.

    `opening` is a first incoming line that exists only in this speaker's view (e.g. the greeting
    the client answers when it opens); `note` is guidance appended to the latest incoming turn.
    """
    turns: list[ChatTurn] = [{"role": "system", "content": system}]
    if opening is not None:
        turns.append({"role": "user", "content": opening})
    for m in dialogue.messages:
        turns.append({"role": "assistant" if m.role == speaker else "user", "content": m.content})
    if note:
        last = turns[-1]
        turns[-1] = {"role": last["role"], "content": f"{last['content']}\n\n{note}"}
    check_alternation(turns)
    return turns


def check_alternation(turns: Sequence[ChatTurn]) -> None:
    """system, then user/assistant strictly alternating, starting and ending with user."""
    roles = [t["role"] for t in turns]
    expected = ["system"] + ["user" if i % 2 == 0 else "assistant" for i in range(len(roles) - 1)]
    if roles != expected or roles[-1] != "user":
        raise ViewError(f"request roles {roles} are not system, user, assistant, ..., user")


def turn_seed(run_seed: int, dialogue_id: str, turn: int, role: str) -> int:
    """Per-request sampling seed: depends only on who speaks where, never on the batch."""
    digest = hashlib.sha256(f"{run_seed}\x1f{dialogue_id}\x1f{turn}\x1f{role}".encode()).digest()
    return int.from_bytes(digest[:8], "big") & 0x7FFF_FFFF_FFFF_FFFF


def prompt_context(persona: Persona, protocol: Protocol, turn: int | None = None) -> dict[str, Any]:
    """What every protocol template may use."""
    context: dict[str, Any] = {
        "persona": persona.model_dump(),
        "protocol": protocol.name,
        "rounds": protocol.rounds,
    }
    if turn is not None:
        context.update(turn=turn, round=protocol.round_of(turn))
    return context


def request(
    dialogue: Dialogue, speaker: Role, turn: int, protocol: Protocol, prompts: Prompts
) -> list[ChatTurn]:
    """Render the speaker's prompts for this turn and build its view."""
    persona = dialogue.persona
    system = prompts.render(
        protocol.template(f"{speaker}_system"),  # type: ignore[arg-type]
        **prompt_context(persona, protocol),
    )
    opening_name = protocol.template("client_opening")
    opening = None
    if speaker == protocol.opener == "client" and opening_name:
        opening = prompts.render(opening_name, **prompt_context(persona, protocol))
    note = None
    note_name = protocol.template(f"{speaker}_turn")  # type: ignore[arg-type]
    if note_name and dialogue.messages:
        note = prompts.render(note_name, **prompt_context(persona, protocol, turn)) or None
    return view(dialogue, speaker, system, opening, note)


def converse(
    dialogues: list[Dialogue],
    protocol: Protocol,
    prompts: Prompts,
    backends: dict[str, Backend],
    roles: dict[str, RoleSection],
    on_turn: Callable[[int, int], None] | None = None,
) -> list[Dialogue]:
    """Run every dialogue through the protocol's turns; one backend call per turn."""
    for turn, speaker in enumerate(protocol.turn_order()):
        active = [d for d in dialogues if len(d.messages) == turn]
        if not active:
            continue
        section = roles[speaker]
        batch = [request(d, speaker, turn, protocol, prompts) for d in active]
        params = [
            GenParams(
                temperature=section.temperature,
                top_p=section.top_p,
                max_tokens=section.max_tokens,
                seed=turn_seed(d.run_seed, d.id, turn, speaker),
                stop=tuple(section.stop),
                repetition_penalty=section.repetition_penalty,
                role=speaker,
            )
            for d in active
        ]
        completions = backends[speaker].generate(batch, params)
        for d, c in zip(active, completions, strict=True):
            d.messages.append(
                Message(
                    role=speaker,
                    content=c.text.strip(),
                    finish_reason=c.finish_reason,
                    prompt_tokens=c.prompt_tokens,
                    completion_tokens=c.completion_tokens,
                    cached_tokens=c.cached_tokens,
                )
            )
        if on_turn is not None:
            on_turn(len(active), sum(c.completion_tokens for c in completions))
    return dialogues
