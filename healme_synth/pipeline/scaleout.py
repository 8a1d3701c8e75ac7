"""Scale-out on Ray: Ray Data actors each own their backends (one engine per actor) and play
whole chunks of dialogues; the driver receives them in order and writes the ordinary shards.

Nothing here is a home-made cluster: Ray schedules the actors (locally, or on the cluster that
`RAY_ADDRESS` / `ray job submit` points at). Dialogue ids and seeds depend only on the sample
index, so a dialogue comes out the same on whichever actor plays it, and the driver applies the
run-wide stages (near-duplicates, shard writing) in sample order, as a local run does.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from healme_synth.config import Pipeline
from healme_synth.errors import SetupError
from healme_synth.records import Dialogue, Tokens


class ChunkPlayer:
    """A Ray Data actor: plans the pipeline once, builds its backends once, then plays every
    batch of sample indexes it is given through the per-dialogue stages."""

    def __init__(self, pipeline_path: str, config: dict[str, Any]) -> None:
        from healme_synth.backends import build_backends
        from healme_synth.config import PipelineConfig
        from healme_synth.pipeline.plan import plan

        # The driver's resolved config, not the file read again: a sweep's variant exists only
        # in memory, and a file edited during the run must not change what the actors play.
        # The path is where relative paths (seeds, prompts) resolve.
        pipeline = Pipeline(path=Path(pipeline_path), config=PipelineConfig.model_validate(config))
        self.plan = plan(pipeline)
        self.backends = build_backends(self.plan.pipeline.config)
        self.models = {role: b.label for role, b in self.backends.items()}

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        from healme_synth.pipeline.chunk import Progress, new_dialogue, process

        indexes = [int(i) for i in batch["id"]]
        chunk = [new_dialogue(self.plan, i, self.models) for i in indexes]
        tokens = process(self.plan, chunk, self.backends, Progress())
        # The batch's non-turn tokens ride on its first row, so the driver's sums are exact.
        return {
            "id": indexes,
            "dialogue": [d.model_dump_json() for d in chunk],
            "tokens": [tokens.model_dump_json()] + [Tokens().model_dump_json()] * (len(chunk) - 1),
        }


def play_on_ray(
    pipeline: Pipeline, pending: list[list[int]], actors: int, gpus: float = 0
) -> Iterator[tuple[list[Dialogue], Tokens]]:
    """The pending chunks (lists of sample indexes) played on `actors` Ray actors, yielded in
    order with their non-turn tokens: what the local loop has after `process`, less the
    run-wide near-duplicate check, which the driver does in sample order."""
    try:
        import ray
        from ray.data import DataContext
    except ImportError:
        raise SetupError(
            "running on Ray needs the ray extra: pip install 'healme-synth[ray]'."
        ) from None
    if not pending:
        return
    if not ray.is_initialized():
        # RAY_ADDRESS (set by `ray job submit` or by hand) joins a cluster; otherwise a local
        # instance starts on this machine.
        ray.init(address=os.environ.get("RAY_ADDRESS"), log_to_driver=False)
    DataContext.get_current().execution_options.preserve_order = True
    indexes = [{"id": i} for chunk in pending for i in chunk]
    played = ray.data.from_items(indexes).map_batches(
        ChunkPlayer,
        fn_constructor_args=(str(pipeline.path.resolve()), pipeline.config.model_dump(mode="json")),
        batch_size=max(len(c) for c in pending),
        concurrency=actors,
        num_cpus=1,
        num_gpus=gpus,  # what each actor's engine needs (tensor_parallel_size on GPUs)
    )
    rows = iter(played.iter_rows())
    for chunk in pending:
        dialogues, tokens = [], Tokens()
        for _ in chunk:
            row = next(rows)
            dialogues.append(Dialogue.model_validate_json(row["dialogue"]))
            more = Tokens.model_validate_json(row["tokens"])
            tokens.prompt += more.prompt
            tokens.completion += more.completion
            tokens.cached += more.cached
        yield dialogues, tokens
