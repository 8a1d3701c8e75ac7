"""Where the stages meet: a pipeline file is planned (everything checked before any
generation), run chunk by chunk with a journal to resume from, re-checked, or scaled out."""

from healme_synth.pipeline.generate import (
    Plan,
    Progress,
    chunks,
    filter_rules,
    plan,
    process,
    refilter,
    rejudge,
    render_calls,
    run,
)

__all__ = [
    "Plan",
    "Progress",
    "chunks",
    "filter_rules",
    "plan",
    "process",
    "refilter",
    "rejudge",
    "render_calls",
    "run",
]
