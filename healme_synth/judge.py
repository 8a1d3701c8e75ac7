"""Stage 3b: an LLM judge with structured outputs, validated into a Verdict.

A reply that does not parse is a *missing* verdict (parsed=False, no scores), never a row of 0s:
scoring parse failures as 0 silently drags means down and hides a broken judge.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from healme_synth.backends import Backend, GenParams
from healme_synth.config import JudgeSection, RoleSection
from healme_synth.errors import ConfigError
from healme_synth.prompts import Prompts
from healme_synth.records import Dialogue, JudgeSummary, Reason, Tokens, Verdict
from healme_synth.roleplay import check_alternation, turn_seed


class RubricItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    anchors: dict[int, str]


class Rubric(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    system: str
    items: dict[str, RubricItem]
    low: int = 0
    high: int = 6


def load_rubric(prompts_dir: Path, name: str = "ctrs") -> Rubric:
    path = prompts_dir / "judge" / f"{name}.yaml"
    try:
        return Rubric.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the judge rubric ({e.strerror}).") from None
    except (yaml.YAMLError, ValidationError) as e:
        raise ConfigError(f"{path}: not a valid rubric: {e}") from None


def verdict_model(rubric: Rubric, items: list[str]) -> type[BaseModel]:
    """The pydantic model a reply must validate against; its JSON schema constrains decoding."""
    fields: dict[str, Any] = {item: (int, Field(ge=rubric.low, le=rubric.high)) for item in items}
    return create_model(
        f"{rubric.name.capitalize()}Scores",
        __config__=ConfigDict(extra="forbid", strict=True),  # "5" or true is not a score
        **fields,
    )


def verdict_schema(rubric: Rubric, items: list[str]) -> dict[str, Any]:
    return verdict_model(rubric, items).model_json_schema()


def parse_verdict(raw: str, rubric: Rubric, items: list[str], model: str) -> Verdict:
    try:
        scores = verdict_model(rubric, items).model_validate(json.loads(raw)).model_dump()
    except (json.JSONDecodeError, ValidationError):
        return Verdict(
            rubric=rubric.name,
            model=model,
            scores={},
            mean=None,
            parsed=False,
            raw=raw,
        )
    return Verdict(
        rubric=rubric.name,
        model=model,
        scores=scores,
        mean=round(statistics.fmean(scores.values()), 4),
        parsed=True,
        raw=raw,
    )


def judge_request(d: Dialogue, rubric: Rubric, items: list[str], prompts: Prompts) -> list[Any]:
    missing = [i for i in items if i not in rubric.items]
    if missing:
        raise ConfigError(f"judge.items {missing} are not items of the {rubric.name} rubric.")
    user = prompts.render(
        f"judge/{rubric.name}.j2",
        transcript=[m.model_dump(include={"role", "content"}) for m in d.messages],
        items=[{"key": k, **rubric.items[k].model_dump()} for k in items],
    )
    turns = [{"role": "system", "content": rubric.system}, {"role": "user", "content": user}]
    check_alternation(turns)  # type: ignore[arg-type]
    return turns


def judge(
    dialogues: list[Dialogue],
    backend: Backend,
    section: RoleSection,
    config: JudgeSection,
    rubric: Rubric,
    prompts: Prompts,
) -> Tokens:
    """Give every dialogue a verdict, in one backend call; returns the tokens it cost."""
    tokens = Tokens()
    if not dialogues:
        return tokens
    schema = verdict_schema(rubric, list(config.items))
    batch = [judge_request(d, rubric, list(config.items), prompts) for d in dialogues]
    params = [
        GenParams(
            temperature=section.temperature,
            top_p=section.top_p,
            max_tokens=section.max_tokens,
            seed=turn_seed(d.run_seed, d.id, len(d.messages), "judge"),
            repetition_penalty=section.repetition_penalty,
            role="judge",
            json_schema=schema,
        )
        for d in dialogues
    ]
    for d, c in zip(dialogues, backend.generate(batch, params), strict=True):
        d.verdict = parse_verdict(c.text, rubric, list(config.items), backend.label)
        tokens.prompt += c.prompt_tokens
        tokens.completion += c.completion_tokens
        tokens.cached += c.cached_tokens
    return tokens


def gate(d: Dialogue, config: JudgeSection) -> Reason | None:
    """The score gate: a missing verdict is its own reason, never a low score."""
    if d.verdict is None:
        return None
    if not d.verdict.parsed:
        if config.on_missing == "reject":
            return Reason(name="judge_missing", detail="the judge reply did not parse")
        return None
    mean = d.verdict.mean
    if config.min_mean is not None and mean is not None and mean < config.min_mean:
        return Reason(
            name="judge_below_min",
            detail=f"mean {mean:.2f} is below judge.min_mean {config.min_mean}",
        )
    return None


def summarize(verdicts: list[Verdict], rubric: str, model: str, items: list[str]) -> JudgeSummary:
    """Per-item means over parsed verdicts only; missing ones are counted, not averaged in."""
    parsed = [v for v in verdicts if v.parsed]
    item_means: dict[str, float | None] = {}
    for item in items:
        values = [v.scores[item] for v in parsed if v.scores.get(item) is not None]
        item_means[item] = round(statistics.fmean(values), 4) if values else None  # type: ignore[arg-type]
    means = [v.mean for v in parsed if v.mean is not None]
    return JudgeSummary(
        rubric=rubric,
        model=model,
        judged=len(verdicts),
        missing=len(verdicts) - len(parsed),
        item_means=item_means,
        mean=round(statistics.fmean(means), 4) if means else None,
    )
