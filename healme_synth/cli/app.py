"""The typer app every command module registers on, its consoles, and `main`, which turns a
user mistake (HealmeError) into one readable paragraph on stderr and exit code 2, never a
traceback; anything else is a bug and keeps its traceback."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from healme_synth.errors import HealmeError

app = typer.Typer(
    help="Generate synthetic CBT / cognitive-reframing counseling dialogues.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

# The prompts folder beside the package (a source checkout, as the README installs it).
DEFAULT_PROMPTS = Path(__file__).resolve().parents[2] / "prompts"

PipelineArg = Annotated[Path, typer.Argument(help="A pipeline file, e.g. pipelines/healme.yaml.")]


def main() -> None:
    try:
        app()
    except HealmeError as e:
        err.print(f"error: {e}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
