"""The facade: open or create a project and run each step. The CLI and the app call only this."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from . import analysis, codings_io
from .config import ProjectConfig, read_config, write_config
from .errors import ProjectError, UsageError
from .ingest import IngestReport, ingest
from .models import ACCEPTED, HUMAN, REJECTED, RESPONDENT, SUGGESTED, UNITS, Code, Codebook, Document, Segment, Turn
from .store import SEGMENT_COLUMNS, Store
from .transcripts import TranscriptOptions, make_turn

if TYPE_CHECKING:  # the heavy parts (spaCy, scikit-learn) load when a step needs them
    from .exchange import ExchangeReport

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CODEBOOK = REPO_ROOT / "codebooks" / "peace_process.yaml"
SOURCE_FILTERS = ("human", "auto", "all")
__all__ = ["SEGMENT_COLUMNS", "SOURCE_FILTERS", "Project", "create_project", "filter_codings", "open_project"]
Progress = Callable[[int], None]


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
    source = Path(codebook) if codebook else DEFAULT_CODEBOOK
    from .codebook import write_codebook
    from .exchange import read_any_codebook

    book = read_any_codebook(source)  # validate before creating anything
    folder.mkdir(parents=True, exist_ok=True)
    config = ProjectConfig(name=name or folder.resolve().name, database=db or "", codebook="codebook.yaml")
    write_codebook(book, folder / config.codebook)
    write_config(folder, config)
    project = Project(folder, config)
    with project.store.transaction() as session:
        project.store.sync_codes(session, book)
        project.store.set_setting(session, "codebook_name", book.name)
        project.store.set_setting(session, "codebook_version", book.version)
        project.store.set_setting(session, "codebook_description", book.description)
        project.store.log(session, "qcode", "init", str(folder), codebook=str(source), codes=len(book.codes))
    return project


def open_project(folder: str | Path = ".", db: str | None = None) -> Project:
    folder = Path(folder)
    config = read_config(folder)
    if db:
        config = ProjectConfig(**{**config.__dict__, "database": db})
    return Project(folder, config)


class Project:
    def __init__(self, folder: Path, config: ProjectConfig) -> None:
        self.folder = folder
        self.config = config
        self.store = Store(config.database_url(folder))

    # ----- basics -----------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.config.name

    @property
    def unit(self) -> str:
        return self.config.unit

    @property
    def codebook(self) -> Codebook:
        """The project's codebook as it stands in the database (edits in the app included)."""
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
    ) -> IngestReport:
        options = TranscriptOptions(interviewer_labels=self.config.interviewer_labels, encoding=encoding)
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
        from .nlp import load_pipeline
        from .segment import segment_documents

        nlp = load_pipeline(self.config.pipeline or None, "segment") if unit == "sentence" else None
        return segment_documents(documents, unit, nlp, progress=progress)

    def segment(self, unit: str | None = None, progress: Progress | None = None) -> dict[str, int]:
        """Segment every document not yet segmented in `unit`; make `unit` the project's unit."""
        unit = unit or self.config.unit
        if unit not in UNITS:
            raise UsageError(f"unknown unit {unit!r}; use one of {', '.join(UNITS)}")
        names = self.store.unsegmented_documents(unit)
        documents = self.documents(names) if names else []
        segments = self._segment(documents, unit, progress) if documents else []
        with self.store.transaction() as session:
            added = self.store.add_segments(session, segments, unit)
            self.store.log(session, "qcode", "segment", unit, documents=len(documents), segments=added)
        if unit != self.config.unit:
            self.config = self.config.with_unit(unit)
            write_config(self.folder, self.config)
        elsewhere = {u: n for u, n in self.store.coding_counts_by_unit().items() if u != unit}
        return {
            "documents": len(documents),
            "segments": added,
            **{f"codings_on_{u}": n for u, n in elsewhere.items()},
        }

    def documents(self, names: Sequence[str] | None = None) -> list[Document]:
        """Active documents rebuilt from the database (text, turns, respondent attributes)."""
        docs = self.store.documents_frame()
        if names is not None:
            docs = docs[docs["document"].isin(list(names))]
        texts = self.store.document_texts(docs["document"].tolist())
        turns = self.store.turns_frame(None if names is None else docs["document"].tolist())
        by_doc: dict[str, list[Turn]] = {}
        for row in turns.itertuples(index=False):
            by_doc.setdefault(row.document, []).append(
                Turn(int(row.turn_index), row.speaker, row.role, int(row.start), int(row.end))
            )
        result = []
        for row in docs.itertuples(index=False):
            text = texts[row.document]
            doc_turns = [_with_paragraphs(turn, text) for turn in by_doc.get(row.document, [])]
            result.append(Document(row.document, row.respondent_id, text, doc_turns, {}, row.sha256, row.source_path))
        return result

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
        if self.counts()["documents"] == 0:
            raise UsageError("the project has no documents yet: run 'qcode ingest FOLDER' first")
        return codings_io.import_codings(self, Path(path), coder)

    def export_codings(self, path: str | Path, bom: bool = False) -> int:
        return codings_io.export_codings(self, Path(path), bom=bom)

    def export_matrix(
        self, path: str | Path, source: str = "human", coders: Sequence[str] | None = None, bom: bool = False
    ) -> int:
        return codings_io.export_matrix(self, Path(path), source, coders, bom=bom)

    def apply_code(self, segment_id: int, code_id: str, coder: str) -> None:
        """A person puts a code on a segment (no-op if they already did)."""
        self._known_code(code_id)
        with self.store.transaction() as session:
            existing = self.store.find_coding(session, segment_id, code_id, coder)
            if existing is not None and existing.status == ACCEPTED:
                return
            if existing is not None:
                self.store.decide(session, existing, ACCEPTED, coder)
            else:
                self.store.add_human_codings(session, [(segment_id, code_id)], coder)
            self.store.log(session, coder, "apply_code", f"segment {segment_id}", code=code_id)

    def remove_code(self, segment_id: int, code_id: str, coder: str) -> None:
        """A person takes their own code off a segment; the log keeps that it was there."""
        with self.store.transaction() as session:
            existing = self.store.find_coding(session, segment_id, code_id, coder)
            if existing is None or existing.status == REJECTED:
                return
            if existing.source == HUMAN:
                self.store.delete_coding(session, existing)
            else:  # their decision on a suggestion: it now says no
                self.store.decide(session, existing, REJECTED, coder)
            self.store.log(session, coder, "remove_code", f"segment {segment_id}", code=code_id)

    def decide_suggestion(self, coding_id: int, accept: bool, coder: str) -> None:
        """Accept or reject a rule or model suggestion for oneself; the decision survives later autocoding.

        The decision is the coder's own row: the suggestion stays pending for everyone else, so coders
        working blind each decide it, and nobody's decision replaces another's."""
        status = ACCEPTED if accept else REJECTED
        with self.store.transaction() as session:
            row = self.store.coding_row(session, coding_id)
            if row is None:
                raise UsageError(f"no coding with id {coding_id}")
            if row.source == HUMAN:
                raise UsageError("only suggestions can be accepted or rejected; remove a person's code instead")
            if row.coder != row.source_name and row.coder != coder:
                raise UsageError(f"coding {coding_id} is {row.coder}'s decision; decide the suggestion itself")
            own = row if row.coder == coder else self.store.find_coding(session, row.segment_id, row.code_id, coder)
            if own is not None and own.source == HUMAN and not accept:
                raise UsageError("you applied this code to the segment yourself; remove it instead of rejecting")
            previous = own.status if own is not None else SUGGESTED
            if own is None:
                self.store.add_decision(session, row, coder, status)
            else:
                self.store.decide(session, own, status, coder)
            self.store.log(session, coder, "accept" if accept else "reject", f"coding {coding_id}", previous=previous)

    def set_memo(self, segment_id: int, text: str, coder: str) -> None:
        with self.store.transaction() as session:
            previous = self.store.upsert_memo(session, segment_id, coder, text)
            self.store.log(session, coder, "memo", f"segment {segment_id}", previous=previous, text=text)

    def memos(self) -> pd.DataFrame:
        return self.store.memos_frame()

    # ----- autocoding -------------------------------------------------------------------------
    def autocode(
        self,
        rules: bool = True,
        model: bool = False,
        min_confidence: float = 0.0,
        progress: Progress | None = None,
    ) -> dict[str, dict[str, int]]:
        """Store suggestions from the codebook's rules and/or the trained model."""
        from .autocode import run_autocode

        self._require_segments()
        return run_autocode(self, rules=rules, model=model, min_confidence=min_confidence, progress=progress)

    # ----- tables -----------------------------------------------------------------------------
    def crosstab(
        self,
        by: str = "group",
        count: str = "segments",
        percent: str = "none",
        source: str = "human",
        coders: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        respondents = self.respondents()
        try:
            analysis.attribute_values(respondents, by)
        except KeyError as exc:
            raise UsageError(str(exc.args[0])) from None
        return analysis.crosstab(
            self.codings(source, coders),
            self.segments_frame(),
            respondents,
            self.codebook,
            by,
            count,
            percent,
        )

    def column_bases(self, by: str = "group", count: str = "segments") -> pd.Series:
        return analysis.column_bases(self.segments_frame(), self.respondents(), by, count)

    def frequencies(self, source: str = "human", coders: Sequence[str] | None = None) -> pd.DataFrame:
        respondents = self.segments_frame()["respondent_id"].nunique()
        return analysis.frequencies(self.codings(source, coders), self.segments_frame(), self.codebook, respondents)

    def cooccurrence(self, source: str = "human", coders: Sequence[str] | None = None) -> pd.DataFrame:
        return analysis.cooccurrence(self.codings(source, coders), self.codebook)

    def quotes(
        self,
        segment_ids: Sequence[int],
        segments: pd.DataFrame | None = None,
        respondents: pd.DataFrame | None = None,
        context: bool = False,
    ) -> pd.DataFrame:
        """Segments with their text, respondent and attributes, in document order. A caller that already
        holds the segments and respondents frames (the dashboard) may pass them; only the transcripts the
        segments are in are read. context=True adds `before` and `after`: the rest of the speaker's turn
        around the segment (a sentence alone can mean little)."""
        frame = self.segments_frame() if segments is None else segments
        frame = frame[frame["segment_id"].isin(list(segment_ids))]
        documents = frame["document"].unique().tolist()
        texts = self.store.document_texts(documents)
        frame = frame.assign(
            text=[
                texts[d][int(s) : int(e)]
                for d, s, e in zip(frame["document"], frame["start"], frame["end"], strict=True)
            ]
        )
        if context and len(frame):
            turns = self.store.turns_frame(documents)[["document", "turn_index", "start", "end"]]
            spans = frame.merge(turns, on=["document", "turn_index"], how="left", suffixes=("", "_turn"))
            frame = frame.assign(
                before=[
                    texts[d][int(t) : int(s)].strip() if pd.notna(t) else ""
                    for d, t, s in zip(spans["document"], spans["start_turn"], spans["start"], strict=True)
                ],
                after=[
                    texts[d][int(e) : int(t)].strip() if pd.notna(t) else ""
                    for d, e, t in zip(spans["document"], spans["end"], spans["end_turn"], strict=True)
                ],
            )
        people = self.respondents() if respondents is None else respondents
        return frame.merge(people, on="respondent_id", how="left").sort_values(["document", "start"])

    # ----- learned model ----------------------------------------------------------------------
    def has_model(self) -> bool:
        from . import training

        return training.model_path(self).exists()

    def can_train(self) -> bool:
        return not self.codings("human").empty

    def train(self, coders: Sequence[str] | None = None) -> pd.DataFrame:
        """Train on human codings (all coders, or `coders`); returns cross-validated figures per code."""
        from . import training

        self._require_segments()
        return training.train(self, coders)

    def code_next(self, k: int = 10) -> pd.DataFrame:
        """Uncoded segments ordered by how much a person's decision would teach the model."""
        from . import training

        return training.code_next(self, k)

    # ----- exchange and publication -----------------------------------------------------------
    def export_codebook(self, path: str | Path) -> int:
        from . import exchange

        return exchange.export_codebook(self, Path(path))

    def export_qdpx(self, path: str | Path) -> Path:
        from . import exchange

        return exchange.export_qdpx(self, Path(path))

    def import_qdpx(self, path: str | Path, actor: str = "qcode") -> ExchangeReport:
        from . import exchange

        return exchange.import_qdpx(self, Path(path), actor)

    def import_qdc(self, path: str | Path, actor: str = "qcode") -> int:
        from . import exchange

        return exchange.import_qdc(self, Path(path), actor)

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

        return intercoder.agreement_table(self, coders, units, decisions, segments)

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

        return intercoder.disagreement_list(self, coder_a, coder_b, units, decisions, segments)

    def resolve(self, segment_id: int, code_id: str, applies: bool, actor: str) -> None:
        from . import intercoder

        intercoder.resolve(self, segment_id, code_id, applies, actor)

    def seed_consensus(self, coder_a: str, coder_b: str, actor: str) -> int:
        from . import intercoder

        return intercoder.seed_consensus(self, coder_a, coder_b, actor)

    # ----- codebook edits ---------------------------------------------------------------------
    def add_code(self, code: Code, actor: str) -> None:
        book = self.codebook
        if code.id in book.by_id():
            raise UsageError(f"a code with id {code.id!r} exists already")
        if code.parent and code.parent not in book.by_id():
            raise UsageError(f"unknown parent code {code.parent!r}")
        with self.store.transaction() as session:
            self.store.add_code(session, code)
            self.store.log(session, actor, "add_code", code.id, name=code.name, parent=code.parent)
        self._write_codebook_file()

    def rename_code(self, code_id: str, new_name: str, actor: str) -> None:
        """Names change, ids stay: codings and exports keep pointing at the same code."""
        old = self._known_code(code_id)
        with self.store.transaction() as session:
            self.store.update_code(session, code_id, name=new_name)
            self.store.log(session, actor, "rename_code", code_id, previous=old.name, name=new_name)
        self._write_codebook_file()

    def move_code(self, code_id: str, new_parent: str | None, actor: str) -> None:
        old = self._known_code(code_id)
        if new_parent is not None:
            self._known_code(new_parent)
            book = self.codebook
            if new_parent == code_id or code_id in book.ancestors(new_parent):
                raise UsageError(f"cannot move {code_id!r} under itself or one of its own children")
        with self.store.transaction() as session:
            self.store.update_code(session, code_id, parent_id=new_parent)
            self.store.log(session, actor, "move_code", code_id, previous=old.parent, parent=new_parent)
        self._write_codebook_file()

    def merge_codes(self, source_id: str, target_id: str, actor: str) -> int:
        """Move every coding of `source_id` to `target_id`; the source code is retired, not deleted."""
        self._known_code(source_id)
        self._known_code(target_id)
        if source_id == target_id:
            raise UsageError("a code cannot be merged into itself")
        children = [c.id for c in self.codebook.codes if c.parent == source_id]
        with self.store.transaction() as session:
            moved = self.store.move_codings(session, source_id, target_id)
            for child in children:
                self.store.update_code(session, child, parent_id=target_id)
            self.store.update_code(session, source_id, merged_into=target_id)
            self.store.log(session, actor, "merge_codes", source_id, into=target_id, codings=moved)
        self._write_codebook_file()
        return moved

    def _known_code(self, code_id: str) -> Code:
        code = self.codebook.by_id().get(code_id)
        if code is None:
            raise UsageError(f"unknown code {code_id!r}")
        return code

    def _write_codebook_file(self) -> None:
        from .codebook import write_codebook

        write_codebook(self.codebook, self.folder / self.config.codebook)

    def state_token(self) -> tuple[int, ...]:
        """Changes whenever codings, codes, memos, documents or the log change: a cache key for the app.

        It holds the newest audit-log id and the number of log entries, which edited_segments() counts from."""
        return tuple(self.store.state_token())

    def edited_segments(self, after: tuple[int, ...], upto: tuple[int, ...]) -> set[int] | None:
        """Segments edited one at a time (codes applied or removed, suggestions decided, memos, consensus)
        between two state tokens; None if anything else changed in between, so that a reader reloads all."""
        if upto[0] < after[0] or upto[4] < after[4]:
            return None
        return self.store.edited_segments(after[0], upto[0], entries=upto[4] - after[4])


def filter_codings(
    frame: pd.DataFrame, source: str, coders: Sequence[str] | None = None, include_rejected: bool = False
) -> pd.DataFrame:
    """human: a person's codes and the suggestions a person accepted; auto: the rule and model suggestions."""
    if source not in SOURCE_FILTERS:
        raise UsageError(f"source must be one of {', '.join(SOURCE_FILTERS)}, not {source!r}")
    if source == "all" and not coders and include_rejected:
        return frame  # nothing to filter: spare a copy of a large frame
    if not include_rejected:
        frame = frame[frame["status"] != REJECTED]
    if source == "human":
        frame = frame[(frame["source"] == HUMAN) | (frame["status"] == ACCEPTED)]
        if coders:
            frame = frame[owners(frame).isin(list(coders))]
    elif source == "auto":  # the suggestions themselves, not people's decisions on them
        frame = frame[(frame["source"] != HUMAN) & (frame["coder"] == frame["source_name"])]
        if coders:
            frame = frame[frame["coder"].isin(list(coders))]
    elif coders:
        frame = frame[frame["coder"].isin(list(coders)) | frame["decided_by"].isin(list(coders))]
    return frame.reset_index(drop=True)


def owners(codings: pd.DataFrame) -> pd.Series:
    """Whose each coding is: a person's own code is theirs, a suggestion belongs to whoever accepted or
    rejected it (empty while it waits). Store.decisions_frame works this out in SQL the same way."""
    return codings["coder"].where(codings["source"] == HUMAN, codings["decided_by"])


def _with_paragraphs(turn: Turn, text: str) -> Turn:
    """Recover a stored turn's paragraph spans from the text (blank lines separate them)."""
    return make_turn(text, turn.index, turn.speaker, turn.role, turn.start, turn.end)
