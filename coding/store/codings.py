"""Codings: a person's codes, suggestions from the rules and the model, and people's decisions on them.

Every function takes an open Session: writes join the caller's transaction, reads see its writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, cast, delete, func, insert, select, update
from sqlalchemy.orm import Session

from ..models import ACCEPTED, HUMAN, SUGGESTED, Proposal
from .frames import chunks, read_by_segments
from .schema import CodingRow, DocumentRow, SegmentRow, is_current, live_codings, person, utcnow

if TYPE_CHECKING:  # pandas loads in the functions that build frames, not on import
    import pandas as pd

CODING_COLUMNS = [
    "coding_id",
    "segment_id",
    "code",
    "coder",
    "source",
    "source_name",
    "confidence",
    "status",
    "decided_by",
    "updated_at",
]
DECISION_COLUMNS = ["coding_id", "segment_id", "code", "source", "status", "person"]


# ----- writes ---------------------------------------------------------------------------------
def add_human_codings(session: Session, items: Iterable[tuple[int, str]], coder: str, status: str = ACCEPTED) -> int:
    """Add (segment, code) decisions by a person; ones already there are left as they are."""
    pairs = sorted(set(items))
    taken = existing_coding_keys(session, [coder], sorted({segment_id for segment_id, _ in pairs}))
    now = utcnow()
    added = 0
    # In pieces: two million row dicts at once (10,000 transcripts, every turn coded) took gigabytes.
    for first in range(0, len(pairs), INSERT_ROWS):
        added += _insert_human(session, pairs[first : first + INSERT_ROWS], taken, coder, status, now)
    return added


INSERT_ROWS = 20_000


def _insert_human(
    session: Session,
    pairs: Sequence[tuple[int, str]],
    taken: set[tuple[int, str, str]],
    coder: str,
    status: str,
    now: dt.datetime,
) -> int:
    rows = [
        {
            "segment_id": segment_id,
            "code_id": code_id,
            "coder": coder,
            "source": HUMAN,
            "source_name": HUMAN,
            "confidence": None,
            "status": status,
            "decided_by": coder,
            "created_at": now,
            "updated_at": now,
        }
        for segment_id, code_id in pairs
        if (segment_id, code_id, coder) not in taken
    ]
    if rows:
        session.execute(insert(CodingRow), rows)
    return len(rows)


def add_proposals(session: Session, proposals: Sequence[Proposal], now: dt.datetime | None = None) -> dict[str, int]:
    """Store suggestions; one the suggester made before gets the new confidence. People's decisions on
    suggestions are their own rows (see add_decision), so storing never touches them. Every row stored or
    refreshed gets `now` as its updated_at: withdraw_pending removes the suggester's rows a run did not touch.
    Pass the proposals in pieces: only the rows already stored for the piece's segments are read."""
    if not proposals:
        return {"added": 0, "refreshed": 0}
    now = now or utcnow()
    names = sorted({p.source_name for p in proposals})
    existing: dict[tuple[int, str, str], int] = {}
    # By the piece's own segment ids, not a range between its lowest and highest: documents ingested in
    # several goes interleave their ids, and a range would read most of the table for every piece.
    for ids in chunks(sorted({p.segment_id for p in proposals})):
        query = select(CodingRow.id, CodingRow.segment_id, CodingRow.code_id, CodingRow.coder).where(
            CodingRow.segment_id.in_(ids), CodingRow.coder.in_(names)
        )
        existing.update({(row.segment_id, row.code_id, row.coder): row.id for row in session.execute(query)})
    new_rows: list[dict[str, Any]] = []
    refreshed: list[dict[str, Any]] = []
    for p in proposals:
        found = existing.get((p.segment_id, p.code_id, p.source_name))
        if found is None:
            new_rows.append(
                {
                    "segment_id": p.segment_id,
                    "code_id": p.code_id,
                    "coder": p.source_name,
                    "source": p.source,
                    "source_name": p.source_name,
                    "confidence": p.confidence,
                    "status": SUGGESTED,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        else:
            refreshed.append({"id": found, "confidence": p.confidence, "updated_at": now})
    if new_rows:
        session.execute(insert(CodingRow), new_rows)
    if refreshed:
        session.execute(update(CodingRow), refreshed)
    return {"added": len(new_rows), "refreshed": len(refreshed)}


def withdraw_pending(session: Session, source_name: str, run: dt.datetime) -> int:
    """Remove pending suggestions of a suggester that its run at `run` did not make again (add_proposals,
    given the same `run` as its `now`, stamped every row it stored or refreshed); decided ones stay. One
    statement: nothing held in memory. The stamp round-trips to the microsecond on SQLite (SQLAlchemy's
    text form) and PostgreSQL (timestamp(6)), tested on both."""
    gone = delete(CodingRow).where(
        CodingRow.coder == source_name, CodingRow.status == SUGGESTED, CodingRow.updated_at != run
    )
    return int(session.execute(gone).rowcount or 0)  # type: ignore[attr-defined]


def add_decision(session: Session, suggestion: CodingRow, person: str, status: str) -> None:
    """A person's decision on a suggestion, as their own row carrying the suggester's source."""
    session.add(
        CodingRow(
            segment_id=suggestion.segment_id,
            code_id=suggestion.code_id,
            coder=person,
            source=suggestion.source,
            source_name=suggestion.source_name,
            confidence=suggestion.confidence,
            status=status,
            decided_by=person,
        )
    )


def decide(session: Session, row: CodingRow, status: str, person: str) -> None:
    row.status = status
    row.decided_by = person
    row.updated_at = utcnow()


def delete_coding(session: Session, row: CodingRow) -> None:
    session.delete(row)


def copy_coding(session: Session, row: CodingRow, segment_id: int) -> None:
    """The same coding on another segment (a new version of its document)."""
    data = {c: getattr(row, c) for c in ("code_id", "coder", "source", "source_name", "confidence", "status")}
    session.add(CodingRow(segment_id=segment_id, decided_by=row.decided_by, **data))


# ----- reads ----------------------------------------------------------------------------------
def coding_row(session: Session, coding_id: int, lock: bool = False) -> CodingRow | None:
    return session.get(CodingRow, coding_id, with_for_update=lock)


def find_coding(session: Session, segment_id: int, code_id: str, coder: str, lock: bool = False) -> CodingRow | None:
    """A coder's row for a code on a segment. lock=True (an edit): on PostgreSQL the row is locked, so that
    two tabs editing it take turns and each sees what the other did (their log entries then come in the
    order their changes did); SQLite's writers take turns anyway."""
    query = select(CodingRow).where(
        CodingRow.segment_id == segment_id, CodingRow.code_id == code_id, CodingRow.coder == coder
    )
    return session.scalar(query.with_for_update() if lock else query)


KEYS_PER_QUERY = 10_000  # segment ids per IN list (SQLite's bound-parameter limit is 32,766)


def existing_coding_keys(
    session: Session, coders: Sequence[str], segment_ids: Sequence[int] | None = None
) -> set[tuple[int, str, str]]:
    """(segment, code, coder) of the coders' codings, on the given segments only when they are named (an
    import in document batches must not read a coder's whole history once per batch)."""
    query = select(CodingRow.segment_id, CodingRow.code_id, CodingRow.coder).where(CodingRow.coder.in_(coders))
    if segment_ids is None:
        return set(session.execute(query))  # type: ignore[arg-type]
    keys: set[tuple[int, str, str]] = set()
    for first in range(0, len(segment_ids), KEYS_PER_QUERY):
        chunk = list(segment_ids[first : first + KEYS_PER_QUERY])
        keys.update(session.execute(query.where(CodingRow.segment_id.in_(chunk))))  # type: ignore[arg-type]
    return keys


def codings_on_document(session: Session, document_id: int) -> list[tuple[CodingRow, int, int, str]]:
    """Codings of a document with their segment offsets and unit (for carrying them to a new version)."""
    query = (
        select(CodingRow, SegmentRow.start, SegmentRow.end, SegmentRow.unit)
        .join(SegmentRow, SegmentRow.id == CodingRow.segment_id)
        .where(SegmentRow.document_id == document_id)
    )
    return [(row, start, end, unit) for row, start, end, unit in session.execute(query)]


def codings_frame(session: Session, unit: str | None = None, segment_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """Every coding on active documents' segments (of `unit`, and among `segment_ids`, if given), except the
    codings of deleted codes."""
    query = (
        select(
            CodingRow.id,
            CodingRow.segment_id,
            CodingRow.code_id,
            CodingRow.coder,
            CodingRow.source,
            CodingRow.source_name,
            CodingRow.confidence,
            CodingRow.status,
            CodingRow.decided_by,
            cast(CodingRow.updated_at, String),  # a timestamp string: parsing 100,000s of them is slow
        )
        .join(SegmentRow, SegmentRow.id == CodingRow.segment_id)
        .join(DocumentRow, DocumentRow.id == SegmentRow.document_id)
        .where(is_current(), live_codings())
    )
    if unit is not None:
        query = query.where(SegmentRow.unit == unit)
    return read_by_segments(session, query, CODING_COLUMNS, segment_ids)


def decisions_frame(session: Session, unit: str, segment_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """Every coding on the unit's active segments, lean: coding_id, segment_id, code, source, status and
    person (the coder of a person's own code, whoever accepted or rejected a suggestion, else empty).

    What counting and agreement need, in fewer columns than codings_frame: reading a column of
    hundreds of thousands of rows costs about as much as the table work after it."""
    query = (
        select(CodingRow.id, CodingRow.segment_id, CodingRow.code_id, CodingRow.source, CodingRow.status, person())
        .join(SegmentRow, SegmentRow.id == CodingRow.segment_id)
        .join(DocumentRow, DocumentRow.id == SegmentRow.document_id)
        .where(is_current(), live_codings(), SegmentRow.unit == unit)
    )
    return read_by_segments(session, query, DECISION_COLUMNS, segment_ids)


def people(session: Session) -> list[str]:
    """Everyone who made a coding by hand or decided a suggestion (suggesters are not people)."""
    coded = select(CodingRow.coder).where(CodingRow.source == HUMAN).distinct()
    decided = select(CodingRow.decided_by).where(CodingRow.decided_by.is_not(None)).distinct()
    names = set(session.scalars(coded)) | set(session.scalars(decided))
    return sorted(name for name in names if name)


def coding_counts_by_unit(session: Session) -> dict[str, int]:
    query = (
        select(SegmentRow.unit, func.count(CodingRow.id))
        .join(SegmentRow, SegmentRow.id == CodingRow.segment_id)
        .group_by(SegmentRow.unit)
    )
    return dict(session.execute(query).all())  # type: ignore[arg-type]
