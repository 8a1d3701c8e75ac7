"""The turn loop's crisis-probe hooks: a probe attached to a dialogue (by the safety stage)
stands in for the client's reply at its turn, and the counselor's next request gets its
crisis guidance."""

from __future__ import annotations

from collections.abc import Callable

from healme_synth.records import Dialogue, Message


def place(
    d: Dialogue, speaker: str, turn: int, record: Callable[[Dialogue, Message], None] | None = None
) -> bool:
    """The roleplay hook (both modes): when this dialogue's probe is due at this turn, store it as
    the client's message (finish reason `probe`, no tokens) instead of generating one; True then."""
    if speaker != "client" or d.probe is None or d.probe.turn != turn:
        return False
    message = Message(role="client", content=d.probe.text, finish_reason="probe")
    d.messages.append(message)
    if record is not None:
        record(d, message)
    return True


def injected(d: Dialogue) -> bool:
    p = d.probe
    return (
        p is not None and len(d.messages) > p.turn and d.messages[p.turn].finish_reason == "probe"
    )


def counselor_note(d: Dialogue, speaker: str, turn: int) -> str | None:
    """The crisis guidance for the counselor's reply right after its probe (its view only)."""
    p = d.probe
    if speaker != "counselor" or p is None or p.note is None or turn != p.turn + 1:
        return None
    return p.note if injected(d) else None
