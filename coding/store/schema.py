"""SQLAlchemy 2 ORM tables of a project. Alembic migrations in migrations/ create and evolve them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    case,
    select,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ..models import HUMAN


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Setting(Base):
    """Project-level facts the database must carry with it (codebook version, model metadata)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Respondent(Base):
    __tablename__ = "respondents"
    id: Mapped[int] = mapped_column(primary_key=True)
    respondent_id: Mapped[str] = mapped_column(String(100), unique=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)


class DocumentRow(Base):
    __tablename__ = "documents"
    # One current version per name: a second concurrent ingest of a file cannot store it twice.
    __table_args__ = (
        Index(
            "uq_documents_current_name",
            "name",
            unique=True,
            sqlite_where=text("replaced_by IS NULL AND removed_at IS NULL"),
            postgresql_where=text("replaced_by IS NULL AND removed_at IS NULL"),
        ),
        Index("ix_documents_respondent", "respondent_pk"),  # a respondent's documents (migration 0007)
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    respondent_pk: Mapped[int] = mapped_column(ForeignKey("respondents.id"))
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    source_path: Mapped[str] = mapped_column(Text, default="")
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # A replaced document stays, with its turns, segments and codings, as the previous version.
    replaced_by: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), default=None)
    # A removed document (`qcode remove`) stays with everything on it, out of every count, until restored.
    removed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)


def is_current() -> ColumnElement[bool]:
    """Documents that count: neither replaced by a newer version nor removed."""
    return and_(DocumentRow.replaced_by.is_(None), DocumentRow.removed_at.is_(None))


class TurnRow(Base):
    __tablename__ = "turns"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    index: Mapped[int] = mapped_column(Integer)
    speaker: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)


class SegmentRow(Base):
    __tablename__ = "segments"
    __table_args__ = (
        # Each position of a document's segmentation in a unit once: a second run cannot store it twice. It
        # also serves every look-up by (document_id, unit), its first columns (migration 0009).
        Index("uq_segment_position", "document_id", "unit", "index", unique=True),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    turn_id: Mapped[int] = mapped_column(ForeignKey("turns.id"))
    unit: Mapped[str] = mapped_column(String(20))
    index: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)


class CodeRow(Base):
    __tablename__ = "codes"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    parent_id: Mapped[str | None] = mapped_column(String(200), default=None)
    definition: Mapped[str] = mapped_column(Text, default="")
    include: Mapped[str] = mapped_column(Text, default="")
    exclude: Mapped[str] = mapped_column(Text, default="")
    examples: Mapped[list[Any]] = mapped_column(default=list)
    color: Mapped[str] = mapped_column(String(20), default="")
    rules: Mapped[dict[str, Any]] = mapped_column(default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Merged codes stay (their codings moved) so that old exports and logs still resolve.
    merged_into: Mapped[str | None] = mapped_column(String(200), default=None)


# A retired code's merged_into when it was deleted with its codings kept (not a code id: ids are lower-case
# words and dots, so no merge target can be mistaken for it).
DELETED = "(deleted)"


# Undo puts rows back under their own ids (store/changes.py): SQLite may not give a deleted row's id to a
# new row, as it does without AUTOINCREMENT (migration 0008). PostgreSQL's sequences never go back anyway.
NEVER_REUSED = {"sqlite_autoincrement": True}


class CodingRow(Base):
    """One code on one segment by one coder. Suggestions use the suggester's name as coder."""

    __tablename__ = "codings"
    __table_args__ = (
        UniqueConstraint("segment_id", "code_id", "coder", name="uq_coding"),
        Index("ix_codings_code", "code_id"),
        # Covers the counting queries (store/aggregate.py): a segment's codings and every column they filter
        # on are read from the index alone, never from the table (migration 0007).
        Index("ix_codings_counts", "segment_id", "code_id", "status", "source", "coder", "decided_by", "source_name"),
        NEVER_REUSED,
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id"), index=True)
    code_id: Mapped[str] = mapped_column(ForeignKey("codes.id"))
    coder: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20))  # human / rule / model
    source_name: Mapped[str] = mapped_column(String(100), default="")
    confidence: Mapped[float | None] = mapped_column(Float, default=None)
    status: Mapped[str] = mapped_column(String(20))  # accepted / suggested / rejected
    decided_by: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SpanRow(Base):
    """A person's code on an exact character range [start, end) of a document version (offsets as segments').

    The codings rows stay what every analysis counts: a span puts its coder's code on each coding unit it
    touches (coding/span_coding.py); a whole-unit coding is a span equal to the unit's bounds."""

    __tablename__ = "spans"
    # A coder's code on one range once: applying it again (another tab, a double click) finds the first.
    __table_args__ = (Index("uq_span", "document_id", "code_id", "coder", "start", "end", unique=True), NEVER_REUSED)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    code_id: Mapped[str] = mapped_column(ForeignKey("codes.id"))
    coder: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


def live_codings() -> ColumnElement[bool]:
    """Codings that count: not on a deleted code (a merged code has none left: they moved)."""
    return CodingRow.code_id.not_in(select(CodeRow.id).where(CodeRow.merged_into == DELETED))


def person() -> ColumnElement[str]:
    """Whose a coding is: the coder of a person's own code, whoever accepted or rejected a suggestion (empty
    while a suggestion waits)."""
    return case((CodingRow.source == HUMAN, CodingRow.coder), else_=CodingRow.decided_by)


class MemoRow(Base):
    __tablename__ = "memos"
    # One memo per coder and segment (two tabs saving at once update it; they do not add a second).
    __table_args__ = (Index("uq_memo", "segment_id", "coder", unique=True), NEVER_REUSED)
    id: Mapped[int] = mapped_column(primary_key=True)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id"), default=None, index=True)
    code_id: Mapped[str | None] = mapped_column(String(200), default=None)
    coder: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class LogRow(Base):
    """Append-only: every change a person makes (who, what, when). Never updated or deleted.

    action holds a coding.store.log.Action value; store.log.write_log is the only writer."""

    __tablename__ = "change_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    target: Mapped[str] = mapped_column(Text, default="")  # for readers: "segment 12", a code id, a file
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # What the entry changed, as typed columns (migration 0003 filled them for older entries). No foreign
    # keys: the log outlives what it names (a removed coding, a merged code).
    segment_id: Mapped[int | None] = mapped_column(Integer, default=None)
    coding_id: Mapped[int | None] = mapped_column(Integer, default=None)
    code_id: Mapped[str | None] = mapped_column(String(200), default=None)


class StepLock(Base):
    """Who is running a step (segment, ingest, autocode, train) on this project: one writer per step.

    A row is the lock; coding/store/locks.py takes and releases it and clears it when its owner is gone."""

    __tablename__ = "step_locks"
    step: Mapped[str] = mapped_column(String(50), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Account(Base):
    """A person who may open the dashboard: a login name, a role (coder or lead) and an argon2 password hash.

    The name is the coder name every coding, decision and memo of that person is recorded under
    (coding/auth.py manages accounts; the plain password is never stored)."""

    __tablename__ = "accounts"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
