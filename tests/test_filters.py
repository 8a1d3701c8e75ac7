"""Table tests for every rule filter: the exact Reason each defect gives, and near-misses that
must pass."""

from __future__ import annotations

from typing import get_args

import pytest

from healme_synth.config import FilterName, FiltersSection
from healme_synth.filters import (
    FILTERS,
    Rules,
    check,
    empty_utterance,
    overlong_utterance,
    role_flip,
    template_remnant,
    truncated,
    turn_count,
)
from healme_synth.records import Dialogue, Message, Reason
from tests.helpers import CLEAN_TURNS, dialogue, persona, replace_turn

RULES = Rules(turns=6)


def words(n: int) -> str:
    return " ".join(["word"] * n)


def with_finish(reasons: dict[int, str | None]) -> list[Message]:
    """CLEAN_TURNS as Messages, with the given finish_reason per turn index (default 'stop')."""
    return [
        Message(role=role, content=content, finish_reason=reasons.get(i, "stop"))  # type: ignore[arg-type]
        for i, (role, content) in enumerate(CLEAN_TURNS)
    ]


def test_filters_are_the_configurable_names_in_the_default_order() -> None:
    assert list(FILTERS) == list(get_args(FilterName))
    assert list(FILTERS) == FiltersSection().enabled


# ---------------------------------------------------------------- turn_count


@pytest.mark.parametrize(
    ("turns", "rules", "detail"),
    [
        (CLEAN_TURNS[:5], RULES, "5 turns, expected 6"),
        (CLEAN_TURNS + [("client", "One more thing to say.")], RULES, "7 turns, expected 6"),
        ([], RULES, "0 turns, expected 6"),
        (CLEAN_TURNS, Rules(turns=4), "6 turns, expected 4"),
    ],
    ids=["short", "long", "none", "protocol-of-4"],
)
def test_turn_count_rejects(turns: list[tuple[str, str]], rules: Rules, detail: str) -> None:
    assert turn_count(dialogue(turns), rules) == Reason(name="turn_count", detail=detail)


@pytest.mark.parametrize(
    ("turns", "rules"),
    [(CLEAN_TURNS, RULES), (CLEAN_TURNS[:2], Rules(turns=2))],
    ids=["six-of-6", "two-of-2"],
)
def test_turn_count_passes(turns: list[tuple[str, str]], rules: Rules) -> None:
    assert turn_count(dialogue(turns), rules) is None


# ---------------------------------------------------------------- empty_utterance


@pytest.mark.parametrize(
    ("turns", "rules", "detail"),
    [
        (replace_turn(0, ""), RULES, "turn 1 (client) has 0 words, fewer than 2"),
        (replace_turn(3, "  \n\t "), RULES, "turn 4 (counselor) has 0 words, fewer than 2"),
        (replace_turn(5, "Okay."), RULES, "turn 6 (counselor) has 1 words, fewer than 2"),
        (
            replace_turn(4, "Yes I think so"),
            Rules(turns=6, min_words=5),
            "turn 5 (client) has 4 words, fewer than 5",
        ),
        (
            # The first short turn is the one reported.
            [("client", "Fine.")] + CLEAN_TURNS[1:4] + [("client", ""), CLEAN_TURNS[5]],
            RULES,
            "turn 1 (client) has 1 words, fewer than 2",
        ),
    ],
    ids=["empty", "whitespace", "one-word", "custom-min", "first-of-two"],
)
def test_empty_utterance_rejects(turns: list[tuple[str, str]], rules: Rules, detail: str) -> None:
    assert empty_utterance(dialogue(turns), rules) == Reason(name="empty_utterance", detail=detail)


@pytest.mark.parametrize(
    ("turns", "rules"),
    [
        (CLEAN_TURNS, RULES),
        (replace_turn(2, "Yes, okay."), RULES),  # exactly min_words
        (replace_turn(2, "Okay."), Rules(turns=6, min_words=1)),
        ([], RULES),  # nothing to check; turn_count reports this one
    ],
    ids=["clean", "at-min", "custom-min", "no-turns"],
)
def test_empty_utterance_passes(turns: list[tuple[str, str]], rules: Rules) -> None:
    assert empty_utterance(dialogue(turns), rules) is None


# ---------------------------------------------------------------- overlong_utterance


@pytest.mark.parametrize(
    ("turns", "rules", "detail"),
    [
        (replace_turn(1, words(221)), RULES, "turn 2 (counselor) has 221 words, more than 220"),
        (replace_turn(0, words(500)), RULES, "turn 1 (client) has 500 words, more than 220"),
        (
            replace_turn(4, words(16)),
            Rules(turns=6, max_words=15),
            "turn 5 (client) has 16 words, more than 15",
        ),
        (
            CLEAN_TURNS[:3]
            + [("counselor", words(250)), CLEAN_TURNS[4], ("counselor", words(300))],
            RULES,
            "turn 4 (counselor) has 250 words, more than 220",
        ),
    ],
    ids=["just-over", "far-over", "custom-max", "first-of-two"],
)
def test_overlong_utterance_rejects(
    turns: list[tuple[str, str]], rules: Rules, detail: str
) -> None:
    assert overlong_utterance(dialogue(turns), rules) == Reason(
        name="overlong_utterance", detail=detail
    )


@pytest.mark.parametrize(
    ("turns", "rules"),
    [
        (CLEAN_TURNS, RULES),
        (replace_turn(1, words(220)), RULES),  # exactly max_words
        (replace_turn(1, words(400)), Rules(turns=6, max_words=400)),
    ],
    ids=["clean", "at-max", "custom-max"],
)
def test_overlong_utterance_passes(turns: list[tuple[str, str]], rules: Rules) -> None:
    assert overlong_utterance(dialogue(turns), rules) is None


# ---------------------------------------------------------------- role_flip


@pytest.mark.parametrize(
    ("index", "content", "detail"),
    [
        # The counselor writing the client's side.
        (1, "Client: Yes, it really is.", "turn 2 (counselor) speaks as 'client'"),
        (
            1,
            "That sounds hard.\nClient: Yes, it really is.\nCounselor: Tell me more.",
            "turn 2 (counselor) speaks as 'client'",
        ),
        (3, "Patient: I just feel stuck.", "turn 4 (counselor) speaks as 'patient'"),
        (3, "What comes up?\nUser: nothing much", "turn 4 (counselor) speaks as 'user'"),
        (5, "Well done.\nPriya: Thanks, I will try.", "turn 6 (counselor) speaks as 'priya'"),
        (5, "PRIYA: thanks", "turn 6 (counselor) speaks as 'priya'"),
        (1, "**Client:** I will try that.", "turn 2 (counselor) speaks as 'client'"),
        (1, "**Client**: I will try that.", "turn 2 (counselor) speaks as 'client'"),
        (1, "Noted.\n  > CLIENT : sure", "turn 2 (counselor) speaks as 'client'"),
        (1, '"Client: okay then."', "turn 2 (counselor) speaks as 'client'"),
        # The client writing the counselor's side.
        (0, "Counselor: How are you feeling today?", "turn 1 (client) speaks as 'counselor'"),
        (2, "I guess.\nTherapist: Why do you guess?", "turn 3 (client) speaks as 'therapist'"),
        (4, "- Doctor: take a breath", "turn 5 (client) speaks as 'doctor'"),
        (4, "Sure.\n\nAssistant: Great!", "turn 5 (client) speaks as 'assistant'"),
        (2, "__Counselor__: and then?", "turn 3 (client) speaks as 'counselor'"),
        (2, "## Therapist: a heading", "turn 3 (client) speaks as 'therapist'"),
    ],
)
def test_role_flip_rejects(index: int, content: str, detail: str) -> None:
    assert role_flip(dialogue(replace_turn(index, content)), RULES) == Reason(
        name="role_flip", detail=detail
    )


def test_role_flip_reports_the_first_flipped_turn() -> None:
    turns = replace_turn(4, "Counselor: what now?")
    turns[3] = ("counselor", "Good.\nClient: ok")
    assert role_flip(dialogue(turns), RULES) == Reason(
        name="role_flip", detail="turn 4 (counselor) speaks as 'client'"
    )


def test_role_flip_escapes_the_persona_name() -> None:
    d = dialogue(replace_turn(1, "Ana (Annie): thank you"), persona=persona(name="Ana (Annie)"))
    assert role_flip(d, RULES) == Reason(
        name="role_flip", detail="turn 2 (counselor) speaks as 'ana (annie)'"
    )


@pytest.mark.parametrize(
    ("index", "content"),
    [
        (1, "Think about the client next door: what would you tell her?"),
        (1, "As a client of mine once said: progress is slow."),
        (1, "Priya, what would you tell a friend who did this?"),
        (1, "Priya - what would you tell a friend who did this?"),
        (1, "Priyanka: a colleague's name, not the client's."),
        (1, "Clients: many feel this way after a mistake."),
        (1, "Client-centred work: we start from what you feel."),
        (1, "Counselor: let us look at the facts."),  # its own label is not a flip
        (0, "Client: I still feel bad about it."),  # its own label is not a flip
        (0, "Priya: that is me talking."),  # the name is only checked in counselor turns
        (0, "My therapist: she always says that."),
        (0, "Doctors: they never listen to me."),
        (0, "I asked the assistant at work: no answer."),
    ],
)
def test_role_flip_passes(index: int, content: str) -> None:
    assert role_flip(dialogue(replace_turn(index, content)), RULES) is None


def test_role_flip_passes_a_clean_dialogue() -> None:
    assert role_flip(dialogue(), RULES) is None


# ---------------------------------------------------------------- template_remnant


@pytest.mark.parametrize(
    ("index", "content", "detail"),
    [
        (
            1,
            "Thank you, [Client's Name], for sharing that.",
            'turn 2 (counselor) contains "[Client\'s Name]"',
        ),
        (
            3,
            "I hear you, [Therapist's name] here.",
            'turn 4 (counselor) contains "[Therapist\'s name]"',
        ),
        (5, "Let us meet again on [insert date].", "turn 6 (counselor) contains '[insert date]'"),
        (5, "Warm regards, [Your Name]", "turn 6 (counselor) contains '[Your Name]'"),
        (1, "Hello {name}, welcome back.", "turn 2 (counselor) contains '{name}'"),
        (1, "Hello {client_name}, welcome.", "turn 2 (counselor) contains '{client_name}'"),
        (1, "Hello {{ var }}, welcome.", "turn 2 (counselor) contains '{{'"),
        (1, "Hello {{var}}.", "turn 2 (counselor) contains '{{'"),
        (1, "{% if sad %}I see.", "turn 2 (counselor) contains '{%'"),
        (1, "Dear <name>, I see.", "turn 2 (counselor) contains '<name>'"),
        (1, "Dear <client name>, I see.", "turn 2 (counselor) contains '<client name>'"),
        (5, "That is all for today. [/END]", "turn 6 (counselor) contains '[/END]'"),
        (5, "That is all for today. [END]", "turn 6 (counselor) contains '[END]'"),
        (0, "I feel bad [/END]", "turn 1 (client) contains '[/END]'"),
        # The regex takes any single identifier in braces for a slot, math-looking or not.
        (2, "It is like {x} for me.", "turn 3 (client) contains '{x}'"),
    ],
)
def test_template_remnant_rejects(index: int, content: str, detail: str) -> None:
    assert template_remnant(dialogue(replace_turn(index, content)), RULES) == Reason(
        name="template_remnant", detail=detail
    )


def test_template_remnant_reports_the_first_turn() -> None:
    turns = replace_turn(5, "[/END]")
    turns[2] = ("client", "Call me {name}.")
    assert template_remnant(dialogue(turns), RULES) == Reason(
        name="template_remnant", detail="turn 3 (client) contains '{name}'"
    )


@pytest.mark.parametrize(
    "content",
    [
        "[laughs] I guess you are right.",
        "[sighs softly] It has been a hard week.",
        "[pause] I do not know.",
        "That was the end of the story [end of story].",
        "Rate it {1-10} if you like.",
        'I wrote {"mood": 5} in my app.',
        "I love it <3 honestly.",
        "Two < three and four > one.",
        "It said <b>urgent</b> in the email.",
        "Footnote [1] says so.",
        "Hello Priya, welcome back. The end.",
    ],
)
def test_template_remnant_passes(content: str) -> None:
    assert template_remnant(dialogue(replace_turn(2, content)), RULES) is None


# ---------------------------------------------------------------- truncated


@pytest.mark.parametrize(
    ("finish", "detail"),
    [
        ({2: "length"}, "turn 3 (client) was cut at the token limit"),
        ({5: "length"}, "turn 6 (counselor) was cut at the token limit"),
        ({1: "length", 4: "length"}, "turn 2 (counselor) was cut at the token limit"),
    ],
    ids=["client", "last-counselor", "first-of-two"],
)
def test_truncated_rejects(finish: dict[int, str | None], detail: str) -> None:
    d = dialogue(messages=with_finish(finish))
    assert truncated(d, RULES) == Reason(name="truncated", detail=detail)


@pytest.mark.parametrize(
    "finish",
    [{}, {0: None, 3: None}, {5: "abort"}],
    ids=["all-stop", "unknown-none", "other-reason"],
)
def test_truncated_passes(finish: dict[int, str | None]) -> None:
    assert truncated(dialogue(messages=with_finish(finish)), RULES) is None


# ---------------------------------------------------------------- check


def several_defects() -> Dialogue:
    return dialogue(
        messages=[
            Message(role="client", content=""),
            Message(role="counselor", content="Sure.\nClient: ok then"),
            Message(role="client", content="Next week on [insert date] works."),
            Message(role="counselor", content="Let us look at the", finish_reason="length"),
            Message(role="client", content="Okay, I will try that."),
        ]
    )


def test_check_returns_every_reason_in_filters_order() -> None:
    assert check(several_defects(), list(FILTERS), RULES) == [
        Reason(name="turn_count", detail="5 turns, expected 6"),
        Reason(name="empty_utterance", detail="turn 1 (client) has 0 words, fewer than 2"),
        Reason(name="role_flip", detail="turn 2 (counselor) speaks as 'client'"),
        Reason(name="template_remnant", detail="turn 3 (client) contains '[insert date]'"),
        Reason(name="truncated", detail="turn 4 (counselor) was cut at the token limit"),
    ]


def test_check_runs_only_the_enabled_filters() -> None:
    assert check(several_defects(), ["role_flip", "truncated"], RULES) == [
        Reason(name="role_flip", detail="turn 2 (counselor) speaks as 'client'"),
        Reason(name="truncated", detail="turn 4 (counselor) was cut at the token limit"),
    ]
    assert check(several_defects(), [], RULES) == []


def test_check_passes_a_clean_six_turn_dialogue_and_does_not_touch_it() -> None:
    d = dialogue(messages=with_finish({}))
    before = d.model_copy(deep=True)
    assert check(d, list(FILTERS), Rules(turns=6)) == []
    assert d == before
    assert d.reasons == []
