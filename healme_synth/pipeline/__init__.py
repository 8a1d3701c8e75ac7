"""Where the stages meet: a pipeline file is planned (everything checked before any
generation), run chunk by chunk with a journal to resume from, re-checked, or scaled out."""

from healme_synth.pipeline.chunk import Progress, chunks, process
from healme_synth.pipeline.generate import run
from healme_synth.pipeline.plan import Plan, plan
from healme_synth.pipeline.recheck import refilter, rejudge
from healme_synth.pipeline.render import render_calls

__all__ = [
    "Plan",
    "Progress",
    "chunks",
    "plan",
    "process",
    "refilter",
    "rejudge",
    "render_calls",
    "run",
]
