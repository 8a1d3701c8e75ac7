"""Protocols as data: length rules, the end marker, the hidden plan, and what each role sees."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from healme_synth import pipeline
from healme_synth.backends.scripted import ScriptedBackend
from healme_synth.config import RoleSection, load_pipeline
from healme_synth.errors import ConfigError
from healme_synth.prompts import Prompts
from healme_synth.records import CBT_TECHNIQUES, CounselingReport, Dialogue, Questionnaire
from healme_synth.roleplay import converse, plan_sessions, request
from healme_synth.roleplay.protocols import (
    Protocol,
    available_protocols,
    load_protocol,
    strip_end_marker,
)
from tests.conftest import ROOT, scripted_config
from tests.helpers import persona

PROMPTS = Prompts(ROOT / "prompts")
ROLES = {r: RoleSection(model="script") for r in ("counselor", "client")}


def cactus(min_turns: int | None = None, max_turns: int | None = None) -> Protocol:
    return load_protocol(PROMPTS.root, "cactus").with_turns(min_turns, max_turns)


def new_dialogue(protocol: str = "cactus", dialogue_id: str = "d1", **fields: object) -> Dialogue:
    seed = persona(intake_form="Priya, 29, junior accountant. Came in after a mistake at work.")
    if fields:
        seed = seed.model_copy(update=fields)
    return Dialogue(id=dialogue_id, protocol=protocol, persona=seed, run_seed=3)


def test_the_four_protocols_ship_and_load() -> None:
    assert available_protocols(PROMPTS.root) == ["cactus", "healme", "report", "sqpsych"]
    lengths = {
        n: (p.min_turns, p.max_turns, p.end_marker, p.ender)
        for n in available_protocols(PROMPTS.root)
        for p in [load_protocol(PROMPTS.root, n)]
    }
    assert lengths == {
        "cactus": (16, 30, "[/END]", "client"),
        "healme": (6, 6, None, "client"),
        "report": (8, 16, "[/END]", "counselor"),
        "sqpsych": (15, 30, "[/END]", "counselor"),
    }
    assert load_protocol(PROMPTS.root, "sqpsych").word_budget == {"client": 128, "counselor": 64}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"turns": {"min": 4, "max": 8}}, "give exactly one of `rounds` (fixed length) or `turns`"),
        ({"rounds": None}, "give exactly one of `rounds` (fixed length) or `turns`"),
        (
            {"end_marker": "[/END]"},
            "a fixed-length protocol (`rounds`) cannot have an `end_marker`",
        ),
        (
            {"rounds": None, "turns": {"min": 4, "max": 8}},
            "a variable-length protocol (`turns`) needs an `end_marker`",
        ),
        (
            {"rounds": None, "turns": {"min": 9, "max": 8}, "end_marker": "[/END]"},
            "turns.min 9 is above turns.max 8",
        ),
        ({"planning": {}}, "`planning` needs templates.planner and templates.planner_system"),
        ({"requires": ["hobbies"]}, "`requires.0`: Input should be 'situation', 'intake_form'"),
    ],
)
def test_a_protocol_file_that_contradicts_itself_is_refused(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    data = yaml.safe_load((PROMPTS.root / "healme" / "protocol.yaml").read_text())
    data.update(change)
    (tmp_path / "healme").mkdir()
    (tmp_path / "healme" / "protocol.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as e:
        load_protocol(tmp_path, "healme")
    assert str(e.value).startswith(f"{tmp_path / 'healme' / 'protocol.yaml'}: ")
    assert message in str(e.value)


def test_pipeline_turn_bounds_override_the_protocol_without_contradiction() -> None:
    assert (cactus(6, 10).min_turns, cactus(6, 10).max_turns) == (6, 10)
    assert (cactus(None, 20).min_turns, cactus(None, 20).max_turns) == (16, 20)
    with pytest.raises(ConfigError) as e:
        cactus(None, 12)
    assert str(e.value) == (
        "session: min_turns 16 is above max_turns 12 (protocol 'cactus' allows 16-30); a session "
        "cannot be required to run longer than it may."
    )
    with pytest.raises(ConfigError, match=r"protocol 'healme' has a fixed length \(3 rounds\)"):
        load_protocol(PROMPTS.root, "healme").with_turns(4, None)


@pytest.mark.parametrize(
    ("text", "ends", "expected"),
    [
        ("Thank you, bye. [/END]", True, ("Thank you, bye.", True)),
        ("Thank you. [/END] And one more thing", True, ("Thank you.", True)),
        ("[/END]", True, ("", True)),
        ("Wait, [/END] I have more to say.", False, ("Wait, I have more to say.", True)),
        ("Goodbye [/END]", False, ("Goodbye", True)),
        ("Line one.\nLine two.", True, ("Line one.\nLine two.", False)),
    ],
)
def test_strip_end_marker(text: str, ends: bool, expected: tuple[str, bool]) -> None:
    assert strip_end_marker(text, "[/END]", ends) == expected


def play(protocol: Protocol, client: list[str], counselor: list[str], n: int = 1) -> list[Dialogue]:
    backend = ScriptedBackend({"client": client, "counselor": counselor})
    dialogues = [new_dialogue(dialogue_id=f"d{i}") for i in range(n)]
    converse(dialogues, protocol, PROMPTS, {"client": backend, "counselor": backend}, ROLES)
    return dialogues


def test_a_marker_before_the_minimum_is_removed_and_the_session_goes_on() -> None:
    [d] = play(
        cactus(6, 12),
        client=[
            "I made a mistake.",
            "Fine, bye [/END]",
            "Maybe it was one slip.",
            "Thanks. [/END]",
        ],
        counselor=["Hello, what brings you in?", "Tell me more.", "What else could it mean?"],
    )
    assert [m.role for m in d.messages] == ["counselor", "client"] * 4
    assert [m.content for m in d.messages if m.role == "client"] == [
        "I made a mistake.",
        "Fine, bye",
        "Maybe it was one slip.",
        "Thanks.",
    ]
    assert d.end_marker_at == 7
    assert not any("[/END]" in m.content for m in d.messages)


def test_a_session_without_a_marker_stops_at_the_maximum() -> None:
    [d] = play(cactus(4, 7), client=["Still stuck."], counselor=["Go on."])
    assert len(d.messages) == 7
    assert d.end_marker_at is None


def test_only_the_ending_role_may_end_and_a_bare_marker_is_not_stored() -> None:
    # Cactus: the counselor's marker is removed; the client's bare marker ends the session.
    [d] = play(cactus(6, 12), client=["Hmm.", "[/END]"], counselor=["Hello. [/END]", "Go on."])
    assert [m.content for m in d.messages] == [
        "Hello.",
        "Hmm.",
        "Go on.",
        "",
        "Hello.",
        "Hmm.",
        "Go on.",
    ]
    # The bare marker at turn 4 (the 4th utterance, before the minimum) left an empty turn
    # behind; the one at the 8th utterance ended the session and was not stored.
    assert d.end_marker_at == 7
    assert len(d.messages) == 7


def test_dialogues_of_one_batch_end_independently() -> None:
    backend = ScriptedBackend(
        {"client": ["One.", "Two.", "Done. [/END]", "Four."], "counselor": ["Go on."]}
    )
    a, b = new_dialogue(dialogue_id="a"), new_dialogue(dialogue_id="b")
    converse([a, b], cactus(4, 10), PROMPTS, {"client": backend, "counselor": backend}, ROLES)
    # Scripted replies are handed out in call order: a gets One./Done., b Two./Four./One./Two./
    # Done.: each ends at its own turn and the other goes on.
    assert (a.end_marker_at, len(a.messages)) == (3, 4)
    assert (b.end_marker_at, len(b.messages)) == (9, 10)


def test_the_hidden_plan_reaches_the_counselor_only() -> None:
    protocol = cactus(4, 6)
    d = new_dialogue()
    planner = ScriptedBackend()
    plan_sessions([d], protocol, PROMPTS, planner, RoleSection(model="script"))
    assert d.technique in CBT_TECHNIQUES and d.plan is not None and len(d.plan) >= 40
    [(_, params)] = planner.calls
    assert params.role == "planner" and params.max_tokens == 320
    backend = ScriptedBackend({"client": ["It went wrong.", "Maybe. [/END]"]})
    converse([d], protocol, PROMPTS, {"client": backend, "counselor": backend}, ROLES)
    client_calls = [m for m, p in backend.calls if p.role == "client"]
    counselor_calls = [m for m, p in backend.calls if p.role == "counselor"]
    assert client_calls and counselor_calls
    for messages in client_calls:
        text = json.dumps(messages)
        assert d.plan not in text and d.technique not in text
    for messages in counselor_calls:
        assert d.plan in messages[0]["content"] and d.technique in messages[0]["content"]


def test_a_prescribed_technique_is_kept_and_a_bad_plan_rejects_the_dialogue() -> None:
    protocol = cactus()
    prescribed = new_dialogue(dialogue_id="a", technique="Behavior Experiment")
    plan_sessions([prescribed], protocol, PROMPTS, ScriptedBackend(), RoleSection(model="s"))
    assert prescribed.technique == "Behavior Experiment"
    replies = [
        "not json",
        json.dumps({"technique": "Hypnosis", "plan": "x" * 50}),
        json.dumps({"technique": "Reality Testing", "plan": "too short"}),
    ]
    bad = [new_dialogue(dialogue_id=f"b{i}") for i in range(3)]
    plan_sessions(
        bad, protocol, PROMPTS, ScriptedBackend({"planner": replies}), RoleSection(model="s")
    )
    assert [[(r.name, r.detail) for r in d.reasons] for d in bad] == [
        [("plan_missing", "the planner reply did not parse")],
        [
            (
                "plan_missing",
                "the planner chose 'Hypnosis' with a 50-character plan (expected one of "
                + ", ".join(CBT_TECHNIQUES)
                + " and 40-900 characters)",
            )
        ],
        [
            (
                "plan_missing",
                "the planner chose 'Reality Testing' with a 9-character plan (expected "
                "one of " + ", ".join(CBT_TECHNIQUES) + " and 40-900 characters)",
            )
        ],
    ]
    assert all(d.plan is None for d in bad)


def test_receptivity_and_attitude_shape_the_client_prompt() -> None:
    protocol = cactus()
    d = new_dialogue(receptivity=1, attitude="negative")
    d.plan, d.technique = "A plan.", "Reality Testing"
    d.messages = []
    system = request(_after_counselor(d), "client", 1, protocol, PROMPTS)[0]["content"]
    assert "How fast you change your mind: very slowly." in system
    assert "you did not really want to come" in system
    plain = _after_counselor(new_dialogue())
    assert (
        "How fast you change your mind"
        not in request(plain, "client", 1, protocol, PROMPTS)[0]["content"]
    )


def _after_counselor(d: Dialogue) -> Dialogue:
    from healme_synth.records import Message

    d.messages = [Message(role="counselor", content="Hello, what brings you in?")]
    return d


def test_sqpsych_client_speaks_from_symptom_statements_the_therapist_never_sees() -> None:
    protocol = load_protocol(PROMPTS.root, "sqpsych")
    d = new_dialogue(
        "sqpsych",
        questionnaires=[Questionnaire(instrument="phq9", answers=[2, 0, 3, 0, 0, 0, 0, 0, 0])],
    )
    d = _after_counselor(d)
    client = request(d, "client", 1, protocol, PROMPTS)[0]["content"]
    assert "- More than half the days, things I used to like haven't felt worth doing." in client
    assert (
        "- Nearly every night my sleep is off: I can't sleep, or I can't stop sleeping." in client
    )
    assert "at most 128 words per reply" in client
    d.messages = []
    counselor = request(d, "counselor", 0, protocol, PROMPTS)
    assert "things I used to like" not in json.dumps(counselor)
    assert "at most 64 words per reply" in counselor[0]["content"]
    assert counselor[1] == {
        "role": "user",
        "content": "(Your client has just arrived. Greet them and ask how their mood has been "
        "this week.)",
    }


def test_report_roles_see_their_own_parts_of_the_report() -> None:
    protocol = load_protocol(PROMPTS.root, "report")
    report = CounselingReport(
        case_brief="A nurse on night shifts.",
        presenting_issue="Cannot sleep after shifts.",
        process="Explored the thought that rest is lazy; listed evidence.",
        outcome="Agreed to a wind-down routine.",
    )
    d = new_dialogue("report", report=report)
    client = request(d, "client", 0, protocol, PROMPTS)
    assert "A nurse on night shifts." in client[0]["content"]
    assert "wind-down" not in json.dumps(client)  # the outcome is the counselor's to reach
    from healme_synth.records import Message

    d.messages = [Message(role="client", content="I can't sleep.")]
    counselor = request(d, "counselor", 1, protocol, PROMPTS)[0]["content"]
    assert "Outcome: Agreed to a wind-down routine." in counselor


# --- end to end with the scripted backend: each protocol's own rules hold in the shards ---

INTAKE = (
    "Personal information: a 34-year-old accountant who lives alone and works long hours. "
    "Presenting problem: harsh self-criticism after small mistakes at work, with poor sleep. "
    "Reason for seeking counseling: a friend suggested it after a difficult month at work. "
    "Past history: no earlier counseling. Social support: one close friend and a sister."
)
SESSIONS = {
    "cactus": {
        "seeds": {"files": [str(ROOT / "personas" / "bank.yaml")], "expand_intake": True},
        "sampler": {
            "count": 6,
            "weights": {"technique": {t: 1 for t in CBT_TECHNIQUES[:3]}, "receptivity": {"2": 1}},
        },
        "session": {"min_turns": 6, "max_turns": 10},
        "client": [
            "I keep replaying the mistake at work.",
            "Maybe it was one slip, not the whole story.",
            "Thank you, this helped me a lot. [/END]",
            "My manager did say the rest looked fine.",
            "I suppose new people make errors too.",
        ],
        "counselor": [
            "Hello, what brings you in today?",
            "What went through your mind right then?",
            "How strongly do you believe that now?",
            "What would you tell a friend in your place?",
            "Which small step could you try this week?",
        ],
    },
    "sqpsych": {
        "seeds": {"files": [str(ROOT / "personas" / "bank.yaml")]},
        "sampler": {"count": 6, "weights": {"phq9": {"mild": 1, "severe": 1}}},
        "session": {"min_turns": 6, "max_turns": 12},
        "client": [
            "My mood has been low most days.",
            "Work is the main thing, mostly deadlines.",
            "I could try a short walk after lunch.",
            "Sleep has been patchy since the move.",
            "That plan sounds doable to me.",
        ],
        "counselor": [
            "How has your mood been this week?",
            "What shall we focus on today?",
            "What goes through your mind at those times?",
            "Let us agree one small step for the week.",
            "How did today's session feel? Take care. [/END]",
        ],
    },
    "report": {
        "seeds": {"files": [str(ROOT / "personas" / "reports.yaml")]},
        "session": {"min_turns": 4, "max_turns": 8},
        "client": [
            "I have been struggling with this for weeks.",
            "That makes some sense to me, actually.",
            "I had not thought of it that way before.",
            "I can try that before our next meeting.",
            "My sister said something similar once.",
        ],
        "counselor": [
            "Tell me what happened, in your own words.",
            "What might another reading of it be?",
            "Shall we pick one step to try? See you next week. [/END]",
            "How does that idea sit with you?",
            "What did you notice about your thoughts then?",
        ],
    },
    "healme": {
        "seeds": {"files": [str(ROOT / "personas" / "bank.yaml")], "sample": 6},
        "client": ["I failed the report.", "Maybe I was rushed.", "I can check it tomorrow."],
        "counselor": ["What happened?", "What else could it mean?", "Well done; try it."],
    },
}


@pytest.mark.parametrize("name", sorted(SESSIONS))
def test_each_protocol_runs_end_to_end_and_keeps_its_own_rules(
    name: str, tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    spec = SESSIONS[name]
    replies = {
        "client": spec["client"],
        "counselor": spec["counselor"],
        "intake": [INTAKE],
        "uptake": ['{"first_accepted": 2}'],
    }
    config = scripted_config(
        protocol=name,
        seeds=spec["seeds"],
        models={"script": {"backend": "scripted", "replies": replies}},
    )
    for key in ("sampler", "session"):
        if key in spec:
            config[key] = spec[key]
    p = pipeline.plan(load_pipeline(write_pipeline(config)))
    manifest = pipeline.run(p, tmp_path / "run")
    rows = [
        r
        for f in sorted((tmp_path / "run").rglob("*.parquet"))
        for r in pq.read_table(f).to_pylist()
    ]
    protocol = p.protocol
    assert manifest.protocol == name and len(rows) == 6
    for row in rows:
        roles = [t["role"] for t in row["turns"]]
        second = "client" if protocol.opener == "counselor" else "counselor"
        assert roles == [protocol.opener if i % 2 == 0 else second for i in range(len(roles))]
        assert protocol.min_turns <= len(roles) <= protocol.max_turns
        if protocol.rounds is not None:
            assert len(roles) == 2 * protocol.rounds and row["end_marker_at"] is None
        else:
            assert not any(protocol.end_marker in t["content"] for t in row["turns"])
            # Ended at the marker of the role that may end it, at or after the minimum, or ran
            # to the maximum.
            if row["end_marker_at"] is None:
                assert len(roles) == protocol.max_turns
            else:
                assert row["end_marker_at"] + 1 >= protocol.min_turns
                assert row["end_marker_at"] in (len(roles) - 1, len(roles))
                assert roles[row["end_marker_at"] - (row["end_marker_at"] == len(roles))] in (
                    protocol.ender,
                    second if protocol.ender == protocol.opener else protocol.opener,
                )
        if not row["reasons"]:
            assert row["first_reframe_turn"] == [i for i, r in enumerate(roles) if r == "client"][1]
    if name == "cactus":
        assert {r["cbt_technique"] for r in rows} == set(CBT_TECHNIQUES[:3])
        assert all(r["intake_form"] == INTAKE and len(r["cbt_plan"]) >= 40 for r in rows)
        assert manifest.distribution is not None
        assert manifest.distribution["technique"]["sampled"] == {
            t: 0.3333 for t in CBT_TECHNIQUES[:3]
        }
    if name == "sqpsych":
        assert (
            sorted(r["questionnaires"][0]["severity"] for r in rows)
            == ["mild"] * 3 + ["severe"] * 3
        )
        assert {r["condition"] for r in rows} <= {"mdd", "control", "mdd+gad", "gad"}
    if name == "report":
        assert all(r["report"]["outcome"] for r in rows)
    assert manifest.counts.kept > 0, manifest.counts.by_reason
    if protocol.end_marker:
        assert any(r["end_marker_at"] is not None for r in rows)
    assert manifest.uptake is not None and manifest.uptake["mean_turn"] is not None


def test_the_hidden_plan_never_reaches_the_client_in_a_run(
    write_pipeline: Callable[..., Path],
) -> None:
    spec = SESSIONS["cactus"]
    config = scripted_config(
        protocol="cactus",
        seeds=spec["seeds"],
        sampler=spec["sampler"],
        session=spec["session"],
        models={"script": {"backend": "scripted", "replies": {"intake": [INTAKE]}}},
    )
    p = pipeline.plan(load_pipeline(write_pipeline(config)))
    calls = pipeline.render_calls(p, p.sample[0].id)
    [planner] = [m for role, m in calls if role == "planner"]
    assert "Choose the one CBT technique" in planner[1]["content"]
    counselor = [m for role, m in calls if role == "counselor"]
    plan = counselor[0][0]["content"].split(
        "Your plan for this session (the client has not seen it):\n"
    )[1]
    plan = plan.split("\n")[0]
    assert len(plan) >= 40
    for role, messages in calls:
        if role == "client":
            assert plan not in json.dumps(messages)


def test_a_protocol_whose_seeds_lack_a_required_field_is_refused_before_the_run(
    write_pipeline: Callable[..., Path],
) -> None:
    config = scripted_config(protocol="cactus")
    with pytest.raises(ConfigError) as e:
        pipeline.plan(load_pipeline(write_pipeline(config)))
    assert (
        "protocol 'cactus' needs `intake_form` on every seed, but 6 of 6 sampled personas lack it "
        "(e.g. hm-011, hm-013, hm-041); set seeds.expand_intake: true to have the client model "
        "write them, or use seeds with intake forms (e.g. a Cactus import)."
    ) in str(e.value)
