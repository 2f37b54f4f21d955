"""Logins in the dashboard (Streamlit's AppTest): with accounts, every page is behind the login form, the coder
is the login (never a typed or URL name), a coder sees no codebook edit or consensus controls, failed logins
are throttled, and a dashboard that listens beyond loopback without accounts shows nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_app import MAIN, PAGES, TIMEOUT, project_dir  # noqa: F401 (project_dir is a fixture)

from coding.project import open_project

PASSWORDS = {"lea": "lead's password", "cole": "coder's password"}


@pytest.fixture
def with_accounts(project_dir: Path) -> Path:  # noqa: F811
    project = open_project(project_dir)
    project.accounts.add("lea", "lead", PASSWORDS["lea"])
    project.accounts.add("cole", "coder", PASSWORDS["cole"])
    return project_dir


def start(url_coder: str | None = None) -> AppTest:
    at = AppTest.from_file(str(MAIN), default_timeout=TIMEOUT)
    if url_coder:
        at.query_params["coder"] = url_coder
    return at.run()


def log_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password)
    submit = next(b for b in at.button if b.label == "Log in")
    return submit.click().run()


def page_content(at: AppTest) -> str:
    return "\n".join([t.value for t in at.title] + [m.value for m in at.markdown] + [d.label for d in at.expander])


def errors(at: AppTest) -> list[str]:
    assert not at.exception, [e.message for e in at.exception]
    return [e.value for e in at.error]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_behind_the_login_form(with_accounts: Path, path: str) -> None:
    at = start(url_coder="ann")  # a name in the URL is no login
    at.switch_page(path)
    at.run()
    assert not errors(at)
    assert [t.value for t in at.title] == ["Test study: log in"]
    assert not at.dataframe and not at.sidebar.multiselect and not at.tabs  # no data, filters or edit forms
    assert "Violence" not in page_content(at) and "afraid" not in page_content(at)


def test_a_wrong_password_is_refused_and_repeated_failures_wait(with_accounts: Path) -> None:
    at = log_in(start(), "lea", "not the password")
    assert errors(at) == ["Wrong name or password."]
    at = log_in(at, "nobody", PASSWORDS["lea"])
    assert errors(at) == ["Wrong name or password."]
    for _ in range(3):
        at = log_in(at, "lea", "still wrong")
    at = log_in(at, "lea", PASSWORDS["lea"])  # right now, but this browser has failed five times
    assert errors(at)[0].startswith("Too many failed attempts: try again in")
    assert [t.value for t in at.title] == ["Test study: log in"]


def test_a_coder_codes_as_their_login_and_sees_no_lead_controls(with_accounts: Path) -> None:
    at = log_in(start(url_coder="mallory"), "cole", PASSWORDS["cole"])
    assert not errors(at)
    assert "cole (coder)" in [t.value for t in at.sidebar.text]
    assert not [t for t in at.sidebar.text_input if t.label == "Your name as coder"]  # no typed names
    assert "coder" not in at.query_params  # the URL's name is dropped, not used
    from qcode_app import state

    at.switch_page("views/codebook.py")
    at.run()
    assert not errors(at)
    assert "Only a lead changes the codebook" in "\n".join(i.value for i in at.info)
    assert not at.tabs and not [b for b in at.button if b.label in ("Add code", "Rename", "Move", "Merge")]
    at.switch_page("views/agreement.py")
    at.run()
    assert not errors(at)
    assert at.subheader and "Disagreements" in [s.value for s in at.subheader]
    assert not [b for b in at.button if b.label in ("Applies", "Does not apply")]
    assert at.session_state[state._ACCESS] == state.Access(accounts=True, name="cole", role="coder")


def test_a_lead_edits_the_codebook_under_their_login_and_logs_out(with_accounts: Path) -> None:
    at = log_in(start(), "lea", PASSWORDS["lea"])
    at.switch_page("views/codebook.py")
    at.run()
    assert not errors(at)
    assert [t.label for t in at.tabs] == ["Edit", "Add a code", "Rename", "Move", "Merge", "Delete"]
    rename = next(t for t in at.text_input if t.label == "New name")
    rename.input("Dread")
    next(b for b in at.button if b.label == "Rename").click().run()
    assert not errors(at)
    project = open_project(with_accounts)
    newest = project.store.log_frame(limit=1).iloc[0]
    assert (newest["actor"], newest["action"]) == ("lea", "rename_code")
    assert "Dread" in [c.name for c in project.codebook.codes]
    logout = next(b for b in at.sidebar.button if b.label == "Log out")
    at = logout.click().run()
    assert [t.value for t in at.title] == ["Test study: log in"]


def test_a_removed_account_is_logged_out_at_its_next_click(with_accounts: Path) -> None:
    at = log_in(start(), "cole", PASSWORDS["cole"])
    assert not errors(at)
    open_project(with_accounts).accounts.remove("cole")
    at.run()
    assert [t.value for t in at.title] == ["Test study: log in"]
    assert "no longer exists" in "\n".join(w.value for w in at.warning)


def test_beyond_loopback_without_accounts_nothing_is_shown(project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("QCODE_HOST", "0.0.0.0")
    at = start(url_coder="ann")
    assert errors(at)[0].startswith("This dashboard listens on 0.0.0.0, beyond this machine")
    assert not at.title and not at.dataframe and not at.sidebar.multiselect
    monkeypatch.setenv("QCODE_HOST", "127.0.0.1")
    at = start(url_coder="ann")  # loopback without accounts: the name in the URL is the coder, as before
    assert not errors(at)
    assert "Coding as **ann**" in "\n".join(m.value for m in at.sidebar.markdown)


def test_a_typed_coder_name_with_a_control_character_is_refused(project_dir: Path) -> None:  # noqa: F811
    at = start()
    at.session_state["coder_open"] = True  # the name box, folded until asked for
    at.run()
    at.sidebar.text_input[0].input("ann\x00x").run()
    assert "coder" not in at.session_state or not at.session_state["coder"]
    assert any("cannot be used (contains the control character U+0000)" in e for e in errors(at))


def test_started_without_qcode_app_the_servers_own_address_decides(
    project_dir: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`streamlit run app/main.py` (no QCODE_HOST) listens on every interface unless told otherwise: refused."""
    monkeypatch.delenv("QCODE_HOST")
    at = start(url_coder="ann")
    assert errors(at) and "beyond this machine" in errors(at)[0]


def test_a_coder_name_in_the_url_gets_the_same_check_as_a_typed_one(project_dir: Path) -> None:  # noqa: F811
    at = start(url_coder="ann\x07x")
    assert not errors(at)
    assert not at.session_state["coder"]
