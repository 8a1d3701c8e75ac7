"""One sandboxed jinja2 environment over the prompts folder.

Sandboxed because prompt files are data a user may take from elsewhere; StrictUndefined because
a misspelt variable must stop the run instead of sending a prompt with a hole in it.
"""

from __future__ import annotations

import contextvars
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from healme_synth import inputs
from healme_synth.errors import ConfigError

_INCLUDE = re.compile(r"""{%-?\s*include\s+["']([^"']+)["']\s*-?%}""")

# Rendering is bounded so a template cannot hang `validate` or exhaust memory: real prompts are
# a few kilobytes and loop over a handful of persona fields.
MAX_OUTPUT = 1_000_000
"""Characters one render may produce (and the largest string or list `*` may build)."""
MAX_ITERATIONS = 1_000_000
"""range() items one render may ask for in all (nested range loops multiply)."""
MAX_POWER_BITS = 4096
"""The largest result `**` may compute, in bits (10**(10**8) would take minutes)."""
_budget: contextvars.ContextVar[list[int]] = contextvars.ContextVar("healme_range_budget")


class _Sandbox(SandboxedEnvironment):
    """jinja2's sandbox blocks unsafe attributes and single ranges over 100,000 items, but
    not huge powers, string repeats or nested ranges: those are refused here."""

    intercepted_binops = frozenset({"**", "*"})  # also stops jinja2 folding them at compile

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = _budgeted_range

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        if operator == "**" and _huge_power(left, right):
            raise SecurityError(f"{left!r} ** {right!r} is too large to compute")
        if operator == "*" and isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > MAX_POWER_BITS:  # squaring chains
                raise SecurityError("the product is too large to compute")
        elif operator == "*":
            for seq, n in ((left, right), (right, left)):
                sized = isinstance(seq, (str, list, tuple)) and isinstance(n, int)
                if sized and len(seq) * n > MAX_OUTPUT:
                    raise SecurityError(
                        f"repeating a {len(seq)}-item {type(seq).__name__} {n} times "
                        f"makes more than {MAX_OUTPUT:,}"
                    )
        return super().call_binop(context, operator, left, right)


def _huge_power(base: Any, exp: Any) -> bool:
    if not isinstance(base, (int, float)) or not isinstance(exp, (int, float)):
        return False
    if isinstance(exp, float) or isinstance(base, float):
        return False  # floats overflow to an OverflowError at once, they do not hang
    return exp > 0 and abs(base) > 1 and exp * math.log2(abs(base)) > MAX_POWER_BITS


def _budgeted_range(*args: int) -> range:
    items = range(*args)
    budget = _budget.get(None)
    if budget is not None:
        budget[0] -= len(items)
        if budget[0] < 0:
            raise SecurityError(
                f"the template's range() loops ask for more than {MAX_ITERATIONS:,} items"
            )
    if len(items) > MAX_ITERATIONS:
        raise OverflowError(f"range of {len(items):,} items is too big")
    return items


class Prompts:
    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise ConfigError(f"{root}: the prompts folder does not exist (see prompts_dir).")
        self.root = root
        self.env = _Sandbox(
            loader=_Loader(root),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )

    def source(self, name: str) -> str:
        """A template's text as written, with included templates inlined (filters look for it
        leaking into utterances, shared snippets included)."""
        text: str = self.env.loader.get_source(self.env, name)[0]  # type: ignore[union-attr]
        return _INCLUDE.sub(lambda m: self.source(m.group(1)), text)

    def render(self, name: str, **context: Any) -> str:
        """Render a template; any template problem becomes a ConfigError naming the file."""
        token = _budget.set([MAX_ITERATIONS])
        try:
            return self._bounded(self.env.get_template(name), context).strip()
        except jinja2.TemplateNotFound as e:
            missing = e.name if isinstance(e.name, str) else name
            if ".." in Path(missing).parts or Path(missing).is_absolute():
                raise ConfigError(
                    f"{self.root / name}: template {missing!r} is outside the prompts folder "
                    f"{self.root}; templates may only include templates inside it."
                ) from None
            if missing != name:
                raise ConfigError(
                    f"{self.root / name}: included template {self.root / missing} not found."
                ) from None
            raise ConfigError(f"{self.root / name}: template not found.") from None
        except jinja2.TemplateSyntaxError as e:
            raise ConfigError(
                f"{self.root / name}, line {e.lineno}: template syntax error: {e.message}."
            ) from None
        except jinja2.UndefinedError as e:
            where, line = _template_frame(e)
            at = f"{where}, line {line}" if where else str(self.root / name)
            known = ", ".join(sorted(context))
            raise ConfigError(
                f"{at}: undefined template variable: {e.message} (variables available: {known})."
            ) from None
        except (SecurityError, OverflowError, MemoryError, RecursionError) as e:
            where, line = _template_frame(e)
            at = f"{where}, line {line}" if where else str(self.root / name)
            raise ConfigError(
                f"{at}: template refused by the sandbox: {str(e).rstrip('.')}. Templates are "
                f"bounded (output up "
                f"to {MAX_OUTPUT:,} characters, range() loops up to {MAX_ITERATIONS:,} items)."
            ) from None
        except (jinja2.TemplateError, ArithmeticError, TypeError, ValueError, LookupError) as e:
            where, line = _template_frame(e)
            at = f"{where}, line {line}" if where else str(self.root / name)
            raise ConfigError(f"{at}: template error: {type(e).__name__}: {e}.") from None
        finally:
            _budget.reset(token)

    @staticmethod
    def _bounded(template: jinja2.Template, context: dict[str, Any]) -> str:
        """The render, stopped once it passes MAX_OUTPUT characters (streamed, so a loop
        printing forever is stopped instead of filling memory)."""
        parts: list[str] = []
        size = 0
        for part in template.generate(**context):
            size += len(part)
            if size > MAX_OUTPUT:
                raise SecurityError(f"the output passed {MAX_OUTPUT:,} characters")
            parts.append(part)
        return "".join(parts)


class _Loader(jinja2.FileSystemLoader):
    """jinja2's file loader, telling `inputs` each template file it reads (a resumed run
    must refuse a template changed since the run started)."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        try:
            source, filename, uptodate = super().get_source(environment, template)
        except UnicodeDecodeError as e:
            raise ConfigError(
                f"{Path(self.searchpath[0]) / template}: not UTF-8 text (byte {e.start}); "
                "save the template as UTF-8."
            ) from None
        # FileSystemLoader refuses `..` but follows links: a link to /etc/passwd would be
        # rendered into a prompt.
        root = Path(self.searchpath[0]).resolve()
        target = Path(filename).resolve()
        if not target.is_relative_to(root):
            raise ConfigError(
                f"{filename}: a link to {target}, outside the prompts folder {root}; templates "
                "must live inside it (copy the file in instead of linking to it)."
            )
        inputs.record(Path(filename), Path(filename).read_bytes())
        return source, filename, uptodate


def _template_frame(e: BaseException) -> tuple[str | None, int | None]:
    """jinja2 rewrites tracebacks so template lines appear as frames: find the last one."""
    found: tuple[str | None, int | None] = (None, None)
    tb = e.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found
