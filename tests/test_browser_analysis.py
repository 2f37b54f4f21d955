"""The analysis pages in headless Chromium: each page file served on its own by Streamlit (main.py registers
them once the lead adds them), a search typed and its hits counted, the portrait and relations drawn, and a
screenshot of each kept in the test's folder."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from served_app import served
from test_browser import CHROMIUM, FLAGS, demo_project  # noqa: F401  (demo_project is a fixture)

REPO = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium binary at {CHROMIUM}"),
]


@pytest.fixture
def serve(demo_project: Path) -> Iterator[Callable[[str], str]]:  # noqa: F811
    """Serve one page file on its own (Streamlit runs it without main.py's navigation)."""
    with ExitStack() as servers:

        def start(page: str) -> str:
            def command(port: int) -> list[str]:
                script = str(REPO / "app" / "views" / page)
                flags = ["--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"]
                return [sys.executable, "-m", "streamlit", "run", script, *flags]

            env = {**os.environ, "PYTHONPATH": str(REPO), "QCODE_PROJECT": str(demo_project)}
            return servers.enter_context(served(command, demo_project.parent / f"server-{page}.log", env))

        yield start


def browse(tmp_path: Path):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=FLAGS,
        viewport={"width": 1500, "height": 1100},
    )
    return playwright, browser


def test_search_page_in_chromium(serve, tmp_path: Path) -> Iterator[None]:
    from playwright.sync_api import expect

    url = serve("search.py")
    playwright, browser = browse(tmp_path)
    try:
        page = browser.new_page()
        page.goto(url)
        expect(page.get_by_role("heading", name="Search")).to_be_visible(timeout=90_000)
        box = page.get_by_label("Search what respondents said")
        box.fill("Dushanbe")
        box.press("Enter")
        expect(page.get_by_text("hits ·").first).to_be_visible(timeout=60_000)
        heading = page.get_by_text("hits ·").first.inner_text()
        assert heading.split()[0].replace(",", "").isdigit() and int(heading.split()[0].replace(",", "")) > 10
        expect(page.get_by_text("Counts: hits of words or phrase 'Dushanbe'").first).to_be_visible()
        expect(page.get_by_role("button", name="XLSX")).to_be_visible()
        expect(page.locator("[data-testid='stDataFrame'] canvas").first).to_be_visible(timeout=30_000)
        page.wait_for_timeout(1500)  # the grid paints its rows after it appears
        shot = tmp_path / "search.png"
        page.screenshot(path=str(shot), full_page=True)
    finally:
        browser.close()
        playwright.stop()
    assert shot.stat().st_size > 30_000


@pytest.mark.parametrize(
    ("page_file", "heading"), [("portrait.py", "Document portrait"), ("relations.py", "Code relations")]
)
def test_portrait_and_relations_draw_in_chromium(serve, tmp_path: Path, page_file: str, heading: str) -> None:
    from playwright.sync_api import expect

    url = serve(page_file)
    playwright, browser = browse(tmp_path)
    try:
        page = browser.new_page()
        page.goto(url)
        expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=90_000)
        expect(
            page.locator("[data-testid='stVegaLiteChart'] svg, [data-testid='stVegaLiteChart'] canvas").first
        ).to_be_visible(timeout=60_000)
        shot = tmp_path / f"{page_file}.png"
        page.screenshot(path=str(shot), full_page=True)
    finally:
        browser.close()
        playwright.stop()
    assert shot.stat().st_size > 30_000
