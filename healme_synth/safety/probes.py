"""Crisis probes (DOMAIN.md section 7): a fixed share of dialogues in which the client discloses
risk at a sampled turn. Probe types are data (personas/probes/<type>.yaml: taxonomy labels, what
the judge is told, the criteria a safe answer must meet, crisis guidance for the counselor, and
texts that are jinja2 templates over the persona).

The probe text *replaces* the client's generated turn: a small client model does not disclose
reliably, and an exact, known disclosure is what makes the counselor's answer testable. Which
dialogues get a probe is a quota over the run (exact within 1/(2n)), fixed by the run seed;
at-risk seeds always get one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import jinja2
import yaml
from jinja2.sandbox import SandboxedEnvironment
from pydantic import Field, ValidationError, field_validator

from healme_synth import inputs
from healme_synth.config import SafetySection
from healme_synth.errors import ConfigError
from healme_synth.records import Dialogue, Persona, Probe, Record
from healme_synth.roleplay import Protocol
from healme_synth.safety.risk import CRITERIA, RISK_LABELS
from healme_synth.seeds.quota import quota, stream

PROBES_DIR = Path(__file__).resolve().parents[2] / "personas" / "probes"
_ENV = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)


class ProbeText(Record):
    text: str = Field(min_length=1)
    labels: list[str] | None = None
    """Labels of this text when they differ from its type's (e.g. an attempt, not a plan)."""

    @field_validator("labels")
    @classmethod
    def _known(cls, labels: list[str] | None) -> list[str] | None:
        return _known_labels(labels) if labels is not None else None


class ProbeType(Record):
    type: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    labels: list[str] = Field(min_length=1)
    """Risk-taxonomy labels the probe discloses (`none` for delusion, mania, compulsions)."""
    describe: str = Field(min_length=1)
    """What the disclosure is, for the safety judge."""
    required: list[str] = Field(default_factory=lambda: list(CRITERIA))
    """Criteria a safe counselor answer must meet for this type."""
    guidance: str = Field(min_length=1)
    """Crisis guidance for the counselor's next reply (jinja2 over `persona`)."""
    texts: list[str | ProbeText] = Field(min_length=1)
    """What the client says (jinja2 over `persona`): one is picked per dialogue."""

    @field_validator("labels")
    @classmethod
    def _known(cls, labels: list[str]) -> list[str]:
        return _known_labels(labels)

    @field_validator("required")
    @classmethod
    def _criteria(cls, required: list[str]) -> list[str]:
        unknown = [c for c in required if c not in CRITERIA]
        if unknown:
            raise ValueError(f"unknown criteria {unknown} (known: {', '.join(CRITERIA)})")
        return required

    def text(self, i: int) -> ProbeText:
        t = self.texts[i]
        return t if isinstance(t, ProbeText) else ProbeText(text=t)


def _known_labels(labels: list[str]) -> list[str]:
    unknown = [label for label in labels if label not in RISK_LABELS]
    if unknown:
        raise ValueError(f"unknown risk labels {unknown} (known: {', '.join(RISK_LABELS)})")
    return labels


def load_bank(directory: Path = PROBES_DIR) -> dict[str, ProbeType]:
    """Every probe type of a folder (one YAML per type, named after it); all problems at once."""
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise ConfigError(f"{directory}: no probe files (*.yaml) found (see safety.probes_dir).")
    bank: dict[str, ProbeType] = {}
    problems = []
    for path in paths:
        try:
            probe = ProbeType.model_validate(inputs.load_yaml(inputs.read_text(path)))
        except OSError as e:
            problems.append(f"{path}: cannot read ({e.strerror})")
            continue
        except yaml.YAMLError as e:
            problems.append(f"{path}: not valid YAML ({e})")
            continue
        except ValidationError as e:
            problems += [
                f"{path}: field `{'.'.join(str(p) for p in err['loc'])}`: {err['msg']}"
                for err in e.errors()
            ]
            continue
        if probe.type != path.stem:
            problems.append(f"{path}: `type` is {probe.type!r}; it must be the file's name")
            continue
        bank[probe.type] = probe
    if problems:
        raise ConfigError("; ".join(problems) + ".")
    return bank


def render(template: str, persona: Persona) -> str:
    """A probe text or guidance for one persona (sandboxed; an unknown variable is an error)."""
    try:
        return " ".join(_ENV.from_string(template).render(persona=persona.model_dump()).split())
    except jinja2.TemplateError as e:
        raise ConfigError(f"probe template {template[:60]!r}...: {e}.") from None


def check_bank(bank: dict[str, ProbeType], section: SafetySection, persona: Persona) -> list[str]:
    """Weights naming unknown types, and templates that fail for this persona or a bare one."""
    problems = []
    for key in ("probe_types", "at_risk_types"):
        unknown = [t for t in getattr(section, key) if t not in bank]
        if unknown:
            problems.append(
                f"safety.{key} names {unknown}, which are not probe types (known: "
                f"{', '.join(bank)})"
            )
    bare = Persona.model_validate({"id": "check", "thought": "A thought.", "attitude": "neutral"})
    for probe in bank.values():
        for who in (persona, bare):
            for template in [probe.guidance] + [
                probe.text(i).text for i in range(len(probe.texts))
            ]:
                try:
                    render(template, who)
                except ConfigError as e:
                    problems.append(f"probe type {probe.type}: {e}".rstrip("."))
    return problems


def candidate_turns(protocol: Protocol) -> list[int]:
    """Client turns a probe may replace: reached in every session (before anyone may end it)
    and followed by a counselor reply; not the opening turn when there is a later one."""
    last = protocol.min_turns - 2
    turns = [t for t, who in enumerate(protocol.turn_order()) if who == "client" and t <= last]
    return turns[1:] or turns


@dataclass(frozen=True)
class Assignment:
    """The run's probes by sample index (only the probed ones)."""

    probes: dict[int, Probe]
    persona_ids: dict[int, str]

    def attach(self, dialogues: list[Dialogue]) -> None:
        """Give each dialogue its probe; the index is the id's prefix (`<index>-<persona>`)."""
        for d in dialogues:
            head = d.id.split("-", 1)[0]
            i = int(head) if head.isdigit() else -1
            if i in self.probes and self.persona_ids[i] == d.persona.id:
                d.probe = self.probes[i]


def assign(
    sample: list[Persona],
    section: SafetySection,
    bank: dict[str, ProbeType],
    protocol: Protocol,
    seed: int,
) -> Assignment:
    """Which dialogues get which probe at which turn, as a quota fixed by the run seed."""
    turns = candidate_turns(protocol)
    if not section.enabled or not turns:
        return Assignment({}, {})
    n = len(sample)
    wanted = math.floor(section.probe_fraction * n + 0.5)
    forced = [i for i, p in enumerate(sample) if p.at_risk]
    others = [i for i, p in enumerate(sample) if not p.at_risk]
    stream(seed, "probe", "select").shuffle(others)
    chosen = sorted(others[: max(wanted - len(forced), 0)])
    types: dict[int, str] = {}
    for group, weights, tag in (
        (chosen, section.probe_types or dict.fromkeys(bank, 1.0), "type"),
        (forced, section.at_risk_types, "at_risk_type"),
    ):
        drawn = quota(len(group), weights)
        stream(seed, "probe", tag).shuffle(drawn)
        types.update(zip(group, drawn, strict=True))
    probes = {}
    for i, kind in sorted(types.items()):
        probe, persona = bank[kind], sample[i]
        variant = stream(seed, "probe", "text", str(i)).randrange(len(probe.texts))
        text = probe.text(variant)
        probes[i] = Probe(
            type=kind,
            turn=stream(seed, "probe", "turn", str(i)).choice(turns),
            text=render(text.text, persona),
            labels=list(text.labels or probe.labels),
            variant=variant,
            note=render(probe.guidance, persona) if section.guide_counselor else None,
        )
    return Assignment(probes, {i: sample[i].id for i in probes})
