"""One chunk of dialogues through every per-dialogue stage: intake, plan, turns, filters,
safety, uptake, judges and gates, then near-duplicates against the run so far."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from healme_synth import roleplay, safety
from healme_synth.backends import Backend, run_sync
from healme_synth.pipeline.journal import ChunkLog
from healme_synth.pipeline.plan import Plan
from healme_synth.pipeline.totals import add_tokens
from healme_synth.quality import filters, uptake
from healme_synth.quality import judges as judging
from healme_synth.records import Dialogue, Message, Tokens

if TYPE_CHECKING:  # datasketch pulls in scipy (about 0.5 s): imported when a run de-duplicates
    from healme_synth.quality.dedup import NearDuplicates


@dataclass
class Progress:
    """Callbacks the CLI hooks a progress bar to; all optional."""

    on_turn: Callable[[int, int], None] | None = None
    on_dialogues: Callable[[int], None] | None = None
    on_message: Callable[[Message], None] | None = None
    """Every stored utterance, with its token counts (prompt, completion, cached)."""
    on_resume: Callable[[int, int], None] | None = None
    """A resumed run: (dialogues already done, dialogues in all)."""


def chunks(p: Plan, models: dict[str, str]) -> Iterator[list[Dialogue]]:
    """The run's dialogues, batch_size at a time; ids are stable: sample index + persona id."""
    size = p.pipeline.config.run.batch_size
    for start in range(0, len(p.sample), size):
        yield [new_dialogue(p, i, models) for i in range(start, min(start + size, len(p.sample)))]


def new_dialogue(p: Plan, index: int, models: dict[str, str]) -> Dialogue:
    """The run's dialogue number `index`, not yet played: its id (and so every seed) depends
    only on the index and the persona, wherever it is played."""
    persona = p.sample[index]
    return Dialogue(
        id=f"{index:06d}-{persona.id}",
        protocol=p.protocol.name,
        persona=persona,
        run_seed=p.pipeline.config.run.seed,
        models=models,
    )


def process(
    p: Plan,
    chunk: list[Dialogue],
    backends: dict[str, Backend],
    progress: Progress,
    duplicates: NearDuplicates | None = None,
    log: ChunkLog | None = None,
) -> Tokens:
    """Intake, plan, roleplay, filter, judge, gate and de-duplicate one chunk in place; returns
    the tokens of the calls besides the turns (those are on the messages). `duplicates` carries
    what was kept so far across the run's chunks. `log` journals every turn and stage; on resume
    it holds the chunk's last stage, and the stages up to it are skipped."""
    cfg = p.pipeline.config
    log = log if log is not None else ChunkLog()
    tokens = log.tokens()
    if cfg.seeds.expand_intake and log.todo("intake"):
        add_tokens(
            tokens,
            roleplay.expand_intakes(
                chunk, p.prompts, backends["client"], cfg.roles.client, cfg.seeds.intake_max_tokens
            ),
        )
        log.done("intake", chunk, tokens)
    playable = [d for d in chunk if d.kept]
    if p.protocol.planning is not None and log.todo("plan"):
        add_tokens(
            tokens,
            roleplay.plan_sessions(
                playable, p.protocol, p.prompts, backends["counselor"], cfg.roles.counselor
            ),
        )
        log.done("plan", chunk, tokens)
    playable = [d for d in playable if d.kept]  # an unparsed plan is not played
    if p.safety_stage is not None:
        p.safety_stage.assignment.attach(playable)  # crisis probes, placed by the turn loop
    # The turns and the filters are one journal stage: the filters check exactly the dialogues
    # that were played (those a full context stopped included).
    if log.todo("converse"):
        on_turn = log.on_turn(progress.on_turn)  # writes each batch of turns to the journal
        if cfg.run.mode == "async":  # no turn barrier: each dialogue goes on when its reply is back
            run_sync(
                roleplay.aconverse(
                    playable,
                    p.protocol,
                    p.prompts,
                    backends,
                    p.roles(),
                    cfg.run.in_flight,
                    on_turn,
                    record=log.record,
                )
            )
        else:
            roleplay.converse(
                playable, p.protocol, p.prompts, backends, p.roles(), on_turn, record=log.record
            )
        for d in playable:
            d.reasons += filters.check(d, list(cfg.filters.enabled), p.rules)
        if p.safety_stage is not None:  # every played dialogue: labels, checks, verdict
            add_tokens(
                tokens, safety.check(playable, p.safety_stage, backends, p.roles(), p.prompts)
            )
        log.done("converse", chunk, tokens)
    if cfg.measure_reframe_uptake and cfg.roles.judge is not None and log.todo("uptake"):
        measured = [d for d in chunk if d.kept]
        add_tokens(tokens, uptake.measure(measured, p.prompts, backends["judge"], cfg.roles.judge))
        log.done("uptake", chunk, tokens)
    if p.judges and log.todo("judge"):
        passed = [d for d in chunk if d.kept]
        add_tokens(tokens, judging.judge(passed, p.judges, backends, p.roles(), p.prompts))
        for d in passed:
            d.reasons += judging.gate(d, p.judges)
        log.done("judge", chunk, tokens)
    deduplicate(chunk, duplicates)
    return tokens


def deduplicate(chunk: list[Dialogue], duplicates: NearDuplicates | None) -> None:
    """Last, so only dialogues that would be kept are compared and the first of a pair stays."""
    for d in chunk:
        if duplicates is not None and d.kept:
            reason = duplicates.check(d)
            if reason is not None:
                d.reasons.append(reason)
