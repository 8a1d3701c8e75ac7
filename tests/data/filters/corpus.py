"""The second labelled filter corpus (issue 18): the first corpus's clean sessions as carriers,
with the shapes the filters missed on outside material planted in them (lines.py), the
near-misses that must pass, and off_topic's labelled set (topic_set.py). Built in memory,
deterministically, so it has no generated file to keep in step.

    from tests.data.filters.corpus import build   # [(label, Dialogue)]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from healme_synth.records import Dialogue, Message, Persona

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from lines import DEFECTS, NEAR_MISSES, TOPIC_REPEATS, Line  # noqa: E402
from topic_set import DRIFT_CLIENT, DRIFT_COUNSELOR, WHOLE  # noqa: E402

FIRST_CORPUS = HERE.parent / "filter_corpus" / "corpus.jsonl"


def carriers() -> list[Dialogue]:
    """The first corpus's clean three-round sessions."""
    out = []
    for line in FIRST_CORPUS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["label"] == "clean":
            out.append(
                Dialogue(
                    id=row["id"],
                    protocol="healme",
                    persona=Persona.model_validate(row["persona"]),
                    run_seed=0,
                    messages=[Message.model_validate(m) for m in row["messages"]],
                )
            )
    return out


def plant(d: Dialogue, line: Line, k: int, new_id: str) -> Dialogue:
    """`line` in the k-th turn of its role (k cycles over the role's turns)."""
    role, where, text = line
    turns = [i for i, m in enumerate(d.messages) if m.role == role]
    i = turns[k % len(turns)]
    old = d.messages[i].content
    content = {"end": f"{old} {text}", "start": f"{text} {old}", "replace": text}[where]
    content = content.replace(" \n", "\n").replace("\n ", "\n")
    messages = list(d.messages)
    messages[i] = messages[i].model_copy(update={"content": content})
    return d.model_copy(update={"id": new_id, "messages": messages})


def _replaced(d: Dialogue, texts: dict[int, str], new_id: str) -> Dialogue:
    messages = [
        m.model_copy(update={"content": texts[i]}) if i in texts else m
        for i, m in enumerate(d.messages)
    ]
    return d.model_copy(update={"id": new_id, "messages": messages})


def topic_set(base: list[Dialogue]) -> list[tuple[str, Dialogue]]:
    """off_topic's labelled set: hand-written dialogues; sessions given another persona's seed
    (a dialogue that does not match its own thought); sessions whose client drifts to another
    story after stating the thought; sessions whose counselor never takes the seed up. The
    clean carriers are its on-topic side."""
    out: list[tuple[str, Dialogue]] = []
    for n, (label, fields, turns) in enumerate(WHOLE):
        persona = Persona.model_validate({"id": f"topic-{n}", "attitude": "neutral", **fields})
        messages = [
            Message(role="client" if i % 2 == 0 else "counselor", content=t)
            for i, t in enumerate(turns)
        ]
        d = Dialogue(id=f"topic-whole-{n}", protocol="healme", persona=persona, run_seed=0,
                     messages=messages)  # fmt: skip
        out.append((label, d))
    # Another persona's seed: far enough along the list to be another persona's.
    for n in range(12):
        d, other = base[n * 10 % len(base)], base[(n * 10 + 37) % len(base)]
        swapped = d.model_copy(update={"id": f"topic-swap-{n}", "persona": other.persona})
        out.append(("off_topic", swapped))
    for n in range(10):
        d = base[(n * 11 + 3) % len(base)]
        drift = {2: DRIFT_CLIENT[n], 4: DRIFT_CLIENT[(n + 3) % len(DRIFT_CLIENT)]}
        out.append(("off_topic", _replaced(d, drift, f"topic-drift-{n}")))
    for n in range(8):
        d = base[(n * 13 + 5) % len(base)]
        pool = DRIFT_COUNSELOR
        ignore = {i: pool[(n + j) % len(pool)] for j, i in enumerate((1, 3, 5))}
        out.append(("off_topic", _replaced(d, ignore, f"topic-ignore-{n}")))
    return out


def build() -> list[tuple[str, Dialogue]]:
    base = carriers()
    out: list[tuple[str, Dialogue]] = [("clean", d) for d in base]
    for reason, lines in DEFECTS.items():
        for k, line in enumerate(lines):
            d = base[(k * 7 + len(reason)) % len(base)]
            out.append((reason, plant(d, line, k, f"{reason}-{k}")))
    for k, line in enumerate(NEAR_MISSES):
        d = base[(k * 5 + 2) % len(base)]
        out.append(("clean", plant(d, line, k, f"near-miss-{k}")))
    for k, (thought, text) in enumerate(TOPIC_REPEATS):
        d = base[(k * 17 + 1) % len(base)]
        d = d.model_copy(update={"persona": d.persona.model_copy(update={"thought": thought})})
        out.append(("clean", _replaced(plant(d, ("client", "replace", text), 0, ""), {},
                                       f"topic-phrase-{k}")))  # fmt: skip
    out += topic_set(base)
    return out
