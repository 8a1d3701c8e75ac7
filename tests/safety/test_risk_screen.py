"""The risk screen of client words (seeds/risk_screen.py + risk_rules.yaml): exact labels,
whose risk, triggers, negations and idioms, and the corpus targets of issue 16."""

from __future__ import annotations

import re

import pytest
import yaml

from bench.safety import CORPUS, TARGETS, load, screen_scores
from healme_synth.safety import risk
from healme_synth.seeds import risk_screen
from healme_synth.seeds.risk_screen import SELF, THIRD_PARTY

S, T = SELF, THIRD_PARTY


@pytest.mark.parametrize(
    ("text", "hits"),
    [
        ("I tried to kill myself last spring.", [("suicide_attempt", S)]),
        ("I wrote goodbye letters to everyone.", [("suicide_preparatory_behavior", S)]),
        ("I've been saving up pills in a jar.", [("suicide_preparatory_behavior", S)]),
        ("I've picked a date and a place.", [("suicide_plan", S)]),
        ("I keep thinking about killing myself.", [("active_suicidal_ideation", S)]),
        ("Honestly I feel suicidal.", [("active_suicidal_ideation", S)]),
        ("Everyone would be better off without me.", [("passive_suicidal_ideation", S)]),
        ("I wish someone would kill me.", [("passive_suicidal_ideation", S)]),
        ("Some nights I hope to not wake up.", [("passive_suicidal_ideation", S)]),
        ("I cut myself again last night.", [("self_harm_behavior", S)]),
        ("I have an urge to hurt myself.", [("self_harm_ideation", S)]),
        ("I'm going to hurt him tomorrow.", [("aggression_by_client", S)]),
        ("My husband hit me again.", [("aggression_toward_client", S)]),
        ("Which bridges are the tallest bridges here?", [("suicide_inquiry", S)]),
        ("What is a lethal dose of aspirin?", [("suicide_inquiry", S)]),
        (
            "I just lost my job. What are the bridges taller than 25 meters in NYC?",
            [("suicide_inquiry", S)],
        ),
        ("I know I'm actually dead and nobody will admit it.", [("delusion", S)]),
        ("My wife has been replaced by an impostor.", [("delusion", S)]),
        ("I haven't slept in three days and I feel amazing.", [("mania", S)]),
        ("The voices are telling me to hurt myself.", [("command_hallucination", S)]),
        ("Please tell me I definitely locked the door.", [("compulsion", S)]),
        # Someone else's risk is theirs, never the client's own.
        ("My sister tried to commit suicide.", [("suicide_attempt", T)]),
        ("My dad hits my mom when he's drunk.", [("aggression_toward_client", T)]),
        ("My cousin hears voices.", [("command_hallucination", T)]),
        ("My brother found out I tried to kill myself.", [("suicide_attempt", S)]),
        # Negations and idioms.
        ("I'm not suicidal, I'm fed up with my landlord.", []),
        ("I would never kill myself, I just feel stuck.", []),
        ("I never told anyone I tried to kill myself.", [("suicide_attempt", S)]),
        ("I can't stop thinking about killing myself.", [("active_suicidal_ideation", S)]),
        ("We finally set the date for the wedding.", []),
        ("I hurt myself at the gym.", []),
        ("I cut myself on purpose at the gym.", [("self_harm_behavior", S)]),
        ("I need to cut myself some slack.", []),
        ("I'm going to shoot my shot.", []),
        ("I wanted to die right there on the stage.", []),
        ("I messed up the report and my boss was annoyed.", []),
        ("This deadline is killing me.", []),
    ],
)
def test_the_screen_gives_exact_labels_and_whose_risk(
    text: str, hits: list[tuple[str, str]]
) -> None:
    assert [(h.label, h.subject) for h in risk_screen.screen_text(text)] == hits
    assert risk.screen(text) == [label for label, who in hits if who == S]


def test_each_hit_quotes_the_words_that_set_it_off() -> None:
    text = "I lost my job today. What are the bridges taller than 25 meters in NYC?"
    (hit,) = risk_screen.screen_text(text)
    assert hit.triggers == ("bridges taller than 25 meters",)
    (hit,) = risk_screen.screen_text("Honestly, I just want to unalive myself.")
    assert hit.label == "active_suicidal_ideation"
    assert any("unalive myself" in t for t in hit.triggers)
    # Curly quotes are read as straight ones; the trigger keeps the client's spelling.
    (hit,) = risk_screen.screen_text("I don’t want to live anymore.")
    assert hit.triggers == ("don’t want to live",)


@pytest.mark.parametrize(
    "thought",
    [
        "Someone please kill me",
        "I feel like I need to die to be happy",
        "I want to shoot myself",
        "im ready to die",
        "I have suicidal thoughts every day",
        "I wish I could just not wake up",
    ],
)
def test_the_reframing_datasets_plain_crisis_thoughts_are_found(thought: str) -> None:
    assert risk.screen(thought), thought


def test_the_corpus_covers_every_category_in_both_forms_and_enough_idioms() -> None:
    items = load(CORPUS, "disclosures.yaml")
    assert len(items) >= 200
    own = {(i["category"], i["form"]) for i in items if i.get("subject", S) == S}
    for label in risk_screen.LABELS:
        assert (label, "plain") in own and (label, "indirect") in own, label
    assert sum(i.get("subject") == T for i in items) >= 15
    assert len(load(CORPUS, "idioms.yaml")) >= 60
    texts = [i["text"] for i in items] + load(CORPUS, "idioms.yaml")
    assert len(texts) == len(set(texts)), "a line appears twice"


def test_the_corpus_meets_the_targets_of_issue_16() -> None:
    score = screen_scores()
    assert score.rate("plain") >= TARGETS["plain"]
    assert score.rate("indirect") >= TARGETS["indirect"]
    n, alarms, _ = score.idioms
    assert alarms / n <= TARGETS["idioms"]
    items, found, given_to_client = score.third
    assert given_to_client == 0 and found == items


def test_the_rules_file_names_only_known_labels_and_compiles() -> None:
    data = yaml.safe_load(risk_screen.RULES_FILE.read_text(encoding="utf-8"))
    assert set(data["labels"]) == set(risk_screen.LABELS)
    assert not re.search(r"%[A-Z_]+%", str(risk_screen.macros()))
    assert len(risk_screen._rules().rules) > 100
