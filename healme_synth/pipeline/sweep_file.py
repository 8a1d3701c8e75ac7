"""The sweep file: a base pipeline and variants, each a set of dotted keys overriding the base.

```yaml
base: scripted.yaml                 # relative to the sweep file
name: ablate-attitude               # the folder under the base's output.dir (default: file stem)
overrides: {seeds.sample: null}     # for every variant, before its own
variants:
  positive: {sampler.weights.attitude: {positive: 1}}
  negative: {sampler.weights.attitude: {negative: 1}, roles.counselor.temperature: 0.3}
```
A key replaces the value at its path (a mapping value replaces the whole mapping; null sets
null), creating the sections on the way. Each merged config is validated by the pipeline
file's own pydantic model, so a wrong key is named with its variant and the sweep file's line.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from healme_synth import inputs
from healme_synth.config import Pipeline, PipelineConfig, load_pipeline
from healme_synth.config.load import _describe  # the pipeline file's own wording of a problem
from healme_synth.errors import ConfigError

Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
"""A variant's (and a sweep's) name: a config name and a folder name."""

# Keys the sweep sets itself, and why a variant may not: the same run seed (so the same sample
# indices and seeds), one folder, one config named after each variant.
FIXED: dict[str, str] = {
    "run.name": "the folder is named by the sweep's `name:`",
    "run.seed": "every variant runs with the same run seed (set `run.seed` under `overrides:`)",
    "output.config_name": "each variant's config is named after the variant",
    "output.dir": "the sweep's folder is set by `--out` or the base's output.dir",
}
COMMON_MAY_SET = ("run.seed",)


class SweepFile(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)
    base: str
    """The base pipeline file, relative to the sweep file."""
    name: Name | None = None
    """The sweep's folder name under the base's output.dir (default: the sweep file's stem)."""
    overrides: dict[str, Any] = Field(default_factory=dict)
    """Dotted keys set for every variant, before the variant's own."""
    variants: dict[Name, dict[str, Any]] = Field(min_length=1)
    """Variant name -> dotted keys of the base it overrides (may be empty: the base itself)."""


@dataclass
class Variant:
    name: str
    overrides: dict[str, Any]
    pipeline: Pipeline
    """The merged config; its path is the base file's, so relative paths resolve as there."""


@dataclass
class Sweep:
    path: Path
    name: str
    base: Pipeline
    overrides: dict[str, Any]
    variants: list[Variant]

    def folder(self) -> Path:
        """Where the sweep writes unless told otherwise: <base output.dir>/<name>."""
        return self.base.resolve(self.base.config.output.dir) / self.name


def load_sweep(path: Path) -> Sweep:
    """Read a sweep file and its base, and validate every variant's merged config."""
    try:
        text = path.read_text(encoding="utf-8")
        data, root = inputs.load_yaml(text), inputs.compose_yaml(text)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the sweep file ({e.strerror}).") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text (byte {e.start}); save it as UTF-8.") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError(f"{path}: not valid YAML: {at}{getattr(e, 'problem', e)}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with `base` and `variants`.")
    try:
        spec = SweepFile.model_validate(data)
    except ValidationError as e:
        problems = [_sweep_problem(err, root) for err in e.errors()]
        raise ConfigError(f"{path} is not a sweep file: " + "; ".join(problems) + ".") from None
    base = load_pipeline(path.parent / spec.base)  # its own problems name its own file
    raw = inputs.load_yaml(base.path.read_text(encoding="utf-8"))
    name = spec.name or path.stem
    _check_fixed(path, root, spec.overrides, ("overrides",), COMMON_MAY_SET)
    common = _merged(path, root, raw, spec.overrides, ("overrides",))
    variants = []
    for variant, overrides in spec.variants.items():
        where: tuple[str, ...] = ("variants", variant)
        _check_fixed(path, root, overrides, where, ())  # so every variant has the same seed
        merged = _merged(path, root, common, overrides, where)
        merged.setdefault("run", {})["name"] = name
        merged.setdefault("output", {})["config_name"] = variant
        sources: list[tuple[tuple[str, ...], list[str]]] = [
            (where, list(overrides)),
            (("overrides",), list(spec.overrides)),
        ]
        config = _validate(path, root, variant, merged, sources, base.path)
        variants.append(Variant(variant, overrides, Pipeline(path=base.path, config=config)))
    return Sweep(path, name, base, spec.overrides, variants)


def apply(config: dict[str, Any], key: str, value: Any) -> str | None:
    """Set the dotted key in place; the problem when a part of its path is not a section."""
    node, parts = config, key.split(".")
    for n, part in enumerate(parts[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            return (
                f"`{'.'.join(parts[: n + 1])}` is {child!r}, not a section, so `{key}` cannot "
                "be set"
            )
        node = child
    node[parts[-1]] = copy.deepcopy(value)
    return None


def _merged(
    path: Path,
    root: yaml.Node | None,
    base: dict[str, Any],
    overrides: dict[str, Any],
    where: tuple[str, ...],
) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    problems = []
    for key, value in overrides.items():
        problem = apply(merged, key, value)
        if problem is not None:
            problems.append(f"{_at(root, (*where, key))}{problem}")
    if problems:
        raise ConfigError(f"{path}: {_label(where)}: " + "; ".join(problems) + ".")
    return merged


def _check_fixed(
    path: Path,
    root: yaml.Node | None,
    overrides: dict[str, Any],
    where: tuple[str, ...],
    allowed: tuple[str, ...],
) -> None:
    problems = []
    for key in overrides:
        for fixed, why in FIXED.items():
            if fixed in allowed:
                continue
            if _covers(key, fixed):
                problems.append(f"{_at(root, (*where, key))}`{key}` cannot be overridden: {why}")
                break
    if problems:
        raise ConfigError(f"{path}: {_label(where)}: " + "; ".join(problems) + ".")


def _validate(
    path: Path,
    root: yaml.Node | None,
    variant: str,
    merged: dict[str, Any],
    sources: list[tuple[tuple[str, ...], list[str]]],
    base: Path,
) -> PipelineConfig:
    """The merged config, or one error naming the variant, and for each problem the line of
    the override it comes from (the variant's own keys first, then the common ones)."""
    try:
        return PipelineConfig.model_validate(merged)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            dotted = ".".join(str(p) for p in err["loc"])
            line = next(
                (
                    _at(root, (*where, key))
                    for where, keys in sources
                    for key in reversed(keys)
                    if _covers(key, dotted)
                ),
                "",
            )
            problems.append(line + _describe(err, None))
        n = len(problems)
        raise ConfigError(
            f"{path}: variant `{variant}` (merged onto {base}) has {n} "
            f"problem{'s' if n > 1 else ''}: " + "; ".join(problems) + "."
        ) from None


def _covers(key: str, dotted: str) -> bool:
    """An error at `dotted` comes from override `key`: the key itself, a field inside the value
    it set, or a section around it whose own check failed."""
    return dotted == key or dotted.startswith(key + ".") or key.startswith(dotted + ".")


def _sweep_problem(err: Any, root: yaml.Node | None) -> str:
    loc = tuple(str(p) for p in err["loc"])
    if loc[-1:] == ("[key]",):  # a variant's name itself
        return f"{_at(root, loc[:-1])}variant name `{loc[-2]}`: {err['msg']}"
    field = ".".join(loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        allowed = ", ".join(SweepFile.model_fields)
        return f"{_at(root, loc)}unknown key `{field}` (allowed here: {allowed})"
    if err["type"] == "missing":
        return f"`{field}` is required"
    got = err.get("input")
    shown = "" if isinstance(got, (dict, list)) else f" (got {got!r})"
    return f"{_at(root, loc)}field `{field}`: {err['msg']}{shown}"


def _node(root: yaml.Node | None, loc: tuple[str, ...]) -> yaml.Node | None:
    """The key node at `loc` in the sweep file (keys are matched whole: `a.b` is one key)."""
    node, key_node = root, None
    for key in loc:
        if not isinstance(node, yaml.MappingNode):
            return None
        match = [(k, v) for k, v in node.value if k.value == key]
        if not match:
            return None
        key_node, node = match[0]
    return key_node


def _at(root: yaml.Node | None, loc: tuple[str, ...]) -> str:
    node = _node(root, loc)
    return f"line {node.start_mark.line + 1}, " if node is not None else ""


def _label(where: tuple[str, ...]) -> str:
    return "`overrides`" if where == ("overrides",) else f"variant `{where[-1]}`"
