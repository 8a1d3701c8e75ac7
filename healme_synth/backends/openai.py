"""Any OpenAI-compatible server over HTTP (vLLM's, SGLang, llama.cpp server, a hosted API).

A batch becomes concurrent requests (at most `max_concurrency` in flight) on an event loop
that this backend owns in a thread of its own, so it serves plain callers and async ones on
any loop alike. A 429, a 5xx, a timeout or a dropped connection is retried with jittered
exponential backoff; a request still failing after `max_retries` comes back as a Completion
with finish_reason "error" and the error text, never an exception: one bad request must not
fail a batch of dialogues.

The API key is read from the environment variable the config names and goes only into the
Authorization header: it is never logged, stored, or put into an error message.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import threading
import weakref
from collections.abc import Coroutine, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_random_exponential

from healme_synth.backends.batch import ChatTurn, Completion, GenParams
from healme_synth.backends.openai_wire import (
    RequestFailed,
    api_key,
    describe,
    is_context_full,
    read_completion,
    retry_after,
    retryable,
    schema_name,
    scrubber,
    server_message,
)
from healme_synth.config import OpenAIModel
from healme_synth.errors import SetupError

log = logging.getLogger(__name__)

BACKOFF_S = 0.5
"""The first retry waits up to this long (full jitter); each later one up to twice as long."""
BACKOFF_MAX_S = 30.0
RETRY_AFTER_MAX_S = 60.0
"""A server's Retry-After is honored up to this many seconds."""
"""Client-side statuses worth another try (besides every 5xx): timeouts, conflicts, rate limits."""
_PROMPT_TOKENS = re.compile(
    r"contains (?:at least )?(\d+) input tokens|input length \((\d+)\)|resulted in (\d+) tokens",
    re.IGNORECASE,
)

# The start-up probe: a reply no model writes unconstrained, so only an honored schema passes.
PROBE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"healme_probe": {"type": "string", "enum": ["kq7-structured"]}},
    "required": ["healme_probe"],
    "additionalProperties": False,
}
PROBE_REPLY = {"healme_probe": "kq7-structured"}
_PROBE_MESSAGES: list[ChatTurn] = [
    {"role": "system", "content": "You answer in JSON."},
    {"role": "user", "content": "Say hello."},
]
_EXTRAS = ("repetition_penalty",)
"""vLLM/SGLang sampling fields outside the OpenAI API; dropped for servers that refuse them."""

_T = TypeVar("_T")


def _wait(state: RetryCallState) -> float:
    """Full-jitter exponential backoff, but never shorter than the server's Retry-After."""
    delay = wait_random_exponential(multiplier=BACKOFF_S, max=BACKOFF_MAX_S)(state)
    failed = state.outcome.exception() if state.outcome is not None else None
    if isinstance(failed, RequestFailed) and failed.retry_after is not None:
        delay = max(delay, min(failed.retry_after, RETRY_AFTER_MAX_S))
    return float(delay)


class OpenAIBackend:
    def __init__(self, model: OpenAIModel) -> None:
        self.label = model.label()
        self.model = model
        self.url = model.base_url.rstrip("/")
        self._key = api_key(model.api_key_env)  # checked before any thread or request
        self._scrubbed = scrubber(self._key)
        self._extras = True
        """The server takes vLLM's extra sampling fields (probed at start-up)."""
        self._warned_extras = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=f"openai-backend {self.url}", daemon=True
        )
        self._thread.start()
        # A backend nobody closes stops its loop thread when it is collected.
        self._finalizer = weakref.finalize(self, _stop, self._loop)
        self._client: httpx.AsyncClient | None = None
        self._slots: asyncio.Semaphore | None = None
        try:
            self._run(self._start())
        except BaseException:
            self.close()
            raise

    # The loop and its client -----------------------------------------------------------

    def _run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        return self._submit(coro).result()

    def _submit(self, coro: Coroutine[Any, Any, _T]) -> Future[_T]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def close(self) -> None:
        """Close the connections and stop the loop thread (also fine to never call)."""
        if self._loop.is_closed():
            return
        self._finalizer.detach()
        if self._client is not None:
            self._run(self._client.aclose())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def _scrub(self, text: str) -> str:
        """Belt and braces: a server or library that echoes the key (in any escaped form)
        must not put it into our records."""
        return self._scrubbed(text)

    # Requests ------------------------------------------------------------------------------

    def generate(
        self, batch: Sequence[list[ChatTurn]], params: Sequence[GenParams]
    ) -> list[Completion]:
        if not batch:
            return []
        return self._run(self._batch(list(batch), list(params)))

    async def agenerate(self, messages: list[ChatTurn], params: GenParams) -> Completion:
        """One request for async callers, on whatever loop they run."""
        return await asyncio.wrap_future(self._submit(self._one(messages, params)))

    async def _batch(
        self, batch: list[list[ChatTurn]], params: list[GenParams]
    ) -> list[Completion]:
        return list(
            await asyncio.gather(*(self._one(m, p) for m, p in zip(batch, params, strict=True)))
        )

    def body(self, messages: list[ChatTurn], p: GenParams) -> dict[str, Any]:
        """The request: OpenAI's fields, plus vLLM's repetition_penalty where the server takes
        it, and structured outputs as response_format (the one form every server reads)."""
        body: dict[str, Any] = {
            "model": self.model.model,
            "messages": list(messages),
            "temperature": p.temperature,
            "top_p": p.top_p,
            "max_tokens": p.max_tokens,
            "seed": p.seed,
        }
        if p.stop:
            body["stop"] = list(p.stop)
        if p.repetition_penalty != 1.0:
            if self._extras:
                body["repetition_penalty"] = p.repetition_penalty
            elif not self._warned_extras:
                self._warned_extras = True
                log.warning("%s does not take repetition_penalty; it is not applied", self.url)
        if p.json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": schema_name(p.role),
                    "schema": p.json_schema,
                    "strict": True,
                },
            }
        return body

    async def _one(self, messages: list[ChatTurn], p: GenParams) -> Completion:
        return await self._request(self.body(messages, p))

    async def _request(self, body: dict[str, Any]) -> Completion:
        """One request with its retries; what still fails comes back as an error completion
        (a prompt past the model's context as `context_full`, as the vllm backend gives it)."""
        attempts = 0
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.model.max_retries + 1),
                wait=_wait,
                retry=retry_if_exception(retryable),
                reraise=True,
            ):
                with attempt:
                    attempts += 1
                    return await self._post(body)
        except (RequestFailed, httpx.HTTPError, TimeoutError) as e:
            if is_context_full(e):
                found = _PROMPT_TOKENS.search(str(e))
                tokens = int(next(g for g in found.groups() if g)) if found else 0
                return Completion("", "context_full", prompt_tokens=tokens)
            tries = f" (after {attempts} attempt{'s' if attempts != 1 else ''})"
            error = self._scrub(describe(e, self.model.timeout_s) + tries)
            log.debug("request to %s failed: %s", self.url, error)
            return Completion("", "error", error=error)
        raise AssertionError("unreachable: tenacity either returns or raises")

    async def _post(self, body: dict[str, Any]) -> Completion:
        assert self._client is not None and self._slots is not None
        async with self._slots, asyncio.timeout(self.model.timeout_s):
            response = await self._client.post(f"{self.url}/chat/completions", json=body)
            if response.status_code != 200:
                raise RequestFailed(
                    response.status_code,
                    server_message(response, self._scrub),
                    retry_after(response),
                )
            try:
                data = response.json()
            except ValueError:
                raise RequestFailed(None, "the reply is not JSON") from None
        completion = read_completion(data)
        # A server that echoes the key into a reply must not put it into the dataset either.
        return dataclasses.replace(completion, text=self._scrub(completion.text))

    # Start-up ------------------------------------------------------------------------------

    async def _start(self) -> None:
        """Reach the server and prove it honors structured outputs (servers silently ignore
        fields they do not know, so a judge would get unconstrained text without this)."""
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        self._client = httpx.AsyncClient(
            headers=headers,
            timeout=httpx.Timeout(self.model.timeout_s),
            limits=httpx.Limits(max_connections=self.model.max_concurrency),
        )
        self._slots = asyncio.Semaphore(self.model.max_concurrency)
        probe = GenParams(
            temperature=0.0,
            top_p=1.0,
            max_tokens=64,
            seed=0,
            repetition_penalty=1.0,
            role="probe",
            json_schema=PROBE_SCHEMA,
        )
        reply = await self._probe(probe)
        if reply.finish_reason == "error" and self._refuses_extras(reply.error or ""):
            self._extras = False
            reply = await self._probe(probe)
        if reply.finish_reason == "length":  # JSON padded with whitespace: give it room
            reply = await self._probe(dataclasses.replace(probe, max_tokens=512))
        if reply.finish_reason == "error":
            raise SetupError(self._unusable(reply.error or "request failed"))
        if _parsed(reply.text) != PROBE_REPLY:
            raise SetupError(self._unconstrained(reply))

    async def _probe(self, p: GenParams) -> Completion:
        body = self.body(_PROBE_MESSAGES, p)
        if self._extras:
            body["repetition_penalty"] = 1.0  # does the server take vLLM's extra fields?
        return await self._request(body)

    def _refuses_extras(self, error: str) -> bool:
        return (
            self._extras
            and error.startswith(("HTTP 400", "HTTP 422"))
            and any(name in error for name in _EXTRAS)
        )

    def _unusable(self, error: str) -> str:
        m = self.model
        if error.startswith(("HTTP 401", "HTTP 403")):
            key = "is set" if self._key else "is not set"
            return (
                f"the OpenAI-compatible server at {self.url} refused the request ({error}); "
                f"the API key is read from the environment variable {m.api_key_env}, which "
                f"{key}. Set it (or api_key_env in the pipeline file) to a key the server takes."
            )
        if error.startswith("HTTP 404"):
            return (
                f"the OpenAI-compatible server at {self.url} does not serve model "
                f"{m.model!r} at {self.url}/chat/completions ({error}). Check `model` and "
                "`base_url` (it usually ends in /v1) in the pipeline file."
            )
        if error.startswith("HTTP"):
            return (
                f"the OpenAI-compatible server at {self.url} answered a test request for model "
                f"{m.model!r} with an error ({error}); expected a chat completion."
            )
        return (
            f"cannot reach an OpenAI-compatible server at {self.url}: {error}. Expected one "
            f"serving model {m.model!r} with {self.url}/chat/completions (e.g. python -m "
            "vllm.entrypoints.openai.api_server --model ... --port N); start it, or fix "
            "`base_url` in the pipeline file."
        )

    def _unconstrained(self, reply: Completion) -> str:
        shown = " ".join(self._scrub(reply.text).split())[:120]  # scrubbed before it is cut
        hint = (
            " The reply ran out of tokens while still open: the server pads JSON with "
            "whitespace; on vLLM start it with --structured-outputs-config "
            "'{\"disable_any_whitespace\": true}'."
            if reply.finish_reason == "length" and reply.text.lstrip().startswith("{")
            else " The server ignores `response_format` (json_schema), so judges, the planner "
            "and uptake would get free text; use a server and model that support structured "
            "outputs (vLLM, SGLang, llama.cpp server, OpenAI)."
        )
        return (
            f"the OpenAI-compatible server at {self.url} (model {self.model.model!r}) did not "
            f"honor structured outputs: a test request constrained to the JSON "
            f"{json.dumps(PROBE_REPLY)} came back as {shown!r} (finish_reason "
            f"{reply.finish_reason}).{hint}"
        )


def _stop(loop: asyncio.AbstractEventLoop) -> None:
    if not loop.is_closed():
        loop.call_soon_threadsafe(loop.stop)


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
