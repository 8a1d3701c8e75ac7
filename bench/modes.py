"""Async mode (no turn barriers) against lockstep mode on the real engine, side by side.

    .venv/bin/python bench/modes.py [--dialogues 64] [--in-flight 64] [--repeat 1] [--kv-gib 2]
        [--model M]

One process holds both engines on the embedded model with the same settings (float32, eager,
whole-prompt scheduling, prefix caching): the in-process `LLM` that lockstep mode builds and the
`AsyncLLM` that async mode builds. Three pipeline runs of the same N HealMe dialogues (one chunk),
the prefix cache emptied before each, in rotating order when repeated:
- lockstep on LLM: what `run.mode: lockstep` runs (the reference);
- async on AsyncLLM: what `run.mode: async` runs;
- lockstep on AsyncLLM (batch calls through the async engine): the turn barrier alone, on
  the same engine as the async run.
Ratio 3 is async tokens/s / lockstep tokens/s. Same seeds, so the dialogues should be the same
in all three (float32 on CPU is batch-invariant); the count is printed.
Each measurement waits for a quiet machine and is repeated when other processes were busy
(`common.uncontended`); the tables print their share of the CPU.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from common import (
    Timed,
    cache_rates,
    dialogue_turns,
    engine_flags,
    engine_header,
    engine_model,
    engine_options,
    timed_run,
    turn_lengths,
    uncontended,
    workload,
)

COMMAND = ".venv/bin/python bench/modes.py"


def reset(backend: Any) -> None:
    from healme_synth.backends import run_sync
    from healme_synth.backends.vllm import VllmBackend

    if isinstance(backend, VllmBackend):
        backend.llm.reset_prefix_cache()
    else:
        run_sync(backend.engine.reset_prefix_cache())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dialogues", type=int, default=64)
    parser.add_argument("--in-flight", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=1)
    engine_options(parser)
    args = parser.parse_args()
    n, in_flight = args.dialogues, args.in_flight

    from healme_synth.backends.vllm import VllmBackend
    from healme_synth.backends.vllm_async import AsyncVllmBackend

    model = engine_model(args)
    started = time.perf_counter()
    sync = VllmBackend(model)
    sync_start = time.perf_counter() - started
    started = time.perf_counter()
    aio = AsyncVllmBackend(model)
    async_start = time.perf_counter() - started
    timed_run(workload(4, 4, seed=1, max_tokens=16), sync, "warmup")
    timed_run(workload(4, 4, "async", seed=1, max_tokens=16), aio, "warmup")

    runs: dict[str, tuple[Any, str]] = {
        "lockstep on LLM": (sync, "lockstep"),
        "async on AsyncLLM": (aio, "async"),
        "lockstep on AsyncLLM": (aio, "lockstep"),
    }
    results: dict[str, list[Timed]] = {name: [] for name in runs}
    others: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for r in range(args.repeat):
        for name in names[r % 3 :] + names[: r % 3]:
            backend, mode = runs[name]
            plan = workload(n, n, mode, in_flight, max_tokens=args.max_tokens)

            def measure(backend: Any = backend, plan: Any = plan, name: str = name) -> Timed:
                reset(backend)
                return timed_run(plan, backend, name.replace(" ", "-"))

            result, share = uncontended(measure, name)
            results[name].append(result)
            others[name].append(share)

    def rate(name: str) -> float:
        timed = results[name]
        return sum(t.manifest.tokens.completion for t in timed) / sum(t.seconds for t in timed)

    print(
        f"$ {COMMAND} --dialogues {n} --in-flight {in_flight} --repeat {args.repeat}"
        f"{engine_flags(args)}"
    )
    print(
        f"{engine_header(args.model, sync.llm)}; "
        f"engine start: LLM {sync_start:.0f} s, "
        f"AsyncLLM {async_start:.0f} s; KV cache {args.kv_gib} GiB each; {n} HealMe dialogues "
        f"in one chunk, turns max_tokens {turn_lengths(plan)}"
    )
    print()
    print(
        "| run | generated tokens | seconds | tokens/s | cached / prompt, turns after 1st "
        "| others' CPU |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name in names:
        timed = results[name]
        cached, prompt = cache_rates(timed[0].run_dir)["turns after the first"]
        print(
            f"| {name} | {sum(t.manifest.tokens.completion for t in timed)} | "
            f"{sum(t.seconds for t in timed):.1f} | {rate(name):.0f} | {cached / prompt:.1%} | "
            f"{' '.join(f'{x:.0%}' for x in others[name])} |"
        )
    print()
    print(
        f"3. async / lockstep: {rate('async on AsyncLLM') / rate('lockstep on LLM'):.2f} "
        f"(as shipped); on the same AsyncLLM engine: "
        f"{rate('async on AsyncLLM') / rate('lockstep on AsyncLLM'):.2f} (the turn barrier alone)"
    )

    def texts(name: str) -> dict[str, list[str]]:
        turns = dialogue_turns(results[name][0].run_dir)
        return {i: [t["content"] for t in ts] for i, ts in turns.items()}

    reference = texts("lockstep on LLM")
    for name in names[1:]:
        other = texts(name)
        same = sum(other[i] == reference[i] for i in reference)
        print(f"   {name}: {same} of {len(reference)} dialogues identical to lockstep on LLM")


if __name__ == "__main__":
    main()
