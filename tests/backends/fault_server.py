"""A small real HTTP server for the openai backend's tests: either an OpenAI-compatible toy that
answers by itself (schema-valid JSON for `response_format`, short text otherwise), or a proxy in
front of a real server. Both inject faults deterministically: HTTP 500 and 429, stalls longer
than the client's timeout, and dropped connections, chosen per request body and attempt from a
seed, so the same requests get the same faults whatever order they arrive in.

Plain stdlib (http.server threads): no mock, no extra dependency.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import random
import socket
import struct
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from healme_synth.backends.scripted import _fill

KINDS = ("500", "429", "stall", "drop")
LINGER_RESET = struct.pack("ii", 1, 0)


@dataclass
class Faults:
    """Which requests fail, and how."""

    rate: float = 0.0
    """Share of attempts (seeded per body and attempt) that get one of `kinds`."""
    seed: int = 0
    by_arrival: bool = False
    """Seed the choice per arrival number instead, and take `kinds` in turn: the same faults
    in the same order every run, whatever the bodies (which a real model's replies change)."""
    kinds: tuple[str, ...] = KINDS
    first: int = 0
    """Every request's first N attempts fail (kinds in turn): retries must get it through."""
    poison: str | None = None
    """A request with this text in a message always gets HTTP 500 (a request that never works)."""
    poison_status: int = 500
    poison_message: str = "injected: this request always fails"
    stall_s: float = 2.0
    """How long a stall holds the request before dropping it (longer than the client timeout)."""

    _arrivals: int = 0
    _faulted: int = 0

    def decide(self, body: dict[str, Any], digest: str, attempt: int) -> str | None:
        """Called under the server's lock, once per request received."""
        arrival, self._arrivals = self._arrivals, self._arrivals + 1
        texts = [str(m.get("content", "")) for m in body.get("messages", [])]
        if self.poison is not None and any(self.poison in t for t in texts):
            return "poison"
        if attempt < self.first:
            return self.kinds[attempt % len(self.kinds)]
        if self.by_arrival:
            if random.Random(f"{self.seed}:{arrival}").random() >= self.rate:
                return None
            self._faulted += 1
            return self.kinds[(self._faulted - 1) % len(self.kinds)]
        rng = random.Random(f"{self.seed}:{digest}:{attempt}")
        if rng.random() < self.rate:
            return rng.choice(self.kinds)
        return None


@dataclass
class Seen:
    """What the server received, for assertions."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    authorization: list[str | None] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)
    attempts: Counter[str] = field(default_factory=Counter)
    """Attempts per request body (sha256)."""


class FaultServer:
    """Start with `with FaultServer(...) as s:`; `s.base_url` is its /v1 root."""

    def __init__(
        self,
        faults: Faults | None = None,
        upstream: str | None = None,
        reply: str = "I hear you. What went through your mind right then?",
        honor_schema: bool = True,
        refuse: tuple[str, ...] = (),
        echo_key_in_errors: bool = False,
    ) -> None:
        self.faults = faults or Faults()
        self.upstream = urllib.parse.urlsplit(upstream) if upstream else None
        self.reply = reply
        self.honor_schema = honor_schema
        self.refuse = refuse
        """Request fields answered with HTTP 400 "Unrecognized request argument" (like OpenAI)."""
        self.echo_key_in_errors = echo_key_in_errors
        self.seen = Seen()
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def attempt(self, raw: bytes, body: dict[str, Any], auth: str | None) -> tuple[str, int]:
        digest = hashlib.sha256(raw).hexdigest()
        with self._lock:
            n = self.seen.attempts[digest]
            self.seen.attempts[digest] += 1
            self.seen.requests.append(body)
            self.seen.authorization.append(auth)
            kind = self.faults.decide(body, digest, n)
            if kind is not None:
                self.seen.faults[kind] += 1
        return kind or "", n

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        """What the toy says: JSON that fits the schema asked for, else the fixed reply."""
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).digest()
        schema = (body.get("response_format") or {}).get("json_schema", {}).get("schema")
        text = (
            json.dumps(_fill(schema, digest), separators=(",", ":"))
            if schema and self.honor_schema
            else self.reply
        )
        return {
            "id": "toy",
            "object": "chat.completion",
            "model": body.get("model"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": sum(len(str(m["content"]).split()) for m in body["messages"]),
                "completion_tokens": len(text.split()),
                "prompt_tokens_details": {"cached_tokens": 3},
            },
        }


def _handler(owner: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            if owner.upstream is not None:
                self._forward(b"")
                return
            self._send(200, {"object": "list", "data": [{"id": "toy", "object": "model"}]})

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length", "0")))
            auth = self.headers.get("authorization")
            try:
                body = json.loads(raw)
            except ValueError:
                self._send(400, {"error": {"message": "not JSON"}})
                return
            kind, _ = owner.attempt(raw, body, auth)
            if kind == "poison":
                f = owner.faults
                message = f.poison_message + (f" ({auth})" if owner.echo_key_in_errors else "")
                self._send(f.poison_status, {"error": {"message": message}})
            elif kind == "500":
                self._send(500, {"error": {"message": "injected: internal server error"}})
            elif kind == "429":
                self._send(
                    429, {"error": {"message": "injected: rate limited"}}, {"Retry-After": "0"}
                )
            elif kind == "stall":
                time.sleep(owner.faults.stall_s)
                self._drop()
            elif kind == "drop":
                self._drop()
            elif refused := [k for k in owner.refuse if k in body]:
                message = f"Unrecognized request argument supplied: {refused[0]}"
                self._send(400, {"error": {"message": message}})
            elif owner.upstream is not None:
                self._forward(raw)
            else:
                self._send(200, owner.answer(body))

        def _send(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
            payload = json.dumps(data).encode()
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                self.close_connection = True

        def _drop(self) -> None:
            """Close the connection without a response (a reset, as a crashed proxy does)."""
            self.close_connection = True
            with contextlib.suppress(OSError):  # linger 0: closing sends a reset
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)

        def _forward(self, raw: bytes) -> None:
            up = owner.upstream
            assert up is not None
            conn = http.client.HTTPConnection(up.hostname, up.port, timeout=600)
            try:
                headers = {"content-type": "application/json"}
                if self.headers.get("authorization"):
                    headers["authorization"] = self.headers["authorization"]
                conn.request(self.command, self.path, body=raw or None, headers=headers)
                response = conn.getresponse()
                payload = response.read()
            except OSError as e:
                self._send(502, {"error": {"message": f"proxy: upstream failed ({e})"}})
                return
            finally:
                conn.close()
            try:
                self.send_response(response.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                self.close_connection = True

    return Handler
