"""What the pipeline itself costs, with the scripted backend (no model): time per 1,000
dialogues, the share of it spent outside the backend, and peak memory at 1,000 vs 10,000.

    .venv/bin/python bench/orchestration.py [--sizes 1000 10000] [--modes lockstep async]

Each (size, mode) runs in its own subprocess, so each peak RSS is that run's alone. The workload
is pipelines/scripted.yaml (HealMe, three judges, reframe uptake), with near-duplicate removal
off: scripted replies differ only in a hash, so it would reject nearly every dialogue and keep
the kept-side state (verdicts, the dedup index) artificially small.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from common import Others, wait_quiet

from healme_synth.backends import ChatTurn, Completion, GenParams

ROOT = Path(__file__).resolve().parents[1]
COMMAND = ".venv/bin/python bench/orchestration.py"


class Stopwatch:
    """A scripted backend that adds up the time spent inside it."""

    label = "scripted"

    def __init__(self) -> None:
        from healme_synth.backends.scripted import ScriptedBackend

        self.inner = ScriptedBackend()
        self.seconds = 0.0

    def generate(
        self, batch: Sequence[list[ChatTurn]], params: Sequence[GenParams]
    ) -> list[Completion]:
        started = time.perf_counter()
        out = self.inner.generate(batch, params)
        self.inner.calls.clear()  # the scripted backend keeps every request for tests
        self.seconds += time.perf_counter() - started
        return out

    async def agenerate(self, messages: list[ChatTurn], params: GenParams) -> Completion:
        return self.generate([messages], [params])[0]


def child(size: int, mode: str) -> None:
    import yaml

    from healme_synth import pipeline
    from healme_synth.config import Pipeline, PipelineConfig

    data = yaml.safe_load((ROOT / "pipelines" / "scripted.yaml").read_text())
    data["run"].update(name="orchestration", batch_size=64, mode=mode)
    data["seeds"]["sample"] = size
    data["dedup"] = {"enabled": False}
    cfg = PipelineConfig.model_validate(data)
    plan = pipeline.plan(Pipeline(path=ROOT / "pipelines" / "scripted.yaml", config=cfg))
    backend = Stopwatch()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    wait_quiet()
    with tempfile.TemporaryDirectory() as tmp, Others() as others:
        started = time.perf_counter()
        manifest = pipeline.run(plan, Path(tmp) / "run", {r: backend for r in plan.roles()})
        seconds = time.perf_counter() - started
        shards = sum(p.stat().st_size for p in Path(tmp).rglob("*.parquet"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": seconds,
                "backend_seconds": backend.seconds,
                "rss_before_mb": before / 1024,
                "rss_peak_mb": peak / 1024,
                "dialogues": manifest.counts.dialogues,
                "kept": manifest.counts.kept,
                "shard_mb": shards / 2**20,
                "others": others.share,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--modes", nargs="+", default=["lockstep", "async"])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(int(args.child[0]), args.child[1])
        return
    rows = []
    for mode in args.modes:
        for size in args.sizes:
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(size), mode],
                capture_output=True,
                text=True,
                check=True,
            )
            rows.append((mode, size, json.loads(done.stdout.strip().splitlines()[-1])))
    print(f"$ {COMMAND} --sizes {' '.join(map(str, args.sizes))} --modes {' '.join(args.modes)}")
    print("scripted backend, pipelines/scripted.yaml (3 judges + uptake), dedup off, batch 64")
    print()
    print(
        "| mode | dialogues | kept | seconds | s per 1,000 | outside the backend | "
        "RSS before run | peak RSS | shards | others' CPU |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for mode, size, r in rows:
        outside = 1 - r["backend_seconds"] / r["seconds"]
        print(
            f"| {mode} | {r['dialogues']} | {r['kept']} | {r['seconds']:.1f} | "
            f"{r['seconds'] / size * 1000:.2f} | {outside:.0%} | {r['rss_before_mb']:.0f} MB | "
            f"{r['rss_peak_mb']:.0f} MB | {r['shard_mb']:.1f} MB | {r['others']:.0%} |"
        )
    print()
    for mode in args.modes:
        peaks = {size: r["rss_peak_mb"] for m, size, r in rows if m == mode}
        if len(peaks) > 1:
            small, large = min(peaks), max(peaks)
            print(
                f"5. {mode}: peak RSS {large:,} / {small:,} dialogues: "
                f"{peaks[large] / peaks[small]:.2f} ({peaks[large] - peaks[small]:+.0f} MB)"
            )


if __name__ == "__main__":
    main()
