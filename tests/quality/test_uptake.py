"""Reframe uptake: the judge model names the first accepting client turn; its request is sampled
with the judge role's own settings, like every other request."""

from __future__ import annotations

from healme_synth.backends import GenParams, turn_seed
from healme_synth.backends.scripted import ScriptedBackend
from healme_synth.config import RoleSection
from healme_synth.prompts import Prompts
from healme_synth.quality.uptake import measure, uptake_schema
from tests.conftest import ROOT
from tests.helpers import dialogue

JUDGE = RoleSection(model="m", temperature=0.2, top_p=0.9, max_tokens=200, repetition_penalty=1.3)


def test_uptake_requests_carry_the_judge_roles_sampling_including_repetition_penalty() -> None:
    d = dialogue()
    scripted = ScriptedBackend({"uptake": ['{"first_accepted": 2}']})
    measure([d], Prompts(ROOT / "prompts"), scripted, JUDGE)
    [(_, params)] = scripted.calls
    assert params == GenParams(
        temperature=0.2,
        top_p=0.9,
        max_tokens=32,  # a one-number reply: the section's budget is for judge verdicts
        seed=turn_seed(7, "000000-p-001", 6, "uptake"),
        repetition_penalty=1.3,
        role="uptake",
        json_schema=uptake_schema(3),
    )
    assert d.first_reframe_turn == 2  # the second client utterance, message index 2
