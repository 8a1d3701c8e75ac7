"""run.mode async: each dialogue its own task, no turn barrier, the same dialogues as lockstep."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from healme_synth import pipeline
from healme_synth.backends import Backend, ChatTurn, Completion, GenParams, run_sync
from healme_synth.backends.scripted import ScriptedBackend
from healme_synth.config import RoleSection, load_pipeline
from healme_synth.prompts import Prompts
from healme_synth.records import Dialogue, Message
from healme_synth.roleplay import aconverse, converse
from healme_synth.roleplay.protocols import load_protocol
from tests.conftest import ROOT, scripted_config
from tests.helpers import persona

PROMPTS = Prompts(ROOT / "prompts")
ROLES = {r: RoleSection(model="script") for r in ("counselor", "client")}


def shards(run_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(run_dir)): p.read_bytes() for p in run_dir.rglob("*.parquet")}


def run_both(
    tmp_path: Path,
    write_pipeline: Callable[..., Path],
    backends: Callable[[], dict[str, Backend]] | None = None,
    **overrides: Any,
) -> tuple[dict[str, bytes], dict[str, bytes]]:
    out = {}
    for mode in ("lockstep", "async"):
        run = {"name": "t", "seed": 7, "batch_size": 5, "mode": mode, "in_flight": 3}
        path = write_pipeline(scripted_config(run=run, **overrides), f"{mode}.yaml")
        plan = pipeline.plan(load_pipeline(path))
        pipeline.run(plan, tmp_path / mode, backends() if backends else None)
        out[mode] = shards(tmp_path / mode)
    return out["lockstep"], out["async"]


def test_lockstep_and_async_write_byte_identical_shards(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    seeds = {"files": [str(ROOT / "personas" / "bank.yaml")], "sample": 12}
    lockstep, async_ = run_both(tmp_path, write_pipeline, seeds=seeds)
    assert lockstep and lockstep == async_


class Ending:
    """Replies that depend on the request only: some sessions end early with the marker, some
    outgrow a small context, so both modes meet every per-turn outcome."""

    label = "ending"

    def generate(
        self, batch: Sequence[list[ChatTurn]], params: Sequence[GenParams]
    ) -> list[Completion]:
        out = []
        for messages, p in zip(batch, params, strict=True):
            words = sum(len(m["content"].split()) for m in messages)
            pick = hashlib.sha256(str(p.seed).encode()).digest()[0]
            if p.role == "client" and pick % 7 == 0 and len(messages) > 2:
                out.append(Completion("", "context_full", prompt_tokens=words))
                continue
            text = f"{p.role} says {pick}."
            if pick % 3 == 0:  # only the protocol's ender may end; the other's marker is cut
                text += " [/END]"
            out.append(Completion(text, "stop", prompt_tokens=words, completion_tokens=3))
        return out


def test_end_markers_and_a_full_context_are_handled_alike_in_both_modes(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    def backends() -> dict[str, Backend]:
        b, judge = Ending(), ScriptedBackend()
        return {"client": b, "counselor": b, "judge": judge}

    lockstep, async_ = run_both(
        tmp_path,
        write_pipeline,
        backends,
        protocol="report",
        session={"min_turns": 4, "max_turns": 12},
        seeds={"files": [str(ROOT / "personas" / "reports.yaml")], "sample": 10},
    )
    assert lockstep == async_
    rows = [r for s in lockstep for r in pq.read_table(tmp_path / "lockstep" / s).to_pylist()]
    lengths = {len(r["turns"]) for r in rows}
    assert len(lengths) > 2, lengths  # sessions ended at different turns
    reasons = {x for r in rows for x in r["reasons"]}
    assert "context_full" in reasons
    assert any(r["end_marker_at"] is not None for r in rows)


class Slow:
    """One dialogue's replies take long; the others' are immediate. Tracks requests in flight."""

    label = "slow"

    def __init__(self, slow_seeds: set[int]) -> None:
        self.slow_seeds = slow_seeds
        self.in_flight = 0
        self.peak = 0
        self.log: list[tuple[str, int]] = []

    def generate(
        self, batch: Sequence[list[ChatTurn]], params: Sequence[GenParams]
    ) -> list[Completion]:
        raise AssertionError("async mode sends single requests")

    async def agenerate(self, messages: list[ChatTurn], params: GenParams) -> Completion:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        await asyncio.sleep(0.05 if params.seed in self.slow_seeds else 0)
        self.in_flight -= 1
        self.log.append((params.role, len(messages)))
        return Completion(f"{params.role} reply.", "stop", completion_tokens=2)


def dialogues(n: int) -> list[Dialogue]:
    return [
        Dialogue(id=f"d{i}", protocol="healme", persona=persona(), run_seed=1) for i in range(n)
    ]


def test_a_dialogue_goes_on_without_waiting_for_the_others_and_in_flight_is_a_bound() -> None:
    from healme_synth.backends.requests import turn_seed

    healme = load_protocol(PROMPTS.root, "healme")
    batch = dialogues(5)
    slow = Slow({turn_seed(1, "d0", 0, "client")})  # d0's first reply is slow
    finished_while_d0_waits: list[str] = []

    def record(d: Dialogue, m: Message) -> None:
        if len(d.messages) == healme.max_turns and not batch[0].messages:
            finished_while_d0_waits.append(d.id)

    backends: dict[str, Backend] = {"client": slow, "counselor": slow}
    run_sync(aconverse(batch, healme, PROMPTS, backends, ROLES, in_flight=2, record=record))
    assert all(len(d.messages) == 6 for d in batch)
    # No barrier: while d0 waited for its first turn, d1..d4 played all six turns (two at a
    # time, as d0 held one of the two slots).
    assert finished_while_d0_waits == ["d1", "d2", "d3", "d4"]
    assert slow.peak == 2


class BatchOnly:
    """No agenerate: async mode sends it batches of one, off the event loop."""

    label = "batch-only"

    def __init__(self) -> None:
        self.scripted = ScriptedBackend()
        self.calls = 0

    def generate(
        self, batch: Sequence[list[ChatTurn]], params: Sequence[GenParams]
    ) -> list[Completion]:
        self.calls += 1
        return self.scripted.generate(batch, params)


def test_record_sees_the_same_messages_in_both_modes_and_a_batch_only_backend_works() -> None:
    healme = load_protocol(PROMPTS.root, "healme")
    seen: dict[str, list[tuple[str, list[str]]]] = {}
    for mode in ("lockstep", "async"):
        only = BatchOnly()
        b: dict[str, Backend] = {"client": only, "counselor": only}
        log: list[tuple[str, list[str]]] = []

        def record(d: Dialogue, m: Message, log: list[tuple[str, list[str]]] = log) -> None:
            assert d.messages[-1] is m
            log.append((d.id, [x.content for x in d.messages]))

        batch = dialogues(4)
        if mode == "lockstep":
            converse(batch, healme, PROMPTS, b, ROLES, record=record)
            assert only.calls == 6
        else:
            run_sync(aconverse(batch, healme, PROMPTS, b, ROLES, in_flight=4, record=record))
            assert only.calls == 24
        seen[mode] = sorted(log)
    assert len(seen["lockstep"]) == 24 and seen["lockstep"] == seen["async"]


def test_run_mode_is_checked() -> None:
    from pydantic import ValidationError

    from healme_synth.config import RunSection

    assert RunSection().mode == "lockstep" and RunSection().in_flight == 64
    with pytest.raises(ValidationError, match="'lockstep' or 'async'"):
        RunSection(mode="parallel")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        RunSection(in_flight=0)


# On the real engine: vLLM's AsyncLLM on the embedded model, started once for this module.


@pytest.fixture(scope="module")
def async_backend() -> Any:
    from healme_synth.backends.vllm_async import AsyncVllmBackend
    from healme_synth.config import VllmModel

    return AsyncVllmBackend(VllmModel(backend="vllm"))


SHORT = {"temperature": 0.8, "top_p": 0.95, "max_tokens": 24, "repetition_penalty": 1.1}


@pytest.mark.engine
def test_async_mode_on_the_engine_completes_dialogues_by_the_protocol(
    async_backend: Any, tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    from healme_synth.backends import build_backends
    from healme_synth.backends.vllm_async import AsyncVllmBackend

    config = scripted_config(
        run={"name": "t", "seed": 11, "batch_size": 4, "mode": "async", "in_flight": 4},
        seeds={"files": [str(ROOT / "personas" / "bank.yaml")], "sample": 4},
        models={"default": {"backend": "vllm"}, "script": {"backend": "scripted"}},
        roles={
            "counselor": {"model": "default", **SHORT},
            "client": {"model": "default", **SHORT},
            "judge": {"model": "script", "temperature": 0.0},
        },
    )
    plan = pipeline.plan(load_pipeline(write_pipeline(config)))
    built = build_backends(plan.pipeline.config)
    # Only the async engine is built in async mode (the one the fixture started: same settings).
    assert isinstance(built["client"], AsyncVllmBackend) and built["client"].engine is (
        async_backend.engine
    )
    manifest = pipeline.run(plan, tmp_path / "run", built)
    assert manifest.counts.dialogues == 4
    rows = [
        r
        for p in sorted((tmp_path / "run").rglob("*.parquet"))
        for r in pq.read_table(p).to_pylist()
    ]
    assert len(rows) == 4
    for row in rows:
        assert [t["role"] for t in row["turns"]] == ["client", "counselor"] * 3
        assert all(0 < t["completion_tokens"] <= 24 for t in row["turns"])
        assert all(t["finish_reason"] in ("stop", "length") for t in row["turns"])
        assert [m["role"] for m in row["messages"]] == ["system"] + ["user", "assistant"] * 3
    # Prefix caching: later turns reuse the earlier turns' prompts.
    assert manifest.tokens.cached > 0


@pytest.mark.engine
def test_async_and_lockstep_give_the_same_dialogues_on_the_engine(async_backend: Any) -> None:
    healme = load_protocol(PROMPTS.root, "healme")
    roles = {r: RoleSection(model="default", **SHORT) for r in ("counselor", "client")}  # type: ignore[arg-type]
    backends: dict[str, Backend] = {"client": async_backend, "counselor": async_backend}
    texts = {}
    for mode in ("lockstep", "async"):
        batch = dialogues(3)
        if mode == "lockstep":  # one batch per turn, through the same engine
            converse(batch, healme, PROMPTS, backends, roles)
        else:
            run_sync(aconverse(batch, healme, PROMPTS, backends, roles, in_flight=3))
        texts[mode] = [[m.content for m in d.messages] for d in batch]
    assert all(len(t) == 6 for t in texts["lockstep"])
    assert texts["lockstep"] == texts["async"]
