"""`push`: a finished run folder to the Hugging Face Hub as a dataset repo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from healme_synth.cli.app import app, out
from healme_synth.errors import ConfigError
from healme_synth.output import publish


@app.command()
def push(
    run_dir: Annotated[Path, typer.Argument(help="A finished run directory.")],
    repo_id: Annotated[str, typer.Argument(help="The dataset repo, as owner/name.")],
    private: Annotated[bool, typer.Option(help="Create the repo private.")] = False,
    dry_run: Annotated[
        bool, typer.Option(help="List what would be uploaded, and where; no network access.")
    ] = False,
    revision: Annotated[
        Optional[str],  # noqa: UP045 (typer reads the annotation at run time)
        typer.Option(help="Push to this branch (created if missing) instead of main."),
    ] = None,
    include_safety_review: Annotated[
        bool,
        typer.Option(help="Also push the safety_review split (mishandled crisis replies)."),
    ] = False,
) -> None:
    """Upload a run's shards, dataset card and manifest to the Hub (an interrupted push
    resumes); never its journal, exports or run.json. The token comes from HF_TOKEN or
    `hf auth login`."""
    plan = publish.plan_push(
        run_dir,
        repo_id,
        private=private,
        revision=revision,
        include_safety_review=include_safety_review,
    )
    where = f"{plan.url} ({'private' if private else 'public'}, branch {revision or 'main'})"
    out.print(
        f"{'would push' if dry_run else 'pushing'} to {where}:", highlight=False, markup=False
    )
    table = Table("file", "size")
    for u in plan.uploads:
        table.add_row(u.path, _size(u.size))
    out.print(table)
    if plan.left_out:
        out.print("left out: " + ", ".join(plan.left_out), highlight=False, markup=False)
    if dry_run:
        return
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    try:
        sent = publish.push(plan, HfApi(), report=lambda line: out.print(line, markup=False))
    except HfHubHTTPError as e:
        status = e.response.status_code if e.response is not None else None
        hint = (
            " Log in with `hf auth login` or set HF_TOKEN to a token with write access."
            if status in (401, 403)
            else " Run the same command again to resume; shards already uploaded are skipped."
        )
        raise ConfigError(f"push to {plan.url} failed: {_first_line(e)}.{hint}") from None
    except Exception as e:
        if not _unreachable(e):
            raise  # a bug: keep its traceback
        raise ConfigError(
            f"push to {plan.url} failed: the Hub could not be reached ({_first_line(e)}). Run "
            "the same command again to resume; shards already uploaded are skipped."
        ) from None
    out.print(f"pushed {sent} files to {plan.url}", highlight=False, markup=False)


def _unreachable(e: Exception) -> bool:
    """No network, DNS or a refused connection: an OSError, or a transport error of the HTTP
    client huggingface_hub uses (httpx, or its httpx2 fork in recent releases)."""
    return isinstance(e, OSError) or type(e).__module__.split(".")[0] in (
        "httpx",
        "httpx2",
        "httpcore",
        "httpcore2",
    )


def _first_line(e: Exception) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0].rstrip(".")


def _size(n: int) -> str:
    if n < 1000:
        return f"{n} B"
    exponent = min(len(str(n)) - 1, 9) // 3  # kB, MB or GB
    return f"{n / 1000**exponent:.1f} {' kMG'[exponent]}B"
