"""The trainers' chat exports over runs of every protocol: ShareGPT through a faithful copy of
LLaMA-Factory's role rules, and the per-turn prompt/completion examples for TRL."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pytest

from healme_synth.errors import ConfigError
from healme_synth.output import ShardWriter, export, to_row
from tests.conftest import cli
from tests.helpers import dialogue
from tests.output.protocol_runs import PROTOCOLS, shared_run, split_rows

LF_ROLE = {"human": "user", "gpt": "assistant", "observation": "observation"}
LF_ROLE |= {"function_call": "function", "system": "system"}


@dataclass
class LlamaFactoryAttr:
    """The ShareGPT fields of LLaMA-Factory's DatasetAttr (src/llamafactory/data/parser.py),
    with its defaults."""

    messages: str | None = "conversations"
    system: str | None = None
    role_tag: str | None = "from"
    content_tag: str | None = "value"
    user_tag: str | None = "human"
    assistant_tag: str | None = "gpt"
    observation_tag: str | None = "observation"
    function_tag: str | None = "function_call"
    system_tag: str | None = "system"

    @classmethod
    def from_info(cls, info: dict[str, Any]) -> LlamaFactoryAttr:
        """DatasetAttr.join: a `columns` or `tags` block sets every field it could name, and a
        field it leaves out becomes None (not the default)."""
        attr = cls()
        names = [f.name for f in fields(cls)]
        if "columns" in info:
            for name in ("messages", "system"):
                setattr(attr, name, info["columns"].get(name))
        if "tags" in info:
            for name in (n for n in names if n.endswith("_tag")):
                setattr(attr, name, info["tags"].get(name))
        return attr


def llamafactory_convert(example: dict[str, Any], attr: LlamaFactoryAttr) -> dict[str, Any]:
    """SharegptDatasetConverter.__call__ (src/llamafactory/data/converter.py) for a normal SFT
    example (no ranking, no KTO), then the supervised processor's check that drops an example
    whose prompt is not odd-length or whose response is not one message. `problem` is the
    warning LLaMA-Factory logs when it skips the example, None when it trains on it."""
    tag_mapping = {
        attr.user_tag: "user",
        attr.assistant_tag: "assistant",
        attr.observation_tag: "observation",
        attr.function_tag: "function",
        attr.system_tag: "system",
    }
    odd_tags = (attr.user_tag, attr.observation_tag)
    even_tags = (attr.assistant_tag, attr.function_tag)
    accept_tags = (odd_tags, even_tags)
    messages = example[attr.messages]  # type: ignore[index]
    if attr.system_tag and len(messages) != 0 and messages[0][attr.role_tag] == attr.system_tag:
        system = messages[0][attr.content_tag]
        messages = messages[1:]
    else:
        system = example[attr.system] if attr.system else ""
    aligned, problem = [], None
    for turn_idx, message in enumerate(messages):
        if message[attr.role_tag] not in accept_tags[turn_idx % 2]:
            problem = "Invalid role tag"
            break
        aligned.append(
            {"role": tag_mapping[message[attr.role_tag]], "content": message[attr.content_tag]}
        )
    if problem is None and len(aligned) % 2 != 0:
        problem = "Invalid message count"
    prompt, response = ([], []) if problem else (aligned[:-1], aligned[-1:])
    if problem is None and (len(prompt) % 2 != 1 or len(response) != 1):
        problem = "Dropped invalid example"
    return {"prompt": prompt, "response": response, "system": system, "problem": problem}


# dataset_info.json entries a user may write for the export (README: "Exports").
INFOS = {
    "defaults": {"file_name": "x.jsonl", "formatting": "sharegpt"},
    "columns": {
        "file_name": "x.jsonl",
        "formatting": "sharegpt",
        "columns": {"messages": "conversations"},
    },
    "tags with system_tag": {
        "file_name": "x.jsonl",
        "formatting": "sharegpt",
        "tags": {
            "role_tag": "from",
            "content_tag": "value",
            "user_tag": "human",
            "assistant_tag": "gpt",
            "system_tag": "system",
        },
    },
}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def all_rows(run_dir: Path) -> list[dict[str, Any]]:
    """The rows of split `all` in export order: train, rejected, safety_review."""
    splits = split_rows(run_dir)
    return [r for s in ("train", "rejected", "safety_review") for r in splits.get(s, [])]


@pytest.mark.parametrize("info", INFOS)
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_llamafactory_trains_on_every_sharegpt_line_of_every_protocol(
    protocol: str, info: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    run_dir = shared_run(protocol, tmp_path_factory)
    out = tmp_path / "sharegpt.jsonl"
    rows = all_rows(run_dir)
    assert export.export_run("sharegpt", run_dir, out, split="all") == len(rows)
    lines = read_jsonl(out)
    assert [line["id"] for line in lines] == [r["id"] for r in rows]
    attr = LlamaFactoryAttr.from_info(INFOS[info])
    for line, row in zip(lines, rows, strict=True):
        converted = llamafactory_convert(line, attr)
        assert converted["problem"] is None, (row["id"], converted["problem"])
        assert converted["system"] == row["messages"][0]["content"]
        assert converted["prompt"] + converted["response"] == row["messages"][1:]


def cactus_line_as_it_was(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A Cactus row's conversation built from every turn, as the export wrote it before."""
    row = split_rows(shared_run("cactus", tmp_path_factory))["train"][0]
    gpt = {"client": "human", "counselor": "gpt"}
    return {
        "conversations": [{"from": "system", "value": row["messages"][0]["content"]}]
        + [{"from": gpt[t["role"]], "value": t["content"]} for t in row["turns"]]
    }


@pytest.mark.parametrize(
    ("line", "info", "problem"),
    [
        # What the issue measured: a Cactus conversation opened by the counselor.
        ("cactus as it was", "defaults", "Invalid role tag"),
        # A `tags` block without system_tag sets it to None: the system turn is then a role
        # LLaMA-Factory does not accept (why the README's entry names system_tag).
        ("exported", "tags without system_tag", "Invalid role tag"),
        ("odd length", "defaults", "Invalid message count"),
        ("system only", "defaults", "Dropped invalid example"),
    ],
)
def test_the_llamafactory_checker_refuses_what_llamafactory_refuses(
    line: str, info: str, problem: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    system = {"from": "system", "value": "S"}
    lines = {
        "cactus as it was": cactus_line_as_it_was(tmp_path_factory),
        "exported": {
            "conversations": [
                system,
                {"from": "human", "value": "u"},
                {"from": "gpt", "value": "a"},
            ]
        },
        "odd length": {"conversations": [system, {"from": "human", "value": "u"}]},
        "system only": {"conversations": [system]},
    }
    infos = INFOS | {
        "tags without system_tag": {
            "tags": {
                "role_tag": "from",
                "content_tag": "value",
                "user_tag": "human",
                "assistant_tag": "gpt",
            }
        }
    }
    converted = llamafactory_convert(lines[line], LlamaFactoryAttr.from_info(infos[info]))
    assert converted["problem"] == problem


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_prompt_completion_has_one_example_per_counselor_message(
    protocol: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    run_dir = shared_run(protocol, tmp_path_factory)
    out = tmp_path / "pc.jsonl"
    rows = all_rows(run_dir)
    expected = [
        {
            "id": row["id"],
            "turn": turn,
            "prompt": row["messages"][:k],
            "completion": [row["messages"][k]],
        }
        for row in rows
        for k, turn in counselor_messages(row)
    ]
    assert export.export_run("prompt_completion", run_dir, out, split="all") == len(expected)
    examples = read_jsonl(out)
    assert examples == expected
    assert all(list(e) == ["id", "turn", "prompt", "completion"] for e in examples)
    for e in examples:
        assert e["prompt"][0]["role"] == "system" and e["prompt"][-1]["role"] == "user"
        assert [m["role"] for m in e["prompt"][1:]] == ["user", "assistant"] * (
            len(e["prompt"]) // 2 - 1
        ) + ["user"]


def counselor_messages(row: dict[str, Any]) -> list[tuple[int, int]]:
    """(index in `messages`, index in `turns`) of each counselor message. The generated runs
    never put one speaker twice in a row, so message k is turn k - 1 plus the counselor
    opening when there is one."""
    opened = row["turns"][0]["role"] == "counselor"
    out = []
    for k, m in enumerate(row["messages"]):
        if m["role"] == "assistant":
            turn = k - 1 + opened
            assert (row["turns"][turn]["role"], row["turns"][turn]["content"]) == (
                "counselor",
                m["content"],
            )
            out.append((k, turn))
    return out


def test_shards_written_before_the_rules_and_rows_without_an_exchange(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The chat exports rebuild the view from `turns`: a shard whose `messages` still hold the
    counselor's opening exports right, and a dialogue with no counselor reply to a client turn
    gives no ShareGPT line and no example."""
    source = shared_run("cactus", tmp_path_factory)
    run_dir = tmp_path / "old"
    run_dir.mkdir()
    shutil.copy(source / "manifest.json", run_dir / "manifest.json")
    writer = ShardWriter(run_dir / "data" / "cactus", "train", 1000)
    turns = [
        ("counselor", "Welcome, what brings you in?"),
        ("client", "My exam went badly."),
        ("counselor", "What did you tell yourself?"),
        ("client", "That I am hopeless."),
    ]
    old = to_row(dialogue(turns, dialogue_id="old", protocol="cactus"), "S")
    old["messages"] = [{"role": "system", "content": "S"}] + [
        {"role": "assistant" if r == "counselor" else "user", "content": c} for r, c in turns
    ]
    writer.add(old)
    writer.add(to_row(dialogue(turns[:2], dialogue_id="unanswered", protocol="cactus"), "S"))
    writer.close()
    assert export.export_run("sharegpt", run_dir, tmp_path / "s.jsonl") == 1
    assert read_jsonl(tmp_path / "s.jsonl") == [
        {
            "id": "old",
            "conversations": [
                {"from": "system", "value": "S"},
                {"from": "human", "value": "My exam went badly."},
                {"from": "gpt", "value": "What did you tell yourself?"},
            ],
        }
    ]
    assert export.export_run("prompt_completion", run_dir, tmp_path / "p.jsonl") == 1
    assert read_jsonl(tmp_path / "p.jsonl") == [
        {
            "id": "old",
            "turn": 2,
            "prompt": [
                {"role": "system", "content": "S"},
                {"role": "user", "content": "My exam went badly."},
            ],
            "completion": [{"role": "assistant", "content": "What did you tell yourself?"}],
        }
    ]


def test_the_export_command_writes_prompt_completion(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    run_dir = shared_run("sqpsych", tmp_path_factory)
    out = tmp_path / "pc.jsonl"
    result = cli("export", "prompt_completion", run_dir, "--out", out)
    assert result.returncode == 0, result.stderr
    n = sum(len(counselor_messages(r)) for r in split_rows(run_dir)["train"])
    assert result.stdout.strip() == f"wrote {n} rows to {out}"
    assert len(read_jsonl(out)) == n


def test_a_row_the_chat_view_cannot_read_is_named(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    source = shared_run("healme", tmp_path_factory)
    run_dir = tmp_path / "odd"
    run_dir.mkdir()
    shutil.copy(source / "manifest.json", run_dir / "manifest.json")
    writer = ShardWriter(run_dir / "data" / "default", "train", 1000)
    row = to_row(dialogue(dialogue_id="judged"), "S")
    row["turns"][1]["role"] = "judge"
    writer.add(row)
    writer.add(to_row(dialogue(dialogue_id="bare"), "S") | {"messages": []})
    writer.close()
    for format in ("sharegpt", "prompt_completion"):
        with pytest.raises(
            ConfigError,
            match=r"odd: row judged: turn 1 has role 'judge'; expected one of client, counselor",
        ):
            export.export_run(format, run_dir, tmp_path / "x.jsonl")
    assert not (tmp_path / "x.jsonl").exists()
    rows = [r for r in split_rows(run_dir)["train"] if r["id"] == "bare"]
    with pytest.raises(ConfigError, match=r"row bare: `messages` does not start with"):
        export.chat(rows[0])
