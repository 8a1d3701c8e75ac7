"""What the engine benchmarks share: the workload (HealMe sessions on the embedded model, judges
off, so every generated token is a dialogue turn), a backend wrapper that keeps each request,
and timed runs of the real pipeline."""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from healme_synth import pipeline
from healme_synth.backends import Backend, ChatTurn, Completion, GenParams
from healme_synth.config import Pipeline, PipelineConfig
from healme_synth.records import Manifest

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")
SEED = 20261121
SHIPPED = ROOT / "pipelines" / "healme.yaml"


def engine_options(parser: argparse.ArgumentParser) -> None:
    """The engine benchmarks' shared options."""
    parser.add_argument("--kv-gib", type=int, default=2, help="KV cache on CPU (as shipped: 2)")
    parser.add_argument("--model", help="a local model directory (default: the embedded one)")
    parser.add_argument(
        "--max-tokens", type=int, help="cap on turn length (default: as shipped, 240 / 200)"
    )


def engine_model(args: argparse.Namespace) -> Any:
    """The model section those options describe."""
    from healme_synth.config import VllmModel

    chosen = {"model": args.model} if args.model else {}
    return VllmModel(backend="vllm", cpu_kv_cache_gib=args.kv_gib, **chosen)


def engine_flags(args: argparse.Namespace) -> str:
    """Those options as given, for the printed command."""
    flags = f" --kv-gib {args.kv_gib}"
    flags += f" --max-tokens {args.max_tokens}" if args.max_tokens else ""
    return flags + (f" --model {args.model}" if args.model else "")


def engine_header(model: str | None, llm: Any) -> str:
    """The model, its dtype and what it runs on, for the printed header."""
    import torch

    dtype = str(llm.llm_engine.vllm_config.model_config.dtype).removeprefix("torch.")
    if torch.cuda.is_available():
        device = f"{torch.cuda.device_count()} x {torch.cuda.get_device_name(0)}"
    else:
        device = f"{len(os.sched_getaffinity(0))} CPU cores"
    return f"{model or 'embedded SmolLM2-135M'}, {dtype}, {device}"


def workload(
    dialogues: int,
    batch_size: int,
    mode: str = "lockstep",
    in_flight: int = 64,
    name: str = "bench",
    seed: int = SEED,
    max_tokens: int | None = None,
) -> pipeline.Plan:
    """pipelines/healme.yaml's counselor and client as shipped (sampling, stops, turn lengths;
    `max_tokens` caps the turns), with no judges, uptake reader or safety probes: the
    benchmarks measure dialogue generation."""
    shipped = yaml.safe_load(SHIPPED.read_text())["roles"]
    roles = {role: dict(shipped[role]) for role in ("counselor", "client")}
    if max_tokens is not None:
        for section in roles.values():
            section["max_tokens"] = min(section["max_tokens"], max_tokens)
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
        "roles": roles,
        "judges": {},
        "measure_reframe_uptake": False,
    }
    cfg = PipelineConfig.model_validate(config)
    return pipeline.plan(Pipeline(path=ROOT / "pipelines" / "bench.yaml", config=cfg))


def fixed_prompts(n: int, length: int) -> list[dict[str, list[int]]]:
    """n distinct token-id prompts of `length` tokens, sharing no prefix: decode measurements."""
    return [
        {"prompt_token_ids": [1000 + (i * 7919 + j) % 30000 for j in range(length)]}
        for i in range(n)
    ]


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

    @property
    def tokens_per_s(self) -> float:
        return self.manifest.tokens.completion / self.seconds


def turn_lengths(plan: pipeline.Plan) -> str:
    roles = plan.roles()
    return " / ".join(f"{r} {roles[r].max_tokens}" for r in ("counselor", "client"))


def timed_run(plan: pipeline.Plan, backend: Backend, label: str) -> Timed:
    """The whole pipeline (turns, filters, dedup, shards) on a fresh directory, wall-clocked."""
    run_dir = Path(tempfile.mkdtemp(prefix=f"bench-{label}-"))
    atexit.register(shutil.rmtree, run_dir, ignore_errors=True)  # read back until the end
    backends = {"client": backend, "counselor": backend}
    started = time.perf_counter()
    manifest = pipeline.run(plan, run_dir / "run", backends)
    return Timed(time.perf_counter() - started, manifest, run_dir / "run")


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


def _machine() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])  # guest time is already in user
    return total - idle, total


def _ours() -> int:
    """CPU jiffies used so far by this process and every live process below it (an engine core
    or worker runs as a child)."""
    parents: dict[int, int] = {}
    used: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        used[pid] = int(fields[11]) + int(fields[12])  # utime + stime
    mine = {os.getpid()}
    grew = True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in mine} - mine
        grew = bool(more)
        mine |= more
    return sum(used.get(pid, 0) for pid in mine)


@dataclass
class Others:
    """How much of the machine other processes used while a measurement ran: the other agents and
    test runs on this shared 2-core machine slow an engine far more than their share (its two
    compute threads wait for each other), so a contended measurement is repeated."""

    busy: int = 0
    ours: int = 0
    total: int = 0

    def __enter__(self) -> Others:
        self.busy, self.total = _machine()
        self.ours = _ours()
        return self

    def __exit__(self, *exc: object) -> None:
        busy, total = _machine()
        ours = _ours()
        self.busy, self.ours, self.total = busy - self.busy, ours - self.ours, total - self.total

    @property
    def share(self) -> float:
        """Others' CPU time / the machine's CPU time during the measurement."""
        return max(0, self.busy - self.ours) / max(1, self.total)


LIMIT = 0.05
"""A measurement during which other processes used more than this share of the machine is
repeated (up to TRIES times, after waiting for a quiet machine); the share is always printed."""
TRIES = 4


def wait_quiet(seconds: float = 5.0, limit: float = LIMIT) -> None:
    """Until other processes use at most `limit` of the machine over `seconds`."""
    while True:
        with Others() as others:
            time.sleep(seconds)
        if others.share <= limit:
            return


def uncontended(measure: Callable[[], T], label: str) -> tuple[T, float]:
    """measure() on a quiet machine; repeated while others used more than LIMIT of it. Returns
    the result and the others' share of its (last) try. The machine is shared (other agents,
    test runs), and an engine's compute threads wait for each other, so another busy process
    slows a measurement far more than its own share."""
    for attempt in range(1, TRIES + 1):
        wait_quiet()
        with Others() as others:
            result = measure()
        if others.share <= LIMIT or attempt == TRIES:
            return result, others.share
        print(
            f"[{label}: other processes used {others.share:.0%} of the machine; measuring again]",
            file=sys.stderr,
            flush=True,
        )
    raise AssertionError("unreachable")
