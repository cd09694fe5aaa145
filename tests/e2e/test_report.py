"""The policy report as a reader gets it, made from the sweep the sweep tests share (tests/sweeps.py): its PDF
(A4, the headline and every section, the three figures embedded, no text running off the page), its page in
headless Chromium (every image loaded, a screenshot of the briefing), and without WeasyPrint every other file
and one line that says why there is no PDF.

The browser test is skipped where Chromium or Playwright is missing, except in CI (tests/e2e/browser.py).
"""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from PIL import Image
from pypdf import PdfReader

from tests.e2e.browser import CHROMIUM, LAUNCH_ARGS, need_browser
from tests.sweeps import ALTERNATIVE, BASELINE, REPORT_SECTIONS

# The shared sweep is made once per worker: its users share one.
pytestmark = pytest.mark.xdist_group("sweeps")

TITLE = f"Policy report: 2 labels against '{BASELINE}'"
SECTIONS = REPORT_SECTIONS
FIGURES = ("time_series.png", "wellbeing_effects.png", "trade_off.png")
A4 = (595.28, 841.89)  # points
NOTE_BACKGROUND = (0xFF, 0xF6, 0xE0)  # a note's highlight (sim/report/document.py)
# Half an em is less than the mean width of a character in the report's fonts, so a run estimated this way
# to end past the page does run off it.
MIN_EM_PER_CHARACTER = 0.5


def _report_command(sweep_dir, out) -> list[str]:
    return ["-m", "sim.report", str(sweep_dir), "--baseline", BASELINE, "--out", str(out)]


@pytest.fixture(scope="module")
def report_dir(resumed_sweep, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report"
    proc = subprocess.run(
        [sys.executable, *_report_command(resumed_sweep["dir"], out)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        f"report: {out / 'report.html'} (also report.pdf, report.md, figures/, effects.csv, levels.csv)"
    ], proc.stdout
    return out


def _headline(report_dir) -> str:
    """The briefing's first words on the alternative, with its wellbeing effect as effects.csv has it."""
    eff = pd.read_csv(report_dir / "effects.csv")
    row = eff[(eff["label"] == ALTERNATIVE) & (eff["group"] == "all") & (eff["outcome"] == "wellbeing")].iloc[0]
    return f"{ALTERNATIVE} against {BASELINE}, for everyone: wellbeing {'higher' if row.effect > 0 else 'lower'}"


def _text_runs(page) -> list[tuple[float, float, str]]:
    """(x where the run starts, font size, text) of every text run on a PDF page, in points."""
    runs = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            runs.append((x, size * abs(tm[0] * cm[0] + tm[1] * cm[2]), text.strip()))

    page.extract_text(visitor_text=visit)
    return runs


def test_the_pdf_is_a4_with_the_headline_every_section_and_the_figures_and_nothing_runs_off_the_page(report_dir):
    path = report_dir / "report.pdf"
    assert path.read_bytes()[:5] == b"%PDF-"
    pdf = PdfReader(path)
    assert len(pdf.pages) >= 1 and pdf.metadata.title == TITLE
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert text.startswith(TITLE), text[:200]
    assert _headline(report_dir) in text, text[:3000]
    for title in SECTIONS:
        assert title in text, title
    # The figures are embedded as the images the report drew (each page lists the document's images).
    drawn = sorted(Image.open(report_dir / "figures" / name).size for name in FIGURES)
    embedded = sorted({image.image.size for page in pdf.pages for image in page.images})
    assert embedded == drawn
    off = []
    for number, page in enumerate(pdf.pages, 1):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (width, height) == pytest.approx(A4, abs=1), number
        for x, size, run in _text_runs(page):
            if x < 0 or x + MIN_EM_PER_CHARACTER * size * len(run) > width:
                off.append((number, round(x), run[:60]))
    assert not off, f"text running off the page (page, x, text): {off[:5]}"


def test_the_page_in_chromium_loads_every_image_and_shows_the_briefing(report_dir, tmp_path):
    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 800})
        failed = []
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.goto((report_dir / "report.html").as_uri())  # returns once the page and its images have loaded
        images = page.eval_on_selector_all("img", "all => all.map(i => [i.alt, i.complete, i.naturalWidth])")
        briefing = page.locator("#in-brief")
        assert briefing.locator("h2").inner_text() == "In brief"
        assert _headline(report_dir) in briefing.inner_text()
        shot = tmp_path / "briefing.png"
        briefing.screenshot(path=str(shot))
        browser.close()
    assert not failed, failed
    assert len(images) == len(FIGURES) and all(done and width > 0 for _, done, width in images), images
    # The screenshot is the briefing as drawn: as wide as the page's text, with its text (anti-aliased, so
    # many colours) and its warnings on their highlight.
    image = Image.open(shot).convert("RGB")
    assert 800 <= image.width <= 1000 and image.height >= 200, image.size
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 16) or []}
    assert len(colours) > 20 and NOTE_BACKGROUND in colours, len(colours)


def test_without_weasyprint_the_report_has_every_other_file_and_says_why_there_is_no_pdf(resumed_sweep, tmp_path):
    out = tmp_path / "report"
    # None in sys.modules makes `import weasyprint` fail as it does where the 'pdf' extra is not installed.
    code = "import sys; sys.modules['weasyprint'] = None; import runpy; runpy.run_module('sim.report', run_name='__main__')"
    proc = subprocess.run(
        [sys.executable, "-c", code, *_report_command(resumed_sweep["dir"], out)[2:]],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout.splitlines() == [
        f"report: {out / 'report.html'} (also report.md, figures/, effects.csv, levels.csv)",
        "no report.pdf: WeasyPrint is not installed; install the 'pdf' extra (scripts/bootstrap.sh pdf, "
        "or pip install -e '.[pdf]') and run python -m sim.report again",
    ], proc.stdout
    assert not (out / "report.pdf").exists()
    assert all((out / name).is_file() for name in ("report.html", "report.md", "effects.csv", "levels.csv"))
    assert sorted(p.name for p in (out / "figures").iterdir()) == sorted(FIGURES)
