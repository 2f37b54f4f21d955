"""The audit log (change_log): who did what, when, to which segment, coding or code. Append-only.

write_log is the only writer. Every function takes an open Session: a log entry joins the transaction
of the change it records, so the two are committed together or not at all.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .frames import read_frame
from .schema import CodingRow, LogRow, SegmentRow

if TYPE_CHECKING:  # pandas loads in the functions that build frames, not on import
    import pandas as pd


class Action(enum.StrEnum):
    """What a log entry records. Stored as its value (text), so older entries read as they were written."""

    INIT = "init"
    INGEST = "ingest"
    SEGMENT = "segment"
    APPLY_CODE = "apply_code"
    REMOVE_CODE = "remove_code"
    ACCEPT = "accept"
    REJECT = "reject"
    MEMO = "memo"
    CONSENSUS = "consensus"
    SEED_CONSENSUS = "seed_consensus"
    AUTOCODE = "autocode"
    TRAIN = "train"
    IMPORT_CODINGS = "import_codings"
    IMPORT_QDPX = "import_qdpx"
    IMPORT_CODEBOOK = "import_codebook"
    ADD_CODE = "add_code"
    RENAME_CODE = "rename_code"
    MOVE_CODE = "move_code"
    MERGE_CODES = "merge_codes"
    UPDATE_CODE = "update_code"
    DELETE_CODE = "delete_code"
    REMOVE_DOCUMENT = "remove_document"
    RESTORE_DOCUMENT = "restore_document"
    APPLY_SPAN = "apply_span"
    REMOVE_SPAN = "remove_span"
    CODE_HITS = "code_hits"  # many spans coded in one call (search hits): one undo step
    UNDO = "undo"
    REDO = "redo"
    SET_DISCLOSURE = "set_disclosure"  # the threshold below which tables hide cells (who turned it off)
    # dashboard accounts (coding/auth.py): the account's name and role, never a password or its hash
    ADD_ACCOUNT = "add_account"
    REMOVE_ACCOUNT = "remove_account"
    SET_PASSWORD = "set_password"


# Actions that edit the codings or memos of a few segments: their entry names one in segment_id, and all of
# them in details["segments"] when there are several (a span across units, search hits, an undo).
SEGMENT_EDITS = frozenset(
    {
        Action.APPLY_CODE,
        Action.REMOVE_CODE,
        Action.MEMO,
        Action.CONSENSUS,
        Action.ACCEPT,
        Action.REJECT,
        Action.APPLY_SPAN,
        Action.REMOVE_SPAN,
        Action.CODE_HITS,
        Action.UNDO,
        Action.REDO,
    }
)
LOG_COLUMNS = ["id", "at", "actor", "action", "target", "details", "segment_id", "coding_id", "code_id"]


class StateToken(NamedTuple):
    """A project's state as a cache key: any change to codings, codes, documents or the log changes it."""

    newest_log_id: int
    codings: int
    newest_coding_id: int
    segments: int
    log_entries: int
    # when the newest log entry was written (microseconds): a database replaced by another with the same ids
    # and counts (a backup restored) is still another state
    newest_log_at: int = 0


def write_log(
    session: Session,
    actor: str,
    action: Action,
    target: str = "",
    *,
    segment_id: int | None = None,
    coding_id: int | None = None,
    code_id: str | None = None,
    **details: Any,
) -> None:
    """Record one change. `target` is the reader-facing text; by default it names the coding, segment or code."""
    action = Action(action)  # a typo is an error here, not an entry no reader recognises
    if not target:
        if coding_id is not None:
            target = f"coding {coding_id}"
        elif segment_id is not None:
            target = f"segment {segment_id}"
        else:
            target = code_id or ""
    session.add(
        LogRow(
            actor=actor,
            action=action.value,
            target=target,
            details=details,
            segment_id=segment_id,
            coding_id=coding_id,
            code_id=code_id,
        )
    )


def log_frame(session: Session, limit: int | None = None) -> pd.DataFrame:
    """The newest entries first."""
    query = select(
        LogRow.id,
        LogRow.at,
        LogRow.actor,
        LogRow.action,
        LogRow.target,
        LogRow.details,
        LogRow.segment_id,
        LogRow.coding_id,
        LogRow.code_id,
    ).order_by(LogRow.id.desc())
    if limit:
        query = query.limit(limit)
    return read_frame(session, query, LOG_COLUMNS)


def edited_segments(session: Session, after: int, upto: int, entries: int) -> set[int] | None:
    """Segments whose codings or memos were edited one by one in the `entries` log entries after..upto.

    None when any entry in that range did something else (an import, autocoding, a codebook or document
    change) or names no segment, or when the range does not hold exactly `entries` entries: on PostgreSQL
    a transaction can commit after one with a higher log id, so an id range alone can miss an edit. Then a
    reader must reload everything instead of refreshing these segments."""
    query = select(LogRow.action, LogRow.segment_id, LogRow.details).where(LogRow.id > after, LogRow.id <= upto)
    rows = session.execute(query).all()
    if len(rows) != entries:
        return None
    segments: set[int] = set()
    for action, segment_id, details in rows:
        named = (details or {}).get("segments") if isinstance(details, dict) else None
        if action not in SEGMENT_EDITS or (segment_id is None and named is None):
            return None
        if segment_id is not None:
            segments.add(int(segment_id))
        segments.update(int(s) for s in named or [])
    return segments


def state_token(session: Session) -> StateToken:
    newest = session.scalar(select(func.max(LogRow.id))) or 0
    return StateToken(
        newest_log_id=newest,
        codings=session.scalar(select(func.count(CodingRow.id))) or 0,
        newest_coding_id=session.scalar(select(func.max(CodingRow.id))) or 0,
        segments=session.scalar(select(func.count(SegmentRow.id))) or 0,
        log_entries=session.scalar(select(func.count(LogRow.id))) or 0,
        newest_log_at=log_moment(session, newest),
    )


def log_moment(session: Session, log_id: int) -> int:
    """When log entry log_id was written, in microseconds since 1970 (0 for none)."""
    written = session.scalar(select(LogRow.at).where(LogRow.id == log_id)) if log_id else None
    if written is None:
        return 0
    return (written - dt.datetime(1970, 1, 1, tzinfo=written.tzinfo)) // dt.timedelta(microseconds=1)
