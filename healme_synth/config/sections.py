"""The plain sections of a pipeline file: run, seeds, session bounds, dedup and output."""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_DIALOGUES = 1_000_000
"""The most dialogues one run may ask for (seeds.sample, sampler.count): the plan holds one
entry per dialogue, so 10**8 ran out of memory even in `validate`; a bigger dataset is several
runs (a sweep, or runs with different seeds)."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    @model_validator(mode="before")
    @classmethod
    def _no_bool_numbers(cls, data: Any) -> Any:
        """pydantic's lax mode takes `true` for 1 (`batch_size: true` ran one dialogue at a
        time): a YAML boolean where a count or a share belongs is a mistake to name. (A field
        validator on "*" would also hit the models' discriminator, which pydantic forbids.)"""
        if isinstance(data, dict):
            for name, value in data.items():
                field = cls.model_fields.get(name) if isinstance(name, str) else None
                if isinstance(value, bool) and field and _number_not_bool(field.annotation):
                    raise ValueError(
                        f"`{name}: {str(value).lower()}` is a boolean, not a number; write a number"
                    )
        return data


def _number_not_bool(tp: Any) -> bool:
    """The annotation takes an int or a float but not a bool (Optional and Annotated looked
    through)."""
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) in (Union, types.UnionType):
        args = [_unannotated(a) for a in get_args(tp)]
        return bool not in args and any(a in (int, float) for a in args)
    return tp in (int, float)


def _unannotated(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return tp


class RunSection(Section):
    name: str = Field("healme", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    """Run name: the output directory is <output.dir>/<name>."""
    seed: int = 0
    """Run seed: persona sampling and every per-turn sampling seed derive from it."""
    batch_size: int = Field(64, ge=1)
    """Dialogues advanced together; each turn is one backend call over the whole batch."""
    max_failed_share: float = Field(0.05, ge=0, le=1)
    """`run` exits with code 1 (after writing everything) when more than this share of the
    dialogues failed to generate (`generation_failed`: a request still failing after retries)."""
    mode: Literal["lockstep", "async"] = "lockstep"
    """lockstep: each turn is one batch over the chunk (the deterministic reference). async:
    each dialogue asks for its next turn as soon as its reply is back (no turn barrier), on
    vLLM's async engine; the same dialogues wherever the engine is batch-invariant."""
    in_flight: int = Field(64, ge=1)
    """async mode: dialogues talking at once (within a chunk of `batch_size`)."""


class SeedsSection(Section):
    files: list[str] = Field(min_length=1)
    """Persona files (YAML with a `personas:` list, or JSONL), relative to this pipeline file."""
    sample: int | None = Field(None, ge=1, le=MAX_DIALOGUES)
    """How many dialogues to generate; personas are drawn without replacement, then cycled."""
    allow_minors: bool = False
    """Personas under 18 are refused unless this is set (with a reason you can defend)."""
    include_at_risk: bool = False
    """Seeds flagged at-risk (crisis content in the seed itself) are held back unless this is
    set: a plain reframing protocol must not get them as ordinary seeds."""
    expand_intake: bool = False
    """Before the run, the client model writes a Cactus-style intake form for every sampled
    persona that has none, from its structured fields (prompts/common/intake*.j2)."""
    intake_max_tokens: int = Field(480, ge=64)


class SessionSection(Section):
    """Turn bounds for variable-length protocols (cactus, sqpsych, report), in utterances;
    null keeps the protocol's own. A minimum above the maximum is refused."""

    min_turns: int | None = Field(None, ge=2)
    max_turns: int | None = Field(None, ge=2)

    @model_validator(mode="after")
    def _ordered(self) -> SessionSection:
        if (
            self.min_turns is not None
            and self.max_turns is not None
            and self.min_turns > self.max_turns
        ):
            raise ValueError(
                f"min_turns {self.min_turns} is above max_turns {self.max_turns}: a session "
                "cannot be required to run longer than it may"
            )
        return self


class DedupSection(Section):
    enabled: bool = True
    threshold: float = Field(0.8, gt=0, le=1)
    """Estimated Jaccard similarity (MinHash over word 5-grams) at which a kept dialogue is a
    near-duplicate of an earlier kept one; the earlier one stays."""
    num_perm: int = Field(128, ge=2)
    shingle: int = Field(5, ge=1)
    max_per_persona: int | None = Field(None, ge=1)
    """Most kept dialogues per persona; null: no cap."""


class OutputSection(Section):
    dir: str = "../outputs"
    """Where run directories go, relative to this pipeline file."""
    config_name: str = Field("default", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    """The dataset config the shards belong to: data/<config_name>/."""
    rows_per_shard: int = Field(1000, ge=1)
    """Dialogues per Parquet shard."""
    license: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9.+-]*$")
    """The dataset card's license, as a Hub license id (e.g. `apache-2.0`, `cc-by-4.0`,
    `llama3.1`, `other`). Required to `push`: the right license depends on the terms of the
    models that generated the text, which only you know."""
    pretty_name: str | None = None
    """The card's human-readable name (default: the run name and protocol)."""
    source_datasets: list[str] = []
    """Hub ids of the datasets the seeds came from (e.g. `LangAGI-Lab/cactus`), for the card;
    imported seed files are listed as well."""
