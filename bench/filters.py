"""Recall and false positives of the rule filters on the project's labelled corpora.

    .venv/bin/python bench/filters.py

The first corpus (tests/data/filter_corpus/corpus.jsonl, built by build.py beside it) holds
clean HealMe sessions and sessions with one planted failure mode each, labelled with the
reason the filters must give. The second (tests/data/filters/, built in memory) plants the
shapes issue 18 found missing on outside material into the first one's clean sessions, adds
near-misses that must pass, and holds off_topic's labelled set. Recall of a mode: the share
of its dialogues flagged with that reason. False positives: the share of clean dialogues
flagged with any reason. Every filter runs (off_topic too, which a run enables by naming it),
with the defaults of `filters:` and the HealMe prompts as instruction text, as a run would.
Also measured in the same run: what building lingua's detector costs (time, memory).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from healme_synth.config import FiltersSection
from healme_synth.quality.filters import FILTERS, Rules, check, rules_for
from healme_synth.quality.filters.language import detector
from healme_synth.records import Dialogue, Message, Persona
from healme_synth.roleplay.protocols import load_protocol

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "filter_corpus" / "corpus.jsonl"
SECOND = ROOT / "tests" / "data" / "filters"
# The HealMe templates whose wording the roles saw (system prompts and per-turn guidance), as
# they were when the corpus was built.
INSTRUCTIONS = CORPUS.parent / "instructions.json"
COMMAND = ".venv/bin/python bench/filters.py"


def load_corpus(path: Path = CORPUS) -> list[tuple[str, Dialogue]]:
    """(label, dialogue) per line of the interchange format plus `label`."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        dialogue = Dialogue(
            id=row["id"],
            protocol=row.get("protocol", "healme"),
            persona=Persona.model_validate(row["persona"]),
            run_seed=0,
            messages=[Message.model_validate(m) for m in row["messages"]],
        )
        out.append((row["label"], dialogue))
    return out


def second_corpus() -> list[tuple[str, Dialogue]]:
    """The second corpus (tests/data/filters/corpus.py), built in memory."""
    sys.path.insert(0, str(ROOT))
    from tests.data.filters.corpus import build

    return build()


def healme_rules(section: FiltersSection | None = None) -> Rules:
    """Rules as a HealMe run builds them: three rounds, the `filters:` settings, the prompts."""
    f = section or FiltersSection()  # type: ignore[call-arg]
    templates: dict[str, str] = json.loads(INSTRUCTIONS.read_text(encoding="utf-8"))
    healme = load_protocol(ROOT / "prompts", "healme")
    return rules_for(f, healme, instructions=tuple(templates.values()))


@dataclass
class Score:
    modes: dict[str, tuple[int, int]] = field(default_factory=dict)
    """mode -> (dialogues, flagged with that mode's reason)"""
    clean: int = 0
    clean_flagged: int = 0
    misses: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def recall(self, mode: str) -> float:
        n, hit = self.modes[mode]
        return hit / n

    @property
    def fp_rate(self) -> float:
        return self.clean_flagged / self.clean


def evaluate(corpus: list[tuple[str, Dialogue]], rules: Rules) -> Score:
    names = list(FILTERS)
    score = Score()
    counts: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    started = time.perf_counter()
    results = [(label, d, check(d, names, rules)) for label, d in corpus]
    score.seconds = time.perf_counter() - started
    for label, d, reasons in results:
        if label == "clean":
            score.clean += 1
            if reasons:
                score.clean_flagged += 1
                score.false_positives.append(f"{d.id}: {reasons[0].name}: {reasons[0].detail}")
            continue
        counts[label] += 1
        if any(r.name == label for r in reasons):
            hits[label] += 1
        else:
            got = ", ".join(r.name for r in reasons) or "nothing"
            score.misses.append(f"{d.id}: got {got}")
    score.modes = {mode: (counts[mode], hits[mode]) for mode in names if counts[mode]}
    return score


def report(score: Score, total: int, corpus: str) -> str:
    lines = [
        f"corpus: {corpus} ({total} dialogues)",
        "",
        "| mode | dialogues | flagged | recall |",
        "|---|---:|---:|---:|",
    ]
    for mode, (n, hit) in score.modes.items():
        lines.append(f"| {mode} | {n} | {hit} | {hit / n:.2f} |")
    lines += [
        "",
        "| clean | dialogues | flagged (any reason) | false-positive rate |",
        "|---|---:|---:|---:|",
        f"| clean | {score.clean} | {score.clean_flagged} | {score.fp_rate:.3f} |",
        "",
        f"min recall {min(score.recall(m) for m in score.modes):.2f} (target >= 0.95); "
        f"false positives {score.fp_rate:.1%} (target <= 2%)",
        f"all {len(FILTERS)} filters over {total} dialogues: {score.seconds * 1000:.0f} ms "
        f"({total / score.seconds:.0f} dialogues/s, one process)",
    ]
    if score.misses:
        lines += ["", "missed:"] + [f"  {m}" for m in score.misses]
    if score.false_positives:
        lines += ["", "false positives:"] + [f"  {m}" for m in score.false_positives]
    return "\n".join(lines)


def lingua_cost() -> str:
    """Building the detector and its first answer (its models load lazily), in this process."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    from lingua import Language

    detector().compute_language_confidence("this is only here to load the models", Language.ENGLISH)
    seconds = time.perf_counter() - started
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    return (
        f"lingua (all languages, low-accuracy mode): built and first answer in {seconds:.2f} s, "
        f"peak memory +{grown:.0f} MB"
    )


def main() -> None:
    print(f"$ {COMMAND}")
    print(lingua_cost())
    rules = healme_rules()
    for corpus, where in ((load_corpus(), CORPUS), (second_corpus(), SECOND)):
        print()
        print(report(evaluate(corpus, rules), len(corpus), str(where.relative_to(ROOT))))


if __name__ == "__main__":
    main()
