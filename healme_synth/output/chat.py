"""The chat view of a dialogue: what the `messages` column and the chat-format exports hold.

Trainers and chat templates want system, then user/assistant strictly alternating, starting
with user (Gemma, Mistral and Llama-2 templates raise otherwise; LLaMA-Factory drops the row).
A dialogue in its own terms (`turns`) need not look like that: Cactus and SQPsych sessions are
opened by the counselor, a Cactus client may end the session, and transcripts imported for
re-checking may hold two turns of one speaker in a row. The view is built from `turns` by
three rules, so `turns` stays the faithful record and the view is derived from it, never edited:

1. Consecutive utterances of one speaker become one message, joined by a blank line: the
   words are all kept, in order, and nothing is invented between them.
2. Counselor turns before the first client turn are left out. The opening greeting answers no
   client turn; keeping it would need a user turn nobody said (the counselor's stage cue is a
   prompt, may carry the hidden plan, and is not in the row) or folding it into the system
   message, which is the deployment prompt shared by every row and must stay so.
3. A last client turn that no counselor reply follows is left out: there is nothing to learn
   from it, and LLaMA-Factory counts an odd-length conversation as broken.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from healme_synth.errors import ConfigError

CHAT_ROLE = {"client": "user", "counselor": "assistant"}
JOIN = "\n\n"
"""Between utterances of one speaker merged into one message (rule 1)."""


@dataclass(frozen=True)
class ChatMessage:
    role: str
    """`user` (client) or `assistant` (counselor)."""
    content: str
    turn: int
    """Index in `turns` of the first utterance this message holds, so it can be traced back."""

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


def chat_view(turns: Sequence[Mapping[str, Any]]) -> list[ChatMessage]:
    """User/assistant messages alternating, starting with user and ending with assistant (or
    none, when no client turn got a counselor reply). `turns` are {role, content} mappings in
    dialogue terms (counselor / client), as Message.model_dump() or a shard row holds them."""
    merged: list[ChatMessage] = []
    for i, t in enumerate(turns):
        role = CHAT_ROLE.get(t["role"])
        if role is None:
            raise ConfigError(
                f"turn {i} has role {t['role']!r}; expected one of {', '.join(CHAT_ROLE)}."
            )
        if merged and merged[-1].role == role:
            last = merged[-1]
            merged[-1] = ChatMessage(role, last.content + JOIN + t["content"], last.turn)
        else:
            merged.append(ChatMessage(role, t["content"], i))
    start = 1 if merged and merged[0].role == "assistant" else 0
    end = len(merged) - 1 if merged and merged[-1].role == "user" else len(merged)
    return merged[start:end]


def chat_messages(turns: Sequence[Mapping[str, Any]], system: str) -> list[dict[str, str]]:
    """The `messages` column: the system message, then the chat view."""
    return [{"role": "system", "content": system}] + [m.as_dict() for m in chat_view(turns)]
