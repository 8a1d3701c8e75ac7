"""In-process vLLM: one `LLM.chat` call per batch, one engine per model for the whole process.

Engines are kept in a process-wide cache keyed by their settings, so roles naming the same model
share one engine, and a test session (or a long-lived process) starts each engine only once.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from healme_synth.backends.batch import ChatTurn, Completion, GenParams
from healme_synth.backends.embedded import resolve_model
from healme_synth.config import VllmModel
from healme_synth.errors import SetupError

_ENGINES: dict[str, Any] = {}


def _on_cpu() -> bool:
    import torch

    return not torch.cuda.is_available()


def engine_for(model: VllmModel) -> Any:
    """The shared engine for these settings, started on first use."""
    key = model.model_dump_json()
    if key in _ENGINES:
        return _ENGINES[key]
    settings = engine_settings(model)
    try:
        from vllm import LLM
    except ImportError as e:
        raise missing_vllm(e) from None
    _ENGINES[key] = LLM(**settings)
    return _ENGINES[key]


def missing_vllm(e: ImportError) -> SetupError:
    return SetupError(
        f"the vllm backend needs vLLM ({e}). Install it with "
        "pip install 'healme-synth[cpu]' (CPU-only machines) or 'healme-synth[gpu]'."
    )


def engine_settings(model: VllmModel) -> dict[str, Any]:
    """The engine arguments for these settings, and the environment they need (set here, before
    vllm is imported): one place for the in-process engine and the async one (vllm_async)."""
    on_cpu = _on_cpu()
    # Must be set before vllm is imported: otherwise the CPU backend reserves one of two cores
    # and tries to claim most of a memory node for its KV cache.
    os.environ.setdefault("VLLM_CPU_NUM_OF_RESERVED_CPU", "0")
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", str(model.cpu_kv_cache_gib))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")  # keep the progress bar readable
    if on_cpu:
        # In-process engine core on CPU: starts in ~6 s instead of ~22 s, same throughput,
        # and exits without force-killing a worker.
        os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
    path = resolve_model(model.model)
    eager = model.enforce_eager if model.enforce_eager is not None else on_cpu
    # In bf16 on CPU a seeded request's text changes with the rest of its batch; in float32 it
    # does not (measured: ~25% fewer tokens/s). Dialogues must not depend on batch composition.
    dtype = "float32" if model.dtype == "auto" and on_cpu else model.dtype
    cpu_only: dict[str, Any] = {}
    if on_cpu:
        # vLLM rewinds a seeded request's generator when a chunked prefill discards its sampled
        # token; CPU generators cannot rewind ("CPU Generator does not use offset") and the
        # engine dies. Scheduling whole prompts only avoids the discard.
        cpu_only = {
            "enable_chunked_prefill": False,
            "max_num_batched_tokens": max(4096, model.max_model_len),
        }
    return dict(
        model=path,
        max_model_len=model.max_model_len,
        dtype=dtype,
        tensor_parallel_size=model.tensor_parallel_size,
        gpu_memory_utilization=model.gpu_memory_utilization,
        enforce_eager=eager,
        enable_prefix_caching=True,
        seed=model.seed,
        # Without this, xgrammar lets JSON replies run into whitespace until max_tokens.
        structured_outputs_config={"backend": "xgrammar", "disable_any_whitespace": True},
        **cpu_only,
    )


class VllmBackend:
    def __init__(self, model: VllmModel) -> None:
        self.label = model.label()
        self.llm = engine_for(model)
        self.tokenizer = self.llm.get_tokenizer()
        self.max_model_len = model.max_model_len

    def generate(
        self, batch: Sequence[list[ChatTurn]], params: Sequence[GenParams]
    ) -> list[Completion]:
        if not batch:
            return []
        # A prompt that no longer fits the context is answered here, without the engine: vLLM
        # would refuse the whole batch. The reply may use only what room is left.
        results: list[Completion | None] = [None] * len(batch)
        sent, sampling = [], []
        for i, (messages, p) in enumerate(zip(batch, params, strict=True)):
            room = self.max_model_len - self.prompt_length(messages)
            if room < 1:
                results[i] = Completion("", "context_full", prompt_tokens=self.max_model_len - room)
                continue
            sent.append(i)
            sampling.append(_sampling(p, min(p.max_tokens, room)))
        outputs = (
            self.llm.chat([list(batch[i]) for i in sent], sampling_params=sampling, use_tqdm=False)
            if sent
            else []
        )
        for i, out in zip(sent, outputs, strict=True):
            results[i] = Completion(
                text=out.outputs[0].text,
                finish_reason=str(out.outputs[0].finish_reason),
                prompt_tokens=len(out.prompt_token_ids or []),
                completion_tokens=len(out.outputs[0].token_ids),
                cached_tokens=out.num_cached_tokens or 0,
            )
        return [r for r in results if r is not None]

    def prompt_length(self, messages: list[ChatTurn]) -> int:
        text = self.tokenizer.apply_chat_template(
            list(messages), tokenize=False, add_generation_prompt=True
        )
        return len(self.tokenizer.encode(text, add_special_tokens=False))


def _sampling(p: GenParams, max_tokens: int) -> Any:
    from vllm import SamplingParams
    from vllm.sampling_params import StructuredOutputsParams

    structured = StructuredOutputsParams(json=p.json_schema) if p.json_schema else None
    return SamplingParams(
        temperature=p.temperature,
        top_p=p.top_p,
        max_tokens=max_tokens,
        seed=p.seed,
        stop=list(p.stop) or None,
        repetition_penalty=p.repetition_penalty,
        structured_outputs=structured,
    )
