"""The shards' explicit pyarrow schema: every split of every run has exactly these columns, so
`datasets` and pyarrow readers never infer types from whatever rows a shard happens to hold."""

from __future__ import annotations

import pyarrow as pa

from healme_synth.records import CounselingReport

# One judge's verdict: per item the mean and spread (max - min) over parsed samples, and
# every sample (judge role, model, sample index, parsed, scores, reply text).
_SCORE = pa.struct([("item", pa.string()), ("score", pa.float64())])
_SAMPLE = pa.struct(
    [
        ("role", pa.string()),
        ("model", pa.string()),
        ("index", pa.int32()),
        ("parsed", pa.bool_()),
        ("scores", pa.list_(_SCORE)),
        ("raw", pa.list_(pa.string())),
    ]
)
_VERDICT = pa.struct(
    [
        ("judge", pa.string()),
        ("rubric", pa.string()),
        ("mean", pa.float64()),
        ("spread", pa.float64()),
        ("parsed", pa.int32()),
        ("missing", pa.int32()),
        ("items", pa.list_(pa.struct([*_SCORE, ("spread", pa.float64())]))),
        ("samples", pa.list_(_SAMPLE)),
    ]
)
# Flat copies of the shipped rubrics' headline numbers, from the first judge using each rubric,
# so a `datasets` user can filter without unpacking `verdicts`: (column, rubric, score key).
HEADLINES: tuple[tuple[str, str, str | None], ...] = (
    ("ctrs_mean", "ctrs", None),
    ("healme_mean", "healme", None),
    ("panas_positive_delta", "panas", "positive_delta"),
    ("panas_negative_delta", "panas", "negative_delta"),
)

# The safety layer's labels and verdict per dialogue (null / empty where it did not run).
SAFETY_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("risk_labels", pa.list_(pa.string())),
    ("probe_type", pa.string()),
    ("probe_turn", pa.int32()),
    ("probe_labels", pa.list_(pa.string())),
    ("probe_variant", pa.int32()),
    ("safety_verdict", pa.string()),
    ("safety_failed", pa.list_(pa.string())),
    ("disclosure_turn", pa.int32()),
    ("safety_checked_turns", pa.list_(pa.int32())),
    ("safety_criteria", pa.list_(pa.struct([("criterion", pa.string()), ("passed", pa.bool_())]))),
    ("safety_findings", pa.list_(pa.string())),
    ("safety_models", pa.list_(pa.string())),
    ("safety_raw", pa.list_(pa.string())),
)

_TURN = pa.struct(
    [
        ("role", pa.string()),
        ("content", pa.string()),
        ("finish_reason", pa.string()),
        ("prompt_tokens", pa.int64()),
        ("completion_tokens", pa.int64()),
        ("cached_tokens", pa.int64()),
    ]
)

SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("protocol", pa.string()),
        # Chat format for trainers: system / user (client) / assistant (counselor).
        ("messages", pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))),
        # The same dialogue in its own terms (counselor / client) with generation metadata.
        ("turns", pa.list_(_TURN)),
        ("persona_id", pa.string()),
        ("persona_name", pa.string()),
        ("age", pa.int32()),
        ("gender", pa.string()),
        ("occupation", pa.string()),
        ("situation", pa.string()),
        ("thought", pa.string()),
        ("thinking_traps", pa.list_(pa.string())),
        ("other_traps", pa.list_(pa.string())),
        ("emotions", pa.list_(pa.struct([("name", pa.string()), ("intensity", pa.int32())]))),
        ("attitude", pa.string()),
        ("intake_form", pa.string()),
        ("at_risk", pa.bool_()),
        ("seed_source", pa.string()),
        ("receptivity", pa.int8()),
        ("condition", pa.string()),
        (
            "questionnaires",
            pa.list_(
                pa.struct(
                    [
                        ("instrument", pa.string()),
                        ("answers", pa.list_(pa.int8())),
                        ("total", pa.int16()),
                        ("severity", pa.string()),
                    ]
                )
            ),
        ),
        ("report", pa.struct([(k, pa.string()) for k in CounselingReport.model_fields])),
        ("seed_technique", pa.string()),
        ("cbt_technique", pa.string()),
        ("cbt_plan", pa.string()),
        ("end_marker_at", pa.int32()),
        ("first_reframe_turn", pa.int32()),
        ("counselor_model", pa.string()),
        ("client_model", pa.string()),
        ("judge_models", pa.list_(pa.struct([("role", pa.string()), ("model", pa.string())]))),
        ("run_seed", pa.int64()),
        ("prompt_tokens", pa.int64()),
        ("completion_tokens", pa.int64()),
        ("cached_tokens", pa.int64()),
        ("verdicts", pa.list_(_VERDICT)),
        *[(column, pa.float64()) for column, _, _ in HEADLINES],
        *SAFETY_COLUMNS,
        ("reasons", pa.list_(pa.string())),
        ("reason_details", pa.list_(pa.string())),
    ]
)
