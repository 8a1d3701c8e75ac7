"""Generation throughput of the pipeline on the real engine, next to what the engine does alone.

    .venv/bin/python bench/throughput.py [--dialogues 64] [--sequential 4] [--kv-gib 2] [--model M]

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
   first, next to what an ideal cache could serve (longest prefix shared with any earlier
   request's prompt + reply; exact, and in vLLM's full blocks).
Each measurement waits for a quiet machine and is repeated when other processes were busy
(`common.uncontended`); the tables print their share of the CPU.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from common import (
    Call,
    Recorder,
    Timed,
    dialogue_turns,
    engine_flags,
    engine_header,
    engine_model,
    engine_options,
    fixed_prompts,
    timed_run,
    turn_lengths,
    uncontended,
    workload,
)

from healme_synth.backends import ChatTurn
from healme_synth.backends.requests import turn_seed
from healme_synth.pipeline import Plan

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


def decode_ceiling(llm: object, n: int, prompt: int = 400, steps: int = 128) -> tuple[float, float]:
    """Decode tokens/s of n sequences at once and of one alone, prompt processing subtracted:
    what batching alone can gain on this engine (the pipeline also has prompts to process, at
    the same cost in both ways of running). Each sequence: `prompt` fixed tokens, then exactly
    `steps` + 1 generated."""
    from vllm import SamplingParams

    prompts = fixed_prompts(n, prompt)

    def seconds(batch: list[dict[str, list[int]]], tokens: int) -> float:
        llm.reset_prefix_cache()  # type: ignore[attr-defined]
        params = SamplingParams(max_tokens=tokens, min_tokens=tokens, ignore_eos=True)
        started = time.perf_counter()
        llm.generate(batch, params, use_tqdm=False)  # type: ignore[attr-defined]
        return time.perf_counter() - started

    batched = seconds(prompts, steps + 1) - seconds(prompts, 1)
    single = seconds(prompts[:1], steps + 1) - seconds(prompts[:1], 1)
    return n * steps / batched, steps / single


def reuse_bound(calls: list[Call], tokenizer: object) -> list[int]:
    """Per request, the longest prompt prefix (in tokens) that an earlier request of the run had
    as a prefix of its prompt + stored reply: what an ideal prefix cache (never evicting, no
    block granularity) could serve. Round down to the block size for vLLM's full blocks."""

    def ids(messages: list[ChatTurn]) -> list[int]:
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)  # type: ignore[attr-defined]
        out: list[int] = tokenizer.encode(text, add_special_tokens=False)  # type: ignore[attr-defined]
        return out

    seen: set[int] = set()  # hash chains of every prefix of every earlier sequence
    out = []
    for c in calls:
        prompt = ids(list(c.messages))
        h, match = 0, 0
        for i, token in enumerate(prompt):
            h = hash((h, token))
            if h not in seen:
                break
            match = i + 1
        out.append(match)
        reply = tokenizer.encode(c.completion.text.strip(), add_special_tokens=False)  # type: ignore[attr-defined]
        h = 0
        for token in prompt + reply:
            h = hash((h, token))
            seen.add(h)
    return out


def turn_of(plan: Plan) -> dict[int, int]:
    """Request seed -> turn index, for the run's dialogues (ids as pipeline.chunks makes them)."""
    run_seed = plan.pipeline.config.run.seed
    return {
        turn_seed(run_seed, f"{i:06d}-{persona.id}", t, role): t
        for i, persona in enumerate(plan.sample)
        for t, role in enumerate(plan.protocol.turn_order())
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dialogues", type=int, default=64)
    parser.add_argument("--sequential", type=int, default=4)
    engine_options(parser)
    args = parser.parse_args()
    n, k, cap = args.dialogues, args.sequential, args.max_tokens

    from healme_synth.backends.vllm import VllmBackend

    started = time.perf_counter()
    backend = VllmBackend(engine_model(args))
    llm = backend.llm
    block = llm.llm_engine.vllm_config.cache_config.block_size
    start_s = time.perf_counter() - started
    # first-call costs out of the way
    timed_run(workload(4, 4, seed=1, max_tokens=16), backend, "warmup")

    plan = workload(n, n, max_tokens=cap)

    def pipelined() -> tuple[Recorder, Timed]:
        llm.reset_prefix_cache()
        rec = Recorder(backend)
        return rec, timed_run(plan, rec, "pipeline")

    def flat() -> tuple[float, int, int, int]:
        llm.reset_prefix_cache()
        return flat_batch(llm, rec.calls)

    def one_at_a_time() -> Timed:
        llm.reset_prefix_cache()
        one_plan = workload(n, 1, max_tokens=cap)
        one_plan.sample = one_plan.sample[:k]  # the first k dialogues of the same run
        return timed_run(one_plan, backend, "one-at-a-time")

    ceiling, ceiling_others = uncontended(lambda: decode_ceiling(llm, n), "ceiling")
    (rec, piped), piped_others = uncontended(pipelined, "pipeline")
    (flat_s, flat_tokens, flat_prompt, flat_cached), flat_others = uncontended(flat, "flat")
    flat_requests = sum(c.completion.completion_tokens > 0 for c in rec.calls)
    one, one_others = uncontended(one_at_a_time, "one at a time")

    # 1. pipeline vs flat batch
    piped_tokens = piped.manifest.tokens.completion
    requests = len(rec.calls)
    print(f"$ {COMMAND} --dialogues {n} --sequential {k}{engine_flags(args)}")
    print(
        f"engine: LLM (in-process), {engine_header(args.model, llm)}; "
        f"start {start_s:.0f} s; KV cache {args.kv_gib} GiB in blocks of {block} tokens; "
        f"turns max_tokens {turn_lengths(plan)}"
    )
    print()
    print(
        "| run | requests | prompt tokens | cached | generated tokens | seconds | tokens/s "
        "| others' CPU |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| pipeline, {n} dialogues, lockstep | {requests} | {piped.manifest.tokens.prompt} | "
        f"{piped.manifest.tokens.cached} | {piped_tokens} | {piped.seconds:.1f} | "
        f"{piped.tokens_per_s:.0f} | {piped_others:.0%} |"
    )
    print(
        f"| flat batch, same requests and lengths | {flat_requests} | {flat_prompt} | "
        f"{flat_cached} | {flat_tokens} | {flat_s:.1f} | {flat_tokens / flat_s:.0f} | "
        f"{flat_others:.0%} |"
    )
    print(
        f"| one dialogue at a time, first {k} | {6 * k} | {one.manifest.tokens.prompt} | "
        f"{one.manifest.tokens.cached} | {one.manifest.tokens.completion} | "
        f"{one.seconds:.1f} | {one.tokens_per_s:.0f} | {one_others:.0%} |"
    )
    print()
    ratio1 = piped.tokens_per_s / (flat_tokens / flat_s)
    ratio2 = piped.tokens_per_s / one.tokens_per_s
    print(f"1. pipeline / flat batch: {ratio1:.2f} (target >= 0.9)")
    print(f"2. pipeline / one at a time: {ratio2:.1f}x (target >= 10x at {n} in flight)")
    batched, single = ceiling
    print(
        f"   the engine's own ceiling, decode only (no prompt to process): {n} sequences "
        f"{batched:.0f} tokens/s, one sequence {single:.0f} tokens/s = {batched / single:.1f}x "
        f"(others' CPU {ceiling_others:.0%})"
    )
    same = dialogue_turns(piped.run_dir)
    alone = dialogue_turns(one.run_dir)

    def text(turns: list[dict[str, Any]]) -> list[tuple[str, int]]:
        return [(t["content"], t["completion_tokens"]) for t in turns]

    identical = sum(text(alone[i]) == text(same[i]) for i in alone)
    print(f"   one-at-a-time dialogues identical to the batched ones: {identical} of {len(alone)}")

    # 4. prefix cache, on the pipeline's requests at turns after the first
    turns = turn_of(plan)
    later = [(i, c) for i, c in enumerate(rec.calls) if turns[c.params.seed] > 0]
    first = [c for c in rec.calls if turns[c.params.seed] == 0]
    prompt = sum(c.completion.prompt_tokens for _, c in later)
    cached = sum(c.completion.cached_tokens for _, c in later)
    bound = reuse_bound(rec.calls, backend.tokenizer)
    print(
        f"4. prefix-cache hit rate, turns after the first: {cached / prompt:.1%} "
        f"({cached} of {prompt} prompt tokens)"
    )
    ideal = ", ".join(
        f"{sum(bound[i] // b * b for i, _ in later) / prompt:.1%} in blocks of {b}"
        for b in sorted({1, 32, block})
    )
    print(f"   an ideal cache (no eviction) could serve: {ideal}")
    print(
        f"   first turns: {sum(c.completion.cached_tokens for c in first)} of "
        f"{sum(c.completion.prompt_tokens for c in first)} cached; "
        f"flat batch: {flat_cached / flat_prompt:.1%} of its prompt tokens cached"
    )


if __name__ == "__main__":
    main()
