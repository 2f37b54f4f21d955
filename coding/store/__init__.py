"""The project database: the only place that speaks SQL (through SQLAlchemy).

One module per responsibility, each with one calling convention:
- database.py: engines, migrations (a copy of an SQLite file first; never silently on PostgreSQL), transactions;
- documents.py, segments.py, codebook.py, codings.py, memos.py, settings.py, log.py: functions whose first
  parameter is an open Session. Writes join the caller's transaction (`with store.transaction() as session`),
  so that a command's writes are committed together or not at all; reads see that transaction's writes.
- frames.py: query results as pandas frames;
- Store (here): a project's database handle. Its methods are reads that each run in a short transaction of
  their own; it has no write methods.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Code, Document, Segment
from . import codebook, codings, documents, log, memos, segments, settings, spans
from .codings import CODING_COLUMNS, DECISION_COLUMNS
from .database import engine_for, open_database, retrying, transaction
from .locks import step_lock
from .log import Action, StateToken
from .schema import CodingRow
from .segments import SEGMENT_COLUMNS

if TYPE_CHECKING:  # pandas loads in the functions that build frames, not on import
    import pandas as pd

__all__ = [
    "CODING_COLUMNS",
    "DECISION_COLUMNS",
    "SEGMENT_COLUMNS",
    "Action",
    "StateToken",
    "Store",
    "transaction",
]
T = TypeVar("T")


class Store:
    """A project's database. Create one per project; engines are cached per URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = engine_for(url)
        open_database(self.engine)

    def transaction(self, write: bool = False) -> AbstractContextManager[Session]:
        """The session a command writes through, committed at the end or rolled back on any error.

        write=True for a transaction that writes: on SQLite it waits its turn for the write lock up front."""
        return transaction(self.engine, write)

    def retrying(self, work: Callable[[], T]) -> T:
        """Run `work` (one whole transaction) again while the database is busy or a concurrent writer took
        the same row first; a BusyError (one line) if that persists (database.retrying)."""
        return retrying(work)

    def step_lock(self, step: str, wait: float = 0.0) -> AbstractContextManager[None]:
        """One run of `step` (segment, ingest, autocode, train) at a time on this project (locks.py)."""
        return step_lock(self.engine, step, wait)

    # ----- settings and log -------------------------------------------------------------------
    def get_setting(self, key: str, default: str | None = None) -> str | None:
        with self.transaction() as session:
            return settings.get_setting(session, key, default)

    def log_frame(self, limit: int | None = None) -> pd.DataFrame:
        with self.transaction() as session:
            return log.log_frame(session, limit)

    def edited_segments(self, after: int, upto: int, entries: int) -> set[int] | None:
        with self.transaction() as session:
            return log.edited_segments(session, after, upto, entries)

    # ----- respondents and documents ----------------------------------------------------------
    def respondents_frame(self) -> pd.DataFrame:
        with self.transaction() as session:
            return documents.respondents_frame(session)

    def documents_frame(self) -> pd.DataFrame:
        with self.transaction() as session:
            return documents.documents_frame(session)

    def document_texts(self, names: Iterable[str] | None = None) -> dict[str, str]:
        with self.transaction() as session:
            return documents.document_texts(session, names)

    def document_lengths(self) -> dict[str, int]:
        with self.transaction() as session:
            return documents.document_lengths(session)

    def documents(self, names: Sequence[str] | None = None) -> list[Document]:
        with self.transaction() as session:
            return documents.documents(session, names)

    def turns_frame(self, document: str | Sequence[str] | None = None) -> pd.DataFrame:
        with self.transaction() as session:
            return documents.turns_frame(session, document)

    def counts(self) -> dict[str, int]:
        with self.transaction() as session:
            return documents.counts(session)

    # ----- segments ---------------------------------------------------------------------------
    def unsegmented_documents(self, unit: str) -> list[str]:
        with self.transaction() as session:
            return segments.unsegmented_documents(session, unit)

    def segments_frame(self, unit: str, documents: Sequence[str] | None = None) -> pd.DataFrame:
        with self.transaction() as session:
            return segments.segments_frame(session, unit, documents)

    def segments(self, unit: str, documents: Sequence[str] | None = None) -> list[Segment]:
        with self.transaction() as session:
            return segments.segments(session, unit, documents)

    def segment_units(self) -> dict[str, int]:
        with self.transaction() as session:
            return segments.segment_units(session)

    # ----- codes, codings and memos -----------------------------------------------------------
    def codes(self) -> list[Code]:
        with self.transaction() as session:
            return codebook.codes(session)

    def codings_frame(self, unit: str | None = None, segment_ids: Sequence[int] | None = None) -> pd.DataFrame:
        with self.transaction() as session:
            return codings.codings_frame(session, unit, segment_ids)

    def decisions_frame(self, unit: str, segment_ids: Sequence[int] | None = None) -> pd.DataFrame:
        with self.transaction() as session:
            return codings.decisions_frame(session, unit, segment_ids)

    def has_codings(self) -> bool:
        """Whether any coding is stored (one index lookup)."""
        with self.transaction() as session:
            return session.scalar(select(CodingRow.id).limit(1)) is not None

    def people(self) -> list[str]:
        with self.transaction() as session:
            return codings.people(session)

    def coding_counts_by_unit(self) -> dict[str, int]:
        with self.transaction() as session:
            return codings.coding_counts_by_unit(session)

    def spans_frame(
        self, document: str | Sequence[str] | None = None, coders: Sequence[str] | None = None
    ) -> pd.DataFrame:
        with self.transaction() as session:
            return spans.spans_frame(session, document, coders)

    def memos_frame(self) -> pd.DataFrame:
        with self.transaction() as session:
            return memos.memos_frame(session)
