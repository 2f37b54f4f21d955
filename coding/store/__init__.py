"""The project database: the only place that speaks SQL (through SQLAlchemy).

Reads return pandas DataFrames or plain dataclasses; writes take an open session so that a command
can group all its writes into one transaction (see database.transaction).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import String, case, cast, delete, func, insert, select, update
from sqlalchemy.orm import Session

from ..models import (
    ACCEPTED,
    HUMAN,
    REJECTED,
    SUGGESTED,
    Code,
    Codebook,
    Document,
    MatchRules,
    Proposal,
    Segment,
)
from .database import engine_for, transaction, upgrade
from .schema import (
    CodeRow,
    CodingRow,
    DocumentRow,
    LogRow,
    MemoRow,
    Respondent,
    SegmentRow,
    Setting,
    TurnRow,
    utcnow,
)

__all__ = ["CODING_COLUMNS", "DECISION_COLUMNS", "SEGMENT_COLUMNS", "Store", "transaction"]

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

# Log actions that edit the codings or memo of one segment (target "segment N") or one coding ("coding N").
SEGMENT_EDITS = frozenset({"apply_code", "remove_code", "memo", "consensus"})
CODING_EDITS = frozenset({"accept", "reject"})


class Store:
    """A project's database. Create one per project; engines are cached per URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = engine_for(url)
        upgrade(self.engine)

    def transaction(self):  # type: ignore[no-untyped-def]
        return transaction(self.engine)

    # ----- settings and log -------------------------------------------------------------------
    def get_setting(self, key: str, default: str | None = None) -> str | None:
        with transaction(self.engine) as session:
            row = session.get(Setting, key)
            return row.value if row else default

    @staticmethod
    def set_setting(session: Session, key: str, value: str) -> None:
        row = session.get(Setting, key)
        if row:
            row.value = value
        else:
            session.add(Setting(key=key, value=value))

    @staticmethod
    def log(session: Session, actor: str, action: str, target: str = "", **details: Any) -> None:
        session.add(LogRow(actor=actor, action=action, target=target, details=details))

    def log_frame(self, limit: int | None = None) -> pd.DataFrame:
        query = select(LogRow.id, LogRow.at, LogRow.actor, LogRow.action, LogRow.target, LogRow.details)
        query = query.order_by(LogRow.id.desc())
        if limit:
            query = query.limit(limit)
        return self._frame(query, ["id", "at", "actor", "action", "target", "details"])

    def edited_segments(self, after: int, upto: int, entries: int) -> set[int] | None:
        """Segments whose codings or memos were edited one by one in the `entries` log entries after..upto.

        None when any entry in that range did something else (an import, autocoding, a codebook or document
        change), or when the range does not hold exactly `entries` entries: on PostgreSQL a transaction can
        commit after one with a higher log id, so an id range alone can miss an edit. Then a reader must
        reload everything instead of refreshing these segments.
        """
        query = select(LogRow.action, LogRow.target).where(LogRow.id > after, LogRow.id <= upto)
        segments: set[int] = set()
        codings: set[int] = set()
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
            if len(rows) != entries:
                return None
            for action, target in rows:
                kind, _, number = str(target).partition(" ")
                if action in SEGMENT_EDITS and kind == "segment" and number.isdigit():
                    segments.add(int(number))
                elif action in CODING_EDITS and kind == "coding" and number.isdigit():
                    codings.add(int(number))
                else:
                    return None
            for chunk in _chunks(sorted(codings)):
                found = select(CodingRow.segment_id).where(CodingRow.id.in_(chunk))
                segments.update(connection.execute(found).scalars())
        return segments

    def state_token(self) -> tuple[int, int, int, int, int]:
        """Changes whenever codings, codes, documents or the log change: a cache key for the app.

        (newest log id, codings, newest coding id, segments, log entries)."""
        with transaction(self.engine) as session:
            return (
                session.scalar(select(func.max(LogRow.id))) or 0,
                session.scalar(select(func.count(CodingRow.id))) or 0,
                session.scalar(select(func.max(CodingRow.id))) or 0,
                session.scalar(select(func.count(SegmentRow.id))) or 0,
                session.scalar(select(func.count(LogRow.id))) or 0,
            )

    # ----- respondents and documents ----------------------------------------------------------
    @staticmethod
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

    def respondents_frame(self) -> pd.DataFrame:
        with transaction(self.engine) as session:
            rows = session.execute(select(Respondent.respondent_id, Respondent.attributes)).all()
        records = [{"respondent_id": rid, **attrs} for rid, attrs in rows]
        frame = pd.DataFrame.from_records(records) if records else pd.DataFrame(columns=["respondent_id"])
        return frame.sort_values("respondent_id").reset_index(drop=True)

    def active_document(self, session: Session, name: str) -> DocumentRow | None:
        return session.scalar(select(DocumentRow).where(DocumentRow.name == name, DocumentRow.replaced_by.is_(None)))

    @staticmethod
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

    @staticmethod
    def retire_document(session: Session, old_id: int, new_id: int) -> None:
        session.execute(update(DocumentRow).where(DocumentRow.id == old_id).values(replaced_by=new_id))

    def documents_frame(self) -> pd.DataFrame:
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
            .where(DocumentRow.replaced_by.is_(None))
            .order_by(DocumentRow.name)
        )
        return self._frame(query, ["document_id", "document", "respondent_id", "chars", "sha256", "source_path"])

    def document_texts(self, names: Iterable[str] | None = None) -> dict[str, str]:
        query = select(DocumentRow.name, DocumentRow.text).where(DocumentRow.replaced_by.is_(None))
        if names is not None:
            query = query.where(DocumentRow.name.in_(list(names)))
        with transaction(self.engine) as session:
            return dict(session.execute(query).all())

    def turns_frame(self, document: str | Sequence[str] | None = None) -> pd.DataFrame:
        """Turns of active documents: one document by name, several, or all (None)."""
        query = (
            select(
                TurnRow.id,
                DocumentRow.name,
                TurnRow.index,
                TurnRow.speaker,
                TurnRow.role,
                TurnRow.start,
                TurnRow.end,
            )
            .join(DocumentRow, DocumentRow.id == TurnRow.document_id)
            .where(DocumentRow.replaced_by.is_(None))
            .order_by(DocumentRow.name, TurnRow.index)
        )
        if isinstance(document, str):
            query = query.where(DocumentRow.name == document)
        elif document is not None:
            query = query.where(DocumentRow.name.in_(list(document)))
        return self._frame(query, ["turn_id", "document", "turn_index", "speaker", "role", "start", "end"])

    # ----- segments ---------------------------------------------------------------------------
    def unsegmented_documents(self, unit: str) -> list[str]:
        segmented = select(SegmentRow.document_id).where(SegmentRow.unit == unit).distinct()
        query = select(DocumentRow.name).where(DocumentRow.replaced_by.is_(None), DocumentRow.id.not_in(segmented))
        with transaction(self.engine) as session:
            return list(session.scalars(query.order_by(DocumentRow.name)))

    @staticmethod
    def add_segments(session: Session, segments: Sequence[Segment], unit: str) -> int:
        if not segments:
            return 0
        names = sorted({s.document for s in segments})
        docs = dict(
            session.execute(
                select(DocumentRow.name, DocumentRow.id).where(
                    DocumentRow.name.in_(names), DocumentRow.replaced_by.is_(None)
                )
            ).all()
        )
        turn_ids = dict(
            ((doc_id, index), turn_id)
            for turn_id, doc_id, index in session.execute(
                select(TurnRow.id, TurnRow.document_id, TurnRow.index).where(TurnRow.document_id.in_(docs.values()))
            )
        )
        rows = [
            {
                "document_id": docs[s.document],
                "turn_id": turn_ids[(docs[s.document], s.turn_index)],
                "unit": unit,
                "index": s.index,
                "start": s.start,
                "end": s.end,
            }
            for s in segments
        ]
        session.execute(insert(SegmentRow.metadata.tables["segments"]), rows)  # Core: half the time of ORM bulk
        return len(rows)

    def segments_frame(self, unit: str, documents: Sequence[str] | None = None) -> pd.DataFrame:
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
            .where(SegmentRow.unit == unit, DocumentRow.replaced_by.is_(None))
            .order_by(DocumentRow.name, SegmentRow.index)
        )
        if documents is not None:
            query = query.where(DocumentRow.name.in_(list(documents)))
        return self._frame(query, SEGMENT_COLUMNS, plain=True)

    def segments(self, unit: str, documents: Sequence[str] | None = None) -> list[Segment]:
        frame = self.segments_frame(unit, documents)
        texts = self.document_texts(frame["document"].unique().tolist()) if len(frame) else {}
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

    @staticmethod
    def segment_offsets(session: Session, unit: str, documents: Sequence[str]) -> list[tuple[str, int, int, int]]:
        """(document, start, end, segment id) of active documents, seen from inside a transaction."""
        query = (
            select(DocumentRow.name, SegmentRow.start, SegmentRow.end, SegmentRow.id)
            .join(DocumentRow, DocumentRow.id == SegmentRow.document_id)
            .join(TurnRow, TurnRow.id == SegmentRow.turn_id)
            .where(
                SegmentRow.unit == unit,
                DocumentRow.replaced_by.is_(None),
                DocumentRow.name.in_(list(documents)),
                TurnRow.role == "respondent",
            )
            .order_by(DocumentRow.name, SegmentRow.start)
        )
        return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]

    def segment_units(self) -> dict[str, int]:
        """How many segments exist per unit (active documents only)."""
        query = (
            select(SegmentRow.unit, func.count(SegmentRow.id))
            .join(DocumentRow, DocumentRow.id == SegmentRow.document_id)
            .where(DocumentRow.replaced_by.is_(None))
            .group_by(SegmentRow.unit)
        )
        with transaction(self.engine) as session:
            return dict(session.execute(query).all())

    # ----- codes ------------------------------------------------------------------------------
    @staticmethod
    def sync_codes(session: Session, codebook: Codebook) -> dict[str, int]:
        """Add and update codes from a codebook. Codes it no longer has are kept: codings are never lost."""
        existing = {row.id: row for row in session.scalars(select(CodeRow))}
        added = updated = 0
        for position, code in enumerate(codebook.tree_order()):
            values = _code_values(code, position)
            row = existing.get(code.id)
            if row is None:
                session.add(CodeRow(**values))
                added += 1
            else:
                for key, value in values.items():
                    if getattr(row, key) != value:
                        setattr(row, key, value)
                        updated += 1
        return {"added": added, "updated": updated}

    def codes(self, session: Session | None = None) -> list[Code]:
        query = select(CodeRow).where(CodeRow.merged_into.is_(None)).order_by(CodeRow.position, CodeRow.id)
        if session is not None:
            return [_code_from_row(row) for row in session.scalars(query)]
        with transaction(self.engine) as own:
            return [_code_from_row(row) for row in own.scalars(query)]

    @staticmethod
    def code_row(session: Session, code_id: str) -> CodeRow | None:
        return session.get(CodeRow, code_id)

    @staticmethod
    def add_code(session: Session, code: Code) -> None:
        position = (session.scalar(select(func.max(CodeRow.position))) or 0) + 1
        session.add(CodeRow(**_code_values(code, position)))

    @staticmethod
    def update_code(session: Session, code_id: str, **values: Any) -> None:
        session.execute(update(CodeRow).where(CodeRow.id == code_id).values(**values))

    @staticmethod
    def move_codings(session: Session, source_code: str, target_code: str) -> int:
        """Re-point codings of one code at another; where the target is already there, keep that one."""
        rows = session.execute(
            select(CodingRow.id, CodingRow.segment_id, CodingRow.coder).where(CodingRow.code_id == source_code)
        ).all()
        taken = set(
            session.execute(select(CodingRow.segment_id, CodingRow.coder).where(CodingRow.code_id == target_code))
        )
        moved = [row.id for row in rows if (row.segment_id, row.coder) not in taken]
        duplicates = [row.id for row in rows if (row.segment_id, row.coder) in taken]
        if moved:
            session.execute(update(CodingRow).where(CodingRow.id.in_(moved)).values(code_id=target_code))
        if duplicates:
            session.execute(delete(CodingRow).where(CodingRow.id.in_(duplicates)))
        return len(moved) + len(duplicates)

    # ----- codings ----------------------------------------------------------------------------
    @staticmethod
    def existing_coding_keys(session: Session, coders: Sequence[str]) -> set[tuple[int, str, str]]:
        query = select(CodingRow.segment_id, CodingRow.code_id, CodingRow.coder).where(CodingRow.coder.in_(coders))
        return set(session.execute(query))

    @staticmethod
    def add_human_codings(
        session: Session, items: Iterable[tuple[int, str]], coder: str, status: str = ACCEPTED
    ) -> int:
        """Add (segment, code) decisions by a person; ones already there are left as they are."""
        pairs = sorted(set(items))
        taken = Store.existing_coding_keys(session, [coder])
        now = utcnow()
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

    @staticmethod
    def add_proposals(session: Session, proposals: Sequence[Proposal]) -> dict[str, int]:
        """Store suggestions; one the suggester made before gets the new confidence. People's decisions on
        suggestions are their own rows (see Project.decide_suggestion), so storing never touches them."""
        names = sorted({p.source_name for p in proposals})
        existing = {
            (row.segment_id, row.code_id, row.coder): row
            for row in session.execute(
                select(CodingRow.id, CodingRow.segment_id, CodingRow.code_id, CodingRow.coder, CodingRow.status).where(
                    CodingRow.coder.in_(names)
                )
            )
        }
        now = utcnow()
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
                refreshed.append({"id": found.id, "confidence": p.confidence, "updated_at": now})
        if new_rows:
            session.execute(insert(CodingRow), new_rows)
        if refreshed:
            session.execute(update(CodingRow), refreshed)
        return {"added": len(new_rows), "refreshed": len(refreshed)}

    @staticmethod
    def withdraw_pending(session: Session, source_name: str, keep: set[tuple[int, str]]) -> int:
        """Remove pending suggestions of a suggester that it no longer makes (decided ones stay)."""
        rows = session.execute(
            select(CodingRow.id, CodingRow.segment_id, CodingRow.code_id).where(
                CodingRow.coder == source_name, CodingRow.status == SUGGESTED
            )
        ).all()
        gone = [row.id for row in rows if (row.segment_id, row.code_id) not in keep]
        if gone:
            session.execute(delete(CodingRow).where(CodingRow.id.in_(gone)))
        return len(gone)

    @staticmethod
    def coding_row(session: Session, coding_id: int) -> CodingRow | None:
        return session.get(CodingRow, coding_id)

    @staticmethod
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

    @staticmethod
    def find_coding(session: Session, segment_id: int, code_id: str, coder: str) -> CodingRow | None:
        return session.scalar(
            select(CodingRow).where(
                CodingRow.segment_id == segment_id, CodingRow.code_id == code_id, CodingRow.coder == coder
            )
        )

    @staticmethod
    def delete_coding(session: Session, row: CodingRow) -> None:
        session.delete(row)

    @staticmethod
    def decide(session: Session, row: CodingRow, status: str, person: str) -> None:
        row.status = status
        row.decided_by = person
        row.updated_at = utcnow()

    def codings_frame(self, unit: str | None = None, segment_ids: Sequence[int] | None = None) -> pd.DataFrame:
        """Every coding on active documents' segments (of `unit`, and among `segment_ids`, if given)."""
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
            .where(DocumentRow.replaced_by.is_(None))
        )
        if unit is not None:
            query = query.where(SegmentRow.unit == unit)
        return self._read_segments(query, CODING_COLUMNS, segment_ids)

    def decisions_frame(self, unit: str, segment_ids: Sequence[int] | None = None) -> pd.DataFrame:
        """Every coding on the unit's active segments, lean: coding_id, segment_id, code, source, status and
        person (the coder of a person's own code, whoever accepted or rejected a suggestion, else empty).

        What counting and agreement need, in fewer columns than codings_frame: reading a column of
        hundreds of thousands of rows costs about as much as the table work after it."""
        person = case((CodingRow.source == HUMAN, CodingRow.coder), else_=CodingRow.decided_by)
        query = (
            select(CodingRow.id, CodingRow.segment_id, CodingRow.code_id, CodingRow.source, CodingRow.status, person)
            .join(SegmentRow, SegmentRow.id == CodingRow.segment_id)
            .join(DocumentRow, DocumentRow.id == SegmentRow.document_id)
            .where(DocumentRow.replaced_by.is_(None), SegmentRow.unit == unit)
        )
        return self._read_segments(query, DECISION_COLUMNS, segment_ids)

    def people(self) -> list[str]:
        """Everyone who made a coding by hand or decided a suggestion (suggesters are not people)."""
        coded = select(CodingRow.coder).where(CodingRow.source == HUMAN).distinct()
        decided = select(CodingRow.decided_by).where(CodingRow.decided_by.is_not(None)).distinct()
        with self.engine.connect() as connection:
            names = set(connection.execute(coded).scalars()) | set(connection.execute(decided).scalars())
        return sorted(name for name in names if name)

    def coding_counts_by_unit(self) -> dict[str, int]:
        query = (
            select(SegmentRow.unit, func.count(CodingRow.id))
            .join(SegmentRow, SegmentRow.id == CodingRow.segment_id)
            .group_by(SegmentRow.unit)
        )
        with transaction(self.engine) as session:
            return dict(session.execute(query).all())

    @staticmethod
    def codings_on_document(session: Session, document_id: int) -> list[tuple[CodingRow, int, int, str]]:
        """Codings of a document with their segment offsets and unit (for carrying them to a new version)."""
        return _on_segments(session, CodingRow, document_id)

    @staticmethod
    def memos_on_document(session: Session, document_id: int) -> list[tuple[MemoRow, int, int, str]]:
        """Memos on a document's segments with the segment offsets and unit (for carrying them over)."""
        return _on_segments(session, MemoRow, document_id)

    @staticmethod
    def copy_memo(session: Session, row: MemoRow, segment_id: int) -> None:
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

    @staticmethod
    def copy_coding(session: Session, row: CodingRow, segment_id: int) -> None:
        data = {c: getattr(row, c) for c in ("code_id", "coder", "source", "source_name", "confidence", "status")}
        session.add(CodingRow(segment_id=segment_id, decided_by=row.decided_by, **data))

    @staticmethod
    def segment_spans(session: Session, document_id: int, unit: str) -> list[tuple[int, int, int]]:
        query = select(SegmentRow.id, SegmentRow.start, SegmentRow.end).where(
            SegmentRow.document_id == document_id, SegmentRow.unit == unit
        )
        return list(session.execute(query.order_by(SegmentRow.start)))

    @staticmethod
    def document_text_by_id(session: Session, document_id: int) -> str:
        row = session.get(DocumentRow, document_id)
        return row.text if row else ""

    @staticmethod
    def document_units(session: Session, document_id: int) -> set[str]:
        query = select(SegmentRow.unit).where(SegmentRow.document_id == document_id).distinct()
        return set(session.scalars(query))

    # ----- memos ------------------------------------------------------------------------------
    @staticmethod
    def upsert_memo(session: Session, segment_id: int, coder: str, text: str) -> str:
        row = session.scalar(select(MemoRow).where(MemoRow.segment_id == segment_id, MemoRow.coder == coder))
        if row is None:
            session.add(MemoRow(segment_id=segment_id, coder=coder, text=text))
            return ""
        previous = row.text
        row.text = text
        row.updated_at = utcnow()
        return previous

    def memos_frame(self) -> pd.DataFrame:
        """Memos on active documents (a replaced version keeps its own, carried ones are on the new one)."""
        query = (
            select(MemoRow.id, MemoRow.segment_id, MemoRow.code_id, MemoRow.coder, MemoRow.text, MemoRow.updated_at)
            .outerjoin(SegmentRow, SegmentRow.id == MemoRow.segment_id)
            .outerjoin(DocumentRow, DocumentRow.id == SegmentRow.document_id)
            .where(DocumentRow.replaced_by.is_(None))
        )
        return self._frame(query, ["memo_id", "segment_id", "code", "coder", "memo", "updated_at"])

    # ----- helpers ----------------------------------------------------------------------------
    def _read_segments(self, query: Any, columns: list[str], segment_ids: Sequence[int] | None) -> pd.DataFrame:
        """A codings query as a frame, for every segment or only for `segment_ids`."""
        if segment_ids is None:
            return self._frame(query, columns, plain=True)
        chunks = _chunks(sorted(set(segment_ids))) or [[]]
        parts = [self._frame(query.where(CodingRow.segment_id.in_(chunk)), columns, plain=True) for chunk in chunks]
        return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]

    def _frame(self, query: Any, columns: list[str], plain: bool = False) -> pd.DataFrame:
        """Rows as a DataFrame built column by column, text kept as plain Python objects (pandas would
        otherwise infer string columns row by row, several times slower on large projects).

        plain=True reads the driver's own tuples, skipping SQLAlchemy's per-row processing: only for
        queries whose columns are integers, floats and text, which every driver returns as they are."""
        with self.engine.connect() as connection, _no_gc_pauses():
            result = connection.execute(query)
            # Plain tuples either way: numpy probes every SQLAlchemy Row for array attributes, and each miss
            # goes through the Row's slow failed-key path (a third of the cost of reading turns).
            rows = result.cursor.fetchall() if plain and result.cursor is not None else [tuple(r) for r in result]
        if not rows:
            return pd.DataFrame({name: pd.Series(dtype=object) for name in columns})
        table = np.array(rows, dtype=object).reshape(len(rows), len(columns))
        data: dict[str, pd.Series] = {}
        for index, name in enumerate(columns):
            values = table[:, index]
            sample = next((v for v in values if v is not None), None)
            if isinstance(sample, bool) or not isinstance(sample, int | float):
                data[name] = pd.Series(values, dtype=object)
            elif isinstance(sample, int) and not pd.isna(values).any():
                data[name] = pd.Series(values.astype(np.int64))
            else:  # floats, or whole numbers with gaps: NaN marks the gaps
                data[name] = pd.Series(pd.to_numeric(values))
        return pd.DataFrame(data)

    def counts(self) -> dict[str, int]:
        with transaction(self.engine) as session:
            active = select(DocumentRow.id).where(DocumentRow.replaced_by.is_(None))
            return {
                "respondents": session.scalar(select(func.count(Respondent.id))) or 0,
                "documents": session.scalar(select(func.count()).select_from(active.subquery())) or 0,
                "segments": session.scalar(select(func.count(SegmentRow.id)).where(SegmentRow.document_id.in_(active)))
                or 0,
                "codings": session.scalar(select(func.count(CodingRow.id)).where(CodingRow.status != REJECTED)) or 0,
            }


@contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """Hold the cyclic garbage collector while a large read builds its rows: hundreds of thousands of new
    tuples would trigger full collections over everything the process holds (a dashboard holds a lot),
    which cost up to a second; the rows hold no reference cycles, so nothing is left uncollected."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _on_segments(session: Session, row_type: Any, document_id: int) -> list[Any]:
    """Rows of a table keyed by segment (codings, memos) on one document, with segment start, end and unit."""
    query = (
        select(row_type, SegmentRow.start, SegmentRow.end, SegmentRow.unit)
        .join(SegmentRow, SegmentRow.id == row_type.segment_id)
        .where(SegmentRow.document_id == document_id)
    )
    return [(row, start, end, unit) for row, start, end, unit in session.execute(query)]


def _chunks(ids: Sequence[int], size: int = 500) -> list[Sequence[int]]:
    """Pieces of an id list small enough for one IN (...) on every database."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _code_values(code: Code, position: int) -> dict[str, Any]:
    return {
        "id": code.id,
        "name": code.name,
        "parent_id": code.parent,
        "definition": code.definition,
        "include": code.include,
        "exclude": code.exclude,
        "examples": list(code.examples),
        "color": code.color,
        "rules": asdict(code.rules),
        "position": position,
    }


def _code_from_row(row: CodeRow) -> Code:
    rules = row.rules or {}
    return Code(
        id=row.id,
        name=row.name,
        parent=row.parent_id,
        definition=row.definition,
        include=row.include,
        exclude=row.exclude,
        examples=list(row.examples or []),
        color=row.color,
        rules=MatchRules(
            keywords=list(rules.get("keywords", [])),
            lemmas=list(rules.get("lemmas", [])),
            patterns=list(rules.get("patterns", [])),
        ),
    )
