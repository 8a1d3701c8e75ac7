"""The cactus, sqpsych and report protocols end to end on the real vLLM engine (CPU) with the
embedded model, on the session's shared engine: short sessions, so the suite stays quick."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml

from healme_synth import pipeline
from healme_synth.backends import ChatTurn, Completion, GenParams
from healme_synth.backends.vllm import VllmBackend
from healme_synth.config import load_pipeline
from healme_synth.records import CBT_TECHNIQUES
from tests.conftest import ROOT

pytestmark = pytest.mark.engine


class Tap:
    """The real engine, with every request it was given kept for inspection."""

    def __init__(self, backend: VllmBackend) -> None:
        self.backend, self.label = backend, backend.label
        self.calls: list[tuple[list[ChatTurn], GenParams]] = []

    def generate(
        self, batch: Sequence[list[ChatTurn]], params: Sequence[GenParams]
    ) -> list[Completion]:
        self.calls.extend(zip(batch, params, strict=True))
        return self.backend.generate(batch, params)


def short_run(name: str, tmp_path: Path, engine_model: Any) -> tuple[pipeline.Plan, Tap, Path]:
    """The shipped pipeline of a protocol, cut to 3 dialogues of 4-6 utterances."""
    config = yaml.safe_load((ROOT / "pipelines" / f"{name}.yaml").read_text())
    config["seeds"]["files"] = [
        str((ROOT / "pipelines" / f).resolve()) for f in config["seeds"]["files"]
    ]
    config["prompts_dir"] = str(ROOT / "prompts")
    if "sampler" in config:
        config["sampler"]["count"] = 3
    else:
        config["seeds"]["sample"] = 3
    config["session"] = {"min_turns": 4, "max_turns": 6}
    for role in ("counselor", "client"):
        config["roles"][role]["max_tokens"] = 90
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    p = pipeline.plan(load_pipeline(path))
    tap = Tap(VllmBackend(engine_model))
    run_dir = tmp_path / "run"
    pipeline.run(p, run_dir, backends={r: tap for r in ("counselor", "client", "judge")})
    return p, tap, run_dir


def rows(run_dir: Path) -> list[dict[str, Any]]:
    return [r for f in sorted(run_dir.rglob("*.parquet")) for r in pq.read_table(f).to_pylist()]


@pytest.mark.parametrize("name", ["cactus", "sqpsych", "report"])
def test_protocol_on_the_real_engine_keeps_its_rules(
    name: str, tmp_path: Path, engine_model: Any
) -> None:
    p, tap, run_dir = short_run(name, tmp_path, engine_model)
    protocol = p.protocol
    every = rows(run_dir)
    assert len(every) == 3
    played = [r for r in every if r["turns"]]
    assert played
    for row in played:
        roles = [t["role"] for t in row["turns"]]
        second = "client" if protocol.opener == "counselor" else "counselor"
        assert roles == [protocol.opener if i % 2 == 0 else second for i in range(len(roles))]
        assert len(roles) <= 6
        # Ended at the marker (from the role that may end, at or after the minimum), or ran to
        # the maximum; the marker is never left in the text.
        if row["end_marker_at"] is None:
            assert len(roles) == 6
        else:
            assert 4 <= row["end_marker_at"] + 1 <= 6
            assert row["end_marker_at"] in (len(roles) - 1, len(roles))
        assert all("[/END]" not in t["content"] for t in row["turns"])
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["counts"]["dialogues"] == 3
    if name == "cactus":
        # Intake forms written by the model, then a plan for the counselor only.
        intake_calls = [c for c in tap.calls if c[1].role == "intake"]
        assert len(intake_calls) == 3
        plans = [r["cbt_plan"] for r in every if r["cbt_plan"]]
        # A form the model did not finish, or a plan outside the bounds, stops a dialogue
        # before it is played; the others were planned and played.
        for row in every:
            unplayed = {"intake_missing", "plan_missing"} & set(row["reasons"])
            assert row["cbt_technique"] in CBT_TECHNIQUES or (unplayed and not row["turns"])
        assert plans and all(r["turns"] for r in every if r["cbt_plan"])
        for messages, params in tap.calls:
            if params.role == "client":
                assert not any(plan in json.dumps(messages) for plan in plans)
        assert manifest["distribution"]["attitude"]["target"] == {
            "positive": 0.3333,
            "neutral": 0.3333,
            "negative": 0.3333,
        }
    if name == "sqpsych":
        for row in every:
            assert row["questionnaires"] and row["condition"] in (
                "mdd",
                "gad",
                "mdd+gad",
                "control",
            )
    # Structured outputs: the uptake reply always parses into a client turn index or "never".
    for row in played:
        turn = row["first_reframe_turn"]
        assert turn is None or row["turns"][turn]["role"] == "client"
