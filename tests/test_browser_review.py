"""The disagreement review in real Chromium: after opening it, a reviewer works through items with keys
alone (A applies, D does not apply, N next, P previous, T transcript), and the place in the list survives a
visit to the transcript and a reload."""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from served_app import served

from coding.demo import turn_codings_to_csv
from coding.intercoder import CONSENSUS
from coding.project import create_project, open_project

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
ITEM = re.compile(r"Item (\d+) of (\d+)")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"no Chromium binary at {CHROMIUM} (apt-get install chromium)"
    ),
]


@pytest.fixture(scope="module")
def demo_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo transcripts with both of its coders, cut into paragraphs (quick, no spaCy model)."""
    folder = tmp_path_factory.mktemp("browser-review") / "demo"
    project = create_project(folder, codebook=REPO / "codebooks" / "peace_process.yaml", name="Review demo")
    project.ingest([CORPUS / "transcripts"], metadata=CORPUS / "respondents.csv")
    project.segment("paragraph")
    for coder, source in (("gold", "gold.jsonl"), ("second", "second_coder.jsonl")):
        rows = folder.parent / f"{coder}.csv"
        turn_codings_to_csv(CORPUS / source, CORPUS / "transcripts", rows)
        project.import_codings(rows, coder)
    return folder


@pytest.fixture(scope="module")
def server(demo_project: Path) -> Iterator[str]:
    def command(port: int) -> list[str]:
        return [sys.executable, "-m", "coding", "app", "--project", str(demo_project), "--port", str(port)]

    with served(command, demo_project.parent / "server.log") as url:
        yield url


def consensus(folder: Path) -> dict[tuple[int, str], str]:
    rows = open_project(folder).codings("all", coders=[CONSENSUS], include_rejected=True)
    return {(int(s), str(c)): str(v) for s, c, v in zip(rows["segment_id"], rows["code"], rows["status"], strict=True)}


def test_the_review_is_worked_with_keys_alone(server: str, demo_project: Path, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    items = open_project(demo_project).review_items("gold", "second")
    keys = items["item"].tolist()
    assert len(keys) > 10

    def at_item(page: Page, number: int, total: int) -> None:
        expect(page.get_by_text(f"Item {number} of {total}", exact=False).first).to_be_visible(timeout=90_000)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 1024, "height": 768},
        )
        page = browser.new_page()
        page.goto(f"{server}/agreement?coder=rita")
        expect(page.get_by_role("heading", name="Agreement", exact=True)).to_be_visible(timeout=90_000)
        page.get_by_text("Review the disagreements").click()  # the one click: open the review
        total = len(keys)
        at_item(page, 1, total)
        mark = page.locator("mark.qc-review-mark")
        expect(mark).to_be_visible()
        page.locator(".st-key-review_buttons").scroll_into_view_if_needed()
        expect(page.locator(".st-key-review_buttons")).to_be_in_viewport()
        shot = tmp_path / "review.png"
        page.screenshot(path=str(shot))
        mark.click()  # focus out of the toggle: keys go to the page

        # A: the first item (a parent with its children) applies, as one decision; the list moves on.
        first = items.iloc[0]
        page.keyboard.press("a")
        at_item(page, 1, total - 1)
        decided = consensus(demo_project)
        assert {decided[(int(first["segment_id"]), c)] for c in first["codes"]} == {"accepted"}
        # N, N, P: the third item of the open list, then back to the second.
        page.keyboard.press("n")
        at_item(page, 2, total - 1)
        page.keyboard.press("n")
        at_item(page, 3, total - 1)
        page.keyboard.press("p")
        at_item(page, 2, total - 1)
        # D: the item on screen (the third of the original list) does not apply.
        third = items.iloc[2]
        page.keyboard.press("d")
        at_item(page, 2, total - 2)
        decided = consensus(demo_project)
        assert {decided[(int(third["segment_id"]), c)] for c in third["codes"]} == {"rejected"}
        assert len(decided) == len(first["codes"]) + len(third["codes"]), "nothing else was decided"

        # T: the transcript; back on the Agreement page, the same item.
        page.keyboard.press("t")
        expect(page.get_by_role("heading", name="Transcripts and coding")).to_be_visible(timeout=90_000)
        # back by the sidebar (the browser's Back button re-runs Streamlit's page switch, which hung under
        # load in CI): the place is kept in the session
        page.get_by_role("link", name="Agreement").first.click()
        expect(page.get_by_role("heading", name="Agreement", exact=True)).to_be_visible(timeout=90_000)
        at_item(page, 2, total - 2)
        # A reload keeps it too (the address names the item).
        assert "review=" in page.url
        page.reload()
        at_item(page, 2, total - 2)
        expect(page.locator("mark.qc-review-mark")).to_be_visible()
        browser.close()
    assert shot.exists() and shot.stat().st_size > 30_000, f"{shot} looks empty"
