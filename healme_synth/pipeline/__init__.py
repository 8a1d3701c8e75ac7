"""Where the stages meet: a pipeline file is planned (everything checked before any
generation), run chunk by chunk with a journal to resume from, re-checked, or scaled out; a
sweep runs variants of one into one folder."""

from healme_synth.pipeline.chunk import Progress, chunks, process
from healme_synth.pipeline.generate import run
from healme_synth.pipeline.plan import Plan, plan
from healme_synth.pipeline.recheck import refilter, rejudge
from healme_synth.pipeline.render import render_calls
from healme_synth.pipeline.screen import (
    ScreenReport,
    check_existing,
    screen,
    screen_dialogues,
    stage_for,
)
from healme_synth.pipeline.sweep import Planned, plan_sweep, run_sweep
from healme_synth.pipeline.sweep_file import Sweep, Variant, load_sweep

__all__ = [
    "Plan",
    "Planned",
    "Progress",
    "ScreenReport",
    "Sweep",
    "Variant",
    "check_existing",
    "chunks",
    "load_sweep",
    "plan",
    "plan_sweep",
    "process",
    "refilter",
    "rejudge",
    "render_calls",
    "run",
    "run_sweep",
    "screen",
    "screen_dialogues",
    "stage_for",
]
