"""The command line, on top of every layer: a thin typer app whose command modules each register
their commands on `app`; `main` is the console script."""

# Imported for their commands, in the order `--help` lists them.
from healme_synth.cli import generate  # noqa: F401, I001
from healme_synth.cli import datasets  # noqa: F401
from healme_synth.cli import publish  # noqa: F401
from healme_synth.cli import compare  # noqa: F401
from healme_synth.cli import metrics  # noqa: F401
from healme_synth.cli import screen  # noqa: F401
from healme_synth.cli.app import app, main

__all__ = ["app", "main"]
