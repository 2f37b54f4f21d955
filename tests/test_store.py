"""The project database: Alembic migrations from the first schema on, transactions, SQLite settings."""

from __future__ import annotations

import io
import sqlite3

import pandas as pd
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
    monkeypatch.setattr(command, "upgrade", lambda config, target: calls.append(target))
    again = Store(url)
    assert calls == []
    assert current_revision(again) == head_revision(url)
    with sqlite3.connect(tmp_path / "qcode.sqlite") as connection:
        assert connection.execute("select version_num from alembic_version").fetchall() == [(head_revision(url),)]


def test_the_newest_script_read_as_text_is_alembics_head(tmp_path):
    """open_database skips Alembic when the stored revision is the newest script's, read without Alembic."""
    assert store_database.newest_script() == head_revision(sqlite_url(tmp_path / "x.sqlite"))


def test_a_database_behind_the_newest_script_is_still_migrated_by_alembic(tmp_path):
    database = tmp_path / "qcode.sqlite"
    Store(sqlite_url(database))
    at_revision(database, "0003")
    Store(sqlite_url(database))
    with sqlite3.connect(database) as connection:
        assert connection.execute("select version_num from alembic_version").fetchall() == [(head_revision(""),)]
    assert (tmp_path / "qcode.sqlite.bak-0003").is_file()


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


def test_a_new_database_is_created_at_head_once_without_running_migrations(tmp_path, monkeypatch):
    from coding.store import database

    url = sqlite_url(tmp_path / "qcode.sqlite")
    upgrades: list[str] = []
    created: list[str] = []
    real_create = database.create_schema
    monkeypatch.setattr(command, "upgrade", lambda config, target: upgrades.append(target))

    def spy(engine, head):
        created.append(head)
        real_create(engine, head)

    monkeypatch.setattr(database, "create_schema", spy)
    Store(url)
    Store(url)  # opened again: already at head
    assert created == [database.head_revision()] and upgrades == []
    assert database.revision(database.engine_for(url)) == database.head_revision()


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


def coded_history(tmp_path):
    """A project whose log holds every kind of per-segment edit, plus codebook edits and imports."""
    from project_factory import make_project, segment_id

    project = make_project(tmp_path)
    project.autocode(rules=True)
    sold = segment_id(project, "P03", "sold")
    project.apply_code(sold, "money", "ann")
    project.remove_code(sold, "money", "ann")
    project.set_memo(sold, "posts sold twice", "ann")
    suggestion = project.codings("auto").iloc[0]
    project.decide_suggestion(int(suggestion["coding_id"]), False, "ben")
    project.resolve(sold, "money", True, "cara")
    project.rename_code("money", "Money", "ann")
    return project, sold, suggestion


TYPED = ["segment_id", "coding_id", "code_id"]


def test_migration_0003_types_the_targets_of_an_existing_log(tmp_path):
    from coding.project import open_project

    project, sold, suggestion = coded_history(tmp_path)
    written = project.store.log_frame()  # as this version writes them
    database = project.folder / "qcode.sqlite"
    at_revision(database, "0002")  # the previous head: text targets only
    with sqlite3.connect(database) as connection:
        columns = {row[1] for row in connection.execute("pragma table_info(change_log)")}
    assert not columns & set(TYPED)

    migrated = open_project(project.folder)
    log = migrated.store.log_frame()
    assert log[["id", "action", "target"]].equals(written[["id", "action", "target"]])  # the text stays
    pd.testing.assert_frame_equal(log[TYPED], written[TYPED])  # and the typed columns say the same
    by_action = log.set_index("action")
    assert by_action.loc["reject", TYPED].tolist() == [
        suggestion["segment_id"],
        suggestion["coding_id"],
        suggestion["code"],
    ]
    assert by_action.loc["consensus", ["segment_id", "code_id"]].tolist() == [sold, "money"]
    assert by_action.loc["rename_code", "code_id"] == "money"
    assert (
        by_action[["segment_id", "coding_id", "code_id"]]
        .loc[["init", "ingest", "segment", "autocode"]]
        .isna()
        .all()
        .all()
    )
    # edited_segments reads the filled columns: the old edits are refreshable, not a reason to reload all
    entries = log.sort_values("id")
    first_edit = int(entries.loc[entries["action"] == "apply_code", "id"].iloc[0])
    newest, count = int(entries["id"].max()), int((entries["id"] > first_edit - 1).sum())
    edits = migrated.store.edited_segments(first_edit - 1, newest, entries=count)
    assert edits is None  # rename_code is among them: a codebook change reloads everything
    last_edit = int(entries.loc[entries["action"] == "consensus", "id"].iloc[0])
    count = int(((entries["id"] > first_edit - 1) & (entries["id"] <= last_edit)).sum())
    assert migrated.store.edited_segments(first_edit - 1, last_edit, entries=count) == {
        sold,
        int(suggestion["segment_id"]),
    }


def test_opening_an_older_sqlite_project_copies_the_file_before_migrating(tmp_path):
    from coding.project import open_project

    project, _, _ = coded_history(tmp_path)
    database = project.folder / "qcode.sqlite"
    at_revision(database, "0002")
    with sqlite3.connect(database) as connection:
        entries = connection.execute("select count(*) from change_log").fetchone()[0]
    open_project(project.folder)
    copy = project.folder / "qcode.sqlite.bak-0002"
    with sqlite3.connect(copy) as connection:  # the copy is the database as it was, at its revision
        assert connection.execute("select version_num from alembic_version").fetchall() == [("0002",)]
        assert connection.execute("select count(*) from change_log").fetchone()[0] == entries
        assert "segment_id" not in {row[1] for row in connection.execute("pragma table_info(change_log)")}
    with sqlite3.connect(database) as connection:
        assert connection.execute("select version_num from alembic_version").fetchall() == [(head_revision("x"),)]
    open_project(project.folder)  # at the newest schema: no further copy
    assert sorted(p.name for p in project.folder.glob("qcode.sqlite.bak-*")) == ["qcode.sqlite.bak-0002"]
    at_revision(database, "0002")
    open_project(project.folder)  # an earlier copy is never overwritten
    assert sorted(p.name for p in project.folder.glob("qcode.sqlite.bak-*")) == [
        "qcode.sqlite.bak-0002",
        "qcode.sqlite.bak-0002.2",
    ]


def test_a_database_from_a_newer_qcode_is_refused_untouched(tmp_path):
    url = sqlite_url(tmp_path / "qcode.sqlite")
    Store(url)
    with sqlite3.connect(tmp_path / "qcode.sqlite") as connection:
        connection.execute("update alembic_version set version_num = '9999'")
    with pytest.raises(ProjectError, match="9999, newer than this qcode knows"):
        Store(url)
    assert not list(tmp_path.glob("*.bak-*"))


def test_qcode_upgrade_migrates_and_says_where_the_copy_is(tmp_path):
    from click.testing import CliRunner

    from coding.cli import main

    project, _, _ = coded_history(tmp_path)
    at_revision(project.folder / "qcode.sqlite", "0002")
    result = CliRunner().invoke(main, ["upgrade", "--project", str(project.folder)])
    assert result.exit_code == 0, result.output
    assert "is at the newest schema" in result.output and "qcode.sqlite.bak-0002" in result.output
    assert (project.folder / "qcode.sqlite.bak-0002").exists()
    again = CliRunner().invoke(main, ["upgrade", "--project", str(project.folder)])
    assert again.exit_code == 0 and "kept in" not in again.output
    nowhere = CliRunner().invoke(main, ["upgrade", "--project", str(tmp_path / "nothing")])
    assert nowhere.exit_code == 2 and "not a qcode project" in nowhere.output


def test_each_store_module_has_one_calling_convention():
    """Session-first functions in the responsibility modules; Store's methods open their own transaction."""
    import inspect as python_inspect

    from coding import store as package
    from coding.store import documents, frames, log, memos, segments

    modules = [documents, segments, codebook, package.codings, memos, settings, log, frames]
    for module in modules:
        functions = [
            value
            for name, value in vars(module).items()
            if python_inspect.isfunction(value) and value.__module__ == module.__name__ and not name.startswith("_")
        ]
        assert functions, module.__name__
        for function in functions:
            if function.__name__ in {"chunks", "no_gc_pauses", "frame_of_records"}:  # frames' helpers: no database
                continue
            first = next(iter(python_inspect.signature(function).parameters))
            assert first == "session", f"{module.__name__}.{function.__name__} takes {first} first"
    for name, method in vars(Store).items():
        if python_inspect.isfunction(method) and not name.startswith("_"):
            assert "session" not in python_inspect.signature(method).parameters, name


def test_migration_0009_leaves_segments_one_index_that_serves_lookups_by_document_and_unit(tmp_path):
    from project_factory import make_project

    from coding.project import open_project

    project = make_project(tmp_path)
    database = project.folder / "qcode.sqlite"

    def indexes() -> set[str]:
        with sqlite3.connect(database) as connection:
            rows = connection.execute("select name from sqlite_master where type = 'index' and tbl_name = 'segments'")
            return {name for (name,) in rows}

    def plan() -> str:
        with sqlite3.connect(database) as connection:
            query = "explain query plan select id from segments where document_id = 1 and unit = 'sentence'"
            return " ".join(str(row[-1]) for row in connection.execute(query))

    at_head = indexes()
    assert "uq_segment_position" in at_head and "ix_segments_document_unit" not in at_head
    assert "USING COVERING INDEX uq_segment_position" in plan() or "USING INDEX uq_segment_position" in plan()
    segments = project.store.segments_frame(project.unit)
    at_revision(database, "0008")  # as qcode left it before 0009
    assert indexes() == at_head | {"ix_segments_document_unit"}
    reopened = open_project(project.folder)  # copied, then migrated
    assert (project.folder / "qcode.sqlite.bak-0008").exists()
    assert indexes() == at_head
    assert reopened.store.segments_frame(project.unit).equals(segments)
