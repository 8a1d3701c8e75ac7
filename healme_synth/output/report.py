"""One static HTML page for a run folder: the comparison tables, the plots inlined as base64
PNG, a sample of kept dialogues per config shown as a chat with verdicts and risk labels,
rejected examples with their reasons, and the safety table. No network, no script, no external
file: it opens the same from a laptop, a CI artifact or a mail attachment.

Rendered from templates/report.html.j2 with autoescape on: every dialogue is model output and
is shown as text, never as markup. (Not the prompts' sandboxed environment: that one renders
prompts for models, without escaping, and output imports no prompts.)"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2

from healme_synth.output.files import atomic_write
from healme_synth.output.folder import Config, read_rows, sample
from healme_synth.output.plots import PLOTS, plots
from healme_synth.output.stats import CONFIG, Comparison
from healme_synth.output.view import facts, persona_line
from healme_synth.records import REJECTED, SAFETY_REVIEW, TRAIN

TEMPLATE = Path(__file__).with_name("templates") / "report.html.j2"
SECTIONS = ("Comparison", "Plots", "Kept dialogues", "Rejected dialogues", "Safety")
"""The page's section headings, in order."""
PLOT_TITLES = {
    "judges": "Judge scores per config",
    "mix": "Target vs achieved persona mix",
    "turns": "Dialogue length (utterances)",
    "lengths": "Utterance length (words)",
    "reasons": "Rejection reasons",
}


def render_report(
    title: str, configs: Sequence[Config], result: Comparison, per_config: int = 2
) -> str:
    """The page for a per-config comparison (`result.by` is None) of `configs`."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE.parent),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["num"] = _num
    pngs = plots(result)
    return env.get_template(TEMPLATE.name).render(
        title=title,
        sections=dict(
            zip(("comparison", "plots", "kept", "rejected", "safety"), SECTIONS, strict=True)
        ),
        configs=[c.name for c in configs],
        summary=_transposed(result),
        judges=_table(result, "judges"),
        mix=_table(result, "mix"),
        reasons=_table(result, "reasons"),
        safety=_table(result, "safety"),
        plots=[
            {"name": n, "title": PLOT_TITLES[n], "data": base64.b64encode(pngs[n]).decode()}
            for n in PLOTS
        ],
        kept=_dialogues(configs, TRAIN, per_config),
        rejected=_dialogues(configs, REJECTED, per_config),
        review=_dialogues(configs, SAFETY_REVIEW, per_config),
    )


def write_report(path: Path, html: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, html.encode())


def _table(result: Comparison, name: str) -> dict[str, Any]:
    table = result.tables[name]
    return {"columns": table.columns, "rows": table.rows()}


def _transposed(result: Comparison) -> dict[str, Any]:
    """The summary with one column per config and one row per measure: configs side by side."""
    table = result.tables["summary"]
    names = table[CONFIG].to_list()
    measures = [c for c in table.columns if c != CONFIG]
    return {
        "columns": ["measure", *names],
        "rows": [(m, *table[m].to_list()) for m in measures],
    }


def _dialogues(configs: Sequence[Config], split: str, n: int) -> list[dict[str, Any]]:
    """Per config, `n` rows of the split picked under a fixed seed, ready to show."""
    shown = []
    for c in configs:
        rows = read_rows(c, split)
        shown.append(
            {
                "config": c.name,
                "total": len(rows),
                "dialogues": [
                    {
                        "id": row["id"],
                        "persona": persona_line(row),
                        "turns": [
                            {
                                "n": n,
                                "role": t["role"],
                                "content": t["content"],
                                "probe": t["finish_reason"] == "probe",
                            }
                            for n, t in enumerate(row["turns"])
                        ],
                        # Risk labels and reasons are tags in the header; their details stay.
                        "facts": [f for f in facts(row) if f[0] != "risk labels"],
                        "risk_labels": row["risk_labels"],
                        "reasons": row["reasons"],
                    }
                    for row in sample(rows, n)
                ],
            }
        )
    return shown


def _num(x: Any) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.4g}" if abs(x) < 1000 else f"{x:,.0f}"
    return str(x)
