"""What every part of the facade shares: the project's settings, store and codebook, and its plain reads.

Project (coding/project.py) is composed of parts with one job each, all built on ProjectCore:
project_coding (a person's coding edits and spans), project_codebook (codebook edits), project_history (undo,
redo, history), project_model (the learned model), project_exchange (codings and codebooks in and out of
files), project_documents (taking a document out and back) and project_analysis (the read side). project.py
opens and creates projects, runs the pipeline steps (ingest, segment, autocode, agreement) and composes them.

This part keeps the codebook in step with codebook.yaml (a hand edit applied before use, the file rewritten
after an edit in the edit's transaction) because every part reads the codebook through it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from .errors import UsageError
from .models import RESPONDENT, Code, Codebook, Document, Segment, Turn
from .selection import filter_codings
from .store import StateToken, Store
from .transcripts import TranscriptOptions, make_turn

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.orm import Session

    from .auth import Accounts
    from .codebook_edit import CodebookChanges
    from .config import ProjectConfig
    from .store.aggregate import CountsCache

Progress = Callable[[int], None]
P = ParamSpec("P")
R = TypeVar("R")
Part = TypeVar("Part", bound="ProjectCore")


def retried(method: Callable[Concatenate[Part, P], R]) -> Callable[Concatenate[Part, P], R]:
    """A facade edit run again while the database is busy or another tab took the same row first
    (store.retrying): its checks are made again too, so the second try sees what the first could not."""

    @functools.wraps(method)
    def wrapper(self: Part, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.store.retrying(lambda: method(self, *args, **kwargs))

    return wrapper


class ProjectCore:
    """Set up by Project.__init__ (coding/project.py); the attributes are declared here for the type checker."""

    folder: Path
    config: ProjectConfig
    store: Store
    accounts: Accounts
    _codebook_seen: tuple[int, int, int] | None
    _counts: CountsCache

    if TYPE_CHECKING:  # Project's own (coding/project.py): the reads below segment a project not yet segmented

        def segment(
            self,
            unit: str | None = None,
            progress: Progress | None = None,
            wait: float = 0.0,
            jobs: int | None = None,
        ) -> dict[str, int]: ...

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
        """Respondents, current documents, their segments and the codings on those (not rejected); kept while
        nothing changes, on disk too (counting 4 million codings takes seconds)."""
        from .store import documents as stored_documents
        from .store.aggregate import NAMED_COUNTS

        with self.store.transaction() as session:
            counted: dict[str, int] = self._counts.kept(
                session, ("counts",), lambda: stored_documents.counts(session), NAMED_COUNTS
            )
        return dict(counted)  # a copy: no caller changes the kept one

    def transcript_options(self) -> TranscriptOptions:
        return TranscriptOptions(interviewer_labels=self.config.interviewer_labels)

    def documents(self, names: Sequence[str] | None = None) -> list[Document]:
        """Active documents rebuilt from the database: text and turns (with their paragraphs), no attributes."""
        found = self.store.documents(names)
        return [dataclasses.replace(d, turns=[_with_paragraphs(turn, d.text) for turn in d.turns]) for d in found]

    def segments(self, documents: Sequence[str] | None = None) -> list[Segment]:
        return self.store.segments(self.unit, documents)

    def segments_frame(self) -> pd.DataFrame:
        frame = self.store.segments_frame(self.unit)
        return frame[frame["role"] == RESPONDENT].reset_index(drop=True)

    def respondents(self) -> pd.DataFrame:
        """Respondents with their attributes; kept while nothing changes (10,000 of them take about 0.5 s to
        read, half of a warm crosstab), a copy each time so that no caller changes the kept one."""
        from .store import documents as stored_documents
        from .store.aggregate import TEXT_FRAME

        with self.store.transaction() as session:
            kept = self._counts.kept(
                session, ("respondents",), lambda: stored_documents.respondents_frame(session), TEXT_FRAME
            )
        return kept.copy()

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
        """People who made or decided codings (suggesters are not coders); kept as counts() is."""
        from .store import codings as stored_codings
        from .store.aggregate import NAMES

        with self.store.transaction() as session:
            people: list[str] = self._counts.kept(session, ("people",), lambda: stored_codings.people(session), NAMES)
        return list(people)

    def memos(self) -> pd.DataFrame:
        return self.store.memos_frame()

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
        return self._kept_state_token()

    def _kept_state_token(self) -> StateToken:
        """log.state_token, counted again only when the kept counts' key (aggregate.kept_token) moved, and
        kept on disk with them: counting every coding and segment takes 0.3 s at 10,000 transcripts, and the
        dashboard asks on every click and on its first visit after an import. Every change writes the log,
        so an unmoved key means unchanged counts."""
        from .store import log
        from .store.aggregate import STATE_TOKEN

        with self.store.transaction() as session:
            token: StateToken = self._counts.kept(
                session, ("state token",), lambda: log.state_token(session), STATE_TOKEN
            )
        return token

    def edited_segments(self, after: StateToken, upto: StateToken) -> set[int] | None:
        """Segments edited one at a time (codes applied or removed, suggestions decided, memos, consensus)
        between two state tokens; None if anything else changed in between, so that a reader reloads all."""
        if upto.newest_log_id < after.newest_log_id or upto.log_entries < after.log_entries:
            return None
        return self.store.edited_segments(
            after.newest_log_id, upto.newest_log_id, entries=upto.log_entries - after.log_entries
        )


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
