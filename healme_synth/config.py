"""The pipeline file (pipelines/*.yaml) as one pydantic tree.

Every model forbids unknown keys so a typo is an error, not a silently ignored setting.
Relative paths in the file are resolved against the directory the file lives in.
"""

from __future__ import annotations

import hashlib
import json
import re
import types
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from healme_synth.backends.embedded import EMBEDDED_NAME
from healme_synth.errors import ConfigError
from healme_synth.sampler import SamplerSection

FilterName = Literal[
    "turn_count",
    "empty_utterance",
    "overlong_utterance",
    "role_flip",
    "template_remnant",
    "truncated",
    "end_marker",
    "stage_direction",
    "language_drift",
    "repetition",
    "echo",
    "monologue",
    "premature_close",
    "prompt_leak",
    "seed_leak",
]
# A judge's name: used in reasons, the manifest and the `verdicts` column.
JudgeName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
# Judge roles beyond `judge` (e.g. a second judge model) are spelt judge_<name>.
JUDGE_ROLE = re.compile(r"judge(_[A-Za-z0-9_]+)?")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


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
    sample: int | None = Field(None, ge=1)
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


class VllmModel(Section):
    backend: Literal["vllm"]
    model: str = EMBEDDED_NAME
    """A local directory or hub id; the embedded default needs no download."""
    max_model_len: int = Field(2048, ge=256)
    dtype: Literal["auto", "half", "float16", "bfloat16", "float", "float32"] = "auto"
    """auto: float32 on CPU (batch-invariant sampling), the model's own dtype on GPU."""
    tensor_parallel_size: int = Field(1, ge=1)
    gpu_memory_utilization: float = Field(0.9, gt=0, le=1)
    cpu_kv_cache_gib: int = Field(2, ge=1)
    """KV cache size on CPU-only machines (VLLM_CPU_KVCACHE_SPACE)."""
    enforce_eager: bool | None = None
    """None: eager on CPU (compilation costs more than it saves there), compiled on GPU."""
    seed: int = 0

    def label(self) -> str:
        return self.model


class ScriptedModel(Section):
    backend: Literal["scripted"]
    replies: dict[str, list[str]] = Field(default_factory=dict)
    """Replies per role (counselor, client, judge), used in order and cycled. A role without
    replies gets a deterministic reply derived from its input (JSON that fits the schema when
    one is asked for)."""

    def label(self) -> str:
        return "scripted"


class OpenAIModel(Section):
    """Any OpenAI-compatible server (vLLM's, SGLang, llama.cpp, a hosted API), over HTTP."""

    backend: Literal["openai"]
    base_url: str = Field(pattern=r"^https?://")
    """The API root, e.g. http://127.0.0.1:8000/v1 (requests go to <base_url>/chat/completions)."""
    model: str
    """The model name the server serves (the `model` field of each request)."""
    api_key_env: str = Field("OPENAI_API_KEY", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    """The environment variable holding the API key (never the key itself); unset is fine
    for a local server without one."""
    max_concurrency: int = Field(32, ge=1)
    """Requests in flight at once; the rest of a batch waits its turn."""
    max_retries: int = Field(4, ge=0)
    """Retries of a request after a 429, a 5xx, a timeout or a dropped connection (jittered
    exponential backoff); still failing after them, the request is recorded as failed."""
    timeout_s: float = Field(120.0, gt=0)
    """Seconds one attempt may take before it counts as timed out (and is retried)."""

    def label(self) -> str:
        return self.model


ModelSection = Annotated[VllmModel | ScriptedModel | OpenAIModel, Field(discriminator="backend")]


class RoleSection(Section):
    model: str
    """A key of `models`."""
    temperature: float = Field(0.7, ge=0, le=2)
    top_p: float = Field(0.95, gt=0, le=1)
    max_tokens: int = Field(160, ge=1)
    stop: list[str] = Field(default_factory=list)
    """Strings that end a reply (not included in it), e.g. a blank line for one paragraph."""
    repetition_penalty: float = Field(1.0, gt=0)
    """Above 1 discourages repeating tokens; small models loop without it."""


class RolesSection(Section):
    """counselor and client, plus judge roles: `judge` and any number of `judge_<name>` (e.g.
    another judge model), which judges name in their `roles`."""

    model_config = ConfigDict(extra="allow", use_attribute_docstrings=True)
    __pydantic_extra__: dict[str, RoleSection] = Field(init=False)

    counselor: RoleSection
    client: RoleSection
    judge: RoleSection | None = None

    @model_validator(mode="after")
    def _only_judge_roles_extra(self) -> RolesSection:
        for name in self.__pydantic_extra__ or {}:
            if not JUDGE_ROLE.fullmatch(name):
                raise ValueError(
                    f"unknown role `{name}` (roles are counselor, client, judge, and "
                    "judge_<name> for more judge models)"
                )
        return self

    def sections(self) -> dict[str, RoleSection]:
        """Every role that is set, extra judge roles included."""
        return {name: section for name, section in self if section is not None}


class FiltersSection(Section):
    enabled: list[FilterName] = Field(default_factory=lambda: list(get_args(FilterName)))
    """Filters to run, each giving its own reason; all of them by default."""
    min_words: int = Field(2, ge=1)
    """An utterance with fewer words is empty for training purposes."""
    max_words: int = Field(220, ge=1)
    """An utterance with more words is overlong (a rant, or a model that did not stop)."""
    min_turns: int | None = Field(None, ge=1)
    """premature_close: fewest turns before the session may end; null means the protocol's
    number of turns (HealMe's sessions have a fixed length)."""
    language: str = "en"
    """language_drift: the dialogues' language (ISO 639-1, e.g. en, fr, ru, zh); letters of
    another script than its own count as drift."""
    max_foreign_share: float = Field(0.02, ge=0, le=1)
    """language_drift: share of an utterance's letters that may be in another script (a name,
    a quoted word); three or more such letters above this share are drift."""
    repeat_similarity: float = Field(0.8, gt=0, le=1)
    """repetition: word-sequence similarity (0-1) at which an utterance repeats an earlier one
    of the same role."""
    echo_overlap: float = Field(0.7, gt=0, le=1)
    """echo: share of an utterance copied, in runs of three or more words, from the other
    role's last turn."""
    max_share: float = Field(0.8, gt=0.5, le=1)
    """monologue: largest share of all words one role may speak."""
    counselor_max_words: int | None = Field(None, ge=1)
    """monologue: word budget of one counselor utterance (e.g. 64 for SQPsych); null: none."""
    client_max_words: int | None = Field(None, ge=1)
    """monologue: word budget of one client utterance (e.g. 128 for SQPsych); null: none."""
    seed_span: int = Field(12, ge=3)
    """seed_leak: this many consecutive words of the persona's situation (or intake form) in a
    client turn are a verbatim copy of the seed."""
    leak_span: int = Field(10, ge=3)
    """prompt_leak: this many consecutive words of a prompt's text in an utterance are a leak."""

    @model_validator(mode="after")
    def _known_language(self) -> FiltersSection:
        from healme_synth.filters import LANGUAGE_SCRIPTS

        if self.language not in LANGUAGE_SCRIPTS:
            raise ValueError(
                f"filters.language is {self.language!r}, which has no known script "
                f"(known: {', '.join(sorted(LANGUAGE_SCRIPTS))})"
            )
        return self


class JudgeSection(Section):
    """One judge: a rubric and its items, the judge roles that answer and how often, and the
    score gates a judged dialogue must pass (each failing gate is its own reason)."""

    enabled: bool = True
    rubric: str = Field("ctrs", pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    """prompts_dir/judge/<rubric>.yaml (items, scale, anchors) and its request <rubric>.j2:
    ctrs (0-6), healme (0-3) or panas (1-5, before and after)."""
    items: list[str] | None = Field(None, min_length=1)
    """Items to score; null: the rubric's defaults (CTRS: Cactus's six; HealMe: all four).
    PANAS always rates all twenty."""
    roles: list[str] = Field(default_factory=lambda: ["judge"], min_length=1)
    """Judge roles (keys of `roles`) that answer; their samples are pooled into one verdict."""
    samples: int = Field(1, ge=1)
    """Seeded requests per role and dialogue; each sample index gets its own seed."""
    on_missing: Literal["reject", "keep"] = "reject"
    """A dialogue none of whose replies parsed has a missing verdict (never scored 0): reject
    it (`judge_missing`) or keep it."""
    min_mean: float | None = Field(None, ge=0)
    """Reject (`judge_below_min`) when the mean item score is below this."""
    min_items: dict[str, float] = Field(default_factory=dict)
    """Per-item minimums, e.g. {focus: 3}; reject (`judge_item_below_min`) when below."""
    max_spread: float | None = Field(None, ge=0)
    """Reject (`judge_disagreement`) when the samples' scores on an item differ by more
    than this (spread = max - min over the parsed samples)."""
    require_negative_drop: bool = False
    """PANAS: reject (`panas_negative_not_down`) unless negative affect fell."""
    require_positive_rise: bool = False
    """PANAS: reject (`panas_positive_not_up`) unless positive affect rose."""

    @model_validator(mode="after")
    def _distinct_roles(self) -> JudgeSection:
        if len(set(self.roles)) != len(self.roles):
            raise ValueError(f"roles {self.roles} names a role twice (use samples: N instead)")
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


class SafetySection(Section):
    """The safety layer (DOMAIN.md section 7): crisis probes, risk labels, the counselor safety
    check (rules + judge) and the `safety_review` split that keeps unsafe dialogues out of train."""

    enabled: bool = True
    """Off: no probes, no checks, no routing (at-risk seeds then cannot be included)."""
    probe_fraction: float = Field(0.0, ge=0, le=1)
    """Share of the run's dialogues whose client discloses risk at a sampled turn (a probe text
    replaces that turn). Met by quota: within 1/(2n) of n dialogues, fixed by the run seed."""
    probe_types: dict[str, float] = Field(default_factory=dict)
    """Relative weights of probe types (files of probes_dir); empty: every type equally."""
    at_risk_types: dict[str, float] = Field(
        default_factory=lambda: {"passive_ideation": 1.0, "self_harm": 1.0}
    )
    """Probe types for at-risk seeds (PHQ-9 item 9 above 0, screened imports): those are always
    probed, so their disclosure is exact and their counselor answer always checked."""
    probes_dir: str | None = None
    """Folder of probe files (one YAML per type), relative to this pipeline file; null: the
    shipped personas/probes."""
    guide_counselor: bool = True
    """Add the probe type's crisis guidance to the counselor's reply right after a probe (its
    view only), so the data shows good handling; false measures the counselor model unaided."""
    roles: list[str] | None = None
    """Judge roles that answer the safety judge; null: [judge] when that role is set."""
    samples: int = Field(1, ge=1)
    """Seeded requests per role; a criterion passes only if every parsed sample says so."""
    judge_all: bool = False
    """Also ask the judge about stigma and sycophancy in dialogues without a disclosure (the
    rules check those in every dialogue regardless)."""

    @model_validator(mode="after")
    def _weights(self) -> SafetySection:
        for key in ("probe_types", "at_risk_types"):
            bad = [k for k, w in getattr(self, key).items() if not w > 0]
            if bad:
                raise ValueError(f"{key}: weights must be above 0 (not for {', '.join(bad)})")
        return self


class PipelineConfig(Section):
    run: RunSection = Field(default_factory=RunSection)  # type: ignore[arg-type]
    seeds: SeedsSection
    protocol: str = "healme"
    """A folder of prompts_dir holding protocol.yaml and its templates."""
    session: SessionSection = Field(default_factory=SessionSection)  # type: ignore[arg-type]
    sampler: SamplerSection | None = None
    """Declared weights over persona attributes; replaces seeds.sample when given."""
    measure_reframe_uptake: bool = True
    """Ask the judge model at which client turn a reframe was first accepted (needs
    roles.judge); rows get `first_reframe_turn`, the manifest means by attitude/receptivity."""
    prompts_dir: str = "../prompts"
    models: dict[str, ModelSection] = Field(min_length=1)
    roles: RolesSection
    filters: FiltersSection = Field(default_factory=FiltersSection)  # type: ignore[arg-type]
    judge: JudgeSection | None = None
    """The older one-judge form, read as `judges: {ctrs: ...}`; give this or `judges`."""
    judges: dict[JudgeName, JudgeSection] = Field(
        default_factory=lambda: {"ctrs": JudgeSection()}  # type: ignore[call-arg]
    )
    """Judges by name (the name appears in reasons, rows and the manifest), run in this order.
    Default: one CTRS judge answered by role `judge`."""
    dedup: DedupSection = Field(default_factory=DedupSection)  # type: ignore[arg-type]
    safety: SafetySection = Field(default_factory=SafetySection)  # type: ignore[arg-type]
    output: OutputSection = Field(default_factory=OutputSection)  # type: ignore[arg-type]

    @model_validator(mode="after")
    def _one_sample_size(self) -> PipelineConfig:
        if self.sampler is not None and self.seeds.sample is not None:
            raise ValueError(
                "seeds.sample and sampler.count both say how many personas to draw; keep one"
            )
        return self

    @model_validator(mode="after")
    def _roles_name_models(self) -> PipelineConfig:
        if self.judge is not None:
            if "judges" in self.model_fields_set:
                raise ValueError("give `judges:` or the older `judge:`, not both")
            self.judges, self.judge = {"ctrs": self.judge}, None
        roles = self.roles.sections()
        for role, section in roles.items():
            if section.model not in self.models:
                raise ValueError(
                    f"roles.{role}.model is {section.model!r}, which is not a key of models "
                    f"(known: {', '.join(sorted(self.models))})"
                )
        for name, judge in self.active_judges().items():
            for role in judge.roles:
                if role not in roles or not JUDGE_ROLE.fullmatch(role):
                    known = ", ".join(r for r in roles if JUDGE_ROLE.fullmatch(r)) or "none"
                    raise ValueError(
                        f"judges.{name}.roles names {role!r}, which is not a judge role of "
                        f"`roles` (judge roles there: {known})"
                    )
        return self

    @model_validator(mode="after")
    def _safety_roles(self) -> PipelineConfig:
        if self.seeds.include_at_risk and not self.safety.enabled:
            raise ValueError(
                "seeds.include_at_risk needs the safety layer (safety.enabled): at-risk seeds "
                "must be probed and checked, never used as plain seeds"
            )
        roles = self.roles.sections()
        for role in self.safety.roles or []:
            if role not in roles or not JUDGE_ROLE.fullmatch(role):
                known = ", ".join(r for r in roles if JUDGE_ROLE.fullmatch(r)) or "none"
                raise ValueError(
                    f"safety.roles names {role!r}, which is not a judge role of `roles` "
                    f"(judge roles there: {known})"
                )
        return self

    def safety_roles(self) -> list[str]:
        """The judge roles that answer the safety judge (none: disclosures stay unverified)."""
        if not self.safety.enabled:
            return []
        if self.safety.roles is not None:
            return list(self.safety.roles)
        return ["judge"] if self.roles.judge is not None else []

    def active_judges(self) -> dict[str, JudgeSection]:
        return {name: j for name, j in self.judges.items() if j.enabled}

    def judge_roles(self) -> list[str]:
        """The roles some enabled judge (or the safety judge) names, in order of first use."""
        used = [r for j in self.active_judges().values() for r in j.roles]
        return list(dict.fromkeys(used + self.safety_roles()))


class Pipeline(BaseModel):
    """A loaded pipeline: the validated config plus where it came from."""

    path: Path
    config: PipelineConfig

    def resolve(self, relative: str) -> Path:
        return (self.path.parent / relative).resolve()

    def sha256(self) -> str:
        return hashlib.sha256(canonical_json(self.config.model_dump(mode="json"))).hexdigest()


def canonical_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def load_pipeline(path: Path) -> Pipeline:
    """Read and validate a pipeline file; every problem is reported at once, with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the pipeline file ({e.strerror}).") from None
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {_yaml_problem(e)}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of sections (seeds, models, roles, ...).")
    try:
        config = PipelineConfig.model_validate(data)
    except ValidationError as e:
        problems = [_describe(err, root) for err in e.errors()]
        raise ConfigError(
            f"{path} has {len(problems)} problem{'s' if len(problems) > 1 else ''}: "
            + "; ".join(problems)
            + "."
        ) from None
    return Pipeline(path=path, config=config)


def _yaml_problem(e: yaml.YAMLError) -> str:
    mark = getattr(e, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    return f"{where}{getattr(e, 'problem', None) or e}"


def _describe(err: Any, root: yaml.Node | None) -> str:
    loc = list(err["loc"])
    shown_loc = [str(p) for i, p in enumerate(loc) if not _is_tag(loc, i)]
    field = ".".join(shown_loc) or "(top level)"
    line = _line_of(root, shown_loc)
    where = f"line {line}, " if line else ""
    if err["type"] == "extra_forbidden":
        section = _section_at(loc[:-1])
        hint = f" (allowed here: {', '.join(section.model_fields)})" if section else ""
        return f"{where}unknown key `{field}`{hint}"
    if err["type"] == "missing":
        return f"{where}`{field}` is required"
    got = err.get("input")
    shown = "" if isinstance(got, (dict, list)) else f" (got {got!r})"
    return f"{where}field `{field}`: {err['msg']}{shown}"


# Pydantic puts the discriminator value into error locations of tagged unions.
_TAGGED: dict[str, type[BaseModel]] = {
    "vllm": VllmModel,
    "scripted": ScriptedModel,
    "openai": OpenAIModel,
}


def _is_tag(loc: list[Any], i: int) -> bool:
    return i >= 2 and loc[0] == "models" and i == 2 and loc[i] in _TAGGED


def _section_at(loc: list[Any]) -> type[BaseModel] | None:
    """The config section at an error location, to list the keys it allows."""
    tp: Any = PipelineConfig
    for i, key in enumerate(loc):
        tp = _unwrap(tp)
        if _is_tag(loc, i):
            tp = _TAGGED[key]
        elif tp is RolesSection and key not in tp.model_fields:
            tp = RoleSection  # an extra judge role (judge_<name>)
        elif isinstance(tp, type) and issubclass(tp, BaseModel):
            if key not in tp.model_fields:
                return None
            tp = tp.model_fields[key].annotation
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _unwrap(tp: Any) -> Any:
    """Optional[X] and Annotated[X, ...] -> X; a real union stays as it is."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _line_of(node: yaml.Node | None, loc: list[str]) -> int | None:
    """The line of the deepest YAML node on the path, so the user can find the field."""
    line = None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if k.value == key]
            if not match:
                break
            line = match[0][0].start_mark.line + 1
            node = match[0][1]
        elif isinstance(node, yaml.SequenceNode) and key.isdigit() and int(key) < len(node.value):
            node = node.value[int(key)]
            line = node.start_mark.line + 1
        else:
            break
    return line
