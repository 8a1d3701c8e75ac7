"""Table tests for every rule filter: the exact Reason each defect gives, and near-misses that
must pass."""

from __future__ import annotations

import dataclasses
from typing import get_args

import pytest
from pydantic import ValidationError

from bench.filters import evaluate, healme_rules, load_corpus, second_corpus
from healme_synth.config import FilterName, FiltersSection
from healme_synth.config.filters import OFF_BY_DEFAULT
from healme_synth.quality.filters import (
    FILTERS,
    Rules,
    check,
    echo,
    empty_utterance,
    end_marker,
    language_drift,
    monologue,
    overlong_utterance,
    premature_close,
    prompt_leak,
    repetition,
    role_flip,
    rules_for,
    seed_leak,
    stage_direction,
    template_remnant,
    truncated,
    turn_count,
)
from healme_synth.records import Dialogue, Message, Reason
from healme_synth.roleplay import load_protocol
from tests.conftest import ROOT
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
    assert FiltersSection().enabled == [n for n in FILTERS if n not in OFF_BY_DEFAULT]


def test_rules_defaults_are_the_pipeline_defaults() -> None:
    """A run that sets nothing under `filters:` checks what Rules(turns=...) checks."""
    rules = Rules(turns=6)
    assert rules.filters == FiltersSection()
    assert rules.min_turns == 6  # the section's null min_turns: the protocol's turns
    assert rules.max_words_of("counselor") is None
    assert rules.max_words_of("client") is None


def test_rules_hold_no_threshold_of_their_own() -> None:
    """Every threshold is declared once, in FiltersSection; Rules adds only the protocol's shape
    and the instruction texts."""
    names = {f.name for f in dataclasses.fields(Rules)}
    assert names == {
        "turns",
        "filters",
        "fixed_length",
        "end_marker",
        "protocol_min_turns",
        "word_budget",
        "instructions",
    }
    assert not names & set(FiltersSection.model_fields)


def test_a_filters_section_threshold_reaches_the_filters_through_rules_for() -> None:
    healme = load_protocol(ROOT / "prompts", "healme")
    rules = rules_for(FiltersSection(max_words=15), healme, instructions=())
    assert overlong_utterance(dialogue(replace_turn(1, words(16))), rules) == Reason(
        name="overlong_utterance", detail="turn 2 (counselor) has 16 words, more than 15"
    )
    assert overlong_utterance(dialogue(replace_turn(1, words(15))), rules) is None
    assert (rules.turns, rules.fixed_length, rules.min_turns) == (6, True, 6)


def test_rules_for_falls_back_to_the_protocol_and_the_section_overrides_it() -> None:
    """min_turns and the word budgets: the section's when set, else the protocol's."""
    sqpsych = load_protocol(ROOT / "prompts", "sqpsych")
    rules = rules_for(FiltersSection(), sqpsych, instructions=())
    assert (rules.turns, rules.fixed_length, rules.end_marker) == (30, False, "[/END]")
    assert (rules.min_turns, rules.max_words_of("counselor"), rules.max_words_of("client")) == (
        15,
        64,
        128,
    )
    assert monologue(dialogue(replace_turn(1, words(65))), rules) == Reason(
        name="monologue", detail="turn 2 (counselor) has 65 words, over the counselor budget of 64"
    )
    tuned = rules_for(FiltersSection(min_turns=4, counselor_max_words=70), sqpsych, instructions=())
    assert (tuned.min_turns, tuned.max_words_of("counselor")) == (4, 70)
    assert monologue(dialogue(replace_turn(1, words(65))), tuned) is None


def test_an_unknown_language_is_a_config_error() -> None:
    with pytest.raises(ValidationError, match="filters.language is 'english'"):
        FiltersSection(language="english")
    assert FiltersSection(language="ru").language == "ru"


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
            Rules(turns=6, filters=FiltersSection(min_words=5)),
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
        (replace_turn(2, "Okay."), Rules(turns=6, filters=FiltersSection(min_words=1))),
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
            Rules(turns=6, filters=FiltersSection(max_words=15)),
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
        (replace_turn(1, words(400)), Rules(turns=6, filters=FiltersSection(max_words=400))),
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


@pytest.mark.parametrize(
    ("index", "content", "detail"),
    [
        # Speaking for the other party mid-line, after a finished sentence.
        (1, "That sounds hard. Client: Yes, it is.", "turn 2 (counselor) speaks as 'client'"),
        (5, "Well done! Priya: thank you.", "turn 6 (counselor) speaks as 'priya'"),
        (2, "Sure. Counselor (gently): Let us look.", "turn 3 (client) speaks as 'counselor'"),
        (4, "I will try.  **Therapist:** good.", "turn 5 (client) speaks as 'therapist'"),
        # A parenthetical before the colon, and a bracketed label, at a line start.
        (1, "Good.\nClient (sighing): fine.", "turn 2 (counselor) speaks as 'client'"),
        (3, "[Client] I suppose so.", "turn 4 (counselor) speaks as 'client'"),
        (0, "(Therapist) How are you?", "turn 1 (client) speaks as 'therapist'"),
    ],
)
def test_role_flip_rejects_speaking_for_the_other_party(
    index: int, content: str, detail: str
) -> None:
    assert role_flip(dialogue(replace_turn(index, content)), RULES) == Reason(
        name="role_flip", detail=detail
    )


@pytest.mark.parametrize(
    ("index", "content"),
    [
        (1, "Think about it. Clients: many feel this way."),
        (1, "I asked my own supervisor. Doctor: no, just a colleague."),  # not a client label
        (1, "What would you tell yourself (client or not): that matters."),
        (1, "Bring your [client] file next time."),
        (3, "So the facts are clear: the client, you, made one slip."),
        (2, "My therapist said: take it slowly."),
    ],
)
def test_role_flip_passes_near_misses_of_speaking_for_the_other(index: int, content: str) -> None:
    assert role_flip(dialogue(replace_turn(index, content)), RULES) is None


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
        (
            1,
            "When you think about [specific situation], what comes up?",
            "turn 2 (counselor) contains '[specific situation]'",
        ),
        (5, "Try [coping strategy] tonight.", "turn 6 (counselor) contains '[coping strategy]'"),
        (0, "My friend [name of friend] says so.", "turn 1 (client) contains '[name of friend]'"),
        # The regex takes any single identifier in braces for a slot, math-looking or not.
        (2, "It is like {x} for me.", "turn 3 (client) contains '{x}'"),
    ],
)
def test_template_remnant_rejects(index: int, content: str, detail: str) -> None:
    assert template_remnant(dialogue(replace_turn(index, content)), RULES) == Reason(
        name="template_remnant", detail=detail
    )


def test_template_remnant_reports_the_first_turn() -> None:
    turns = replace_turn(5, "[insert date]")
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
        "That is all for today. [/END]",  # the end marker is end_marker's business now
        "It was the [best] day and the [worst] situation of my life.",
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


@pytest.mark.parametrize(
    ("index", "content", "detail"),
    [
        (
            2,
            "I put a number in the wrong",
            "turn 3 (client) ends mid-sentence: 'number in the wrong'",
        ),
        (
            5,
            "Could you double-check one sheet tomorrow, and",
            "turn 6 (counselor) ends mid-sentence: 'one sheet tomorrow, and'",
        ),
        (1, "Here is a step:", "turn 2 (counselor) ends mid-sentence: 'Here is a step:'"),
        (
            4,
            "Maybe I am new, still learning,",
            "turn 5 (client) ends mid-sentence: 'am new, still learning,'",
        ),
    ],
)
def test_truncated_rejects_a_turn_ending_mid_sentence_without_a_finish_reason(
    index: int, content: str, detail: str
) -> None:
    # dialogue() leaves finish_reason unset, as in an imported file.
    assert truncated(dialogue(replace_turn(index, content)), RULES) == Reason(
        name="truncated", detail=detail
    )


@pytest.mark.parametrize(
    "content",
    [
        "Thanks, I will try that 🙂",
        'He said "try again."',
        "I just—",
        "Maybe... I don't know...",
        "(I will try.)",
        "Okay!",
        "Is that right?",
        "I will, promise…",
    ],
)
def test_truncated_passes_turns_that_end_a_sentence(content: str) -> None:
    assert truncated(dialogue(replace_turn(2, content)), RULES) is None


def test_truncated_trusts_the_engine_when_it_stopped() -> None:
    messages = with_finish({})
    messages[3] = Message(role="counselor", content="Let us look at the", finish_reason="stop")
    assert truncated(dialogue(messages=messages), RULES) is None


# ---------------------------------------------------------------- end_marker

WITH_END = Rules(turns=6, end_marker="[/END]")


@pytest.mark.parametrize(
    ("index", "content", "rules", "detail"),
    [
        (
            5,
            "That is all for today. [/END]",
            RULES,
            "turn 6 (counselor) has '[/END]' but this protocol has no end marker",
        ),
        (
            5,
            "That is all for today. [END]",
            RULES,
            "turn 6 (counselor) has '[END]' but this protocol has no end marker",
        ),
        (
            0,
            "I feel bad [/END]",
            RULES,
            "turn 1 (client) has '[/END]' but this protocol has no end marker",
        ),
        (
            1,
            "Fine. </END>",
            RULES,
            "turn 2 (counselor) has '</END>' but this protocol has no end marker",
        ),
        (3, "Good. [/END]", WITH_END, "turn 4 (counselor) has '[/END]' before the end"),
        (5, "[/END] That is all.", WITH_END, "turn 6 (counselor) has '[/END]' before the end"),
        (5, "Bye. [/END] [/END]", WITH_END, "turn 6 (counselor) has '[/END]' before the end"),
        (
            5,
            "Bye. [END]",
            WITH_END,
            "turn 6 (counselor) has '[END]' (this protocol ends with '[/END]')",
        ),
        (
            2,
            "<<END>> I see.",
            Rules(turns=6, end_marker="<<END>>"),
            "turn 3 (client) has '<<END>>' before the end",
        ),
    ],
)
def test_end_marker_rejects(index: int, content: str, rules: Rules, detail: str) -> None:
    assert end_marker(dialogue(replace_turn(index, content)), rules) == Reason(
        name="end_marker", detail=detail
    )


@pytest.mark.parametrize(
    ("index", "content", "rules"),
    [
        (5, "That is all for today. [/END]", WITH_END),
        (5, "Take care. [/END]  \n", WITH_END),
        (5, "See you. <<END>>", Rules(turns=6, end_marker="<<END>>")),
        (2, "That was the end of the story [end of story].", RULES),
        (2, "In the end, it worked out. We can end here.", RULES),
        (2, "The [ENDING] of the film was sad.", RULES),
    ],
)
def test_end_marker_passes(index: int, content: str, rules: Rules) -> None:
    assert end_marker(dialogue(replace_turn(index, content)), rules) is None


# ---------------------------------------------------------------- stage_direction


@pytest.mark.parametrize(
    ("index", "content", "detail"),
    [
        (
            1,
            "(pauses) That sounds painful.",
            "turn 2 (counselor) has the stage direction '(pauses)'",
        ),
        (0, "*sighs* I messed up.", "turn 1 (client) has the stage direction '*sighs*'"),
        (2, "[Keep silent]", "turn 3 (client) has the stage direction '[Keep silent]'"),
        (
            3,
            "(smiles warmly) What else could it mean?",
            "turn 4 (counselor) has the stage direction '(smiles warmly)'",
        ),
        (
            4,
            "Maybe. *takes a deep breath* Maybe I am still learning.",
            "turn 5 (client) has the stage direction '*takes a deep breath*'",
        ),
        (
            5,
            "[The counselor nods slowly.] Well done.",
            "turn 6 (counselor) has the stage direction '[The counselor nods slowly.]'",
        ),
        (
            2,
            "(Priya looks down) I put a number in the wrong column.",
            "turn 3 (client) has the stage direction '(Priya looks down)'",
        ),
        (4, "[laughs] I guess so.", "turn 5 (client) has the stage direction '[laughs]'"),
        (
            1,
            "(long pause) What happened?",
            "turn 2 (counselor) has the stage direction '(long pause)'",
        ),
        (
            3,
            "(softly) What else could it mean?",
            "turn 4 (counselor) has the stage direction '(softly)'",
        ),
        (
            2,
            "(quietly, looking away) It was my fault.",
            "turn 3 (client) has the stage direction '(quietly, looking away)'",
        ),
        (
            2,
            "[Client remains silent]",
            "turn 3 (client) has the stage direction '[Client remains silent]'",
        ),
        # Meta-comments standing between sentences (seen in SmolLM2-135M output).
        (
            1,
            "I am sorry. (Echoed) And sometimes it helps.",
            "turn 2 (counselor) has the stage direction '(Echoed)'",
        ),
        (5, "(To add) Keep going.", "turn 6 (counselor) has the stage direction '(To add)'"),
        (
            3,
            "That is hard. (Removing any label) What else could it mean?",
            "turn 4 (counselor) has the stage direction '(Removing any label)'",
        ),
        (
            2,
            "[Long silence] I put it in the wrong column.",
            "turn 3 (client) has the stage direction '[Long silence]'",
        ),
    ],
)
def test_stage_direction_rejects(index: int, content: str, detail: str) -> None:
    assert stage_direction(dialogue(replace_turn(index, content)), RULES) == Reason(
        name="stage_direction", detail=detail
    )


@pytest.mark.parametrize(
    "content",
    [
        "It happens at work (for example, at the quarterly close).",
        "I paused before answering, and then it was too late.",
        "Let's pause here for a moment. What do you notice?",
        "I *really* tried.",
        "I checked again (looking back, it was one cell).",
        "It was fine (and I mean this).",
        "Rate it (1-10) if you like.",
        "Those are rare (quiet weeks are rare at work).",
        "It looks bad (looks like rain all week, too).",
        "She said it (she offered anyway).",
        "I keep silent in meetings now.",
        "**Client:** is not a stage direction, even in bold.",
        "It was fine. (Mostly fine.) Then I went home.",  # a sentence of its own inside
        "Think about it. (I mean it) Then tell me.",  # the speaker's own aside
        "See the list. [1] Then the next one.",  # a footnote
        "I passed, barely (by two points).",
    ],
)
def test_stage_direction_passes(content: str) -> None:
    assert stage_direction(dialogue(replace_turn(2, content)), RULES) is None


# ---------------------------------------------------------------- language_drift


@pytest.mark.parametrize(
    ("index", "content", "rules", "detail"),
    [
        (
            1,
            "That sounds painful. 我知道这很难。",
            RULES,
            "turn 2 (counselor) has 6 of 23 letters in Han script, expected Latin",
        ),
        (
            2,
            "Я понимаю. I put it wrong.",
            RULES,
            "turn 3 (client) has 8 of 19 letters in Cyrillic script, expected Latin",
        ),
        (
            4,
            "Maybe. それは大変でした。",
            RULES,
            "turn 5 (client) has 8 of 13 letters in Hiragana script, expected Latin",
        ),
        (
            0,
            "I messed up the quarterly report and I feel like an idiot.",
            Rules(turns=6, filters=FiltersSection(language="ru")),
            "turn 1 (client) has 46 of 46 letters in Latin script, expected Cyrillic",
        ),
    ],
)
def test_language_drift_rejects(index: int, content: str, rules: Rules, detail: str) -> None:
    assert language_drift(dialogue(replace_turn(index, content)), rules) == Reason(
        name="language_drift", detail=detail
    )


@pytest.mark.parametrize(
    ("content", "rules"),
    [
        ("Zoë and José said it was fine, naïve of me.", RULES),
        ("It cost €200 and it was 30°C outside.", RULES),
        ("Thanks 🙂👍", RULES),
        ("The π thing again, and then Ω.", RULES),  # two stray letters
        ("Straße, İstanbul, Łódź, Nguyễn: all Latin.", RULES),
        ("Да, okay then.", RULES),  # fewer than three foreign letters
        # Five of 408 letters, under 2% (and the rest reads as English).
        ("I keep going over it in my head all day. " * 12 + "Ωμέγα.", RULES),
        ("Я понимаю, это тяжело.", Rules(turns=6, filters=FiltersSection(language="ru"))),
        ("いいえ、大丈夫です。", Rules(turns=6, filters=FiltersSection(language="ja"))),
    ],
)
def test_language_drift_passes(content: str, rules: Rules) -> None:
    turns = [(role, content) for role, _ in CLEAN_TURNS] if rules.filters.language != "en" else None
    d = dialogue(turns) if turns else dialogue(replace_turn(2, content))
    assert language_drift(d, rules) is None


# ---------------------------------------------------------------- repetition


@pytest.mark.parametrize(
    ("turns", "detail"),
    [
        (replace_turn(4, CLEAN_TURNS[2][1]), "turn 5 (client) repeats turn 3 word for word"),
        (
            replace_turn(
                5, "So one figure was misplaced and caught in time. What else could it mean now?"
            ),
            "turn 6 (counselor) repeats turn 4 (97% the same words)",
        ),
        (
            replace_turn(2, "I do not know what to do. I do not know what to do."),
            "turn 3 (client) says 'I do not know what to do.' twice",
        ),
        (
            replace_turn(0, "I feel like I feel like I feel like I feel like an idiot."),
            "turn 1 (client) loops on 'i feel like i' (3 times)",
        ),
        (
            replace_turn(3, "And that is okay, that is okay, that is okay, that is okay."),
            "turn 4 (counselor) loops on 'that is okay that' (3 times)",
        ),
    ],
)
def test_repetition_rejects(turns: list[tuple[str, str]], detail: str) -> None:
    assert repetition(dialogue(turns), RULES) == Reason(name="repetition", detail=detail)


def test_repetition_similarity_is_a_setting() -> None:
    # A retelling of turn 3 that shares 71% of its word sequence.
    turns = replace_turn(4, "I put a number in the wrong box and my boss saw it right away.")
    assert repetition(dialogue(turns), RULES) is None
    assert repetition(
        dialogue(turns), Rules(turns=6, filters=FiltersSection(repeat_similarity=0.7))
    ) == Reason(name="repetition", detail="turn 5 (client) repeats turn 3 (71% the same words)")


@pytest.mark.parametrize(
    "turns",
    [
        CLEAN_TURNS,
        # Short acknowledgements may recur.
        [
            CLEAN_TURNS[0],
            CLEAN_TURNS[1],
            ("client", "I do not know."),
            CLEAN_TURNS[3],
            ("client", "I do not know."),
            CLEAN_TURNS[5],
        ],
        replace_turn(2, "I feel like a failure, I feel like a fraud, and I feel like hiding."),
        replace_turn(2, "No, no, no. It was fine, really."),
        # The other role saying the same thing is echo's business, not repetition's.
        replace_turn(3, CLEAN_TURNS[2][1]),
    ],
    ids=["clean", "short-repeats", "phrase-thrice", "no-no-no", "other-role"],
)
def test_repetition_passes(turns: list[tuple[str, str]]) -> None:
    assert repetition(dialogue(turns), RULES) is None


# ---------------------------------------------------------------- echo


@pytest.mark.parametrize(
    ("turns", "detail"),
    [
        (
            replace_turn(2, CLEAN_TURNS[1][1]),
            "turn 3 (client) copies 12 of its 12 words from turn 2 (counselor)",
        ),
        (
            replace_turn(
                3,
                "You said: I put a number in the wrong column and my manager caught it. Is that "
                "right?",
            ),
            "turn 4 (counselor) copies 13 of its 18 words from turn 3 (client)",
        ),
        (
            replace_turn(
                1,
                "When you say 'I messed up the quarterly report and I feel like an idiot', I "
                "hear how much this hurts, and I want to understand what happened to you.",
            ),
            "turn 2 (counselor) copies 12 of its 30 words from turn 1 (client)",
        ),
        (
            replace_turn(4, "Hmm. What else could it mean?"),
            "turn 5 (client) copies 5 of its 6 words from turn 4 (counselor)",
        ),
    ],
)
def test_echo_rejects(turns: list[tuple[str, str]], detail: str) -> None:
    assert echo(dialogue(turns), RULES) == Reason(name="echo", detail=detail)


@pytest.mark.parametrize(
    "turns",
    [
        CLEAN_TURNS,
        replace_turn(
            3,
            "You called it 'the wrong column', and your manager caught it in time. What else "
            "could that mean about you?",
        ),
        replace_turn(
            1, "'An idiot' is a heavy word. What happened, and what did you tell yourself?"
        ),
        replace_turn(4, "What else? Maybe I am new."),  # a short quote of the question
        replace_turn(2, "Yes."),  # too short to judge
    ],
    ids=["clean", "quotes-a-phrase", "quotes-a-word", "short-quote", "short-turn"],
)
def test_echo_passes(turns: list[tuple[str, str]]) -> None:
    assert echo(dialogue(turns), RULES) is None


# ---------------------------------------------------------------- monologue


def speaker_words(counselor: int, client: int) -> list[tuple[str, str]]:
    return [(role, words(counselor if role == "counselor" else client)) for role, _ in CLEAN_TURNS]


@pytest.mark.parametrize(
    ("turns", "rules", "detail"),
    [
        (speaker_words(100, 5), RULES, "the counselor speaks 95% of the words, more than 80%"),
        (speaker_words(4, 80), RULES, "the client speaks 95% of the words, more than 80%"),
        (speaker_words(41, 10), RULES, "the counselor speaks 80% of the words, more than 80%"),
        (
            speaker_words(30, 20),
            Rules(turns=6, filters=FiltersSection(max_share=0.55)),
            "the counselor speaks 60% of the words, more than 55%",
        ),
        (
            CLEAN_TURNS,
            Rules(turns=6, filters=FiltersSection(counselor_max_words=10)),
            "turn 2 (counselor) has 12 words, over the counselor budget of 10",
        ),
        (
            CLEAN_TURNS,
            Rules(turns=6, filters=FiltersSection(client_max_words=12)),
            "turn 3 (client) has 13 words, over the client budget of 12",
        ),
    ],
)
def test_monologue_rejects(turns: list[tuple[str, str]], rules: Rules, detail: str) -> None:
    assert monologue(dialogue(turns), rules) == Reason(name="monologue", detail=detail)


@pytest.mark.parametrize(
    ("turns", "rules"),
    [
        (CLEAN_TURNS, RULES),
        (speaker_words(40, 10), RULES),  # exactly 80%
        (speaker_words(10, 1), RULES),  # too few words to call it a monologue
        (
            CLEAN_TURNS,
            Rules(turns=6, filters=FiltersSection(counselor_max_words=14, client_max_words=13)),
        ),
    ],
    ids=["clean", "at-share", "tiny", "within-budgets"],
)
def test_monologue_passes(turns: list[tuple[str, str]], rules: Rules) -> None:
    assert monologue(dialogue(turns), rules) is None


# ---------------------------------------------------------------- premature_close


@pytest.mark.parametrize(
    ("turns", "rules", "detail"),
    [
        (CLEAN_TURNS[:4], RULES, "ended after 4 turns, before the minimum of 6"),
        (
            CLEAN_TURNS,
            Rules(turns=20, filters=FiltersSection(min_turns=15)),
            "ended after 6 turns, before the minimum of 15",
        ),
        (
            replace_turn(1, "That sounds painful. Goodbye, Priya."),
            RULES,
            "turn 2 (counselor) closes the session ('Goodbye, Priya.') before turn 6",
        ),
        (
            replace_turn(3, "That is all for today, see you next week."),
            RULES,
            "turn 4 (counselor) closes the session ('That is all for today') before turn 6",
        ),
        (
            replace_turn(2, "I think we are out of time."),
            RULES,
            "turn 3 (client) closes the session ('we are out of time') before turn 6",
        ),
        (
            replace_turn(0, "Let us end the session here."),
            RULES,
            "turn 1 (client) closes the session ('Let us end the session') before turn 6",
        ),
        (
            replace_turn(1, "Until next time, take care."),
            Rules(turns=6, filters=FiltersSection(min_turns=4)),
            "turn 2 (counselor) closes the session ('Until next time') before turn 4",
        ),
    ],
)
def test_premature_close_rejects(turns: list[tuple[str, str]], rules: Rules, detail: str) -> None:
    assert premature_close(dialogue(turns), rules) == Reason(name="premature_close", detail=detail)


@pytest.mark.parametrize(
    ("turns", "rules"),
    [
        (CLEAN_TURNS, RULES),
        (replace_turn(5, "That is a kinder reading. Take care, and see you next week."), RULES),
        (replace_turn(4, "Thanks, that helps. Goodbye!"), RULES),  # the last round may close
        (replace_turn(0, "I said goodbye to my old team and cried in the car."), RULES),
        (replace_turn(2, "By the end of the week I was exhausted."), RULES),
        (replace_turn(1, "In the end, what happened? Let's stop for a second."), RULES),
        (replace_turn(1, "Thank you for coming in today. What happened?"), RULES),
        (
            replace_turn(2, "He shouted goodbye about five times, then my goodbye party began."),
            RULES,
        ),
        (replace_turn(2, "My physio session ended early because of a fire drill."), RULES),
        (CLEAN_TURNS[:5], Rules(turns=6, filters=FiltersSection(min_turns=4))),
    ],
    ids=[
        "clean",
        "last-turn",
        "last-round",
        "said-goodbye",
        "end-of-week",
        "in-the-end",
        "thanks-for-coming",
        "goodbye-as-a-noun",
        "other-session",
        "custom-minimum",
    ],
)
def test_premature_close_passes(turns: list[tuple[str, str]], rules: Rules) -> None:
    assert premature_close(dialogue(turns), rules) is None


# ---------------------------------------------------------------- prompt_leak

INSTRUCTED = Rules(
    turns=6,
    instructions=(
        "You are a warm counselor. Reflect the feeling you hear, then separate what happened "
        "from the thought.\nInvite the client to come up with other ways to read the same "
        "situation themselves, for example by asking what they would say to a friend in the "
        "same spot.",
        "Speak only as {{ persona.name }}, in the first person, in two to four sentences.",
    ),
)


@pytest.mark.parametrize(
    ("index", "content", "rules", "detail"),
    [
        (
            1,
            "As an AI language model, I cannot feel, but that sounds hard.",
            RULES,
            "turn 2 (counselor) contains 'As an AI language model'",
        ),
        (3, "As an AI, I think so.", RULES, "turn 4 (counselor) contains 'As an AI'"),
        (5, "I am an AI and cannot judge.", RULES, "turn 6 (counselor) contains 'I am an AI'"),
        (
            1,
            "As a language model I cannot say.",
            RULES,
            "turn 2 (counselor) contains 'As a language model'",
        ),
        (5, "Well done.<|im_end|>", RULES, "turn 6 (counselor) contains '<|im_end|>'"),
        (1, "[INST] be kind [/INST] That is hard.", RULES, "turn 2 (counselor) contains '[INST]'"),
        (
            3,
            "(Your reply now, exchange 2 of 3: ask.)",
            RULES,
            "turn 4 (counselor) contains 'exchange 2 of 3'",
        ),
        (
            2,
            "Please go ahead and respond to this request.",
            RULES,
            "turn 3 (client) contains 'respond to this request'",
        ),
        (
            1,
            "I'll try again in a more professional tone.",
            RULES,
            "turn 2 (counselor) contains 'in a more professional tone'",
        ),
        (
            5,
            "Here is a revised version of the reply.",
            RULES,
            "turn 6 (counselor) contains 'Here is a revised version'",
        ),
        (
            3,
            "Is there anything else I can help you with?",
            RULES,
            "turn 4 (counselor) contains 'Is there anything else I can help you with'",
        ),
        (
            3,
            "Counselor: What else could it mean?",
            RULES,
            "turn 4 (counselor) starts a line with its own label 'counselor'",
        ),
        (
            2,
            "Client: I put it in the wrong column.",
            RULES,
            "turn 3 (client) starts a line with its own label 'client'",
        ),
        (
            4,
            "Okay.\nPriya: maybe I am still learning.",
            RULES,
            "turn 5 (client) starts a line with its own label 'priya'",
        ),
        (
            1,
            "Reflect the feeling you hear, then separate what happened from the thought. Okay?",
            INSTRUCTED,
            "turn 2 (counselor) repeats instruction text "
            "'reflect the feeling you hear then separate what happened from the thought'",
        ),
        (
            2,
            "I will answer in the first person, in two to four sentences.",
            INSTRUCTED,
            "turn 3 (client) repeats instruction text "
            "'in the first person in two to four sentences'",
        ),
        (
            4,
            "Let me come up with other ways to read the same situation myself.",
            INSTRUCTED,
            "turn 5 (client) repeats instruction text "
            "'come up with other ways to read the same situation'",
        ),
    ],
)
def test_prompt_leak_rejects(index: int, content: str, rules: Rules, detail: str) -> None:
    assert prompt_leak(dialogue(replace_turn(index, content)), rules) == Reason(
        name="prompt_leak", detail=detail
    )


@pytest.mark.parametrize(
    ("index", "content"),
    [
        (0, "I work as an AI engineer, so precision matters."),
        (0, "I'm not an AI expert, but the tool said so."),
        (0, "My counselor: she said that too."),
        (0, "In round 2 of the interview they asked about it."),
        (2, "Counselor: let us look."),  # the other role's label is role_flip's business
        (1, "What would you say to a friend in the same spot?"),  # 8 words of the prompt
        (1, "Let's reflect on the feeling you have about what happened."),
        (3, "I am an assistant manager myself, so I know the feeling."),
        (0, "My manager asked me to respond to this email by Friday."),
        (0, "Here is a possible explanation: I was tired."),
        (1, "Can you say it to yourself in a more gentle tone?"),
    ],
)
def test_prompt_leak_passes(index: int, content: str) -> None:
    assert prompt_leak(dialogue(replace_turn(index, content)), INSTRUCTED) is None


def test_prompt_leak_takes_raw_templates() -> None:
    """Jinja tags break runs, so a variable never joins two pieces of fixed text."""
    rules = Rules(
        turns=6, instructions=("Speak as {{ persona.name }} now.\n{% if x %}ok{% endif %}",)
    )
    assert prompt_leak(dialogue(replace_turn(2, "Speak as Priya now, ok.")), rules) is None


# ---------------------------------------------------------------- seed_leak

SITUATION = (
    "During her first quarterly close, Priya entered a figure in the wrong column. Her manager "
    "caught it before the report went out and asked her to double-check the remaining sheets."
)


@pytest.mark.parametrize(
    ("turns", "seed", "rules", "detail"),
    [
        (
            replace_turn(
                0,
                "During her first quarterly close, Priya entered a figure in the wrong column. "
                "I feel awful.",
            ),
            {"situation": SITUATION},
            RULES,
            "turn 1 (client) copies 13 consecutive words of the persona's situation",
        ),
        (
            replace_turn(
                4,
                "My manager caught it before the report went out and asked her to double-check "
                "the remaining sheets.",
            ),
            {"situation": SITUATION},
            RULES,
            "turn 5 (client) copies 17 consecutive words of the persona's situation",
        ),
        (
            replace_turn(
                2, "Presenting problem: anxiety after an error at work in the first quarter."
            ),
            {
                "situation": None,
                "intake_form": "Name: Priya\nPresenting problem: anxiety after an error at work "
                "in the first quarter, with poor sleep.",
            },
            RULES,
            "turn 3 (client) copies 12 consecutive words of the persona's intake form",
        ),
        (
            replace_turn(2, "Her manager caught it, I mean."),
            {"situation": SITUATION},
            Rules(turns=6, filters=FiltersSection(seed_span=4)),
            "turn 3 (client) copies 4 consecutive words of the persona's situation",
        ),
    ],
)
def test_seed_leak_rejects(
    turns: list[tuple[str, str]], seed: dict[str, str | None], rules: Rules, detail: str
) -> None:
    d = dialogue(turns, persona=persona(**seed))
    assert seed_leak(d, rules) == Reason(name="seed_leak", detail=detail)


@pytest.mark.parametrize(
    ("turns", "seed"),
    [
        (CLEAN_TURNS, {"situation": SITUATION}),
        (
            replace_turn(
                0,
                "In my first quarterly close I put a figure in the wrong column, and my manager "
                "caught it before it went out.",
            ),
            {"situation": SITUATION},
        ),
        (
            # A HealMe client states its thought in turn 1, however long the thought is.
            replace_turn(
                0,
                "If I make one more mistake at work everyone will see I am a fraud and I will "
                "be fired.",
            ),
            {
                "situation": SITUATION,
                "thought": "If I make one more mistake at work everyone will see I am a fraud "
                "and I will be fired.",
            },
        ),
        (
            # The counselor is not checked: it never sees the persona.
            replace_turn(
                1,
                "During her first quarterly close, Priya entered a figure in the wrong column.",
            ),
            {"situation": SITUATION},
        ),
        (CLEAN_TURNS, {"situation": None}),
    ],
    ids=["clean", "paraphrase", "long-thought", "counselor", "no-situation"],
)
def test_seed_leak_passes(turns: list[tuple[str, str]], seed: dict[str, str | None]) -> None:
    assert seed_leak(dialogue(turns, persona=persona(**seed)), RULES) is None


# ---------------------------------------------------------------- the labelled corpus


def test_the_labelled_corpora_meet_the_recall_and_false_positive_targets() -> None:
    """Both corpora (the second holds issue 18's shapes and off_topic's labelled set), every
    filter running, off_topic too."""
    first, second = load_corpus(), second_corpus()
    labels = [label for label, _ in first + second]
    assert labels.count("clean") >= 250
    for name in FILTERS:
        assert labels.count(name) >= 10, name
    modes: set[str] = set()
    for corpus in (first, second):
        score = evaluate(corpus, healme_rules())
        modes |= set(score.modes)
        low = {m: score.recall(m) for m in score.modes if score.recall(m) < 0.95}
        # off_topic's lexical measure misses 2 of its 36 (bench/RESULTS.md): a seed word said
        # by chance in a drifting turn ("fixed" the boiler, a seed's "fix").
        assert low in ({}, {"off_topic": 34 / 36}), score.misses
        assert score.fp_rate <= 0.02, score.false_positives
    assert modes == set(FILTERS)


# ---------------------------------------------------------------- check


def several_defects() -> Dialogue:
    return dialogue(
        messages=[
            Message(role="client", content="", finish_reason="stop"),
            Message(role="counselor", content="Sure.\nClient: ok then", finish_reason="stop"),
            Message(
                role="client", content="Next week on [insert date] works.", finish_reason="stop"
            ),
            Message(role="counselor", content="Let us look at the", finish_reason="length"),
            Message(role="client", content="Okay, I will try that.", finish_reason="stop"),
        ]
    )


def test_check_returns_every_reason_in_filters_order() -> None:
    assert check(several_defects(), list(FILTERS), RULES) == [
        Reason(name="turn_count", detail="5 turns, expected 6"),
        Reason(name="empty_utterance", detail="turn 1 (client) has 0 words, fewer than 2"),
        Reason(name="role_flip", detail="turn 2 (counselor) speaks as 'client'"),
        Reason(name="template_remnant", detail="turn 3 (client) contains '[insert date]'"),
        Reason(name="truncated", detail="turn 4 (counselor) was cut at the token limit"),
        Reason(name="premature_close", detail="ended after 5 turns, before the minimum of 6"),
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
