"""Backends: one batch-first method (`generate(batch, params) -> completions`), built from the
pipeline file through lazy factories, plus the one place requests are built (views, seeds,
sampling). `import healme_synth` works without vllm; only building a vllm backend needs it."""

from healme_synth.backends.batch import (
    AsyncBackend,
    Backend,
    ChatTurn,
    Completion,
    GenParams,
    agenerate,
    failure,
    run_sync,
    usage,
)
from healme_synth.backends.factory import build_backends, roles_in_use
from healme_synth.backends.requests import (
    ViewError,
    check_alternation,
    gen_params,
    turn_seed,
    view,
)

__all__ = [
    "AsyncBackend",
    "Backend",
    "ChatTurn",
    "Completion",
    "GenParams",
    "ViewError",
    "agenerate",
    "build_backends",
    "check_alternation",
    "failure",
    "gen_params",
    "roles_in_use",
    "run_sync",
    "turn_seed",
    "usage",
    "view",
]
