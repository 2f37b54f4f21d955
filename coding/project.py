"""The facade: open or create a project and run each step. The CLI and the app call only this.

Layers: this facade reads the project's settings and data and calls the steps (ingest, autocode, training,
codings_io, exchange, intercoder, publication) with the store and plain data; the steps call the store
(coding/store); nothing below calls the facade back.

Project is composed of parts with one job each (see project_core.py for the list): ProjectCore holds the
settings, store, codebook and plain reads every part uses; the parts add coding edits, codebook edits,
undo and history, the model, files in and out, removing documents and the read side. This module opens and
creates projects and keeps the pipeline steps: ingest, segment, autocode and agreement.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from .auth import Accounts
from .config import ProjectConfig, read_config, write_config
from .errors import BusyError, ProjectError, UsageError
from .ingest import IngestReport, ingest
from .models import RESPONDENT, UNITS, Document, Segment
from .project_analysis import ProjectAnalysis
from .project_codebook import ProjectCodebook
from .project_coding import ProjectCoding
from .project_core import Progress, retried
from .project_documents import ProjectDocuments
from .project_exchange import ProjectExchange
from .project_history import ProjectHistory
from .project_model import ProjectModel
from .resources import default_codebook
from .selection import SOURCE_FILTERS, filter_codings, owners
from .store import SEGMENT_COLUMNS, Action, StateToken, Store
from .store import codebook as stored_codebook
from .store import segments as stored_segments
from .store import settings as stored_settings
from .store.aggregate import CountsCache
from .store.database import engine_for, migrate
from .store.frames import no_gc_pauses
from .store.kept_files import KeptFiles
from .store.log import write_log
from .transcripts import TranscriptOptions

if TYPE_CHECKING:  # the heavy parts (spaCy, scikit-learn) load when a step needs them
    import pandas as pd
    from spacy.language import Language

    from .coders.model import CodeModel
    from .coders.rules import RuleCoder

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


# Documents read from the database at a time by Project.segment (as the sentence cutting asks for them) and autocode.
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


class Project(
    ProjectCoding, ProjectCodebook, ProjectHistory, ProjectModel, ProjectExchange, ProjectDocuments, ProjectAnalysis
):
    """A qcode project: its folder, settings and database, with every step and edit the adapters call."""

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
        self._counts = CountsCache(KeptFiles(folder / ".qcode" / "counts", self.store.url))

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
        corpus grows; everything is stored in one transaction (_store_segments). jobs: processes cutting
        sentences (default: the CPUs available; one for small corpora, where starting them does not pay)."""
        from .segment import SentenceWorkers, segment_spans

        unit = unit or self.config.unit
        if unit not in UNITS:
            raise UsageError(f"unknown unit {unit!r}; use one of {', '.join(UNITS)}")
        with self.store.step_lock("segment", wait):
            names = self.store.unsegmented_documents(unit)
            nlp = self._segment_pipeline(unit) if names else None
            versions: dict[str, str] = {}
            processes = parallel_jobs(jobs, len(names)) if nlp is not None else 1
            workers_or_none = SentenceWorkers(nlp, processes) if nlp is not None else contextlib.nullcontext()

            def documents() -> Iterator[Document]:  # read in batches as the cutting asks for them
                for first in range(0, len(names), DOCUMENTS_PER_BATCH):
                    for document in self.documents(names[first : first + DOCUMENTS_PER_BATCH]):
                        versions[document.name] = document.sha256
                        yield document

            # SQLite has one write lock for the whole database: everything is cut first (kept compact) and
            # stored at the end. PostgreSQL locks rows: pieces are stored while the workers go on cutting, its
            # COPY mostly waiting for the server's foreign-key checks (20 s at 10,000 transcripts at the end).
            while_cut = self.store.engine.dialect.name != "sqlite"
            kept = stored_segments.CompactSpans()
            try:
                with no_gc_pauses(), workers_or_none as workers:  # no_gc_pauses: see _segment
                    cut = segment_spans(documents(), unit, nlp, progress=progress, workers=workers) if names else ()
                    spans = (stored_segments.SegmentSpan(d.name, t.index, i, a, b) for d, t, i, a, b in cut)
                    if while_cut:
                        added = self._store_segments(spans, unit, versions, while_cut=True)
                    else:
                        for span in spans:
                            kept.append(span)
                if not while_cut:
                    with no_gc_pauses():  # hundreds of thousands of row tuples: see no_gc_pauses
                        added = self._store_segments(kept, unit, versions, while_cut=False)
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

    def _store_segments(
        self, spans: Iterable[stored_segments.SegmentSpan], unit: str, versions: dict[str, str], while_cut: bool
    ) -> int:
        """Store the spans (while_cut: still being cut, stored in pieces as they come; else all cut, kept
        compact, stored at once), the units' span codings and the log entry, in one transaction."""
        from . import span_coding

        with self.store.transaction(write=True) as session:
            if while_cut:
                added = stored_segments.store_while_cut(session, spans, unit, versions)
            else:
                assert isinstance(spans, Sequence)  # all cut, kept compact
                added = stored_segments.add_segment_spans(session, spans, unit, versions)
            span_coding.derive_named(session, list(versions), unit)  # spans code the new units too
            write_log(session, "qcode", Action.SEGMENT, unit, documents=len(versions), segments=added)
        return added

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
        every, frame = self._agreement_inputs(decisions, segments)
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

        decided = self.decisions()  # whose each decision is, for the list's columns
        every, frame = self._agreement_inputs(decisions, segments, decided)
        table = intercoder.disagreement_list(
            every, frame, self.codebook, decided, self.memos(), coder_a, coder_b, units
        )
        if table.empty:
            return table
        quotes = self.quotes(table["segment_id"].unique().tolist())[["segment_id", "document", "respondent_id", "text"]]
        return table.merge(quotes, on="segment_id", how="left").sort_values(["document", "segment_id", "code"])

    def _agreement_inputs(
        self, decisions: pd.DataFrame | None, segments: pd.DataFrame | None, decided: pd.DataFrame | None = None
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """What agreement is counted from: every decision (segment_id, code, coder) and the segments frame,
        each read unless the caller passed it (`decided`: the project's decisions, when already read)."""
        from . import intercoder

        if decisions is None:
            decisions = intercoder.decisions(self.decisions() if decided is None else decided)
        return decisions, self.segments_frame() if segments is None else segments

    @retried
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

    @retried
    def settle(self, segment_id: int, decisions: Sequence[tuple[str, bool]], actor: str) -> None:
        """Record several consensus decisions on one segment in one transaction (a review item)."""
        self.accounts.require_lead(actor, "resolve disagreements")
        from . import intercoder

        for code_id, _ in decisions:
            self._known_code(code_id)
        intercoder.resolve_all(self.store, segment_id, decisions, actor)

    @retried
    def seed_consensus(self, coder_a: str, coder_b: str, actor: str) -> int:
        """Copy what both coders agree is present into the consensus coder (disagreements stay open)."""
        self.accounts.require_lead(actor, "resolve disagreements")
        from . import intercoder

        return intercoder.seed_consensus(self.store, intercoder.decisions(self.decisions()), coder_a, coder_b, actor)
