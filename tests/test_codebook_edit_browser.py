"""The Codebook page in real Chromium at 1024 px: the edit form fits the window, saves, and the page shows
the new version."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from served_app import served
from test_browser import CHROMIUM, FLAGS, REPO

from coding.project import create_project, open_project

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium binary at {CHROMIUM}"),
]


@pytest.fixture(scope="module")
def project_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("codebook-browser") / "demo"
    project = create_project(folder, codebook=REPO / "codebooks" / "peace_process.yaml", name="Codebook demo")
    project.ingest([REPO / "corpus" / "transcripts"], metadata=REPO / "corpus" / "respondents.csv")
    project.segment("paragraph")
    return folder


@pytest.fixture(scope="module")
def server(project_folder: Path) -> Iterator[str]:
    def command(port: int) -> list[str]:
        return [sys.executable, "-m", "coding", "app", "--project", str(project_folder), "--port", str(port)]

    with served(command, project_folder.parent / "server.log") as url:
        yield url


def test_edit_form_fits_1024_px_and_saves(server: str, project_folder: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1024, "height": 768},
        )  # fmt: skip
        page = browser.new_page()
        page.goto(f"{server}/codebook?coder=ann")
        expect(page.get_by_role("heading", name="Codebook", exact=True)).to_be_visible(timeout=90_000)
        expect(page.get_by_text("version 1.0").first).to_be_visible(timeout=30_000)
        save = page.get_by_role("button", name="Save changes")
        save.scroll_into_view_if_needed()
        expect(save).to_be_visible(timeout=30_000)
        definition = page.get_by_label("Definition").locator("visible=true").first
        box = definition.bounding_box()
        assert box is not None and box["width"] > 250 and box["x"] + box["width"] <= 1024, box
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scrolling"
        definition.fill("States and bodies from abroad that press, mediate, arm or fund.")
        save.click()
        expect(page.get_by_text("version 1.1").first).to_be_visible(timeout=30_000)
        page.screenshot(path=str(tmp_path / "codebook.png"), full_page=True)
        browser.close()

    code = open_project(project_folder).codebook.by_id()["external_actors"]
    assert code.definition == "States and bodies from abroad that press, mediate, arm or fund."
