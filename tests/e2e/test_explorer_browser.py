"""The explorer in a real browser: start ``feedsim-explore`` on a free port, drive headless Chromium
(Debian's package, through Playwright, no browser download), check that only the explorer's own
controls are shown (none of Mesa's generic ones), that bad settings and a bad rule file are reported on
the page, then change the ranking rule, run a few days and check from the page itself that the one day
counter, the plots and the difference B - A update.

Leaves a screenshot in results/test-artifacts/; with FEEDSIM_UPDATE_SCREENSHOT=1 it also refreshes the
README's docs/explorer.png. Skipped when Chromium or Playwright is missing, except in CI (CI=true or
FEEDSIM_BROWSER_TEST=required), where it must run (tests/e2e/browser.py).
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.browser import CHROMIUM, LAUNCH_ARGS, need_browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "results" / "test-artifacts"
DOCS_SCREENSHOT = ROOT / "docs" / "explorer.png"
# generous: CI machines are shared, and the first page load compiles nothing but loads every kernel
PAGE_TIMEOUT_MS = 180_000
ALTERNATIVE = "ranking rule: chronological"
DAYS = 3
RULE_FILE = "B: rule file (file.py:function)"
# What Mesa's generic page (SolaraViz) shows and this page must not: its speed and thread controls, the
# model's time, numbered tabs, and the "custom" policy, which needs a rule the list cannot take.
GENERIC = [
    "Play Interval",
    "Render Interval",
    "Use Threads",
    re.compile(r"^Time: "),
    re.compile(r"^Page \d$"),
    "Model Parameters",
]


@pytest.fixture(scope="module")
def explorer_url(tmp_path_factory):
    need_browser(None if importlib.util.find_spec("solara") else "the explorer's 'viz' extra is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log_path = tmp_path_factory.mktemp("explorer") / "server.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "sim.explorer.cli", "--host", "127.0.0.1", "--port", str(port), "--no-open"],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                pytest.fail(f"the explorer exited with code {server.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the explorer did not listen on port {port}:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def page(explorer_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        failed = []
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.on(
            "response", lambda response: response.status >= 400 and failed.append(f"{response.status} {response.url}")
        )
        page.goto(explorer_url)
        yield page
        browser.close()
    assert not failed, f"the page could not load: {failed}"


def _choose(page, label: str, option: str) -> None:
    page.get_by_label(label, exact=True).click(force=True)
    page.get_by_role("option", name=option, exact=True).click()


def _type(page, label: str, text: str) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(text)
    field.press("Enter")


def _difference_table(page) -> dict[str, list[float]]:
    """The B - A table as the page shows it: outcome -> values for all users, adolescents, vulnerable."""
    rows = page.locator(".feedsim-difference-table tbody tr")
    table = {}
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td").all_inner_texts()
        table[cells[0]] = [float(c) for c in cells[1:]]
    return table


def _tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def test_only_the_explorer_s_own_controls_are_shown(page):
    page.get_by_role("tab", name="Difference B − A").wait_for()
    page.locator(".feedsim-difference").wait_for()
    for text in GENERIC:
        assert page.get_by_text(text).count() == 0, f"Mesa's generic control {text} is on the page"
    assert page.get_by_role("tab", name=re.compile(r"^Page \d")).count() == 0
    for button in ("Reset", "▶", "Step"):
        assert page.get_by_role("button", name=button, exact=True).count() == 1
    assert page.get_by_text("days simulated").count() == 1, "more than one day counter"
    assert page.title() == "feedsim explorer"
    page.get_by_label("Scenario B", exact=True).click(force=True)
    page.get_by_role("option", name="ranking rule: civic", exact=True).wait_for()
    assert page.get_by_role("option", name="ranking rule: custom").count() == 0  # the rule-file field replaces it


def test_bad_settings_and_a_bad_rule_file_are_reported_on_the_page(page, tmp_path):
    page.get_by_role("tab", name="Difference B − A").wait_for()
    _type(page, "Seed", "seven")
    page.get_by_role("button", name="Reset").click()
    page.get_by_text("seed='seven' is not allowed: must be a non-negative integer").wait_for()
    _type(page, "Seed", "0")

    missing = tmp_path / "nowhere.py"
    _type(page, RULE_FILE, f"{missing}:friends_first")
    page.get_by_role("button", name="Reset").click()
    page.get_by_text(f"the file {missing} does not exist").wait_for()

    rules = tmp_path / "my_rules.py"
    rules.write_text("def friends_first(x, w):\n    return x[0]\n")
    _type(page, RULE_FILE, f"{rules}:friends_frist")
    page.get_by_role("button", name="Reset").click()
    page.get_by_text("has no function 'friends_frist'; it defines: friends_first").wait_for()

    _type(page, RULE_FILE, str(rules))
    page.get_by_role("button", name="Reset").click()
    page.get_by_text("name the function after a colon").wait_for()
    assert page.locator(".feedsim-difference").count() == 0  # nothing runs while a setting is bad


def test_change_the_rule_run_days_and_watch_the_plots_and_the_difference_update(page):
    page.get_by_role("tab", name="Difference B − A").wait_for()
    _type(page, "Seed", "7")
    _type(page, "Days to run", str(DAYS))
    _choose(page, "Scenario B", ALTERNATIVE)
    page.get_by_role("button", name="Reset").click()
    settings_b = page.locator(".feedsim-settings-b")
    settings_b.filter(has_text="ranking chronological").wait_for()
    assert "ranking engagement" in page.locator(".feedsim-settings-a").inner_text()
    counter = page.locator(".feedsim-day-counter")
    counter.filter(has_text=f"0 of {DAYS} days simulated").wait_for()
    difference = page.locator(".feedsim-difference")
    before_difference = difference.screenshot()
    assert page.locator(".feedsim-difference-table").count() == 0  # no day simulated yet
    _tab(page, "Outcomes under A and B")
    outcomes = page.locator(".feedsim-outcomes")
    before_outcomes = outcomes.screenshot()

    page.get_by_role("button", name="▶").click()  # runs until the last day, then stops by itself
    counter.filter(has_text=f"{DAYS} of {DAYS} days simulated").wait_for()
    assert outcomes.screenshot() != before_outcomes, "the outcome plots did not change"
    _tab(page, "Difference B − A")
    page.get_by_text(f"B − A on day {DAYS}, the last simulated").wait_for()  # days count from 1, as the counter
    assert difference.screenshot() != before_difference, "the difference plot did not change"

    table = _difference_table(page)
    assert len(table) == 8 and all(len(v) == 3 for v in table.values())
    assert any(abs(v) > 0 for values in table.values() for v in values), table
    hostile = next(v for k, v in table.items() if k.startswith("Hostile exposure"))
    assert all(v != 0 for v in hostile), "chronological and engagement feeds showed the same hostile share"
    _save_screenshot(page)

    # one user's days and the network sample draw for the same model
    _tab(page, "One user")
    page.locator(".feedsim-user-day").wait_for()
    assert re.search(
        r"user \d+: (adolescent|young adult|adult)", page.locator(".feedsim-user-table").locator("..").inner_text()
    )
    assert f"days {DAYS - 1}-{DAYS}" in page.locator(".feedsim-user-table").inner_text()
    _tab(page, "Follow network")
    page.locator(".feedsim-network").wait_for()
    page.get_by_text("Only these").wait_for()


def _save_screenshot(page) -> None:
    """The top of the outcomes page. The page scrolls inside its own containers (so a full-page
    screenshot shows no more): scroll them back and make the window tall enough."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "explorer.png"
    page.set_viewport_size({"width": 1440, "height": 1250})
    page.evaluate("for (const e of document.querySelectorAll('*')) { if (e.scrollTop) e.scrollTop = 0; }")
    page.wait_for_timeout(500)  # let the layout settle after the resize
    page.screenshot(path=str(shot))
    if os.environ.get("FEEDSIM_UPDATE_SCREENSHOT") == "1":
        from PIL import Image

        # a palette PNG keeps the README's image small
        Image.open(shot).convert("RGB").quantize(colors=128).save(DOCS_SCREENSHOT, optimize=True)
