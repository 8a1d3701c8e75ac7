"""The chat view (`messages`): its three rules table-tested, round trips through shards, and
rows of every protocol applied to chat templates with each alternation rule."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gguf
import jinja2
import pytest
from transformers.utils.chat_template_utils import render_jinja_template

from healme_synth.backends.embedded import gguf_path
from healme_synth.errors import ConfigError
from healme_synth.output import from_row, to_row
from healme_synth.output.chat import ChatMessage, chat_messages, chat_view
from tests.conftest import ROOT, cli, scripted_config
from tests.helpers import dialogue
from tests.output.protocol_runs import (
    OPENED_BY_COUNSELOR,
    PROTOCOLS,
    shared_run,
    split_rows,
)

TEMPLATES = ROOT / "tests" / "data" / "chat_templates"
SYSTEM = "You are a counselor."
Turns = list[tuple[str, str]]


def turns(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"role": role, "content": content} for role, content in pairs]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        # client opens, counselor answers last: every turn kept
        (
            [("client", "c0"), ("counselor", "k1"), ("client", "c2"), ("counselor", "k3")],
            [("user", "c0", 0), ("assistant", "k1", 1), ("user", "c2", 2), ("assistant", "k3", 3)],
        ),
        # counselor opens (Cactus, SQPsych): the greeting is left out
        (
            [("counselor", "k0"), ("client", "c1"), ("counselor", "k2")],
            [("user", "c1", 1), ("assistant", "k2", 2)],
        ),
        # the client ends (Cactus): its last turn is left out
        (
            [("client", "c0"), ("counselor", "k1"), ("client", "c2")],
            [("user", "c0", 0), ("assistant", "k1", 1)],
        ),
        # both at once
        (
            [("counselor", "k0"), ("client", "c1"), ("counselor", "k2"), ("client", "c3")],
            [("user", "c1", 1), ("assistant", "k2", 2)],
        ),
        # one speaker twice in a row: one message, a blank line between, traced to the first
        (
            [("client", "c0"), ("client", "c1"), ("counselor", "k2"), ("counselor", "k3")],
            [("user", "c0\n\nc1", 0), ("assistant", "k2\n\nk3", 2)],
        ),
        # a two-turn opening by the counselor is merged, then left out as a whole
        (
            [("counselor", "k0"), ("counselor", "k1"), ("client", "c2"), ("counselor", "k3")],
            [("user", "c2", 2), ("assistant", "k3", 3)],
        ),
        # no client turn answered: nothing to train on
        ([("counselor", "k0"), ("client", "c1")], []),
        ([("counselor", "k0")], []),
        ([("client", "c0")], []),
        ([], []),
    ],
)
def test_chat_view(given: Turns, expected: list[tuple[str, str, int]]) -> None:
    assert chat_view(turns(*given)) == [ChatMessage(r, c, t) for r, c, t in expected]


def test_chat_messages_put_the_system_message_first() -> None:
    chat = chat_messages(
        turns(("counselor", "Hi."), ("client", "Hello."), ("counselor", "So?")), "S"
    )
    assert chat == [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "Hello."},
        {"role": "assistant", "content": "So?"},
    ]
    assert chat_messages([], "S") == [{"role": "system", "content": "S"}]


def test_an_unknown_role_is_named() -> None:
    with pytest.raises(ConfigError, match=r"^turn 1 has role 'judge'; expected one of client, "):
        chat_view(turns(("client", "a"), ("judge", "b")))


def test_to_row_keeps_every_turn_and_from_row_reads_them_back() -> None:
    d = dialogue(
        [
            ("counselor", "Welcome. What brings you in?"),
            ("client", "I failed my exam."),
            ("client", "And I told everyone I would pass."),
            ("counselor", "That sounds heavy. What did you tell yourself?"),
            ("client", "Thanks, I will think about it."),
        ],
        protocol="cactus",
    )
    row = to_row(d, SYSTEM)
    assert row["messages"] == [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "I failed my exam.\n\nAnd I told everyone I would pass."},
        {"role": "assistant", "content": "That sounds heavy. What did you tell yourself?"},
    ]
    assert [(t["role"], t["content"]) for t in row["turns"]] == [
        (m.role, m.content) for m in d.messages
    ]
    assert from_row(row) == d


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Every protocol's scripted run, its rows by split."""
    return {name: split_rows(shared_run(name, tmp_path_factory)) for name in PROTOCOLS}


def every_row(runs: dict[str, dict[str, list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    return [row for splits in runs.values() for rows in splits.values() for row in rows]


def test_every_protocol_has_the_shapes_the_rules_are_for(
    runs: dict[str, dict[str, list[dict[str, Any]]]],
) -> None:
    for name, splits in runs.items():
        assert len(splits["train"]) >= 2, name
        for row in (r for rows in splits.values() for r in rows):
            roles = [t["role"] for t in row["turns"]]
            opener = "counselor" if name in OPENED_BY_COUNSELOR else "client"
            assert roles[0] == opener, row["id"]
            assert all(a != b for a, b in zip(roles, roles[1:], strict=False)), row["id"]
    ends = {name: {r["turns"][-1]["role"] for r in s["train"]} for name, s in runs.items()}
    assert ends["cactus"] == {"client"}  # the client ends Cactus sessions with the marker
    assert "client" in ends["sqpsych"]  # a session run to its maximum ends on the client
    assert ends["healme"] == ends["report"] == {"counselor"}
    probed = [r for r in every_row(runs) if r["probe_turn"] is not None]
    assert {r["protocol"] for r in probed} >= {"cactus", "sqpsych", "report"}


def test_every_row_of_every_protocol_is_system_then_user_first_alternation(
    runs: dict[str, dict[str, list[dict[str, Any]]]],
) -> None:
    for row in every_row(runs):
        turns = row["turns"]
        start = 1 if turns[0]["role"] == "counselor" else 0
        end = len(turns) - 1 if turns[-1]["role"] == "client" else len(turns)
        kept = turns[start:end]
        role = {"client": "user", "counselor": "assistant"}
        assert row["messages"] == [row["messages"][0]] + [
            {"role": role[t["role"]], "content": t["content"]} for t in kept
        ], row["id"]
        assert row["messages"][0]["role"] == "system" and row["messages"][0]["content"]
        assert [m["role"] for m in row["messages"][1:]] == ["user", "assistant"] * (len(kept) // 2)


def template(name: str) -> str:
    return (TEMPLATES / f"{name}.jinja").read_text()


@functools.cache  # reading the GGUF's metadata takes seconds
def smollm2_template() -> str:
    """The chat template the embedded model ships, read from its GGUF (no conversion)."""
    field = gguf.GGUFReader(gguf_path()).fields["tokenizer.chat_template"]
    text = field.contents()
    assert isinstance(text, str) and "<|im_start|>" in text
    return text


def render(chat_template: str, messages: list[dict[str, str]]) -> str:
    """What `tokenizer.apply_chat_template(messages, tokenize=False)` renders (transformers'
    own renderer: sandboxed jinja2, trim_blocks, raise_exception)."""
    rendered, _ = render_jinja_template(
        [messages], chat_template=chat_template, bos_token="<s>", eos_token="</s>"
    )
    return str(rendered[0])


# Each template's mark of a user turn and of an assistant turn.
MARKS = {
    "gemma": ("<start_of_turn>user\n", "<start_of_turn>model\n"),
    "mistral": ("[INST] ", "[/INST] "),
    "llama2": ("[INST] ", "[/INST] "),
    "smollm2": ("<|im_start|>user\n", "<|im_start|>assistant\n"),
}


@pytest.mark.parametrize("name", MARKS)
def test_every_row_of_every_protocol_passes_the_template(
    name: str, runs: dict[str, dict[str, list[dict[str, Any]]]]
) -> None:
    chat_template = smollm2_template() if name == "smollm2" else template(name)
    user, assistant = MARKS[name]
    for row in every_row(runs):
        messages = row["messages"]
        text = render(chat_template, messages)
        users = [m["content"] for m in messages if m["role"] == "user"]
        replies = [m["content"] for m in messages if m["role"] == "assistant"]
        assert text.count(user) == len(users), row["id"]
        assert text.count(assistant) == len(replies), row["id"]
        # Every message is there, in order (Mistral puts the system message in the last user
        # turn, so a conversation ending on the counselor does not show it: its own choice).
        at = 0
        for m in messages[1:]:
            at = text.index(m["content"].strip(), at)
        if name != "mistral" and users:
            assert messages[0]["content"] in text


RAW_ROLE = {"client": "user", "counselor": "assistant"}


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("gemma", "Conversation roles must alternate user/assistant/user/assistant/..."),
        ("mistral", "After the optional system message, conversation roles must alternate"),
        ("llama2", "Conversation roles must alternate user/assistant/user/assistant/..."),
    ],
)
def test_the_strict_templates_refuse_the_turns_as_they_were_said(
    name: str, error: str, runs: dict[str, dict[str, list[dict[str, Any]]]]
) -> None:
    """What `messages` held before the rules (every turn, mapped): the counselor-opened
    protocols' rows are refused, so the test above would catch a rule undone."""
    for protocol in OPENED_BY_COUNSELOR:
        for row in runs[protocol]["train"]:
            raw = [row["messages"][0]] + [
                {"role": RAW_ROLE[t["role"]], "content": t["content"]} for t in row["turns"]
            ]
            with pytest.raises(jinja2.TemplateError, match=error):
                render(template(name), raw)


SMALL = [
    {"role": "system", "content": "S"},
    {"role": "user", "content": "U1"},
    {"role": "assistant", "content": "A1"},
    {"role": "user", "content": "U2"},
    {"role": "assistant", "content": "A2"},
]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "gemma",
            "<s><start_of_turn>user\nS\n\nU1<end_of_turn>\n<start_of_turn>model\nA1<end_of_turn>\n"
            "<start_of_turn>user\nU2<end_of_turn>\n<start_of_turn>model\nA2<end_of_turn>\n",
        ),
        # Mistral's template puts the system message into the last user turn only.
        ("mistral", "<s>[INST] U1[/INST] A1</s>[INST] U2[/INST] A2</s>"),
        (
            "llama2",
            "<s>[INST] <<SYS>>\nS\n<</SYS>>\n\nU1 [/INST] A1 </s><s>[INST] U2 [/INST] A2 </s>",
        ),
        (
            "smollm2",
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU1<|im_end|>\n"
            "<|im_start|>assistant\nA1<|im_end|>\n<|im_start|>user\nU2<|im_end|>\n"
            "<|im_start|>assistant\nA2<|im_end|>\n",
        ),
    ],
)
def test_the_templates_render_as_their_models_do(name: str, expected: str) -> None:
    chat_template = smollm2_template() if name == "smollm2" else template(name)
    assert render(chat_template, SMALL) == expected


def test_a_transcript_with_one_speaker_twice_in_a_row_is_merged_in_messages(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    """The one way same-speaker runs reach a shard: dialogues from elsewhere, checked again."""
    said = [
        ("counselor", "Welcome. What brings you in today?"),
        ("client", "I failed my driving test again this morning."),
        ("client", "Everyone in my family passed the first time."),
        ("counselor", "That sounds discouraging. What did you tell yourself afterwards?"),
        ("counselor", "Take your time, there is no rush."),
        ("client", "That I will never be able to drive at all."),
    ]
    source = tmp_path / "dialogues.jsonl"
    source.write_text(json.dumps({"id": "d1", "messages": turns(*said)}) + "\n")
    config = scripted_config(filters={"enabled": ["empty_utterance"]})
    result = cli("filter", source, "--out", tmp_path / "out", "--pipeline", write_pipeline(config))
    assert result.returncode == 0, result.stderr
    [row] = [r for rows in split_rows(tmp_path / "out").values() for r in rows]
    assert row["messages"][1:] == [
        {"role": "user", "content": f"{said[1][1]}\n\n{said[2][1]}"},
        {"role": "assistant", "content": f"{said[3][1]}\n\n{said[4][1]}"},
    ]
    assert [(t["role"], t["content"]) for t in row["turns"]] == said
