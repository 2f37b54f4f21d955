"""Row ids are never given out twice (migration 0008: AUTOINCREMENT on SQLite; PostgreSQL's sequences never
go back), so a row an undo puts back under its own id cannot collide with someone else's newer row that took
that id, and an undo is refused only for a real later change of the same row."""

from __future__ import annotations

import sqlite3

from project_factory import make_project, segment_id
from test_store import at_revision

from coding.project import open_project

TABLES = ("codings", "spans", "memos")


def newest_ids(project) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with sqlite3.connect(project.folder / "qcode.sqlite") as connection:
        return {t: connection.execute(f"select max(id) from {t}").fetchone()[0] or 0 for t in ("codings", "spans")}


def test_an_undo_puts_a_row_back_after_a_new_row_of_someone_else_came_in(tmp_path):
    project = make_project(tmp_path)
    moscow, bribe = segment_id(project, "P01", "Moscow"), segment_id(project, "P01", "bribe")
    project.apply_code(moscow, "actors", "ann")
    ann = newest_ids(project)
    project.remove_code(moscow, "actors", "ann")  # her coding and its span, the newest rows, deleted
    project.apply_code(bribe, "money", "ben")  # without AUTOINCREMENT, ben's rows would take ann's ids
    ben = newest_ids(project)
    assert all(ben[table] > ann[table] for table in ann), (ann, ben)
    assert project.undo("ann") == f"undid: removed 'External actors' on segment {moscow}"
    rows = project.codings("human")[["coding_id", "segment_id", "code", "coder"]].values.tolist()
    assert sorted(rows) == sorted([[ann["codings"], moscow, "actors", "ann"], [ben["codings"], bribe, "money", "ben"]])
    assert sorted(project.spans()["coder"]) == ["ann", "ben"]
    assert project.redo("ann") is not None  # and her removal again, ben's work untouched
    assert project.codings("human")[["code", "coder"]].values.tolist() == [["money", "ben"]]


def test_a_redo_recreates_rows_under_their_ids_after_new_rows_came_in(tmp_path):
    project = make_project(tmp_path)
    moscow, bribe = segment_id(project, "P01", "Moscow"), segment_id(project, "P01", "bribe")
    project.apply_code(moscow, "actors", "ann")
    project.undo("ann")  # her new rows deleted again
    project.apply_code(bribe, "money", "ben")
    assert project.redo("ann") is not None
    assert sorted(project.codings("human")["coder"]) == ["ann", "ben"]


def schema(database) -> dict[str, tuple[str, list[str]]]:  # type: ignore[no-untyped-def]
    """Per table: the lines of its CREATE statement (in any order: a rebuilt table may list its foreign keys
    in another) and the names of its indexes."""
    with sqlite3.connect(database) as connection:
        found = {}
        for table in TABLES:
            sql = connection.execute("select sql from sqlite_master where type = 'table' and name = ?", (table,))
            names = connection.execute("select name from sqlite_master where type = 'index' and tbl_name = ?", (table,))
            # a table rebuilt by the migration is named in quotes, one created at once is not: the same table
            statement = sql.fetchone()[0].replace(f'CREATE TABLE "{table}"', f"CREATE TABLE {table}")
            lines = sorted(line.strip().rstrip(",") for line in statement.splitlines())
            found[table] = ("\n".join(lines), sorted(n for (n,) in names))
        return found


def rows(database) -> dict[str, list[tuple]]:  # type: ignore[no-untyped-def]
    with sqlite3.connect(database) as connection:
        return {table: connection.execute(f"select * from {table} order by id").fetchall() for table in TABLES}


def test_migration_0008_keeps_every_row_and_starts_ids_above_what_the_log_can_put_back(tmp_path):
    project = make_project(tmp_path)
    moscow, bribe = segment_id(project, "P01", "Moscow"), segment_id(project, "P01", "bribe")
    project.autocode(rules=True)
    project.apply_code(bribe, "money", "ben")
    project.set_memo(bribe, "a bribe, plainly", "ben")
    project.apply_code(moscow, "actors", "ann")
    removed = newest_ids(project)
    project.remove_code(moscow, "actors", "ann")  # the newest coding and span: ids only the log still holds
    database = project.folder / "qcode.sqlite"
    at_head = schema(database)
    assert all("AUTOINCREMENT" in sql for sql, _ in at_head.values())
    at_revision(database, "0007")  # as qcode left it before 0008
    assert not any("AUTOINCREMENT" in sql for sql, _ in schema(database).values())
    before = rows(database)

    reopened = open_project(project.folder)  # copied, then migrated
    assert (project.folder / "qcode.sqlite.bak-0007").exists()
    assert schema(database) == at_head
    assert rows(database) == before
    reopened.apply_code(bribe, "actors", "cid")
    assert all(newest_ids(reopened)[table] > removed[table] for table in removed)
    assert reopened.undo("ann") == f"undid: removed 'External actors' on segment {moscow}"
    assert sorted(reopened.codings("human")["coder"]) == ["ann", "ben", "cid"]
