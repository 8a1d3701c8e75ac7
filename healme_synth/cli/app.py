"""The typer app every command module registers on, its consoles, and `main`, which turns a
user mistake (HealmeError) into one readable paragraph on stderr and exit code 2, never a
traceback; anything else is a bug and keeps its traceback."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType
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


INTERRUPTED = "interrupted: run the same command again to start it afresh."
"""What a command's interruption leaves; `run` says where it resumes (see on_interrupt)."""
_interrupt = [INTERRUPTED]


def on_interrupt(line: str) -> None:
    """The one line printed if this command is interrupted (SIGINT or SIGTERM)."""
    _interrupt[0] = line


class _Interrupted(SystemExit):
    """Raised by the signal handlers. A SystemExit, not a KeyboardInterrupt: typer would turn
    the latter into a bare exit 130 before `main` could say anything, and `except Exception`
    in a library must not swallow it either way."""


def _interrupted(signum: int, frame: FrameType | None) -> None:
    """Unwind (locks released, files closed), then `main` prints the one line; a second
    signal of the same kind stops the process at once."""
    signal.signal(signum, signal.SIG_DFL)
    raise _Interrupted(128 + signum)  # what a shell reports for a process the signal stopped


def main() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupted)
    try:
        app()
    except HealmeError as e:
        err.print(f"error: {e}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
    except _Interrupted as e:
        err.print(_interrupt[0], markup=False, highlight=False, soft_wrap=True)
        sys.exit(e.code)
