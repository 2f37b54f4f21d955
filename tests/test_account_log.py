"""Changes to the dashboard's accounts are in the audit log (coding/auth.py through store.log.write_log): who
added or removed whom, with the role, and never a password or its hash; a refused change logs nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from coding.cli import main
from coding.errors import UsageError
from coding.project import Project, create_project

REPO = Path(__file__).resolve().parents[1]
CODEBOOK = REPO / "codebooks" / "peace_process.yaml"
PASSWORD = "a long secret password"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return create_project(tmp_path / "study", codebook=CODEBOOK, name="Study")


def account_entries(project: Project) -> list[tuple[str, str, str, dict]]:
    """(actor, action, target, details) of the account entries, oldest first."""
    log = project.store.log_frame().sort_values("id")
    rows = log[log["action"].str.endswith(("_account", "set_password"))]
    return [(r.actor, r.action, r.target, r.details or {}) for r in rows.itertuples()]


def test_qcode_users_add_and_remove_are_logged_as_the_command_line(project: Project, tmp_path: Path) -> None:
    password_file = tmp_path / "pw"
    password_file.write_text(PASSWORD + "\n")
    password_file.chmod(0o600)
    folder = str(project.folder)
    for args in (
        ["users", "add", "ann", "--role", "lead", "--password-file", str(password_file)],
        ["users", "add", "bea", "--role", "coder", "--password-file", str(password_file)],
        ["users", "remove", "bea"],
    ):
        result = CliRunner().invoke(main, [*args, "--project", folder])
        assert result.exit_code == 0, result.output
    assert account_entries(project) == [
        ("qcode", "add_account", "ann", {"role": "lead"}),
        ("qcode", "add_account", "bea", {"role": "coder"}),
        ("qcode", "remove_account", "bea", {"role": "coder"}),
    ]
    stored = json.dumps(project.store.log_frame()["details"].tolist(), default=str)
    with project.store.engine.connect() as connection:
        hashes = [h for (h,) in connection.exec_driver_sql("SELECT password_hash FROM accounts")]
    assert PASSWORD not in stored and hashes and not any(h in stored for h in hashes)


def test_the_library_logs_who_changed_the_accounts(project: Project) -> None:
    project.accounts.add("ann", "lead", PASSWORD)
    project.accounts.add("bea", "coder", PASSWORD, actor="ann")
    project.accounts.set_password("bea", "another long password", actor="ann")
    project.accounts.remove("bea", actor="ann")
    assert [(actor, action, target) for actor, action, target, _ in account_entries(project)] == [
        ("qcode", "add_account", "ann"),
        ("ann", "add_account", "bea"),
        ("ann", "set_password", "bea"),
        ("ann", "remove_account", "bea"),
    ]


def test_a_refused_change_to_the_accounts_logs_nothing(project: Project) -> None:
    project.accounts.add("ann", "lead", PASSWORD)
    project.accounts.add("bea", "lead", PASSWORD)
    project.accounts.add("cid", "coder", PASSWORD)
    project.accounts.remove("bea")
    before = len(project.store.log_frame())
    with pytest.raises(UsageError, match="exists already"):
        project.accounts.add("ann", "coder", PASSWORD)
    with pytest.raises(UsageError, match="no account"):
        project.accounts.remove("dan")
    with pytest.raises(UsageError, match="last lead"):
        project.accounts.remove("ann")
    assert len(project.store.log_frame()) == before
    assert project.accounts.all() == [("ann", "lead"), ("cid", "coder")]
