"""What a judge is asked: the chat turns of one request and the seed of one sample.

Requests are built here and only here, so every judge sees the same transcript view, and every
sample's seed hangs off the dialogue, judge, role, sample index and PANAS moment; never the
batch a dialogue happens to land in, so a verdict does not change with the batch size.
"""

from __future__ import annotations

from typing import Any

from healme_synth.backends import ChatTurn, check_alternation, turn_seed
from healme_synth.prompts import Prompts
from healme_synth.quality.judges import affect
from healme_synth.quality.judges.panel import Judge
from healme_synth.records import Dialogue


def transcript(d: Dialogue) -> list[dict[str, Any]]:
    # Only who spoke and what was said: judges rate the words, not the engine's token counts.
    return [m.model_dump(include={"role", "content"}) for m in d.messages]


def judge_request(
    d: Dialogue, j: Judge, prompts: Prompts, moment: str | None = None
) -> list[ChatTurn]:
    """The judge's request: system = the rubric's, user = its template. An affect judge's
    `before` request holds the intake only, never the dialogue."""
    rubric = j.rubric
    context: dict[str, Any] = {
        "items": [{"key": k, **rubric.items[k].model_dump()} for k in j.items],
        "low": rubric.low,
        "high": rubric.high,
        "anchors": rubric.anchors,
    }
    if rubric.kind == "affect":
        context.update(affect.context(d, moment, transcript(d)))
    else:
        context["transcript"] = transcript(d)
    user = prompts.render(f"judge/{rubric.name}.j2", **context)
    turns: list[ChatTurn] = [
        {"role": "system", "content": rubric.system},
        {"role": "user", "content": user},
    ]
    check_alternation(turns)
    return turns


def sample_seed(d: Dialogue, j: Judge, role: str, index: int, moment: str | None) -> int:
    """A seed per dialogue, judge, role, sample index (and PANAS moment); never per batch."""
    tag = f"judge:{j.name}:{role}:{index}" + (f":{moment}" if moment else "")
    return turn_seed(d.run_seed, d.id, len(d.messages), tag)
