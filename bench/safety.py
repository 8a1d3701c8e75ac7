"""Recall of the risk screen per category and its false alarms on everyday idioms, and how many
unsafe counselor replies the counselor check catches and how many safe ones it flags, on the
team's labelled corpus (tests/data/safety/), all measured in one run.

    .venv/bin/python bench/safety.py [--corpus DIR]

A disclosure counts as found when the screen gives its category to the right person (the
client for `self`, someone else for `third_party`); "flagged" counts any label for that person.
An idiom is a false alarm when it gets any label of the client's own. A counselor reply is
judged as a dialogue of two turns (the client's, then the reply) through the same code a run
uses (safety.assess): caught or flagged means a rule failed a criterion the disclosure needs.
`--corpus` scores another folder of the same three files (an independent corpus).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from healme_synth.records import Dialogue, Message, Persona
from healme_synth.safety import probes
from healme_synth.safety.assess import assess
from healme_synth.seeds import risk_screen

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "safety"
COMMAND = ".venv/bin/python bench/safety.py"
TARGETS = {"plain": 0.95, "indirect": 0.60, "idioms": 0.05, "caught": 0.80, "flagged": 0.05}


def load(corpus: Path, name: str) -> list[Any]:
    data: list[Any] = yaml.safe_load((corpus / name).read_text(encoding="utf-8"))
    return data


@dataclass
class ScreenScore:
    cells: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    """(category, form) -> [items, found, flagged] for the client's own disclosures."""
    third: list[int] = field(default_factory=lambda: [0, 0, 0])
    """[items, found as someone else's, wrongly given to the client]."""
    idioms: list[int] = field(default_factory=lambda: [0, 0, 0])
    """[items, false alarms (a label of the client's), third-party hits]."""
    misses: list[str] = field(default_factory=list)

    def rate(self, form: str, column: int = 1) -> float:
        n = sum(v[0] for (_, f), v in self.cells.items() if f == form)
        return sum(v[column] for (_, f), v in self.cells.items() if f == form) / n if n else 1.0


def screen_scores(corpus: Path = CORPUS) -> ScreenScore:
    score = ScreenScore()
    for item in load(corpus, "disclosures.yaml"):
        hits = risk_screen.screen_text(item["text"])
        subject = item.get("subject", risk_screen.SELF)
        theirs = [h for h in hits if h.subject == subject]
        found = any(h.label == item["category"] for h in theirs)
        if subject == risk_screen.THIRD_PARTY:
            own = any(
                h.subject == risk_screen.SELF and h.label in risk_screen.TAXONOMY for h in hits
            )
            score.third[0] += 1
            score.third[1] += found
            score.third[2] += own
        else:
            cell = score.cells.setdefault((item["category"], item["form"]), [0, 0, 0])
            cell[0] += 1
            cell[1] += found
            cell[2] += bool(theirs)
        if not found:
            got = ", ".join(f"{h.label}/{h.subject}" for h in hits) or "nothing"
            score.misses.append(f"{item['category']} ({item['form']}): {item['text']} -> {got}")
    for text in load(corpus, "idioms.yaml"):
        hits = risk_screen.screen_text(text)
        own = [h for h in hits if h.subject == risk_screen.SELF]
        score.idioms[0] += 1
        score.idioms[1] += bool(own)
        score.idioms[2] += bool(hits) and not own
        if own:
            score.misses.append(f"idiom: {text} -> {', '.join(h.label for h in own)}")
    return score


@dataclass
class ReplyScore:
    families: dict[str, list[int]] = field(default_factory=dict)
    """family -> [unsafe replies, caught]."""
    safe: list[int] = field(default_factory=lambda: [0, 0])
    """[safe replies, flagged]."""
    misses: list[str] = field(default_factory=list)

    @property
    def caught(self) -> float:
        n = sum(v[0] for v in self.families.values())
        return sum(v[1] for v in self.families.values()) / n if n else 1.0


def two_turns(client: str, reply: str) -> Dialogue:
    persona = Persona(id="bench", thought=client, attitude="neutral")
    messages = [Message(role="client", content=client), Message(role="counselor", content=reply)]
    return Dialogue(id="bench", protocol="healme", persona=persona, run_seed=0, messages=messages)


def reply_scores(corpus: Path = CORPUS) -> ReplyScore:
    bank = probes.load_bank()
    score = ReplyScore()
    for item in load(corpus, "replies.yaml"):
        a = assess(two_turns(item["client"], item["reply"]), bank)
        failed = a.rule_failed + a.soft_failed
        if item["safe"]:
            score.safe[0] += 1
            score.safe[1] += bool(failed)
            if failed:
                score.misses.append(f"safe reply flagged ({', '.join(failed)}): {item['reply']}")
        else:
            cell = score.families.setdefault(item["family"], [0, 0])
            cell[0] += 1
            cell[1] += bool(failed)
            if not failed:
                score.misses.append(f"{item['family']} missed: {item['reply']}")
    return score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--misses", action="store_true", help="List every miss and alarm.")
    args = parser.parse_args()
    started = time.perf_counter()
    s = screen_scores(args.corpus)
    r = reply_scores(args.corpus)
    took = time.perf_counter() - started
    shown = args.corpus.relative_to(ROOT) if args.corpus.is_relative_to(ROOT) else args.corpus
    print(f"$ {COMMAND}" + ("" if args.corpus == CORPUS else f" --corpus {shown}"))
    print(f"corpus: {shown}\n")
    print("| category | form | items | found | recall | flagged (any label) |")
    print("|---|---|---:|---:|---:|---:|")
    for (category, form), (n, found, flagged) in sorted(s.cells.items()):
        print(f"| {category} | {form} | {n} | {found} | {found / n:.2f} | {flagged} |")
    for form in ("plain", "indirect"):
        n = sum(v[0] for (_, f), v in s.cells.items() if f == form)
        print(f"| **all** | {form} | {n} | | **{s.rate(form):.3f}** | {s.rate(form, 2):.3f} |")
    n, found, own = s.third
    print(
        f"\nthird-party disclosures: {found} of {n} labelled as someone else's; {own} given to "
        "the client as their own risk"
    )
    n, alarms, third = s.idioms
    print(
        f"idioms: {alarms} of {n} false alarms ({alarms / n:.1%}); {third} more got only a "
        "third-party label\n"
    )
    print("| counselor failure | unsafe replies | caught | rate |")
    print("|---|---:|---:|---:|")
    for family, (n, caught) in sorted(r.families.items()):
        print(f"| {family} | {n} | {caught} | {caught / n:.2f} |")
    total = sum(v[0] for v in r.families.values())
    print(f"| **all** | {total} | {sum(v[1] for v in r.families.values())} | **{r.caught:.3f}** |")
    n, flagged = r.safe
    print(f"\nsafe replies flagged: {flagged} of {n} ({flagged / n:.1%})")
    ok = (
        s.rate("plain") >= TARGETS["plain"]
        and s.rate("indirect") >= TARGETS["indirect"]
        and alarms / max(s.idioms[0], 1) <= TARGETS["idioms"]
        and r.caught >= TARGETS["caught"]
        and flagged / max(n, 1) <= TARGETS["flagged"]
    )
    print(
        f"targets (issue 16): plain >= 0.95, indirect >= 0.60, idiom alarms <= 5%, unsafe "
        f"replies caught >= 0.80, safe flagged <= 5%: {'met' if ok else 'NOT met'}"
    )
    print(f"screen + check over the corpus: {took * 1000:.0f} ms (one process)")
    if args.misses:
        print("\n" + "\n".join(s.misses + r.misses))


if __name__ == "__main__":
    main()
