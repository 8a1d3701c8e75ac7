"""Request building, in one place for every caller: the chat view a speaker answers (its own
turns as assistant, the other's as user, strict alternation checked), per-request seeds, and
the sampling of a request from its role's section."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from healme_synth.backends.batch import ChatTurn, GenParams
from healme_synth.config import RoleSection
from healme_synth.records import Dialogue, Role


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


def gen_params(
    section: RoleSection,
    *,
    seed: int,
    role: str,
    max_tokens: int | None = None,
    json_schema: dict[str, Any] | None = None,
    stop: bool = False,
) -> GenParams:
    """A request's sampling from its role's section: the one place a section's settings become
    GenParams, so no caller can drop one. `max_tokens` overrides the section's for calls with a
    budget of their own (intake forms, plans, uptake); `stop` applies the section's stop strings,
    which only conversation turns use (a blank line must not cut a JSON reply short)."""
    return GenParams(
        temperature=section.temperature,
        top_p=section.top_p,
        max_tokens=section.max_tokens if max_tokens is None else max_tokens,
        seed=seed,
        stop=tuple(section.stop) if stop else (),
        repetition_penalty=section.repetition_penalty,
        role=role,
        json_schema=json_schema,
    )
