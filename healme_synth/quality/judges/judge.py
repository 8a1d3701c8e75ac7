"""Stage 3b: LLM judges with structured outputs, pooled into one Verdict per judge and dialogue.

A judge is a rubric (prompts/judge/<rubric>.yaml + .j2), its items, the judge roles that answer
and how many seeded samples each gives. Per item the verdict holds the mean over the parsed
samples and their spread (max - min: "the judges were 3 points apart" reads plainly on integer
scales). A reply that does not parse is a *missing* sample, never a row of 0s: scoring parse
failures as 0 silently drags means down and hides a broken judge. No parsed sample at all is a
missing verdict. PANAS (affect before/after) lives in affect.py.
"""

from __future__ import annotations

import functools
import json
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from healme_synth.backends import (
    Backend,
    ChatTurn,
    Completion,
    check_alternation,
    failure,
    gen_params,
    turn_seed,
    usage,
)
from healme_synth.config import JudgeSection, RoleSection
from healme_synth.errors import ConfigError
from healme_synth.prompts import Prompts
from healme_synth.quality.judges import affect
from healme_synth.quality.judges.means import Means
from healme_synth.records import (
    Dialogue,
    ItemSummary,
    JudgeSummary,
    Reason,
    Sample,
    Tokens,
    Verdict,
)


class RubricItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    anchors: dict[int, str] = Field(default_factory=dict)
    polarity: Literal["positive", "negative"] | None = None
    """Affect items: the mean (positive or negative affect) the item counts toward."""


class Rubric(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    kind: Literal["scale", "affect"] = "scale"
    """scale: one request over the transcript. affect (PANAS): one request from the intake
    alone (before) and one from the intake plus the transcript (after)."""
    system: str
    items: dict[str, RubricItem]
    default_items: list[str] | None = None
    """What a judge scores when its `items` is null; null here: every item."""
    low: int = 0
    high: int = 6
    anchors: dict[int, str] = Field(default_factory=dict)
    """Anchors shared by every item (PANAS's 1-5 scale)."""

    @model_validator(mode="after")
    def _consistent(self) -> Rubric:
        if self.low >= self.high:
            raise ValueError(f"low {self.low} is not below high {self.high}")
        unknown = [i for i in self.default_items or [] if i not in self.items]
        if unknown:
            raise ValueError(f"default_items {unknown} are not items of the rubric")
        if self.kind == "affect":
            poles = {item.polarity for item in self.items.values()}
            if poles != {"positive", "negative"}:
                raise ValueError("an affect rubric needs every item's polarity, both kinds used")
        return self


def load_rubric(prompts_dir: Path, name: str = "ctrs") -> Rubric:
    path = prompts_dir / "judge" / f"{name}.yaml"
    try:
        rubric = Rubric.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the judge rubric ({e.strerror}).") from None
    except (yaml.YAMLError, ValidationError) as e:
        raise ConfigError(f"{path}: not a valid rubric: {e}") from None
    if rubric.name != name:
        raise ConfigError(f"{path}: `name` is {rubric.name!r}; it must be the file's name.")
    return rubric


def verdict_model(rubric: Rubric, items: Sequence[str]) -> type[BaseModel]:
    """The pydantic model a reply must validate against; its JSON schema constrains decoding."""
    return _scores_model(rubric.name, rubric.low, rubric.high, tuple(items))


@functools.cache
def _scores_model(name: str, low: int, high: int, items: tuple[str, ...]) -> type[BaseModel]:
    fields: dict[str, Any] = {item: (int, Field(ge=low, le=high)) for item in items}
    return create_model(
        f"{name.capitalize()}Scores",
        __config__=ConfigDict(extra="forbid", strict=True),  # "5" or true is not a score
        **fields,
    )


def verdict_schema(rubric: Rubric, items: Sequence[str]) -> dict[str, Any]:
    return verdict_model(rubric, items).model_json_schema()


def parse_scores(raw: str, rubric: Rubric, items: Sequence[str]) -> dict[str, int] | None:
    """The item scores of one reply, or None when it does not parse (never 0s)."""
    try:
        scores: dict[str, int] = (
            verdict_model(rubric, items).model_validate(json.loads(raw)).model_dump()
        )
    except (json.JSONDecodeError, ValidationError):
        return None
    return scores


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
        return affect.MOMENTS if self.rubric.kind == "affect" else (None,)


def load_judges(prompts_dir: Path, specs: dict[str, JudgeSection]) -> list[Judge]:
    """The enabled judges, checked against their rubrics; every problem is reported at once."""
    judges, problems = [], []
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
    problems = []
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


def transcript(d: Dialogue) -> list[dict[str, Any]]:
    return [m.model_dump(include={"role", "content"}) for m in d.messages]


def judge_request(
    d: Dialogue, j: Judge, prompts: Prompts, moment: str | None = None
) -> list[ChatTurn]:
    """The judge's request: system = the rubric's, user = its template. An affect judge's
    `before` request holds the intake only, never the dialogue."""
    rubric = j.rubric
    context: dict[str, Any] = {
        "items": [{"key": k, **rubric.items[k].model_dump()} for k in j.items],
        "low": rubric.low,
        "high": rubric.high,
        "anchors": rubric.anchors,
    }
    if rubric.kind == "affect":
        context.update(affect.context(d, moment, transcript(d)))
    else:
        context["transcript"] = transcript(d)
    user = prompts.render(f"judge/{rubric.name}.j2", **context)
    turns: list[ChatTurn] = [
        {"role": "system", "content": rubric.system},
        {"role": "user", "content": user},
    ]
    check_alternation(turns)
    return turns


def sample_seed(d: Dialogue, j: Judge, role: str, index: int, moment: str | None) -> int:
    """A seed per dialogue, judge, role, sample index (and PANAS moment); never per batch."""
    tag = f"judge:{j.name}:{role}:{index}" + (f":{moment}" if moment else "")
    return turn_seed(d.run_seed, d.id, len(d.messages), tag)


def make_sample(j: Judge, role: str, model: str, index: int, raws: list[str]) -> Sample:
    """One sample from its reply (affect: its before and after replies); any unparsed reply
    makes the whole sample missing."""
    replies = [r for r in (parse_scores(raw, j.rubric, j.items) for raw in raws) if r is not None]
    ok = len(replies) == len(raws)
    scores: dict[str, float] = {}
    if ok and j.rubric.kind == "affect":
        polarity = {k: str(j.rubric.items[k].polarity) for k in j.items}
        scores = affect.derive(polarity, replies[0], replies[1])
    elif ok:
        scores = {k: float(v) for k, v in replies[0].items()}
    return Sample(role=role, model=model, index=index, parsed=ok, scores=scores, raw=raws)


def combine(j: Judge, samples: list[Sample]) -> Verdict:
    """Pool the samples: per item the mean and the spread (max - min) over the parsed ones."""
    ok = [s for s in samples if s.parsed]
    keys = list(ok[0].scores) if ok else []
    scores = {k: _round(statistics.fmean(s.scores[k] for s in ok)) for k in keys}
    spreads = {k: _round(max(s.scores[k] for s in ok) - min(s.scores[k] for s in ok)) for k in keys}
    scale = bool(ok) and j.rubric.kind == "scale"
    return Verdict(
        judge=j.name,
        rubric=j.rubric.name,
        scores=scores,
        spreads=spreads,
        mean=_round(statistics.fmean(v for s in ok for v in s.scores.values())) if scale else None,
        spread=max(spreads.values()) if spreads else None,
        parsed=len(ok),
        missing=len(samples) - len(ok),
        samples=samples,
    )


def judge(
    dialogues: list[Dialogue],
    judges: list[Judge],
    backends: dict[str, Backend],
    roles: dict[str, RoleSection],
    prompts: Prompts,
) -> Tokens:
    """Give every dialogue one verdict per judge (replacing an older one of the same judge):
    one backend call per judge role with every dialogue, sample and moment; returns tokens.
    A verdict missing because its requests failed (after retries) also rejects the dialogue
    as `generation_failed`, so a judge server that is down is counted as failures."""
    if not dialogues:
        return Tokens()
    spent: list[Completion] = []
    for j in judges:
        requests = [[judge_request(d, j, prompts, m) for m in j.moments] for d in dialogues]
        schema = verdict_schema(j.rubric, j.items)
        pooled: list[list[Sample]] = [[] for _ in dialogues]
        errors: list[list[str]] = [[] for _ in dialogues]
        for role in j.spec.roles:
            section, backend = roles[role], backends[role]
            asks = [
                (i, n, m)
                for i in range(len(dialogues))
                for n in range(j.spec.samples)
                for m in range(len(j.moments))
            ]
            params = [
                gen_params(
                    section,
                    seed=sample_seed(dialogues[i], j, role, n, j.moments[m]),
                    role=role,
                    json_schema=schema,
                )
                for i, n, m in asks
            ]
            completions = backend.generate([requests[i][m] for i, _, m in asks], params)
            spent += completions
            per = len(j.moments)
            for k in range(0, len(asks), per):
                i, n, _ = asks[k]
                replies = completions[k : k + per]
                raws = [c.text for c in replies]  # a failed request is a missing sample
                errors[i] += [f.detail for c in replies if (f := failure(c, j.where))]
                pooled[i].append(make_sample(j, role, backend.label, n, raws))
        for d, samples, failed in zip(dialogues, pooled, errors, strict=True):
            verdict = combine(j, samples)
            d.verdicts = [v for v in d.verdicts if v.judge != j.name] + [verdict]
            if failed and not verdict.parsed:  # missing because the requests failed, not the model
                d.reasons.append(Reason(name="generation_failed", detail=failed[0]))
    return usage(spent)


def gate(d: Dialogue, judges: list[Judge]) -> list[Reason]:
    """Every score gate each judge's verdict fails, as reasons; unjudged dialogues pass."""
    verdicts = {v.judge: v for v in d.verdicts}
    return [r for j in judges if j.name in verdicts for r in gate_verdict(verdicts[j.name], j)]


def gate_verdict(v: Verdict, j: Judge) -> list[Reason]:
    """A missing verdict is its own reason (never a low score) and the only one it gets."""
    spec, where = j.spec, j.where
    if not v.parsed:
        if spec.on_missing == "keep":
            return []
        detail = f"no reply of {where} parsed (0 of {v.missing})"
        return [Reason(name="judge_missing", detail=detail)]
    reasons = []
    if spec.min_mean is not None and v.mean is not None and v.mean < spec.min_mean:
        detail = f"mean {v.mean:.2f} is below {where}.min_mean {spec.min_mean}"
        reasons.append(Reason(name="judge_below_min", detail=detail))
    low = [
        f"{item} {v.scores[item]:.2f} is below {where}.min_items.{item} {minimum}"
        for item, minimum in spec.min_items.items()
        if v.scores[item] < minimum
    ]
    if low:
        reasons.append(Reason(name="judge_item_below_min", detail="; ".join(low)))
    if spec.max_spread is not None and v.spread is not None and v.spread > spec.max_spread:
        worst = next(k for k, s in v.spreads.items() if s == v.spread)
        detail = (
            f"samples differ by {v.spread:.2f} on {worst}, above {where}.max_spread "
            f"{spec.max_spread}"
        )
        reasons.append(Reason(name="judge_disagreement", detail=detail))
    if j.rubric.kind == "affect":
        reasons += affect.gate(v, spec, where)
    return reasons


@dataclass
class Tally:
    """One judge's run summary, folded in verdict by verdict (the same memory for any run)."""

    judge: Judge
    judged: int = 0
    missing: int = 0
    replies: int = 0
    replies_missing: int = 0
    means: Means = field(default_factory=Means)
    """Over parsed verdicts only: missing verdicts are counted, not averaged in."""

    def add(self, v: Verdict) -> None:
        if v.judge != self.judge.name:
            return
        self.judged += 1
        self.replies += v.parsed + v.missing
        self.replies_missing += v.missing
        if not v.parsed:
            self.missing += 1
            return
        self.means.add("mean", v.mean)
        self.means.add("spread", v.spread)
        for k in self.keys():
            self.means.add(f"score {k}", v.scores.get(k))
            self.means.add(f"spread {k}", v.spreads.get(k))
        if self.judge.rubric.kind == "affect":
            affect.add(self.means, v)

    def keys(self) -> tuple[str, ...]:
        return affect.KEYS if self.judge.rubric.kind == "affect" else self.judge.items

    def summary(self, models: dict[str, str]) -> JudgeSummary:
        j, m = self.judge, self.means
        return JudgeSummary(
            judge=j.name,
            rubric=j.rubric.name,
            models={role: models[role] for role in j.spec.roles if role in models},
            samples=j.spec.samples,
            judged=self.judged,
            missing=self.missing,
            replies=self.replies,
            replies_missing=self.replies_missing,
            mean=m.mean("mean"),
            spread=m.mean("spread"),
            items={
                k: ItemSummary(mean=m.mean(f"score {k}"), spread=m.mean(f"spread {k}"))
                for k in self.keys()
            },
            affect=affect.summary(m) if j.rubric.kind == "affect" else None,
        )


def summarize(j: Judge, verdicts: list[Verdict], models: dict[str, str]) -> JudgeSummary:
    """Means over the dialogues with a verdict; missing verdicts are counted, not averaged in."""
    tally = Tally(j)
    for v in verdicts:
        tally.add(v)
    return tally.summary(models)


def _round(x: float) -> float:
    return round(x, 4)
