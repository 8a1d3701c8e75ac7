"""Reading a pipeline file: every user mistake is one ConfigError naming the file, the line and
field where there is one, and what is allowed there."""

from __future__ import annotations

from pathlib import Path

import pytest

from healme_synth.config import Pipeline, PipelineConfig, load_pipeline
from healme_synth.errors import ConfigError

ROLES = "models: {m: {backend: scripted}}\nroles: {counselor: {model: m}, client: {model: m}}\n"


def refused(tmp_path: Path, text: str) -> tuple[Path, str]:
    path = tmp_path / "pipeline.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_pipeline(path)
    return path, str(e.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "seeds: {files: [a.yaml]}\nmodels:\n  m: {backend: scripted}\nroles:\n"
            "  counselor: {model: m}\n  client: {model: m, temprature: 0.3}\n",
            "line 6, unknown key `roles.client.temprature` (allowed here: model, temperature, "
            "top_p, max_tokens, stop, repetition_penalty)",
        ),
        (  # an extra judge role is a RoleSection too, so its keys are listed the same way
            "seeds: {files: [a.yaml]}\nmodels: {m: {backend: scripted}}\nroles: {counselor: "
            "{model: m}, client: {model: m}, judge_big: {model: m, temprature: 1}}\n",
            "line 3, unknown key `roles.judge_big.temprature` (allowed here: model, temperature, "
            "top_p, max_tokens, stop, repetition_penalty)",
        ),
        (  # inside a tagged union the tag is not part of the shown field
            "seeds: {files: [a.yaml]}\nmodels: {m: {backend: vllm, max_model_lenn: 4096}}\n"
            "roles: {counselor: {model: m}, client: {model: m}}\n",
            "line 2, unknown key `models.m.max_model_lenn` (allowed here: backend, model, "
            "max_model_len, dtype, tensor_parallel_size, gpu_memory_utilization, "
            "cpu_kv_cache_gib, enforce_eager, seed)",
        ),
        ("run: {name: t}\n" + ROLES, "`seeds` is required"),
        (
            "seeds: {files: [a.yaml], sample: many}\n" + ROLES,
            "line 1, field `seeds.sample`: Input should be a valid integer, unable to parse "
            "string as an integer (got 'many')",
        ),
        (
            "seeds: {files: [a.yaml]}\nmodels: {m: {backend: tgi}}\n"
            "roles: {counselor: {model: m}, client: {model: m}}\n",
            "line 2, field `models.m`: Input tag 'tgi' found using 'backend' does not match any "
            "of the expected tags: 'vllm', 'scripted', 'openai'",
        ),
    ],
)
def test_each_problem_names_its_line_field_and_what_is_allowed(
    tmp_path: Path, text: str, problem: str
) -> None:
    path, message = refused(tmp_path, text)
    assert message == f"{path} has 1 problem: {problem}."


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path, message = refused(
        tmp_path,
        "seeds: {files: [a.yaml], sampel: 3}\nrun: {batch_size: 0}\n" + ROLES,
    )
    assert message == (
        f"{path} has 2 problems: line 2, field `run.batch_size`: Input should be greater than "
        "or equal to 1 (got 0); line 1, unknown key `seeds.sampel` (allowed here: files, "
        "sample, allow_minors, include_at_risk, expand_intake, intake_max_tokens)."
    )


def test_malformed_yaml_gives_line_and_column(tmp_path: Path) -> None:
    path, message = refused(tmp_path, "run: {name: t\nseeds: [")
    assert message == f"{path}: not valid YAML: line 2, column 6: expected ',' or '}}', but got ':'"


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    path, message = refused(tmp_path, "- run\n- seeds\n")
    assert message == f"{path}: expected a mapping of sections (seeds, models, roles, ...)."


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(ConfigError) as e:
        load_pipeline(path)
    assert str(e.value) == f"{path}: cannot read the pipeline file (No such file or directory)."


def test_relative_paths_resolve_against_the_file_and_the_hash_ignores_formatting(
    tmp_path: Path,
) -> None:
    (tmp_path / "sub").mkdir()
    one, two = tmp_path / "sub" / "a.yaml", tmp_path / "b.yaml"
    one.write_text("seeds: {files: [../bank.yaml]}\njudges: {}\n" + ROLES)
    two.write_text(  # the same settings, spelt in block style with a default made explicit
        "seeds:\n  files: [../bank.yaml]\nmodels:\n  m: {backend: scripted}\nroles:\n"
        "  counselor: {model: m}\n  client: {model: m}\nrun: {seed: 0}\njudges: {}\n"
    )
    first, second = load_pipeline(one), load_pipeline(two)
    assert first.resolve("../bank.yaml") == tmp_path / "bank.yaml"
    assert second.resolve("../bank.yaml") == tmp_path.parent / "bank.yaml"
    assert first.sha256() == second.sha256()
    reseeded = Pipeline(
        path=one,
        config=PipelineConfig.model_validate({**first.config.model_dump(), "run": {"seed": 1}}),
    )
    assert reseeded.sha256() != first.sha256()
