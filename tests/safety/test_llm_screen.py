"""The LLM risk screen (safety/llm_screen.py): every client turn classified in one batch per
judge role with structured output; labels are the union with the rules'; disagreements and
unparsed replies are recorded; the scripted backend's schema-valid replies run the path."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from healme_synth import pipeline
from healme_synth.backends.scripted import ScriptedBackend
from healme_synth.config import RoleSection, load_pipeline
from healme_synth.errors import ConfigError
from healme_synth.prompts import Prompts
from healme_synth.safety import llm_screen, probes
from healme_synth.safety.assess import assess
from tests.conftest import ROOT, scripted_config
from tests.helpers import dialogue

PROMPTS = Prompts(ROOT / "prompts")
RUBRIC = llm_screen.load_rubric(PROMPTS)
BANK = probes.load_bank()


def reply(labels: list[str], about: str = "self") -> str:
    return json.dumps({"labels": labels, "about": about})


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        (reply(["none"], "nobody"), ([], "self")),
        (reply(["mania", "none"]), (["mania"], "self")),
        (reply(["suicide_attempt"], "someone_else"), (["suicide_attempt"], "third_party")),
        (reply(["passive_suicidal_ideation"], "nobody"), (["passive_suicidal_ideation"], "self")),
        (reply([]), None),
        (reply(["sadness"]), None),
        ('{"labels": ["none"]}', None),
        ("none of these", None),
    ],
)
def test_parse_takes_exactly_the_schemas_object(
    raw: str, parsed: tuple[list[str], str] | None
) -> None:
    assert llm_screen.parse(raw) == parsed


def test_the_schema_lists_every_screen_label_and_the_scripted_backend_fills_it() -> None:
    schema = llm_screen.schema()
    assert schema["properties"]["labels"]["items"]["enum"][-1] == "none"
    backend = ScriptedBackend()
    d = dialogue([("client", "I feel fine."), ("counselor", "Good.")])
    params = [RoleSection(model="m")]
    judged = llm_screen.classify(
        [d], ["judge"], {"judge": backend}, {"judge": params[0]}, RUBRIC, PROMPTS
    )
    assert len(backend.calls) == 1  # one request per client turn, in one batch
    messages, gen = backend.calls[0]
    assert gen.json_schema == schema and gen.role == "safety"
    assert "Client: I feel fine." in messages[1]["content"]
    assert llm_screen.parse(json.dumps({"labels": ["none"], "about": "nobody"})) is not None
    assert judged.tokens.completion > 0


def test_labels_are_the_union_and_disagreements_are_recorded() -> None:
    d = dialogue(
        [
            ("client", "I've been giving my records to friends, I won't be needing them."),
            ("counselor", "That's generous."),
            ("client", "My thoughts are racing and I've got three businesses to start."),
            ("counselor", "Tell me more."),
        ]
    )
    backend = ScriptedBackend(
        {"safety": [reply(["suicide_preparatory_behavior"]), reply(["none"], "nobody"), "?"]}
    )
    roles = {"judge": RoleSection(model="m")}
    judged = llm_screen.classify([d], ["judge"], {"judge": backend}, roles, RUBRIC, PROMPTS)
    notes = judged.notes[d.id]
    assert notes == [
        "turn 0 (client): rules and risk judge disagree: rules [none], scripted "
        "[suicide_preparatory_behavior]",
        "turn 2 (client): rules and risk judge disagree: rules [mania], scripted [none]",
    ]
    a = assess(d, BANK, judged.disclosures[d.id], notes)
    # The judge reads the giving-away the rules miss; the rules keep the mania it missed.
    assert a.labels == ["suicide_preparatory_behavior", "mania"] and a.disclosure == 0
    assert [(x.source, x.turn, x.label) for x in a.disclosures] == [
        ("rules", 2, "mania"),
        ("judge", 0, "suicide_preparatory_behavior"),
    ]
    # A reply that does not parse adds nothing and says so.
    judged = llm_screen.classify([d], ["judge"], {"judge": backend}, roles, RUBRIC, PROMPTS)
    assert "turn 0 (client): the risk judge's reply did not parse" in judged.notes[d.id]


def test_a_run_with_the_llm_screen_records_its_labels_and_disagreements(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    config = scripted_config(safety={"llm_screen": True}, filters={"enabled": ["turn_count"]})
    config["seeds"]["sample"] = 2
    config["models"]["script"]["replies"] = {
        "client": ["My sister tried to kill herself.", "Fine."],
        "safety": [reply(["passive_suicidal_ideation"]), reply(["none"], "nobody")],
    }
    out = tmp_path / "r"
    manifest = pipeline.run(pipeline.plan(load_pipeline(write_pipeline(config))), out)
    rows = [
        r
        for s in sorted((out / "data" / "default").glob("*.parquet"))
        for r in pq.read_table(s).to_pylist()
    ]
    assert len(rows) == 2 and manifest.safety is not None
    findings = [f for r in rows for f in r["safety_findings"]]
    assert any("(third party, rules)" in f for f in findings)
    assert any("rules and risk judge disagree" in f for f in findings)
    assert any("passive_suicidal_ideation (self, judge)" in f for f in findings)


def test_a_rubric_with_other_labels_is_refused(tmp_path: Path) -> None:
    (tmp_path / "judge").mkdir()
    (tmp_path / "judge" / "risk.yaml").write_text(
        "name: risk\nsystem: s\nlabels: {none: nothing}\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="labels` must be exactly"):
        llm_screen.load_rubric(Prompts(tmp_path))
