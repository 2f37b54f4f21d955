"""The project database: Alembic migrations from the first schema on, transactions, SQLite settings."""

from __future__ import annotations

import io
import sqlite3

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

from coding.errors import ProjectError
from coding.models import Code, Codebook
from coding.store import Action, Store, codebook, settings
from coding.store import database as store_database
from coding.store.database import alembic_config
from coding.store.log import write_log
from coding.store.schema import Base, CodeRow, LogRow, Setting, TurnRow

TABLES = {"settings", "respondents", "documents", "turns", "segments", "codes", "codings", "memos", "change_log"}


def sqlite_url(path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(sqlite_url(tmp_path / "qcode.sqlite"))


def head_revision(url: str) -> str:
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert head is not None
    return head


def current_revision(store: Store) -> str | None:
    with store.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_a_fresh_database_is_at_the_head_revision(store):
    assert current_revision(store) == head_revision(store.url)
    assert set(inspect(store.engine).get_table_names()) >= TABLES


def test_migration_history_starts_with_the_initial_schema(tmp_path):
    scripts = ScriptDirectory.from_config(alembic_config(sqlite_url(tmp_path / "x.sqlite")))
    revisions = list(scripts.walk_revisions())
    base = revisions[-1]
    assert base.revision == "0001" and base.down_revision is None
    assert "initial schema" in (base.doc or "")
    assert scripts.get_bases() == ["0001"]
    config = alembic_config(sqlite_url(tmp_path / "x.sqlite"))
    config.stdout = io.StringIO()  # `alembic history`
    command.history(config)
    history = config.stdout.getvalue()
    assert "<base> -> 0001" in history and "initial schema" in history
    assert "0001 -> 0002" in history


def test_the_migrated_schema_matches_the_models(store):
    """Alembic autogenerate finds nothing to do: every model change comes with its migration."""
    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_opening_an_existing_database_does_not_migrate_again(tmp_path, monkeypatch):
    url = sqlite_url(tmp_path / "qcode.sqlite")
    Store(url)
    calls: list[str] = []
    monkeypatch.setattr(store_database.command, "upgrade", lambda config, target: calls.append(target))
    again = Store(url)
    assert calls == []
    assert current_revision(again) == head_revision(url)
    with sqlite3.connect(tmp_path / "qcode.sqlite") as connection:
        assert connection.execute("select version_num from alembic_version").fetchall() == [(head_revision(url),)]


def at_revision(database, revision: str) -> None:
    """Take a project's SQLite database back to an older schema (migrations' downgrades), as an older qcode
    left it; 0002 has no downgrade (it splits rows), so its revision is only relabelled."""
    config = alembic_config(sqlite_url(database))
    command.downgrade(config, max(revision, "0002"))
    if revision < "0002":
        with sqlite3.connect(database) as connection:
            connection.execute("update alembic_version set version_num = ?", (revision,))


def test_migration_0002_gives_each_decided_suggestion_its_person_s_row(tmp_path):
    from project_factory import make_project

    from coding.project import open_project

    project = make_project(tmp_path)
    project.autocode(rules=True)
    database = project.folder / "qcode.sqlite"
    with sqlite3.connect(database) as connection:  # decisions as the first schema stored them
        ids = [row[0] for row in connection.execute("select id from codings where coder = 'rules.v1' order by id")]
        accepted, rejected, own = ids[:3]
        connection.execute("update codings set status = 'accepted', decided_by = 'ann' where id = ?", (accepted,))
        connection.execute("update codings set status = 'rejected', decided_by = 'ben' where id = ?", (rejected,))
        connection.execute("update codings set status = 'accepted', decided_by = 'ann' where id = ?", (own,))
        connection.execute(
            "insert into codings (segment_id, code_id, coder, source, source_name, status, created_at, updated_at) "
            "select segment_id, code_id, 'ann', 'human', '', 'accepted', created_at, updated_at from codings "
            "where id = ?",
            (own,),
        )  # ann also coded that one by hand: her own row stays the only one
        twice = ids[3]  # the model suggested the same code there too; ben accepted one, then rejected the other
        connection.execute("update codings set status = 'accepted', decided_by = 'ben' where id = ?", (twice,))
        connection.execute(
            "insert into codings (segment_id, code_id, coder, source, source_name, confidence, status, decided_by, "
            "created_at, updated_at) select segment_id, code_id, 'model.v1', 'model', 'model.v1', 0.9, 'rejected', "
            "'ben', created_at, '2099-01-01 00:00:00' from codings where id = ?",
            (twice,),
        )
        count = connection.execute("select count(*) from codings").fetchone()[0]
    at_revision(database, "0001")
    migrated = open_project(project.folder)  # opening migrates to head
    rows = migrated.codings("all", include_rejected=True).set_index("coding_id")
    assert len(rows) == count + 3
    assert set(rows.loc[ids, "status"]) == {"suggested"} and rows.loc[ids, "decided_by"].isna().all()
    for suggestion, person, status, source in (
        (accepted, "ann", "accepted", "rule"),
        (rejected, "ben", "rejected", "rule"),
        (own, "ann", "accepted", "human"),
        (twice, "ben", "rejected", "model"),  # one row per person: the later decision
    ):
        same = rows[
            (rows["segment_id"] == rows.at[suggestion, "segment_id"])
            & (rows["code"] == rows.at[suggestion, "code"])
            & (rows["coder"] == person)
        ]
        assert same[["status", "source"]].values.tolist() == [[status, source]]


def test_a_new_database_is_migrated_to_head_once_when_created(tmp_path, monkeypatch):
    url = sqlite_url(tmp_path / "qcode.sqlite")
    calls: list[str] = []
    real_upgrade = store_database.command.upgrade

    def spy(config, target):
        calls.append(target)
        real_upgrade(config, target)

    monkeypatch.setattr(store_database.command, "upgrade", spy)
    Store(url)
    assert calls == ["head"]


def test_an_unreachable_database_is_a_project_error(tmp_path):
    with pytest.raises(ProjectError, match="cannot open database"):
        Store(sqlite_url(tmp_path / "missing-folder" / "qcode.sqlite"))


def test_sqlite_enforces_foreign_keys(store):
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    with pytest.raises(IntegrityError), store.transaction() as session:
        orphan = {"document_id": 999, "index": 0, "speaker": "x", "role": "y", "start": 0, "end": 1}
        session.execute(insert(TurnRow), [orphan])


def test_a_transaction_is_all_or_nothing(store):
    with pytest.raises(RuntimeError), store.transaction() as session:
        settings.set_setting(session, "codebook_name", "A")
        write_log(session, "ann", Action.INIT)
        session.flush()
        raise RuntimeError("boom")
    assert store.get_setting("codebook_name") is None
    with store.transaction() as session:
        assert session.scalars(select(LogRow)).all() == []


def test_settings_round_trip_and_update(store):
    with store.transaction() as session:
        settings.set_setting(session, "codebook_version", "1")
    with store.transaction() as session:
        settings.set_setting(session, "codebook_version", "2")
    assert store.get_setting("codebook_version") == "2"
    assert store.get_setting("missing", "fallback") == "fallback"
    with store.transaction() as session:
        assert len(session.scalars(select(Setting)).all()) == 1


def test_sync_codes_adds_updates_and_never_deletes(store):
    book = Codebook("b", "1", [Code("a", "A"), Code("a.x", "X", parent="a"), Code("b", "B")])
    with store.transaction() as session:
        assert codebook.sync_codes(session, book) == {"added": 3, "updated": 0}
    smaller = Codebook("b", "2", [Code("a", "A renamed"), Code("a.x", "X", parent="a")])
    with store.transaction() as session:
        result = codebook.sync_codes(session, smaller)
    assert result["added"] == 0 and result["updated"] >= 1
    codes = {code.id: code for code in store.codes()}
    assert set(codes) == {"a", "a.x", "b"}  # "b" left the codebook file but stays: codings are never lost
    assert codes["a"].name == "A renamed" and codes["a.x"].parent == "a"


def test_merged_codes_are_hidden_from_the_codebook(store):
    with store.transaction() as session:
        codebook.sync_codes(session, Codebook("b", "1", [Code("a", "A"), Code("b", "B")]))
        codebook.update_code(session, "b", merged_into="a")
    assert [code.id for code in store.codes()] == ["a"]
    with store.transaction() as session:
        assert session.get(CodeRow, "b") is not None
