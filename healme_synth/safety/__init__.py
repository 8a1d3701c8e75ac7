"""Stage 3s, safety: crisis probes placed in dialogues, risk labels, the counselor's answers
checked (rules, then a judge), and unsafe or unverified dialogues routed to safety_review."""

from healme_synth.safety.counselor import (
    SPLIT,
    Stage,
    check,
    for_review,
    load,
    parse,
    reasons,
    schema,
)

__all__ = ["SPLIT", "Stage", "check", "for_review", "load", "parse", "reasons", "schema"]
