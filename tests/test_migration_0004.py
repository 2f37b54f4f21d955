"""Migration 0004 on a database the old races damaged: a folder ingested twice at once (every document twice),
segment runs that stored segments twice, two tabs that stored two memos. Opening it repairs that, keeping
every person's work, and from then on the database refuses to store any of it twice."""

from __future__ import annotations

import sqlite3

import pytest
from project_factory import make_project, segment_id
from sqlalchemy.exc import IntegrityError
from test_store import at_revision


def test_migration_0004_repairs_what_concurrent_runs_stored_twice_and_keeps_the_codings(tmp_path):
    from coding.project import open_project

    project = make_project(tmp_path)
    moscow = segment_id(project, "P01", "Moscow")
    project.apply_code(moscow, "actors", "ann")
    project.set_memo(moscow, "first", "ann")
    database = project.folder / "qcode.sqlite"
    at_revision(database, "0003")
    with sqlite3.connect(database) as db:
        # A second ingest of the same files: every document again, current too, with its turns.
        for (doc_id,) in db.execute("select id from documents order by id").fetchall():
            cursor = db.execute(
                "insert into documents (name, respondent_pk, text, sha256, source_path, attributes, created_at) "
                "select name, respondent_pk, text, sha256, source_path, attributes, created_at from documents "
                "where id = ?",
                (doc_id,),
            )
            copy = cursor.lastrowid
            db.execute(
                'insert into turns (document_id, "index", speaker, role, start, "end") '
                'select ?, "index", speaker, role, start, "end" from turns where document_id = ?',
                (copy, doc_id),
            )
        # A second segment run: every segment again (on the first copy), and codings and memos on the copies.
        first_new = db.execute("select max(id) from segments").fetchone()[0] + 1
        db.execute(
            'insert into segments (document_id, turn_id, unit, "index", start, "end") '
            'select document_id, turn_id, unit, "index", start, "end" from segments'
        )
        twin = db.execute(
            "select b.id from segments a join segments b on a.document_id = b.document_id and a.unit = b.unit "
            'and a."index" = b."index" and b.id >= ? where a.id = ?',
            (first_new, moscow),
        ).fetchone()[0]
        db.execute(
            "insert into codings (segment_id, code_id, coder, source, source_name, status, decided_by, created_at, "
            "updated_at) values (?, 'money', 'ben', 'human', 'human', 'accepted', 'ben', '2026-01-01', '2026-01-01')",
            (twin,),
        )  # ben coded the copy: his coding must survive
        db.execute(
            "insert into codings (segment_id, code_id, coder, source, source_name, status, decided_by, created_at, "
            "updated_at) values (?, 'actors', 'ann', 'human', 'human', 'accepted', 'ann', '2020-01-01', '2020-01-01')",
            (twin,),
        )  # ann's same code on the copy, older: one of the two stays
        db.execute(
            "insert into memos (segment_id, coder, text, created_at, updated_at) "
            "values (?, 'ann', 'second, newer', '2099-01-01', '2099-01-01')",
            (twin,),
        )
        before = db.execute("select count(*) from segments").fetchone()[0]

    reopened = open_project(project.folder)  # an older SQLite file is copied, then migrated
    assert list(project.folder.glob("qcode.sqlite.bak-0003"))
    assert reopened.counts()["documents"] == 3
    segments = reopened.segments_frame()
    assert not segments.duplicated(["document", "position"]).any()
    with sqlite3.connect(database) as db:
        assert db.execute("select count(*) from segments").fetchone()[0] == before // 2
        assert db.execute("select count(*) from documents where replaced_by is null").fetchone()[0] == 3
    codings = reopened.codings("human")
    assert set(zip(codings["segment_id"], codings["code"], codings["coder"], strict=True)) == {
        (moscow, "actors", "ann"),
        (moscow, "money", "ben"),
    }
    assert list(reopened.memos()["memo"]) == ["second, newer"]
    assert reopened.segment("turn")["segments"] == 0  # nothing left looking unsegmented

    from coding.store.schema import MemoRow, SegmentRow

    with pytest.raises(IntegrityError), reopened.store.transaction(write=True) as session:
        row = session.get(SegmentRow, moscow)
        assert row is not None
        session.add(
            SegmentRow(document_id=row.document_id, turn_id=row.turn_id, unit=row.unit, index=row.index, start=0, end=1)
        )
    with pytest.raises(IntegrityError), reopened.store.transaction(write=True) as session:
        session.add(MemoRow(segment_id=moscow, coder="ann", text="again"))
