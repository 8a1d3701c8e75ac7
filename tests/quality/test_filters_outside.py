"""Table tests for what issue 18 found the filters missing on outside material (HealMe's
released table, Cactus's openings, an independent defect corpus): the exact Reason each shape
gives, and the near-misses that must pass."""

from __future__ import annotations

import pytest

from healme_synth.config import FiltersSection
from healme_synth.quality.filters import (
    Rules,
    language_drift,
    mojibake,
    off_topic,
    prompt_leak,
    repetition,
    role_flip,
    role_inversion,
    stage_direction,
    template_remnant,
)
from healme_synth.records import Reason
from tests.helpers import CLEAN_TURNS, dialogue, persona, replace_turn

RULES = Rules(turns=6)


def appended(index: int, text: str) -> list[tuple[str, str]]:
    """CLEAN_TURNS with `text` after turn `index`'s own."""
    return replace_turn(index, f"{CLEAN_TURNS[index][1]} {text}")


# ---------------------------------------------------------------- role_inversion


@pytest.mark.parametrize(
    ("index", "text", "said"),
    [
        (
            2,
            "Let's employ the cognitive restructuring technique here.",
            "Let's employ the cognitive restructuring technique",
        ),
        (4, "So, how are you feeling today?", "how are you feeling today?"),
        (0, "What has been on your mind this week?", "What has been on your mind"),
        (2, "How can I help you today?", "How can I help you today?"),
        (4, "Is there anything else I can do for you?", "Is there anything else I can do for you"),
        (2, "It sounds like you're dealing with a lot.", "It sounds like you're dealing with"),
        (4, "I'm here for you, whatever you need.", "I'm here for you"),
        (2, "Feel free to tell me more about it.", "Feel free to tell me"),
        (0, "What brings you in today?", "What brings you in"),
        (4, "Can you identify the thinking trap in that?", "Can you identify the thinking trap"),
        (2, "I'd like you to imagine a friend in my place.", "I'd like you to imagine"),
        (4, "Thank you for opening up with me.", "Thank you for opening up with me"),
    ],  # fmt: skip
)
def test_role_inversion_rejects_the_client_talking_as_the_counselor(
    index: int, text: str, said: str
) -> None:
    assert role_inversion(dialogue(appended(index, text)), RULES) == Reason(
        name="role_inversion",
        detail=f"turn {index + 1} (client) speaks as the counselor: {said!r}",
    )


@pytest.mark.parametrize(
    ("index", "text"),
    [
        (2, "My old therapist used cognitive restructuring with me, it never stuck."),
        (2, "Let's try the exercise you mentioned last time."),
        (2, "Let's use the technique you showed me, then."),
        (4, "Have you ever felt like that yourself?"),
        (4, "How do you think I should tell her?"),
        (2, "My boss asked how I was feeling and I said fine."),
        (4, "Thanks for sharing that perspective."),
        (0, "I'm here to get help, not to be judged."),
        (4, "What evidence do you have that this even works?"),
        (2, "Is this what you'd call catastrophizing?"),
        # The counselor saying it is the counselor's job.
        (1, "How are you feeling today?"),
        (3, "It sounds like you're carrying a lot."),
    ],
)
def test_role_inversion_passes(index: int, text: str) -> None:
    assert role_inversion(dialogue(appended(index, text)), RULES) is None


# ---------------------------------------------------------------- mojibake


@pytest.mark.parametrize(
    ("index", "text", "span"),
    [
        (0, "I donâ€™t get it.", "donâ€™t g"),
        (1, "That's a lot â€” take your time.", "ot â€” ta"),
        (2, "We met at the cafÃ© after work.", "cafÃ© af"),
        (3, "You said â€œfailureâ€\ufffd.", "id â€œfai"),
        (4, "It cost Â£30.", "st Â£30."),
        (5, "Try it \ufffd once.", "it \ufffd on"),
        (2, "A stray\u0085control character.", "ray\u0085con"),
    ],
)
def test_mojibake_rejects_broken_encoding(index: int, text: str, span: str) -> None:
    role = CLEAN_TURNS[index][0]
    assert mojibake(dialogue(appended(index, text)), RULES) == Reason(
        name="mojibake", detail=f"turn {index + 1} ({role}) has broken encoding: {span!r}"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Zoë, José, Søren and Małgorzata were there.",
        "São Paulo, naïve, façade, Ångström, Straße, İstanbul, Nguyễn.",
        "It cost £30 at 30°C — “fine”, they said… ½ of it.",
        "ÀÉÎÕÜ in capitals, and Äpfel, Öl, Übel.",
        "A tab\tand a\nline break are fine.",
        "Emoji are fine too 🙂",
    ],
)
def test_mojibake_passes(text: str) -> None:
    assert mojibake(dialogue(appended(2, text)), RULES) is None


# ---------------------------------------------------------------- template_remnant (more shapes)


@pytest.mark.parametrize(
    ("index", "text", "slot"),
    [
        (1, "Thanks, <client_name>.", "<client_name>"),
        (3, "Think of <situation_description>.", "<situation_description>"),
        (5, "See you on <DATE>.", "<DATE>"),
        (1, "Hello CLIENT_NAME, welcome.", "CLIENT_NAME"),
        (3, "Go back to specific_situation.", "specific_situation"),
        (2, "It's about negative_thought again.", "negative_thought"),
        (5, "Rate ___ from 0 to 10.", "___"),
        (1, "Welcome, [CLIENT_NAME].", "[CLIENT_NAME]"),
        (3, "Let's say [PLACEHOLDER] for now.", "[PLACEHOLDER]"),
        (1, "(insert name here), that's hard.", "(insert name here)"),
    ],
)
def test_template_remnant_rejects_more_slot_shapes(index: int, text: str, slot: str) -> None:
    role = CLEAN_TURNS[index][0]
    assert template_remnant(dialogue(appended(index, text)), RULES) == Reason(
        name="template_remnant", detail=f"turn {index + 1} ({role}) contains {slot!r}"
    )


@pytest.mark.parametrize(
    "text",
    [
        "I saved it as report_final_v2.xlsx, as if that helps.",
        "The variable user_name was the bug in my script.",
        "My handle is quiet_owl_88 online.",
        "Email me at first_name@example.com, they said.",
        "It said <b>URGENT</b> and <em>now</em>.",
        "I love it <3 honestly.",
        "I was SO angry, like ALL CAPS angry [LOL].",
        "A snake_case word from work, nothing more.",
        "Before:\n___\nAfter.",  # a rule drawn across, not a blank
        "I used `client_name` in the code review.",
    ],
)
def test_template_remnant_passes_code_like_text(text: str) -> None:
    assert template_remnant(dialogue(appended(2, text)), RULES) is None


# ---------------------------------------------------------------- stage_direction (steps)


@pytest.mark.parametrize(
    ("index", "content", "remnant"),
    [
        (1, "(Step 1) What happened exactly?", "(Step 1)"),
        (3, "Good. (Jump to step 2.)", "(Jump to step 2.)"),
        (
            3,
            "Follow your treatment steps: list two other readings.",
            "Follow your treatment steps:",
        ),
        (5, "**Step 3: Encourage action**\nYou did well.", "**Step 3: Encourage action**"),
        (5, "Well done. [Round 3]", "[Round 3]"),
        (3, "## Step 2: Alternatives\nWhat else could it be?", "## Step 2: Alternatives"),
        (1, "(End of step one) Let's move on.", "(End of step one)"),
        (2, "(Step 2 - brainstorm) Maybe he was busy.", "(Step 2 - brainstorm)"),
    ],  # fmt: skip
)
def test_stage_direction_rejects_step_remnants(index: int, content: str, remnant: str) -> None:
    role = CLEAN_TURNS[index][0]
    assert stage_direction(dialogue(replace_turn(index, content)), RULES) == Reason(
        name="stage_direction",
        detail=f"turn {index + 1} ({role}) has the step remnant {remnant!r}",
    )


@pytest.mark.parametrize(
    "content",
    [
        "Step 1: write the thought down. Step 2: read it tomorrow.",
        "Follow these steps: breathe in, hold, breathe out.",
        "We can go one step at a time (step one: just open the email).",
        'I wrote "(see step 2)" on a note and lost it.',
        "I tried to follow your steps: I wrote the facts down.",
        "My recipe said (step 3) to let it rest.",
        "There were 12 slides (I counted).",
    ],
)
def test_stage_direction_passes_steps_in_speech(content: str) -> None:
    assert stage_direction(dialogue(replace_turn(3, content)), RULES) is None


# ---------------------------------------------------------------- prompt_leak (more shapes)


@pytest.mark.parametrize(
    ("index", "content", "found"),
    [
        (0, "I'm just an AI language model, but I'd feel bad.", "I'm just an AI language model"),
        (2, "I am only an AI assistant, so I can't relate.", "I am only an AI assistant"),
        (4, "As an AI, I don't have a manager.", "As an AI"),
        (2, "I don't have feelings like humans do.", "I don't have feelings like humans do"),
        (
            1,
            "Sure! Here is the counselor's response: that sounds hard.",
            "Here is the counselor's response",
        ),
        (0, "As the client, I would say it hurt.", "As the client, I would"),
        (3, "I can't continue this role-play, sorry.", "I can't continue this role-play"),
        (5, "I'm sorry, but I cannot fulfill this request.", "fulfill this request"),
        (2, "Staying in character, I'd shrug.", "Staying in character"),
        (1, "(Note: this response keeps a warm tone.) What happened?", "(Note: this response"),
    ],  # fmt: skip
)
def test_prompt_leak_rejects_disclaimers_and_meta_replies(
    index: int, content: str, found: str
) -> None:
    role = CLEAN_TURNS[index][0]
    assert prompt_leak(dialogue(replace_turn(index, content)), RULES) == Reason(
        name="prompt_leak", detail=f"turn {index + 1} ({role}) contains {found!r}"
    )


@pytest.mark.parametrize(
    ("index", "content", "label"),
    [
        (1, "Psychologist: What happened next?", "psychologist"),
        (3, "Doctor: Let's look at it.", "doctor"),
        (2, "Patient: I guess so.", "patient"),
        (4, "Paciente: Sí, tal vez.", "paciente"),
    ],
)
def test_prompt_leak_rejects_more_own_labels(index: int, content: str, label: str) -> None:
    role = CLEAN_TURNS[index][0]
    assert prompt_leak(dialogue(replace_turn(index, content)), RULES) == Reason(
        name="prompt_leak", detail=f"turn {index + 1} ({role}) starts a line with its own label "
        f"{label!r}",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("index", "content"),
    [
        (1, "How can I help you today?"),
        (1, "Hi, thanks for coming in. How can I assist you today?"),
        (1, "Welcome back. How may I help you this week?"),
        (2, "I'm an AI researcher, so I overthink everything."),
        (2, "I don't have feelings for him anymore, like at all."),
        (1, "Let's do a short role-play: you're you, I'm your boss."),
        (4, "Since the breakup I feel like I'm not a real person anymore."),
    ],
)
def test_prompt_leak_passes_greetings_and_human_talk(index: int, content: str) -> None:
    assert prompt_leak(dialogue(replace_turn(index, content)), RULES) is None


# ---------------------------------------------------------------- role_flip (more labels)


@pytest.mark.parametrize(
    ("index", "text", "label"),
    [
        (2, "\nPsychologist: And then?", "psychologist"),
        (4, "\nTerapeuta: Entiendo.", "terapeuta"),
        (1, "\nPaciente: Sí.", "paciente"),
        (2, "\nPsychiatrist: Go on.", "psychiatrist"),
        (3, "\nHuman: ok", "human"),
        (4, "\nCounsellor: What else?", "counsellor"),
        (0, "\nThérapeute : Et ensuite ?", "thérapeute"),
        (5, "\nKlient: Ja.", "klient"),
    ],
)
def test_role_flip_rejects_more_labels(index: int, text: str, label: str) -> None:
    role = CLEAN_TURNS[index][0]
    assert role_flip(dialogue(appended(index, text)), RULES) == Reason(
        name="role_flip", detail=f"turn {index + 1} ({role}) speaks as {label!r}"
    )


@pytest.mark.parametrize(
    ("index", "content"),
    [
        (2, "My psychologist: she says the same."),
        (1, "Psychologists: they all say that, I know."),
        (2, "I told the doctor. Humans: we're all like that."),
    ],
)
def test_role_flip_passes_labels_in_speech(index: int, content: str) -> None:
    assert role_flip(dialogue(replace_turn(index, content)), RULES) is None


# ---------------------------------------------------------------- language_drift (lingua)

SPANISH = (
    "Entiendo que esto te duele mucho. Vamos a separar lo que pasó de lo que te dijiste a ti "
    "misma después. ¿Qué ocurrió exactamente?"
)


def test_a_spanish_counselor_turn_in_an_english_dialogue_is_language_drift() -> None:
    reason = language_drift(dialogue(replace_turn(1, SPANISH)), RULES)
    assert reason == Reason(
        name="language_drift",
        detail="turn 2 (counselor) reads as Spanish, expected English (lingua confidence "
        "0.00 over 21 words)",
    )


@pytest.mark.parametrize(
    ("index", "content", "read"),
    [
        (
            2,
            "Je ne sais pas, j'ai l'impression que tout le monde me juge depuis cette erreur.",
            "French",
        ),
        (
            4,
            "Vielleicht hatte sie einfach einen schlechten Tag und es hatte nichts mit mir zu tun.",
            "German",
        ),
        (
            5,
            "Capisco quanto sia pesante per te, proviamo a guardare i fatti uno alla volta.",
            "Italian",
        ),
    ],  # fmt: skip
)
def test_language_drift_reads_other_latin_languages(index: int, content: str, read: str) -> None:
    reason = language_drift(dialogue(replace_turn(index, content)), RULES)
    assert reason is not None and reason.name == "language_drift"
    assert f"reads as {read}, expected English" in reason.detail


@pytest.mark.parametrize(
    "text",
    [
        "My cousin Guadalupe always says I worry too much, and maybe she has a point.",
        "Søren and Małgorzata were both at the meeting, and neither of them mentioned my error.",
        "My grandmother used to say que será, será, whenever plans fell apart on us.",
        "He shrugged and said c'est la vie, but I couldn't let it go all weekend long.",
        "I said gracias to the waiter in my best accent and then felt silly all evening.",
        "Mañana, I kept telling myself, mañana I'll deal with it, and now it's due.",
        "ok so basically i dunno, like, i messed up again lol and now everyone thinks im useless",
        "No sé.",  # too short to identify: the script check only
    ],
)
def test_language_drift_passes_english_with_foreign_names_and_phrases(text: str) -> None:
    assert language_drift(dialogue(appended(2, text)), RULES) is None


def test_language_drift_identifies_only_long_enough_utterances() -> None:
    short = "Vamos a ver qué pasó exactamente, ¿vale?"  # 6 lower-case words
    assert language_drift(dialogue(replace_turn(1, short)), RULES) is None
    tuned = Rules(turns=6, filters=FiltersSection(language_min_words=5))
    # Below 10 words lingua's trigram mode guesses wildly (this one reads as Yoruba): drift
    # still, but the language named is not to be trusted.
    reason = language_drift(dialogue(replace_turn(1, short)), tuned)
    assert reason is not None and reason.name == "language_drift"


def test_language_drift_checks_a_spanish_dialogue_against_spanish() -> None:
    spanish = Rules(turns=6, filters=FiltersSection(language="es"))
    turns = [(role, SPANISH) for role, _ in CLEAN_TURNS]
    assert language_drift(dialogue(turns), spanish) is None
    reason = language_drift(dialogue(CLEAN_TURNS), spanish)
    assert reason is not None and reason.detail.startswith(
        "turn 1 (client) reads as English, expected Spanish"
    )


# ---------------------------------------------------------------- repetition (topic phrases)


def test_a_topic_phrase_said_on_purpose_is_not_a_loop() -> None:
    text = (
        "Everyone says having one child is selfish. My mother says having one child means he "
        "will be lonely, my aunt calls having one child a waste, and tonight I watched him play "
        "alone and thought that having one child was a mistake."
    )
    assert repetition(dialogue(replace_turn(2, text)), RULES) is None
    # Not in the seed either: spaced out, a repeated phrase is how people talk.
    d = dialogue(replace_turn(2, text), persona=persona(thought="I am a bad parent."))
    assert repetition(d, RULES) is None


def test_a_phrase_said_back_to_back_is_still_a_loop() -> None:
    text = "I feel like I feel like I feel like I feel like nothing works."
    assert repetition(dialogue(replace_turn(2, text)), RULES) == Reason(
        name="repetition", detail="turn 3 (client) loops on 'i feel like i' (3 times)"
    )


# ---------------------------------------------------------------- off_topic

ON = Rules(turns=6, filters=FiltersSection(enabled=["off_topic"]))
TRAVEL = "My son is travelling through Portugal and sends photos of beaches and churches every day."
INTERVIEW = "He has an interview at a bank when he gets back, and he hates wearing suits."


def test_off_topic_rejects_client_turns_about_something_else() -> None:
    turns = replace_turn(2, TRAVEL)
    turns[4] = ("client", INTERVIEW)
    assert off_topic(dialogue(turns), ON) == Reason(
        name="off_topic",
        detail="2 of 3 client turns share no word with the seed (turns 3, 5), more than 50%",
    )


def test_off_topic_rejects_a_counselor_who_never_addresses_the_seed() -> None:
    turns = list(CLEAN_TURNS)
    for i, text in ((1, "Any weekend plans?"), (3, "What music do you like?"), (5, "Bye now.")):
        turns[i] = ("counselor", text)
    assert off_topic(dialogue(turns), ON) == Reason(
        name="off_topic",
        detail="the counselor never addresses the seed: 0 of its words are the seed's or the "
        "client's words for it, fewer than 2",
    )


def test_off_topic_passes_on_topic_dialogues_and_one_digression() -> None:
    assert off_topic(dialogue(), ON) is None
    assert off_topic(dialogue(replace_turn(4, TRAVEL)), ON) is None  # one of three
    # Too little text to judge, or nothing to compare with.
    assert off_topic(dialogue(replace_turn(4, "Maybe.")), ON) is None
    assert off_topic(dialogue(persona=persona(thought="Bad.", situation=None)), ON) is None
    # English only.
    other = Rules(turns=6, filters=FiltersSection(language="fr"))
    assert off_topic(dialogue(replace_turn(2, TRAVEL)), other) is None


def test_off_topic_is_not_run_unless_enabled() -> None:
    assert "off_topic" not in FiltersSection().enabled
