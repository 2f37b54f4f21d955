"""The facade: open or create a project and run each step. The CLI and the app call only this.

Layers: this facade reads the project's settings and data and calls the steps (ingest, autocode, training,
codings_io, exchange, intercoder, publication) with the store and plain data; the steps call the store
(coding/store); nothing below calls the facade back.

The read side (tables, quotes, search, words, portraits, tables for a paper) is in project_analysis.py:
Project inherits it from ProjectAnalysis; this module keeps ingest, segment, coding edits, the model,
exchange, agreement and codebook edits.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy.exc import IntegrityError

from . import codings_io
from .auth import Accounts
from .config import ProjectConfig, read_config, write_config
from .errors import BusyError, PermissionDeniedError, ProjectError, QcodeError, ReplacedDocumentError, UsageError
from .ingest import IngestReport, ingest
from .models import ACCEPTED, HUMAN, REJECTED, RESPONDENT, SUGGESTED, UNITS, Code, Codebook, Document, Segment, Turn
from .project_analysis import ProjectAnalysis
from .resources import default_codebook
from .selection import SOURCE_FILTERS, filter_codings, owners
from .store import SEGMENT_COLUMNS, Action, StateToken, Store
from .store import codebook as stored_codebook
from .store import codings as stored_codings
from .store import documents as stored_documents
from .store import memos as stored_memos
from .store import segments as stored_segments
from .store import settings as stored_settings
from .store.aggregate import CountsCache
from .store.changes import Recorder, memo_ids
from .store.database import engine_for, migrate
from .store.frames import no_gc_pauses
from .store.log import write_log
from .store.schema import utcnow
from .tables import write_csv_pieces, write_table
from .transcripts import TranscriptOptions, make_turn

if TYPE_CHECKING:  # the heavy parts (spaCy, scikit-learn) load when a step needs them
    import pandas as pd
    from spacy.language import Language
    from sqlalchemy.orm import Session

    from .codebook_edit import CodebookChanges
    from .coders.model import CodeModel
    from .coders.rules import RuleCoder
    from .exchange import ExchangeReport

__all__ = [
    "SEGMENT_COLUMNS",
    "SOURCE_FILTERS",
    "Project",
    "StateToken",
    "create_project",
    "filter_codings",
    "open_project",
    "owners",
    "upgrade_project",
]
Progress = Callable[[int], None]
P = ParamSpec("P")
R = TypeVar("R")


def _retried(method: Callable[Concatenate[Project, P], R]) -> Callable[Concatenate[Project, P], R]:
    """A facade edit run again while the database is busy or another tab took the same row first
    (store.retrying): its checks are made again too, so the second try sees what the first could not."""

    @functools.wraps(method)
    def wrapper(self: Project, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.store.retrying(lambda: method(self, *args, **kwargs))

    return wrapper


def create_project(
    folder: str | Path,
    codebook: str | Path | None = None,
    db: str | None = None,
    name: str | None = None,
) -> Project:
    """A new project folder with qcode.toml, a copy of the codebook and an empty database."""
    folder = Path(folder)
    if (folder / "qcode.toml").exists():
        raise ProjectError(f"{folder}: a qcode project already exists here")
    source = Path(codebook) if codebook else default_codebook()  # the shipped one, in a checkout or a wheel
    from .codebook import write_codebook
    from .codebook_file import digest, remember
    from .exchange import read_any_codebook

    book = read_any_codebook(source)  # validate before creating anything
    folder.mkdir(parents=True, exist_ok=True)
    config = ProjectConfig(name=name or folder.resolve().name, database=db or "", codebook="codebook.yaml")
    write_codebook(book, folder / config.codebook)
    write_config(folder, config)
    project = Project(folder, config)
    with project.store.transaction(write=True) as session:
        stored_codebook.sync_codes(session, book)
        stored_settings.set_setting(session, "codebook_name", book.name)
        stored_settings.set_setting(session, "codebook_version", book.version)
        stored_settings.set_setting(session, "codebook_description", book.description)
        # the file as written is the codebook as stored: a later change to it is a hand edit, applied then
        remember(session, digest((folder / config.codebook).read_bytes()))
        write_log(session, "qcode", Action.INIT, str(folder), codebook=str(source), codes=len(book.codes))
    return project


def open_project(folder: str | Path = ".", db: str | None = None) -> Project:
    """Open a project. An older SQLite database is copied, then migrated; any other is refused until
    `qcode upgrade` (upgrade_project) has migrated it."""
    folder = Path(folder)
    return Project(folder, _config(folder, db))


def upgrade_project(folder: str | Path = ".", db: str | None = None) -> tuple[str, Path | None]:
    """Migrate a project's database to this qcode's schema (`qcode upgrade`); an SQLite file is copied first.

    Returns the database (password hidden) and the copy made, if any (None: SQLite at the newest
    schema already, or another database, which its administrator backs up)."""
    folder = Path(folder)
    engine = engine_for(db or read_config(folder).database_url(folder))  # --db alone needs no project folder
    return engine.url.render_as_string(hide_password=True), migrate(engine)


def _config(folder: Path, db: str | None) -> ProjectConfig:
    config = read_config(folder)
    return ProjectConfig(**{**config.__dict__, "database": db}) if db else config


# Documents read from the database at a time by Project.segment, as the sentence cutting asks for them.
DOCUMENTS_PER_BATCH = 200
# Below this many documents, worker processes cost more to start than they save.
PARALLEL_FROM_DOCUMENTS = 200


def available_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def parallel_jobs(jobs: int | None, documents: int) -> int:
    """Processes for an NLP step: the asked number (default: the CPUs available), one for small corpora."""
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs must be 1 or more, not {jobs}")
    if jobs is None:
        jobs = available_cpus() if documents >= PARALLEL_FROM_DOCUMENTS else 1
    return jobs


class Project(ProjectAnalysis):
    def __init__(self, folder: Path, config: ProjectConfig) -> None:
        self.folder = folder
        self.config = config
        self.store = Store(config.database_url(folder))
        self.accounts = Accounts(self.store)  # who may log in, and the role check of lead-only edits
        # the coders that explain suggestions, rebuilt when the codebook or the model file changes
        self._explainer_key: tuple[str, int] | None = None
        self._explainers: tuple[RuleCoder, CodeModel | None] | None = None
        self._codebook_seen: tuple[int, int, int] | None = None  # codebook.yaml as last found unchanged
        # counts made in the database for the tables, kept while the project's state token stays the same
        self._counts = CountsCache()

    # ----- basics -----------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.config.name

    @property
    def unit(self) -> str:
        return self.config.unit

    @property
    def codebook(self) -> Codebook:
        """The project's codebook as it stands in the database (edits in the app included), after applying
        codebook.yaml if it was edited by hand (CodebookError listing every problem if it cannot be)."""
        self.sync_codebook_file()
        return Codebook(
            name=self.store.get_setting("codebook_name", self.name) or self.name,
            version=self.store.get_setting("codebook_version", "1") or "1",
            description=self.store.get_setting("codebook_description", "") or "",
            codes=self.store.codes(),
            source_path=str(self.folder / self.config.codebook),
        )

    def codebook_version(self) -> str:
        from .codebook import codebook_version

        return codebook_version(self.codebook)

    def counts(self) -> dict[str, int]:
        return self.store.counts()

    def transcript_options(self) -> TranscriptOptions:
        return TranscriptOptions(interviewer_labels=self.config.interviewer_labels)

    # ----- ingest and segment -----------------------------------------------------------------
    def ingest(
        self,
        paths: Sequence[str | Path],
        metadata: str | Path | None = None,
        replace: bool = False,
        encoding: str | None = None,
        progress: Progress | None = None,
        actor: str = "qcode",
        wait: float = 0.0,
    ) -> IngestReport:
        """Add transcripts and attributes (coding.ingest). One ingest run at a time per project: another one
        running is waited for up to `wait` seconds, then a BusyError."""
        options = TranscriptOptions(interviewer_labels=self.config.interviewer_labels, encoding=encoding)
        with self.store.step_lock("ingest", wait):
            return ingest(
                self.store,
                paths,
                metadata=metadata,
                options=options,
                segmenter=self._segment,
                replace=replace,
                actor=actor,
                progress=progress,
            )

    def _segment(self, documents: Sequence[Document], unit: str, progress: Progress | None = None) -> list[Segment]:
        from .segment import segment_documents

        nlp = self._segment_pipeline(unit)
        # Without the pause, the cyclic collector walks every document, segment and model object again and
        # again while spaCy runs (0.4 s of 7 on 600 transcripts); segmenting leaves no reference cycles.
        # After loading: spaCy's loader switches the collector back on.
        with no_gc_pauses():
            return segment_documents(documents, unit, nlp, progress=progress)

    def _segment_pipeline(self, unit: str) -> Language | None:
        from .nlp import load_pipeline

        return load_pipeline(self.config.pipeline or None, "segment") if unit == "sentence" else None

    def segment(
        self, unit: str | None = None, progress: Progress | None = None, wait: float = 0.0, jobs: int | None = None
    ) -> dict[str, int]:
        """Segment every document not yet segmented in `unit`; make `unit` the project's unit.

        One segment run at a time per project (another is waited for up to `wait` seconds, then a
        BusyError): what is not yet segmented is read under the lock, so nothing is segmented twice.
        Documents are read and cut in batches and only the offsets are kept, so memory stays flat as the
        corpus grows; everything is stored in one transaction at the end. jobs: processes cutting sentences
        (default: the CPUs available; one for small corpora, where starting them does not pay)."""
        from . import span_coding
        from .segment import SentenceWorkers, segment_spans

        unit = unit or self.config.unit
        if unit not in UNITS:
            raise UsageError(f"unknown unit {unit!r}; use one of {', '.join(UNITS)}")
        with self.store.step_lock("segment", wait):
            names = self.store.unsegmented_documents(unit)
            nlp = self._segment_pipeline(unit) if names else None
            spans: list[stored_segments.SegmentSpan] = []
            versions: dict[str, str] = {}
            processes = parallel_jobs(jobs, len(names)) if nlp is not None else 1
            workers_or_none = SentenceWorkers(nlp, processes) if nlp is not None else contextlib.nullcontext()

            def documents() -> Iterator[Document]:  # read in batches as the cutting asks for them
                for first in range(0, len(names), DOCUMENTS_PER_BATCH):
                    for document in self.documents(names[first : first + DOCUMENTS_PER_BATCH]):
                        versions[document.name] = document.sha256
                        yield document

            with no_gc_pauses(), workers_or_none as workers:  # no_gc_pauses: see _segment
                cut = segment_spans(documents(), unit, nlp, progress=progress, workers=workers) if names else ()
                spans.extend(stored_segments.SegmentSpan(d.name, t.index, i, a, b) for d, t, i, a, b in cut)
            try:
                with self.store.transaction(write=True) as session:
                    added = stored_segments.add_segment_spans(session, spans, unit, versions)
                    span_coding.derive_named(session, list(versions), unit)  # spans code the new units too
                    write_log(session, "qcode", Action.SEGMENT, unit, documents=len(versions), segments=added)
            except IntegrityError:  # the lock and the version check make this unlikely; never a traceback
                raise BusyError(
                    "another run stored segments of these documents meanwhile; nothing was stored by this one: "
                    "run 'qcode segment' again"
                ) from None
        if unit != self.config.unit:
            self.config = self.config.with_unit(unit)
            write_config(self.folder, self.config)
        elsewhere = {u: n for u, n in self.store.coding_counts_by_unit().items() if u != unit}
        return {
            "documents": len(versions),
            "segments": added,
            **{f"codings_on_{u}": n for u, n in elsewhere.items()},
        }

    def documents(self, names: Sequence[str] | None = None) -> list[Document]:
        """Active documents rebuilt from the database: text and turns (with their paragraphs), no attributes."""
        found = self.store.documents(names)
        return [dataclasses.replace(d, turns=[_with_paragraphs(turn, d.text) for turn in d.turns]) for d in found]

    def remove_document(self, name: str, actor: str = "qcode") -> dict[str, int]:
        """Take a document out of the project: out of every count, table and export, and of later segment,
        autocode and train runs, so that one bad file cannot block a project. Its text, segments, codings and
        memos stay with it and restore_document brings it back as it was; the log records both.

        Re-ingesting the unchanged file leaves it removed; a changed file is added as a new document.
        Returns the codings and memos kept with it."""
        with self.store.step_lock("ingest"):
            return self.store.retrying(lambda: self._set_removed(name, True, actor))

    def restore_document(self, name: str, actor: str = "qcode") -> dict[str, int]:
        """Undo remove_document: the document counts again, with every coding and memo it had."""
        with self.store.step_lock("ingest"):
            return self.store.retrying(lambda: self._set_removed(name, False, actor))

    def removed_documents(self) -> list[str]:
        with self.store.transaction() as session:
            return sorted(stored_documents.removed_documents(session))

    def _set_removed(self, name: str, remove: bool, actor: str) -> dict[str, int]:
        with self.store.transaction(write=True) as session:
            current = stored_documents.active_document(session, name)
            removed = stored_documents.removed_document(session, name)
            if remove and current is None:
                known = " (it is removed already; 'qcode restore' brings it back)" if removed else ""
                raise UsageError(f"no document named {name!r} in the project{known}")
            if not remove and removed is None:
                raise UsageError(f"no removed document named {name!r} to restore")
            if not remove and current is not None:
                raise UsageError(
                    f"document {name!r} was ingested again after it was removed: remove the current one first "
                    "to restore the earlier one"
                )
            row = current if remove else removed
            assert row is not None
            stored_documents.set_removed(session, row.id, utcnow() if remove else None)
            kept = {
                "codings": len(stored_codings.codings_on_document(session, row.id)),
                "memos": len(stored_memos.memos_on_document(session, row.id)),
            }
            action = Action.REMOVE_DOCUMENT if remove else Action.RESTORE_DOCUMENT
            write_log(session, actor, action, name, document_id=row.id, codings=kept["codings"], memos=kept["memos"])
        return kept

    def segments(self, documents: Sequence[str] | None = None) -> list[Segment]:
        return self.store.segments(self.unit, documents)

    def segments_frame(self) -> pd.DataFrame:
        frame = self.store.segments_frame(self.unit)
        return frame[frame["role"] == RESPONDENT].reset_index(drop=True)

    def respondents(self) -> pd.DataFrame:
        return self.store.respondents_frame()

    def _require_segments(self) -> None:
        if not self.store.segment_units().get(self.unit):
            if not len(self.store.documents_frame()):
                raise UsageError("the project has no documents yet: run 'qcode ingest FOLDER' first")
            self.segment()

    # ----- codings ----------------------------------------------------------------------------
    def codings(
        self,
        source: str = "all",
        coders: Sequence[str] | None = None,
        include_rejected: bool = False,
        segment_ids: Sequence[int] | None = None,
    ) -> pd.DataFrame:
        """Codings on the project's unit: segment_id, code, coder, source, source_name, confidence, status.

        segment_ids: only the codings on these segments (to refresh a few after an edit)."""
        frame = self.store.codings_frame(self.unit, segment_ids)
        return filter_codings(frame, source, coders, include_rejected)

    def decisions(self, segment_ids: Sequence[int] | None = None) -> pd.DataFrame:
        """Every coding on the project's unit with whose it is, in few columns (fast on large projects):
        coding_id, segment_id, code, source, status, person (the coder of a person's own code; whoever
        accepted or rejected a suggestion; empty while a suggestion waits)."""
        return self.store.decisions_frame(self.unit, segment_ids)

    def coders(self) -> list[str]:
        """People who made or decided codings (suggesters are not coders)."""
        return self.store.people()

    def import_codings(self, path: str | Path, coder: str) -> dict[str, int]:
        """Codings from a CSV (the contract's format): every row is checked before anything is written."""
        if self.counts()["documents"] == 0:
            raise UsageError("the project has no documents yet: run 'qcode ingest FOLDER' first")
        path = Path(path)
        rows = codings_io.read_codings_csv(path, self.store.document_texts(), set(self.codebook.by_id()), coder)
        self._require_segments()  # only once the file is known to be good: a refused import changes nothing
        return codings_io.import_codings(self.store, path, rows, self.unit, coder)

    def long_codings(self) -> pd.DataFrame:
        """One row per coding (all sources and statuses) with segment text and respondent attributes."""
        return codings_io.long_codings(self.store, self.unit, self.codebook, self.respondents())

    def coding_matrix(self, source: str = "human", coders: Sequence[str] | None = None) -> pd.DataFrame:
        """One row per segment, one 0/1 column per code (direct codings by any of the chosen coders)."""
        return codings_io.coding_matrix(self.segments_frame(), self.codings(source, coders), self.codebook)

    def export_codings(self, path: str | Path, bom: bool = False) -> int:
        """The long export (every coding, all sources and statuses), with a provenance sidecar. A CSV is
        written a few hundred documents at a time (memory stays flat); an XLSX is built whole."""
        if Path(path).suffix.lower() == ".csv":
            pieces = codings_io.long_coding_pieces(self.store, self.unit, self.codebook, self.respondents())
            return write_csv_pieces(pieces, Path(path), bom=bom, header=self.provenance("all", None))
        frame = self.long_codings()
        write_table(frame, Path(path), bom=bom, header=self.provenance("all", None))
        return len(frame)

    def export_matrix(
        self, path: str | Path, source: str = "human", coders: Sequence[str] | None = None, bom: bool = False
    ) -> int:
        """The 0/1 matrix of `source` codings by `coders`, with a provenance sidecar."""
        frame = self.coding_matrix(source, coders)
        write_table(frame, Path(path), bom=bom, header=self.provenance(source, coders))
        return len(frame)

    def apply_code(self, segment_id: int, code_id: str, coder: str) -> None:
        """A person puts a code on a segment (no-op if they already did, from another tab too)."""
        self._known_code(code_id)
        self.store.retrying(lambda: self._apply_code(segment_id, code_id, coder))

    def _apply_code(self, segment_id: int, code_id: str, coder: str) -> None:
        from . import span_coding

        with self.store.transaction(write=True) as session:
            _current_segment(session, segment_id)
            existing = stored_codings.find_coding(session, segment_id, code_id, coder, lock=True)
            if existing is not None and existing.status == ACCEPTED:
                return
            rec = Recorder(session)
            span_id = span_coding.code_unit(session, rec, segment_id, code_id, coder)
            write_log(
                session,
                coder,
                Action.APPLY_CODE,
                segment_id=segment_id,
                code_id=code_id,
                code=code_id,
                span_id=span_id,
                changes=rec.changes(),
            )

    def remove_code(self, segment_id: int, code_id: str, coder: str) -> None:
        """A person takes their own code off a segment; the log keeps that it was there.

        Spans: the coder's spans of the code that cover the segment are trimmed around it (the parts before
        and after it stay, with the other units they touch); a span inside the segment goes. Undoable."""
        self.store.retrying(lambda: self._remove_code(segment_id, code_id, coder))

    def _remove_code(self, segment_id: int, code_id: str, coder: str) -> None:
        from . import span_coding

        with self.store.transaction(write=True) as session:
            _current_segment(session, segment_id)
            existing = stored_codings.find_coding(session, segment_id, code_id, coder, lock=True)
            if existing is None or existing.status == REJECTED:
                return
            rec = Recorder(session)
            rec.watch("codings", [existing.id])
            touched = span_coding.trim_around(session, rec, segment_id, code_id, coder)
            row = stored_codings.find_coding(session, segment_id, code_id, coder)
            if row is not None and row.status != REJECTED:  # a row no span stood behind
                if row.source == HUMAN:
                    stored_codings.delete_coding(session, row)
                else:  # their decision on a suggestion: it now says no
                    stored_codings.decide(session, row, REJECTED, coder)
            write_log(
                session,
                coder,
                Action.REMOVE_CODE,
                segment_id=segment_id,
                code_id=code_id,
                code=code_id,
                segments=sorted({segment_id, *touched}),
                changes=rec.changes(),
            )

    def decide_suggestion(self, coding_id: int, accept: bool, coder: str) -> None:
        """Accept or reject a rule or model suggestion for oneself; the decision survives later autocoding.

        The decision is the coder's own row: the suggestion stays pending for everyone else, so coders
        working blind each decide it, and nobody's decision replaces another's."""
        self.store.retrying(lambda: self._decide_suggestion(coding_id, accept, coder))

    def _decide_suggestion(self, coding_id: int, accept: bool, coder: str) -> None:
        from . import span_coding

        status = ACCEPTED if accept else REJECTED
        with self.store.transaction(write=True) as session:
            row = stored_codings.coding_row(session, coding_id)
            if row is None:
                raise UsageError(f"no coding with id {coding_id}")
            _current_segment(session, row.segment_id)
            if row.source == HUMAN:
                raise UsageError("only suggestions can be accepted or rejected; remove a person's code instead")
            if row.coder != row.source_name and row.coder != coder:
                raise UsageError(f"coding {coding_id} is {row.coder}'s decision; decide the suggestion itself")
            own = stored_codings.find_coding(session, row.segment_id, row.code_id, coder, lock=True)
            if own is not None and own.source == HUMAN and not accept:
                raise UsageError("you applied this code to the segment yourself; remove it instead of rejecting")
            previous = own.status if own is not None else SUGGESTED
            rec = Recorder(session)
            if own is not None:
                rec.watch("codings", [own.id])
            if not accept and previous == ACCEPTED:  # their spans of the code stop at the segment
                span_coding.trim_around(session, rec, row.segment_id, row.code_id, coder)
            if own is None:
                stored_codings.add_decision(session, row, coder, status)
                session.flush()  # as in _apply_code: another tab's decision is a unique-key error, retried
                own = stored_codings.find_coding(session, row.segment_id, row.code_id, coder)
                assert own is not None
                rec.created("codings", [own.id])
            else:
                stored_codings.decide(session, own, status, coder)
            if accept and previous != ACCEPTED:  # an accepted suggestion is a span of the unit's bounds
                span_coding.span_of_unit(session, rec, row.segment_id, row.code_id, coder)
            write_log(
                session,
                coder,
                Action.ACCEPT if accept else Action.REJECT,
                coding_id=coding_id,
                segment_id=row.segment_id,
                code_id=row.code_id,
                previous=previous,
                changes=rec.changes(),
            )

    def set_memo(self, segment_id: int, text: str, coder: str) -> None:
        self.store.retrying(lambda: self._set_memo(segment_id, text, coder))

    def _set_memo(self, segment_id: int, text: str, coder: str) -> None:
        with self.store.transaction(write=True) as session:
            _current_segment(session, segment_id)
            rec = Recorder(session)
            rec.watch("memos", memo_ids(session, segment_id, coder))
            previous = stored_memos.upsert_memo(session, segment_id, coder, text)
            session.flush()
            rec.created("memos", memo_ids(session, segment_id, coder))
            write_log(
                session, coder, Action.MEMO, segment_id=segment_id, previous=previous, text=text, changes=rec.changes()
            )

    def memos(self) -> pd.DataFrame:
        return self.store.memos_frame()

    # ----- span codings (coding/span_coding.py) ------------------------------------------------
    @_retried
    def apply_span(self, document: str, start: int, end: int, code_id: str, coder: str) -> int:
        """A person codes the exact range [start, end) of `document` (code points into its text, as segment
        offsets) with `code_id`; returns the span id. Nothing is snapped (the dashboard snaps to words).

        The code goes on every coding unit of the project's unit that the span touches (a row there already
        is reused), which is what crosstabs, agreement and exports count. Refused (UsageError) for an empty
        or out-of-range span, an unknown code or document; ReplacedDocumentError for a replaced one.
        Logged as apply_span: undo(coder) takes it back."""
        from . import span_coding

        self._known_code(code_id)
        with self.store.transaction(write=True) as session:
            row = span_coding.document_for_edit(session, document)
            span_coding.check_range(document, row.text, start, end)
            rec = Recorder(session)
            span_id, touched = span_coding.add_span(session, rec, row, start, end, code_id, coder, self.unit)
            changes = rec.changes()
            if not changes:  # the coder's same span again (another tab, a double click): nothing to log
                return span_id
            write_log(
                session,
                coder,
                Action.APPLY_SPAN,
                f"span {span_id}",
                segment_id=touched[0] if touched else None,
                code_id=code_id,
                document=document,
                start=start,
                end=end,
                span_id=span_id,
                segments=touched,
                changes=changes,
            )
        return span_id

    @_retried
    def remove_span(self, span_id: int, coder: str) -> None:
        """A person removes their own span (another's is refused); unit rows that no other span of theirs
        with the same code touches are taken off (a decision on a suggestion becomes a rejection).
        Logged as remove_span: undo(coder) puts it back."""
        from . import span_coding

        with self.store.transaction(write=True) as session:
            rec = Recorder(session)
            span, name, changed = span_coding.remove_span(session, rec, span_id, coder)
            write_log(
                session,
                coder,
                Action.REMOVE_SPAN,
                f"span {span_id}",
                segment_id=changed[0] if changed else None,
                code_id=span.code_id,
                document=name,
                start=span.start,
                end=span.end,
                span_id=span_id,
                segments=changed,
                changes=rec.changes(),
            )

    def spans(self, document: str | None = None, coders: Sequence[str] | None = None) -> pd.DataFrame:
        """Span codings on current documents (of `document`, by `coders`, if given), in text order:
        id, document, start, end, code_id, code_name, coder, text, created_at."""
        frame = self.store.spans_frame(document, coders)
        names = {code.id: code.name for code in self.store.codes()}
        texts = self.store.document_texts(frame["document"].unique().tolist()) if len(frame) else {}
        frame = frame.assign(
            code_name=frame["code_id"].map(names),
            text=[
                texts[d][int(a) : int(b)]
                for d, a, b in zip(frame["document"], frame["start"], frame["end"], strict=True)
            ],
        )
        columns = ["id", "document", "start", "end", "code_id", "code_name", "coder", "text", "created_at"]
        return frame[columns].reset_index(drop=True)

    @_retried
    def code_hits(self, hits: pd.DataFrame, actor: str | None = None) -> list[int]:
        """Code many ranges at once (search hits): `hits` has document, start, end, code_id and coder (one
        coder). All are checked first and stored in one transaction, logged as one code_hits entry, so
        undo(coder) takes the whole batch back in one step. Returns the span ids in the order of `hits`."""
        from . import span_coding

        missing = [c for c in ("document", "start", "end", "code_id", "coder") if c not in hits.columns]
        if missing:
            raise UsageError(f"hits need the column(s) {', '.join(missing)}")
        coders = sorted(set(hits["coder"].astype(str)))
        if len(coders) > 1:
            raise UsageError(f"hits of one coder at a time, not of {', '.join(coders)}")
        if not len(hits):
            return []
        coder = coders[0]
        for code_id in sorted(set(hits["code_id"].astype(str))):
            self._known_code(code_id)
        ids: list[int] = []
        touched: set[int] = set()
        with self.store.transaction(write=True) as session:
            rec = Recorder(session)
            documents = {}
            for name in sorted(set(hits["document"].astype(str))):
                documents[name] = span_coding.document_for_edit(session, name)
            columns = (hits["document"].astype(str), hits["start"], hits["end"], hits["code_id"].astype(str))
            rows = list(zip(*columns, strict=True))
            for name, start, end, _ in rows:
                span_coding.check_range(name, documents[name].text, int(start), int(end))
            for name, start, end, code_id in rows:
                span_id, units = span_coding.add_span(
                    session, rec, documents[name], int(start), int(end), code_id, coder, self.unit
                )
                ids.append(span_id)
                touched.update(units)
            changes = rec.changes()
            if not changes:  # every hit coded so already
                return ids
            write_log(
                session,
                actor or coder,
                Action.CODE_HITS,
                f"{len(ids)} spans",
                segment_id=min(touched) if touched else None,
                code_id=rows[0][3] if len({r[3] for r in rows}) == 1 else None,
                spans=ids,
                segments=sorted(touched),
                changes=changes,
            )
        return ids

    # ----- undo, redo, history (coding/undo.py) ---------------------------------------------------
    def undo(self, person: str) -> str | None:
        """Take back `person`'s last action not yet undone (apply or remove a code or span, search hits coded
        at once, accept, reject, memo, codebook edits); returns a one-line description of what was undone,
        None when there is nothing to undo. Refused (UsageError) when someone else has changed the same
        codings, spans, memo or code since: undo never overwrites another person's work."""
        from . import undo

        return self._taking_back(lambda: undo.undo(self.store, person, self._may_edit_codebook(person)))

    def redo(self, person: str) -> str | None:
        """Do again what `person` last undid (None when there is nothing to redo; any new action of theirs
        clears what could be redone)."""
        from . import undo

        return self._taking_back(lambda: undo.redo(self.store, person, self._may_edit_codebook(person)))

    def _may_edit_codebook(self, person: str) -> bool:
        try:
            self.accounts.require_lead(person, "edit the codebook")
        except PermissionDeniedError:
            return False
        return True

    def _taking_back(self, step: Callable[[], str | None]) -> str | None:
        # An undo or redo of a codebook edit changes the codes in the database: codebook.yaml follows (a hand
        # edit of it applied first, so the file never overwrites the undo nor the undo the file).
        self.sync_codebook_file()
        codes = self.store.codes()
        done = self.store.retrying(step)
        if done is not None and self.store.codes() != codes:
            self._write_codebook_file()
        return done

    def history(self, segment_id: int) -> pd.DataFrame:
        """Who did what when to one segment's codings and memos, oldest first: at, actor, action, code,
        description (for the history panel)."""
        from . import undo

        return undo.history(self.store, segment_id)

    # ----- autocoding -------------------------------------------------------------------------
    def autocode(
        self,
        rules: bool = True,
        model: bool = False,
        min_confidence: float = 0.0,
        progress: Progress | None = None,
        wait: float = 0.0,
        jobs: int | None = None,
    ) -> dict[str, dict[str, int]]:
        """Store suggestions from the codebook's rules and/or the trained model (one run at a time: another
        is waited for up to `wait` seconds, then a BusyError). jobs: processes matching rules (default: the
        CPUs available, one for small corpora)."""
        with self.store.step_lock("autocode", wait):
            return self._autocode(rules, model, min_confidence, progress, jobs)

    def _autocode(
        self, rules: bool, model: bool, min_confidence: float, progress: Progress | None, jobs: int | None = None
    ) -> dict[str, dict[str, int]]:
        from .autocode import run_autocode

        self._require_segments()
        names = sorted(self.store.documents_frame()["document"].tolist())
        codebook, pipeline = self.codebook, self._pipeline()
        suggest_by_model = None
        if model:  # the model is loaded (or found missing) before anything is proposed or stored
            from functools import partial

            from . import training

            fitted, coded = self._model(), self._human_segments()
            suggest_by_model = partial(
                training.suggest, self.store, fitted, coded=coded, codebook=codebook, pipeline=pipeline, rules_run=rules
            )
        batches = (  # one batch's texts at a time: memory stays flat as the corpus grows
            [s for s in self.segments(names[first : first + DOCUMENTS_PER_BATCH]) if s.role == RESPONDENT]
            for first in range(0, len(names), DOCUMENTS_PER_BATCH)
        )
        return run_autocode(
            self.store,
            batches,
            codebook,
            pipeline=pipeline,
            rules=rules,
            model=suggest_by_model,
            min_confidence=min_confidence,
            progress=progress,
            jobs=parallel_jobs(jobs, len(names)),
        )

    # ----- learned model ----------------------------------------------------------------------
    def has_model(self) -> bool:
        from . import training

        return training.model_path(self.folder).exists()

    def can_train(self) -> bool:
        return not self.codings("human").empty

    def train(self, coders: Sequence[str] | None = None, wait: float = 0.0) -> pd.DataFrame:
        """Train on human codings (all coders, or `coders`); returns cross-validated figures per code.
        One run at a time writes the model (another is waited for up to `wait` seconds, then a BusyError)."""
        with self.store.step_lock("train", wait):
            return self._train(coders)

    def _train(self, coders: Sequence[str] | None) -> pd.DataFrame:
        from . import training

        self._require_segments()
        codings = self.codings("human", coders)
        segments = [s for s in self.segments() if s.role == RESPONDENT] if not codings.empty else []
        return training.train(
            self.store,
            training.model_path(self.folder),
            codings,
            segments,
            self.codebook,
            self.codebook_version(),
            self._pipeline(),
            coders,
            self.config.embedding_folder(self.folder),
        )

    def code_next(self, k: int = 10) -> pd.DataFrame:
        """Uncoded segments ordered by how much a person's decision would teach the model."""
        from . import training

        fitted = self._model()
        segments = [s for s in self.segments() if s.role == RESPONDENT]
        return training.code_next(
            self.store, fitted, segments, self._human_segments(), self.codebook, self._pipeline(), k
        )

    def suggestion_reasons(self, text: str, codes: Sequence[str]) -> dict[tuple[str, str], str]:
        """Why each of `codes` was suggested for `text`, in a few words, keyed by (source, code): the phrase
        the keyword rules matched, and the words that weighed most in the model (with its calibrated
        confidence). A source that does not suggest a code is left out."""
        from .models import MODEL, RULE

        rule_coder, fitted = self._explaining_coders()
        reasons: dict[tuple[str, str], str] = {}
        matched: dict[str, list[str]] = {}
        for start, end, code in rule_coder.match_spans(text):
            matched.setdefault(code, []).append(text[start:end])
        book = self.codebook
        for code in codes:  # a parent code's rule hit is any hit of a code below it
            below = [c for c in matched if c == code or code in book.ancestors(c)]
            phrases = sorted({p.lower() for c in below for p in matched[c]})
            if phrases:
                reasons[(RULE, code)] = "matched " + ", ".join(f"“{p}”" for p in phrases[:3])
        if fitted is not None:
            hits = {c for c in codes if (RULE, c) in reasons}
            for code in codes:
                found = fitted.explain(text, code, rule_hit=code in hits)
                if found is not None:
                    reasons[(MODEL, code)] = f"{found.confidence:.0%} sure; {found.reason}"
        return reasons

    def model_status(self) -> dict[str, tuple[str, str]]:
        """For every code, what stands behind the model's suggestions ("model", "rules only" or nothing)
        and why, e.g. (rules only, "2 coded examples, 3 needed"); empty without a trained model."""
        _, fitted = self._explaining_coders()
        return dict(fitted.status) if fitted is not None else {}

    def _explaining_coders(self) -> tuple[RuleCoder, CodeModel | None]:
        from . import training
        from .coders.rules import RuleCoder

        path = training.model_path(self.folder)
        key = (self.codebook_version(), path.stat().st_mtime_ns if path.exists() else 0)
        if self._explainers is None or self._explainer_key != key:
            try:
                fitted: CodeModel | None = self._model() if path.exists() else None
            except QcodeError:  # a model trained on an older codebook: its suggestions go unexplained
                fitted = None
            self._explainers = (RuleCoder(self.codebook, self._pipeline()), fitted)
            self._explainer_key = key
        return self._explainers

    def _model(self) -> CodeModel:
        from . import training

        return training.load(training.model_path(self.folder), self.codebook, self.codebook_version())

    def _human_segments(self) -> set[int]:
        """Segments a person has coded (their codes or suggestions they accepted)."""
        return set(self.codings("human")["segment_id"].astype(int))

    def _pipeline(self) -> str | None:
        return self.config.pipeline or None

    # ----- exchange and publication -----------------------------------------------------------
    def export_codebook(self, path: str | Path) -> int:
        """.qdc (REFI-QDA), .yaml/.yml (qcode) or .csv/.xlsx (a table for an appendix)."""
        from . import exchange

        path = Path(path)
        codebook = self.codebook
        if path.suffix.lower() in exchange.CODEBOOK_FILES:
            return exchange.export_codebook(codebook, path)
        write_table(self.codebook_table(), path, header={"project": self.name, "codebook": codebook.name})
        return len(codebook.codes)

    def export_qdpx(self, path: str | Path) -> Path:
        """What people decided, as a REFI-QDA project (pending and rejected suggestions stay behind)."""
        from . import exchange

        qda = exchange.project_to_qda(
            self.store,
            self.name,
            self.codebook,
            self.segments_frame(),
            self.codings("human"),
            self.memos(),
            self.respondents(),
            self.store.spans_frame(),
        )
        return exchange.export_qdpx(qda, Path(path))

    def import_qdpx(self, path: str | Path, actor: str = "qcode") -> ExchangeReport:
        self.accounts.require_lead(actor, "import a project")
        from . import exchange

        report = exchange.import_qdpx(
            self.store, Path(path), self.codebook, self.unit, self.transcript_options(), self._segment, actor
        )
        if report.codes_added:
            self._write_codebook_file()  # new codes: a new codebook version, in the file too
        return report

    def import_qdc(self, path: str | Path, actor: str = "qcode") -> int:
        self.accounts.require_lead(actor, "import codes into the codebook")
        from . import exchange

        added = exchange.import_qdc(self.store, Path(path), self.codebook, actor)
        if added:
            self._write_codebook_file()
        return added

    # ----- intercoder agreement ---------------------------------------------------------------
    def agree(
        self,
        coders: Sequence[str],
        units: str = "documents",
        decisions: pd.DataFrame | None = None,
        segments: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Per-code and pooled agreement between two or more coders (see coding.intercoder). A caller that
        already holds every decision (segment_id, code, coder) and the segments frame may pass them."""
        from . import intercoder

        if decisions is None and segments is None:  # counted in the database: no decision read one by one
            return intercoder.counted_agreement_table(self.store, self.unit, self.codebook, coders, units, self._counts)
        every = intercoder.decisions(self.decisions()) if decisions is None else decisions
        frame = self.segments_frame() if segments is None else segments
        return intercoder.agreement_table(every, frame, self.codebook, coders, units)

    def disagreements(
        self,
        coder_a: str,
        coder_b: str,
        units: str = "documents",
        decisions: pd.DataFrame | None = None,
        segments: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Where two coders differ, with memos, text and any consensus; `decisions` and `segments` as in agree."""
        from . import intercoder

        decided = self.decisions()
        every = intercoder.decisions(decided) if decisions is None else decisions
        frame = self.segments_frame() if segments is None else segments
        table = intercoder.disagreement_list(
            every, frame, self.codebook, decided, self.memos(), coder_a, coder_b, units
        )
        if table.empty:
            return table
        quotes = self.quotes(table["segment_id"].unique().tolist())[["segment_id", "document", "respondent_id", "text"]]
        return table.merge(quotes, on="segment_id", how="left").sort_values(["document", "segment_id", "code"])

    @_retried
    def resolve(self, segment_id: int, code_id: str, applies: bool, actor: str) -> None:
        """Record the agreed decision for one segment and code as coder 'consensus'."""
        self.accounts.require_lead(actor, "resolve disagreements")
        from . import intercoder

        self._known_code(code_id)
        intercoder.resolve(self.store, segment_id, code_id, applies, actor)

    def review_items(
        self,
        coder_a: str,
        coder_b: str,
        units: str = "documents",
        decisions: pd.DataFrame | None = None,
        segments: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """The disagreements as review items: one per segment and top-level code family, parent and child
        collapsed, with the turn and the segment's place in it (coding/review_queue.py)."""
        from . import review_queue

        frame = self.segments_frame() if segments is None else segments
        found = self.disagreements(coder_a, coder_b, units, decisions, frame)
        if found.empty:
            return review_queue.review_items(found, frame, frame, {}, self.codebook, coder_a, coder_b)
        documents = found["document"].unique().tolist()
        return review_queue.review_items(
            found,
            frame[frame["document"].isin(documents)],
            self.store.turns_frame(documents),
            self.store.document_texts(documents),
            self.codebook,
            coder_a,
            coder_b,
        )

    @_retried
    def settle(self, segment_id: int, decisions: Sequence[tuple[str, bool]], actor: str) -> None:
        """Record several consensus decisions on one segment in one transaction (a review item)."""
        self.accounts.require_lead(actor, "resolve disagreements")
        from . import intercoder

        for code_id, _ in decisions:
            self._known_code(code_id)
        intercoder.resolve_all(self.store, segment_id, decisions, actor)

    @_retried
    def seed_consensus(self, coder_a: str, coder_b: str, actor: str) -> int:
        """Copy what both coders agree is present into the consensus coder (disagreements stay open)."""
        self.accounts.require_lead(actor, "resolve disagreements")
        from . import intercoder

        return intercoder.seed_consensus(self.store, intercoder.decisions(self.decisions()), coder_a, coder_b, actor)

    # ----- codebook edits ---------------------------------------------------------------------
    # Each edit is one transaction (codebook_file): a hand edit of codebook.yaml is applied first (or the
    # edit is refused with the file's problems), then the change, a new codebook version, the file
    # rewritten. Every entry logs `before`, the code's whole row before the change (None for a new code),
    # so that an undo can put it back.
    @_retried
    def add_code(self, code: Code, actor: str) -> None:
        self.accounts.require_lead(actor, "edit the codebook")
        from .codebook import CODE_ID
        from .codebook_edit import check_code

        def add(session: Session, book: Codebook) -> None:
            if code.id in book.by_id():
                raise UsageError(f"a code with id {code.id!r} exists already")
            if not CODE_ID.match(code.id):
                raise UsageError(f"bad code id {code.id!r}: use lower-case letters, digits, _ and . between levels")
            before = stored_codebook.code_row(session, code.id)
            if before is not None and before["merged_into"] == stored_codebook.DELETED:
                raise UsageError(f"{code.id!r} is a deleted code: restore it instead of adding it again")
            check_code(book, code)
            rec = Recorder(session)
            stored_codebook.add_code(session, code)
            rec.created("codes", [code.id])
            details: dict[str, Any] = {"name": code.name, "parent": code.parent, "before": before}
            write_log(session, actor, Action.ADD_CODE, code_id=code.id, changes=rec.changes(), **details)

        self._codebook_change(add)

    @_retried
    def update_code(self, code_id: str, actor: str, **fields: Any) -> Code:
        """Change any of a code's name, definition, include, exclude, examples, color (#rrggbb), parent and
        rules (keywords, lemmas, patterns); its id stays. Checked as a whole before anything is stored."""
        self.accounts.require_lead(actor, "edit the codebook")
        from .codebook_edit import EDITABLE, edited

        def update(session: Session, book: Codebook) -> Code:
            code = edited(book, code_id, fields)
            old = book.by_id()[code_id]
            changed = {key: getattr(code, key) for key in EDITABLE if getattr(code, key) != getattr(old, key)}
            if not changed:
                return code
            before = stored_codebook.code_row(session, code_id)
            rec = Recorder(session)
            rec.watch("codes", [code_id])
            stored_codebook.replace_code(session, code)
            shown = {key: asdict(value) if key == "rules" else value for key, value in changed.items()}
            write_log(
                session, actor, Action.UPDATE_CODE, code_id=code_id, before=before, changed=shown, changes=rec.changes()
            )
            return code

        return self._codebook_change(update)

    def rename_code(self, code_id: str, new_name: str, actor: str) -> None:
        """Names change, ids stay: codings and exports keep pointing at the same code."""
        self._field_edit(code_id, "name", new_name.strip(), actor, Action.RENAME_CODE)

    def move_code(self, code_id: str, new_parent: str | None, actor: str) -> None:
        self._field_edit(code_id, "parent", new_parent or None, actor, Action.MOVE_CODE)

    @_retried
    def _field_edit(self, code_id: str, field_name: str, value: str | None, actor: str, action: Action) -> None:
        self.accounts.require_lead(actor, "edit the codebook")
        from .codebook_edit import edited

        def edit(session: Session, book: Codebook) -> None:
            code = edited(book, code_id, {field_name: value})
            old = book.by_id()[code_id]
            before = stored_codebook.code_row(session, code_id)
            rec = Recorder(session)
            rec.watch("codes", [code_id])
            stored_codebook.replace_code(session, code)
            details: dict[str, Any] = {"previous": getattr(old, field_name), field_name: value, "before": before}
            write_log(session, actor, action, code_id=code_id, changes=rec.changes(), **details)

        self._codebook_change(edit)

    @_retried
    def merge_codes(self, source_id: str, target_id: str, actor: str) -> int:
        """Move every coding of `source_id` to `target_id`; the source code is retired, not deleted. Its
        sub-codes move under the target. Returns the codings moved (a coder's coding of the source where
        that coder has the target already is dropped, and kept whole in the log for an undo)."""
        self.accounts.require_lead(actor, "merge codes")

        def merge(session: Session, book: Codebook) -> int:
            codes = book.by_id()
            for code_id in (source_id, target_id):
                if code_id not in codes:
                    raise UsageError(f"unknown code {code_id!r}")
            if source_id == target_id:
                raise UsageError("a code cannot be merged into itself")
            if source_id in book.ancestors(target_id):
                raise UsageError(f"cannot merge {source_id!r} into {target_id!r}, one of its own sub-codes")
            from . import span_coding

            before = stored_codebook.code_row(session, source_id)
            children = [c.id for c in book.codes if c.parent == source_id]
            rec = Recorder(session)  # undo moves every coding and span back and un-retires the code
            rec.watch("codes", [source_id, *children])
            span_coding.watch_code(session, rec, source_id)
            span_coding.watch_code(session, rec, target_id)  # a target row may take a source's decision
            moved, dropped = stored_codebook.move_codings_ids(session, source_id, target_id)
            span_coding.move_spans(session, source_id, target_id)
            for child in children:
                stored_codebook.update_code(session, child, parent_id=target_id)
            stored_codebook.update_code(session, source_id, merged_into=target_id)
            write_log(
                session,
                actor,
                Action.MERGE_CODES,
                code_id=source_id,
                into=target_id,
                before=before,
                codings=moved,
                dropped=dropped,
                children=children,
                changes=rec.changes(),
            )
            return len(moved) + len(dropped)

        return self._codebook_change(merge)

    @_retried
    def delete_code(self, code_id: str, actor: str) -> int:
        """Delete a code that has no sub-codes (move or delete those first: nothing happens to them behind a
        person's back). Its codings are kept, hidden from every count, view and export, and come back with
        restore_code (or an undo). Returns how many codings were hidden."""
        self.accounts.require_lead(actor, "edit the codebook")

        def delete(session: Session, book: Codebook) -> int:
            if code_id not in book.by_id():
                raise UsageError(f"unknown code {code_id!r}")
            children = [c.name for c in book.codes if c.parent == code_id]
            if children:
                raise UsageError(f"code {code_id!r} has sub-codes ({', '.join(children)}): move or delete them first")
            before = stored_codebook.code_row(session, code_id)
            rec = Recorder(session)
            rec.watch("codes", [code_id])
            hidden = stored_codebook.delete_code(session, code_id)
            write_log(
                session,
                actor,
                Action.DELETE_CODE,
                code_id=code_id,
                before=before,
                codings=hidden,
                changes=rec.changes(),
            )
            return len(hidden)

        return self._codebook_change(delete)

    @_retried
    def restore_code(self, code_id: str, actor: str) -> int:
        """Bring back a deleted code with its codings; returns how many codings count again."""
        self.accounts.require_lead(actor, "edit the codebook")
        from .codebook_edit import check_code

        def restore(session: Session, book: Codebook) -> int:
            before = stored_codebook.code_row(session, code_id)
            if before is None or before["merged_into"] != stored_codebook.DELETED:
                raise UsageError(f"{code_id!r} is not a deleted code")
            code = next(c for c in stored_codebook.deleted_codes(session) if c.id == code_id)
            check_code(book, code)  # its parent must still be there, its name still free
            rec = Recorder(session)
            rec.watch("codes", [code_id])
            stored_codebook.update_code(session, code_id, merged_into=None)
            write_log(
                session,
                actor,
                Action.ADD_CODE,
                code_id=code_id,
                name=code.name,
                before=before,
                restored=True,
                changes=rec.changes(),
            )
            return len(stored_codebook.coding_ids(session, code_id))

        return self._codebook_change(restore)

    def deleted_codes(self) -> list[Code]:
        """Codes deleted with their codings kept (restore_code brings one back)."""
        with self.store.transaction() as session:
            return stored_codebook.deleted_codes(session)

    def code_codings(self, code_id: str) -> int:
        """How many codings (every coder, source and status) a code has: what a delete or merge affects."""
        with self.store.transaction() as session:
            return len(stored_codebook.coding_ids(session, code_id))

    def _known_code(self, code_id: str) -> Code:
        self.sync_codebook_file()  # a stat when the file is unchanged
        code = next((c for c in self.store.codes() if c.id == code_id), None)  # one read: every edit asks
        if code is None:
            raise UsageError(f"unknown code {code_id!r}")
        return code

    def sync_codebook_file(self) -> CodebookChanges | None:
        """Apply codebook.yaml if it was edited by hand since qcode last wrote or applied it (what changed,
        logged and with a new version), or raise CodebookError listing every problem, the project unchanged.

        Cheap when the file is as it was: the codebook property calls this before every use."""
        from . import codebook_file

        path = self.folder / self.config.codebook
        stamp = _file_stamp(path)
        if stamp is not None and stamp == self._codebook_seen:
            return None
        content = codebook_file.read_bytes(path)
        with self.store.transaction() as session:
            known = content is not None and codebook_file.digest(content) == codebook_file.stored_hash(session)
        found = None if known else self._codebook_change(None)
        self._codebook_seen = _file_stamp(path)
        return found

    def _codebook_change(self, work: Callable[[Session, Codebook], R] | None, changed: bool = False) -> R:
        """One codebook change in one transaction: a hand edit of the file applied first (or refused), then
        `work` on the database's codebook and, if that changed it (or `changed`: it was changed before), a new
        version and the file rewritten. Without `work`: only the hand edit (returns what it changed). A
        failure leaves the database and the file as they were."""
        from . import codebook_file

        path = self.folder / self.config.codebook
        before = codebook_file.read_bytes(path)
        self._codebook_seen = None
        try:
            with self.store.transaction(write=True) as session:
                codebook_file.lock(session)
                found = codebook_file.apply_file(session, self.name, path)
                if work is None:
                    return found  # type: ignore[return-value]
                book = codebook_file.stored(session, self.name, path)
                result = work(session, book)
                if changed or codebook_file.stored(session, self.name, path) != book:  # no-op edits make none
                    codebook_file.bump(session)
                    codebook_file.write_file(session, self.name, path)
        except BaseException:
            codebook_file.restore(path, before)
            raise
        return result

    def _write_codebook_file(self) -> None:
        """After a codebook change made in the database by other means (an undo, an import): a new version,
        and the file rewritten (a hand edit of it applied first)."""
        self._codebook_change(lambda session, book: None, changed=True)

    def state_token(self) -> StateToken:
        """Changes whenever codings, codes, memos, documents or the log change: a cache key for the app.

        It holds the newest audit-log id and the number of log entries, which edited_segments() counts from.
        A hand edit of codebook.yaml is applied first (it changes the token), so every page sees it."""
        self.sync_codebook_file()
        return self.store.state_token()

    def edited_segments(self, after: StateToken, upto: StateToken) -> set[int] | None:
        """Segments edited one at a time (codes applied or removed, suggestions decided, memos, consensus)
        between two state tokens; None if anything else changed in between, so that a reader reloads all."""
        if upto.newest_log_id < after.newest_log_id or upto.log_entries < after.log_entries:
            return None
        return self.store.edited_segments(
            after.newest_log_id, upto.newest_log_id, entries=upto.log_entries - after.log_entries
        )


def _current_segment(session: Session, segment_id: int) -> str:
    """The document of a segment about to be coded; refused if the segment is on a version no longer current
    (replaced or removed), where a coding would be stored but counted and exported nowhere."""
    found = stored_segments.segment_version(session, segment_id)
    if found is None:
        raise UsageError(f"no segment with id {segment_id}")
    name, current = found
    if not current:
        raise ReplacedDocumentError(
            f"segment {segment_id} is on a version of document {name!r} that is no longer current (replaced by a "
            "new version or removed): nothing was stored; reload the document and code its current version"
        )
    return name


def _file_stamp(path: Path) -> tuple[int, int, int] | None:
    """Modification time, size and inode: a file with the same stamp was not changed since."""
    try:
        found = path.stat()
    except FileNotFoundError:
        return None
    return (found.st_mtime_ns, found.st_size, found.st_ino)


def _with_paragraphs(turn: Turn, text: str) -> Turn:
    """Recover a stored turn's paragraph spans from the text (blank lines separate them)."""
    return make_turn(text, turn.index, turn.speaker, turn.role, turn.start, turn.end)
