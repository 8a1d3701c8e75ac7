from __future__ import annotations

import pytest

from healme_synth.backends.scripted import ScriptedBackend
from healme_synth.config import RoleSection
from healme_synth.prompts import Prompts
from healme_synth.records import Dialogue, Message, Persona
from healme_synth.roleplay import converse, request
from healme_synth.roleplay.protocols import load_protocol
from healme_synth.seeds.bank import load_personas
from tests.conftest import ROOT

PROMPTS = Prompts(ROOT / "prompts")
HEALME = load_protocol(PROMPTS.root, "healme")
BANK = load_personas([ROOT / "personas" / "bank.yaml"])
ROLES = {r: RoleSection(model="script") for r in ("counselor", "client")}


def persona() -> Persona:
    return BANK[0]


def dialogue(*contents: str, dialogue_id: str = "d1") -> Dialogue:
    roles = ["client", "counselor"]
    return Dialogue(
        id=dialogue_id,
        protocol="healme",
        persona=persona(),
        run_seed=1,
        messages=[Message(role=roles[i % 2], content=c) for i, c in enumerate(contents)],  # type: ignore[arg-type]
    )


def test_converse_runs_three_rounds_with_one_call_per_turn_over_the_batch() -> None:
    backend = ScriptedBackend({"client": ["c1", "c2", "c3"], "counselor": ["k1", "k2", "k3"]})
    dialogues = [dialogue(dialogue_id=f"d{i}") for i in range(3)]
    turns: list[tuple[int, int]] = []
    converse(
        dialogues,
        HEALME,
        PROMPTS,
        {"client": backend, "counselor": backend},
        ROLES,
        on_turn=lambda n, tokens: turns.append((n, tokens)),
    )
    assert len(backend.calls) == 18
    assert turns == [(3, 3)] * 6
    # Replies are handed out in call order and cycled, so dialogue i always gets reply i.
    for i, d in enumerate(dialogues):
        assert [(m.role, m.content) for m in d.messages] == [
            ("client", f"c{i + 1}"),
            ("counselor", f"k{i + 1}"),
        ] * 3
    roles_per_call = [p.role for _, p in backend.calls]
    assert (
        roles_per_call
        == ["client"] * 3
        + ["counselor"] * 3
        + ["client"] * 3
        + ["counselor"] * 3
        + ["client"] * 3
        + ["counselor"] * 3
    )
    for d in dialogues:
        assert [m.role for m in d.messages] == ["client", "counselor"] * 3
        assert all(m.finish_reason == "stop" for m in d.messages)


def test_roles_never_see_each_others_instructions_or_hidden_fields() -> None:
    backend = ScriptedBackend()
    d = dialogue()
    converse([d], HEALME, PROMPTS, {"client": backend, "counselor": backend}, ROLES)
    p = d.persona
    counselor_system = PROMPTS.render(
        "healme/counselor_system.j2", persona=p.model_dump(), protocol="healme", rounds=3
    )
    for messages, params in backend.calls:
        text = "\n".join(m["content"] for m in messages)
        if params.role == "counselor":
            # The counselor learns about the client only from what the client says.
            for hidden in (p.situation, p.thought, p.attitude, *p.thinking_traps):
                assert hidden.replace("_", " ") not in text.replace(counselor_system, "")
            assert messages[0]["content"] == counselor_system
        else:
            assert counselor_system not in text
            assert "exchange 1 of 3" not in text  # the counselor's round guidance


def test_requests_keep_the_system_prompt_stable_across_turns() -> None:
    d = dialogue("I failed.", "That sounds hard.", "It is.")
    first = request(dialogue("I failed."), "counselor", 1, HEALME, PROMPTS)
    later = request(d, "counselor", 3, HEALME, PROMPTS)
    assert first[0] == later[0]
    assert later[-1]["content"].startswith("It is.\n\n(Your reply now, exchange 2 of 3")
    # The note the counselor answered at turn 1 stays where it was given.
    assert later[1] == first[1]
    assert later[1]["content"].startswith("I failed.\n\n(Your reply now, exchange 1 of 3")


@pytest.mark.parametrize("name", ["healme", "cactus", "sqpsych"])
def test_each_request_begins_with_the_speakers_previous_request_and_reply(name: str) -> None:
    """What makes multi-turn cheap: the prefix cache serves all but the newest turn."""
    protocol = load_protocol(PROMPTS.root, name)
    backend = ScriptedBackend()
    d = dialogue(dialogue_id="p1").model_copy(update={"protocol": name})
    converse([d], protocol, PROMPTS, {"client": backend, "counselor": backend}, ROLES)
    for role in ("client", "counselor"):
        asked = [messages for messages, params in backend.calls if params.role == role]
        replies = [m.content for m in d.messages if m.role == role]
        assert len(asked) == len(replies) >= 2
        for before, reply, after in zip(asked, replies, asked[1:], strict=False):
            assert after[: len(before)] == before
            assert after[len(before)] == {"role": "assistant", "content": reply}
            assert after[len(before) + 1]["role"] == "user"
            assert len(after) == len(before) + 2


def test_a_dialogue_gets_the_same_replies_alone_or_in_any_batch() -> None:
    alone, batched = dialogue(dialogue_id="x"), dialogue(dialogue_id="x")
    others = [dialogue(dialogue_id=f"o{i}") for i in range(5)]
    b1, b2 = ScriptedBackend(), ScriptedBackend()
    converse([alone], HEALME, PROMPTS, {"client": b1, "counselor": b1}, ROLES)
    converse(
        others[:2] + [batched] + others[2:], HEALME, PROMPTS, {"client": b2, "counselor": b2}, ROLES
    )
    assert alone.messages == batched.messages
    assert len({m.content for m in alone.messages}) == 6
