"""Deterministic replies without a model: for tests, `render`, and checking prompts.

Replies come from a per-role list (used in order, cycled) or, by default, are derived from a
hash of the request, so the same input always gets the same reply whatever the batch.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from healme_synth.backends.batch import ChatTurn, Completion, GenParams


class ScriptedBackend:
    label = "scripted"

    def __init__(self, replies: dict[str, list[str]] | None = None) -> None:
        self.replies = replies or {}
        self.calls: list[tuple[list[ChatTurn], GenParams]] = []
        self._next: dict[str, int] = {}

    def generate(
        self, batch: Sequence[list[ChatTurn]], params: Sequence[GenParams]
    ) -> list[Completion]:
        out = []
        for messages, p in zip(batch, params, strict=True):
            self.calls.append((messages, p))
            text = self._reply(messages, p)
            for stop in p.stop:  # the same contract as an engine: cut before the stop string
                text = text.split(stop, 1)[0]
            words = len(text.split())
            prompt = sum(len(m["content"].split()) for m in messages)
            out.append(Completion(text, "stop", prompt_tokens=prompt, completion_tokens=words))
        return out

    async def agenerate(self, messages: list[ChatTurn], params: GenParams) -> Completion:
        """One request, yielding to the event loop first as an engine would, so async mode's
        dialogues interleave. Reply lists cycle in call order, which differs from lockstep's;
        hash-derived replies are the same in both modes."""
        await asyncio.sleep(0)
        return self.generate([messages], [params])[0]

    def _reply(self, messages: list[ChatTurn], p: GenParams) -> str:
        script = self.replies.get(p.role)
        if script:
            i = self._next.get(p.role, 0)
            self._next[p.role] = i + 1
            return script[i % len(script)]
        digest = hashlib.sha256(json.dumps([messages, p.seed], sort_keys=True).encode()).digest()
        if p.json_schema is not None:
            return json.dumps(_fill(p.json_schema, digest))
        turn = sum(1 for m in messages if m["role"] == "assistant") + 1
        return f"Scripted {p.role or 'reply'} turn {turn}, ref {digest.hex()[:8]}."


def _fill(schema: dict[str, Any], digest: bytes, depth: int = 0) -> Any:
    """A value that fits a (simple) JSON schema, picked deterministically from the digest."""
    byte = digest[depth % len(digest)]
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][byte % len(schema["enum"])]
    if kind == "object":
        props = schema.get("properties", {})
        return {
            k: _fill(v, digest, depth + i + 1) for i, (k, v) in enumerate(sorted(props.items()))
        }
    if kind == "integer":
        lo, hi = int(schema.get("minimum", 0)), int(schema.get("maximum", 10))
        return lo + byte % (hi - lo + 1)
    if kind == "number":
        low, high = float(schema.get("minimum", 0)), float(schema.get("maximum", 1))
        return low + (high - low) * byte / 255
    if kind == "boolean":
        return bool(byte % 2)
    if kind == "array":
        return [_fill(schema.get("items", {}), digest, depth + 1)]
    text = f"text {byte}"
    while len(text) < int(schema.get("minLength", 0)):
        text += f" text {byte}"
    return text[: int(schema.get("maxLength", len(text)))]
