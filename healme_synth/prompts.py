"""One sandboxed jinja2 environment over the prompts folder.

Sandboxed because prompt files are data a user may take from elsewhere; StrictUndefined because
a misspelt variable must stop the run instead of sending a prompt with a hole in it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from healme_synth.errors import ConfigError

_INCLUDE = re.compile(r"""{%-?\s*include\s+["']([^"']+)["']\s*-?%}""")


class Prompts:
    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise ConfigError(f"{root}: the prompts folder does not exist (see prompts_dir).")
        self.root = root
        self.env = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader(root),
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
        try:
            return self.env.get_template(name).render(**context).strip()
        except jinja2.TemplateNotFound:
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
