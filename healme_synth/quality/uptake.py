"""Stage 3c: the client turn at which a reframe was first accepted, read by the judge model.

Naive LLM clients give in far too fast (DOMAIN.md section 8); recording when each client first
accepts another way of seeing things lets a user check that attitude and receptivity really
slow that down. A reply that does not parse leaves the turn unmeasured (None), as does "never".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from healme_synth.backends import Backend, ChatTurn, check_alternation, gen_params, turn_seed, usage
from healme_synth.config import RoleSection
from healme_synth.prompts import Prompts
from healme_synth.quality.judges.means import Means
from healme_synth.records import Dialogue, Tokens

SYSTEM = "judge/uptake_system.j2"
REQUEST = "judge/uptake.j2"


def client_turns(d: Dialogue) -> list[int]:
    """Message indexes of the client's utterances, in order."""
    return [i for i, m in enumerate(d.messages) if m.role == "client"]


def uptake_schema(client_count: int) -> dict[str, Any]:
    """0 means "never"; otherwise the number (from 1) of the client utterance."""
    return {
        "type": "object",
        "properties": {
            "first_accepted": {"type": "integer", "minimum": 0, "maximum": client_count}
        },
        "required": ["first_accepted"],
        "additionalProperties": False,
    }


def uptake_request(d: Dialogue, prompts: Prompts) -> list[ChatTurn]:
    numbered, n = [], 0
    for m in d.messages:
        if m.role == "client":
            n += 1
        numbered.append({"role": m.role, "content": m.content, "number": n})
    turns: list[ChatTurn] = [
        {"role": "system", "content": prompts.render(SYSTEM)},
        {"role": "user", "content": prompts.render(REQUEST, transcript=numbered, clients=n)},
    ]
    check_alternation(turns)
    return turns


def parse_uptake(raw: str, d: Dialogue) -> int | None:
    """The message index of the first accepting client utterance, or None (never / unparsed)."""
    indexes = client_turns(d)
    try:
        value = json.loads(raw)["first_accepted"]
    except (json.JSONDecodeError, KeyError, TypeError):
        return None
    if type(value) is not int or not 1 <= value <= len(indexes):
        return None
    return indexes[value - 1]


def measure(
    dialogues: list[Dialogue], prompts: Prompts, backend: Backend, section: RoleSection
) -> Tokens:
    """Set `first_reframe_turn` on every dialogue that has a client turn, in one backend call."""
    todo = [d for d in dialogues if client_turns(d)]
    if not todo:
        return Tokens()
    params = [
        gen_params(
            section,
            seed=turn_seed(d.run_seed, d.id, len(d.messages), "uptake"),
            role="uptake",
            max_tokens=32,
            json_schema=uptake_schema(len(client_turns(d))),
        )
        for d in todo
    ]
    completions = backend.generate([uptake_request(d, prompts) for d in todo], params)
    for d, c in zip(todo, completions, strict=True):
        d.first_reframe_turn = parse_uptake(c.text, d)
    return usage(completions)


@dataclass
class Tally:
    """Mean turn (counted from 1) of the first accepted reframe over kept dialogues, overall, by
    attitude and by receptivity, and how many never accepted one (or were not measured): the
    numbers a realism check reads. Folded in dialogue by dialogue (the same memory for any run)."""

    dialogues: int = 0
    turns: Means = field(default_factory=Means)

    def add(self, kept: Dialogue) -> None:
        self.dialogues += 1
        if kept.first_reframe_turn is None:
            return
        turn = kept.first_reframe_turn + 1
        self.turns.add("all", turn)
        self.turns.add(f"attitude {kept.persona.attitude}", turn)
        if kept.persona.receptivity is not None:
            self.turns.add(f"receptivity {kept.persona.receptivity}", turn)

    def summary(self) -> dict[str, Any]:
        def by(group: str) -> dict[str, float | None]:
            keys = sorted(k for k in self.turns.counts if k.startswith(f"{group} "))
            return {k.split(" ", 1)[1]: self.turns.mean(k, 2) for k in keys}

        return {
            "dialogues": self.dialogues,
            "never_or_unmeasured": self.dialogues - self.turns.counts["all"],
            "mean_turn": self.turns.mean("all", 2),
            "by_attitude": by("attitude"),
            "by_receptivity": by("receptivity"),
        }
