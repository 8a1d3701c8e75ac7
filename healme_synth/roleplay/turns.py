"""Stage 2: the turn loop. All active dialogues advance together, one backend call per turn.

Each role sees only its own system prompt, its own turns as `assistant` and the other's as
`user`: never the other role's instructions or the persona's hidden fields.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from healme_synth.backends import (
    Backend,
    Completion,
    agenerate,
    failure,
)
from healme_synth.config import RoleSection
from healme_synth.prompts import Prompts
from healme_synth.records import Dialogue, Message, Reason, Role
from healme_synth.roleplay import crisis
from healme_synth.roleplay.protocols import Protocol, strip_end_marker
from healme_synth.roleplay.turn_requests import turn_request


def converse(
    dialogues: list[Dialogue],
    protocol: Protocol,
    prompts: Prompts,
    backends: dict[str, Backend],
    roles: dict[str, RoleSection],
    on_turn: Callable[[int, int], None] | None = None,
    record: Callable[[Dialogue, Message], None] | None = None,
) -> list[Dialogue]:
    """Run every dialogue through the protocol's turns; one backend call per turn (lockstep, the
    deterministic reference; `aconverse` is the same loop without the turn barrier).

    A dialogue drops out of the batch when its session ends (an end marker from the role that
    may end it, at or after the minimum) or no longer fits the model's context (rejected as
    `context_full`); the rest go on to the protocol's maximum. `record` sees every stored message.
    """
    for turn, speaker in enumerate(protocol.turn_order()):
        active = [d for d in dialogues if awaits_turn(d, turn)]
        active = [d for d in active if not crisis.place(d, speaker, turn, record)]
        if not active:
            continue
        section = roles[speaker]
        asks = [turn_request(d, speaker, turn, protocol, prompts, section) for d in active]
        completions = backends[speaker].generate([a[0] for a in asks], [a[1] for a in asks])
        for d, c in zip(active, completions, strict=True):
            take_reply(d, speaker, turn, protocol, c, record)
        if on_turn is not None:
            on_turn(len(active), sum(c.completion_tokens for c in completions))
    return dialogues


async def aconverse(
    dialogues: list[Dialogue],
    protocol: Protocol,
    prompts: Prompts,
    backends: dict[str, Backend],
    roles: dict[str, RoleSection],
    in_flight: int,
    on_turn: Callable[[int, int], None] | None = None,
    record: Callable[[Dialogue, Message], None] | None = None,
) -> list[Dialogue]:
    """`converse` without turn barriers: each dialogue is its own task and asks for its next turn
    as soon as its own reply is back, `in_flight` dialogues at a time, so a continuously batching
    engine stays full. Same requests, seeds and per-turn handling as `converse`, so the same
    dialogues come out wherever the backend is batch-invariant. `on_turn` gets (1, tokens) per
    reply."""
    slots = asyncio.Semaphore(in_flight)

    async def play(d: Dialogue) -> None:
        async with slots:
            for turn, speaker in enumerate(protocol.turn_order()):
                if not awaits_turn(d, turn):
                    return
                if crisis.place(d, speaker, turn, record):
                    continue  # a crisis probe stands in for the client's reply
                section = roles[speaker]
                messages, params = turn_request(d, speaker, turn, protocol, prompts, section)
                c = await agenerate(backends[speaker], messages, params)
                take_reply(d, speaker, turn, protocol, c, record)
                if on_turn is not None:
                    on_turn(1, c.completion_tokens)

    await asyncio.gather(*(play(d) for d in dialogues))
    return dialogues


# Both modes go through the three functions below for every turn of every dialogue: anything
# that changes how a turn is asked or what a reply does belongs in them, so the modes cannot drift.


def awaits_turn(d: Dialogue, turn: int) -> bool:
    """The dialogue is still going and this is its next turn."""
    return len(d.messages) == turn and d.end_marker_at is None and d.kept


def take_reply(
    d: Dialogue,
    speaker: Role,
    turn: int,
    protocol: Protocol,
    c: Completion,
    record: Callable[[Dialogue, Message], None] | None = None,
) -> None:
    """What one completion does to its dialogue: a rejection when the context is full, the end
    marker stripped (and the session ended when this speaker may end it here), the message
    stored and passed to `record`."""
    failed = failure(c, f"turn {turn + 1} ({speaker})")
    if failed is not None:  # still failing after retries: the dialogue drops out, as data
        d.reasons.append(failed)
        return
    if c.finish_reason == "context_full":
        d.reasons.append(
            Reason(
                name="context_full",
                detail=f"turn {turn + 1} ({speaker}): the conversation no longer fits "
                f"the model's context ({c.prompt_tokens} prompt tokens)",
            )
        )
        return
    text, ended = c.text.strip(), False
    if protocol.end_marker:
        ends = protocol.may_end(speaker, turn)
        text, found = strip_end_marker(text, protocol.end_marker, ends)
        ended = found and ends
    if ended:
        d.end_marker_at = turn
        if not text:
            return  # the utterance was the marker alone: nothing to store
    message = Message(
        role=speaker,
        content=text,
        finish_reason=c.finish_reason,
        prompt_tokens=c.prompt_tokens,
        completion_tokens=c.completion_tokens,
        cached_tokens=c.cached_tokens,
    )
    d.messages.append(message)
    if record is not None:
        record(d, message)


