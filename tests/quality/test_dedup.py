"""Near-duplicate removal: planted paraphrases collapse to their original, distinct dialogues are
all kept, the per-persona cap holds, and the knobs are honored. Exact reasons throughout."""

from __future__ import annotations

import random
import re
from itertools import combinations

import pytest

from healme_synth.quality.dedup import NearDuplicates, shingles, signature
from healme_synth.records import Dialogue, Message, Persona, Reason, Role

# Sentence fragments of at most four words, so a five-word shingle always spans a fragment
# boundary: two dialogues share a shingle only where they happen to pick the same neighbours.
CLIENT_WHEN = (
    "Lately at work",
    "Since last spring",
    "Every single morning",
    "When my sister calls",
    "After the exam results",
    "At family dinners",
    "During team meetings",
    "On the bus home",
    "Whenever I check messages",
    "Since we moved house",
    "Before I fall asleep",
    "When my partner's late",
    "Walking into the gym",
    "In the group chat",
)
CLIENT_VOICE = (
    "I keep telling myself",
    "my mind insists",
    "I am convinced",
    "I quietly decide",
    "it feels obvious",
    "I cannot shake the idea",
    "part of me believes",
    "I start assuming",
    "I immediately conclude",
    "I honestly think",
    "a little voice says",
    "I just know",
    "something tells me",
)
CLIENT_THOUGHT = (
    "that everyone's disappointed",
    "nobody really wants me",
    "I will fail again",
    "this proves I'm useless",
    "things never get better",
    "I ruin every plan",
    "my friends secretly judge",
    "the worst will happen",
    "I should be stronger",
    "my effort means nothing",
    "people see through me",
    "it is my fault",
    "I am falling behind",
)
CLIENT_AFTER = (
    "and my chest tightens",
    "so I stay quiet",
    "and then I freeze",
    "so I cancel plans",
    "and I cry afterwards",
    "and sleep gets harder",
    "so I overprepare everything",
    "and I snap back",
    "so I avoid eye contact",
    "and my hands shake",
    "so I scroll for hours",
    "and I skip lunch",
)
COUNSELOR_OPEN = (
    "It sounds like",
    "I am hearing that",
    "From what you describe",
    "If I understand correctly",
    "So in those moments",
    "Thank you for saying that;",
    "Let me check that",
    "You are noticing that",
    "It seems that",
    "I wonder whether",
    "Correct me, but",
    "What strikes me is",
)
COUNSELOR_REFLECT = (
    "the thought arrives fast",
    "you carry heavy pressure",
    "one moment feels final",
    "your inner critic shouts",
    "fear steers your choices",
    "you expect the worst",
    "old rules still apply",
    "kindness goes to others",
    "tiredness colours everything",
    "a guess becomes fact",
    "mistakes feel like verdicts",
    "your body sounds alarms",
)
COUNSELOR_ASK = (
    "What evidence supports it?",
    "What would a friend say?",
    "How else could it look?",
    "What happened just before?",
    "Which part feels truest?",
    "What did you notice afterwards?",
    "Has it ever gone differently?",
    "What would you try tomorrow?",
    "How strongly do you believe it?",
    "Who else sees it that way?",
    "What do you need most?",
    "Where do you feel it?",
)

TURNS = 16
PERSONAS = 10
DISTINCT = 40
PLANTED = (3, 7, 11, 16, 22, 28, 33, 39)
"""Dialogues that get a paraphrase-level duplicate."""


def persona(i: int) -> Persona:
    return Persona(id=f"p-{i:02d}", thought=f"Thought number {i}.", attitude="neutral")


def client_sentence(rng: random.Random) -> str:
    return " ".join(
        rng.choice(pool) for pool in (CLIENT_WHEN, CLIENT_VOICE, CLIENT_THOUGHT, CLIENT_AFTER)
    ) + rng.choice(".!")


def counselor_turn(rng: random.Random) -> str:
    return (
        f"{rng.choice(COUNSELOR_OPEN)} {rng.choice(COUNSELOR_REFLECT)}. "
        f"{rng.choice(COUNSELOR_ASK)} {rng.choice(COUNSELOR_ASK)}"
    )


def make_dialogue(i: int, rng: random.Random) -> Dialogue:
    messages = []
    for t in range(TURNS):
        if t % 2 == 0:
            text = " ".join(client_sentence(rng) for _ in range(3 + t % 4 // 2))
            messages.append(Message(role="client", content=text))
        else:
            messages.append(Message(role="counselor", content=counselor_turn(rng)))
    return Dialogue(
        id=f"d-{i:02d}",
        protocol="healme",
        persona=persona(i % PERSONAS),
        run_seed=7,
        messages=messages,
    )


def with_turns(d: Dialogue, dialogue_id: str, texts: list[str]) -> Dialogue:
    messages = [m.model_copy(update={"content": t}) for m, t in zip(d.messages, texts, strict=True)]
    return d.model_copy(update={"id": dialogue_id, "messages": messages})


def paraphrase(d: Dialogue) -> Dialogue:
    """Swap two adjacent words, replace one, change case and punctuation, drop one sentence."""
    texts = [m.content for m in d.messages]
    words = texts[2].split()
    words[1], words[2] = words[2], words[1]
    texts[2] = " ".join(words)
    words = texts[5].split()
    words[-1] = "honestly?"
    texts[5] = " ".join(words)
    texts[0] = texts[0].upper().replace(".", "!")
    texts[7] = texts[7].replace(".", ",").lower()
    texts[9] = texts[9].rsplit("?", 2)[0] + "?"  # drop the last short question
    return with_turns(d, f"{d.id}-dup", texts)


def rewrite(d: Dialogue, rng: random.Random) -> Dialogue:
    """A heavier edit: five of sixteen turns written anew (similar, but below 0.8)."""
    texts = [m.content for m in d.messages]
    for t in (1, 4, 6, 9, 11):
        texts[t] = counselor_turn(rng) if t % 2 else client_sentence(rng)
    return with_turns(d, f"{d.id}-rewrite", texts)


@pytest.fixture(scope="module")
def distinct() -> list[Dialogue]:
    rng = random.Random(20240611)
    return [make_dialogue(i, rng) for i in range(DISTINCT)]


@pytest.fixture(scope="module")
def stream(distinct: list[Dialogue]) -> list[Dialogue]:
    """The distinct dialogues in order, each planted duplicate arriving a few places after its
    original (the last ones at the end)."""
    out = list(distinct)
    for i in reversed(PLANTED):
        out.insert(min(i + 4, DISTINCT), paraphrase(distinct[i]))
    return out


def run(dialogues: list[Dialogue], **kwargs: float | int | None) -> list[tuple[str, Reason | None]]:
    nd = NearDuplicates(**kwargs)  # type: ignore[arg-type]
    return [(d.id, nd.check(d)) for d in dialogues]


def exact_jaccard(a: Dialogue, b: Dialogue) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb)


def estimated_jaccard(a: Dialogue, b: Dialogue, num_perm: int = 128) -> float:
    return float(signature(a, num_perm).jaccard(signature(b, num_perm)))


def test_planted_pairs_are_far_above_and_distinct_pairs_far_below_the_threshold(
    distinct: list[Dialogue],
) -> None:
    planted = [(distinct[i], paraphrase(distinct[i])) for i in PLANTED]
    exact = [exact_jaccard(a, b) for a, b in planted]
    estimated = [estimated_jaccard(a, b) for a, b in planted]
    # Measured: exact 0.93-0.95, estimated 0.92-0.95 (threshold 0.8).
    assert min(exact) >= 0.92 and min(estimated) >= 0.9
    sigs = [signature(d) for d in distinct]
    far = [float(a.jaccard(b)) for a, b in combinations(sigs, 2)]
    # Measured over all 780 distinct pairs: estimated at most 0.18, exact at most 0.14.
    assert max(far) <= 0.25
    assert max(exact_jaccard(a, b) for a, b in combinations(distinct, 2)) <= 0.2


def test_every_planted_duplicate_is_rejected_naming_its_original(
    distinct: list[Dialogue], stream: list[Dialogue]
) -> None:
    results = dict(run(stream))
    for i in PLANTED:
        original = distinct[i]
        j = estimated_jaccard(original, paraphrase(original))
        assert results.pop(f"{original.id}-dup") == Reason(
            name="near_duplicate",
            detail=f"near-duplicate of {original.id} (estimated Jaccard {j:.2f})",
        )
    assert results == {d.id: None for d in distinct}


def test_results_are_identical_run_to_run_and_inputs_untouched(stream: list[Dialogue]) -> None:
    before = [d.model_dump() for d in stream]
    first = run(stream)
    assert run(stream) == first
    assert [d.model_dump() for d in stream] == before


def test_first_come_first_kept(distinct: list[Dialogue]) -> None:
    original = distinct[PLANTED[0]]
    dup = paraphrase(original)
    j = estimated_jaccard(original, dup)
    assert run([dup, original]) == [
        (dup.id, None),
        (
            original.id,
            Reason(
                name="near_duplicate",
                detail=f"near-duplicate of {dup.id} (estimated Jaccard {j:.2f})",
            ),
        ),
    ]


def test_state_spans_calls_so_chunks_see_earlier_chunks(
    distinct: list[Dialogue], stream: list[Dialogue]
) -> None:
    nd = NearDuplicates()
    chunked = [(d.id, nd.check(d)) for chunk in (stream[:20], stream[20:]) for d in chunk]
    assert chunked == run(stream)
    assert len(nd) == DISTINCT


def test_persona_cap_keeps_the_first_n_per_persona(distinct: list[Dialogue]) -> None:
    # Dialogue i belongs to persona i % 10, so with a cap of 2 the first twenty are kept.
    expected = [(d.id, None) for d in distinct[:20]] + [
        (
            d.id,
            Reason(
                name="persona_cap",
                detail=f"persona p-{i % PERSONAS:02d} already has 2 kept dialogues (cap 2)",
            ),
        )
        for i, d in enumerate(distinct[20:], start=20)
    ]
    assert run(distinct, max_per_persona=2) == expected


def test_persona_cap_counts_only_kept_dialogues(stream: list[Dialogue]) -> None:
    # Planted duplicates are not counted against their persona; the originals of d-33 and d-39
    # are over the cap, so their paraphrases meet the cap rather than a kept original.
    results = run(stream, max_per_persona=3)
    kept = [d.persona.id for d, (_, r) in zip(stream, results, strict=True) if r is None]
    assert kept == [f"p-{i % PERSONAS:02d}" for i in range(30)]
    by_name = {
        name: sorted(i for i, r in results if r is not None and r.name == name)
        for name in ("near_duplicate", "persona_cap")
    }
    assert by_name == {
        "near_duplicate": [f"d-{i:02d}-dup" for i in PLANTED if i < 30],
        "persona_cap": sorted(
            [f"d-{i:02d}" for i in range(30, DISTINCT)]
            + [f"d-{i:02d}-dup" for i in PLANTED if i >= 30]
        ),
    }


def test_threshold_is_honored(distinct: list[Dialogue], stream: list[Dialogue]) -> None:
    # Above every planted pair's similarity nothing is a near-duplicate.
    assert run(stream, threshold=0.97) == [(d.id, None) for d in stream]
    original = distinct[5]
    rewritten = rewrite(original, random.Random(5))
    j = estimated_jaccard(original, rewritten)
    assert 0.55 <= j <= 0.72  # measured 0.63 (exact 0.60)
    assert run([original, rewritten]) == [(original.id, None), (rewritten.id, None)]
    assert run([*distinct, rewritten], threshold=0.5) == [(d.id, None) for d in distinct] + [
        (
            rewritten.id,
            Reason(
                name="near_duplicate",
                detail=f"near-duplicate of {original.id} (estimated Jaccard {j:.2f})",
            ),
        )
    ]


def test_num_perm_and_shingle_are_honored(distinct: list[Dialogue], stream: list[Dialogue]) -> None:
    d = distinct[0]
    assert len(signature(d, num_perm=64).hashvalues) == 64
    results = dict(run(stream, num_perm=64))
    for i in PLANTED:
        original = distinct[i]
        j = estimated_jaccard(original, paraphrase(original), num_perm=64)
        assert results[f"{original.id}-dup"] == Reason(
            name="near_duplicate",
            detail=f"near-duplicate of {original.id} (estimated Jaccard {j:.2f})",
        )
    words = re.findall(r"\w+", " ".join(m.content for m in d.messages).lower())
    assert shingles(d, 1) == set(words)
    # Every utterance's words reversed: the same bag of words, (almost) no shared 5-grams.
    backwards = with_turns(d, "backwards", [" ".join(m.content.split()[::-1]) for m in d.messages])
    assert run([d, backwards], shingle=5)[1][1] is None
    assert run([d, backwards], shingle=1)[1][1] == Reason(
        name="near_duplicate", detail="near-duplicate of d-00 (estimated Jaccard 1.00)"
    )


@pytest.mark.parametrize(
    ("texts", "shingle", "expected"),
    [
        (
            ["One, two. THREE four five six!"],
            5,
            {"one two three four five", "two three four five six"},
        ),
        (["Too short."], 5, {"too short"}),
        (["", "  "], 5, set()),
        (["a b", "c"], 2, {"a b", "b c"}),
    ],
)
def test_shingles_table(texts: list[str], shingle: int, expected: set[str]) -> None:
    roles: tuple[Role, Role] = ("client", "counselor")
    d = Dialogue(
        id="s",
        protocol="healme",
        persona=persona(0),
        run_seed=7,
        messages=[Message(role=roles[k % 2], content=t) for k, t in enumerate(texts)],
    )
    assert shingles(d, shingle) == expected


@pytest.mark.parametrize(
    "kwargs",
    [{"threshold": 0.0}, {"threshold": 1.5}, {"max_per_persona": 0}, {"shingle": 0}],
)
def test_bad_settings_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        NearDuplicates(**kwargs)  # type: ignore[arg-type]
