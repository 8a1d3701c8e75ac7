"""Backends built from the pipeline file by name, through a dict of lazy factories: `import
healme_synth` works without vllm installed, and roles naming one model share one engine."""

from __future__ import annotations

from collections.abc import Callable, Collection

from healme_synth.backends.batch import Backend
from healme_synth.config import ModelSection, PipelineConfig


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
