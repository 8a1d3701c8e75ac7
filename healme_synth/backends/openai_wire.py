"""What comes back over the wire from an OpenAI-compatible server, read into data: a completion,
or a failure with the server's own message, whether another try can help, and whether the
prompt outgrew the model's context (a dialogue outcome, not a failure)."""

from __future__ import annotations

import json
import os
import re
import urllib.parse
from collections.abc import Callable
from typing import Any

import httpx

from healme_synth.backends.batch import Completion
from healme_synth.errors import SetupError

RETRY_STATUS = frozenset({408, 409, 425, 429})


_CONTEXT = re.compile(r"context length|context_length|maximum model length", re.IGNORECASE)


class RequestFailed(Exception):
    """The server answered, but not with a chat completion (or the reply was unreadable)."""

    def __init__(self, status: int | None, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"HTTP {self.status}: {self.message}" if self.status else self.message


def retryable(e: BaseException) -> bool:
    """Worth another try: rate limits, server errors, timeouts and dropped connections. A bad
    request (400), a wrong key (401/403) or an unknown model (404) will not get better."""
    if isinstance(e, RequestFailed):
        return e.status is None or e.status in RETRY_STATUS or e.status >= 500
    if isinstance(e, (httpx.LocalProtocolError, httpx.UnsupportedProtocol)):
        return False
    return isinstance(e, (httpx.TransportError, TimeoutError))


def describe(e: BaseException, timeout_s: float) -> str:
    """A readable one-line error (no traceback, no request headers)."""
    if isinstance(e, RequestFailed):
        return str(e)
    if isinstance(e, (httpx.TimeoutException, TimeoutError)):
        return f"no reply within timeout_s={timeout_s:g} s"
    if isinstance(e, httpx.ConnectError):
        return f"could not connect ({e or type(e).__name__})"
    if isinstance(e, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        return f"the server dropped the connection ({e or type(e).__name__})"
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


def is_context_full(e: BaseException) -> bool:
    """The prompt no longer fits the model's context: a dialogue outcome, not a failure."""
    return isinstance(e, RequestFailed) and e.status == 400 and bool(_CONTEXT.search(e.message))


def retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("retry-after", ""))
    except ValueError:
        return None


def server_message(
    response: httpx.Response, scrub: Callable[[str], str] = lambda text: text
) -> str:
    """The server's own error message (OpenAI's {"error": {"message": ...}}), scrubbed, then
    shortened (a key cut in two by the shortening would escape the scrubber)."""
    try:
        data = response.json()
        error = data.get("error", data) if isinstance(data, dict) else data
        message = error.get("message", error) if isinstance(error, dict) else error
        text = message if isinstance(message, str) else json.dumps(message)
    except (ValueError, AttributeError):
        text = response.text or response.reason_phrase
    text = " ".join(scrub(text).split())
    return text[:300] + ("..." if len(text) > 300 else "")


def read_completion(data: Any) -> Completion:
    """A chat completion's first choice and usage; cached tokens where the server reports them."""
    try:
        choice = data["choices"][0]
        text = choice["message"].get("content") or ""
        finish = str(choice.get("finish_reason") or "stop")
        usage = data.get("usage") or {}
        details = usage.get("prompt_tokens_details") or {}
        return Completion(
            text=text,
            finish_reason=finish,
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            cached_tokens=int(details.get("cached_tokens") or 0),
        )
    except (KeyError, IndexError, TypeError, AttributeError, ValueError):
        raise RequestFailed(None, "the reply is not a chat completion") from None


def api_key(env: str) -> str | None:
    """The API key from the environment variable `env` (None: unset or empty), checked so it
    can go into an HTTP header: a stray line break or a non-ASCII character is refused here,
    naming the variable and what is wrong, never the value (httpx would put the value in its
    error, or fail with a traceback)."""
    key = os.environ.get(env) or None
    if key is None:
        return None
    problem = _key_problem(key)
    if problem is not None:
        raise SetupError(
            f"the environment variable {env} holds an API key that cannot be sent in an HTTP "
            f"header: {problem}. Set {env} to the key alone, one line of printable ASCII "
            f"characters (a key read from a file often keeps its line break: strip it, e.g. "
            f"export {env}=\"$(tr -d '\\r\\n' < keyfile)\")."
        )
    return key


def _key_problem(key: str) -> str | None:
    """What makes a key unfit for an Authorization header (positions count from 1)."""
    for i, ch in enumerate(key, start=1):
        where = "at its end" if i == len(key) else f"at character {i} of {len(key)}"
        if ch in "\r\n":
            kind = "a line break" if ch == "\n" else "a carriage return"
            return f"it holds {kind} {where}"
        if not ch.isascii():
            return f"it holds a non-ASCII character {where}"
        if not ch.isprintable() or ch.isspace():
            return f"it holds a space or control character {where}"
    return None


def scrubber(key: str | None) -> Callable[[str], str]:
    """Replaces every form of the key a message can carry with ***: as is, escaped the way
    repr, bytes and JSON print it, and URL-encoded. Keys of any length (a short one garbles
    a server's message where it happens to occur: better than showing it)."""
    if not key:
        return lambda text: text
    forms = {
        key,
        repr(key)[1:-1],
        repr(key.encode("utf-8", "backslashreplace"))[2:-1],
        repr(key.encode("utf-8"))[2:-1],
        json.dumps(key)[1:-1],
        urllib.parse.quote(key, safe=""),
        urllib.parse.quote_plus(key),
    }
    ordered = sorted((f for f in forms if f), key=len, reverse=True)  # the longest form first

    def scrub(text: str) -> str:
        for form in ordered:
            text = text.replace(form, "***")
        return text

    return scrub


def schema_name(role: str) -> str:
    """response_format names allow [A-Za-z0-9_-]{1,64}."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", role or "reply")[:64] or "reply"
