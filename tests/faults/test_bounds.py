"""Fault corpus: resource bombs, inputs that gave tracebacks, and inputs that gave silently
wrong results (issue 17, items 5-7). Each ends in exit 2 with one paragraph naming the file
(and the line, row or template) and leaves nothing behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from tests.faults.corpus import Case, World, check

LAUGHS = "\n".join(
    [
        'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
        *(
            f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]"
            for p, n in zip("abcdefgh", "bcdefghi", strict=True)
        ),
        "personas: []",
    ]
)
"""Nine levels of nine aliases: 9**9 strings from a few hundred bytes."""


def _seed_text(name: str, text: str | bytes) -> Case:
    """`validate` of a private pipeline whose seed file is `text`."""

    def setup(w: World) -> list[str | Path]:
        seeds = w.root / "seeds" / "bad.yaml"
        seeds.parent.mkdir(parents=True)
        _ = seeds.write_bytes(text) if isinstance(text, bytes) else seeds.write_text(text)
        w.facts["file"] = seeds
        return ["validate", w.private_pipeline(seeds={"files": [str(seeds)], "sample": 2})]

    return Case(name, setup, 2)


def seeds_case(name: str, text: str | bytes, *says: str) -> Case:
    return Case(name, _seed_text(name, text).setup, 2, ("{file}", *says))


def dup_pipeline(w: World) -> list[str | Path]:
    path = w.pipeline()
    path.write_text(path.read_text() + "seeds:\n  files: [other.yaml]\n")
    first = next(n for n, line in enumerate(path.read_text().splitlines(), 1) if line == "seeds:")
    w.facts["first"] = first
    w.facts["second"] = len(path.read_text().splitlines()) - 1
    return ["validate", path]


def deep_pipeline(w: World) -> list[str | Path]:
    path = w.pipeline()
    path.write_text(path.read_text() + "deep: " + "[" * 20_000 + "]" * 20_000 + "\n")
    return ["validate", path]


def dup_protocol(w: World) -> list[str | Path]:
    protocol = w.prompts() / "healme" / "protocol.yaml"
    protocol.write_text(protocol.read_text() + "name: healme\n")
    w.facts["file"] = protocol
    return ["validate", w.private_pipeline()]


def bool_batch(w: World) -> list[str | Path]:
    return ["validate", w.pipeline(run={"name": "b", "batch_size": True})]


def huge_sample(w: World) -> list[str | Path]:
    seeds = {"files": [str(ROOT / "personas" / "bank.yaml")], "sample": 100_000_000}
    return ["validate", w.pipeline(seeds=seeds)]


def non_utf8_pipeline(w: World) -> list[str | Path]:
    path = w.pipeline()
    path.write_bytes(path.read_bytes() + b"# caf\xe9\n")
    return ["validate", path]


def bad_port(w: World) -> list[str | Path]:
    return ["validate", w.openai_pipeline(url="http://127.0.0.1:99999/v1")]


def template(name: str, text: str | bytes, *says: str) -> Case:
    """`validate` with the counselor's system template starting with `text`."""

    def setup(w: World) -> list[str | Path]:
        target = w.prompts() / "healme" / "counselor_system.j2"
        head = text if isinstance(text, bytes) else text.encode()
        target.write_bytes(head + b"\n" + target.read_bytes())
        w.facts["file"] = target
        return ["validate", w.private_pipeline()]

    return Case(name, setup, 2, ("{file}", *says))


def linked_template(w: World) -> list[str | Path]:
    target = w.prompts() / "healme" / "counselor_system.j2"
    outside = w.root / "elsewhere.j2"
    outside.write_text("You are a counselor.\n")
    target.unlink()
    os.symlink(outside, target)
    w.facts.update(file=target, target=outside)
    return ["validate", w.private_pipeline()]


def protocols_nowhere(w: World) -> list[str | Path]:
    return ["protocols", "--prompts-dir", w.root / "nowhere"]


def import_into_folder(w: World) -> list[str | Path]:
    (w.root / "folder").mkdir()
    return ["seeds", "import", "healme", ROOT / "tests/data/imports/healme.csv", "--out",
            w.root / "folder"]  # fmt: skip


def run_into(where: str) -> Case:
    def setup(w: World) -> list[str | Path]:
        (w.root / "afile").write_text("mine\n")
        out = where.format(root=w.root)
        w.facts["out"] = out
        return ["run", w.pipeline(), "--out", out]

    return Case(f"run-out-{where.split('/')[1] or 'file'}", setup, 2, ("{out}", "run directory"))


def csv_import(name: str, text: str, *says: str) -> Case:
    def setup(w: World) -> list[str | Path]:
        source = w.root / "in.csv"
        source.write_text(text)
        w.facts["file"] = source
        return ["seeds", "import", "healme", source, "--out", w.root / "out.jsonl"]

    return Case(name, setup, 2, ("{file}", *says))


UNCLOSED = (
    "thinking_trap,thought\n"
    'Catastrophizing,"It will all go wrong\n'
    "Personalization,It is my fault\n"
    "Labeling,I am a failure\n"
)

CASES = [
    # (a) YAML: duplicate keys, alias bombs and nesting, for every YAML the tool reads.
    Case(
        "yaml-duplicate-section-in-pipeline",
        dup_pipeline,
        2,
        ("duplicate key `seeds` (line {first} and line {second})",),
    ),
    seeds_case(
        "yaml-duplicate-key-in-seed-file",
        "personas:\n  - id: a\n    thought: one\n    thought: two\n",
        "duplicate key `thought` (line 3 and line 4)",
    ),
    seeds_case("yaml-billion-laughs-seed-file", LAUGHS, "aliases expand to more than 100,000"),
    seeds_case(
        "yaml-20000-deep-seed-file",
        "personas: " + "[" * 20_000 + "]" * 20_000 + "\n",
        "nested more than 100 levels deep",
    ),
    Case("yaml-20000-deep-pipeline", deep_pipeline, 2, ("nested more than 100 levels deep",)),
    Case("yaml-duplicate-key-in-protocol", dup_protocol, 2, ("{file}", "duplicate key `name`")),
    seeds_case("non-utf8-seed-yaml", b"personas: [caf\xe9]\n", "not utf-8 text (byte 14"),
    Case("non-utf8-pipeline", non_utf8_pipeline, 2, ("not UTF-8 text",)),
    # (b) booleans are not numbers.
    Case("bool-batch-size", bool_batch, 2, ("`batch_size: true` is a boolean, not a number",)),
    # (c) template rendering is bounded and its errors name the template.
    template("template-huge-power", "{{ 10**(10**8) }}", "line 1", "too large to compute"),
    template("template-huge-repeat", "{{ 'x'*10**9 }}", "line 1", "makes more than 1,000,000"),
    template(
        "template-nested-ranges",
        "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}",
        "range() loops ask for more than 1,000,000 items",
    ),
    template("template-range-too-big", "{{ range(10**8)|list }}", "refused by the sandbox"),
    template("template-sandbox-security", "{{ ''.__class__.__mro__ }}", "is unsafe"),
    template(
        "template-output-cap",
        "{% for i in range(1000) %}{{ 'y' * 5000 }}{% endfor %}",
        "the output passed 1,000,000 characters",
    ),
    template("template-include-outside", "{% include '../../x' %}", "outside the prompts folder"),
    template("template-non-utf8", b"caf\xe9", "not UTF-8 text"),
    template("template-zero-division", "{{ 1/0 }}", "ZeroDivisionError"),
    # (d) the prompts folder is a boundary.
    Case(
        "template-link-outside-prompts",
        linked_template,
        2,
        ("{file}: a link to {target}, outside the prompts folder",),
    ),
    Case("protocols-prompts-dir-nowhere", protocols_nowhere, 2, ("nowhere: no such folder",)),
    # (e) where output may go.
    Case("seeds-import-out-folder", import_into_folder, 2, ("folder is a folder; --out names",)),
    run_into("{root}/afile"),
    run_into("/proc/healme-synth-out"),
    run_into("/sys/healme-synth-out"),
    Case("base-url-bad-port", bad_port, 2, ("base_url has a port that is not a number",)),
    # (f) sample is capped (the plan holds one entry per dialogue).
    Case("seeds-sample-100000000", huge_sample, 2, ("seeds.sample", "less than or equal to")),
    # (g) CSV imports.
    csv_import(
        "csv-unclosed-quote",
        UNCLOSED,
        "row 2 (line 2): a quote opened in this row is never closed, so lines 3-4",
        "nothing was imported",
    ),
    csv_import(
        "csv-10mb-cell",
        'thinking_trap,thought\nLabeling,"' + "x" * 10_000_000 + '"\nLabeling,ok\n',
        "row 2 (line 2): not readable as CSV (field larger than field limit",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bounds(case: Case, tmp_path: Path) -> None:
    check(case, tmp_path)


def test_cases_are_distinct() -> None:
    assert len({c.id for c in CASES}) == len(CASES)
    assert yaml.safe_load(LAUGHS)["personas"] == []  # plain PyYAML takes the bomb


def test_yaml_limits_leave_ordinary_yaml_alone() -> None:
    from healme_synth import inputs

    text = "d: &d {x: 1, y: [1, 2]}\ne:\n  <<: *d\n  y: 3\nf: *d\nflag: true\n"
    assert inputs.load_yaml(text) == yaml.safe_load(text)
    with pytest.raises(inputs.YamlLimitError, match=r"duplicate key `a` \(line 1 and line 1\)"):
        inputs.load_yaml("{a: 1, a: 2}")
