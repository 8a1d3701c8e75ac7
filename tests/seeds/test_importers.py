"""Seed importers over small files shaped like the reference datasets (tests/data/imports/):
the exact personas, one error per bad row naming it, the CLI, and the HealMe export round trip."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml

from healme_synth import pipeline
from healme_synth.config import load_pipeline
from healme_synth.errors import ConfigError
from healme_synth.output import export, write_personas
from healme_synth.records import HEALME_TRAP_LABELS, Persona
from healme_synth.seeds import importers
from healme_synth.seeds.bank import load_personas
from healme_synth.seeds.importers import import_seeds, normalise_traps
from tests.conftest import ROOT, cli, scripted_config
from tests.helpers import CSV_CLIENT as CLIENT
from tests.helpers import CSV_COUNSELOR as COUNSELOR

DATA = ROOT / "tests" / "data" / "imports"
BAD_CELLS = "the row has a different number of cells than the header"
SHORT_THOUGHT = "`thought`: String should have at least 1 character"
NOT_A_RECORD = "expected a JSON object with thought, patterns, intake_form, ... (or AI_client)"


def seed_id(format: str, path: Path, n: int) -> str:
    """The id the importer gives seed n of a file: HealMe's index column, else a 5-digit count.
    (Ids repeat across files, see test_imports_of_two_files_can_be_banked_together; a fix that
    puts the file's name in the id changes only this function.)"""
    return f"{path.name}:{n}" if format == "healme" else f"{path.name}:{n:05d}"


def persona(**fields: Any) -> Persona:
    return Persona.model_validate({"attitude": "neutral", **fields})


def intake(
    head: tuple[str, int, str, str],
    education: str,
    marital: str,
    family: str,
    *sections: str,
) -> str:
    """The intake form text exactly as the Cactus fixtures write it."""
    problem, reason, history, work, rel, daily, support = sections
    name, age, gender, occupation = head
    return (
        f"Name: {name}\nAge: {age}\nGender: {gender}\nOccupation: {occupation}\n"
        f"Education: {education}\nMarital Status: {marital}\nFamily Details: {family}\n\n"
        f"2. Presenting Problem\n{problem}\n\n"
        f"3. Reason for Seeking Counseling\n{reason}\n\n"
        f"4. Past History (including medical history)\n{history}\n\n"
        f"5. Academic/occupational functioning level: {work}\n"
        f"Interpersonal relationships: {rel}\nDaily life: {daily}\n\n"
        f"6. Social Support System\n{support}"
    )


MARISOL = intake(
    ("Marisol Vega", 34, "female", "Market baker"),
    "Culinary diploma",
    "Single",
    "Lives with her younger brother, Tomás.",
    'She calls her stall "a joke" whenever a batch fails, and has started skipping market days.',
    "A customer's comment about flat bread, last Saturday, left her unable to bake for two days.",
    "No previous counseling; occasional migraines.",
    "Her sales have dropped since she skipped markets.",
    "Close to her brother, but avoids fellow stallholders.",
    "Sleeps poorly before market days.",
    "Her brother and a friend from catering school.",
)
GRAHAM = intake(
    ("Graham Okafor", 61, "male", "Retired postal worker"),
    "High school",
    "Widowed",
    "One son, who lives two hours away.",
    "He reads every missed call from his son as anger at him.",
    "His doctor suggested talking to someone after he stopped eating regular meals.",
    "Treated for high blood pressure.",
    "Retired; volunteers at the library on Tuesdays.",
    "Few close friends since his wife died.",
    "Skips meals when worried.",
    "His sister, by phone.",
)
DANA = intake(
    ("Dana Whitfield", 45, "non-binary", "Site engineer"),
    "Master's degree",
    "Married",
    "Married with two teenage children.",
    "Works late every night rather than delegate.",
    "Their partner asked them to get support after a missed anniversary.",
    "None reported.",
    "Performance is good, but hours are unsustainable.",
    "Strained at home.",
    "Exhausted most evenings.",
    "Partner and one old university friend.",
)
RAVI = intake(
    ("Ravi Menon", 22, "male", "Engineering student"),
    "Third year of a bachelor's degree",
    "Single",
    "Lives in halls; parents abroad.",
    "After failing a mid-term, he predicts failing the degree.",
    'His tutor said he seemed "not himself" and pointed him to the counseling service.',
    "None.",
    "Missing lectures since the mid-term.",
    "Has withdrawn from his study group.",
    "Sleeping late, skipping breakfast.",
    "A flatmate and his cousin.",
)
LILY = intake(
    ("Lily Chen", 16, "female", "Secondary school student"),
    "Year 11",
    "Single",
    "Lives with her parents and grandmother.",
    "Calls herself useless since being benched.",
    "Her parents are worried she has stopped training.",
    "None.",
    "Grades steady.",
    "Avoiding teammates.",
    "Stays in her room after school.",
    "Her grandmother.",
)


def cactus_persona(path: Path, n: int, where: str, intake_form: str, **fields: Any) -> Persona:
    head = dict(line.split(": ", 1) for line in intake_form.splitlines()[:4])
    return persona(
        id=seed_id("cactus", path, n),
        name=head["Name"],
        age=int(head["Age"]),
        gender=head["Gender"],
        occupation=head["Occupation"],
        intake_form=intake_form,
        source=f"{path} {where}",
        **fields,
    )


def marisol(path: Path, n: int, where: str) -> Persona:
    return cactus_persona(
        path,
        n,
        where,
        MARISOL,
        thought="If my sourdough doesn't rise, the whole bakery stall is a joke.",
        thinking_traps=["all_or_nothing", "labeling"],
        attitude="positive",
    )


def graham(path: Path, n: int, where: str) -> Persona:
    return cactus_persona(
        path,
        n,
        where,
        GRAHAM,
        thought="My son didn't call on Sunday, so he must be angry with me.",
        thinking_traps=["mind_reading", "personalization"],
        other_traps=["emotional reasoning"],
        attitude="negative",
    )


def dana(path: Path, n: int, where: str) -> Persona:
    return cactus_persona(
        path,
        n,
        where,
        DANA,
        thought="I should never need to ask my team for help.",
        thinking_traps=["should_statements", "discounting_the_positive"],
        other_traps=["Comparing and despairing"],
    )


def ravi(path: Path, n: int, where: str) -> Persona:
    return cactus_persona(
        path,
        n,
        where,
        RAVI,
        thought="Since I failed one exam, I'll fail the whole degree.",
        thinking_traps=["overgeneralization", "fortune_telling"],
    )


def lily(path: Path, n: int, where: str) -> Persona:
    return cactus_persona(
        path,
        n,
        where,
        LILY,
        thought="My coach benched me, so I'm useless at football.",
        thinking_traps=["labeling"],
        attitude="negative",
    )


def healme_expected(path: Path) -> list[Persona]:
    """Rows as a spreadsheet numbers them (header = row 1); cells span lines, rows do not."""
    return [
        persona(
            id=seed_id("healme", path, 0),
            thought="If I apply for the team lead post, they'll turn me down, "
            "and everyone will know.",
            thinking_traps=["fortune_telling"],
            source=f"{path} row 2",
        ),
        persona(
            id=seed_id("healme", path, 1),
            thought="Either I finish the whole marathon or I'm a complete failure.",
            thinking_traps=["all_or_nothing"],
            source=f"{path} row 3",
        ),
        persona(
            id=seed_id("healme", path, 2),
            thought="I'm such a \"loser\" for forgetting my sister's birthday.",
            thinking_traps=["labeling"],
            source=f"{path} row 4",
        ),
        persona(
            id=seed_id("healme", path, 3),
            thought="My neighbour didn't wave back.\nShe must think I'm rude.",
            thinking_traps=["mind_reading"],
            source=f"{path} row 5",
        ),
        persona(
            id=seed_id("healme", path, 4),
            thought="I feel stupid in meetings so I must be stupid.",
            other_traps=["Emotional reasoning"],
            source=f"{path} row 6",
        ),
        persona(
            id=seed_id("healme", path, 5),
            thought="I should be able to handle everything on my own, without help.",
            thinking_traps=["should_statements"],
            source=f"{path} row 7",
        ),
    ]


MANAGER = "My manager moved our one-to-one, again, to next week."
RICE = "I burned the rice at the family dinner."
PARTNER = "My partner moved out last month, and the flat is silent."
WEDDING = "I didn't get invited to my colleague's wedding."


def reframing_expected(path: Path) -> list[Persona]:
    """One seed per (situation, thought) pair, sourced at its first row, with the traps of both
    rows; a pair's second row may come later in the file."""
    return [
        persona(
            id=seed_id("reframing", path, 1),
            situation=MANAGER,
            thought="She's avoiding me because I'm about to be let go.",
            thinking_traps=["fortune_telling", "mind_reading", "catastrophizing"],
            other_traps=["negative feeling or emotion"],
            source=f"{path} row 2",
        ),
        persona(
            id=seed_id("reframing", path, 2),
            situation=RICE,
            thought="I ruin everything I touch.",
            thinking_traps=["overgeneralization", "fortune_telling", "catastrophizing"],
            other_traps=["negative feeling or emotion"],
            source=f"{path} row 3",
        ),
        persona(
            id=seed_id("reframing", path, 3),
            situation=PARTNER,
            thought="Some days I wish I could just die, so it would stop hurting.",
            thinking_traps=["catastrophizing", "personalization"],
            other_traps=["negative feeling or emotion", "blaming"],
            at_risk=True,
            risk_flags=["passive_suicidal_ideation (self): 'wish I could just die'"],
            source=f"{path} row 5",
        ),
        persona(
            id=seed_id("reframing", path, 4),
            situation=WEDDING,
            thought="The suicidal thoughts are back because nobody wants me around.",
            thinking_traps=["mind_reading", "overgeneralization", "labeling"],
            at_risk=True,
            risk_flags=["active_suicidal_ideation (self): 'suicidal'"],
            source=f"{path} row 8",
        ),
    ]


def cactus_array_expected(path: Path) -> list[Persona]:
    return [
        marisol(path, 1, "record 1"),
        graham(path, 2, "record 2"),
        dana(path, 3, "record 3"),
    ]


def cactus_jsonl_expected(path: Path) -> list[Persona]:
    return [ravi(path, 1, "line 1"), dana(path, 2, "line 2")]


GOOD = {
    "healme.csv": ("healme", healme_expected),
    "reframing.csv": ("reframing", reframing_expected),
    "cactus.json": ("cactus", cactus_array_expected),
    "cactus.jsonl": ("cactus", cactus_jsonl_expected),
}


# ---------------------------------------------------------------- good files


@pytest.mark.parametrize("name", list(GOOD))
def test_good_file_imports_exact_personas(name: str) -> None:
    format, expected = GOOD[name]
    result = import_seeds(format, DATA / name)
    assert result.errors == []
    assert result.personas == expected(DATA / name)
    assert result.at_risk == sum(p.at_risk for p in expected(DATA / name))


def test_the_fixtures_carry_the_hard_csv_cells() -> None:
    # What the real tables hold: quoted commas, doubled quotes, newlines inside cells.
    for name in ("healme.csv", "reframing.csv", "healme_broken.csv", "reframing_broken.csv"):
        text = (DATA / name).read_text()
        assert '""' in text and ',"' in text, name
    healme = (DATA / "healme.csv").read_text()
    assert len(healme.splitlines()) > 1 + len(healme_expected(DATA / "healme.csv"))


# ---------------------------------------------------------------- broken files


def healme_broken(path: Path) -> tuple[list[Persona], list[str]]:
    good = [
        persona(
            id=seed_id("healme", path, 0),
            thought="If the car breaks down, we're ruined.",
            thinking_traps=["catastrophizing"],
            source=f"{path} row 2",
        ),
        persona(
            id=seed_id("healme", path, 4),
            thought="They only praised my work to be polite, it doesn't count.",
            thinking_traps=["discounting_the_positive"],
            source=f"{path} row 6",
        ),
    ]
    errors = [
        f"{path} row 3: {BAD_CELLS}",  # a short row
        f"{path} row 4: {SHORT_THOUGHT}",  # an empty thought
        f"{path} row 5: {BAD_CELLS}",  # a row with an extra cell
    ]
    return good, errors


def reframing_broken(path: Path) -> tuple[list[Persona], list[str]]:
    good = [
        persona(
            id=seed_id("reframing", path, 1),
            situation="My friend read my message and didn't reply.",
            thought="She's sick of me.",
            thinking_traps=["mind_reading", "catastrophizing"],
            other_traps=["negative feeling or emotion"],
            source=f"{path} row 2",
        ),
        persona(
            id=seed_id("reframing", path, 3),
            situation="The bus was late and I missed the start of the interview.",
            thought="I've blown my only chance.",
            thinking_traps=["fortune_telling", "catastrophizing"],
            source=f"{path} row 7",
        ),
    ]
    errors = [
        f"{path} row 3: {BAD_CELLS}",  # a short row
        f"{path} row 4: {BAD_CELLS}",  # an extra cell
        f"{path} row 6: {SHORT_THOUGHT}",  # an empty thought
    ]
    return good, errors


MINOR = (
    "the client is 16; personas under 18 are refused by default "
    "(--allow-minors only with a documented reason)"
)


def cactus_broken(path: Path) -> tuple[list[Persona], list[str]]:
    good = [ravi(path, 1, "line 1"), graham(path, 7, "line 8")]
    errors = [
        f"{path} line 2: not valid JSON (Expecting value)",
        f"{path} line 3: {NOT_A_RECORD}",
        f"{path} line 5: `thought`: Input should be a valid string",  # line 4 is blank
        f"{path} line 6: `attitude`: Input should be 'positive', 'neutral' or 'negative'",
        f"{path} line 7: {MINOR}",
    ]
    return good, errors


BROKEN = {
    "healme_broken.csv": ("healme", healme_broken),
    "reframing_broken.csv": ("reframing", reframing_broken),
    "cactus_broken.jsonl": ("cactus", cactus_broken),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_bad_rows_are_each_named_and_the_rest_imported(name: str) -> None:
    format, expected = BROKEN[name]
    good, errors = expected(DATA / name)
    result = import_seeds(format, DATA / name)
    assert result.personas == good
    assert sorted(result.errors) == sorted(errors)


def test_allow_minors_imports_the_16_year_old() -> None:
    path = DATA / "cactus_broken.jsonl"
    result = import_seeds("cactus", path, allow_minors=True)
    assert result.personas == [
        ravi(path, 1, "line 1"),
        lily(path, 6, "line 7"),
        graham(path, 7, "line 8"),
    ]
    assert len(result.errors) == 4 and not any("line 7" in e for e in result.errors)


def test_cactus_array_bad_records_are_named_by_record(tmp_path: Path) -> None:
    path = tmp_path / "cactus.json"
    path.write_text(
        '[{"thought": "I always fail.", "patterns": "overgeneralizing", "attitude": "neutral",'
        ' "intake_form": "Name: Kim\\nAge: 40"},\n 7,\n {"patterns": [], "attitude": "neutral"}]'
    )
    result = import_seeds("cactus", path)
    assert result.personas == [
        persona(
            id=seed_id("cactus", path, 1),
            thought="I always fail.",
            thinking_traps=["overgeneralization"],
            name="Kim",
            age=40,
            intake_form="Name: Kim\nAge: 40",
            source=f"{path} record 1",
        )
    ]
    assert result.errors == [
        f"{path} record 2: {NOT_A_RECORD}",
        f"{path} record 3: `thought`: Input should be a valid string",
    ]
    path.write_text('[{"thought": "x",\n "attitude": }]')
    with pytest.raises(ConfigError, match=r"cactus\.json: not valid JSON \(line 2: Expecting"):
        import_seeds("cactus", path)


def test_whole_file_problems_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown seed format 'xml'; expected one of: healme, "):
        import_seeds("xml", DATA / "healme.csv")
    with pytest.raises(ConfigError, match=r"nope\.csv: no such file to import\."):
        import_seeds("healme", tmp_path / "nope.csv")
    with pytest.raises(
        ConfigError,
        match=r"expected a CSV with the columns thinking_trap, thought; missing: thinking_trap",
    ):
        import_seeds("healme", DATA / "reframing.csv")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(
        b"situation,thought,reframe,thinking_traps_addressed\n"
        b"Caf\xe9 closed early.,I ruin every plan.,It was the caf\xe9.,overgeneralizing\n"
    )
    # A file that is not UTF-8 is a user's mistake (one readable message), not a crash.
    with pytest.raises(ConfigError, match="latin1.csv"):
        import_seeds("reframing", latin1)


@pytest.mark.parametrize("name", ["reframing.csv", "cactus.json"])
def test_a_utf8_bom_is_not_part_of_the_first_column(name: str, tmp_path: Path) -> None:
    # Spreadsheet programs save "CSV UTF-8" with a byte-order mark; editors do the same to JSON.
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + (DATA / name).read_bytes())
    format, expected = GOOD[name]
    result = import_seeds(format, path)
    assert result.errors == []
    assert result.personas == expected(path)


def test_imports_of_two_files_can_be_banked_together(tmp_path: Path) -> None:
    # The default outputs are one file per imported file, and seeds.files may name several.
    outs = []
    for name in ("cactus.json", "cactus.jsonl"):
        out = tmp_path / f"{name}.jsonl"
        write_personas(import_seeds("cactus", DATA / name).personas, out)
        outs.append(out)
    assert len(load_personas(outs)) == 5


# ---------------------------------------------------------------- normalisation and risk

# Spellings from HealMe's table, the reframing CSV, Cactus and our own exporters.
SPELLINGS = {
    "labeling": [
        "Labeling and mislabeling",
        "labeling and mislabeling",
        "labelling",
        "Labeling",
        "LABELING",
        "mislabeling",
    ],
    "mind_reading": [
        "Jumping to conclusions: mind reading",
        "jumping to conclusions: Mind Reading",
        "mind reading",
        "Mind-reading",
        "mindreading",
    ],
    "fortune_telling": [
        "Jumping to conclusions: Fortune-telling",
        "jumping to conclusions: fortune telling",
        "fortune telling",
        "Fortune-Telling",
    ],
    "catastrophizing": ["Catastrophizing", "catastrophising", "CATASTROPHIZING "],
    "all_or_nothing": [
        "Black-and-white or polarized thinking / All or nothing thinking",
        "black-and-white or polarized thinking / all or nothing thinking",
        "all-or-nothing thinking",
        "All or nothing",
        "black and white thinking",
        "Polarized thinking",
    ],
    "overgeneralization": [
        "Overgeneralization",
        "overgeneralizing",
        "overgeneralisation",
        "over-generalization",
    ],
    "discounting_the_positive": [
        "Discounting the positive",
        "disqualifying the positive",
        "Discounting positives",
    ],
    "should_statements": ["Should statements", "should-statements", "Should Statements "],
    "personalization": ["Personalization", "personalizing", "Personalisation"],
    "mental_filtering": ["Mental filtering", "mental filter", "Filtering"],
}


@pytest.mark.parametrize(
    ("spelling", "trap"),
    [(s, trap) for trap, spellings in SPELLINGS.items() for s in spellings]
    + [(trap, trap) for trap in SPELLINGS]
    + [(export.readable(trap), trap) for trap in SPELLINGS]
    + [(label, trap) for trap, label in HEALME_TRAP_LABELS.items()],
)
def test_each_spelling_normalises_to_its_trap(spelling: str, trap: str) -> None:
    assert normalise_traps([spelling]) == ([trap], [])


def test_the_table_covers_the_ten_traps() -> None:
    assert set(SPELLINGS) == set(importers.TRAPS) == set(HEALME_TRAP_LABELS)
    assert len(importers.TRAPS) == 10


def test_unknown_names_are_kept_in_first_seen_order_and_duplicates_fold() -> None:
    assert normalise_traps(
        [
            "Labeling",
            " emotional reasoning ",
            "labelling",
            "blaming",
            "LABELING AND MISLABELING",
            "emotional reasoning",
            "",
            "   ",
            "Jumping to conclusions: mind reading",
            "blaming",
            "negative feeling or emotion",
            "mind reading",
            "Jumping to conclusions",
        ]
    ) == (
        ["labeling", "mind_reading"],
        ["emotional reasoning", "blaming", "negative feeling or emotion", "Jumping to conclusions"],
    )
    assert normalise_traps([]) == ([], [])


@pytest.mark.parametrize(
    "text",
    [
        "I want to die.",
        "Some days I wish I could just die, so it would stop hurting.",
        "I wish to die.",
        "The suicidal thoughts are back.",
        "Everyone would be better off if I were dead; I'd be better off dead.",
        "I want to kill myself.",
        "I keep thinking about ending my life.",
        "I just want to end it all.",
        "I don't want to live anymore.",
        "I've been cutting myself again.",
    ],
)
def test_crisis_content_is_flagged(text: str) -> None:
    assert importers.at_risk(text)


@pytest.mark.parametrize(
    "text",
    [
        "I burned the rice at the family dinner.",
        "This deadline is brutal and I'm exhausted.",
        "I'm dying to know if I got the job.",
        None,
        "",
    ],
)
def test_ordinary_thoughts_are_not_flagged(text: str | None) -> None:
    assert not importers.at_risk(text)


# ---------------------------------------------------------------- the command line


@pytest.mark.parametrize("name", ["healme.csv", "reframing.csv", "cactus.json"])
def test_cli_imports_a_good_file(name: str, tmp_path: Path) -> None:
    format, expected = GOOD[name]
    file, out = DATA / name, tmp_path / "seeds" / "out.jsonl"
    result = cli("seeds", "import", format, file, "--out", out)
    assert result.returncode == 0, result.stderr
    personas = expected(file)
    flagged = sum(p.at_risk for p in personas)
    assert result.stdout == (
        f"imported {len(personas)} personas from {file} into {out} "
        f"({flagged} flagged at-risk); 0 rows with errors\n"
    )
    assert result.stderr == ""
    assert load_personas([out]) == personas


@pytest.mark.parametrize("name", list(BROKEN))
def test_cli_reports_each_bad_row_and_keeps_the_good_ones(name: str, tmp_path: Path) -> None:
    format, expected = BROKEN[name]
    file, out = DATA / name, tmp_path / "out.jsonl"
    good, errors = expected(file)
    result = cli("seeds", "import", format, file, "--out", out)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == (
        f"imported {len(good)} personas from {file} into {out} (0 flagged at-risk); "
        f"{len(errors)} rows with errors\n"
    )
    assert result.stderr.startswith(
        f"error: {file}: {len(errors)} rows could not be imported "
        f"(the other {len(good)} were written to {out}): "
    )
    for error in errors:
        assert error in result.stderr
    assert load_personas([out]) == good  # nothing already read is lost


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("xml", DATA / "healme.csv"),
            "error: unknown seed format 'xml'; expected one of: healme, reframing, cactus.\n",
        ),
        (
            ("healme", DATA / "missing.csv"),
            f"error: {DATA / 'missing.csv'}: no such file to import.\n",
        ),
        (
            ("healme", DATA / "reframing.csv"),
            f"error: {DATA / 'reframing.csv'}: expected a CSV with the columns thinking_trap, "
            "thought; missing: thinking_trap (header: situation, thought, reframe, "
            "thinking_traps_addressed).\n",
        ),
    ],
)
def test_cli_whole_file_mistakes_exit_2(
    args: tuple[str, Path], message: str, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    result = cli("seeds", "import", *args, "--out", out)
    assert result.returncode == 2
    assert result.stderr == message
    assert not out.exists()


def test_cli_prints_file_names_with_brackets_as_they_are(tmp_path: Path) -> None:
    file = tmp_path / "seeds[draft].csv"
    shutil.copy(DATA / "healme.csv", file)
    out = tmp_path / "out[bold].jsonl"
    result = cli("seeds", "import", "healme", file, "--out", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"imported 6 personas from {file} into {out} (0 flagged at-risk); 0 rows with errors\n"
    )


# ---------------------------------------------------------------- HealMe export round trip


@pytest.fixture(scope="module")
def healme_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], Path]:
    """A scripted HealMe run (some dialogues rejected by the judge), its kept rows, and its
    HealMe export, whose dialogue cells hold commas, doubled quotes and newlines."""
    root = tmp_path_factory.mktemp("roundtrip")
    config = scripted_config(
        run={"name": "t", "seed": 7, "batch_size": 1},
        seeds={"files": [str(ROOT / "personas" / "bank.yaml")], "sample": 24},
        judge={"items": ["understanding", "focus"]},
    )
    config["models"]["script"]["replies"] = {
        "client": CLIENT,
        "counselor": COUNSELOR,
        "judge": ['{"understanding": 5, "focus": 4}', '{"understanding": 4, "focus": 4}', "no"],
    }
    (root / "p.yaml").write_text(yaml.safe_dump(config))
    manifest = pipeline.run(pipeline.plan(load_pipeline(root / "p.yaml")), root / "run")
    assert manifest.counts.rejected > 0 and manifest.counts.kept > 0
    kept = pq.read_table(root / "run/data/default/train-00000-of-00001.parquet").to_pylist()
    assert len(kept) == manifest.counts.kept
    csv_path = root / "healme.csv"
    assert export.export_run("healme", root / "run", csv_path) == len(kept)
    return kept, csv_path


def test_healme_export_imports_back_to_the_same_trap_thought_pairs(
    healme_export: tuple[list[dict[str, Any]], Path],
) -> None:
    kept, csv_path = healme_export
    assert len({row["thinking_traps"][0] for row in kept}) >= 5  # many traps, not one
    result = import_seeds("healme", csv_path)
    assert result.errors == []
    assert [(p.thinking_traps[0], p.thought) for p in result.personas] == [
        (row["thinking_traps"][0], row["thought"]) for row in kept
    ]


def test_exported_rows_are_named_as_a_spreadsheet_numbers_them(
    healme_export: tuple[list[dict[str, Any]], Path],
) -> None:
    # Every row spans several lines (newlines inside dialogue cells); sources count rows.
    kept, csv_path = healme_export
    result = import_seeds("healme", csv_path)
    assert [p.source for p in result.personas] == [
        f"{csv_path} row {n}" for n in range(2, len(kept) + 2)
    ]
