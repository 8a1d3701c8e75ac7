"""Fault corpus: secrets. A key that cannot go into an HTTP header (a line break, a carriage
return, a non-ASCII character, a space) is refused at start-up naming its variable; a key of
any length is scrubbed, in every escaped form, from everything the server says back; a base_url
with credentials is refused before anything is written. No form of the secret may appear in
any output or file. (Issue 17, item 3.)"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from tests.backends.fault_server import Faults
from tests.faults.corpus import KEY_ENV, Case, World, check

UNFIT = (
    "the environment variable "
    + KEY_ENV
    + " holds an API key that cannot be sent in an HTTP header: it holds "
)
CREDENTIALS = "base_url holds credentials (user:password@ before the host)"
PASSWORD = "hunter2-canary-pw"
Setup = Callable[[World], Sequence[str | Path]]


def run_on_the_server(w: World) -> list[str | Path]:
    return ["run", w.openai_pipeline(), "--out", w.root / "r"]


def validate_url(name: str, url: str, says: str = CREDENTIALS) -> Case:
    def setup(w: World) -> list[str | Path]:
        return ["validate", w.openai_pipeline(url=url)]

    return Case(f"validate-base-url-{name}", setup, 2, (says,), secret=PASSWORD)


def run_url_with_credentials(w: World) -> list[str | Path]:
    url = w.url.replace("http://", f"http://healme:{PASSWORD}@")
    return ["run", w.openai_pipeline(url=url), "--out", w.root / "r"]


def overwrite_with_an_unfit_key(w: World) -> list[str | Path]:
    """The key is checked with the other start-up checks: the old run stays."""
    run_dir = w.finished_run(w.pipeline())
    return ["run", w.openai_pipeline(), "--out", run_dir, "--overwrite"]


def judge_with_an_unfit_key(w: World) -> list[str | Path]:
    path = w.pipeline()
    run_dir = w.finished_run(path)
    return ["judge", run_dir, "--out", w.root / "j", "--pipeline", w.openai_pipeline()]


def unfit(name: str, key: str, problem: str, setup: Setup = run_on_the_server) -> Case:
    return Case(
        f"key-{name}",
        setup,
        2,
        (UNFIT + problem, f"Set {KEY_ENV} to the key alone"),
        secret=key,
        env={KEY_ENV: key},
        server=Faults(),
    )


EVERY_REQUEST = Faults(poison="", poison_status=401)
"""Every request (the start-up probe's too) gets HTTP 401 with the server's message."""


def refused(name: str, key: str) -> Case:
    return Case(
        f"refused-key-echoed-{name}",
        run_on_the_server,
        2,
        (
            "refused the request (HTTP 401: injected: this request always fails (Bearer ***)",
            f"variable {KEY_ENV}, which is set",
        ),
        secret=key,
        env={KEY_ENV: key},
        server=EVERY_REQUEST,
        echo_key=True,
    )


TURNS_FAIL = Faults(poison="cognitive behavioral therapy")
"""The counselor's requests (their system prompt says so) fail with HTTP 500, the key echoed."""


CASES = [
    unfit("ending-in-a-newline", "sk-fault-canary-1234\n", "a line break at its end"),
    unfit("ending-in-crlf", "sk-fault-canary-1234\r\n", "a carriage return at character 21 of 22"),
    unfit("with-a-newline-inside", "sk-fault\ncanary-1234", "a line break at character 9 of 20"),
    unfit("non-ascii", "sk-fault-ключ-1234", "a non-ASCII character at character 10 of 18"),
    unfit("non-ascii-at-the-end", "sk-fault-canary-1234é", "a non-ASCII character at its end"),
    unfit(
        "with-a-space", "sk-fault canary-1234", "a space or control character at character 9 of 20"
    ),
    unfit("with-a-tab", "sk-fault-canary-1234\t", "a space or control character at its end"),
    unfit(
        "unfit-before-overwrite",
        "sk-fault-canary-1234\n",
        "a line break",
        overwrite_with_an_unfit_key,
    ),
    unfit("unfit-for-judge", "sk-fault-canary-ü", "a non-ASCII character", judge_with_an_unfit_key),
    refused("long", "sk-fault-canary-7f3a9c2e"),
    refused("short", "Qz7"),
    refused("one-char", "Q"),
    refused("with-quotes-and-backslash", "sk-fa'ul\\t\"canary"),
    Case(
        "key-echoed-in-errors-during-the-run",
        run_on_the_server,
        1,
        (
            "dialogues failed to generate",
            "HTTP 500: injected: this request always fails (Bearer ***)",
        ),
        out="r",
        secret="sk-fault-canary-echo-9d1",
        env={KEY_ENV: "sk-fault-canary-echo-9d1"},
        server=TURNS_FAIL,
        echo_key=True,
    ),
    Case(
        "key-echoed-in-replies",
        run_on_the_server,
        0,
        (),
        out="r",
        secret="sk-fault-canary-reply-4c2",
        env={KEY_ENV: "sk-fault-canary-reply-4c2"},
        server=Faults(),
        reply="Thanks. Your key sk-fault-canary-reply-4c2 came through; what crossed your mind?",
    ),
    Case(
        "run-base-url-with-credentials",
        run_url_with_credentials,
        2,
        (CREDENTIALS,),
        secret=PASSWORD,
    ),
    validate_url("user-and-password", f"http://healme:{PASSWORD}@127.0.0.1:8000/v1"),
    validate_url("token-as-user", f"https://{PASSWORD}@api.example.com/v1"),
    # A wrong scheme: the error echoes the value, with its credentials starred out.
    validate_url(
        "wrong-scheme", f"ftp://healme:{PASSWORD}@127.0.0.1:8000/v1", "ftp://***@127.0.0.1"
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_secret_faults(case: Case, tmp_path: Path) -> None:
    check(case, tmp_path)
