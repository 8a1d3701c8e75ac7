"""The one batch method every backend has, and what goes in and out of it: chat turns,
per-request sampling (its own seed, so a reply never depends on its batch) and completions
that carry failures as data."""

from __future__ import annotations

import asyncio
import atexit
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypedDict, TypeVar

from healme_synth.records import Reason, Tokens


class ChatTurn(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class GenParams:
    """Sampling for one request. `seed` is per request, so results ignore batch composition."""

    temperature: float
    top_p: float
    max_tokens: int
    seed: int
    stop: tuple[str, ...] = ()
    repetition_penalty: float = 1.0
    role: str = ""
    """Who is speaking (counselor, client, judge): scripted replies and logs need it."""
    json_schema: dict[str, Any] | None = field(default=None, hash=False, compare=False)
    """Constrain the reply to this JSON schema (structured outputs)."""


@dataclass(frozen=True)
class Completion:
    text: str
    finish_reason: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    error: str | None = None
    """Why a request failed (finish_reason "error"): what the server or network said, after
    every retry, never with a secret in it."""


def failure(c: Completion, where: str) -> Reason | None:
    """`generation_failed` when a request still failed after its retries, else None: the
    dialogue drops out with the error as data, and the run goes on."""
    if c.finish_reason != "error":
        return None
    return Reason(name="generation_failed", detail=f"{where}: {c.error or 'request failed'}")


def usage(completions: Sequence[Completion]) -> Tokens:
    """What a batch of completions cost, for the manifest."""
    return Tokens(
        prompt=sum(c.prompt_tokens for c in completions),
        completion=sum(c.completion_tokens for c in completions),
        cached=sum(c.cached_tokens for c in completions),
    )


class Backend(Protocol):
    label: str
    """The model name recorded in rows and the manifest."""

    def generate(
        self, batch: Sequence[list[ChatTurn]], params: Sequence[GenParams]
    ) -> list[Completion]: ...


class AsyncBackend(Backend, Protocol):
    """A backend that also takes single requests as they come (`run.mode: async`): an engine
    that batches continuously gets one dialogue's next turn while the others still generate."""

    async def agenerate(self, messages: list[ChatTurn], params: GenParams) -> Completion: ...


async def agenerate(backend: Backend, messages: list[ChatTurn], params: GenParams) -> Completion:
    """One request in async mode: the backend's own `agenerate`, else a batch of one on a worker
    thread (so a blocking backend, e.g. an HTTP client, does not hold up the other dialogues)."""
    own = getattr(backend, "agenerate", None)
    if own is not None:
        reply: Completion = await own(messages, params)
        return reply
    batch = await asyncio.to_thread(backend.generate, [messages], [params])
    return batch[0]


_T = TypeVar("_T")


_RUNNER: asyncio.Runner | None = None


def run_sync(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run a coroutine on the process's one event loop. An async engine binds its output task
    to the loop it first runs on, so every call of a run (turns, judge batches) must share it."""
    global _RUNNER
    if _RUNNER is None:
        _RUNNER = asyncio.Runner()
        atexit.register(_RUNNER.close)
    return _RUNNER.run(coro)
