"""A real-data check: small corpora in the shape of HealMe's released training table and of
Cactus's released dialogues (written for this project, tests/data/filters/), turned into the
tool's JSONL and run through `healme-synth filter` with every filter on, off_topic too. Each
holds the defects issue 18 found kept in the real releases and the near-misses it found
rejected (a topic phrase said on purpose; "How can I assist you today?")."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import pyarrow.parquet as pq

from healme_synth.config import FilterName
from tests.conftest import ROOT, cli, scripted_config

DATA = ROOT / "tests" / "data" / "filters"
ALL = list(get_args(FilterName))


def healme_rows() -> list[dict[str, Any]]:
    """The table's rows as the tool's JSONL: the seed is the (trap, thought) pair."""
    out = []
    with (DATA / "healme_table.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            turns = []
            for n in (1, 2, 3):
                doctor = row[f"polished_doctor_round{n}" if n == 3 else f"doctor_round{n}"]
                turns += [("client", row[f"patient_round{n}"]), ("counselor", doctor)]
            out.append(
                {
                    "id": f"healme-{row['index']}",
                    "persona": {
                        "id": row["index"],
                        "thought": row["thought"],
                        "attitude": "neutral",
                    },
                    "messages": [{"role": r, "content": c} for r, c in turns],
                }
            )
    return out


def cactus_rows() -> list[dict[str, Any]]:
    """Cactus records: the dialogue is one string of `Counselor:` / `Client:` lines."""
    out = []
    for n, line in enumerate((DATA / "cactus_dialogues.jsonl").read_text().splitlines()):
        record = json.loads(line)
        turns = re.findall(r"(?m)^(Counselor|Client): (.*)$", record["dialogue"])
        out.append(
            {
                "id": f"cactus-{n}",
                "persona": {
                    "id": f"c{n}",
                    "thought": record["thought"],
                    "intake_form": record["intake_form"],
                    "attitude": record["attitude"],
                },
                "messages": [{"role": r.lower(), "content": c} for r, c in turns],
            }
        )
    return out


def reasons_by_id(
    rows: list[dict[str, Any]],
    protocol: str,
    tmp_path: Path,
    write_pipeline: Callable[..., Path],
    **filters: Any,
) -> dict[str, list[str]]:
    source = tmp_path / f"{protocol}.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    config = scripted_config(protocol=protocol, filters={"enabled": ALL, **filters})
    # The pipeline file only says what to check against; its own seeds are not played.
    config["seeds"]["expand_intake"] = True
    out = tmp_path / f"out-{protocol}"
    pipeline = write_pipeline(config, f"{protocol}.yaml")
    result = cli("filter", source, "--out", out, "--pipeline", pipeline)
    assert result.returncode == 0, result.stderr
    found = {}
    for shard in sorted(out.glob("data/*/*.parquet")):
        for row in pq.read_table(shard, columns=["id", "reasons"]).to_pylist():
            found[row["id"]] = row["reasons"]
    return found


def test_a_healme_shaped_table_through_filter(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    assert reasons_by_id(healme_rows(), "healme", tmp_path, write_pipeline) == {
        "healme-0": [],  # "having one child" four times: a topic, not a loop
        "healme-1": [],
        "healme-2": [],  # "(at thirty-four)": a parenthesis in speech
        "healme-3": ["role_inversion"],  # "Let's employ the cognitive restructuring technique"
        "healme-4": ["stage_direction"],  # "(Step 1)"
        "healme-5": ["stage_direction"],  # "Follow your treatment steps:"
        "healme-6": ["prompt_leak"],  # "Psychologist:" as the counselor's own label
        "healme-7": ["off_topic"],  # about the weather, seeded with a son's grades
        "healme-8": ["role_inversion"],  # the client asks how the counselor is feeling
    }


def test_cactus_shaped_dialogues_through_filter(
    tmp_path: Path, write_pipeline: Callable[..., Path]
) -> None:
    # These sessions are eight turns long; Cactus's own minimum is 16.
    found = reasons_by_id(cactus_rows(), "cactus", tmp_path, write_pipeline, min_turns=8)
    assert found == {
        "cactus-0": [],  # opens with "How can I assist you today?"
        "cactus-1": ["language_drift"],  # a whole Spanish counselor turn
        "cactus-2": ["mojibake"],  # "donâ€™t"
        # Joaquín, user_name, "(a real one, not sarcastic)" pass; off_topic is a false positive,
        # the limit of a lexical measure (bench/RESULTS.md): the client's later turns answer
        # the counselor ("my lead asked me to write a test") in words the seed does not use.
        "cactus-3": ["off_topic"],
    }
