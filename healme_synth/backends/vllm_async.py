"""vLLM's async engine in-process (`run.mode: async`): one request per dialogue turn, sent the
moment that dialogue is ready, so the engine's continuous batching stays full without turn
barriers.

The engine takes the same settings as the in-process `LLM` (`vllm.engine_settings`: float32,
eager and whole-prompt scheduling on CPU, prefix caching, the same seeds), and a run builds only
this one: an `LLM` and an `AsyncLLM` of one model would hold it in memory twice. Batch calls
(planning, judging) go through the same engine, as concurrent single requests.
"""

from __future__ import annotations

import asyncio
import atexit
import itertools
from collections.abc import Sequence
from typing import Any

from healme_synth.backends.batch import ChatTurn, Completion, GenParams, run_sync
from healme_synth.backends.vllm import _sampling, engine_settings, missing_vllm
from healme_synth.config import VllmModel

_ENGINES: dict[str, Any] = {}


def async_engine_for(model: VllmModel) -> Any:
    """The shared async engine for these settings, started on first use (on the process's event
    loop, which its output task then belongs to)."""
    key = model.model_dump_json()
    if key not in _ENGINES:
        _ENGINES[key] = run_sync(_start(model))
        atexit.register(_stop, _ENGINES[key])
    return _ENGINES[key]


def _stop(engine: Any) -> None:
    """Stop the engine's worker process at exit, once: its `__del__` would try again during
    interpreter teardown, when the modules it calls are gone, and print a traceback."""
    engine.shutdown()
    engine.shutdown = lambda *args, **kwargs: None


async def _start(model: VllmModel) -> Any:
    settings = engine_settings(model)
    try:
        from vllm.config import StructuredOutputsConfig
        from vllm.engine.arg_utils import AsyncEngineArgs
        from vllm.v1.engine.async_llm import AsyncLLM
    except ImportError as e:
        raise missing_vllm(e) from None
    settings["structured_outputs_config"] = StructuredOutputsConfig(
        **settings["structured_outputs_config"]
    )
    # No periodic stats logging: nothing reads it, and it costs the frontend time per step.
    args = AsyncEngineArgs(**settings, disable_log_stats=True)
    return AsyncLLM.from_engine_args(args)


class AsyncVllmBackend:
    def __init__(self, model: VllmModel) -> None:
        self.label = model.label()
        self.engine = async_engine_for(model)
        self.tokenizer = self.engine.get_tokenizer()
        self.max_model_len = model.max_model_len
        self._ids = itertools.count()

    def generate(
        self, batch: Sequence[list[ChatTurn]], params: Sequence[GenParams]
    ) -> list[Completion]:
        """A batch as concurrent single requests: the engine batches them itself."""

        async def every() -> list[Completion]:
            return list(
                await asyncio.gather(
                    *(self.agenerate(m, p) for m, p in zip(batch, params, strict=True))
                )
            )

        return run_sync(every()) if batch else []

    async def agenerate(self, messages: list[ChatTurn], params: GenParams) -> Completion:
        from vllm.sampling_params import RequestOutputKind

        # The same prompt tokens `LLM.chat` builds (the chat template, no extra special tokens),
        # and a prompt beyond the context is answered without the engine, as in VllmBackend.
        ids = self.prompt_ids(messages)
        room = self.max_model_len - len(ids)
        if room < 1:
            return Completion("", "context_full", prompt_tokens=len(ids))
        sampling = _sampling(params, min(params.max_tokens, room))
        sampling.output_kind = RequestOutputKind.FINAL_ONLY  # one result, no streamed deltas
        final = None
        request_id = f"{params.role or 'request'}-{next(self._ids)}"
        async for out in self.engine.generate({"prompt_token_ids": ids}, sampling, request_id):
            final = out
        assert final is not None and final.finished
        reply = final.outputs[0]
        return Completion(
            text=reply.text,
            finish_reason=str(reply.finish_reason),
            prompt_tokens=len(final.prompt_token_ids or ids),
            completion_tokens=len(reply.token_ids),
            cached_tokens=final.num_cached_tokens or 0,
        )

    def prompt_ids(self, messages: list[ChatTurn]) -> list[int]:
        text = self.tokenizer.apply_chat_template(
            list(messages), tokenize=False, add_generation_prompt=True
        )
        ids: list[int] = self.tokenizer.encode(text, add_special_tokens=False)
        return ids
