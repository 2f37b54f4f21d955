"""Undo, redo and history from the audit log.

Each undoable entry holds in details["changes"] the rows it changed, before and after (coding/store/changes.py).
A person's entries, oldest first, are replayed as two stacks: an undoable action goes on `done` and clears
`undone` (as any other action of theirs does); an undo moves the top of `done` to `undone`; a redo moves the
top of `undone` back, as the redo entry itself. So undo and redo need nothing stored but the log.

Undo writes each row's `before` back only where the row still reads as the entry's `after`: a row that reads
otherwise was changed since (by someone else: a person's own later actions are undone first), and the undo
is refused, naming who, rather than overwriting their work. Redo checks the other way round.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .errors import PermissionDeniedError, ReplacedDocumentError, UsageError
from .store import Action, Store
from .store.changes import put, same, snapshot, snapshots
from .store.log import write_log
from .store.schema import CodeRow, CodingRow, DocumentRow, LogRow, SegmentRow, SpanRow

UNDOABLE = frozenset(
    {
        Action.APPLY_CODE,
        Action.REMOVE_CODE,
        Action.APPLY_SPAN,
        Action.REMOVE_SPAN,
        Action.CODE_HITS,
        Action.ACCEPT,
        Action.REJECT,
        Action.MEMO,
        Action.ADD_CODE,
        Action.RENAME_CODE,
        Action.MOVE_CODE,
        Action.MERGE_CODES,
        Action.UPDATE_CODE,
        Action.DELETE_CODE,
    }
)
_ROW_TABLES = ("codings", "spans", "memos")  # changes of these alone are segment edits (the app re-reads few)


def undo(store: Store, person: str, may_edit_codebook: bool = True) -> str | None:
    """Undo the person's last action not yet undone; returns what it did, None if there is nothing.
    may_edit_codebook: False for someone who may no longer edit the codebook (a coder once accounts exist):
    their codebook edits are then refused like any new one."""
    with store.transaction(write=True) as session:
        done, _ = _stacks(session, person)
        if not done:
            return None
        entry = session.get(LogRow, done[-1])
        assert entry is not None
        _refuse_codebook_edit(entry, person, may_edit_codebook, "undo")
        changes = _changes(session, entry, person)
        _refuse_if_changed(session, entry, changes, person, "after", "undo")
        for change in reversed(changes):
            put(session, change["table"], change["id"], change["before"])
        described = f"undid: {describe(_original(session, entry), code_names(session))}"
        _log(session, person, Action.UNDO, entry, _inverse(changes), described)
        return described


def redo(store: Store, person: str, may_edit_codebook: bool = True) -> str | None:
    """Redo what the person last undid (unless they did something new since)."""
    with store.transaction(write=True) as session:
        _, undone = _stacks(session, person)
        if not undone:
            return None
        entry_id, undo_id = undone[-1]
        entry, undo_entry = session.get(LogRow, entry_id), session.get(LogRow, undo_id)
        assert entry is not None and undo_entry is not None
        _refuse_codebook_edit(entry, person, may_edit_codebook, "redo")
        changes = _inverse(list((undo_entry.details or {}).get("changes") or []))  # what the undo took back
        _refuse_if_changed(session, entry, changes, person, "before", "redo")
        for change in changes:
            put(session, change["table"], change["id"], change["after"])
        described = f"redid: {describe(_original(session, entry), code_names(session))}"
        _log(session, person, Action.REDO, entry, changes, described)
        return described


def _refuse_codebook_edit(entry: LogRow, person: str, allowed: bool, verb: str) -> None:
    if not allowed and entry.action in CODEBOOK_EDITS:
        raise PermissionDeniedError(
            f"only a lead can {verb} a codebook edit ({describe(entry)}); {person!r} is not a lead on this project"
        )


def _original(session: Session, entry: LogRow) -> LogRow:
    """The action a redo entry did again (for saying what an undo of it takes back)."""
    if entry.action == Action.REDO:
        found = session.get(LogRow, (entry.details or {}).get("entry"))
        if found is not None:
            return _original(session, found)
    return entry


def _stacks(session: Session, person: str) -> tuple[list[int], list[tuple[int, int]]]:
    """done: ids of the person's entries undo would take back, last on top; undone: (entry, its undo entry)
    that redo would do again, last on top."""
    done: list[int] = []
    undone: list[tuple[int, int]] = []
    query = select(LogRow.id, LogRow.action).where(LogRow.actor == person).order_by(LogRow.id)
    for entry_id, action in session.execute(query):
        if action == Action.UNDO:
            if done:
                undone.append((done.pop(), entry_id))
        elif action == Action.REDO:
            if undone:
                undone.pop()
            done.append(entry_id)
        else:
            undone.clear()  # a new action: what was undone can no longer be redone
            if action in UNDOABLE:
                done.append(entry_id)
    return done, undone


CODEBOOK_EDITS = frozenset(
    {Action.ADD_CODE, Action.RENAME_CODE, Action.MOVE_CODE, Action.UPDATE_CODE, Action.DELETE_CODE, Action.MERGE_CODES}
)


def _changes(session: Session, entry: LogRow, person: str) -> list[dict[str, Any]]:
    details = entry.details or {}
    if "changes" in details:
        return list(details["changes"])
    if entry.action in CODEBOOK_EDITS and "before" in details and entry.code_id:
        # An entry that records the code's row before the change (and, for a merge, the codings moved):
        # someone else's later edit of the code cannot be told apart from this one's, so it refuses the undo.
        others = _later_actors(session, entry, person, codebook_only=True)
        if others:
            raise UsageError(
                f"cannot undo {describe(entry)}: {', '.join(others)} changed the code since; nothing was changed "
                "(undo never overwrites someone else's work)"
            )
        return _codebook_changes(session, entry, details)
    raise UsageError(
        f"{entry.actor}'s last action ({describe(entry)}, {entry.at:%Y-%m-%d %H:%M}) was recorded before undo "
        "existed and cannot be undone"
    )


def _codebook_changes(session: Session, entry: LogRow, details: dict[str, Any]) -> list[dict[str, Any]]:
    """The changes of a codebook entry that holds `before` (the code's row, None for a new code), and for a
    merge `codings` (ids moved), `dropped` (rows dropped as duplicates) and `children` (sub-codes moved):
    from how those rows read now back to how they were."""
    code_id = str(entry.code_id)
    before = details.get("before")
    now = snapshot(session, "codes", code_id)
    changes = [_change("codes", code_id, {**(now or {}), **before} if before else None, now)]
    if entry.action == Action.MERGE_CODES:
        for coding_id in details.get("codings") or []:
            row = snapshot(session, "codings", coding_id)
            if row is not None:
                changes.append(
                    {"table": "codings", "id": coding_id, "before": {**row, "code_id": code_id}, "after": row}
                )
        for row in details.get("dropped") or []:
            if isinstance(row, dict) and snapshot(session, "codings", row.get("id")) is None:
                changes.append(_change("codings", row["id"], row, None))
        for child in details.get("children") or []:
            row = snapshot(session, "codes", child)
            if row is not None:
                changes.append(_change("codes", child, {**row, "parent_id": code_id}, row))
    return changes


def _change(table: str, key: Any, before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    return {"table": table, "id": key, "before": before, "after": after}


def _refuse_if_changed(
    session: Session, entry: LogRow, changes: list[dict[str, Any]], person: str, expect: str, verb: str
) -> None:
    now: dict[str, dict[Any, dict[str, Any]]] = {}
    for table in {c["table"] for c in changes}:
        now[table] = snapshots(session, table, [c["id"] for c in changes if c["table"] == table])
    for change in changes:
        if not same(now[change["table"]].get(change["id"]), change[expect]):
            others = _later_actors(session, entry, person)
            who = f" by {', '.join(others)}" if others else ""
            raise UsageError(
                f"cannot {verb} {describe(entry)}: it was changed since{who}; nothing was changed "
                "(undo never overwrites someone else's work)"
            )
        if verb == "undo" and change["table"] == "codes" and change["before"] is None:
            _refuse_if_code_used(session, entry, str(change["id"]))
        _refuse_if_replaced(session, entry, change, verb)


def _refuse_if_replaced(session: Session, entry: LogRow, change: dict[str, Any], verb: str) -> None:
    """A coding, span or memo on a document version no longer current (replaced, removed) stays as it is:
    the new version has its own rows, which an undo of the old one's must not leave half undone."""
    row = change["after"] or change["before"] or {}
    if change["table"] == "spans":
        document = session.get(DocumentRow, row.get("document_id"))
    elif change["table"] in ("codings", "memos") and row.get("segment_id") is not None:
        segment = session.get(SegmentRow, row["segment_id"])
        document = session.get(DocumentRow, segment.document_id) if segment is not None else None
    else:
        return
    if document is not None and (document.replaced_by is not None or document.removed_at is not None):
        raise ReplacedDocumentError(
            f"cannot {verb} {describe(entry)}: document {document.name!r} has been replaced or removed since; "
            "nothing was changed"
        )


def _refuse_if_code_used(session: Session, entry: LogRow, code_id: str) -> None:
    used = session.scalar(select(func.count(CodingRow.id)).where(CodingRow.code_id == code_id)) or 0
    used += session.scalar(select(func.count(SpanRow.id)).where(SpanRow.code_id == code_id)) or 0
    if used:
        raise UsageError(f"cannot undo {describe(entry)}: the code has {used} codings since; nothing was changed")
    children = session.scalar(select(func.count(CodeRow.id)).where(CodeRow.parent_id == code_id)) or 0
    if children:  # taking the code away would orphan them, and every table would lose them and their codings
        raise UsageError(
            f"cannot undo {describe(entry)}: the code has {children} sub-code(s) since; nothing was changed"
        )


def _later_actors(session: Session, entry: LogRow, person: str, codebook_only: bool = False) -> list[str]:
    """Who else edited the same segments or code after the entry (codebook_only: edited the code itself)."""
    segments = set((entry.details or {}).get("segments") or []) | ({entry.segment_id} - {None})
    query = select(LogRow.actor, LogRow.segment_id, LogRow.code_id, LogRow.details).where(
        LogRow.id > entry.id, LogRow.actor != person
    )
    if codebook_only:
        segments = set()
        query = query.where(LogRow.action.in_(sorted(CODEBOOK_EDITS)))
    names = set()
    for actor, segment_id, code_id, details in session.execute(query):
        named = set((details or {}).get("segments") or []) | ({segment_id} - {None})
        if named & segments or (entry.code_id is not None and code_id == entry.code_id):
            names.add(actor)
    return sorted(names)


def _inverse(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**c, "before": c["after"], "after": c["before"]} for c in reversed(changes)]


def _log(
    session: Session, person: str, action: Action, entry: LogRow, changes: list[dict[str, Any]], described: str
) -> None:
    details = entry.details or {}
    extra: dict[str, Any] = {}
    if all(c["table"] in _ROW_TABLES for c in changes):  # the app re-reads just these segments
        extra["segments"] = sorted(set(details.get("segments") or []) | ({entry.segment_id} - {None}))
    write_log(
        session,
        person,
        action,
        f"log {entry.id}",
        segment_id=entry.segment_id,
        coding_id=entry.coding_id,
        code_id=entry.code_id,
        entry=entry.id,
        action_undone=entry.action,
        description=described,
        changes=changes,
        **extra,
    )


# ----- descriptions and history ---------------------------------------------------------------
def code_names(session: Session) -> dict[str, str]:
    """Every code's name, merged ones too (a log entry may name one)."""
    return {str(i): str(n) for i, n in session.execute(select(CodeRow.id, CodeRow.name))}


def describe(entry: LogRow, names: dict[str, str] | None = None) -> str:
    """One line saying what an entry did, for people."""
    details = entry.details or {}
    code = entry.code_id or details.get("code") or ""
    code_text = f"'{(names or {}).get(code, code)}'" if code else "a code"
    where = f" on segment {entry.segment_id}" if entry.segment_id is not None else ""
    action = entry.action
    if action in (Action.APPLY_SPAN, Action.REMOVE_SPAN):
        verb = "applied" if action == Action.APPLY_SPAN else "removed"
        codes = [str(c) for c in details.get("codes") or []]
        if len(codes) > 1:  # several codes applied together (one undo step)
            code_text = ", ".join(f"'{(names or {}).get(c, c)}'" for c in codes)
        return f"{verb} {code_text} on {details.get('document')} {details.get('start')}-{details.get('end')}"
    if action == Action.CODE_HITS:
        return f"coded {len(details.get('spans') or [])} search hits with {code_text}"
    if action == Action.APPLY_CODE:
        return f"applied {code_text}{where}"
    if action == Action.REMOVE_CODE:
        return f"removed {code_text}{where}"
    if action in (Action.ACCEPT, Action.REJECT):
        return f"{'accepted' if action == Action.ACCEPT else 'rejected'} the suggestion {code_text}{where}"
    if action == Action.MEMO:
        text = str(details.get("text") or "")
        return f"memo{where}: {text[:60]!r}" if text else f"cleared the memo{where}"
    if action in (Action.UNDO, Action.REDO):
        return str(details.get("description") or action)
    if action == Action.RENAME_CODE:
        return f"renamed the code {details.get('previous')!r} to {details.get('name')!r}"
    if action == Action.MOVE_CODE:
        parent = details.get("parent")
        return f"moved {code_text} under " + (f"'{(names or {}).get(parent, parent)}'" if parent else "the top level")
    if action == Action.MERGE_CODES:
        into = str(details.get("into"))
        return f"merged {code_text} into '{(names or {}).get(into, into)}'"
    if action == Action.ADD_CODE:
        return f"added the code {code_text}"
    if action == Action.UPDATE_CODE:
        return f"edited the code {code_text}"
    if action == Action.DELETE_CODE:
        return f"deleted the code {code_text}"
    return f"{action} {entry.target}".strip()


HISTORY_COLUMNS = ["at", "actor", "action", "code", "description"]


def history(store: Store, segment_id: int) -> pd.DataFrame:
    """Entries naming the segment (in segment_id or in details["segments"]), oldest first."""
    with store.transaction() as session:
        names = code_names(session)
        query = select(LogRow).where(
            (LogRow.segment_id == segment_id)
            | LogRow.action.in_([Action.APPLY_SPAN, Action.REMOVE_SPAN, Action.CODE_HITS, Action.UNDO, Action.REDO])
        )
        rows = [
            (e.at, e.actor, e.action, names.get(e.code_id or "", e.code_id or ""), describe(e, names))
            for e in session.scalars(query.order_by(LogRow.id))
            if e.segment_id == segment_id or segment_id in ((e.details or {}).get("segments") or [])
        ]
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)
