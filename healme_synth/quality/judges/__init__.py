"""LLM judges: rubrics as data, seeded structured-output requests, verdicts pooled over roles
and samples (a reply that does not parse is missing, never 0), score gates and run summaries.

One module per step, in pipeline order: rubric (rubric files, the scores model, parsing),
panel (the enabled judges and their spec checks), requests (what a judge is asked, sample
seeds), verdicts (samples pooled into a Verdict), batch (the batched `judge` call), gates
(rejection reasons), summary (a judge's run summary); PANAS in affect, running means in means.
"""

from healme_synth.quality.judges.batch import judge
from healme_synth.quality.judges.gates import gate
from healme_synth.quality.judges.panel import Judge, load_judges
from healme_synth.quality.judges.requests import judge_request
from healme_synth.quality.judges.rubric import Rubric, load_rubric, parse_scores, verdict_schema
from healme_synth.quality.judges.summary import Tally, summarize

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
