"""Row snapshots for undo: what an edit changed, as plain data a log entry can hold, and putting it back.

A change is {"table", "id", "before", "after"}: the row's columns (JSON values) before and after the edit,
None where the row did not exist. Undo writes `before` back where the row still reads as `after`; a row
that reads otherwise was changed since by someone, and is not overwritten (coding/undo.py decides)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from .schema import Base, CodeRow, CodingRow, MemoRow, SpanRow

TABLES: dict[str, type[Base]] = {"codings": CodingRow, "spans": SpanRow, "memos": MemoRow, "codes": CodeRow}
# Timestamps say when, not what: a row whose only difference is one of them is the same row for undo.
_WHEN = frozenset({"created_at", "updated_at"})


def _table(name: str) -> Any:
    return TABLES[name].__table__  # type: ignore[attr-defined]


def snapshot(session: Session, table: str, key: Any) -> dict[str, Any] | None:
    """The row's columns as JSON values (datetimes as ISO text), None when there is no such row."""
    return snapshots(session, table, [key]).get(key)


def snapshots(session: Session, table: str, keys: list[Any]) -> dict[Any, dict[str, Any]]:
    """snapshot() of many rows, read in batches (a merge notes every coding of a code); missing rows left out."""
    t = _table(table)
    found: dict[Any, dict[str, Any]] = {}
    for at in range(0, len(keys), 500):
        for row in session.execute(select(t).where(t.c.id.in_(keys[at : at + 500]))).mappings():
            found[row["id"]] = {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in row.items()}
    return found


def same(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    if a is None or b is None:
        return a is b
    keys = (set(a) | set(b)) - _WHEN
    return all(a.get(k) == b.get(k) for k in keys)


def put(session: Session, table: str, key: Any, values: dict[str, Any] | None) -> None:
    """Make the row read `values` (None: no row): delete, update or insert it under its own id."""
    t = _table(table)
    if values is None:
        session.execute(delete(t).where(t.c.id == key))
        return
    row = {
        name: dt.datetime.fromisoformat(value) if name in _WHEN and isinstance(value, str) else value
        for name, value in values.items()
        if name in t.c
    }
    if session.execute(select(t.c.id).where(t.c.id == key)).first() is None:
        session.execute(insert(t).values(**row))
    else:
        session.execute(update(t).where(t.c.id == key).values(**{k: v for k, v in row.items() if k != "id"}))


class Recorder:
    """Collects what one edit changes: register rows before touching them (watch), and rows the edit
    creates (created); changes() then compares each with how it reads now."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._before: dict[tuple[str, Any], dict[str, Any] | None] = {}

    def watch(self, table: str, keys: Any) -> None:
        new = [key for key in keys if (table, key) not in self._before]
        found = snapshots(self.session, table, new)
        for key in new:
            self._before[(table, key)] = found.get(key)

    def created(self, table: str, keys: Any) -> None:
        for key in keys:
            self._before.setdefault((table, key), None)

    def changes(self) -> list[dict[str, Any]]:
        self.session.flush()
        now: dict[str, dict[Any, dict[str, Any]]] = {}
        for table in {table for table, _ in self._before}:
            now[table] = snapshots(self.session, table, [key for t, key in self._before if t == table])
        found = []
        for (table, key), before in self._before.items():
            after = now[table].get(key)
            if not same(before, after):
                found.append({"table": table, "id": key, "before": before, "after": after})
        return found


def memo_ids(session: Session, segment_id: int, coder: str) -> list[int]:
    """The id of a coder's memo on a segment (none or one), to watch before a memo is written."""
    query = select(MemoRow.id).where(MemoRow.segment_id == segment_id, MemoRow.coder == coder)
    return [int(i) for i in session.scalars(query)]
