"""Memos: a coder's note on a segment.

Every function takes an open Session: writes join the caller's transaction, reads see its writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from .frames import read_frame
from .schema import DocumentRow, MemoRow, SegmentRow, is_current, utcnow

if TYPE_CHECKING:  # pandas loads in the functions that build frames, not on import
    import pandas as pd


def upsert_memo(session: Session, segment_id: int, coder: str, text: str) -> str:
    """Write a coder's memo on a segment; returns the text it replaced ("" for a new memo). The row is locked
    (PostgreSQL) so that two tabs saving at once take turns; one memo per coder and segment is unique."""
    query = select(MemoRow).where(MemoRow.segment_id == segment_id, MemoRow.coder == coder).with_for_update()
    row = session.scalar(query)
    if row is None:
        session.add(MemoRow(segment_id=segment_id, coder=coder, text=text))
        return ""
    previous = row.text
    row.text = text
    row.updated_at = utcnow()
    return previous


def memo_text(session: Session, segment_id: int, coder: str) -> str:
    """A coder's memo on a segment ("" when there is none)."""
    query = select(MemoRow.text).where(MemoRow.segment_id == segment_id, MemoRow.coder == coder)
    return session.scalar(query) or ""


def copy_memo(session: Session, row: MemoRow, segment_id: int) -> None:
    """The same memo on another segment (a new version of its document)."""
    session.add(
        MemoRow(
            segment_id=segment_id,
            code_id=row.code_id,
            coder=row.coder,
            text=row.text,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
    )


def memos_on_document(session: Session, document_id: int) -> list[tuple[MemoRow, int, int, str]]:
    """Memos on a document's segments with the segment offsets and unit (for carrying them over)."""
    query = (
        select(MemoRow, SegmentRow.start, SegmentRow.end, SegmentRow.unit)
        .join(SegmentRow, SegmentRow.id == MemoRow.segment_id)
        .where(SegmentRow.document_id == document_id)
    )
    return [(row, start, end, unit) for row, start, end, unit in session.execute(query)]


def memos_frame(session: Session) -> pd.DataFrame:
    """Memos on active documents (a replaced version keeps its own, carried ones are on the new one)."""
    query = (
        select(MemoRow.id, MemoRow.segment_id, MemoRow.code_id, MemoRow.coder, MemoRow.text, MemoRow.updated_at)
        .outerjoin(SegmentRow, SegmentRow.id == MemoRow.segment_id)
        .outerjoin(DocumentRow, DocumentRow.id == SegmentRow.document_id)
        .where(is_current())
    )
    return read_frame(session, query, ["memo_id", "segment_id", "code", "coder", "memo", "updated_at"])
