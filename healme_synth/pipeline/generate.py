"""The one place the stages meet: seeds -> roleplay -> filters -> judge -> shards, in chunks.

Chunks of `run.batch_size` dialogues go through every stage and are written before the next
chunk starts, so memory stays flat and what was generated is on disk as the run goes.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from healme_synth import safety
from healme_synth.backends import Backend, build_backends, roles_in_use
from healme_synth.config import DedupSection
from healme_synth.output import ShardWriter, to_row, write_card, write_manifest
from healme_synth.pipeline import scaleout
from healme_synth.pipeline.chunk import Progress, chunks, deduplicate, process
from healme_synth.pipeline.journal import ChunkState, Journal, restore
from healme_synth.pipeline.manifest import build_manifest
from healme_synth.pipeline.plan import Plan, training_system
from healme_synth.pipeline.run_dir import claim, holding, run_start
from healme_synth.pipeline.totals import Totals, add_tokens
from healme_synth.quality import judges as judging
from healme_synth.records import REJECTED, SAFETY_REVIEW, TRAIN, Dialogue, Manifest
from healme_synth.safety.tally import Tally as SafetyTally

if TYPE_CHECKING:  # datasketch pulls in scipy (about 0.5 s): imported when a run de-duplicates
    from healme_synth.quality.dedup import NearDuplicates


@holding("state_dir", "run_dir")  # the directory run.json and journal/ go into
def run(
    p: Plan,
    run_dir: Path,
    backends: dict[str, Backend] | None = None,
    progress: Progress | None = None,
    overwrite: bool = False,
    ray_actors: int | None = None,
    ray_gpus: float = 0,
    state_dir: Path | None = None,
) -> Manifest:
    """Generate, check and write the run, journaling every turn and stage.

    With `ray_actors`, Ray Data actors play the chunks (each owning its backends) and this
    process journals each chunk as it comes back, de-duplicates in run order and writes the
    shards: the same dataset as a local run, resumable chunk by chunk.

    A directory that holds a run of the same config resumes it: finished chunks are read back
    from the journal (nothing regenerated, no written shard rewritten), and a chunk a kill
    interrupted goes on from its last journaled stage and each dialogue's last turn.

    `state_dir` (default: run_dir) holds run.json, journal/ and manifest.json. A sweep gives each
    variant its own, so the variants share run_dir as one dataset, one config each under data/;
    the dataset card, which covers every config, is then the caller's to write."""
    cfg = p.pipeline.config
    progress = progress or Progress()
    home = state_dir or run_dir
    # Only checks here: the directory is emptied (--overwrite) once the backends have started.
    claimed = claim(home, overwrite, run_start(p), keep=[p.pipeline.path])
    resuming = claimed.resuming
    journal = Journal(home)
    size = cfg.run.batch_size
    sizes = [len(p.sample[i : i + size]) for i in range(0, len(p.sample), size)]
    peeks = [journal.peek(k) for k in range(len(sizes))] if resuming else []
    before = max((seconds for _, seconds in peeks), default=0.0)
    started = time.monotonic()

    def clock() -> float:
        """The run's seconds so far, over all its sessions."""
        return before + time.monotonic() - started

    if resuming and progress.on_resume is not None:
        done = sum(n for n, (finished, _) in zip(sizes, peeks, strict=True) if finished)
        progress.on_resume(done, len(p.sample))
    played = None
    if ray_actors is not None:  # the engines live in the actors, not here
        backends = {}
        models = {role: cfg.models[name].label() for role, name in roles_in_use(cfg).items()}
        written = {k for k, (finished, _) in enumerate(peeks) if finished}
        pending = [
            list(range(start, start + n))
            for k, (start, n) in enumerate(zip(range(0, len(p.sample), size), sizes, strict=True))
            if k not in written
        ]
        played = scaleout.play_on_ray(p.pipeline, pending, ray_actors, ray_gpus)
    else:
        backends = backends if backends is not None else build_backends(cfg)
        models = {role: b.label for role, b in backends.items()}
    claimed.take()
    data = run_dir / "data" / cfg.output.config_name
    writers = {
        name: ShardWriter(data, name, cfg.output.rows_per_shard)
        for name in (TRAIN, REJECTED, SAFETY_REVIEW)
    }
    totals = Totals(
        judges=[judging.Tally(j) for j in p.judges],
        safety=SafetyTally(p.safety_stage) if p.safety_stage is not None else None,
    )
    duplicates = near_duplicates(cfg.dedup)
    for k, fresh in enumerate(chunks(p, models)):
        state = journal.read(k) if resuming else ChunkState()
        chunk = restore(fresh, state)
        if state.done:  # finished in an earlier session: read back, not regenerated
            other_tokens = state.tokens
            for d in chunk:  # the near-duplicate index learns what was kept, in run order
                if duplicates is not None and d.kept:
                    duplicates.check(d)
        else:
            log = journal.open(k, state, clock, progress.on_message)
            if played is not None:
                chunk, other_tokens = next(played)
                deduplicate(chunk, duplicates)
            else:
                other_tokens = process(p, chunk, backends, progress, duplicates, log)
            log.done("done", chunk, other_tokens)
            log.close()
        add_tokens(totals.tokens, other_tokens)
        for index, d in enumerate(chunk, start=k * size):
            # Rows already in a finished part of an earlier session are counted, not rewritten.
            writers[split_of(d)].add(to_row(d, training_system(p, d.persona)))
            totals.add(d, p.sample[index])
        if progress.on_dialogues is not None and not state.done:
            progress.on_dialogues(len(chunk))
    shards = [path for writer in writers.values() for path in writer.close()]
    manifest = build_manifest(p, totals, models, shards, run_dir, clock())
    write_manifest(home, manifest)
    if state_dir is None:
        write_card(run_dir, {cfg.output.config_name: manifest})
    return manifest


def split_of(d: Dialogue) -> str:
    """Unsafe or unverified crisis handling never reaches train, whatever else it passed."""
    return SAFETY_REVIEW if safety.for_review(d) else TRAIN if d.kept else REJECTED


def near_duplicates(dedup: DedupSection) -> NearDuplicates | None:
    """The run-wide near-duplicate index (datasketch, and with it scipy, loads only here)."""
    from healme_synth.quality.dedup import NearDuplicates

    if not dedup.enabled:
        return None
    return NearDuplicates(dedup.threshold, dedup.num_perm, dedup.shingle, dedup.max_per_persona)
