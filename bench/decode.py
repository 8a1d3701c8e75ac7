"""Where a decode step's time goes, at 64 sequences and at one: why batching gains so little on CPU.

    .venv/bin/python bench/decode.py [--sequences 64] [--kv-gib 2] [--model M]

One engine (the in-process `LLM`, as lockstep mode builds it). Each sequence: a fixed 400-token
prompt, already in the prefix cache, then 33 generated tokens, with the counselor's sampling as
shipped (temperature, top_p, repetition penalty, a seed per request) and again with top_p 1.0.
Per decode step, the torch profiler's self time of the heaviest operators, side by side.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import yaml
from common import (
    SHIPPED,
    engine_flags,
    engine_header,
    engine_model,
    engine_options,
    fixed_prompts,
    uncontended,
)

COMMAND = ".venv/bin/python bench/decode.py"
PROMPT, STEPS = 400, 32
SHOWN = 6


def profile(
    llm: Any, n: int, counselor: dict[str, Any], top_p: float
) -> tuple[float, dict[str, float]]:
    """(ms per decode step, operator -> ms of self time per step) for n sequences at once: the
    step timed alone, then the same generation again under the profiler."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile
    from vllm import SamplingParams

    prompts = fixed_prompts(n, PROMPT)
    params = [
        SamplingParams(
            temperature=counselor["temperature"],
            top_p=top_p,
            repetition_penalty=counselor["repetition_penalty"],
            seed=i,
            max_tokens=STEPS + 1,
            min_tokens=STEPS + 1,
            ignore_eos=True,
        )
        for i in range(n)
    ]
    llm.reset_prefix_cache()
    llm.generate(prompts, SamplingParams(max_tokens=1), use_tqdm=False)  # prompts into the cache
    started = time.perf_counter()
    llm.generate(prompts, params, use_tqdm=False)  # timed without the profiler's overhead
    seconds = time.perf_counter() - started
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        llm.generate(prompts, params, use_tqdm=False)
    ops = {e.key: e.self_cpu_time_total / 1000 / (STEPS + 1) for e in prof.key_averages()}
    return seconds * 1000 / (STEPS + 1), ops


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sequences", type=int, default=64)
    engine_options(parser)
    args = parser.parse_args()
    n = args.sequences

    from healme_synth.backends.vllm import VllmBackend

    llm = VllmBackend(engine_model(args)).llm
    llm.generate(["warm up"], use_tqdm=False)
    counselor = yaml.safe_load(SHIPPED.read_text())["roles"]["counselor"]
    shipped_p = counselor["top_p"]
    runs = {
        (size, p): uncontended(
            lambda size=size, p=p: profile(llm, size, counselor, p), f"{size} x p {p}"
        )
        for p in (shipped_p, 1.0)
        for size in (n, 1)
    }
    print(f"$ {COMMAND} --sequences {n}{engine_flags(args)}")
    print(f"engine: LLM (in-process), {engine_header(args.model, llm)}; {PROMPT}-token prompts")
    print()
    shipped_ops = runs[(n, shipped_p)][0][1]
    heavy = sorted(shipped_ops, key=shipped_ops.__getitem__, reverse=True)
    columns = [(size, p) for p in (shipped_p, 1.0) for size in (n, 1)]
    print("| ms per step | " + " | ".join(f"{s} seq, top_p {p}" for s, p in columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for op in heavy[:SHOWN]:
        cells = " | ".join(f"{runs[c][0][1].get(op, 0):.1f}" for c in columns)
        print(f"| {op} | {cells} |")
    print("| whole step (wall) | " + " | ".join(f"{runs[c][0][0]:.1f}" for c in columns) + " |")
    print("| others' CPU | " + " | ".join(f"{runs[c][1]:.0%}" for c in columns) + " |")
    print()
    for p in (shipped_p, 1.0):
        (batched, _), _ = runs[(n, p)]
        (single, _), _ = runs[(1, p)]
        print(
            f"top_p {p}: {n} sequences {n * 1000 / batched:.0f} tokens/s, one "
            f"{1000 / single:.0f} tokens/s = {n * single / batched:.1f}x"
        )


if __name__ == "__main__":
    main()
