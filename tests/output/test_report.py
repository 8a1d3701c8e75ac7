"""report: one self-contained HTML page, opened in headless Chromium (Debian's /usr/bin/chromium,
driven by Playwright, nothing downloaded): every section and a known dialogue visible, model text
shown as text (never markup), nothing fetched, no console error."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import sync_playwright

from healme_synth import pipeline
from healme_synth.output import configs
from healme_synth.output.folder import read_rows, sample
from healme_synth.output.plots import PLOTS
from healme_synth.output.report import SECTIONS
from tests.conftest import cli, scripted_config
from tests.sweeps import write_sweep

CHROMIUM = "/usr/bin/chromium"  # Debian's package, installed by .ci/install
# Model output that would be markup if it were not escaped: bold text, and an image whose
# error handler would log a console error (and fetch a file) if it became an element.
HTML_REPLY = "I said <b>fine</b> & left <img src=x onerror=\"console.error('xss')\"> early."


def test_the_report_renders_in_chromium(tmp_path: Path) -> None:
    base = scripted_config(
        run={"name": "t", "seed": 7, "batch_size": 4},
        judges={"ctrs": {}, "panas": {"rubric": "panas"}},
    )
    replies = {
        "client": [HTML_REPLY, "Maybe it was not all my fault.", "I could try asking her."],
        "counselor": ["What happened then?", "What else could it mean?", "A kind next step."],
    }
    path = write_sweep(
        tmp_path,
        variants={"plain": {}, "html": {"models.script.replies": replies}},
        overrides={"seeds.sample": 4, "judges.ctrs.min_mean": 3, "safety.probe_fraction": 0.5},
        base=base,
    )
    sweep = pipeline.load_sweep(path)
    pipeline.run_sweep(sweep, sweep.folder())
    folder = sweep.folder()
    result = cli("report", folder)
    assert result.returncode == 0, result.stderr
    page_file = folder / "report.html"
    assert result.stdout == f"written: {page_file}\n"
    html = page_file.read_text()
    assert "<script" not in html and "http://" not in html and "https://" not in html

    # The report shows the same seeded sample of kept dialogues: its first one is known.
    plain = next(c for c in configs(folder) if c.name == "plain")
    known = sample(read_rows(plain, "train"), 2)[0]
    first_turn = known["turns"][0]["content"]

    problems: list[str] = []
    fetched: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: fetched.append(r.url))
        page.goto(page_file.as_uri())
        assert page.title() == "s: healme-synth report"
        headings = page.locator("h2")
        assert headings.all_inner_texts() == list(SECTIONS)
        for heading in SECTIONS:
            assert page.get_by_role("heading", name=heading, exact=True).is_visible()
        article = page.locator(f"article[id='plain-{known['id']}']")
        assert article.is_visible()
        assert article.get_by_text(first_turn, exact=True).is_visible()
        said = page.get_by_text(HTML_REPLY, exact=True)
        assert said.count() > 0 and said.first.is_visible()
        images = page.locator("img")
        assert images.count() == len(PLOTS)
        assert all(
            (src or "").startswith("data:image/png;base64,")
            for src in images.evaluate_all("els => els.map(e => e.getAttribute('src'))")
        )
        assert page.locator(".said *").count() == 0  # the text has no element in it
        assert all(
            page.locator(f"#plot-{name} img").evaluate("e => e.naturalWidth") > 0 for name in PLOTS
        )
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert problems == []
    assert fetched == [page_file.as_uri()]  # the page itself, nothing else
    assert (tmp_path / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
