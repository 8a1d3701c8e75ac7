"""healme_synth.inputs: the one way input files are read, so a run knows each file's SHA-256.
Includes the guard that keeps it the one way: a module reading files around it must say why."""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import pytest

from healme_synth import inputs
from healme_synth.config import instruments
from healme_synth.errors import ConfigError

PACKAGE = Path(inputs.__file__).parent

OUTSIDE_INPUTS = {
    "inputs.py": "the choke point itself",
    "prompts.py": "its jinja2 loader reports each template it reads to inputs",
    "config/load.py": "the pipeline file: its resolved config is hashed as config_sha256",
    "pipeline/journal.py": "the run's own journal and run.json, not inputs",
    "pipeline/lock.py": "the run directory's lock and its holder file",
    "pipeline/sweep.py": "a variant's own manifest",
    "pipeline/sweep_file.py": "a sweep file: like a pipeline file, hashed as config",
    "seeds/importers.py": "`seeds import` reads other datasets' files, not a run's inputs",
    "seeds/cactus.py": "`seeds import cactus` reads Cactus's own files, not a run's inputs",
    "backends/embedded.py": "the model's files (weights are named by the config)",
}
"""Modules that read files without `inputs`, and why that is right for them. `output/` and
`cli/` read runs and write files, never a run's inputs."""


def _reads_a_file(node: ast.AST) -> bool:
    """open(...), or x.read_text()/x.read_bytes() on anything but `inputs` (Path.open is
    not told from other .open methods, such as a journal's)."""
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    if isinstance(f, ast.Name):
        return f.id == "open"
    if isinstance(f, ast.Attribute) and f.attr in ("read_text", "read_bytes"):
        return not (isinstance(f.value, ast.Name) and f.value.id == "inputs")
    return False


def test_no_module_reads_a_file_around_inputs() -> None:
    readers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if name.startswith(("output/", "cli/")) or name in OUTSIDE_INPUTS:
            continue
        if any(map(_reads_a_file, ast.walk(ast.parse(path.read_text())))):
            readers.append(name)
    assert readers == [], (
        "these modules read files without healme_synth.inputs; read inputs with "
        "inputs.read_text/read_bytes (so a resume can tell they changed), or list the module in "
        "OUTSIDE_INPUTS with the reason"
    )


def test_reads_are_learned_by_every_active_scope(tmp_path: Path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("a: 1\n")
    b.write_text("b: 2\n")
    assert inputs.read_text(a) == "a: 1\n"  # outside any scope: nothing learned, no error
    with inputs.recording() as outer:
        inputs.read_text(a)
        with inputs.recording() as inner:
            inputs.read_bytes(b)
    sha = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (a, b)}
    assert outer.files == {inputs.key(a): sha[a], inputs.key(b): sha[b]}
    assert inner.files == {inputs.key(b): sha[b]}


def test_a_file_read_twice_with_other_content_is_refused(tmp_path: Path) -> None:
    a = tmp_path / "a.j2"
    a.write_text("one")
    with inputs.recording():
        inputs.read_text(a)
        inputs.read_text(a)  # the same content again is fine
        a.write_text("two")
        with pytest.raises(ConfigError, match=rf"{a} changed while it was in use"):
            inputs.read_text(a)


def test_changed_names_edited_removed_and_new_files(tmp_path: Path) -> None:
    kept, edited, gone, later = (tmp_path / n for n in ("kept", "edited", "gone", "later"))
    for p in (kept, edited, gone, later):
        p.write_text(p.name)
    with inputs.recording() as then:
        for p in (kept, edited, gone):
            inputs.read_bytes(p)
    recorded = dict(then.files) | {inputs.key(later): inputs.sha256_now(inputs.key(later)) or ""}
    edited.write_text("other")
    gone.unlink()
    added = tmp_path / "added"
    added.write_text("new")
    with inputs.recording() as now:
        for p in (kept, edited, added):
            inputs.read_bytes(p)
    # `later` was first read mid-run (not by the plan now): compared with the disk, unchanged.
    assert inputs.changed(recorded, now.files) == sorted(
        inputs.key(p) for p in (edited, gone, added)
    )


def test_a_cached_loader_still_reports_its_files() -> None:
    """instruments() reads the questionnaire tables once per process; every later plan must
    still learn them (with the hashes of that first read)."""
    instruments.instruments()
    with inputs.recording() as seen:
        instruments.instruments()
    tables = sorted(instruments.INSTRUMENTS_DIR.glob("*.yaml"))
    assert sorted(seen.files) == sorted(inputs.key(t) for t in tables)


def test_bytes_that_are_not_utf8_are_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "seeds.yaml"
    bad.write_bytes(b"personas:\n  - id: \xff\xfe\n")
    with pytest.raises(ConfigError, match=rf"{bad}: not utf-8 text \(byte 18 is b'\\xff'\)"):
        inputs.read_text(bad)
