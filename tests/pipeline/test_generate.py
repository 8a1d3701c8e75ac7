"""The whole pipeline with the scripted backend: determinism, counts, shards, manifest."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import datasets
import pyarrow.parquet as pq

from healme_synth import pipeline
from healme_synth.config import load_pipeline
from tests.conftest import ROOT, scripted_config


def run(path: Path, out: Path) -> pipeline.Manifest:
    return pipeline.run(pipeline.plan(load_pipeline(path)), out)


def test_two_runs_give_byte_identical_dialogues(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    path = write_pipeline(scripted_config())
    run(path, tmp_path / "a")
    run(path, tmp_path / "b")
    shards = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.parquet"))
    # Every dialogue was kept: the empty rejected split has no file.
    assert [str(s) for s in shards] == ["data/default/train-00000-of-00001.parquet"]
    for shard in shards:
        assert (tmp_path / "a" / shard).read_bytes() == (tmp_path / "b" / shard).read_bytes()
    # A different run seed gives different dialogues from the same personas.
    other = scripted_config(run={"name": "t", "seed": 8, "batch_size": 4})
    run(write_pipeline(other, "other.yaml"), tmp_path / "c")
    rows_a = pq.read_table(tmp_path / "a" / shards[0]).to_pylist()
    rows_c = pq.read_table(tmp_path / "c" / shards[0]).to_pylist()
    assert [r["turns"] for r in rows_a] != [r["turns"] for r in rows_c]


def test_results_do_not_depend_on_batch_size(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    small = scripted_config(run={"name": "t", "seed": 7, "batch_size": 1})
    large = scripted_config(run={"name": "t", "seed": 7, "batch_size": 64})
    run(write_pipeline(small, "s.yaml"), tmp_path / "s")
    run(write_pipeline(large, "l.yaml"), tmp_path / "l")
    shard = "data/default/train-00000-of-00001.parquet"
    assert (tmp_path / "s" / shard).read_bytes() == (tmp_path / "l" / shard).read_bytes()


def test_filtered_dialogues_are_rejected_before_the_judge(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    config = scripted_config(
        run={"name": "t", "seed": 7, "batch_size": 2},
        output={"dir": "out", "rows_per_shard": 2},
        judge={"items": ["understanding", "focus"], "min_mean": 3},
    )
    config["models"]["script"]["replies"] = {
        "client": ["I keep thinking I ruin things.", "Counselor: and how did that feel?", "Maybe."],
        "counselor": ["What happened exactly?"],
        # Judge calls only see dialogues that passed the filters, in order.
        "judge": [
            '{"understanding": 5, "focus": 4}',
            "not json",
            '{"understanding": 1, "focus": 2}',
        ],
    }
    manifest = run(write_pipeline(config), tmp_path / "r")
    # Client replies cycle over 3 per turn over the 6 dialogues: dialogue i gets reply i % 3
    # at turn 0; dialogues 1 and 4 start with the role flip ... every dialogue gets each client
    # reply once across its 3 client turns, so all 6 contain "Client:" in some turn.
    assert manifest.counts.model_dump() == {
        "dialogues": 6,
        "kept": 0,
        "rejected": 6,
        "by_reason": {"empty_utterance": 6, "role_flip": 6},
    }
    assert [(j.judge, j.judged) for j in manifest.judges] == [("ctrs", 0)]


def test_gate_reasons_missing_verdicts_and_the_manifest(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    config = scripted_config(
        run={"name": "t", "seed": 7, "batch_size": 4},
        output={"dir": "out", "rows_per_shard": 2},
        judges={"ctrs": {"items": ["understanding", "focus"], "min_mean": 3}},
    )
    config["models"]["script"]["replies"] = {
        # Three distinct replies per role: with four dialogues per chunk each dialogue gets
        # each of them once, so no dialogue repeats itself.
        "client": [
            "I keep thinking I ruin things.",
            "My sister says the party was fine, but I still feel awful about it.",
            "Maybe I could call her tomorrow and ask how she saw the evening.",
        ],
        "counselor": [
            "What happened, and what did you tell yourself about it?",
            "If a friend told you this story, how would you read the same evening?",
            "You worked hard on this today; a small call to your sister sounds like a good step.",
        ],
        "judge": [
            '{"understanding": 5, "focus": 4}',
            "not json",
            '{"understanding": 1, "focus": 2}',
        ],
    }
    manifest = run(write_pipeline(config), tmp_path / "r")
    # Six dialogues judged in order: ok, missing, low, ok, missing, low.
    assert manifest.counts.model_dump() == {
        "dialogues": 6,
        "kept": 2,
        "rejected": 4,
        "by_reason": {"judge_below_min": 2, "judge_missing": 2},
    }
    assert [j.model_dump() for j in manifest.judges] == [
        {
            "judge": "ctrs",
            "rubric": "ctrs",
            "models": {"judge": "scripted"},
            "samples": 1,
            "judged": 6,
            "missing": 2,
            "replies": 6,
            "replies_missing": 2,
            "mean": 3.0,
            "spread": 0.0,
            "items": {
                "understanding": {"mean": 3.0, "spread": 0.0},
                "focus": {"mean": 3.0, "spread": 0.0},
            },
            "affect": None,
        }
    ]
    assert manifest.shards == [
        "data/default/train-00000-of-00001.parquet",
        "data/default/rejected-00000-of-00002.parquet",
        "data/default/rejected-00001-of-00002.parquet",
    ]
    on_disk = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert on_disk == manifest.model_dump(mode="json")
    assert on_disk["config"]["judges"]["ctrs"]["min_mean"] == 3
    assert len(on_disk["config_sha256"]) == 64
    rejected = pq.read_table(tmp_path / "r" / manifest.shards[1]).to_pylist()
    assert [
        (r["id"], r["reasons"], r["reason_details"], r["verdicts"][0]["parsed"], r["ctrs_mean"])
        for r in rejected
    ] == [
        (
            "000001-" + rejected[0]["persona_id"],
            ["judge_missing"],
            ["no reply of judges.ctrs parsed (0 of 1)"],
            0,
            None,
        ),
        (
            "000002-" + rejected[1]["persona_id"],
            ["judge_below_min"],
            ["mean 1.50 is below judges.ctrs.min_mean 3.0"],
            1,
            1.5,
        ),
    ]
    kept = datasets.load_dataset("parquet", data_dir=str(tmp_path / "r" / "data" / "default"))
    assert list(kept) == ["train"] or set(kept) == {"train", "rejected"}
    assert [r["verdicts"][0]["items"][0] for r in kept["train"]] == [
        {"item": "understanding", "score": 5.0, "spread": 0.0}
    ] * 2
    first = kept["train"][0]
    assert [m["role"] for m in first["messages"]] == ["system"] + ["user", "assistant"] * 3
    assert first["messages"][1]["content"] == "I keep thinking I ruin things."
    assert (
        first["messages"][2]["content"] == "What happened, and what did you tell yourself about it?"
    )
    assert first["prompt_tokens"] > 0 and first["ctrs_mean"] == 4.5


def test_at_risk_seeds_are_held_back_unless_included(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text(
        '{"id": "ok", "thought": "I always mess up.", "attitude": "neutral"}\n'
        '{"id": "risk", "thought": "I wish I was dead.", "attitude": "neutral", "at_risk": true}\n'
    )
    config = scripted_config(seeds={"files": [str(seeds)]})
    manifest = run(write_pipeline(config), tmp_path / "a")
    assert manifest.counts.dialogues == 1 and manifest.at_risk_held_back == 1
    rows = pq.read_table(tmp_path / "a" / manifest.shards[0]).to_pylist()
    assert [r["persona_id"] for r in rows] == ["ok"]
    config["seeds"]["include_at_risk"] = True
    manifest = run(write_pipeline(config, "b.yaml"), tmp_path / "b")
    assert manifest.counts.dialogues == 2 and manifest.at_risk_held_back == 0


def test_near_duplicates_are_rejected_across_chunks(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    config = scripted_config(
        run={"name": "t", "seed": 7, "batch_size": 2},
        seeds={"files": [str(ROOT / "personas" / "bank.yaml")], "sample": 5},
        dedup={"enabled": True, "threshold": 0.8},
        judge={"enabled": False},
        # One scripted line per role repeats itself inside a dialogue; only dedup is under test.
        filters={"enabled": ["turn_count", "role_flip", "template_remnant"]},
    )
    config["roles"].pop("judge")
    # Every dialogue gets the same six utterances: all but the first are near-duplicates,
    # including those in later chunks.
    config["models"]["script"]["replies"] = {
        "client": ["I keep thinking that I ruin every single thing I touch at work."],
        "counselor": ["What happened at work, and what did you tell yourself about it then?"],
    }
    manifest = run(write_pipeline(config), tmp_path / "r")
    assert manifest.counts.model_dump() == {
        "dialogues": 5,
        "kept": 1,
        "rejected": 4,
        "by_reason": {"near_duplicate": 4},
    }
    rejected = pq.read_table(tmp_path / "r" / manifest.shards[1]).to_pylist()
    kept_id = pq.read_table(tmp_path / "r" / manifest.shards[0]).to_pylist()[0]["id"]
    assert kept_id.startswith("000000-")
    assert {r["reason_details"][0] for r in rejected} == {
        f"near-duplicate of {kept_id} (estimated Jaccard 1.00)"
    }


def test_a_sampled_run_of_1000_personas_lands_on_its_declared_shares(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    sampler = {
        "count": 1000,
        "weights": {
            "attitude": {"positive": 1, "neutral": 2, "negative": 1},
            "thinking_trap": {"catastrophizing": 3, "mind_reading": 1, "labeling": 1},
            "age_band": {"18-29": 1, "30-49": 2, "50-79": 1},
            "gender": {"woman": 1, "man": 1, "nonbinary": 0.25},
            "receptivity": {"1": 1, "3": 1, "5": 2},
        },
        "given": {"thinking_trap": {"attitude": {"negative": {"labeling": 1}}}},
    }
    config = scripted_config(
        run={"name": "t", "seed": 11, "batch_size": 250},
        seeds={"files": [str(ROOT / "personas" / "bank.yaml")]},
        sampler=sampler,
        judges={},
        measure_reframe_uptake=False,
    )
    path = write_pipeline(config)
    first = run(path, tmp_path / "a")
    second = run(path, tmp_path / "b")
    assert first.counts.dialogues == 1000
    report = first.distribution
    assert report is not None and report == second.distribution
    for attribute, shares in report.items():
        assert set(shares) == {"target", "sampled", "kept"}
        for value, target in shares["target"].items():
            assert abs(shares["sampled"][value] - target) <= 0.03, (attribute, value)
    # Negative clients all got `labeling`; the others share the marginal 3:1:1 weights.
    assert report["thinking_trap"]["target"] == {
        "catastrophizing": 0.45,
        "mind_reading": 0.15,
        "labeling": 0.4,
    }
    assert report["attitude"]["sampled"] == {"positive": 0.25, "neutral": 0.5, "negative": 0.25}
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["distribution"] == report
    shard = "data/default/train-00000-of-00001.parquet"
    assert (tmp_path / "a" / shard).read_bytes() == (tmp_path / "b" / shard).read_bytes()


def test_every_request_of_a_run_is_sampled_with_its_own_roles_settings(
    write_pipeline: Callable[..., Path],
) -> None:
    """Intake, plan, turns, uptake, the judges and the safety judge all take their sampling
    from their role's section: a setting no caller may drop (the uptake reader once dropped
    repetition_penalty)."""
    from healme_synth.backends.scripted import ScriptedBackend
    from healme_synth.safety.risk import CRITERIA

    roles = {
        "counselor": {"model": "script", "temperature": 0.61, "repetition_penalty": 1.11},
        "client": {"model": "script", "temperature": 0.62, "repetition_penalty": 1.12},
        "judge": {"model": "script", "temperature": 0.0, "top_p": 0.9, "repetition_penalty": 1.13},
    }
    config = scripted_config(
        protocol="cactus",
        seeds={"files": [str(ROOT / "personas" / "bank.yaml")], "sample": 2, "expand_intake": True},
        session={"min_turns": 4, "max_turns": 6},
        roles=roles,
        safety={"probe_fraction": 1.0},
        filters={"enabled": ["turn_count"]},  # the scripted turns repeat; this is about sampling
        judges={"ctrs": {"rubric": "ctrs"}, "panas": {"rubric": "panas"}},
    )
    p = pipeline.plan(load_pipeline(write_pipeline(config)))
    intake = (
        "Personal information: a 34-year-old accountant who lives alone and works long hours. "
        "Presenting problem: harsh self-criticism after small mistakes at work, with poor sleep. "
        "Reason for seeking counseling: a friend suggested it after a difficult month at work. "
        "Social support: one close friend and a sister."
    )
    plan = "Weigh the evidence for the thought, then test one small alternative this week."
    scripted = ScriptedBackend(
        {
            "intake": [intake],
            "planner": [json.dumps({"technique": "Reality Testing", "plan": plan})],
            "client": ["I keep replaying the mistake at work.", "Maybe it was one slip."],
            "counselor": ["What went through your mind then?", "What would you tell a friend?"],
            "safety": [json.dumps(dict.fromkeys(CRITERIA, True))],
        }
    )
    chunk = next(pipeline.chunks(p, {}))
    pipeline.process(
        p, chunk, dict.fromkeys(("counselor", "client", "judge"), scripted), pipeline.Progress()
    )
    owner = {"intake": "client", "planner": "counselor", "uptake": "judge", "safety": "judge"}
    seen = set()
    for _, params in scripted.calls:
        section = roles[owner.get(params.role, params.role)]
        assert (params.temperature, params.repetition_penalty) == (
            section["temperature"],
            section["repetition_penalty"],
        ), params.role
        seen.add(params.role)
    assert seen == {"intake", "planner", "counselor", "client", "uptake", "judge", "safety"}
