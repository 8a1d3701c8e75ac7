"""The LLM risk screen: what the rules cannot read (DOMAIN.md section 7). With
`safety.llm_screen` and judge roles in `safety.roles`, every client turn is classified,
batched, with structured output over the screen's labels plus `none` and whose risk it is.
A dialogue's labels are the union of the rules' and the judge's; where they disagree on a
turn, both are recorded. A reply that does not parse adds nothing and says so.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from healme_synth import inputs
from healme_synth.backends import (
    Backend,
    ChatTurn,
    Completion,
    check_alternation,
    gen_params,
    turn_seed,
    usage,
)
from healme_synth.config import RoleSection
from healme_synth.errors import ConfigError
from healme_synth.prompts import Prompts
from healme_synth.records import Dialogue, Disclosure, Record, Tokens
from healme_synth.safety import risk
from healme_synth.seeds import risk_screen

REQUEST = "judge/risk.j2"
RUBRIC = "judge/risk.yaml"
Subject = Literal["self", "third_party"]
ABOUT: dict[str, Subject | None] = {"self": "self", "someone_else": "third_party", "nobody": None}
CONTEXT = 2
"""Messages before the client turn shown with it ("I just lost my job" before a question)."""


class RiskRubric(Record):
    name: str
    system: str
    labels: dict[str, str]


def load_rubric(prompts: Prompts) -> RiskRubric:
    path = prompts.root / RUBRIC
    try:
        rubric = RiskRubric.model_validate(inputs.load_yaml(inputs.read_text(path)))
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the risk screen's rubric ({e.strerror}).") from None
    except (yaml.YAMLError, ValidationError) as e:
        raise ConfigError(f"{path}: not a valid risk screen rubric: {e}") from None
    if list(rubric.labels) != list(risk.SCREEN_LABELS):
        raise ConfigError(
            f"{path}: `labels` must be exactly {', '.join(risk.SCREEN_LABELS)}, in order."
        )
    return rubric


def schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "labels": {
                "type": "array",
                "items": {"type": "string", "enum": list(risk.SCREEN_LABELS)},
                "minItems": 1,
            },
            "about": {"type": "string", "enum": list(ABOUT)},
        },
        "required": ["labels", "about"],
        "additionalProperties": False,
    }


def parse(raw: str) -> tuple[list[str], Subject] | None:
    """(labels in screen order without `none`, whose), or None unless the reply is exactly
    the schema's object. Labels said to be nobody's count as the client's: a screen errs
    towards looking."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or sorted(data) != ["about", "labels"]:
        return None
    labels, about = data["labels"], data["about"]
    if not isinstance(labels, list) or not labels or about not in ABOUT:
        return None
    if not all(isinstance(x, str) and x in risk.SCREEN_LABELS for x in labels):
        return None
    found = [x for x in risk.SCREEN_LABELS if x in labels and x != "none"]
    return found, ABOUT[about] or "self"


def request(d: Dialogue, turn: int, rubric: RiskRubric, prompts: Prompts) -> list[ChatTurn]:
    before = d.messages[max(0, turn - CONTEXT) : turn]
    user = prompts.render(
        REQUEST,
        context=[{"role": m.role, "content": m.content} for m in before],
        text=d.messages[turn].content,
        labels=rubric.labels,
    )
    turns: list[ChatTurn] = [
        {"role": "system", "content": rubric.system},
        {"role": "user", "content": user},
    ]
    check_alternation(turns)
    return turns


@dataclass
class Judged:
    """The LLM screen's disclosures and notes per dialogue id, and what it cost."""

    disclosures: dict[str, list[Disclosure]]
    notes: dict[str, list[str]]
    tokens: Tokens


def classify(
    dialogues: Sequence[Dialogue],
    roles: Sequence[str],
    backends: dict[str, Backend],
    sections: dict[str, RoleSection],
    rubric: RiskRubric,
    prompts: Prompts,
) -> Judged:
    """Every client turn of every dialogue, one batched request per judge role."""
    jobs = [(d, i) for d in dialogues for i, m in enumerate(d.messages) if m.role == "client"]
    found: dict[str, list[Disclosure]] = {d.id: [] for d in dialogues}
    notes: dict[str, list[str]] = {d.id: [] for d in dialogues}
    spent: list[Completion] = []
    for role in roles if jobs else []:
        backend = backends[role]
        params = [
            gen_params(
                sections[role],
                seed=turn_seed(d.run_seed, d.id, i, f"risk:{role}"),
                role="safety",  # the safety judge's own role: same sampling, same scripts
                json_schema=schema(),
            )
            for d, i in jobs
        ]
        out = backend.generate([request(d, i, rubric, prompts) for d, i in jobs], params)
        spent += out
        for (d, i), c in zip(jobs, out, strict=True):
            reply = parse(c.text)
            if reply is None:
                notes[d.id].append(f"turn {i} (client): the risk judge's reply did not parse")
                continue
            labels, subject = reply
            found[d.id] += [
                Disclosure(
                    label=x, turn=i, subject=subject, source="judge", triggers=[backend.label]
                )
                for x in labels
            ]
            rules = sorted(h.label for h in risk_screen.screen_text(d.messages[i].content))
            if sorted(labels) != rules:
                notes[d.id].append(
                    f"turn {i} (client): rules and risk judge disagree: rules "
                    f"[{', '.join(rules) or 'none'}], {backend.label} "
                    f"[{', '.join(labels) or 'none'}]"
                )
    return Judged(found, notes, usage(spent))
