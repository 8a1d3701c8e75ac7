"""What the engine benchmarks share: the workload (HealMe sessions on the embedded model, judges
off, so every generated token is a dialogue turn), a backend wrapper that keeps each request,
and timed runs of the real pipeline."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from healme_synth import pipeline
from healme_synth.backends import Backend, ChatTurn, Completion, GenParams
from healme_synth.config import Pipeline, PipelineConfig
from healme_synth.records import Manifest

ROOT = Path(__file__).resolve().parents[1]
SEED = 20261121
MAX_TOKENS = 64
"""Short turns keep each benchmark to a few minutes on 2 cores (64 dialogues x 6 turns)."""


def workload(
    dialogues: int,
    batch_size: int,
    mode: str = "lockstep",
    in_flight: int = 64,
    name: str = "bench",
    seed: int = SEED,
) -> pipeline.Plan:
    """pipelines/healme.yaml's roles with short turns, no judges and no uptake reader."""
    role = {"model": "default", "top_p": 0.95, "max_tokens": MAX_TOKENS, "stop": ["\n\n"]}
    config = {
        "run": {
            "name": name,
            "seed": seed,
            "batch_size": batch_size,
            "mode": mode,
            "in_flight": in_flight,
        },
        "seeds": {"files": [str(ROOT / "personas" / "bank.yaml")], "sample": dialogues},
        "protocol": "healme",
        "prompts_dir": str(ROOT / "prompts"),
        "models": {"default": {"backend": "vllm"}},
        "roles": {
            "counselor": {**role, "temperature": 0.7, "repetition_penalty": 1.1},
            "client": {**role, "temperature": 0.8, "repetition_penalty": 1.1},
        },
        "judges": {},
        "measure_reframe_uptake": False,
    }
    cfg = PipelineConfig.model_validate(config)
    return pipeline.plan(Pipeline(path=ROOT / "pipelines" / "bench.yaml", config=cfg))


def load() -> str:
    """Other work on the machine skews every number here: print it next to them."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


@dataclass
class Call:
    messages: list[ChatTurn]
    params: GenParams
    completion: Completion


@dataclass
class Recorder:
    """A backend that passes requests on and keeps them (batch calls and single requests)."""

    inner: Any
    calls: list[Call] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(self.inner.label)

    def generate(
        self, batch: Sequence[list[ChatTurn]], params: Sequence[GenParams]
    ) -> list[Completion]:
        out: list[Completion] = self.inner.generate(batch, params)
        self.calls += [Call(m, p, c) for m, p, c in zip(batch, params, out, strict=True)]
        return out

    async def agenerate(self, messages: list[ChatTurn], params: GenParams) -> Completion:
        c: Completion = await self.inner.agenerate(messages, params)
        self.calls.append(Call(messages, params, c))
        return c


@dataclass
class Timed:
    seconds: float
    manifest: Manifest
    run_dir: Path
    load: float
    """The machine's 1-minute load average when the run ended (2 cores: above 2, others ran)."""

    @property
    def tokens_per_s(self) -> float:
        return self.manifest.tokens.completion / self.seconds


def timed_run(plan: pipeline.Plan, backend: Backend, label: str) -> Timed:
    """The whole pipeline (turns, filters, dedup, shards) on a fresh directory, wall-clocked."""
    run_dir = Path(tempfile.mkdtemp(prefix=f"bench-{label}-"))
    backends = {"client": backend, "counselor": backend}
    started = time.perf_counter()
    manifest = pipeline.run(plan, run_dir / "run", backends)
    return Timed(time.perf_counter() - started, manifest, run_dir / "run", os.getloadavg()[0])


def dialogue_turns(run_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """id -> its turns (role, content, finish_reason, token counts), from the written shards."""
    import pyarrow.parquet as pq

    out = {}
    for shard in sorted(run_dir.rglob("*.parquet")):
        for row in pq.read_table(shard).to_pylist():
            out[row["id"]] = row["turns"]
    return out


def cache_rates(run_dir: Path) -> dict[str, tuple[int, int]]:
    """(cached, prompt) tokens: on the first turn, on turns after the first, and on each role's
    own requests after its first (where its previous request's prefix can be reused)."""
    rates = {"first turn": [0, 0], "turns after the first": [0, 0], "roles' later": [0, 0]}
    for turns in dialogue_turns(run_dir).values():
        seen: set[str] = set()
        for i, t in enumerate(turns):
            keys = ["first turn" if i == 0 else "turns after the first"]
            if t["role"] in seen:
                keys.append("roles' later")
            seen.add(t["role"])
            for key in keys:
                rates[key][0] += t["cached_tokens"]
                rates[key][1] += t["prompt_tokens"]
    return {k: (v[0], v[1]) for k, v in rates.items()}
