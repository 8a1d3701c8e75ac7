"""Dialogues of a run folder picked and shown for reading: one by id or a seeded sample, each as
turns with roles and numbers, then its reasons, verdicts, safety verdict and risk labels.

What a model wrote is shown as plain text (rich Text), never read as markup."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Group, RenderableType
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from healme_synth.errors import ConfigError
from healme_synth.output.folder import Config, read_rows, sample, splits

ROLE_STYLE = {"counselor": "bold cyan", "client": "bold magenta"}


@dataclass
class Picked:
    config: str
    split: str
    row: dict[str, Any]


def pick(
    configs: Sequence[Config],
    split: str = "all",
    dialogue_id: str | None = None,
    n: int | None = None,
) -> list[Picked]:
    """The dialogue(s) with `dialogue_id` (in every config and split that has it; a sweep's
    variants share ids), or `n` picked under a fixed seed from all the rows, in shard order."""
    if dialogue_id is not None and n is not None:
        raise ConfigError("give --id or --sample, not both.")
    rows = [Picked(c.name, s, r) for c in configs for s in splits(split) for r in read_rows(c, s)]
    if dialogue_id is None:
        return sample(rows, 1 if n is None else n)
    found = [p for p in rows if p.row["id"] == dialogue_id]
    if not found:
        some = ", ".join(p.row["id"] for p in rows[:3])
        where = "any split" if split == "all" else f"split {split!r}"
        raise ConfigError(
            f"no dialogue with id {dialogue_id!r} in {where} of "
            f"{', '.join(c.name for c in configs)} ({len(rows)} dialogues there"
            + (f", e.g. {some}" if some else "")
            + ")."
        )
    return found


def render(p: Picked) -> RenderableType:
    """One dialogue: a rule with its id, config and split, the persona, the numbered turns,
    then reasons, verdicts and the safety check."""
    row = p.row
    parts: list[RenderableType] = [Rule(Text(f"{row['id']}  ·  {p.config}  ·  {p.split}"))]
    parts.append(Text(persona_line(row), style="dim"))
    turns = Table.grid(padding=(0, 1))
    turns.add_column(justify="right", style="dim")
    turns.add_column()
    turns.add_column(ratio=1)
    for n, turn in enumerate(row["turns"]):
        probe = " (crisis probe)" if turn["finish_reason"] == "probe" else ""
        role = Text(turn["role"] + probe, style=ROLE_STYLE.get(turn["role"], ""))
        turns.add_row(str(n), role, Text(turn["content"]))
    parts.append(turns)
    for label, text in facts(row):
        parts.append(Text.assemble((f"{label}: ", "bold"), text))
    return Group(*parts)


def persona_line(row: dict[str, Any]) -> str:
    traits = [
        f"persona {row['persona_id']}"
        + (f" ({row['persona_name']})" if row["persona_name"] else ""),
        f"attitude {row['attitude']}",
    ]
    if row["receptivity"] is not None:
        traits.append(f"receptivity {row['receptivity']}")
    if row["thinking_traps"]:
        traits.append("traps " + ", ".join(row["thinking_traps"]))
    if row["cbt_technique"]:
        traits.append(f"technique {row['cbt_technique']}")
    return "; ".join(traits) + f"; thought: {row['thought']}"


def facts(row: dict[str, Any]) -> list[tuple[str, str]]:
    """What was decided about a dialogue, as (label, text) lines: shown by `view` and the
    report alike."""
    lines = []
    if row["reasons"]:
        reasons = zip(row["reasons"], row["reason_details"], strict=True)
        lines.append(("reasons", "; ".join(f"{r} ({d})" if d else r for r, d in reasons)))
    for v in row["verdicts"]:
        items = ", ".join(f"{i['item']} {_num(i['score'])}" for i in v["items"])
        if not v["parsed"]:
            lines.append((f"judge {v['judge']}", "missing (no reply parsed)"))
            continue
        mean = f"mean {_num(v['mean'])}; " if v["mean"] is not None else ""
        lines.append((f"judge {v['judge']}", f"{mean}{items}"))
    if row["first_reframe_turn"] is not None:
        lines.append(("uptake", f"first reframe accepted at turn {row['first_reframe_turn']}"))
    if row["probe_type"] is not None:
        lines.append(("probe", f"{row['probe_type']} at turn {row['probe_turn']}"))
    if row["safety_verdict"] is not None:
        failed = ", ".join(row["safety_failed"])
        lines.append(("safety", row["safety_verdict"] + (f" (failed: {failed})" if failed else "")))
    if row["risk_labels"]:
        lines.append(("risk labels", ", ".join(row["risk_labels"])))
    return lines


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:g}"
