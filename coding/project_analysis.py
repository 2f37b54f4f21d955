"""Reading a project: tables, quotes, search, words, matrices, portraits and publication tables.

Part of the facade: Project (coding/project.py) inherits these methods, so the public API is
`project.crosstab(...)` as before. They only read, through the store and the steps' pure functions; the
steps are imported inside the methods so that opening a project stays light.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import UsageError
from .models import RESPONDENT
from .project_core import ProjectCore
from .store import Action
from .store import settings as stored_settings
from .store.log import write_log

# The project's disclosure threshold (k) in its settings table: one for the dashboard and the command line.
MIN_RESPONDENTS_SETTING = "disclosure_min_respondents"

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from .models import Codebook
    from .search import Corpus
    from .words import WordIndex


class ProjectAnalysis(ProjectCore):
    """The read side of Project: it only reads, through ProjectCore's store and reads."""

    # ----- tables -----------------------------------------------------------------------------
    def crosstab(
        self,
        by: str | Sequence[str] = "group",
        count: str = "segments",
        percent: str = "none",
        source: str = "human",
        coders: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Code x attribute values. `by` one attribute (one column level, as always) or several (one column
        level each: group x gender)."""
        from . import analysis

        respondents = self.respondents()
        names = [by] if isinstance(by, str) else list(by)
        for name in names:
            try:
                analysis.attribute_values(respondents, name)
            except KeyError as exc:
                raise UsageError(str(exc.args[0])) from None
        codebook = self.codebook
        codes, people, counts = self._respondent_code_counts(codebook, source, coders)
        try:
            bases = self.column_bases(by, count) if percent == "column" else None
            return analysis.crosstab_from_counts(
                people, counts, codes, respondents, codebook, by, count, percent, bases
            )
        except ValueError as exc:  # an attribute named twice
            raise UsageError(str(exc)) from None

    def keep_counts(self) -> None:
        """Count what the dashboard opens with and the default tables (project counts, coders, the crosstab by
        the first attribute, its column bases, the quotes behind its largest total, co-occurrence) and keep the
        results on disk (CountsCache), so that the next process finds them: at 10,000 transcripts these
        queries take half a minute together, a dashboard opened after an import would wait for all of them.
        The commands that change codings in bulk call this at their end; it only reads."""
        from . import analysis

        self._kept_state_token()
        self.coders()
        attributes = [column for column in self.respondents().columns if column != "respondent_id"]
        if not attributes or not self.counts()["segments"]:
            return
        by = "group" if "group" in attributes else attributes[0]
        table = self.crosstab(by, "segments")
        self.column_bases(by, "segments")
        self.cooccurrence()
        if len(table) and table[analysis.TOTAL].max() > 0:
            self.cell_segments(str(table[analysis.TOTAL].idxmax()))  # the quotes the Themes page opens with

    def _respondent_code_counts(
        self, codebook: Codebook, source: str, coders: Sequence[str] | None
    ) -> tuple[list[str], pd.Index, np.ndarray]:
        """Segments per respondent and code (rolled up), counted in the database (coding.store.aggregate)."""
        from . import analysis

        codes = [code.id for code in codebook.tree_order()]
        with self.store.transaction() as session:
            counted = self._counts.mask_counts(session, self.unit, codes, source, coders)
        sets, row_set = analysis.rolled_code_sets(counted.masks, codes, codebook)
        people, counts = analysis.per_respondent(counted.respondents or [], sets, row_set, counted.segments)
        return codes, people, counts

    def _respondent_segments(self) -> dict[str, int]:
        with self.store.transaction() as session:
            return self._counts.respondent_segment_counts(session, self.unit)

    def column_bases(self, by: str | Sequence[str] = "group", count: str = "segments") -> pd.Series:
        from . import analysis

        return analysis.column_bases_from_counts(self._respondent_segments(), self.respondents(), by, count)

    def frequencies(self, source: str = "human", coders: Sequence[str] | None = None) -> pd.DataFrame:
        from . import analysis

        codebook = self.codebook
        codes, _, counts = self._respondent_code_counts(codebook, source, coders)
        respondents = sum(1 for n in self._respondent_segments().values() if n)
        return analysis.frequencies_from_counts(counts, codes, codebook, respondents)

    def cooccurrence(self, source: str = "human", coders: Sequence[str] | None = None) -> pd.DataFrame:
        from . import analysis

        codebook = self.codebook
        codes = [code.id for code in codebook.tree_order()]
        with self.store.transaction() as session:
            counted = self._counts.mask_counts(
                session, self.unit, codes, source, coders, by_respondent=False, respondents_only=False
            )
        return analysis.cooccurrence_from_counts(
            analysis.rolled_masks(counted.masks, codes, codebook), counted.segments, codes
        )

    def cell_segments(
        self,
        code: str,
        by: str | None = None,
        value: str | None = None,
        source: str = "human",
        coders: Sequence[str] | None = None,
    ) -> list[int]:
        """The segment ids behind one number of crosstab(by=by) (value None or Total: the code's row total),
        counted in the database: analysis.segments_in_cell without reading every coding."""
        from . import analysis
        from .store import aggregate

        codebook, people = self.codebook, None
        below = [c.id for c in codebook.tree_order() if c.id == code or code in codebook.ancestors(c.id)]
        if by is not None and value is not None and value != analysis.TOTAL:
            values = analysis.attribute_values(self.respondents(), by)
            people = [str(rid) for rid, found in values.items() if found == value]
        with self.store.transaction() as session:
            chosen = None if people is None else tuple(people)
            key = ("coded", self.unit, tuple(below), source, tuple(coders or ()), chosen)
            ids: list[int] = self._counts.kept(
                session,
                key,
                lambda: aggregate.coded_segments(session, self.unit, below, source, coders, people),
                aggregate.IDS,
            )
        return list(ids)  # a copy: no caller changes the kept one

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
        if segments is None:  # only the documents the segments are in, not the whole corpus's segments
            from .store import aggregate

            with self.store.transaction() as session:
                names = aggregate.segment_documents(session, list(segment_ids))
            segments = self.store.segments_frame(self.unit, names)
        frame = segments[segments["segment_id"].isin(list(segment_ids))]
        documents = frame["document"].unique().tolist()
        texts = self.store.document_texts(documents)
        frame = frame.assign(
            text=[
                texts[d][int(s) : int(e)]
                for d, s, e in zip(frame["document"], frame["start"], frame["end"], strict=True)
            ]
        )
        if context and len(frame):
            import pandas as pd

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

    # ----- search, words, matrices, relations, portrait (issue 13) ----------------------------
    # The steps live in coding/search, words, cooccurrence, portrait and publication_form; they are
    # imported inside the methods so that opening a project stays light.
    def corpus(self) -> Corpus:
        """Respondent turns of every document joined for one-pass search (build once, reuse)."""
        from . import search

        return search.build_corpus(self.segments_frame(), self.store.document_texts())

    def lemma_index(self) -> pd.DataFrame:
        """spaCy lemmas of every respondent token (document, start, end, lemma), computed once per document
        text and pipeline and kept in .qcode/lemmas.npz; later calls only read it (new or replaced
        documents are lemmatised then)."""
        from . import search
        from .nlp import load_pipeline, pipeline_label

        nlp = load_pipeline(self.config.pipeline or None, "lemma")
        turns = self.store.turns_frame()
        turns = turns[turns["role"] == RESPONDENT]
        cache = search.LemmaCache(self.folder / ".qcode" / "lemmas.npz")
        index, _ = cache.update(self.store.document_texts(), turns, nlp, pipeline_label(nlp))
        return index

    def query_lemmatizer(self) -> Callable[[str], list[str]]:
        """The project pipeline's lemmatiser for a lemma query (the same one the index was built with)."""
        from . import search
        from .nlp import load_pipeline

        return search.query_lemmatizer(load_pipeline(self.config.pipeline or None, "lemma"))

    def search(
        self,
        query: str,
        mode: str = "text",
        attributes: dict[str, Sequence[str]] | None = None,
        codes: Sequence[str] | None = None,
        source: str = "human",
        coders: Sequence[str] | None = None,
        context: int = 60,
        case_sensitive: bool = False,
    ) -> pd.DataFrame:
        """One row per hit in what respondents said: document, respondent_id, turn_index, segment_id,
        start, end (document offsets), left, match, right. mode: text (a word or phrase, whole words,
        `*` for any ending), regex, or lemma (every inflection; the lemma index is built on first use).
        attributes: {attribute: values} to keep; codes: keep hits inside segments coded with these (or a
        code below them) by `source` / `coders`."""
        from . import search

        respondent_ids = search.respondents_where(self.respondents(), attributes) if attributes else None
        segment_ids = search.coded_segments(self.codings(source, coders), self.codebook, codes) if codes else None
        lemmas = lemmatize = None
        if mode == "lemma":
            lemmas = self.lemma_index()
            lemmatize = self.query_lemmatizer()
        return search.search(
            self.corpus(),
            query,
            mode,
            lemmas=lemmas,
            lemmatize=lemmatize,
            respondent_ids=respondent_ids,
            segment_ids=segment_ids,
            context=context,
            case_sensitive=case_sensitive,
        )

    def word_counts(self, by: str | None = "group") -> pd.DataFrame:
        """Words (rows) by the values of a respondent attribute, in what respondents said (see coding.words)."""
        from . import analysis, words

        respondents = self.respondents()
        if by is not None:
            try:
                analysis.attribute_values(respondents, by)
            except KeyError as exc:
                raise UsageError(str(exc.args[0])) from None
        return words.counts_from_index(self.word_index(), respondents, by)

    def word_index(self, corpus: Corpus | None = None) -> WordIndex:
        """How often each respondent says each word, kept in .qcode/words.npz for the corpus it was made from
        (rebuilt when the transcripts or segments change)."""
        from . import words

        return words.load_word_index(self.corpus() if corpus is None else corpus, self.folder / ".qcode" / "words.npz")

    def keyness(self, by: str, group: str, min_count: int = 3) -> pd.DataFrame:
        """Words one group uses more (and less) than the rest: log-likelihood and log ratio."""
        from . import words

        counts = self.word_counts(by)
        if group not in counts.columns:
            raise UsageError(f"no {by} {group!r} among the respondents")
        return words.keyness(counts, group, min_count=min_count)

    def case_matrix(
        self,
        order_by: str | None = "group",
        values: str = "segments",
        source: str = "human",
        coders: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Code x respondent (each respondent a column, ordered by an attribute)."""
        from . import analysis

        respondents = self.respondents()
        if order_by is not None:
            try:
                analysis.attribute_values(respondents, order_by)
            except KeyError as exc:
                raise UsageError(str(exc.args[0])) from None
        return analysis.case_matrix(
            self.codings(source, coders), self.segments_frame(), respondents, self.codebook, order_by, values
        )

    def code_relations(
        self,
        scope: str = "unit",
        window: int = 1,
        measure: str = "count",
        include_lineage: bool = False,
        source: str = "human",
        coders: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Code x code co-occurrence in the same unit, turn, or within `window` segments (coding.cooccurrence)."""
        from . import cooccurrence

        if scope not in cooccurrence.SCOPES:
            raise UsageError(f"scope must be one of {', '.join(cooccurrence.SCOPES)}, not {scope!r}")
        if measure not in cooccurrence.MEASURES:
            raise UsageError(f"measure must be one of {', '.join(cooccurrence.MEASURES)}, not {measure!r}")
        return cooccurrence.cooccurrence_matrix(
            self.codings(source, coders),
            self.segments_frame(),
            self.codebook,
            scope,
            window,
            measure,
            include_lineage=include_lineage,
        )

    def portrait(self, document: str, source: str = "human", coders: Sequence[str] | None = None) -> pd.DataFrame:
        """One transcript's codes over its respondent turns (columns: turn_index)."""
        from . import portrait

        segments = self.segments_frame()
        if document not in set(segments["document"]):
            raise UsageError(f"no transcript named {document!r} in this project")
        return portrait.portrait(self.codings(source, coders), segments, self.codebook, document)

    def publication_crosstab(
        self,
        by: str | Sequence[str],
        count: str = "respondents",
        percent: str = "column",
        layout: str = "cell",
        source: str = "human",
        coders: Sequence[str] | None = None,
        min_respondents: int = 0,
    ) -> tuple[pd.DataFrame, dict[str, str]]:
        """The crosstab as a paper prints it ("12 (67%)" or side by side, n row) and its notes; with
        `min_respondents` (k >= 2) cells resting on 1 to k-1 respondents are left blank, and a note says so."""
        from . import publication_form

        if percent not in ("row", "column", "none"):
            raise UsageError(f"percent must be row, column or none, not {percent!r}")
        if layout not in ("cell", "side"):
            raise UsageError(f"layout must be cell or side, not {layout!r}")
        counts = self.crosstab(by, count, "none", source, coders)
        shares = self.crosstab(by, count, percent, source, coders) if percent != "none" else None
        if min_respondents >= 2:
            counts = self.suppress_small_cells(counts, by, min_respondents, source, coders)
            shares = (
                self.suppress_small_cells(shares, by, min_respondents, source, coders) if shares is not None else None
            )
        table = publication_form.publication_frame(
            counts,
            shares,
            self.column_bases(by, count),
            layout if shares is not None else "counts",
            n_label=f"n ({count})",
        )
        book = self.codebook
        names = [by] if isinstance(by, str) else list(by)
        about = publication_form.notes(
            f"{count} coded with each code (a parent code counts its children), by {' x '.join(names)}",
            coders,
            self.unit,
            f"{book.name} version {book.version} ({self.codebook_version()})",
            project=self.name,
            percent=publication_form.PERCENT_NOTES.get(percent),
            extra={"Codings": source},
        )
        if min_respondents >= 2:
            about["Suppressed"] = f"cells resting on fewer than {min_respondents} respondents are left blank"
        return table, about

    @property
    def min_respondents(self) -> int:
        """The disclosure threshold the dashboard and the publication commands apply by default: cells
        resting on fewer respondents are hidden, with their quotes (0: off). Stored in the database, so
        every member of a team, the command line and the dashboard apply the same one."""
        value = self.store.get_setting(MIN_RESPONDENTS_SETTING)
        return int(value) if value and value.isdigit() else 0

    def set_min_respondents(self, k: int, actor: str = "qcode") -> None:
        """Set the disclosure threshold (0: off, else at least 2); the audit log says who changed it. Only a
        lead changes it (it is the default of every member's tables and of the command line's exports)."""
        from .disclosure import check_threshold

        self.accounts.require_lead(actor, "change disclosure control")

        try:
            check_threshold(k)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        with self.store.transaction(write=True) as session:
            previous = stored_settings.get_setting(session, MIN_RESPONDENTS_SETTING, "0")
            if previous == str(k):
                return
            stored_settings.set_setting(session, MIN_RESPONDENTS_SETTING, str(k))
            write_log(session, actor, Action.SET_DISCLOSURE, f"min_respondents {k}", previous=previous)

    def suppress_small_cells(
        self,
        table: pd.DataFrame,
        by: str | Sequence[str],
        k: int,
        source: str = "human",
        coders: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """`table` (a crosstab by `by`) with the cells that rest on 1 to k-1 respondents blanked."""
        from .disclosure import suppress_small_cells

        bases = self.column_bases(by, "respondents")
        return suppress_small_cells(table, self.crosstab(by, "respondents", "none", source, coders), k, bases)

    # ----- tables for a paper -----------------------------------------------------------------
    def provenance(self, source: str, coders: Sequence[str] | None) -> dict[str, str]:
        """What a table of `source` codings by `coders` was made from, for its sidecar or About sheet."""
        from . import publication

        codebook = self.codebook
        return publication.provenance(self.name, codebook, self.codebook_version(), self.unit, source, coders)

    def crosstab_table(self, by: str, count: str, source: str, coders: Sequence[str] | None) -> pd.DataFrame:
        """The crosstab for a paper: counts and column percentages side by side, n per column last."""
        from . import publication

        counts = self.crosstab(by=by, count=count, percent="none", source=source, coders=coders)
        percents = self.crosstab(by=by, count=count, percent="column", source=source, coders=coders)
        return publication.crosstab_table(counts, percents, self.column_bases(by, count), count)

    def frequency_table(self, by: str, source: str, coders: Sequence[str] | None) -> pd.DataFrame:
        """Per code: segments, respondents, % of all respondents and % of respondents in each group."""
        from . import publication

        freq = self.frequencies(source=source, coders=coders)
        per_group = self.crosstab(by=by, count="respondents", percent="column", source=source, coders=coders)
        return publication.frequency_table(freq, per_group)

    def codebook_table(self) -> pd.DataFrame:
        """The codebook for an appendix, with the segments coded with each code."""
        from . import publication

        return publication.codebook_table(self.codebook, self.frequencies())

    def quotes_by_code(self, source: str, coders: Sequence[str] | None) -> dict[str, pd.DataFrame]:
        """For each code, its quotes with respondent pseudonym and attributes."""
        from . import analysis, publication

        codebook = self.codebook
        rolled = analysis.rolled_up(self.codings(source, coders), codebook)
        quotes = self.quotes(rolled["segment_id"].unique().tolist())
        return publication.quotes_by_code(rolled, quotes, codebook)

    def write_quotes(self, out: str | Path, source: str, coders: Sequence[str] | None) -> int:
        """One CSV per code in folder `out`, or one sheet per code when `out` ends in .xlsx."""
        from . import publication

        tables = self.quotes_by_code(source, coders)
        return publication.write_quotes(tables, self.provenance(source, coders), Path(out))
