"""Dialogue <-> shard row: `to_row` flattens a Dialogue into the schema's columns, `from_row`
builds it back, so shards can be filtered or judged again without regenerating."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from healme_synth.config import instruments
from healme_synth.output.chat import chat_messages
from healme_synth.output.schema import HEADLINES, SCHEMA
from healme_synth.records import (
    CounselingReport,
    Dialogue,
    Emotion,
    Message,
    Persona,
    Probe,
    Questionnaire,
    Reason,
    SafetyCheck,
    Sample,
    Verdict,
)


def _safety_row(d: Dialogue) -> dict[str, Any]:
    p, s = d.probe, d.safety
    return {
        "risk_labels": d.risk_labels,
        "probe_type": p.type if p else None,
        "probe_turn": p.turn if p else None,
        "probe_labels": p.labels if p else [],
        "probe_variant": p.variant if p else None,
        "safety_verdict": s.verdict if s else None,
        "safety_failed": s.failed if s else [],
        "disclosure_turn": s.disclosure_turn if s else None,
        "safety_checked_turns": s.checked_turns if s else [],
        "safety_criteria": [{"criterion": k, "passed": v} for k, v in s.criteria.items()]
        if s
        else [],
        "safety_findings": s.findings if s else [],
        "safety_models": s.models if s else [],
        "safety_raw": s.raw if s else [],
    }


def _safety_fields(row: dict[str, Any]) -> dict[str, Any]:
    """Probe and safety check back from a row (the probe's text is its turn's content)."""
    probe = safety = None
    if row["probe_type"] is not None:
        turn = row["probe_turn"]
        text = row["turns"][turn]["content"] if turn < len(row["turns"]) else ""
        probe = Probe(
            type=row["probe_type"],
            turn=turn,
            text=text,
            labels=row["probe_labels"],
            variant=row["probe_variant"] or 0,
        )
    if row["safety_verdict"] is not None:
        safety = SafetyCheck(
            verdict=row["safety_verdict"],
            disclosure_turn=row["disclosure_turn"],
            checked_turns=row["safety_checked_turns"],
            failed=row["safety_failed"],
            criteria={c["criterion"]: c["passed"] for c in row["safety_criteria"]},
            findings=row["safety_findings"],
            models=row["safety_models"],
            raw=row["safety_raw"],
        )
    return {"probe": probe, "safety": safety, "risk_labels": row["risk_labels"]}


def to_row(d: Dialogue, training_system: str) -> dict[str, Any]:
    p = d.persona
    turns = [m.model_dump() for m in d.messages]
    return {
        "id": d.id,
        "protocol": d.protocol,
        # The trainers' view (output/chat.py says what it leaves out and why); `turns` is the
        # whole dialogue, and what from_row reads back.
        "messages": chat_messages(turns, training_system),
        "turns": turns,
        "persona_id": p.id,
        "persona_name": p.name,
        "age": p.age,
        "gender": p.gender,
        "occupation": p.occupation,
        "situation": p.situation,
        "thought": p.thought,
        "thinking_traps": list(p.thinking_traps),
        "other_traps": p.other_traps,
        "emotions": [e.model_dump() for e in p.emotions],
        "attitude": p.attitude,
        "intake_form": p.intake_form,
        "at_risk": p.at_risk,
        "seed_source": p.source,
        "receptivity": p.receptivity,
        "condition": p.condition,
        "questionnaires": [
            q.model_dump() | {"total": instruments.total(q), "severity": instruments.severity(q)}
            for q in p.questionnaires
        ],
        "report": p.report.model_dump() if p.report else None,
        "seed_technique": p.technique,
        "cbt_technique": d.technique,
        "cbt_plan": d.plan,
        "end_marker_at": d.end_marker_at,
        "first_reframe_turn": d.first_reframe_turn,
        "counselor_model": d.models.get("counselor"),
        "client_model": d.models.get("client"),
        "judge_models": [
            {"role": r, "model": m} for r, m in d.models.items() if r.startswith("judge")
        ],
        "run_seed": d.run_seed,
        "prompt_tokens": sum(m.prompt_tokens for m in d.messages),
        "completion_tokens": sum(m.completion_tokens for m in d.messages),
        "cached_tokens": sum(m.cached_tokens for m in d.messages),
        "verdicts": [_verdict_row(v) for v in d.verdicts],
        **{column: _headline(d.verdicts, rubric, key) for column, rubric, key in HEADLINES},
        **_safety_row(d),
        "reasons": [r.name for r in d.reasons],
        "reason_details": [r.detail for r in d.reasons],
    }


def from_row(row: dict[str, Any]) -> Dialogue:
    """The inverse of to_row, so shards can be filtered or judged again without regenerating."""
    models = {
        "counselor": row["counselor_model"],
        "client": row["client_model"],
        **{j["role"]: j["model"] for j in row["judge_models"]},
    }
    return Dialogue(
        id=row["id"],
        protocol=row["protocol"],
        persona=Persona(
            id=row["persona_id"],
            name=row["persona_name"],
            age=row["age"],
            gender=row["gender"],
            occupation=row["occupation"],
            situation=row["situation"],
            thought=row["thought"],
            thinking_traps=row["thinking_traps"],
            other_traps=row["other_traps"],
            emotions=[Emotion(**e) for e in row["emotions"]],
            attitude=row["attitude"],
            intake_form=row["intake_form"],
            at_risk=row["at_risk"],
            source=row["seed_source"],
            receptivity=row["receptivity"],
            condition=row["condition"],
            questionnaires=[
                Questionnaire(instrument=q["instrument"], answers=q["answers"])
                for q in row["questionnaires"]
            ],
            technique=row["seed_technique"],
            report=CounselingReport(**row["report"]) if row["report"] else None,
        ),
        technique=row["cbt_technique"],
        plan=row["cbt_plan"],
        end_marker_at=row["end_marker_at"],
        first_reframe_turn=row["first_reframe_turn"],
        run_seed=row["run_seed"],
        models={k: v for k, v in models.items() if v is not None},
        messages=[Message(**t) for t in row["turns"]],
        verdicts=[_verdict(v) for v in row["verdicts"]],
        **_safety_fields(row),
        reasons=[
            Reason(name=n, detail=t)
            for n, t in zip(row["reasons"], row["reason_details"], strict=True)
        ],
    )


def _verdict_row(v: Verdict) -> dict[str, Any]:
    return {
        **v.model_dump(include={"judge", "rubric", "mean", "spread", "parsed", "missing"}),
        "items": [{"item": k, "score": x, "spread": v.spreads[k]} for k, x in v.scores.items()],
        "samples": [
            {
                **s.model_dump(include={"role", "model", "index", "parsed", "raw"}),
                "scores": [{"item": k, "score": x} for k, x in s.scores.items()],
            }
            for s in v.samples
        ],
    }


def _verdict(row: dict[str, Any]) -> Verdict:
    fields = {k: row[k] for k in ("judge", "rubric", "mean", "spread", "parsed", "missing")}
    return Verdict(
        **fields,
        scores={i["item"]: i["score"] for i in row["items"]},
        spreads={i["item"]: i["spread"] for i in row["items"]},
        samples=[
            Sample(
                **{k: s[k] for k in ("role", "model", "index", "parsed", "raw")},
                scores={x["item"]: x["score"] for x in s["scores"]},
            )
            for s in row["samples"]
        ],
    )


def _headline(verdicts: list[Verdict], rubric: str, key: str | None) -> float | None:
    v = next((v for v in verdicts if v.rubric == rubric), None)
    if v is None:
        return None
    return v.mean if key is None else v.scores.get(key)


def read_dialogues(paths: Iterable[Path]) -> list[Dialogue]:
    return [from_row(r) for p in paths for r in pq.read_table(p, schema=SCHEMA).to_pylist()]
