"""The API key and base_url credentials: checked at start-up (naming the variable, never the
value), scrubbed in every form from whatever the server or httpx says, and refused inside
base_url. Against a real local server (tests/backends/fault_server.py)."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from healme_synth.backends import GenParams
from healme_synth.backends.openai import OpenAIBackend
from healme_synth.backends.openai_wire import api_key, scrubber
from healme_synth.config import OpenAIModel, load_pipeline
from healme_synth.errors import ConfigError, SetupError
from tests.backends.fault_server import Faults, FaultServer
from tests.conftest import scripted_config

ENV = "HEALME_SECRET_TEST_KEY"
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello."}]


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("healme_synth.backends.openai.BACKOFF_S", 0.01)


def model(base_url: str, **overrides: Any) -> OpenAIModel:
    fields: dict[str, Any] = {
        "backend": "openai",
        "base_url": base_url,
        "model": "toy",
        "api_key_env": ENV,
        "max_retries": 0,
        "timeout_s": 5,
    }
    return OpenAIModel(**(fields | overrides))


def params() -> GenParams:
    return GenParams(temperature=0.7, top_p=0.9, max_tokens=32, seed=1)


def forms(key: str) -> set[str]:
    return {
        key,
        repr(key)[1:-1],
        repr(key.encode("utf-8", "backslashreplace"))[2:-1],
        json.dumps(key)[1:-1],
        urllib.parse.quote(key, safe=""),
    }


KEYS = ["sk-healme-canary-7f3a9c", "Qz7", "k", "sk-'quote\"and\\slash", "sk-per%cent+plus"]


@pytest.mark.parametrize("key", KEYS)
def test_every_form_of_the_key_is_scrubbed(key: str) -> None:
    scrub = scrubber(key)
    for form in forms(key):
        said = scrub(f"Illegal header value b'Bearer {form}' (sent {form!r}, {json.dumps(form)})")
        assert not any(f in said for f in forms(key)), said
        assert "Bearer ***" in said


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("sk-healme-canary\n", "a line break at its end"),
        ("sk-healme-canary\r", "a carriage return at its end"),
        ("sk-healme\r\ncanary", "a carriage return at character 10 of 17"),
        ("sk-h\u00e9lme-canary", "a non-ASCII character at character 5 of 15"),
        ("sk-healme canary", "a space or control character at character 10 of 16"),
        (" sk-healme-canary", "a space or control character at character 1 of 17"),
        ("sk-healme\tcanary", "a space or control character at character 10 of 16"),
    ],
)
def test_a_key_unfit_for_a_header_is_refused_naming_the_variable(
    key: str, problem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, key)
    with pytest.raises(SetupError) as caught:
        api_key(ENV)
    text = str(caught.value)
    assert f"the environment variable {ENV} holds an API key" in text and problem in text
    assert not any(f in text for f in forms(key) | forms(key.strip()))


def test_an_unset_or_empty_key_sends_no_header(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    assert api_key(ENV) is None
    monkeypatch.setenv(ENV, "")
    assert api_key(ENV) is None


def test_an_unfit_key_fails_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """It used to reach httpx: `Illegal header value b'Bearer sk-...\\n'`, key and all."""
    monkeypatch.setenv(ENV, "sk-healme-canary-7f3a9c\n")
    with FaultServer() as server, pytest.raises(SetupError) as caught:
        OpenAIBackend(model(server.base_url))
    assert server.seen.requests == []
    assert "sk-healme-canary" not in str(caught.value)


def test_a_non_ascii_key_is_a_setup_error_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "sk-\u043a\u043b\u044e\u0447")
    with FaultServer() as server, pytest.raises(SetupError, match="non-ASCII character"):
        OpenAIBackend(model(server.base_url))


@pytest.mark.parametrize("key", ["Qz7", "sk-'quote\"and\\slash"])
def test_short_and_odd_keys_echoed_by_the_server_are_scrubbed(
    key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, key)
    faults = Faults(poison="", poison_status=401)
    with FaultServer(faults, echo_key_in_errors=True) as server, pytest.raises(SetupError) as e:
        OpenAIBackend(model(server.base_url))
    assert set(server.seen.authorization) == {f"Bearer {key}"}
    text = str(e.value)
    assert "HTTP 401" in text and "(Bearer ***)" in text
    assert not any(f in text for f in forms(key)), text


def test_a_key_is_scrubbed_before_a_long_message_is_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's message is cut at 300 characters; the key straddles the cut here, so
    scrubbing after cutting would have let its first half through."""
    key = "sk-healme-canary-7f3a9c-0123456789"
    monkeypatch.setenv(ENV, key)
    faults = Faults(poison="Hello.", poison_message="x" * 283)
    with FaultServer(faults, echo_key_in_errors=True) as server:
        backend = OpenAIBackend(model(server.base_url))
        (reply,) = backend.generate([MESSAGES], [params()])
        backend.close()
    assert reply.finish_reason == "error" and reply.error is not None
    assert "sk-healme-canary" not in reply.error and "sk-healme" not in reply.error


def test_a_key_echoed_in_a_reply_is_scrubbed_from_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    key = "sk-healme-canary-7f3a9c"
    monkeypatch.setenv(ENV, key)
    with FaultServer(reply=f"Your key {key} works. What happened next?") as server:
        backend = OpenAIBackend(model(server.base_url))
        (reply,) = backend.generate([MESSAGES], [params()])
        backend.close()
    assert reply.text == "Your key *** works. What happened next?"


@pytest.mark.parametrize(
    "url",
    [
        "http://healme:hunter2-canary@127.0.0.1:8000/v1",
        "https://hunter2-canary@api.example.com/v1",
        "http://:hunter2-canary@127.0.0.1:8000/v1",
    ],
)
def test_credentials_in_base_url_are_refused(url: str, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="base_url holds credentials"):
        model(url)
    config = scripted_config(
        models={"server": {"backend": "openai", "base_url": url, "model": "toy"}}
    )
    config["roles"] = {r: {"model": "server"} for r in ("counselor", "client", "judge")}
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError) as caught:
        load_pipeline(path)
    text = str(caught.value)
    assert "models.server.base_url" in text and "base_url holds credentials" in text
    assert "hunter2-canary" not in text


def test_a_refused_url_never_shows_its_credentials(tmp_path: Path) -> None:
    config = scripted_config(
        models={
            "server": {"backend": "openai", "base_url": "ftp://me:hunter2@host/v1", "model": "t"}
        }
    )
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError) as caught:
        load_pipeline(path)
    assert "hunter2" not in str(caught.value) and "ftp://***@host/v1" in str(caught.value)
