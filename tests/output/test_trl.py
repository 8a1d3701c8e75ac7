"""TRL's SFTTrainer on what a run gives, with the embedded model (SmolLM2-135M) from the
directory the embedded module converts it into: the `train` split as it is, and the per-turn
prompt/completion export with completion-only loss. A few steps each, to show the data trains
and the loss lands where it should, not to learn anything."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from healme_synth.backends.embedded import prepare_embedded_model
from healme_synth.output import export
from tests.output.protocol_runs import shared_run

pytestmark = pytest.mark.engine  # the real model's weights, trained on CPU

STEPS = 2
IGNORED = -100
"""The label of a token that carries no loss."""
END = "<|im_end|>\n"
"""What SmolLM2's template puts after every message."""


@pytest.fixture(scope="module")
def model_dir() -> Iterator[Path]:
    """The converted embedded model (converted once, then reused from the cache), with the
    Hub switched off: nothing here may download."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        yield prepare_embedded_model()


def trainer(model_dir: Path, dataset: Any, out: Path, **config: Any) -> Any:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(
        model_dir, local_files_only=True, dtype=torch.float32
    )
    args = SFTConfig(
        output_dir=str(out),
        max_steps=STEPS,
        per_device_train_batch_size=1,
        learning_rate=1e-4,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        bf16=False,  # TRL's default; CPU training here runs in float32
        gradient_checkpointing=False,  # a 135M model fits; checkpointing only slows it down
        use_cpu=True,
        dataloader_num_workers=0,
        seed=0,
        **config,
    )
    return SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer)


def losses(t: Any) -> list[float]:
    return [entry["loss"] for entry in t.state.log_history if "loss" in entry]


def test_sft_trains_on_the_train_split_as_it_is(
    model_dir: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    import datasets

    run_dir = shared_run("sqpsych", tmp_path_factory)  # counselor-opened, client-ended rows
    files = sorted(str(p) for p in run_dir.glob("data/*/train-*.parquet"))
    train = datasets.load_dataset("parquet", data_files=files, split="train")
    assert "messages" in train.column_names and train.num_rows >= 2
    t = trainer(model_dir, train, tmp_path / "sft", max_length=128)
    t.train()
    assert t.state.global_step == STEPS
    assert len(losses(t)) == STEPS and all(math.isfinite(x) and x > 0 for x in losses(t))


def test_completion_only_loss_falls_on_the_counselor_reply_alone(
    model_dir: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    import datasets

    run_dir = shared_run("cactus", tmp_path_factory)
    path = tmp_path / "pc.jsonl"
    n = export.export_run("prompt_completion", run_dir, path)
    examples = datasets.load_dataset("json", data_files=str(path), split="train")
    assert examples.num_rows == n > 2
    max_length = 512
    t = trainer(
        model_dir, examples, tmp_path / "pc", max_length=max_length, completion_only_loss=True
    )
    tokenizer = t.processing_class
    processed = t.train_dataset
    assert processed.num_rows == n
    for i, example in enumerate(examples):
        ids, labels = processed[i]["input_ids"], processed[i]["labels"]
        assert len(ids) < max_length  # nothing truncated, so the whole reply must be there
        start = next(k for k, label in enumerate(labels) if label != IGNORED)
        # Every label from the reply's first token on is the token itself; none before it.
        assert labels[start:] == ids[start:] and set(labels[:start]) == {IGNORED}
        reply = example["completion"][0]["content"]
        assert tokenizer.decode(ids[start:]) == reply + END
        prompt = tokenizer.apply_chat_template(
            example["prompt"], tokenize=False, add_generation_prompt=True
        )
        assert tokenizer.decode(ids[:start]) == prompt
    # The collated batch keeps the same labels (padding carries no loss either).
    batch = t.data_collator([processed[0], processed[1]])
    for row, i in zip(batch["labels"].tolist(), (0, 1), strict=True):
        assert [x for x in row if x != IGNORED] == [
            x for x in processed[i]["labels"] if x != IGNORED
        ]
    t.train()
    assert t.state.global_step == STEPS
    assert len(losses(t)) == STEPS and all(math.isfinite(x) and x > 0 for x in losses(t))
