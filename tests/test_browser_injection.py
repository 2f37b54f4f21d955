"""Hostile strings in real Chromium: coder names, code names and definitions, memos, respondent attributes and
a project name written to run script wherever the dashboard renders HTML. Every page is opened (the other
coders shown in the workbench too) and no payload may run: no dialog opens and no flag is set."""

from __future__ import annotations

import csv
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from served_app import served
from test_browser import CHROMIUM, FLAGS

from coding.models import Code
from coding.project import create_project

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"


def payload(tag: str) -> str:
    """Markup that sets a flag on the top window (and opens a dialog) if it is ever rendered as HTML."""
    run = f"window.top.__pwned=(window.top.__pwned||[]).concat('{tag}');alert('{tag}')"
    return f'<img src=x onerror="{run}"><iframe srcdoc="<script>{run}</script>"></iframe><svg onload="{run}">'


HOSTILE_CODER = payload("coder")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium binary at {CHROMIUM}"),
]


@pytest.fixture(scope="module")
def hostile_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "corpus"
    shutil.copytree(FIXTURES, corpus)
    rows = list(csv.DictReader((FIXTURES / "respondents.csv").open(encoding="utf-8")))
    for row in rows:
        row["group"] = payload("attribute") if row["respondent_id"] == "R101" else row["group"]
        row["region"] = payload("region")
    (corpus / "respondents.csv").unlink()
    metadata = root / "respondents.csv"
    with metadata.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    folder = root / "study"
    project = create_project(folder, codebook=REPO / "codebooks" / "peace_process.yaml", name=payload("project"))
    project.ingest([corpus], metadata=metadata)
    project.segment("paragraph")
    project.add_code(
        Code(id="hostile", name=payload("code"), definition=payload("definition"), examples=[payload("example")]),
        "ann",
    )
    for segment in project.segments()[:6]:
        segment_id = int(segment.id or 0)
        for coder in ("ann", HOSTILE_CODER):
            project.apply_code(segment_id, "hostile", coder)
            project.set_memo(segment_id, payload("memo"), coder)
        project.apply_code(segment_id, "corruption", HOSTILE_CODER)
    return folder


@pytest.fixture(scope="module")
def server(hostile_project: Path) -> Iterator[str]:
    def command(port: int) -> list[str]:
        return [sys.executable, "-m", "coding", "app", "--project", str(hostile_project), "--port", str(port)]

    with served(command, hostile_project.parent / "server.log") as url:
        yield url


PAGES = ["Themes", "Co-occurrence", "Transcripts and coding", "Codebook", "Respondents", "Export", "Agreement"]


def test_no_hostile_string_runs_script_on_any_page(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=FLAGS
        )
        page = browser.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(server)
        expect(page.get_by_role("heading", name="Themes")).to_be_visible(timeout=90_000)
        page.get_by_text("Your name as coder (to code)").click()  # folded until asked for
        box = page.get_by_role("textbox", name="Your name as coder")
        box.fill("ann")  # the other coder is the hostile one, as in the reported attack
        box.press("Enter")
        expect(page.get_by_text("Coding as").first).to_be_visible(timeout=30_000)
        for name in PAGES:
            page.get_by_role("link", name=name).first.click()
            expect(page.get_by_role("heading", name=name).first).to_be_visible(timeout=60_000)
            page.wait_for_timeout(1_500)  # let the page's own HTML and frames render
            if name == "Transcripts and coding":
                page.get_by_text("Show other coders").first.click()
                page.wait_for_timeout(1_500)
            if name in ("Themes", "Co-occurrence"):  # the heat grid shows hostile code names as text
                expect(page.locator("table.qcg").get_by_text("onerror=").first).to_be_attached(timeout=30_000)
            page.screenshot(path=str(tmp_path / f"{name}.png"))
            assert page.evaluate("window.__pwned || []") == [], name
        # the hostile strings are on screen as text, so the check above looked at them
        page.get_by_role("link", name="Codebook").first.click()
        expect(page.get_by_text("onerror=").first).to_be_visible(timeout=30_000)
        browser.close()
    assert dialogs == []
