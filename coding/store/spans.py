"""Span codings: a person's code on an exact range of a document (session-first, as the other store modules).

What a span means for the coding units (codings rows) is worked out in coding/span_coding.py."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from .frames import read_frame
from .schema import DocumentRow, SpanRow, is_current

SPAN_COLUMNS = ["id", "document", "start", "end", "code_id", "coder", "created_at"]


def add_span(session: Session, document_id: int, start: int, end: int, code_id: str, coder: str) -> int:
    row = SpanRow(document_id=document_id, start=start, end=end, code_id=code_id, coder=coder)
    session.add(row)
    session.flush()  # the id, for the log and the caller
    return row.id


def span_row(session: Session, span_id: int, lock: bool = False) -> SpanRow | None:
    return session.get(SpanRow, span_id, with_for_update=lock)


def spans_of(session: Session, document_id: int, code_id: str, coder: str) -> list[SpanRow]:
    """A coder's spans of one code on one document version, in text order."""
    query = select(SpanRow).where(
        SpanRow.document_id == document_id, SpanRow.code_id == code_id, SpanRow.coder == coder
    )
    return list(session.scalars(query.order_by(SpanRow.start, SpanRow.id)))


def spans_on_documents(session: Session, document_ids: Sequence[int]) -> list[SpanRow]:
    if not document_ids:
        return []
    return list(session.scalars(select(SpanRow).where(SpanRow.document_id.in_(list(document_ids)))))


def current_document(session: Session, name: str) -> DocumentRow | None:
    """The current version of a document about to be coded, read FOR SHARE on PostgreSQL (as
    segments.segment_version): a replace or removal running now waits for the edit, or the edit for it."""
    query = select(DocumentRow).where(DocumentRow.name == name, is_current()).with_for_update(read=True)
    return session.scalar(query)


def any_version(session: Session, name: str) -> bool:
    return session.scalar(select(DocumentRow.id).where(DocumentRow.name == name).limit(1)) is not None


def spans_frame(session: Session, document: str | None = None, coders: Sequence[str] | None = None) -> pd.DataFrame:
    """Spans on current documents: id, document, start, end, code_id, coder, created_at (text order)."""
    query = (
        select(
            SpanRow.id,
            DocumentRow.name,
            SpanRow.start,
            SpanRow.end,
            SpanRow.code_id,
            SpanRow.coder,
            cast(SpanRow.created_at, String),
        )
        .join(DocumentRow, DocumentRow.id == SpanRow.document_id)
        .where(is_current())
        .order_by(DocumentRow.name, SpanRow.start, SpanRow.id)
    )
    if document is not None:
        query = query.where(DocumentRow.name == document)
    if coders is not None:
        query = query.where(SpanRow.coder.in_(list(coders)))
    return read_frame(session, query, SPAN_COLUMNS)
