"""Every input file a run reads passes through here, so its SHA-256 is known.

A resumed run must be the run that started: if a template, protocol, rubric, probe, questionnaire
table or seed file changed in between, the dialogues would mix both versions. Readers call
`read_text`/`read_bytes` (the jinja2 loader and the YAML/JSONL readers do), and whatever
`recording()` scopes are active learn each file's hash; nobody lists paths by hand, so a file a
future stage reads is covered the day it is read.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import yaml

from healme_synth.errors import ConfigError

_P = ParamSpec("_P")
_T = TypeVar("_T")


@dataclass
class Reads:
    """The files read in one scope: resolved path -> SHA-256 of the bytes read."""

    files: dict[str, str] = field(default_factory=dict)
    on_new: Callable[[str, str], None] | None = None
    """Called with each file read for the first time in this scope (before its text is used)."""

    def add(self, path: str, sha: str) -> None:
        known = self.files.get(path)
        if known == sha:
            return
        if known is not None:  # jinja2 reloads a template whose file changed under it
            raise ConfigError(
                f"{path} changed while it was in use (SHA-256 {known[:12]} when first read, now "
                f"{sha[:12]}): one run must not mix two versions of an input file. Restore it, "
                "or start a new run (--overwrite or another --out) with the new version."
            )
        self.files[path] = sha
        if self.on_new is not None:
            self.on_new(path, sha)


_active: ContextVar[tuple[Reads, ...]] = ContextVar("healme_reads", default=())


@contextlib.contextmanager
def recording(files: dict[str, str] | None = None) -> Iterator[Reads]:
    """Learn every file read inside the block (nested blocks all learn it)."""
    reads = Reads(dict(files or {}))
    token = _active.set((*_active.get(), reads))
    try:
        yield reads
    finally:
        _active.reset(token)


def current() -> Reads | None:
    """The innermost recording scope, if any."""
    scopes = _active.get()
    return scopes[-1] if scopes else None


def key(path: Path) -> str:
    return str(path.resolve())


def record(path: Path, data: bytes) -> None:
    _learn(key(path), hashlib.sha256(data).hexdigest())


def _learn(path: str, sha: str) -> None:
    for reads in _active.get():
        reads.add(path, sha)


def read_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    record(path, data)
    return data


def read_text(path: Path, encoding: str = "utf-8") -> str:
    """The file's text; bytes that are not UTF-8 are a ConfigError naming the file and offset."""
    data = read_bytes(path)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        raise ConfigError(
            f"{path}: not {encoding} text (byte {e.start} is {data[e.start : e.start + 1]!r}); "
            f"save the file as {encoding.upper()}."
        ) from None


def sha256_now(path: str) -> str | None:
    """The file's SHA-256 as it is on disk now (None: gone or unreadable)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def changed(recorded: dict[str, str], now: dict[str, str]) -> list[str]:
    """Files whose content differs between a recorded run and now: edited, removed, or read now
    but not then (a new probe file, a new include). A file the run read after its plan (first
    used mid-run) is compared with the disk."""
    edited = [p for p, sha in recorded.items() if (now[p] if p in now else sha256_now(p)) != sha]
    return sorted(edited + [p for p in now if p not in recorded])


def cache(fn: Callable[_P, _T]) -> Callable[_P, _T]:
    """functools.cache for loaders: a cached answer still tells the active scopes which files
    it came from (with their hashes when first read), so a cache cannot hide a read."""
    results: dict[Any, tuple[_T, dict[str, str]]] = {}

    @functools.wraps(fn)
    def cached(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        at = (args, tuple(sorted(kwargs.items())))
        if at not in results:
            with recording() as reads:
                value = fn(*args, **kwargs)
            results[at] = (value, dict(reads.files))
        value, files = results[at]
        for path, sha in files.items():
            _learn(path, sha)
        return value

    return cached


# YAML: every file the tool parses goes through this loader (`load_yaml`, `compose_yaml`).
# PyYAML's SafeLoader keeps the last of two equal keys (a second `seeds:` silently replaced
# the first), shares aliased nodes so a few hundred bytes can stand for 10**9 values that the
# first consumer walking them (pydantic, hashing, JSON) expands, and composes recursively, so
# deep nesting ends in RecursionError. The limits are far above any real pipeline, seed or
# rubric file and far below what exhausts memory or the stack.
MAX_YAML_DEPTH = 100
MAX_ALIAS_NODES = 100_000
"""Values that aliases may add on expansion (a `<<: *defaults` adds a handful)."""


class YamlLimitError(yaml.MarkedYAMLError):
    """A YAML file is refused for its shape (a duplicate key, alias expansion, nesting)."""


class _Loader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._sizes: dict[int, int] = {}  # id(node) -> values it stands for, aliases expanded
        self._aliased = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            node: Any = super().compose_node(parent, index)
            self._aliased += self._sizes.get(id(node), 1)
            if self._aliased > MAX_ALIAS_NODES:
                raise YamlLimitError(
                    None,
                    None,
                    f"aliases expand to more than {MAX_ALIAS_NODES:,} values (nested aliases, "
                    'a "billion laughs"): write the values out, or use fewer aliases',
                    mark,
                )
            return node
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise YamlLimitError(
                    None,
                    None,
                    f"nested more than {MAX_YAML_DEPTH} levels deep: flatten the structure",
                    self.peek_event().start_mark,  # type: ignore[no-untyped-call]
                )
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        self._sizes[id(node)] = 1 + sum(self._sizes.get(id(c), 1) for c in children)
        return node

    def compose_mapping_node(self, anchor: Any) -> Any:
        node: Any = super().compose_mapping_node(anchor)
        seen: dict[tuple[str, str], int] = {}
        for k, _ in node.value:
            if not isinstance(k, yaml.ScalarNode) or k.tag == "tag:yaml.org,2002:merge":
                continue
            line = k.start_mark.line + 1
            if (k.tag, k.value) in seen:
                first = seen[(k.tag, k.value)]
                raise YamlLimitError(
                    None,
                    None,
                    f"duplicate key `{k.value}` (line {first} and line {line}): the second "
                    "would silently replace the first; merge them or remove one",
                    k.start_mark,
                )
            seen[(k.tag, k.value)] = line
        return node


def load_yaml(text: str) -> Any:
    """yaml.safe_load with duplicate keys, alias expansion and nesting depth refused (as a
    yaml.YAMLError, so each reader's handler names its file)."""
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def compose_yaml(text: str) -> yaml.Node | None:
    """yaml.compose under the same limits (the node tree gives error messages their lines)."""
    loader = _Loader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()
