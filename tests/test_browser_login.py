"""Logins in real Chromium: `qcode app --host 0.0.0.0` on a project with accounts serves only the login form
(whatever page the URL names) until a person logs in; a coder sees no codebook edit controls, a lead does, and
logging out returns to the form. Each browser session logs in by itself."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from served_app import served
from test_browser import CHROMIUM, FLAGS
from test_browser_injection import FIXTURES

from coding.project import create_project

REPO = Path(__file__).resolve().parents[1]
PASSWORDS = {"lea": "lead's password", "cole": "coder's password"}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium binary at {CHROMIUM}"),
]


@pytest.fixture(scope="module")
def project_with_accounts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("login") / "study"
    project = create_project(folder, codebook=REPO / "codebooks" / "peace_process.yaml", name="Team study")
    project.ingest([FIXTURES])
    project.segment("paragraph")
    project.accounts.add("lea", "lead", PASSWORDS["lea"])
    project.accounts.add("cole", "coder", PASSWORDS["cole"])
    return folder


@pytest.fixture(scope="module")
def server(project_with_accounts: Path) -> Iterator[str]:
    def command(port: int) -> list[str]:
        folder = str(project_with_accounts)
        return [sys.executable, "-m", "coding", "app", "--project", folder, "--host", "0.0.0.0", "--port", str(port)]

    with served(command, project_with_accounts.parent / "server.log") as url:
        yield url


def log_in(page, name: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("textbox", name="Name").fill(name)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_login_gates_the_dashboard_and_roles_decide_the_controls(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_context().new_page()
        page.goto(f"{server}/codebook")  # a page's own URL shows the form too
        expect(page.get_by_role("heading", name="Team study: log in")).to_be_visible(timeout=90_000)
        expect(page.locator("input[type=password]")).to_have_count(1)  # typed characters are not shown
        assert page.get_by_role("link", name="Codebook").count() == 0
        assert page.get_by_text("Coders so far").count() == 0

        log_in(page, "cole", "a wrong password")
        expect(page.get_by_text("Wrong name or password.")).to_be_visible(timeout=30_000)
        expect(page.get_by_role("heading", name="Team study: log in")).to_be_visible()

        log_in(page, "cole", PASSWORDS["cole"])
        expect(page.get_by_text("cole (coder)")).to_be_visible(timeout=60_000)
        page.get_by_role("link", name="Codebook").first.click()
        expect(page.get_by_text("Only a lead changes the codebook")).to_be_visible(timeout=60_000)
        assert page.get_by_role("tab", name="Merge").count() == 0
        page.screenshot(path=str(tmp_path / "coder.png"))

        # another browser session is not logged in by this one
        other = browser.new_context().new_page()
        other.goto(server)
        expect(other.get_by_role("heading", name="Team study: log in")).to_be_visible(timeout=90_000)
        log_in(other, "lea", PASSWORDS["lea"])
        expect(other.get_by_text("lea (lead)")).to_be_visible(timeout=60_000)
        other.get_by_role("link", name="Codebook").first.click()
        expect(other.get_by_role("tab", name="Merge")).to_be_visible(timeout=60_000)
        other.screenshot(path=str(tmp_path / "lead.png"))

        page.get_by_role("button", name="Log out").click()
        expect(page.get_by_role("heading", name="Team study: log in")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("cole (coder)")).to_have_count(0, timeout=30_000)  # stale elements go at the run's end
        browser.close()
