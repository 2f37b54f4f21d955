"""The dashboard in a real browser: `qcode app` serves it, headless Chromium (Debian's, driven by Playwright)
opens Themes, clicks a heatmap cell, reads its quotes and follows one into its transcript."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from served_app import served

from coding.demo import turn_codings_to_csv
from coding.project import create_project

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"no Chromium binary at {CHROMIUM} (apt-get install chromium)"
    ),
]


@pytest.fixture(scope="module")
def demo_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo transcripts, attributes and gold coding, cut into paragraphs (quick, no spaCy model)."""
    folder = tmp_path_factory.mktemp("browser") / "demo"
    project = create_project(folder, codebook=REPO / "codebooks" / "peace_process.yaml", name="Browser demo")
    project.ingest([CORPUS / "transcripts"], metadata=CORPUS / "respondents.csv")
    project.segment("paragraph")
    gold = folder.parent / "gold.csv"
    turn_codings_to_csv(CORPUS / "gold.jsonl", CORPUS / "transcripts", gold)
    project.import_codings(gold, "gold")
    return folder


@pytest.fixture(scope="module")
def server(demo_project: Path) -> Iterator[str]:
    def command(port: int) -> list[str]:
        return [sys.executable, "-m", "coding", "app", "--project", str(demo_project), "--port", str(port)]

    with served(command, demo_project.parent / "server.log") as url:
        yield url


def test_themes_cell_to_quote_to_transcript(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh --user-data-dir
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 1024, "height": 768},  # the smallest screen the issue names
        )
        page = browser.new_page()
        page.goto(server)
        # The page shell loads first and fills over the websocket: wait for the app's own words.
        expect(page.get_by_role("heading", name="Themes")).to_be_visible(timeout=90_000)
        expect(page.get_by_text("Browser demo").first).to_be_visible()
        expect(page.get_by_text("External actors · all respondents").first).to_be_visible(timeout=60_000)

        # Each heat grid cell is a button named by its code, column and value, reached with the keyboard too.
        page.locator("table.qcg button.qcg-cell[aria-label^='Russia · Total: ']").focus()
        page.keyboard.press("Enter")
        expect(page.get_by_text("Russia · all respondents").first).to_be_visible(timeout=30_000)
        russia = page.locator("table.qcg button.qcg-cell[aria-label^='Russia · Total: ']")
        expect(russia).to_have_attribute("aria-current", "true", timeout=30_000)
        expect(russia).to_be_focused()  # the grid drawn again gives the keyboard its cell back
        # at 1024 px the quotes sit below the heatmap: the pick brings them into view
        expect(page.get_by_role("heading", name="Quotes")).to_be_in_viewport(timeout=10_000)
        page.mouse.wheel(0, -5000)  # back up to the grid (a wheel also ends the keeping in view)
        # and clicked: the last code's Total
        cell = page.locator("table.qcg button.qcg-cell[aria-label^='Lessons for Afghanistan · Total: ']")
        expect(cell).to_have_count(1, timeout=30_000)
        cell.click()
        expect(cell).to_have_attribute("aria-current", "true", timeout=30_000)  # drawn as the picked cell
        expect(page.get_by_text("Lessons for Afghanistan · all respondents").first).to_be_visible(timeout=30_000)
        # at 1024 px the quotes sit below the heatmap: the click brings them into view
        expect(page.get_by_role("heading", name="Quotes")).to_be_in_viewport(timeout=10_000)
        first_quote = page.locator(".qc-quote").first
        expect(first_quote).to_be_visible()
        quote = first_quote.inner_text().strip()
        assert quote
        themes_shot = tmp_path / "themes.png"
        page.screenshot(path=str(themes_shot))

        # The page keeps the quotes in view for a few seconds after a pick unless the person scrolls: a wheel
        # ends that, as a person's would, before the click (Playwright scrolls to a button without one).
        page.mouse.wheel(0, 1)
        page.get_by_role("button", name="Open in transcript").first.click()
        expect(page.get_by_role("heading", name="Transcripts and coding")).to_be_visible(timeout=30_000)
        current = page.locator(".qcw-current")  # the span coder marks the segment's pieces of text
        expect(current.first).to_be_visible(timeout=30_000)
        assert quote[:40] in "".join(current.all_inner_texts())
        transcript_shot = tmp_path / "transcript.png"
        page.screenshot(path=str(transcript_shot))
        browser.close()

    for shot in (themes_shot, transcript_shot):
        assert shot.exists() and shot.stat().st_size > 30_000, f"{shot} looks empty"


def test_cooccurrence_cell_brings_its_quotes_into_view(server: str, tmp_path: Path) -> None:
    """At 1024 px the quotes sit below the grid: a click on a pair shows its segments and scrolls to them."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1024, "height": 768})
        page.goto(f"{server}/cooccurrence")
        expect(page.get_by_role("heading", name="Co-occurrence")).to_be_visible(timeout=90_000)
        cells = page.locator("table.qcg button.qcg-cell")
        expect(cells.first).to_be_visible(timeout=60_000)
        heading = page.get_by_role("heading", name="Quotes")
        expect(heading).not_to_be_in_viewport()
        # a pair near the top of the grid, not the one shown already: its segments
        label = page.locator("table.qcg button.qcg-cell:not([aria-current='true'])").first.get_attribute("aria-label")
        assert label
        row, column = label.rsplit(": ", 1)[0].split(" · ")
        cell = page.get_by_role("button", name=label, exact=True)
        cell.click()
        expect(cell).to_have_attribute("aria-current", "true", timeout=30_000)
        expect(heading).to_be_in_viewport(timeout=10_000)
        pair = row if row == column else f"{row} and {column}"
        expect(page.get_by_text(f"{pair}: ").first).to_be_visible(timeout=30_000)
        browser.close()
