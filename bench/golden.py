"""Byte-identity check for refactors: run a fixed set of scripted jobs through the CLI and
hash what they write, so a change that should not alter behaviour can prove it did not.

    .venv/bin/python bench/golden.py record   # writes bench/golden.json from this checkout
    .venv/bin/python bench/golden.py check    # exit 1 and name every file whose hash moved

Hashed: every shard, the manifest (timings removed: `seconds`, `tokens_per_second`), the card,
run.json, summary.json of `filter` / `judge`, exports, imported seeds, and the stdout of the
deterministic commands (`protocols`, `validate`, `render`). The checkout's and the work
folder's absolute paths are replaced by placeholders, so hashes hold on any clone. Jobs run
through the CLI (`python -m healme_synth`), so they do not depend on the package's internals.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "bench" / "golden.json"
TIMINGS = ("seconds", "tokens_per_second")

INTAKE = (
    "Personal information: a 34-year-old accountant who lives alone and works long hours. "
    "Presenting problem: harsh self-criticism after small mistakes at work, with poor sleep. "
    "Reason for seeking counseling: a friend suggested it after a difficult month at work. "
    "Past history: no earlier counseling. Social support: one close friend and a sister."
)
# Replies with end markers at different places, so each protocol's ending rules are exercised.
REPLIES: dict[str, dict[str, list[str]]] = {
    "cactus": {
        "client": [
            "I keep replaying the mistake at work.",
            "Maybe it was one slip, not the whole story.",
            "My manager did say the rest looked fine.",
            "I suppose new people make errors too.",
            "Thank you, this helped me a lot. [/END]",
        ],
        "counselor": [
            "Hello, what brings you in today?",
            "What went through your mind right then?",
            "How strongly do you believe that now?",
            "What would you tell a friend in your place?",
            "Which small step could you try this week?",
        ],
    },
    "sqpsych": {
        "client": [
            "My mood has been low most days.",
            "Work is the main thing, mostly deadlines.",
            "I could try a short walk after lunch.",
            "Sleep has been patchy since the move.",
            "That plan sounds doable to me.",
        ],
        "counselor": [
            "How has your mood been this week?",
            "What shall we focus on today?",
            "What goes through your mind at those times?",
            "Let us agree one small step for the week.",
            "How did today's session feel? Take care. [/END]",
        ],
    },
    "report": {
        "client": [
            "I have been struggling with this for weeks.",
            "That makes some sense to me, actually.",
            "I had not thought of it that way before.",
            "I can try that before our next meeting.",
        ],
        "counselor": [
            "Tell me what happened, in your own words.",
            "What might another reading of it be?",
            "How does that idea sit with you?",
            "Shall we pick one step to try? See you next week. [/END]",
        ],
    },
}


def scripted(
    shipped: str, replies: dict[str, list[str]] | None, **overrides: Any
) -> dict[str, Any]:
    """A shipped pipeline with every model swapped for the scripted backend (paths absolute)."""
    config = yaml.safe_load((ROOT / "pipelines" / shipped).read_text())
    config["seeds"]["files"] = [
        str((ROOT / "pipelines" / f).resolve()) for f in config["seeds"]["files"]
    ]
    config["prompts_dir"] = str(ROOT / "prompts")
    model: dict[str, Any] = {"backend": "scripted"}
    if replies is not None:
        model["replies"] = {**replies, "intake": [INTAKE], "uptake": ['{"first_accepted": 2}']}
    config["models"] = {name: dict(model) for name in config["models"]}
    for key, value in overrides.items():
        config[key] = {**config.get(key, {}), **value} if isinstance(value, dict) else value
    return config


def jobs() -> dict[str, dict[str, Any]]:
    safety = {"probe_fraction": 0.5}
    return {
        "scripted": scripted("scripted.yaml", None),
        "async": scripted("scripted.yaml", None, run={"mode": "async", "in_flight": 3}),
        "safety-judges": scripted(
            "scripted.yaml", None, safety=safety, run={"name": "safety", "seed": 11}
        ),
        "cactus": scripted("cactus.yaml", REPLIES["cactus"], safety=safety),
        "sqpsych": scripted("sqpsych.yaml", REPLIES["sqpsych"], safety=safety),
        "report": scripted("report.yaml", REPLIES["report"], safety=safety),
        "healme": scripted("healme.yaml", None, safety=safety),
    }


def cli(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "healme_synth", *map(str, args)],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
        cwd=cwd,
        check=False,
    )


def normalised(data: bytes, work: Path) -> bytes:
    return data.replace(str(ROOT).encode(), b"<ROOT>").replace(str(work).encode(), b"<WORK>")


def file_hash(path: Path, work: Path) -> str:
    data = path.read_bytes()
    if path.name == "manifest.json":
        manifest = json.loads(data)
        for key in TIMINGS:
            manifest.pop(key, None)
        data = json.dumps(manifest, sort_keys=True).encode()
    if path.suffix in (".json", ".md", ".jsonl", ".csv"):
        data = normalised(data, work)
    return hashlib.sha256(data).hexdigest()


def record_all(work: Path) -> dict[str, str]:
    hashes: dict[str, str] = {}

    def command(key: str, *args: str | Path) -> None:
        done = cli(*args)
        text = normalised(done.stdout.encode(), work)
        hashes[f"{key}:exit"] = str(done.returncode)
        hashes[f"{key}:stdout"] = hashlib.sha256(text).hexdigest()
        if done.returncode:  # the error paragraph is part of the behaviour
            hashes[f"{key}:stderr"] = hashlib.sha256(
                normalised(done.stderr.encode(), work)
            ).hexdigest()

    for name, config in jobs().items():
        path = work / f"{name}.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        command(f"validate/{name}", "validate", path)
        done = cli("run", path, "--out", work / "runs" / name)
        hashes[f"run/{name}:exit"] = str(done.returncode)
        if done.returncode:
            print(f"run {name} failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
    scripted_file = work / "scripted.yaml"
    command("protocols", "protocols")
    command("render/scripted", "render", scripted_file, "--persona", "hm-001")
    command("render/cactus", "render", work / "cactus.yaml", "--persona", "hm-001")
    run = work / "runs" / "scripted"
    for fmt in ("healme", "sharegpt", "cactus", "sqpsych"):
        command(
            f"export/{fmt}",
            "export",
            fmt,
            run,
            "--out",
            work / "exports" / f"{fmt}.out",
            "--split",
            "all",
        )
    command("filter", "filter", run, "--out", work / "filtered", "--pipeline", scripted_file)
    command("judge", "judge", run, "--out", work / "judged", "--pipeline", scripted_file)
    imports = ROOT / "tests" / "data" / "imports"
    for source in sorted(imports.iterdir()):
        fmt = {"csv": "healme", "json": "cactus", "jsonl": "cactus"}.get(source.suffix[1:])
        if source.stem.startswith("reframing"):
            fmt = "reframing"
        if fmt is None:
            continue
        command(
            f"import/{source.name}",
            "seeds",
            "import",
            fmt,
            source,
            "--out",
            work / "seeds" / f"{source.name}.jsonl",
        )
    for path in sorted(work.rglob("*")):
        if path.is_file() and "journal" not in path.parts and path.suffix != ".yaml":
            hashes[str(path.relative_to(work))] = file_hash(path, work)
    return dict(sorted(hashes.items()))


def main() -> int:
    mode = sys.argv[1] if len(sys.argv) > 1 else "check"
    with tempfile.TemporaryDirectory(prefix="golden-") as tmp:
        now = record_all(Path(tmp))
    if mode == "record":
        GOLDEN.write_text(json.dumps(now, indent=1) + "\n")
        print(f"recorded {len(now)} hashes in {GOLDEN.relative_to(ROOT)}")
        return 0
    then = json.loads(GOLDEN.read_text())
    moved = sorted(k for k in set(then) | set(now) if then.get(k) != now.get(k))
    for key in moved:
        print(f"changed: {key} ({then.get(key, 'absent')[:12]} -> {now.get(key, 'absent')[:12]})")
    print(f"{len(now) - len(moved)} of {len(set(then) | set(now))} hashes match")
    return 1 if moved else 0


if __name__ == "__main__":
    sys.exit(main())
