"""Backends: one batch-first method, built from the pipeline file by name, imported lazily.

`import healme_synth` must work without vllm installed; only building a vllm backend needs it.
"""

from __future__ import annotations

import asyncio
import atexit
from collections.abc import Callable, Collection, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypedDict, TypeVar

from healme_synth.records import Reason, Tokens

if TYPE_CHECKING:  # config imports backends.embedded, so import it here only for types
    from healme_synth.config import ModelSection, PipelineConfig


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


def _vllm(model: ModelSection) -> Backend:
    from healme_synth.backends.vllm import VllmBackend
    from healme_synth.config import VllmModel

    assert isinstance(model, VllmModel)
    return VllmBackend(model)


def _vllm_async(model: ModelSection) -> Backend:
    from healme_synth.backends.vllm_async import AsyncVllmBackend
    from healme_synth.config import VllmModel

    assert isinstance(model, VllmModel)
    return AsyncVllmBackend(model)


def _openai(model: ModelSection) -> Backend:
    from healme_synth.backends.openai import OpenAIBackend
    from healme_synth.config import OpenAIModel

    assert isinstance(model, OpenAIModel)
    return OpenAIBackend(model)


def _scripted(model: ModelSection) -> Backend:
    from healme_synth.backends.scripted import ScriptedBackend
    from healme_synth.config import ScriptedModel

    assert isinstance(model, ScriptedModel)
    return ScriptedBackend(model.replies)


FACTORIES: dict[str, Callable[[ModelSection], Backend]] = {
    "vllm": _vllm,
    "scripted": _scripted,
    "openai": _openai,
}
ASYNC_FACTORIES: dict[str, Callable[[ModelSection], Backend]] = {"vllm": _vllm_async}
"""`run.mode: async` builds these instead (only the async engine: two engines of one model
would hold it twice); backends not listed here serve single requests as batches of one."""


def build_backends(
    config: PipelineConfig, only: Collection[str] | None = None
) -> dict[str, Backend]:
    """One backend per role in use; roles that name the same model share one engine. `only`
    limits them to those roles (e.g. the judge roles, to judge existing dialogues)."""
    by_model: dict[str, Backend] = {}
    by_role: dict[str, Backend] = {}
    for role, name in roles_in_use(config, only).items():
        if name not in by_model:
            model = config.models[name]
            factories = ASYNC_FACTORIES if config.run.mode == "async" else {}
            by_model[name] = factories.get(model.backend, FACTORIES[model.backend])(model)
        by_role[role] = by_model[name]
    return by_role


def roles_in_use(config: PipelineConfig, only: Collection[str] | None = None) -> dict[str, str]:
    """role -> model name, for the roles a run calls (judge roles only when something judges)."""
    judging = set(config.judge_roles())
    if config.measure_reframe_uptake:
        judging.add("judge")  # uptake asks the judge model too
    return {
        role: section.model
        for role, section in config.roles.sections().items()
        if not (role.startswith("judge") and role not in judging) and (only is None or role in only)
    }
