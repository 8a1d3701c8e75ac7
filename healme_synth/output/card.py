"""The dataset card (README.md): a YAML header that tells the Hub and `datasets` the configs and
splits, then what the run was, what it kept and rejected, and the safety section."""

from __future__ import annotations

from pathlib import Path

from healme_synth.output.files import atomic_write
from healme_synth.output.safety_text import card_section
from healme_synth.records import REJECTED, SAFETY_REVIEW, TRAIN, JudgeSummary, Manifest


def _judge_line(j: JudgeSummary) -> str:
    models = ", ".join(f"`{m}`" for m in dict.fromkeys(j.models.values()))
    line = (
        f"Judge {j.judge} ({j.rubric}) by {models}, {j.samples} sample(s) each: {j.judged} "
        f"judged, {j.missing} verdicts missing (unparsed replies are never scored 0)"
    )
    if j.affect is not None:
        a = j.affect
        return (
            f"{line}; PANAS change after - before: positive {a.positive_delta}, negative "
            f"{a.negative_delta}; negative affect fell in a share {a.negative_fell} of dialogues."
        )
    return f"{line}; mean {j.mean}."


def _data_files(config_name: str, split: str) -> str:
    """One split's entry under the YAML header's `data_files`."""
    return f"\n  - split: {split}\n    path: data/{config_name}/{split}-*"


def write_card(run_dir: Path, manifest: Manifest, config_name: str) -> None:
    """A dataset card whose YAML header tells the Hub (and `datasets`) the configs and splits."""
    c = manifest.counts
    reasons = "\n".join(f"| {k} | {v} |" for k, v in sorted(c.by_reason.items())) or "| none | 0 |"
    judge_line = "\n- ".join(_judge_line(j) for j in manifest.judges) or "No judge was run."
    counts = (
        f"Dialogues: {c.dialogues}; kept (split `{TRAIN}`): {c.kept}; "
        f"rejected (split `{REJECTED}`): {c.rejected}."
    )
    # The safety layer: its own split when it routed anything, and its section. An empty split
    # is neither written nor declared, so `load_dataset` never looks for a file that is not there.
    splits, safety_text = [TRAIN, REJECTED], ""
    if manifest.safety is not None:
        routed = manifest.safety.routed
        if routed:
            counts = counts.rstrip(".") + (
                f", of which {routed} unsafe or unverified are in split `{SAFETY_REVIEW}` instead."
            )
        if any(Path(s).name.startswith(f"{SAFETY_REVIEW}-") for s in manifest.shards):
            splits.append(SAFETY_REVIEW)
        judge_models = [m for r, m in manifest.models.items() if r.startswith("judge")]
        safety_text = card_section(manifest.safety, judge_models)
    data_files = "".join(_data_files(config_name, split) for split in splits)
    models = ", ".join(f"{role}: `{model}`" for role, model in manifest.models.items())
    card = f"""---
configs:
- config_name: {config_name}
  data_files:{data_files}
tags:
- synthetic
- counseling
- cognitive-reframing
- healme-synth
---
# {manifest.name}

Synthetic counseling dialogues generated with healme-synth (protocol `{manifest.protocol}`,
run seed {manifest.run_seed}). Models: {models}.

These dialogues are machine-generated role-play between two language models. They are not
transcripts of real counseling and are not clinical advice.

- {counts}
- {judge_line}
- Config SHA-256: `{manifest.config_sha256}` (the resolved config is in manifest.json).

| rejection reason | dialogues |
|---|---|
{reasons}
{safety_text}"""
    atomic_write(run_dir / "README.md", card.encode())
