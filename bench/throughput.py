"""Generation throughput of the pipeline on the real engine, next to what the engine does alone.

    .venv/bin/python bench/throughput.py [--dialogues 64] [--sequential 4]

One process, one engine (the in-process `LLM` on the embedded model, the pipeline's lockstep
mode), three measurements side by side, the prefix cache emptied before each:
1. the pipeline on N HealMe dialogues (turns, filters, dedup, shards), every request kept;
   then the same N x 6 requests as one flat batch (`LLM.chat`): the same prompts, each forced to
   the completion length it had in the pipeline (min_tokens = max_tokens, ignore_eos), so both
   generate the same tokens. Ratio: pipeline tokens/s / flat tokens/s (target >= 0.9).
2. the first K of the same dialogues one at a time (batch_size 1), as the reference projects
   loop: pipeline tokens/s / one-at-a-time tokens/s (target >= 10x at 64 in flight). Same seeds,
   so (float32, batch-invariant) the same dialogues and token counts; checked and printed.
4. prefix-cache hit rate of the pipeline's requests: cached / prompt tokens, on turns after the
   first, with what full-block reuse of each role's previous request would allow at most.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from common import (
    MAX_TOKENS,
    Call,
    Recorder,
    cache_rates,
    dialogue_turns,
    load,
    timed_run,
    workload,
)

COMMAND = ".venv/bin/python bench/throughput.py"


def flat_batch(llm: object, calls: list[Call]) -> tuple[float, int, int, int]:
    """The pipeline's requests as one batch, each generating exactly the tokens it had."""
    from vllm import SamplingParams

    sent = [c for c in calls if c.completion.completion_tokens > 0]
    params = [
        SamplingParams(
            temperature=c.params.temperature,
            top_p=c.params.top_p,
            seed=c.params.seed,
            repetition_penalty=c.params.repetition_penalty,
            max_tokens=c.completion.completion_tokens,
            min_tokens=c.completion.completion_tokens,
            ignore_eos=True,
        )
        for c in sent
    ]
    started = time.perf_counter()
    outs = llm.chat([c.messages for c in sent], sampling_params=params, use_tqdm=False)  # type: ignore[attr-defined]
    seconds = time.perf_counter() - started
    tokens = sum(len(o.outputs[0].token_ids) for o in outs)
    prompt = sum(len(o.prompt_token_ids) for o in outs)
    cached = sum(o.num_cached_tokens or 0 for o in outs)
    return seconds, tokens, prompt, cached


def reusable(calls: list[Call], tokenizer: object, block: int) -> int:
    """Prompt tokens a prefix cache could serve at most on turns after the first: full blocks of
    the prefix each request shares with its role's previous request (prompt + reply) in the same
    dialogue. Another dialogue's prefix (a shared system prompt) is not counted."""

    def ids(messages: list[dict[str, str]]) -> list[int]:
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)  # type: ignore[attr-defined]
        out: list[int] = tokenizer.encode(text, add_special_tokens=False)  # type: ignore[attr-defined]
        return out

    last: dict[tuple[str, str], list[int]] = {}
    total = 0
    for c in calls:
        key = (c.messages[0]["content"], c.params.role)  # system prompt: one per dialogue+role
        now = ids(list(c.messages))  # type: ignore[arg-type]
        before = last.get(key)
        if before is not None:
            shared = next(
                (i for i, (a, b) in enumerate(zip(now, before, strict=False)) if a != b),
                min(len(now), len(before)),
            )
            total += shared // block * block
        reply = tokenizer.encode(c.completion.text, add_special_tokens=False)  # type: ignore[attr-defined]
        last[key] = now + reply
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dialogues", type=int, default=64)
    parser.add_argument("--sequential", type=int, default=4)
    args = parser.parse_args()
    n, k = args.dialogues, args.sequential

    from healme_synth.backends.vllm import VllmBackend
    from healme_synth.config import VllmModel

    started = time.perf_counter()
    backend = VllmBackend(VllmModel(backend="vllm"))
    llm = backend.llm
    block = llm.llm_engine.vllm_config.cache_config.block_size
    start_s = time.perf_counter() - started
    timed_run(workload(4, 4, seed=1), backend, "warmup")  # first-call costs out of the way

    llm.reset_prefix_cache()
    rec = Recorder(backend)
    piped = timed_run(workload(n, n), rec, "pipeline")

    llm.reset_prefix_cache()
    flat_s, flat_tokens, flat_prompt, flat_cached = flat_batch(llm, rec.calls)
    flat_requests = sum(c.completion.completion_tokens > 0 for c in rec.calls)

    llm.reset_prefix_cache()
    one_plan = workload(n, 1)
    one_plan.sample = one_plan.sample[:k]  # the first k dialogues of the same run
    one = timed_run(one_plan, backend, "one-at-a-time")

    # 1. pipeline vs flat batch
    piped_tokens = piped.manifest.tokens.completion
    requests = len(rec.calls)
    print(f"$ {COMMAND} --dialogues {n} --sequential {k}")
    print(f"load average at the end (1/5/15 min): {load()} on {os.cpu_count()} cores")
    print(
        f"engine: LLM (in-process), embedded SmolLM2-135M, float32, 2 CPU cores; "
        f"start {start_s:.0f} s; KV block {block} tokens; turns max_tokens {MAX_TOKENS}"
    )
    print()
    print("| run | requests | prompt tokens | generated tokens | seconds | tokens/s |")
    print("|---|---:|---:|---:|---:|---:|")
    print(
        f"| pipeline, {n} dialogues, lockstep | {requests} | {piped.manifest.tokens.prompt} | "
        f"{piped_tokens} | {piped.seconds:.1f} | {piped.tokens_per_s:.0f} |"
    )
    print(
        f"| flat batch, same requests and lengths | {flat_requests} | "
        f"{flat_prompt} | {flat_tokens} | {flat_s:.1f} | {flat_tokens / flat_s:.0f} |"
    )
    print(
        f"| one dialogue at a time, first {k} | {6 * k} | {one.manifest.tokens.prompt} | "
        f"{one.manifest.tokens.completion} | {one.seconds:.1f} | {one.tokens_per_s:.0f} |"
    )
    print()
    ratio1 = piped.tokens_per_s / (flat_tokens / flat_s)
    ratio2 = piped.tokens_per_s / one.tokens_per_s
    print(f"1. pipeline / flat batch: {ratio1:.2f} (target >= 0.9)")
    print(f"2. pipeline / one at a time: {ratio2:.1f}x (target >= 10x at {n} in flight)")
    same = dialogue_turns(piped.run_dir)
    alone = dialogue_turns(one.run_dir)

    def text(turns: list[dict[str, Any]]) -> list[tuple[str, int]]:
        return [(t["content"], t["completion_tokens"]) for t in turns]

    identical = sum(text(alone[i]) == text(same[i]) for i in alone)
    print(f"   one-at-a-time dialogues identical to the batched ones: {identical} of {len(alone)}")

    # 4. prefix cache
    rates = cache_rates(piped.run_dir)
    cached, prompt = rates["turns after the first"]
    later_prompt = rates["roles' later"][1]
    bound = reusable(rec.calls, backend.tokenizer, block)
    print(
        f"4. prefix-cache hit rate, turns after the first: {cached / prompt:.1%} "
        f"({cached} of {prompt} prompt tokens)"
    )
    for key in ("first turn", "roles' later"):
        c, t = rates[key]
        print(f"   {key}: {c / t:.1%} ({c} of {t})")
    print(
        f"   at most from full blocks shared with the role's previous request: "
        f"{bound / later_prompt:.1%} of the roles' later prompt tokens; "
        f"flat batch: {flat_cached / flat_prompt:.1%} cached"
    )


if __name__ == "__main__":
    main()
