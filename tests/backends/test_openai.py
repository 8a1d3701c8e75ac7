"""The openai backend: retries, failures as data, start-up checks, per-role models, the exit
code of a run with failed dialogues, and the API key kept out of everything written.

Unit tests talk to a small real HTTP server (tests/backends/fault_server.py); the `engine`
tests start a real vLLM OpenAI-compatible server on the embedded model once per session, and
put the same fault-injecting server in front of it as a proxy.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest
import yaml

from healme_synth import pipeline
from healme_synth.backends import Completion, GenParams, build_backends, failure
from healme_synth.backends.openai import (
    PROBE_REPLY,
    OpenAIBackend,
    RequestFailed,
    is_context_full,
    retryable,
)
from healme_synth.config import OpenAIModel, load_pipeline
from healme_synth.errors import SetupError
from healme_synth.records import Reason
from healme_synth.roleplay.turns import take_reply
from tests.backends.fault_server import Faults, FaultServer
from tests.conftest import ROOT, cli, scripted_config
from tests.helpers import dialogue

KEY_ENV = "HEALME_TEST_API_KEY"
KEY = "sk-healme-canary-7f3a9c"
"""A key that must reach the server and nothing else: no file, log, manifest or message."""

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello."}]


def model(base_url: str, **overrides: Any) -> OpenAIModel:
    fields: dict[str, Any] = {
        "backend": "openai",
        "base_url": base_url,
        "model": "toy",
        "api_key_env": KEY_ENV,
        "max_retries": 3,
        "timeout_s": 5,
    }
    return OpenAIModel(**(fields | overrides))


def params(seed: int = 1, **overrides: Any) -> GenParams:
    fields: dict[str, Any] = {"temperature": 0.7, "top_p": 0.9, "max_tokens": 32, "seed": seed}
    return GenParams(**(fields | overrides))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries wait milliseconds here; the schedule itself is tenacity's."""
    monkeypatch.setattr("healme_synth.backends.openai.BACKOFF_S", 0.01)


# Classification, as tables --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "again"),
    [
        (RequestFailed(429, "rate limited"), True),
        (RequestFailed(500, "internal"), True),
        (RequestFailed(502, "bad gateway"), True),
        (RequestFailed(503, "unavailable"), True),
        (RequestFailed(408, "request timeout"), True),
        (RequestFailed(None, "the reply is not JSON"), True),
        (RequestFailed(400, "bad request"), False),
        (RequestFailed(401, "unauthorized"), False),
        (RequestFailed(403, "forbidden"), False),
        (RequestFailed(404, "no such model"), False),
        (RequestFailed(422, "unprocessable"), False),
        (httpx.ConnectError("refused"), True),
        (httpx.ReadTimeout("slow"), True),
        (httpx.RemoteProtocolError("Server disconnected"), True),
        (httpx.ReadError("Connection reset by peer"), True),
        (TimeoutError(), True),
        (httpx.LocalProtocolError("our bug"), False),
        (ValueError("a bug"), False),
    ],
)
def test_retry_classification(error: BaseException, again: bool) -> None:
    assert retryable(error) is again


@pytest.mark.parametrize(
    ("error", "full"),
    [
        (
            RequestFailed(
                400,
                "This model's maximum context length is 2048 tokens. However, your prompt "
                "contains at least 2049 input tokens",
            ),
            True,
        ),
        (RequestFailed(400, "context_length_exceeded"), True),
        (RequestFailed(400, "temperature must be at most 2"), False),
        (RequestFailed(500, "maximum context length"), False),
    ],
)
def test_context_full_classification(error: BaseException, full: bool) -> None:
    assert is_context_full(error) is full


@pytest.mark.parametrize(
    ("completion", "reason"),
    [
        (
            Completion("", "error", error="HTTP 500: boom (after 5 attempts)"),
            Reason(
                name="generation_failed",
                detail="turn 3 (counselor): HTTP 500: boom (after 5 attempts)",
            ),
        ),
        (
            Completion("", "error"),
            Reason(name="generation_failed", detail="turn 3 (counselor): request failed"),
        ),
        (Completion("text", "stop"), None),
        (Completion("", "context_full", prompt_tokens=9), None),
        (Completion("cut", "length"), None),
    ],
)
def test_error_to_reason(completion: Completion, reason: Reason | None) -> None:
    assert failure(completion, "turn 3 (counselor)") == reason


def test_an_error_reply_drops_the_dialogue_out_with_its_reason() -> None:
    d = dialogue(turns=[("client", "I keep failing at work.")])
    from healme_synth.roleplay.protocols import load_protocol

    protocol = load_protocol(ROOT / "prompts", "healme")
    take_reply(d, "counselor", 1, protocol, Completion("", "error", error="HTTP 503: down"))
    assert len(d.messages) == 1 and not d.kept
    assert d.reasons == [
        Reason(name="generation_failed", detail="turn 2 (counselor): HTTP 503: down")
    ]


# The backend against a small real server --------------------------------------------------------


def test_requests_carry_sampling_schema_and_key_only_in_the_header(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    with FaultServer() as server:
        backend = OpenAIBackend(model(server.base_url))
        schema = {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}
        out = backend.generate(
            [MESSAGES, MESSAGES],
            [
                params(11, stop=("\n\n",), repetition_penalty=1.1, role="counselor"),
                params(12, json_schema=schema, role="judge"),
            ],
        )
        backend.close()
    # The two requests are sent concurrently, so they may arrive in either order.
    free, constrained = sorted(server.seen.requests[-2:], key=lambda r: r["seed"])
    assert sorted(free) == sorted(
        [
            "model",
            "messages",
            "temperature",
            "top_p",
            "max_tokens",
            "seed",
            "stop",
            "repetition_penalty",
        ]
    )
    assert free["seed"] == 11 and free["stop"] == ["\n\n"] and free["repetition_penalty"] == 1.1
    assert free["messages"] == MESSAGES and free["model"] == "toy"
    assert constrained["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "judge", "schema": schema, "strict": True},
    }
    assert "repetition_penalty" not in constrained  # 1.0 is the default: not sent
    assert set(server.seen.authorization) == {f"Bearer {KEY}"}
    assert KEY not in json.dumps(server.seen.requests)
    assert out[0].text == server.reply and out[0].finish_reason == "stop"
    assert json.loads(out[1].text).keys() == {"x"}
    assert out[0].cached_tokens == 3 and out[0].prompt_tokens == 3 and out[0].completion_tokens > 0


def test_start_up_proves_structured_outputs_are_honored() -> None:
    with FaultServer() as server:
        OpenAIBackend(model(server.base_url)).close()
    probe = server.seen.requests[0]
    assert probe["response_format"]["json_schema"]["strict"] is True
    assert PROBE_REPLY == {"healme_probe": "kq7-structured"}


def test_a_server_that_ignores_response_format_is_refused_at_start_up() -> None:
    with FaultServer(honor_schema=False) as server, pytest.raises(SetupError) as e:
        OpenAIBackend(model(server.base_url))
    text = str(e.value)
    assert server.base_url in text and "did not honor structured outputs" in text
    assert "ignores `response_format`" in text


def test_an_unreachable_server_is_a_setup_error_naming_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(SetupError) as e:
        OpenAIBackend(model(url, max_retries=1))
    text = str(e.value)
    assert f"cannot reach an OpenAI-compatible server at {url}" in text
    assert "could not connect" in text and "(after 2 attempts)" in text


def test_a_refused_key_names_the_variable_never_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    faults = Faults(poison="", poison_status=401, poison_message="invalid key")
    with FaultServer(faults, echo_key_in_errors=True) as server, pytest.raises(SetupError) as e:
        OpenAIBackend(model(server.base_url))
    text = str(e.value)
    assert "HTTP 401" in text and KEY_ENV in text and "is set" in text
    assert KEY not in text and "Bearer ***" in text  # the server echoed it; we did not


def test_servers_that_refuse_vllm_fields_get_requests_without_them() -> None:
    with FaultServer(refuse=("repetition_penalty",)) as server:
        backend = OpenAIBackend(model(server.base_url))
        [reply] = backend.generate([MESSAGES], [params(repetition_penalty=1.2)])
        backend.close()
    assert reply.finish_reason == "stop"
    assert "repetition_penalty" not in server.seen.requests[-1]


def test_every_fault_kind_is_retried_until_the_request_succeeds() -> None:
    # Each request's first four attempts get a 500, a 429, a stall past the timeout and a
    # dropped connection, in that order; the fifth gets through.
    faults = Faults(first=4, stall_s=1.5)
    with FaultServer(faults) as server:
        backend = OpenAIBackend(model(server.base_url, max_retries=4, timeout_s=0.5))
        out = backend.generate([MESSAGES] * 3, [params(i) for i in range(3)])
        backend.close()
    assert [c.finish_reason for c in out] == ["stop"] * 3
    assert server.seen.faults == {"500": 4, "429": 4, "stall": 4, "drop": 4}  # probe + 3


def test_a_request_failing_after_its_retries_is_an_error_completion_not_an_exception() -> None:
    faults = Faults(poison="doomed")
    with FaultServer(faults) as server:
        backend = OpenAIBackend(model(server.base_url, max_retries=2))
        doomed = [{"role": "user", "content": "this one is doomed"}]
        out = backend.generate([MESSAGES, doomed, MESSAGES], [params(1), params(2), params(3)])
        backend.close()
    assert [c.finish_reason for c in out] == ["stop", "error", "stop"]
    assert out[1].error == "HTTP 500: injected: this request always fails (after 3 attempts)"
    assert out[1].text == ""


def test_a_bad_request_is_not_retried() -> None:
    faults = Faults(poison="bad", poison_status=400, poison_message="temperature is invalid")
    with FaultServer(faults) as server:
        backend = OpenAIBackend(model(server.base_url, max_retries=5))
        [out] = backend.generate([[{"role": "user", "content": "bad"}]], [params()])
        backend.close()
    assert out.error == "HTTP 400: temperature is invalid (after 1 attempt)"
    assert server.seen.faults["poison"] == 1


def test_a_prompt_past_the_context_is_context_full_not_a_failure() -> None:
    message = (
        "This model's maximum context length is 2048 tokens. However, your prompt contains "
        "at least 2049 input tokens, which exceeds this limit even without any output tokens."
    )
    faults = Faults(poison="long", poison_status=400, poison_message=message)
    with FaultServer(faults) as server:
        backend = OpenAIBackend(model(server.base_url))
        [out] = backend.generate([[{"role": "user", "content": "long"}]], [params()])
        backend.close()
    assert out == Completion("", "context_full", prompt_tokens=2049)


def test_concurrency_is_bounded() -> None:
    faults = Faults(first=1, kinds=("stall",), stall_s=0.3)
    with FaultServer(faults) as server:
        backend = OpenAIBackend(model(server.base_url, max_concurrency=2, timeout_s=0.2))
        started = time.monotonic()
        out = backend.generate([MESSAGES] * 4, [params(i) for i in range(4)])
        elapsed = time.monotonic() - started
        backend.close()
    assert all(c.finish_reason == "stop" for c in out)
    # Four first attempts stall for the 0.2 s timeout; two slots take at least two rounds.
    assert elapsed >= 0.4


def test_async_callers_get_single_requests() -> None:
    import asyncio

    with FaultServer() as server:
        backend = OpenAIBackend(model(server.base_url))

        async def both() -> list[Completion]:
            return list(
                await asyncio.gather(
                    backend.agenerate(MESSAGES, params(1)), backend.agenerate(MESSAGES, params(2))
                )
            )

        out = asyncio.run(both())
        backend.close()
    assert [c.finish_reason for c in out] == ["stop", "stop"]


# Pipelines and the command line against the small server ----------------------------------------


def openai_config(base_url: str, roles: dict[str, str] | None = None, **run: Any) -> dict[str, Any]:
    """A scripted pipeline whose roles (default: all) use the server at base_url."""
    on = roles or {"counselor": "server", "client": "server", "judge": "server"}
    config = scripted_config(
        models={
            "server": {
                "backend": "openai",
                "base_url": base_url,
                "model": "toy",
                "api_key_env": KEY_ENV,
                "max_retries": 2,
                "timeout_s": 5,
            },
            "script": {"backend": "scripted"},
        },
        roles={
            "counselor": {"model": on["counselor"], "max_tokens": 24},
            "client": {"model": on["client"], "max_tokens": 24},
            "judge": {"model": on["judge"], "temperature": 0.0, "max_tokens": 96},
        },
    )
    config["run"] = {"name": "t", "seed": 7, "batch_size": 4, **run}
    config["seeds"]["sample"] = 4
    config["filters"] = {"enabled": []}  # fixed replies repeat: only the flow is checked here
    return config


def write(tmp_path: Path, config: dict[str, Any]) -> Path:
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def rows(run_dir: Path) -> list[dict[str, Any]]:
    return [r for p in sorted(run_dir.rglob("*.parquet")) for r in pq.read_table(p).to_pylist()]


def run_cli(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Like conftest's cli(), with extra environment (the API key)."""
    return subprocess.run(
        [sys.executable, "-m", "healme_synth", *map(str, args)],
        check=False,
        capture_output=True,
        text=True,
        env={"COLUMNS": "400", "PATH": "/usr/bin:/bin", **env},
        cwd=ROOT,
        timeout=900,
    )


def first_persona(path: Path) -> str:
    """The thought of the run's first dialogue: text only its client's requests carry."""
    return pipeline.plan(load_pipeline(path)).sample[0].thought


def test_per_role_models_counselor_on_a_server_client_scripted(tmp_path: Path) -> None:
    with FaultServer() as server:
        path = write(
            tmp_path,
            openai_config(
                server.base_url, {"counselor": "server", "client": "script", "judge": "server"}
            ),
        )
        p = pipeline.plan(load_pipeline(path))
        backends = build_backends(p.pipeline.config)
        manifest = pipeline.run(p, tmp_path / "run", backends)
    assert manifest.models == {"counselor": "toy", "client": "scripted", "judge": "toy"}
    assert backends["counselor"] is backends["judge"]  # one model entry, one backend
    got = rows(tmp_path / "run")
    assert len(got) == 4
    for row in got:
        texts = {t["role"]: t["content"] for t in row["turns"]}
        assert texts["counselor"] == server.reply
        assert texts["client"].startswith("Scripted client")
        assert row["verdicts"] and row["verdicts"][0]["parsed"] == 1  # judged on the server
    assert manifest.failures == {}


def test_async_mode_sends_each_dialogues_turns_as_they_come(tmp_path: Path) -> None:
    with FaultServer(Faults(rate=0.2, seed=3, stall_s=0.2)) as server:
        config = openai_config(server.base_url, mode="async")
        config["models"]["server"]["max_retries"] = 5
        p = pipeline.plan(load_pipeline(write(tmp_path, config)))
        manifest = pipeline.run(p, tmp_path / "run")
    assert manifest.counts.dialogues == 4 and manifest.failures == {}
    assert sum(server.seen.faults.values()) > 0  # retried through
    assert all(len(row["turns"]) == 6 for row in rows(tmp_path / "run"))


LONG_REPLY = (
    "Maya is a thirty-two year old nurse who came to the clinic after weeks of poor sleep. "
    "She says that one mistake at work proves she is careless, and she worries that her "
    "colleagues now doubt her. She has support from her sister and wants practical help."
)


@pytest.mark.parametrize(
    ("protocol", "poison", "where"),
    [
        ("cactus", "You write realistic intake forms", "intake form"),
        ("cactus", "You are a CBT supervisor preparing", "planner"),
        ("healme", "strict supervisor rating a counseling session", "judges.ctrs"),
    ],
)
def test_failed_calls_outside_the_turns_are_generation_failed(
    tmp_path: Path, protocol: str, poison: str, where: str
) -> None:
    config = openai_config("http://placeholder/v1")
    config["protocol"] = protocol
    if protocol == "cactus":
        config["seeds"]["expand_intake"] = True
        config["session"] = {"min_turns": 4, "max_turns": 4}
    with FaultServer(Faults(poison=poison), reply=LONG_REPLY) as server:
        config["models"]["server"]["base_url"] = server.base_url
        p = pipeline.plan(load_pipeline(write(tmp_path, config)))
        manifest = pipeline.run(p, tmp_path / "run")
    assert manifest.counts.by_reason["generation_failed"] == 4
    [(error, n)] = manifest.failures.items()
    assert (error, n) == ("HTTP 500: injected: this request always fails (after 3 attempts)", 4)
    for row in rows(tmp_path / "run"):
        assert f"{where}: HTTP 500" in " ".join(row["reason_details"])
    if where == "judges.ctrs":  # the missing verdict is also counted as such
        assert manifest.counts.by_reason["judge_missing"] == 4


def test_a_failed_uptake_reading_leaves_the_turn_unmeasured(tmp_path: Path) -> None:
    with FaultServer(Faults(poison="You read counseling transcripts and mark")) as server:
        p = pipeline.plan(load_pipeline(write(tmp_path, openai_config(server.base_url))))
        manifest = pipeline.run(p, tmp_path / "run")
    assert manifest.counts.kept == 4 and manifest.failures == {}
    assert all(row["first_reframe_turn"] is None for row in rows(tmp_path / "run"))
    assert server.seen.faults["poison"] == 4 * 3  # each reading tried three times


def test_failed_dialogues_are_data_and_the_run_exits_1(tmp_path: Path) -> None:
    with FaultServer(Faults(poison="placeholder"), echo_key_in_errors=True) as server:
        path = write(tmp_path, openai_config(server.base_url))
        server.faults.poison = first_persona(path)
        done = run_cli("run", path, "--out", tmp_path / "run", env={KEY_ENV: KEY})
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert "1 of 4 dialogues failed to generate (25%, above run.max_failed_share 5%)" in (
        " ".join(done.stderr.split())
    )
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["counts"]["dialogues"] == 4
    assert manifest["counts"]["by_reason"]["generation_failed"] == 1
    [(error, n)] = manifest["failures"].items()
    assert n == 1 and error.startswith("HTTP 500: injected: this request always fails")
    assert "Bearer ***" in error  # the server echoed the key; it was scrubbed
    failed = [r for r in rows(tmp_path / "run") if "generation_failed" in r["reasons"]]
    assert len(failed) == 1 and failed[0]["id"].startswith("000000-")
    assert failed[0]["reason_details"][0].startswith("turn 1 (client): HTTP 500")
    assert failed[0]["turns"] == []
    # The key reaches the server, and nothing we write or print.
    assert f"Bearer {KEY}" in server.seen.authorization
    assert_no_key(tmp_path / "run", done)


def test_a_share_within_max_failed_share_exits_0(tmp_path: Path) -> None:
    with FaultServer(Faults(poison="placeholder")) as server:
        path = write(tmp_path, openai_config(server.base_url, max_failed_share=0.25))
        server.faults.poison = first_persona(path)
        done = run_cli("run", path, "--out", tmp_path / "run", env={})
    assert done.returncode == 0, done.stderr[-2000:]
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["counts"]["by_reason"]["generation_failed"] == 1


@pytest.mark.parametrize(("max_failed_share", "code"), [(0.05, 1), (0.25, 0)])
def test_judge_exits_1_when_more_than_the_share_could_not_be_judged(
    tmp_path: Path, max_failed_share: float, code: int
) -> None:
    scripted = {"counselor": "script", "client": "script", "judge": "script"}
    config = openai_config("http://placeholder/v1", scripted, max_failed_share=max_failed_share)
    pipeline.run(pipeline.plan(load_pipeline(write(tmp_path, config))), tmp_path / "run")
    [first] = [r for r in rows(tmp_path / "run") if r["id"].startswith("000000-")]
    # The first dialogue's opening turn is in each of its judge requests, and in no other.
    with FaultServer(Faults(poison=first["turns"][0]["content"])) as server:
        config["models"]["server"]["base_url"] = server.base_url
        config["roles"]["judge"]["model"] = "server"
        path = write(tmp_path, config)
        done = run_cli(
            "judge", tmp_path / "run", "--out", tmp_path / "judged", "--pipeline", path, env={}
        )
    assert done.returncode == code, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    message = (
        "error: 1 of 4 dialogues failed to judge (25%, above run.max_failed_share 5%): 1 x HTTP "
        "500: injected: this request always fails (after 3 attempts). Everything was written"
    )
    assert (message in " ".join(done.stderr.split())) == (code == 1)
    summary = json.loads((tmp_path / "judged" / "summary.json").read_text())
    assert summary["counts"]["dialogues"] == 4
    assert summary["counts"]["by_reason"]["generation_failed"] == 1
    assert summary["failures"] == {
        "HTTP 500: injected: this request always fails (after 3 attempts)": 1
    }
    [failed] = [r for r in rows(tmp_path / "judged") if "generation_failed" in r["reasons"]]
    assert failed["id"] == first["id"]
    assert failed["reason_details"][0].startswith("judges.ctrs: HTTP 500")


def test_an_unreachable_base_url_exits_2_with_one_paragraph(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    config = openai_config(url)
    config["models"]["server"]["max_retries"] = 0
    done = cli("run", write(tmp_path, config), "--out", tmp_path / "run")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    # The progress bar's line, then the error as one paragraph (one line: soft-wrapped).
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: cannot reach an OpenAI-compatible server at {url}")
    assert last.endswith("start it, or fix `base_url` in the pipeline file.")


def test_config_errors_name_the_openai_fields(tmp_path: Path) -> None:
    config = openai_config("http://127.0.0.1:1/v1")
    config["models"]["server"]["max_concurency"] = 4
    config["models"]["server"]["base_url"] = "127.0.0.1:8000"
    done = cli("validate", write(tmp_path, config))
    assert done.returncode == 2
    text = " ".join(done.stderr.split())
    assert "unknown key `models.server.max_concurency`" in text and "max_concurrency" in text
    assert "models.server.base_url" in text


def assert_no_key(run_dir: Path, done: subprocess.CompletedProcess[str]) -> None:
    assert KEY not in done.stdout and KEY not in done.stderr
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


# The real server (vLLM's OpenAI-compatible server on the embedded model) --------------------------


@pytest.fixture(scope="session")
def vllm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base_url, model name) of one real vLLM server for the session, killed at the end."""
    from healme_synth.backends.embedded import prepare_embedded_model

    model_dir = str(prepare_embedded_model())
    port = free_port()
    log_path = tmp_path_factory.mktemp("vllm-server") / "server.log"
    env = {
        **os.environ,
        "VLLM_CPU_KVCACHE_SPACE": "2",
        "VLLM_CPU_NUM_OF_RESERVED_CPU": "0",
        "HF_HUB_OFFLINE": "1",
    }
    command = [
        sys.executable, "-m", "vllm.entrypoints.openai.api_server",
        "--model", model_dir,
        "--host", "127.0.0.1",
        "--port", str(port),
        "--enforce-eager",
        "--max-model-len", "2048",
        # JSON without whitespace padding, as the in-process engine is configured.
        "--structured-outputs-config", '{"backend": "xgrammar", "disable_any_whitespace": true}',
        "--enable-prompt-tokens-details",  # cached tokens in usage
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 300
        while True:
            if server.poll() is not None:
                pytest.fail(f"vLLM server exited: {log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"vLLM server not ready in 300 s: {log_path.read_text()[-3000:]}")
            time.sleep(1)
        yield base_url, model_dir
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server and its engine process
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def server_config(base_url: str, model_name: str, **run: Any) -> dict[str, Any]:
    config = openai_config(base_url, **run)
    config["models"]["server"].update(model=model_name, timeout_s=60, max_retries=3)
    return config


@pytest.mark.engine
def test_a_pipeline_runs_end_to_end_on_the_server(
    vllm_server: tuple[str, str], tmp_path: Path
) -> None:
    base_url, model_name = vllm_server
    config = server_config(base_url, model_name)
    config["seeds"]["sample"] = 2
    config["filters"] = {"enabled": []}  # so every dialogue is judged, however the model writes
    done = run_cli("run", write(tmp_path, config), "--out", tmp_path / "run", env={})
    assert done.returncode == 0, done.stderr[-3000:]
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["counts"]["dialogues"] == 2
    assert "generation_failed" not in manifest["counts"]["by_reason"]
    assert manifest["models"] == dict.fromkeys(("counselor", "client", "judge"), model_name)
    assert manifest["tokens"]["completion"] > 0 and manifest["tokens"]["prompt"] > 0
    got = rows(tmp_path / "run")
    assert len(got) == 2
    for row in got:
        assert [t["role"] for t in row["turns"]] == ["client", "counselor"] * 3
        # Judges answer through response_format: every verdict parsed.
        assert row["verdicts"][0]["parsed"] == 1 and row["verdicts"][0]["missing"] == 0
    [ctrs] = manifest["judges"]
    assert ctrs["judged"] == 2 and ctrs["replies_missing"] == 0
    # The server reports prefix-cache hits (usage.prompt_tokens_details.cached_tokens).
    assert manifest["tokens"]["cached"] > 0


@pytest.mark.engine
def test_counselor_on_the_server_client_scripted(
    vllm_server: tuple[str, str], tmp_path: Path
) -> None:
    base_url, model_name = vllm_server
    config = server_config(base_url, model_name)
    config["roles"]["client"]["model"] = "script"
    config["seeds"]["sample"] = 2
    p = pipeline.plan(load_pipeline(write(tmp_path, config)))
    manifest = pipeline.run(p, tmp_path / "run")
    assert manifest.models == {"counselor": model_name, "client": "scripted", "judge": model_name}
    for row in rows(tmp_path / "run"):
        for turn in row["turns"]:
            scripted = turn["content"].startswith("Scripted client turn")
            assert scripted == (turn["role"] == "client")


@pytest.mark.engine
def test_faults_between_the_run_and_the_server_never_crash_it(
    vllm_server: tuple[str, str], tmp_path: Path
) -> None:
    """Done-when 2: errors (500/429), stalls past the timeout and dropped connections on about
    20% of requests (seeded), plus one dialogue whose requests always fail: every dialogue
    completes or is recorded as failed with its error, and the key appears nowhere."""
    base_url, model_name = vllm_server
    # Seed 0 faults arrivals 1, 14, 15, 17, 21, ...: a 500, a 429, a stall and a drop first.
    faults = Faults(rate=0.2, seed=0, by_arrival=True, stall_s=12)
    with FaultServer(faults, upstream=base_url.removesuffix("/v1")) as proxy:
        config = server_config(proxy.base_url, model_name)
        config["models"]["server"].update(timeout_s=8, max_retries=4, max_concurrency=4)
        path = write(tmp_path, config)
        faults.poison = first_persona(path)
        done = run_cli("run", path, "--out", tmp_path / "run", env={KEY_ENV: KEY})
    assert done.returncode == 1, done.stderr[-3000:]  # 1 of 4 failed: above 5%
    assert "Traceback" not in done.stderr
    seen = proxy.seen
    assert {"500", "429", "stall", "drop"} <= set(seen.faults), (seen.faults, len(seen.requests))
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["counts"]["dialogues"] == 4
    got = rows(tmp_path / "run")
    assert len(got) == 4
    for row in got:
        failed = [
            detail
            for name, detail in zip(row["reasons"], row["reason_details"], strict=True)
            if name == "generation_failed"
        ]
        if row["id"].startswith("000000-"):
            assert failed and "HTTP 500: injected: this request always fails" in failed[0]
        elif failed:  # a transient fault outlasted every retry: recorded, with its error
            assert "(after 5 attempts)" in failed[0]
        else:  # completed: a whole session
            assert [t["role"] for t in row["turns"]] == ["client", "counselor"] * 3
    assert f"Bearer {KEY}" in proxy.seen.authorization
    assert_no_key(tmp_path / "run", done)
