"""The command line as a user meets it: a real subprocess, exit codes and stderr."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, cli, scripted_config


def assert_user_error(result: subprocess.CompletedProcess[str], *parts: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    for part in parts:
        assert part in result.stderr, result.stderr


@pytest.mark.parametrize("command", ["validate", "run"])
def test_unknown_key_is_named_with_its_line_and_the_allowed_keys(
    command: str, write_pipeline: Callable[..., Path]
) -> None:
    config = scripted_config()
    config["roles"]["counselor"]["temprature"] = 0.3
    path = write_pipeline(config)
    line = path.read_text().splitlines().index("    temprature: 0.3") + 1
    assert_user_error(
        cli(command, path),
        f"error: {path} has 1 problem: line {line}, unknown key `roles.counselor.temprature` "
        "(allowed here: model, temperature, top_p, max_tokens, stop, repetition_penalty).",
    )


@pytest.mark.parametrize("command", ["validate", "run"])
def test_wrong_types_are_all_reported_at_once(
    command: str, write_pipeline: Callable[..., Path]
) -> None:
    config = scripted_config()
    config["roles"]["client"]["max_tokens"] = "lots"
    config["run"]["seed"] = [1]
    config["models"]["script"]["replies"] = {"client": "not a list"}
    path = write_pipeline(config)
    assert_user_error(
        cli(command, path),
        f"{path} has 3 problems: ",
        "field `run.seed`: Input should be a valid integer",
        "field `models.script.replies.client`: Input should be a valid list (got 'not a list')",
        "field `roles.client.max_tokens`: Input should be a valid integer, unable to parse string "
        "as an integer (got 'lots')",
    )


def test_unknown_backend_and_dangling_model_name(write_pipeline: Callable[..., Path]) -> None:
    config = scripted_config()
    config["models"]["gpt"] = {"backend": "tgi"}
    config["roles"]["judge"]["model"] = "nope"
    path = write_pipeline(config)
    result = cli("validate", path)
    assert_user_error(
        result,
        "field `models.gpt`: Input tag 'tgi' found using 'backend' does not "
        "match any of the expected tags: 'vllm', 'scripted'",
    )
    config["models"].pop("gpt")
    assert_user_error(
        cli("validate", write_pipeline(config)),
        "roles.judge.model is 'nope', which is not a key of models (known: script)",
    )


def test_malformed_yaml_names_file_and_line(write_pipeline: Callable[..., Path]) -> None:
    path = write_pipeline("run:\n  name: x\nseeds: [unclosed\n")
    assert_user_error(cli("validate", path), f"error: {path}: not valid YAML: line 4, column 1")


def test_undefined_template_variable_names_template_file_and_line(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    prompts = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", prompts)
    template = prompts / "healme" / "client_system.j2"
    template.write_text(template.read_text() + "Nickname: {{ persona.nickname }}\n")
    path = write_pipeline(scripted_config(prompts_dir=str(prompts)))
    line = template.read_text().count("\n")
    for command in ("validate", "run"):
        assert_user_error(
            cli(command, path),
            f"{path} cannot run: {template}, line {line}: undefined template variable: "
            "'dict object' has no attribute 'nickname' (variables available: end_marker, "
            "max_turns, min_turns, persona, protocol, rounds, symptoms, word_budget).",
        )
    assert not (tmp_path / "out").exists()


def test_missing_seed_file_and_bad_persona_are_reported_together(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"personas": [{"id": "x", "age": 40}]}))
    config = scripted_config()
    config["seeds"]["files"] = [str(tmp_path / "nowhere.yaml"), str(bad)]
    result = cli("validate", write_pipeline(config))
    assert_user_error(
        result,
        f"{tmp_path / 'nowhere.yaml'}: cannot read (No such file or directory)",
        f"{bad} persona 1 (id x): `thought` is required",
        f"{bad} persona 1 (id x): `attitude` is required",
    )


def test_validate_and_render_on_the_shipped_pipelines() -> None:
    ok = cli("validate", "pipelines/healme.yaml")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(
        "pipelines/healme.yaml: OK (60 personas, protocol healme, 3 rounds (6 turns), config sha256"
    )
    for name, length in [
        ("cactus", "protocol cactus, 8-14 turns, client ends with [/END]"),
        ("sqpsych", "protocol sqpsych, 10-16 turns, counselor ends with [/END]"),
        ("report", "protocol report, 8-16 turns, counselor ends with [/END]"),
    ]:
        ok = cli("validate", f"pipelines/{name}.yaml")
        assert ok.returncode == 0, ok.stderr
        assert length in ok.stdout
    shown = cli("render", "pipelines/scripted.yaml", "--persona", "hm-002")
    assert shown.returncode == 0, shown.stderr
    calls = [line for line in shown.stdout.splitlines() if line.startswith("─")]
    assert [c.strip("─ ") for c in calls] == [
        "call 1: client",
        "call 2: counselor",
        "call 3: client",
        "call 4: counselor",
        "call 5: client",
        "call 6: counselor",
        "call 7: uptake",
        # Judges ctrs, healme, and panas (before, then after).
        "call 8: judge",
        "call 9: judge",
        "call 10: judge",
        "call 11: judge",
    ]
    assert "(Your reply now, the last exchange:" in shown.stdout
    missing = cli("render", "pipelines/scripted.yaml", "--persona", "nobody")
    assert_user_error(missing, "no persona with id 'nobody' in the seed files (e.g. hm-001,")


def test_protocols_lists_the_four_shipped_protocols() -> None:
    shown = cli("protocols")
    assert shown.returncode == 0, shown.stderr
    rows = {line.split("│")[1].strip(): line for line in shown.stdout.splitlines() if "│" in line}
    assert sorted(k for k in rows if k and k != "protocol") == [
        "cactus",
        "healme",
        "report",
        "sqpsych",
    ]
    assert "16-30 turns, client ends with [/END]" in rows["cactus"]
    assert "technique + plan" in rows["cactus"] and "intake_form" in rows["cactus"]
    assert "3 rounds (6 turns)" in rows["healme"]
    assert "questionnaires" in rows["sqpsych"]


def test_run_refuses_to_overwrite_a_run_of_another_config(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    path = write_pipeline(scripted_config())
    first = cli("run", path, "--out", tmp_path / "r")
    assert first.returncode == 0, first.stderr
    assert "t: 6 kept / 6 dialogues" in first.stdout
    before = (tmp_path / "r" / "manifest.json").read_bytes()
    other = write_pipeline(scripted_config(run={"name": "t", "seed": 8, "batch_size": 4}), "o.yaml")
    again = cli("run", other, "--out", tmp_path / "r")  # the same config would resume
    assert_user_error(again, f"{tmp_path / 'r'} already holds a run of another config")
    assert (tmp_path / "r" / "manifest.json").read_bytes() == before
    assert cli("run", other, "--out", tmp_path / "r", "--overwrite").returncode == 0
