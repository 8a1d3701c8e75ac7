"""Planning a run: everything it needs from files (seeds, protocol, prompts, rubrics, probes),
loaded and checked together before any generation, every problem reported at once."""

from __future__ import annotations

from dataclasses import dataclass, field

from healme_synth import inputs, roleplay, safety
from healme_synth.config import FiltersSection, Pipeline, PipelineConfig, RoleSection, VllmModel
from healme_synth.errors import ConfigError
from healme_synth.pipeline.dry_run import template_problems
from healme_synth.prompts import Prompts
from healme_synth.quality import filters
from healme_synth.quality.judges.panel import Judge, load_judges
from healme_synth.records import Persona
from healme_synth.roleplay import Protocol, load_protocol
from healme_synth.seeds import load_personas, sample_personas, sampler


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
    inputs: dict[str, str] = field(default_factory=dict)
    """Every file planning read (resolved path -> SHA-256): a resume refuses if one changed."""

    def roles(self) -> dict[str, RoleSection]:
        roles = self.pipeline.config.roles
        return {k: v for k, v in roles if v is not None}


def plan(pipeline: Pipeline) -> Plan:
    """The run's plan, with the SHA-256 of every file it read (through `inputs`, so no reader
    can be left out)."""
    with inputs.recording() as read:
        found = _plan(pipeline)
    found.inputs = read.files
    return found


def _plan(pipeline: Pipeline) -> Plan:
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
        problems += template_problems(sample[0], protocol, prompts, judges)
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
    return filters.rules_for(
        f, protocol, tuple(prompts.source(name) for name in names if name is not None)
    )


def draw(cfg: PipelineConfig, pool: list[Persona]) -> list[Persona]:
    """The run's personas: from the sampler's declared weights, or drawn from the seeds."""
    if not pool:
        return []
    if cfg.sampler is not None:
        return sampler.sample(pool, cfg.sampler, cfg.run.seed, cfg.seeds.allow_minors)
    return sample_personas(pool, cfg.seeds.sample, cfg.run.seed)


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


def training_system(p: Plan, persona: Persona) -> str:
    return p.prompts.render(
        p.protocol.template("training_system"),  # type: ignore[arg-type]
        **roleplay.prompt_context(persona, p.protocol),
    )
