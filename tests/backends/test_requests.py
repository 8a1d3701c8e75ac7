"""Request building: the chat view a speaker answers, per-request seeds, and sampling from a
role's section (the one place GenParams are made)."""

from __future__ import annotations

import dataclasses

import pytest

from healme_synth.backends import GenParams
from healme_synth.backends.requests import (
    ViewError,
    check_alternation,
    gen_params,
    turn_seed,
    view,
)
from healme_synth.config import RoleSection
from healme_synth.records import Dialogue, Message
from tests.helpers import persona


def dialogue(*contents: str) -> Dialogue:
    roles = ["client", "counselor"]
    return Dialogue(
        id="d1",
        protocol="healme",
        persona=persona(),
        run_seed=1,
        messages=[Message(role=roles[i % 2], content=c) for i, c in enumerate(contents)],  # type: ignore[arg-type]
    )


def test_counselor_view_maps_client_to_user_and_own_turns_to_assistant() -> None:
    d = dialogue("I failed.", "That sounds hard.", "It is.")
    assert view(d, "counselor", "SYS") == [
        {"role": "system", "content": "SYS"},
        {"role": "user", "content": "I failed."},
        {"role": "assistant", "content": "That sounds hard."},
        {"role": "user", "content": "It is."},
    ]


def test_client_view_starts_with_its_opening_and_gets_the_note_on_the_last_turn() -> None:
    d = dialogue("I failed.", "That sounds hard.")
    assert view(d, "client", "SYS", opening="Hello.", notes={1: "(Answer.)"}) == [
        {"role": "system", "content": "SYS"},
        {"role": "user", "content": "Hello."},
        {"role": "assistant", "content": "I failed."},
        {"role": "user", "content": "That sounds hard.\n\n(Answer.)"},
    ]


@pytest.mark.parametrize(
    ("contents", "speaker", "opening"),
    [
        (("I failed.",), "client", None),  # the client would answer its own turn
        ((), "counselor", None),  # nothing to answer yet
        (("I failed.", "Hard."), "counselor", None),  # ends with its own turn
        (("I failed.",), "counselor", "Hello."),  # two user turns in a row
    ],
)
def test_view_refuses_a_request_that_breaks_alternation(
    contents: tuple[str, ...], speaker: str, opening: str | None
) -> None:
    with pytest.raises(ViewError):
        view(dialogue(*contents), speaker, "SYS", opening=opening)  # type: ignore[arg-type]


def test_check_alternation_accepts_only_system_then_user_assistant_ending_on_user() -> None:
    check_alternation([{"role": "system", "content": ""}, {"role": "user", "content": ""}])
    with pytest.raises(ViewError):
        check_alternation([{"role": "user", "content": ""}])
    with pytest.raises(ViewError):
        check_alternation([{"role": "system", "content": ""}, {"role": "assistant", "content": ""}])


def test_turn_seed_is_stable_and_distinct_per_coordinate() -> None:
    base = turn_seed(1, "d1", 2, "counselor")
    assert base == turn_seed(1, "d1", 2, "counselor")
    others = {
        turn_seed(2, "d1", 2, "counselor"),
        turn_seed(1, "d2", 2, "counselor"),
        turn_seed(1, "d1", 3, "counselor"),
        turn_seed(1, "d1", 2, "client"),
    }
    assert base not in others and len(others) == 4
    assert 0 <= base < 2**63


SECTION = RoleSection(
    model="m", temperature=0.3, top_p=0.8, max_tokens=99, stop=["\n\n"], repetition_penalty=1.2
)


def test_gen_params_carries_every_sampling_field_of_the_section() -> None:
    assert gen_params(SECTION, seed=5, role="counselor", stop=True) == GenParams(
        temperature=0.3,
        top_p=0.8,
        max_tokens=99,
        seed=5,
        stop=("\n\n",),
        repetition_penalty=1.2,
        role="counselor",
    )
    # Every field of a role section but `model` reaches the request: a new sampling field in
    # RoleSection must be carried here too, or this fails.
    sampling = set(RoleSection.model_fields) - {"model"}
    assert sampling <= {f.name for f in dataclasses.fields(GenParams)}


def test_gen_params_overrides_the_budget_and_keeps_stop_strings_off_structured_calls() -> None:
    schema = {"type": "object"}
    params = gen_params(SECTION, seed=7, role="planner", max_tokens=320, json_schema=schema)
    assert (params.max_tokens, params.stop, params.json_schema) == (320, (), schema)
    assert (params.temperature, params.top_p, params.repetition_penalty) == (0.3, 0.8, 1.2)
