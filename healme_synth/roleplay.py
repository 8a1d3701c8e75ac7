"""Stage 2: the turn loop. All active dialogues advance together, one backend call per turn.

Each role sees only its own system prompt, its own turns as `assistant` and the other's as
`user`: never the other role's instructions or the persona's hidden fields.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from healme_synth import probes, questionnaires
from healme_synth.backends import (
    Backend,
    ChatTurn,
    Completion,
    GenParams,
    agenerate,
    failure,
    usage,
)
from healme_synth.config import RoleSection
from healme_synth.prompts import Prompts
from healme_synth.protocols import Protocol, strip_end_marker
from healme_synth.records import CBT_TECHNIQUES, Dialogue, Message, Persona, Reason, Role, Tokens


class ViewError(AssertionError):
    """A request would break strict user/assistant alternation: a bug, not a user mistake."""


def view(
    dialogue: Dialogue,
    speaker: Role,
    system: str,
    opening: str | None = None,
    notes: Mapping[int, str] | None = None,
) -> list[ChatTurn]:
    """The chat the speaker answers next.

    `opening` is a first incoming line that exists only in this speaker's view (e.g. the greeting
    the client answers when it opens); `notes` is guidance appended to incoming turns, by their
    index in the dialogue's messages: the note of this turn on the latest one, and the notes of
    the speaker's earlier turns where it was given them.
    """
    notes = notes or {}
    turns: list[ChatTurn] = [{"role": "system", "content": system}]
    if opening is not None:
        turns.append({"role": "user", "content": opening})
    for i, m in enumerate(dialogue.messages):
        content = f"{m.content}\n\n{notes[i]}" if i in notes else m.content
        turns.append({"role": "assistant" if m.role == speaker else "user", "content": content})
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
    return probes.counselor_note(dialogue, speaker, turn) or note


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
        active = [d for d in active if not probes.place(d, speaker, turn, record)]
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
                if probes.place(d, speaker, turn, record):
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


def turn_request(
    d: Dialogue,
    speaker: Role,
    turn: int,
    protocol: Protocol,
    prompts: Prompts,
    section: RoleSection,
) -> tuple[list[ChatTurn], GenParams]:
    """What the speaker is asked at this turn, and with which sampling (its own seed)."""
    params = GenParams(
        temperature=section.temperature,
        top_p=section.top_p,
        max_tokens=section.max_tokens,
        seed=turn_seed(d.run_seed, d.id, turn, speaker),
        stop=tuple(section.stop),
        repetition_penalty=section.repetition_penalty,
        role=speaker,
    )
    return request(d, speaker, turn, protocol, prompts), params


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
            GenParams(
                temperature=section.temperature,
                top_p=section.top_p,
                max_tokens=planning.max_tokens,
                seed=turn_seed(d.run_seed, d.id, -1, "planner"),
                repetition_penalty=section.repetition_penalty,
                role="planner",
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
