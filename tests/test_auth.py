"""Accounts and roles (coding/auth.py): argon2 hashes in the project's database, the lead-only edits refused in
the library, `qcode users add|list|remove`, `qcode app` refusing to listen beyond loopback without accounts,
and the login throttle."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from coding.auth import LEAD, LoginThrottle, hash_password, is_loopback, verify_password
from coding.cli import main
from coding.errors import PermissionDeniedError, UsageError
from coding.launch import require_safe_host
from coding.models import Code
from coding.project import Project, create_project

REPO = Path(__file__).resolve().parents[1]
CODEBOOK = REPO / "codebooks" / "peace_process.yaml"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return create_project(tmp_path / "study", codebook=CODEBOOK, name="Study")


def invoke(*args: object, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def one_line_error(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("qcode: error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def stored(folder: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(folder / "qcode.sqlite") as connection:
        return list(connection.execute("select name, role, password_hash from accounts order by name"))


# ----- hashing ------------------------------------------------------------------------------------
def test_a_password_is_stored_as_a_salted_argon2id_hash_that_verifies_only_itself() -> None:
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first.startswith("$argon2id$") and first != second  # salted: the same password, two hashes
    assert "correct horse" not in first
    assert verify_password(first, "correct horse") and verify_password(second, "correct horse")
    assert not verify_password(first, "correct hors") and not verify_password(first, "")
    assert not verify_password("not a hash", "correct horse")


@pytest.mark.parametrize("password", ["short", "x" * 2000, "has a \x00 nul byte"])
def test_unusable_passwords_are_refused(password: str) -> None:
    with pytest.raises(UsageError):
        hash_password(password)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.0.1", True), ("::1", True), ("[::1]", True), ("localhost", True)]
    + [("0.0.0.0", False), ("::", False), ("192.168.1.5", False), ("", False), ("example.org", False)],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


# ----- accounts in the library --------------------------------------------------------------------
def test_accounts_verify_only_the_right_password_and_keep_no_plain_text(project: Project) -> None:
    project.accounts.add("ann", "lead", "ann's long password")
    project.accounts.add(" bea ", "coder", "bea's long password")  # names are trimmed
    assert project.accounts.all() == [("ann", "lead"), ("bea", "coder")]
    assert project.accounts.verify("ann", "ann's long password") == "lead"
    assert project.accounts.verify("bea", "bea's long password") == "coder"
    assert project.accounts.verify("ann", "bea's long password") is None
    assert project.accounts.verify("nobody", "ann's long password") is None
    assert project.accounts.verify("ann", "") is None
    assert project.accounts.verify("ann\x00", "ann's long password") is None  # never reaches the database
    assert project.accounts.verify("x" * 5000, "ann's long password") is None
    assert project.accounts.verify(" ann ", "ann's long password") == "lead"
    rows = stored(project.folder)
    assert all(h.startswith("$argon2id$") and "password" not in h for _, _, h in rows)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "needs a name"),
        ("x" * 101, "longer than 100 characters"),
        ("a\x00b", "control character"),
        ("a\nb", "control character"),
        ("qcode", "qcode uses itself"),
        ("Consensus", "qcode uses itself"),
        ("rules.v1", "qcode uses itself"),
    ],
)
def test_bad_account_names_are_refused_before_the_database(project: Project, name: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        project.accounts.add(name, "coder", "a long password")
    assert project.accounts.all() == []


def test_an_account_name_is_added_once_and_the_last_lead_is_removed_last(project: Project) -> None:
    project.accounts.add("ann", "lead", "a long password")
    with pytest.raises(UsageError, match="exists already"):
        project.accounts.add("ann", "coder", "another long password")
    with pytest.raises(UsageError, match="unknown role"):
        project.accounts.add("cid", "admin", "a long password")
    project.accounts.add("bea", "coder", "a long password")
    with pytest.raises(UsageError, match="last lead"):
        project.accounts.remove("ann")
    project.accounts.remove("bea")
    project.accounts.remove("ann")  # alone, the last lead can go: the project is single-machine again
    assert not project.accounts.exist()
    with pytest.raises(UsageError, match="no account 'ann'"):
        project.accounts.remove("ann")


def test_only_a_lead_edits_the_codebook_merges_or_resolves(project: Project) -> None:
    new = Code(id="new_code", name="New code")
    project.add_code(new, "anyone")  # no accounts: one trusted machine, everyone may
    project.accounts.add("lead1", "lead", "a long password")
    project.accounts.add("coder1", "coder", "a long password")
    assert project.accounts.role_of("coder1") == "coder" and project.accounts.role_of("qcode") == LEAD
    assert project.accounts.role_of("stranger") is None
    ids = [c.id for c in project.codebook.codes]
    attempts = [
        lambda who: project.add_code(Code(id="other", name="Other"), who),
        lambda who: project.rename_code("new_code", "Renamed", who),
        lambda who: project.move_code("new_code", ids[0], who),
        lambda who: project.merge_codes("new_code", ids[0], who),
        lambda who: project.resolve(1, ids[0], True, who),
        lambda who: project.seed_consensus("a", "b", who),
    ]
    before = project.codebook
    for attempt in attempts:
        for who in ("coder1", "stranger"):
            with pytest.raises(PermissionDeniedError, match=f"only a lead can .*'{who}' is not a lead"):
                attempt(who)
    assert project.codebook == before
    assert not [a for a in project.store.log_frame()["actor"] if a in ("coder1", "stranger")]
    project.rename_code("new_code", "Renamed by the lead", "lead1")
    project.rename_code("new_code", "Renamed at the command line", "qcode")
    assert project.codebook.by_id()["new_code"].name == "Renamed at the command line"


# ----- the throttle -------------------------------------------------------------------------------
def test_failed_logins_are_throttled_per_key_and_doubling() -> None:
    now = [1000.0]
    throttle = LoginThrottle(limit=3, window=600, pause=10, longest=40, clock=lambda: now[0])
    for _ in range(3):
        assert throttle.wait_left("name:ann", "session:1") == 0
        throttle.failed("name:ann", "session:1")
    assert throttle.wait_left("name:ann") == pytest.approx(10)
    assert throttle.wait_left("name:bea", "session:2") == 0  # other names and sessions are free
    assert throttle.wait_left("name:bea", "session:1") == pytest.approx(10)  # the same browser is not
    now[0] += 10
    throttle.failed("name:ann")
    assert throttle.wait_left("name:ann") == pytest.approx(20)  # each further failure doubles the pause
    for _ in range(5):
        throttle.failed("name:ann")
    assert throttle.wait_left("name:ann") == pytest.approx(40)  # up to the longest pause
    throttle.succeeded("name:ann")
    assert throttle.wait_left("name:ann") == 0
    now[0] += 601  # failures older than the window are forgotten
    assert throttle.wait_left("session:1") == 0


def test_the_throttle_keeps_a_bounded_number_of_keys() -> None:
    throttle = LoginThrottle(keys=100)
    for n in range(1000):
        throttle.failed(f"name:{n}")
    assert len(throttle._failures) == 100


# ----- the command line ---------------------------------------------------------------------------
def test_users_add_list_remove_on_the_command_line(project: Project, tmp_path: Path) -> None:
    folder = project.folder
    added = invoke("users", "add", "ann", "--role", "lead", "--project", folder, input="pw for ann 1\npw for ann 1\n")
    assert added.exit_code == 0, added.output
    assert "pw for ann" not in added.output  # the prompt never echoes what was typed
    password_file = tmp_path / "bea.txt"
    password_file.write_text("pw for bea 1\nsecond line ignored\n", encoding="utf-8")
    password_file.chmod(0o600)
    result = invoke("users", "add", "bea", "--role", "coder", "--password-file", password_file, "--project", folder)
    assert result.exit_code == 0 and result.stdout == "added coder 'bea'\n", result.output
    listed = invoke("users", "list", "--project", folder)
    assert listed.stdout.splitlines() == ["ann\tlead", "bea\tcoder"]
    assert project.accounts.verify("ann", "pw for ann 1") == "lead"
    assert project.accounts.verify("bea", "pw for bea 1") == "coder"
    assert invoke("users", "remove", "bea", "--project", folder).exit_code == 0
    assert invoke("users", "list", "--project", folder).stdout.splitlines() == ["ann\tlead"]


def test_a_password_file_others_can_read_is_used_with_a_warning(project: Project, tmp_path: Path) -> None:
    password_file = tmp_path / "pw.txt"
    password_file.write_text("a long password\n", encoding="utf-8")
    password_file.chmod(0o644)
    result = invoke(
        "users", "add", "cid", "--role", "coder", "--password-file", password_file, "--project", project.folder
    )
    assert result.exit_code == 0 and "chmod 600" in result.stderr


def test_mismatched_prompts_are_asked_again_and_never_stored(project: Project) -> None:
    typed = "first password\nsecond password\nthird password\nthird password\n"
    result = invoke("users", "add", "ann", "--role", "lead", "--project", project.folder, input=typed)
    assert result.exit_code == 0, result.output
    assert project.accounts.verify("ann", "third password") == "lead"
    assert project.accounts.verify("ann", "first password") is None


@pytest.mark.parametrize(
    ("args", "content", "message"),
    [
        (["add", "ann", "--role", "lead"], b"short\n", "pw.txt: a password needs at least 8 characters"),
        (["add", "ann", "--role", "lead"], b"\n\n", "first line is empty"),
        (["add", "ann", "--role", "lead"], b"\xff\xfe\x00bad", "not UTF-8 text"),
        (["add", "a\x01b", "--role", "lead"], b"a long password\n", "control character"),
        (["add", "qcode", "--role", "lead"], b"a long password\n", "qcode uses itself"),
        (["remove", "nobody"], None, "no account 'nobody'"),
    ],
)
def test_users_errors_are_one_line_and_store_nothing(project, tmp_path, args, content, message) -> None:  # type: ignore[no-untyped-def]
    extra: list[object] = []
    if content is not None:
        password_file = tmp_path / "pw.txt"
        password_file.write_bytes(content)
        extra = ["--password-file", password_file]
    line = one_line_error(invoke("users", *args, *extra, "--project", project.folder))
    assert message in line
    assert stored(project.folder) == []


def test_a_missing_password_file_is_named(project: Project, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.txt"
    line = one_line_error(
        invoke("users", "add", "ann", "--role", "lead", "--password-file", missing, "--project", project.folder)
    )
    assert str(missing) in line


def test_the_app_refuses_a_non_loopback_host_without_accounts(project: Project) -> None:
    for host in ("0.0.0.0", "::", "192.168.1.5"):
        line = one_line_error(invoke("app", "--host", host, "--project", project.folder))
        assert f"--host {host}" in line and "qcode users add" in line
    require_safe_host("127.0.0.1", accounts_exist=False)  # loopback needs no accounts
    require_safe_host("0.0.0.0", accounts_exist=True)
    with pytest.raises(UsageError):
        require_safe_host("0.0.0.0", accounts_exist=False)


def test_a_project_from_before_accounts_is_migrated_with_a_copy_and_has_none(project: Project) -> None:
    import sqlite3

    from test_store import at_revision

    from coding.project import open_project
    from coding.store.database import engine_for

    database = project.folder / "qcode.sqlite"
    engine_for.cache_clear()  # the next open reads the file afresh
    at_revision(database, "0004")
    with sqlite3.connect(database) as connection:
        assert not connection.execute("select name from sqlite_master where name = 'accounts'").fetchall()
    reopened = open_project(project.folder)
    assert (project.folder / "qcode.sqlite.bak-0004").exists()
    assert not reopened.accounts.exist()
    reopened.accounts.add("ann", "lead", "a long password")
    assert reopened.accounts.verify("ann", "a long password") == "lead"
