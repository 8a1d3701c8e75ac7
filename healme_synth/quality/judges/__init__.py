"""LLM judges: rubrics as data, seeded structured-output requests, verdicts pooled over roles
and samples (a reply that does not parse is missing, never 0), score gates and run summaries."""

from healme_synth.quality.judges.judge import (
    Judge,
    Rubric,
    Tally,
    gate,
    judge,
    judge_request,
    load_judges,
    load_rubric,
    parse_scores,
    summarize,
    verdict_schema,
)

__all__ = [
    "Judge",
    "Rubric",
    "Tally",
    "gate",
    "judge",
    "judge_request",
    "load_judges",
    "load_rubric",
    "parse_scores",
    "summarize",
    "verdict_schema",
]
