"""The judge panel: each enabled entry of the pipeline's `judges:` with its rubric loaded and
its items resolved.

Everything a spec gets wrong against its rubric (unknown items, gates the rubric kind cannot
apply, minimums off the scale) is gathered and reported in one ConfigError, so a broken
pipeline file is fixed in one pass instead of one problem per run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from healme_synth.config import JudgeSection
from healme_synth.errors import ConfigError
from healme_synth.quality.judges import affect
from healme_synth.quality.judges.rubric import Rubric, load_rubric


@dataclass(frozen=True)
class Judge:
    """One entry of `judges:`, with its rubric loaded and its items resolved."""

    name: str
    spec: JudgeSection
    rubric: Rubric
    items: tuple[str, ...]

    @property
    def where(self) -> str:
        """Its place in the pipeline file, for messages and reason details."""
        return f"judges.{self.name}"

    @property
    def moments(self) -> tuple[str | None, ...]:
        # A scale rubric asks once (no moment); PANAS asks before and after the dialogue.
        return affect.MOMENTS if self.rubric.kind == "affect" else (None,)


def load_judges(prompts_dir: Path, specs: dict[str, JudgeSection]) -> list[Judge]:
    """The enabled judges, checked against their rubrics; every problem is reported at once."""
    judges: list[Judge] = []
    problems: list[str] = []
    for name, spec in specs.items():
        if not spec.enabled:
            continue
        try:
            rubric = load_rubric(prompts_dir, spec.rubric)
        except ConfigError as e:
            problems.append(str(e).rstrip("."))
            continue
        items = spec.items or rubric.default_items or list(rubric.items)
        problems += _spec_problems(f"judges.{name}", spec, rubric, items)
        judges.append(Judge(name=name, spec=spec, rubric=rubric, items=tuple(items)))
    if problems:
        raise ConfigError("; ".join(problems) + ".")
    return judges


def _spec_problems(where: str, spec: JudgeSection, rubric: Rubric, items: list[str]) -> list[str]:
    """What is wrong with one judge's spec given its rubric; empty when nothing is."""
    problems: list[str] = []
    unknown = [i for i in items if i not in rubric.items]
    if unknown:
        known = ", ".join(rubric.items)
        problems.append(f"{where}.items {unknown} are not {rubric.name} items (known: {known})")
    if rubric.kind == "affect":
        gates = ["items", "min_mean", "min_items"]
        for key in [k for k in gates if getattr(spec, k)]:
            problems.append(
                f"{where}.{key}: a {rubric.name} judge rates every item and gates on "
                "require_negative_drop / require_positive_rise"
            )
        return problems
    if spec.require_negative_drop or spec.require_positive_rise:
        problems.append(
            f"{where}: require_negative_drop / require_positive_rise need an affect rubric "
            f"(panas), not {rubric.name}"
        )
    stray = [i for i in spec.min_items if i not in items]
    if stray:
        problems.append(f"{where}.min_items {stray} are not among the items it scores")
    minimums = [
        ("min_mean", spec.min_mean),
        *[(f"min_items.{k}", v) for k, v in spec.min_items.items()],
    ]
    for key, value in minimums:
        if value is not None and not rubric.low <= value <= rubric.high:
            problems.append(
                f"{where}.{key} is {value}, outside the {rubric.name} scale "
                f"{rubric.low}-{rubric.high}"
            )
    return problems
