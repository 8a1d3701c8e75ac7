"""Backends: one batch-first method, built from the pipeline file by name, imported lazily.

`import healme_synth` must work without vllm installed; only building a vllm backend needs it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypedDict

from healme_synth.records import Tokens

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


def _vllm(model: ModelSection) -> Backend:
    from healme_synth.backends.vllm import VllmBackend
    from healme_synth.config import VllmModel

    assert isinstance(model, VllmModel)
    return VllmBackend(model)


def _scripted(model: ModelSection) -> Backend:
    from healme_synth.backends.scripted import ScriptedBackend
    from healme_synth.config import ScriptedModel

    assert isinstance(model, ScriptedModel)
    return ScriptedBackend(model.replies)


FACTORIES: dict[str, Callable[[ModelSection], Backend]] = {
    "vllm": _vllm,
    "scripted": _scripted,
}


def build_backends(
    config: PipelineConfig, only: Collection[str] | None = None
) -> dict[str, Backend]:
    """One backend per role in use; roles that name the same model share one engine. `only`
    limits them to those roles (e.g. the judge roles, to judge existing dialogues)."""
    by_model: dict[str, Backend] = {}
    by_role: dict[str, Backend] = {}
    judging = set(config.judge_roles())
    if config.measure_reframe_uptake:
        judging.add("judge")  # uptake asks the judge model too
    for role, section in config.roles.sections().items():
        if (role.startswith("judge") and role not in judging) or (
            only is not None and role not in only
        ):
            continue
        if section.model not in by_model:
            model = config.models[section.model]
            by_model[section.model] = FACTORIES[model.backend](model)
        by_role[role] = by_model[section.model]
    return by_role
