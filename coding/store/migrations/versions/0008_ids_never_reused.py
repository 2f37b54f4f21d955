"""ids of codings, spans and memos never given out twice (SQLite)

SQLite gives a new row the largest id + 1, so once the newest row is deleted its id goes to the next row
stored, someone else's. Undo puts rows back under their own ids and checks each still reads as its log entry
left it: with a reused id, a person's undo met a stranger's row and was refused as "changed since". With
AUTOINCREMENT, SQLite remembers the largest id ever given (sqlite_sequence) and never goes below it.

On SQLite each table is rebuilt (Alembic's batch mode: a copy with every row under its id, the indexes and
unique keys made again) and its counter starts above every id the audit log can still put back: the ids of
rows recorded in the entries' changes and of the codings a merge dropped. PostgreSQL's sequences never go
back, so nothing changes there.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 00:10:00
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = ("codings", "spans", "memos")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    logged = _logged_ids(op.get_bind())
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": True}):
            pass
        _start_above(op.get_bind(), table, logged.get(table, 0))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": False}):
            pass


def _logged_ids(connection: sa.Connection) -> dict[str, int]:
    """Per table, the largest row id an undo or redo could put back (0: none)."""
    largest: dict[str, int] = {}

    def note(table: object, key: object) -> None:
        if isinstance(table, str) and isinstance(key, int) and not isinstance(key, bool):
            largest[table] = max(largest.get(table, 0), key)

    query = sa.text("SELECT details FROM change_log WHERE details LIKE '%\"changes\"%' OR details LIKE '%\"dropped\"%'")
    for (details,) in connection.execute(query):
        found: Any = json.loads(details) if isinstance(details, str) else details
        if not isinstance(found, dict):
            continue
        for change in found.get("changes") or []:
            if isinstance(change, dict):
                note(change.get("table"), change.get("id"))
        for row in found.get("dropped") or []:
            if isinstance(row, dict):
                note("codings", row.get("id"))
    return largest


def _start_above(connection: sa.Connection, table: str, logged: int) -> None:
    """Make the table's AUTOINCREMENT counter at least `logged` (SQLite set it to the largest id copied)."""
    values = {"t": table, "n": logged}
    current = connection.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = :t"), values).first()
    if current is None:
        connection.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :n)"), values)
    elif int(current[0]) < logged:
        connection.execute(sa.text("UPDATE sqlite_sequence SET seq = :n WHERE name = :t"), values)
