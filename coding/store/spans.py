"""Span codings: a person's code on an exact range of a document (session-first, as the other store modules).

What a span means for the coding units (codings rows) is worked out in coding/span_coding.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import String, cast, insert, select
from sqlalchemy.orm import Session

from .frames import read_frame
from .schema import DocumentRow, SpanRow, is_current

if TYPE_CHECKING:  # pandas loads in the functions that build frames, not on import
    import pandas as pd

SPAN_COLUMNS = ["id", "document", "start", "end", "code_id", "coder", "created_at"]


def add_span(session: Session, document_id: int, start: int, end: int, code_id: str, coder: str) -> tuple[int, bool]:
    """The coder's span of the code on [start, end): (id, True) when stored now, (id, False) when it was there.
    On PostgreSQL two tabs may both find none: the second insert is a unique-key error that
    store.retrying absorbs, and its next try finds the first."""
    found = find_span(session, document_id, start, end, code_id, coder)
    if found is not None:
        return found, False
    row = SpanRow(document_id=document_id, start=start, end=end, code_id=code_id, coder=coder)
    session.add(row)
    session.flush()  # the id, for the log and the caller
    return row.id, True


def find_span(session: Session, document_id: int, start: int, end: int, code_id: str, coder: str) -> int | None:
    query = select(SpanRow.id).where(
        SpanRow.document_id == document_id,
        SpanRow.code_id == code_id,
        SpanRow.coder == coder,
        SpanRow.start == start,
        SpanRow.end == end,
    )
    return session.scalar(query)


def add_spans(session: Session, spans: set[tuple[str, int, int, str, str]]) -> int:
    """Store (document name, start, end, code, coder) spans on current documents; one stored already (the
    same range, code and coder) is not stored twice, so importing a file again adds nothing. Returns how many
    were added."""
    names = sorted({name for name, *_ in spans})
    if not names:
        return 0
    query = select(DocumentRow.name, DocumentRow.id).where(DocumentRow.name.in_(names), is_current())
    ids = {str(name): int(i) for name, i in session.execute(query)}
    keys = select(SpanRow.document_id, SpanRow.start, SpanRow.end, SpanRow.code_id, SpanRow.coder)
    taken = {tuple(row) for row in session.execute(keys.where(SpanRow.document_id.in_(list(ids.values()))))}
    rows = []
    for name, start, end, code_id, coder in sorted(spans):
        if name not in ids:
            continue
        key = (ids[name], start, end, code_id, coder)
        if key not in taken:
            taken.add(key)
            rows.append({"document_id": ids[name], "start": start, "end": end, "code_id": code_id, "coder": coder})
    if rows:
        session.execute(insert(SpanRow), rows)
    return len(rows)


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


def spans_frame(
    session: Session, document: str | Sequence[str] | None = None, coders: Sequence[str] | None = None
) -> pd.DataFrame:
    """Spans on current documents: id, document, start, end, code_id, coder, created_at (text order).
    document: one name, or a list of names (a piece of an export), or None for every document."""
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
    if isinstance(document, str):
        query = query.where(DocumentRow.name == document)
    elif document is not None:
        query = query.where(DocumentRow.name.in_(list(document)))
    if coders is not None:
        query = query.where(SpanRow.coder.in_(list(coders)))
    return read_frame(session, query, SPAN_COLUMNS)
