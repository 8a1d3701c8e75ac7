"""The dialogue metrics: exact numbers on small hand-made corpora, on a scripted run through
`healme-synth metrics`, and on a JSONL file."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from healme_synth.quality.metrics import distinct, ead, entropy, metrics, sample
from healme_synth.records import Dialogue
from tests.conftest import cli, scripted_config
from tests.helpers import dialogue, persona


def test_distinct_n_is_unique_over_all_ngrams_pooled() -> None:
    utterances = [["it", "sounds", "like", "a", "lot"], ["it", "sounds", "hard"]]
    assert distinct(utterances, 1) == 6 / 8
    assert distinct(utterances, 2) == 5 / 6  # "it sounds" twice
    assert distinct(utterances, 3) == 4 / 4
    assert distinct([["one"]], 2) is None


def test_ead_adjusts_by_the_expected_number_of_distinct_tokens() -> None:
    tokens = [["a", "b", "a", "c"]]
    expected = 10 * (1 - (9 / 10) ** 4)
    assert ead(tokens, vocabulary=10) == pytest.approx(3 / expected)
    assert ead([]) is None


def test_entropy_in_bits() -> None:
    assert entropy(Counter({"a": 1, "b": 1})) == 1.0
    assert entropy(Counter({"a": 4})) == 0.0
    assert entropy(Counter({"a": 1, "b": 1, "c": 2})) == 1.5
    assert entropy(Counter()) is None


def test_the_sample_is_fixed_by_the_seed_not_the_input_order() -> None:
    ds = [dialogue(dialogue_id=f"{i:03d}") for i in range(10)]
    a = [d.id for d in sample(ds, 4, seed=7)]
    assert a == [d.id for d in sample(list(reversed(ds)), 4, seed=7)]
    assert a != [d.id for d in sample(ds, 4, seed=8)]
    assert len(sample(ds, 20, seed=7)) == 10


def two_sessions() -> list[Dialogue]:
    first = dialogue(
        [
            ("client", "I failed again."),
            ("counselor", "It sounds like a hard week."),
            ("client", "I failed again."),  # a repeat of the client's own turn 1
            ("counselor", "It sounds like you blame yourself."),
        ],
        technique="Alternative Perspective",
        end_marker_at=3,
        first_reframe_turn=2,
    )
    second = dialogue(
        [
            ("client", "Nobody called me back."),
            ("counselor", "What did you tell yourself then?"),
            ("client", "That they hate me. [/END]"),
        ],
        dialogue_id="000001-p-002",
        persona=persona(id="p-002", attitude="negative"),
        technique="Reality Testing",
        end_marker_at=1,
    )
    return [first, second]


def test_metrics_of_two_sessions() -> None:
    m = metrics(two_sessions(), sessions=100, seed=3)
    assert (m.dialogues, m.sessions, m.seed) == (2, 2, 3)
    # 33 tokens, 24 distinct ("i failed again" and "it sounds like" twice; you, yourself, me).
    assert m.distinct_1 == pytest.approx(24 / 33)
    assert m.repeated_utterances == pytest.approx(1 / 7)
    assert [(o.value, o.count, o.share) for o in m.counselor_openers] == [
        ("it sounds like", 2, 2 / 3),
        ("what did you", 1, 1 / 3),
    ]
    assert m.technique_entropy == 1.0
    assert [(t.value, t.share) for t in m.attitudes] == [("positive", 0.5), ("negative", 0.5)]
    assert m.attitude_entropy == 1.0
    assert (m.turns.min, m.turns.max, m.turns.median, m.turns.mode_share) == (3, 4, 3.5, 0.5)
    assert m.words_per_utterance == {"client": 15 / 4, "counselor": 18 / 3}
    assert (m.end_marker_sessions, m.end_marker_early) == (2, 1)
    assert m.end_marker_position == pytest.approx((4 / 4 + 2 / 3) / 2)
    assert m.uptake_measured == 1
    assert m.uptake_turn.median == 2  # message 2 is the client's second utterance


def test_metrics_of_nothing() -> None:
    m = metrics([], seed=0)
    assert (m.dialogues, m.distinct_1, m.ead, m.technique_entropy, m.turns.median) == (
        0,
        None,
        None,
        None,
        None,
    )


def test_the_metrics_command_on_a_scripted_run_and_on_jsonl(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    run = tmp_path / "r"
    assert cli("run", write_pipeline(scripted_config()), "--out", run).returncode == 0
    result = cli("metrics", run, "--split", "all", "--json")
    assert result.returncode == 0, result.stderr
    m = json.loads(result.stdout)["r/default"]
    # Six scripted dialogues of six utterances, each "Scripted <role> turn <n>, ref <hash>.".
    assert (m["dialogues"], m["sessions"], m["seed"]) == (6, 6, 7)
    assert m["turns"]["mode"] == 6 and m["turns"]["mode_share"] == 1.0
    assert m["words_per_utterance"] == {"client": 6.0, "counselor": 6.0}
    assert m["counselor_openers"] == [
        {"value": "scripted counselor turn", "count": 18, "share": 1.0}
    ]
    # 216 tokens: scripted, turn, ref (36 each), the role (18 each), the numbers 1-3 (12 each)
    # and 36 distinct hashes: 44 distinct.
    assert m["distinct_1"] == pytest.approx(44 / 216)
    assert m["repeated_utterances"] == 0.0
    assert m["technique_entropy"] is None and m["end_marker_sessions"] == 0
    table = cli("metrics", run, "--split", "all")
    assert table.returncode == 0, table.stderr
    for row in ("distinct-1", "EAD", "top counselor opener", "turns per session", "uptake turn"):
        assert row in table.stdout

    jsonl = tmp_path / "d.jsonl"
    rows = [
        {"id": d.id, "messages": [{"role": x.role, "content": x.content} for x in d.messages]}
        for d in two_sessions()
    ]
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows))
    both = cli("metrics", run, jsonl, "--split", "all", "--json")
    assert both.returncode == 0, both.stderr
    columns = json.loads(both.stdout)
    assert list(columns) == ["r/default", "d.jsonl"]
    assert columns["d.jsonl"]["distinct_1"] == pytest.approx(24 / 33)
    assert math.isclose(columns["d.jsonl"]["repeated_utterances"], 1 / 7)


def test_the_metrics_command_names_a_missing_input(tmp_path: Path) -> None:
    result = cli("metrics", tmp_path / "nothing.jsonl")
    assert result.returncode == 2
    assert "nothing.jsonl: no such file or run directory." in result.stderr
    assert "Traceback" not in result.stderr
