"""Disclosure control in headless Chromium: the Themes page served on its own on the demo project with k = 3
set in the project. A column of two respondents (group "opposition") shows a dash, no number, and its quotes
are not on the page; the Total cell beside it still shows its quotes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from served_app import served
from test_browser import CHROMIUM, FLAGS, demo_project  # noqa: F401  (demo_project is a fixture)

from coding.project import open_project

REPO = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium binary at {CHROMIUM}"),
]


def test_a_suppressed_cell_shows_no_number_and_no_quotes(demo_project: Path, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
    from playwright.sync_api import expect, sync_playwright

    project = open_project(demo_project)
    respondents = project.respondents()
    small = respondents["group"].value_counts()
    assert small.get("opposition") == 2, small  # the demo's smallest group: under k = 3
    project.set_min_respondents(3)
    opposition = project.long_codings().merge(respondents[["respondent_id", "group"]], on=["respondent_id", "group"])
    quotes = opposition.loc[opposition["group"] == "opposition", "text"].str.slice(0, 60).unique().tolist()
    assert quotes, "the opposition respondents have coded quotes"

    def command(port: int) -> list[str]:
        script = str(REPO / "app" / "views" / "themes.py")
        flags = ["--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"]
        return [sys.executable, "-m", "streamlit", "run", script, *flags]

    env = {**os.environ, "PYTHONPATH": str(REPO), "QCODE_PROJECT": str(demo_project)}
    with served(command, tmp_path / "server.log", env) as url:
        playwright = sync_playwright().start()
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 1500, "height": 1100},
        )
        try:
            page = browser.new_page()
            page.goto(url)
            expect(page.get_by_role("heading", name="Themes")).to_be_visible(timeout=90_000)
            # the Total cell of the busiest code: a number and its quotes
            expect(page.get_by_role("button", name="Download these")).to_be_visible(timeout=60_000)
            expect(page.get_by_text("Cells resting on fewer than 3 respondents are hidden").first).to_be_visible(
                timeout=30_000
            )
            # pick the opposition column in the quotes panel
            picker = page.get_by_label("Group", exact=True)
            option = page.get_by_role("option", name="opposition", exact=True)
            for _ in range(5):  # a rerun still drawing the page can close the list just opened: open it again
                picker.click()
                try:
                    option.click(timeout=10_000)
                    break
                except PlaywrightTimeoutError:
                    continue
            expect(page.get_by_text("Hidden: this cell rests on fewer than 3 respondents")).to_be_visible(
                timeout=30_000
            )
            expect(page.get_by_role("button", name="Download these")).to_have_count(0, timeout=30_000)
            heading = page.get_by_text("· group opposition:").first.inner_text()
            assert heading.rstrip().endswith("–") and not any(ch.isdigit() for ch in heading.split(":")[-1]), heading
            body = page.locator("body").inner_text()
            leaked = [q for q in quotes if q and q in body]
            assert not leaked, leaked
            page.screenshot(path=str(tmp_path / "themes-suppressed.png"), full_page=True)
        finally:
            browser.close()
            playwright.stop()
    assert (tmp_path / "themes-suppressed.png").stat().st_size > 30_000
