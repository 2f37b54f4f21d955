"""Segments (coding units) of documents: sentences, paragraphs or turns, as offsets into the text.

Every function takes an open Session: writes join the caller's transaction, reads see its writes.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, NamedTuple, overload

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import RESPONDENT, Segment
from .database import insert_rows
from .documents import document_texts
from .frames import chunks, read_frame
from .schema import DocumentRow, Respondent, SegmentRow, TurnRow, is_current

if TYPE_CHECKING:  # pandas loads in the functions that build frames, not on import
    import pandas as pd

# What a segments frame holds (no text: it is re-cut from the document when needed).
SEGMENT_COLUMNS = [
    "segment_id",
    "document",
    "respondent_id",
    "turn_index",
    "speaker",
    "role",
    "position",
    "start",
    "end",
]


def unsegmented_documents(session: Session, unit: str) -> list[str]:
    segmented = select(SegmentRow.document_id).where(SegmentRow.unit == unit).distinct()
    query = select(DocumentRow.name).where(is_current(), DocumentRow.id.not_in(segmented))
    return list(session.scalars(query.order_by(DocumentRow.name)))


def add_segments(
    session: Session, segments: Sequence[Segment], unit: str, versions: dict[str, str] | None = None
) -> int:
    """Store segments of current documents. versions (name -> sha256 of the text they were cut from): a
    document replaced by another text meanwhile is left alone, not given offsets into the wrong text."""
    spans = [SegmentSpan(s.document, s.turn_index, s.index, s.start, s.end) for s in segments]
    return add_segment_spans(session, spans, unit, versions)


class SegmentSpan(NamedTuple):
    """What a stored segment needs, without its text: a large segment run keeps millions of these."""

    document: str
    turn_index: int
    position: int
    start: int
    end: int


class CompactSpans(Sequence[SegmentSpan]):
    """SegmentSpans held as arrays: about 36 bytes each, not the 140 of a tuple with its numbers. A segment run
    on SQLite over 20,000 transcripts keeps 1.7 million of them until it stores them all in one transaction."""

    def __init__(self) -> None:
        self._names: list[str] = []
        self._numbers: dict[str, int] = {}
        # 64-bit numbers but the document's: an append never fails halfway (a 32-bit turn index could)
        self._documents, self._turns, self._positions = array("i"), array("q"), array("q")
        self._starts, self._ends = array("q"), array("q")

    def append(self, span: SegmentSpan) -> None:
        number = self._numbers.get(span.document)
        if number is None:
            number = self._numbers[span.document] = len(self._names)
            self._names.append(span.document)
        self._documents.append(number)
        self._turns.append(span.turn_index)
        self._positions.append(span.position)
        self._starts.append(span.start)
        self._ends.append(span.end)

    def __len__(self) -> int:
        return len(self._documents)

    @overload
    def __getitem__(self, index: int) -> SegmentSpan: ...

    @overload
    def __getitem__(self, index: slice) -> list[SegmentSpan]: ...

    def __getitem__(self, index: int | slice) -> SegmentSpan | list[SegmentSpan]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return SegmentSpan(
            self._names[self._documents[index]],
            self._turns[index],
            self._positions[index],
            self._starts[index],
            self._ends[index],
        )


INSERT_ROWS = 20_000  # rows per INSERT: the row dicts of one call stay a few megabytes


def add_segment_spans(
    session: Session,
    spans: Sequence[SegmentSpan],
    unit: str,
    versions: dict[str, str] | None = None,
    judged: dict[str, int | None] | None = None,
) -> int:
    """add_segments for spans, inserted in pieces of INSERT_ROWS; each piece looks up only its own
    documents' ids and turns. judged: the documents' ids (None: removed or replaced while being segmented)
    as the calls of one run found them, shared so that a document whose spans two calls store is judged
    once: stored whole or left alone, never in part."""
    table = SegmentRow.metadata.tables["segments"]
    docs = {} if judged is None else judged
    stored = 0
    for first in range(0, len(spans), INSERT_ROWS):
        piece = spans[first : first + INSERT_ROWS]
        docs.update(_current_documents(session, sorted({s.document for s in piece} - docs.keys()), versions))
        turn_ids: dict[tuple[int, int], int] = {}
        for ids in chunks(sorted({i for i in (docs[s.document] for s in piece) if i is not None})):
            query = select(TurnRow.id, TurnRow.document_id, TurnRow.index).where(TurnRow.document_id.in_(ids))
            turn_ids.update({(doc_id, index): turn_id for turn_id, doc_id, index in session.execute(query)})
        rows = [
            (doc_id, turn_ids[(doc_id, s.turn_index)], unit, s.position, s.start, s.end)
            for s, doc_id in ((s, docs[s.document]) for s in piece)
            if doc_id is not None  # left alone
        ]
        stored += insert_rows(session, table, SEGMENT_INSERT_COLUMNS, rows)
    return stored


def store_while_cut(
    session: Session, spans: Iterable[SegmentSpan], unit: str, versions: dict[str, str] | None = None
) -> int:
    """add_segment_spans for spans still being cut: each piece of INSERT_ROWS is stored by one writer thread
    while the caller goes on producing the next, all in the session's transaction (used by one thread at a
    time: the caller hands it over with each piece and waits for the last). On PostgreSQL a piece's COPY
    mostly waits for the server's foreign-key checks, time the sentence workers can use; versions may still
    grow while pieces are stored, each span's document being read before the span is cut."""
    stored = counted = 0
    judged: dict[str, int | None] = {}  # shared by the pieces: a document is stored whole or not at all
    submitted: list[Future[int]] = []
    writer = ThreadPoolExecutor(1, thread_name_prefix="qcode-store-segments")
    try:
        piece = CompactSpans()
        for span in spans:
            piece.append(span)
            if len(piece) >= INSERT_ROWS:
                submitted.append(writer.submit(add_segment_spans, session, piece, unit, versions, judged))
                piece = CompactSpans()
                if len(submitted) - counted > 1:  # one piece stored while the next is cut: memory stays bounded
                    stored += submitted[counted].result()
                    counted += 1
        submitted.append(writer.submit(add_segment_spans, session, piece, unit, versions, judged))
        for future in submitted[counted:]:
            stored += future.result()
    finally:  # on an error, a piece still queued is not stored; the one being stored is waited for
        _stop(writer, submitted)
    return stored


def _stop(writer: ThreadPoolExecutor, submitted: list[Future[int]]) -> None:
    """Stop the writer once the piece it is storing is done, through a second Ctrl-C or SIGTERM too (the CLI
    makes it a KeyboardInterrupt): the caller must not close the session under it. The pieces' futures are
    waited for, not the thread: Python 3.11 marks a thread whose join was interrupted as ended."""
    interrupted: KeyboardInterrupt | None = None
    while True:
        try:
            writer.shutdown(wait=False, cancel_futures=True)  # the queued pieces cancelled: never run, never done
            wait([future for future in submitted if not future.cancelled()])
            break
        except KeyboardInterrupt as exc:
            interrupted = exc
    writer.shutdown(wait=True)
    if interrupted is not None:
        raise interrupted


def _current_documents(
    session: Session, names: Sequence[str], versions: dict[str, str] | None
) -> dict[str, int | None]:
    """Each name's current document id, or None if it is gone or (versions given) its text changed."""
    found: dict[str, int | None] = dict.fromkeys(names)
    for piece in chunks(names):
        query = select(DocumentRow.name, DocumentRow.id, DocumentRow.sha256).where(
            DocumentRow.name.in_(piece), is_current()
        )
        for name, id_, sha in session.execute(query):
            found[name] = id_ if versions is None or versions.get(name) == sha else None
    return found


SEGMENT_INSERT_COLUMNS = ("document_id", "turn_id", "unit", "index", "start", "end")


def segments_frame(session: Session, unit: str, documents: Sequence[str] | None = None) -> pd.DataFrame:
    """Active segments of one unit: ids, document, respondent, turn, speaker, offsets (no text)."""
    query = (
        select(
            SegmentRow.id,
            DocumentRow.name,
            Respondent.respondent_id,
            TurnRow.index,
            TurnRow.speaker,
            TurnRow.role,
            SegmentRow.index,
            SegmentRow.start,
            SegmentRow.end,
        )
        .join(DocumentRow, DocumentRow.id == SegmentRow.document_id)
        .join(Respondent, Respondent.id == DocumentRow.respondent_pk)
        .join(TurnRow, TurnRow.id == SegmentRow.turn_id)
        .where(SegmentRow.unit == unit, is_current())
        .order_by(DocumentRow.name, SegmentRow.index)
    )
    if documents is not None:
        query = query.where(DocumentRow.name.in_(list(documents)))
    return read_frame(session, query, SEGMENT_COLUMNS, plain=True)


def segments(session: Session, unit: str, documents: Sequence[str] | None = None) -> list[Segment]:
    """Active segments of one unit with their text cut from the document."""
    frame = segments_frame(session, unit, documents)
    texts = document_texts(session, frame["document"].unique().tolist()) if len(frame) else {}
    return [
        Segment(
            document=row.document,
            turn_index=int(row.turn_index),
            unit=unit,
            index=int(row.position),
            start=int(row.start),
            end=int(row.end),
            text=texts[row.document][int(row.start) : int(row.end)],
            speaker=row.speaker,
            role=row.role,
            id=int(row.segment_id),
        )
        for row in frame.itertuples(index=False)
    ]


def segment_offsets(session: Session, unit: str, documents: Sequence[str]) -> list[tuple[str, int, int, int]]:
    """(document, start, end, segment id) of the respondent segments of active documents."""
    query = (
        select(DocumentRow.name, SegmentRow.start, SegmentRow.end, SegmentRow.id)
        .join(DocumentRow, DocumentRow.id == SegmentRow.document_id)
        .join(TurnRow, TurnRow.id == SegmentRow.turn_id)
        .where(
            SegmentRow.unit == unit,
            is_current(),
            DocumentRow.name.in_(list(documents)),
            TurnRow.role == RESPONDENT,
        )
        .order_by(DocumentRow.name, SegmentRow.start)
    )
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def segment_units(session: Session) -> dict[str, int]:
    """How many segments exist per unit (active documents only)."""
    query = (
        select(SegmentRow.unit, func.count(SegmentRow.id))
        .join(DocumentRow, DocumentRow.id == SegmentRow.document_id)
        .where(is_current())
        .group_by(SegmentRow.unit)
    )
    return dict(session.execute(query).all())  # type: ignore[arg-type]


def segment_spans(session: Session, document_id: int, unit: str) -> list[tuple[int, int, int]]:
    """(segment id, start, end) of one document version's segments of a unit, in text order."""
    query = select(SegmentRow.id, SegmentRow.start, SegmentRow.end).where(
        SegmentRow.document_id == document_id, SegmentRow.unit == unit
    )
    return [tuple(row) for row in session.execute(query.order_by(SegmentRow.start))]  # type: ignore[misc]


def segment_version(session: Session, segment_id: int) -> tuple[str, bool] | None:
    """(document name, whether that version is current) for a segment about to be coded; None if there is no
    such segment. On PostgreSQL the document's row is read FOR SHARE: a replace or removal running now
    (documents.hold_document) waits for this transaction to end, or this one waits for it and sees it."""
    query = (
        select(DocumentRow.name, DocumentRow.replaced_by, DocumentRow.removed_at)
        .join(SegmentRow, SegmentRow.document_id == DocumentRow.id)
        .where(SegmentRow.id == segment_id)
        .with_for_update(read=True, of=DocumentRow)
    )
    row = session.execute(query).first()
    return None if row is None else (row.name, row.replaced_by is None and row.removed_at is None)


def document_units(session: Session, document_id: int) -> set[str]:
    """The units a document version has been segmented in."""
    query = select(SegmentRow.unit).where(SegmentRow.document_id == document_id).distinct()
    return set(session.scalars(query))
