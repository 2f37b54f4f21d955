"""Respondents, documents and their speaker turns.

Every function takes an open Session: writes join the caller's transaction, reads see its writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from ..models import REJECTED, Document, Turn
from .database import insert_rows
from .frames import chunks, frame_of_records, read_frame
from .schema import CodingRow, DocumentRow, Respondent, SegmentRow, TurnRow, is_current

if TYPE_CHECKING:  # pandas loads in the functions that build frames, not on import
    import pandas as pd


def upsert_respondent(session: Session, respondent_id: str, attributes: dict[str, str]) -> int:
    # One query per transaction, not one per call: ingest calls this twice for every document.
    known = session.info.get("respondents")
    if known is None:
        known = session.info["respondents"] = {r.respondent_id: r for r in session.scalars(select(Respondent))}
    row = known.get(respondent_id)
    if row is None:
        row = Respondent(respondent_id=respondent_id, attributes=dict(attributes))
        session.add(row)
        session.flush()
        known[respondent_id] = row
    elif attributes:
        merged = {**row.attributes, **attributes}
        if merged != row.attributes:
            row.attributes = merged
    return row.id


class Respondents:
    """Respondents as one ingest writes them: read once, then new ones inserted and changed attributes
    updated a batch at a time with Core statements (no ORM object per row). Same rows as upsert_respondent
    called in the same order: new respondents get their ids in the order they are first named."""

    def __init__(self, session: Session) -> None:
        self.session = session
        query = select(Respondent.respondent_id, Respondent.id, Respondent.attributes)
        self.known: dict[str, tuple[int, dict[str, str]]] = {
            rid: (pk, attributes) for rid, pk, attributes in session.execute(query)
        }
        self._changed: set[str] = set()

    def upsert(self, items: Iterable[tuple[str, dict[str, str]]]) -> dict[str, int]:
        """Add or merge each (respondent_id, attributes) in order; respondent_id -> id of those named."""
        items = list(items)
        new: dict[str, dict[str, str]] = {}
        for respondent_id, attributes in items:
            if respondent_id in new:
                new[respondent_id] = {**new[respondent_id], **attributes}
            elif respondent_id not in self.known:
                new[respondent_id] = dict(attributes)
            elif attributes:
                pk, before = self.known[respondent_id]
                merged = {**before, **attributes}
                if merged != before:
                    self.known[respondent_id] = (pk, merged)
                    self._changed.add(respondent_id)
        if new:
            table = Respondent.metadata.tables["respondents"]
            self.session.execute(insert(table), [{"respondent_id": r, "attributes": a} for r, a in new.items()])
            for piece in chunks(list(new)):
                found = select(Respondent.respondent_id, Respondent.id).where(Respondent.respondent_id.in_(piece))
                for respondent_id, pk in self.session.execute(found):
                    self.known[respondent_id] = (pk, new[respondent_id])
        return {respondent_id: self.known[respondent_id][0] for respondent_id, _ in items}

    def write_changes(self) -> None:
        """UPDATE the attributes merged into respondents that existed before (one executemany)."""
        if not self._changed:
            return
        table = Respondent.metadata.tables["respondents"]
        statement = update(table).where(table.c.id == bindparam("pk")).values(attributes=bindparam("merged"))
        rows = [{"pk": self.known[r][0], "merged": self.known[r][1]} for r in sorted(self._changed)]
        self.session.execute(statement, rows)
        self._changed.clear()


def current_versions(session: Session, names: Sequence[str]) -> dict[str, tuple[int, str]]:
    """Current documents among `names`: name -> (id, sha256), one query per 500 names."""
    found: dict[str, tuple[int, str]] = {}
    for piece in chunks(names):
        query = select(DocumentRow.name, DocumentRow.id, DocumentRow.sha256).where(
            DocumentRow.name.in_(list(piece)), is_current()
        )
        found.update({name: (int(row_id), sha) for name, row_id, sha in session.execute(query)})
    return found


def add_documents(session: Session, documents: Sequence[Document], respondent_pks: dict[str, int]) -> None:
    """Insert new documents (names not current yet) and their turns: one executemany for the documents, one
    query for their ids, one executemany for the turns."""
    if not documents:
        return
    table = DocumentRow.metadata.tables["documents"]
    session.execute(
        insert(table),
        [
            {
                "name": d.name,
                "respondent_pk": respondent_pks[d.respondent_id],
                "text": d.text,
                "sha256": d.sha256,
                "source_path": d.source_path,
                "attributes": d.attributes,
            }
            for d in documents
        ],
    )
    ids = current_versions(session, [d.name for d in documents])
    turns = [(ids[d.name][0], t.index, t.speaker, t.role, t.start, t.end) for d in documents for t in d.turns]
    insert_rows(session, TurnRow.metadata.tables["turns"], TURN_INSERT_COLUMNS, turns)


TURN_INSERT_COLUMNS = ("document_id", "index", "speaker", "role", "start", "end")


def _respondent_counts() -> ColumnElement[bool]:
    """Respondents who count: those with a current document, or with no document at all yet (attributes
    read ahead of their transcripts); not those whose every transcript was removed."""
    # Uncorrelated subqueries, each run once: correlated EXISTS scanned the documents table (texts and all,
    # no index on respondent_pk) once per respondent, about 1.5 s for 1,000 respondents.
    any_document = select(DocumentRow.respondent_pk)
    current = select(DocumentRow.respondent_pk).where(is_current())
    return or_(Respondent.id.not_in(any_document), Respondent.id.in_(current))


def respondents_frame(session: Session) -> pd.DataFrame:
    query = select(Respondent.respondent_id, Respondent.attributes).where(_respondent_counts())
    return frame_of_records(session.connection().execute(query), "respondent_id")


def active_document(session: Session, name: str) -> DocumentRow | None:
    return session.scalar(select(DocumentRow).where(DocumentRow.name == name, is_current()))


def add_document(session: Session, document: Document, respondent_pk: int) -> int:
    row = DocumentRow(
        name=document.name,
        respondent_pk=respondent_pk,
        text=document.text,
        sha256=document.sha256,
        source_path=document.source_path,
        attributes=document.attributes,
    )
    session.add(row)
    session.flush()
    session.execute(
        insert(TurnRow.metadata.tables["turns"]),  # Core executemany: no ORM bookkeeping per row
        [
            {
                "document_id": row.id,
                "index": t.index,
                "speaker": t.speaker,
                "role": t.role,
                "start": t.start,
                "end": t.end,
            }
            for t in document.turns
        ],
    )
    return row.id


def retire_document(session: Session, old_id: int, new_id: int) -> None:
    session.execute(update(DocumentRow).where(DocumentRow.id == old_id).values(replaced_by=new_id))


def set_removed(session: Session, document_id: int, when: dt.datetime | None) -> None:
    """Remove a document version (when: the time) or restore it (None)."""
    session.execute(update(DocumentRow).where(DocumentRow.id == document_id).values(removed_at=when))


def removed_document(session: Session, name: str) -> DocumentRow | None:
    """The most recently removed version of a document that has no newer version."""
    query = (
        select(DocumentRow)
        .where(DocumentRow.name == name, DocumentRow.replaced_by.is_(None), DocumentRow.removed_at.is_not(None))
        .order_by(DocumentRow.removed_at.desc(), DocumentRow.id.desc())
    )
    return session.scalars(query).first()


def removed_documents(session: Session) -> dict[str, str]:
    """Removed documents (name -> sha256 of the removed version), for ingest to leave alone."""
    return {name: sha for name, (_id, sha) in removed_versions(session).items()}


def removed_versions(session: Session) -> dict[str, tuple[int, str]]:
    """Removed documents: name -> (id, sha256) of the version that was removed."""
    query = select(DocumentRow.name, DocumentRow.id, DocumentRow.sha256).where(
        DocumentRow.replaced_by.is_(None), DocumentRow.removed_at.is_not(None)
    )
    return {name: (int(row_id), sha) for name, row_id, sha in session.execute(query).all()}


def document_text_by_id(session: Session, document_id: int) -> str:
    row = session.get(DocumentRow, document_id)
    return row.text if row else ""


def documents_frame(session: Session) -> pd.DataFrame:
    """Active documents with their respondent: id, name, respondent_id, chars, sha256, source_path."""
    query = (
        select(
            DocumentRow.id,
            DocumentRow.name,
            Respondent.respondent_id,
            func.length(DocumentRow.text),
            DocumentRow.sha256,
            DocumentRow.source_path,
        )
        .join(Respondent, Respondent.id == DocumentRow.respondent_pk)
        .where(is_current())
        .order_by(DocumentRow.name)
    )
    return read_frame(session, query, ["document_id", "document", "respondent_id", "chars", "sha256", "source_path"])


def document_texts(session: Session, names: Iterable[str] | None = None) -> dict[str, str]:
    query = select(DocumentRow.name, DocumentRow.text).where(is_current())
    if names is not None:
        query = query.where(DocumentRow.name.in_(list(names)))
    return dict(session.execute(query).all())  # type: ignore[arg-type]


def document_lengths(session: Session) -> dict[str, int]:
    """Each current document's length in characters, counted by the database (no text leaves it)."""
    query = select(DocumentRow.name, func.length(DocumentRow.text)).where(is_current())
    return {str(name): int(length) for name, length in session.execute(query)}


def documents(session: Session, names: Sequence[str] | None = None) -> list[Document]:
    """Current documents (all, or those named) in name order, with their turns (paragraph spans not
    recovered) and no attributes: what segmentation reads, as plain objects, not frames."""
    query = (
        select(
            DocumentRow.id,
            DocumentRow.name,
            Respondent.respondent_id,
            DocumentRow.text,
            DocumentRow.sha256,
            DocumentRow.source_path,
        )
        .join(Respondent, Respondent.id == DocumentRow.respondent_pk)
        .where(is_current())
        .order_by(DocumentRow.name)
    )
    turns_query = (
        select(TurnRow.document_id, TurnRow.index, TurnRow.speaker, TurnRow.role, TurnRow.start, TurnRow.end)
        .join(DocumentRow, DocumentRow.id == TurnRow.document_id)
        .where(is_current())
        .order_by(TurnRow.document_id, TurnRow.index)
    )
    if names is not None:
        query = query.where(DocumentRow.name.in_(list(names)))
        turns_query = turns_query.where(DocumentRow.name.in_(list(names)))
    turns: dict[int, list[Turn]] = {}
    for document_id, index, speaker, role, start, end in session.execute(turns_query):
        turns.setdefault(document_id, []).append(Turn(index, speaker, role, start, end))
    return [
        Document(name, respondent_id, text, turns.get(document_id, []), {}, sha256, source_path)
        for document_id, name, respondent_id, text, sha256, source_path in session.execute(query)
    ]


def turns_frame(session: Session, document: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Turns of active documents: one document by name, several, or all (None)."""
    query = (
        select(TurnRow.id, DocumentRow.name, TurnRow.index, TurnRow.speaker, TurnRow.role, TurnRow.start, TurnRow.end)
        .join(DocumentRow, DocumentRow.id == TurnRow.document_id)
        .where(is_current())
        .order_by(DocumentRow.name, TurnRow.index)
    )
    if isinstance(document, str):
        query = query.where(DocumentRow.name == document)
    elif document is not None:
        query = query.where(DocumentRow.name.in_(list(document)))
    return read_frame(session, query, ["turn_id", "document", "turn_index", "speaker", "role", "start", "end"])


def counts(session: Session) -> dict[str, int]:
    """Respondents, current documents, their segments, and the codings on those that are not rejected."""
    active = select(DocumentRow.id).where(is_current())
    return {
        "respondents": session.scalar(select(func.count(Respondent.id)).where(_respondent_counts())) or 0,
        "documents": session.scalar(select(func.count()).select_from(active.subquery())) or 0,
        "segments": session.scalar(select(func.count(SegmentRow.id)).where(SegmentRow.document_id.in_(active))) or 0,
        "codings": session.scalar(
            select(func.count(CodingRow.id))
            .join(SegmentRow, SegmentRow.id == CodingRow.segment_id)
            .where(CodingRow.status != REJECTED, SegmentRow.document_id.in_(active))
        )
        or 0,
    }
