"""Reading a pipeline file: YAML in, a validated Pipeline out, or one ConfigError naming every
problem with its line, field and what is allowed there."""

from __future__ import annotations

import re
import types
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from healme_synth import inputs
from healme_synth.config.models import OpenAIModel, ScriptedModel, VllmModel
from healme_synth.config.pipeline import Pipeline, PipelineConfig
from healme_synth.config.roles import RoleSection, RolesSection
from healme_synth.errors import ConfigError


def load_pipeline(path: Path) -> Pipeline:
    """Read and validate a pipeline file; every problem is reported at once, with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the pipeline file ({e.strerror}).") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text (byte {e.start}); save it as UTF-8.") from None
    try:
        data = inputs.load_yaml(text)
        root = inputs.compose_yaml(text)
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


_URL_CREDENTIALS = re.compile(r"//[^/@\s'\"]*@")


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
    # A value is echoed back, but never the credentials of a URL in it.
    shown = (
        "" if isinstance(got, (dict, list)) else _URL_CREDENTIALS.sub("//***@", f" (got {got!r})")
    )
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
