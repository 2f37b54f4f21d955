"""Cached inputs of the search, words, matrices, relations and portrait pages (issue 13).

The joined corpus of respondent turns is keyed on the number of segments (it changes only when transcripts
or segments do, not on every coding edit); code tables are keyed on the state token like app.data's.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from coding import analysis, cooccurrence, portrait, search, words

from . import data
from .state import ProjectKey, cached_project

Token = data.Token


def corpus(key: ProjectKey, token: Token) -> search.Corpus:
    return _corpus(key, token.segments, _segments=data.frames(key, token).segments)


@st.cache_resource(show_spinner=False, max_entries=2)
def _corpus(key: ProjectKey, segment_count: int, _segments: pd.DataFrame) -> search.Corpus:
    return search.build_corpus(_segments, cached_project(key).store.document_texts())


@st.cache_resource(show_spinner=False, max_entries=2)
def lemma_index(key: ProjectKey, segment_count: int) -> pd.DataFrame:
    """The project's lemma index: read from its file, lemmatising only documents not yet in it."""
    return cached_project(key).lemma_index()


def lemmatizer(key: ProjectKey) -> Callable[[str], list[str]]:
    return cached_project(key).query_lemmatizer()


@st.cache_data(show_spinner=False, max_entries=32)
def hits(
    key: ProjectKey,
    token: Token,
    filters: data.Filters,
    query: str,
    mode: str,
    codes: tuple[str, ...],
    case_sensitive: bool,
) -> pd.DataFrame:
    """Search hits among the respondents the sidebar keeps, inside segments with `codes` if any."""
    _, _, respondents = data.filtered(key, token, filters)
    segment_ids = None
    if codes:
        pairs = data.rolled(key, token, filters)
        segment_ids = set(pairs.loc[pairs["code"].isin(list(codes)), "segment_id"].astype(int))
    lemmas = lemmatize = None
    if mode == "lemma":
        lemmas = lemma_index(key, token.segments)
        lemmatize = lemmatizer(key)
    return search.search(
        corpus(key, token),
        query,
        mode,
        lemmas=lemmas,
        lemmatize=lemmatize,
        respondent_ids=respondents["respondent_id"].tolist(),
        segment_ids=segment_ids,
        case_sensitive=case_sensitive,
    )


def word_index(key: ProjectKey, token: Token) -> words.WordIndex:
    return _word_index(key, token.segments, _corpus=corpus(key, token))


@st.cache_resource(show_spinner=False, max_entries=2)
def _word_index(key: ProjectKey, segment_count: int, _corpus: search.Corpus) -> words.WordIndex:
    """Words per respondent, like the corpus kept per segmentation (and on disk): an edit, a filter or another
    grouping only sums its rows again."""
    return cached_project(key).word_index(_corpus)


@st.cache_data(show_spinner=False, max_entries=16)
def word_counts(key: ProjectKey, token: Token, filters: data.Filters, by: str) -> pd.DataFrame:
    _, _, respondents = data.filtered(key, token, filters)
    return words.counts_from_index(word_index(key, token), respondents, by, respondents["respondent_id"].tolist())


@st.cache_data(show_spinner=False, max_entries=32)
def crosstab_by(
    key: ProjectKey, token: Token, filters: data.Filters, by: tuple[str, ...], count: str, percent: str
) -> pd.DataFrame:
    if percent != "none":
        counted = crosstab_by(key, token, filters, by, count, "none")
        bases = column_bases_by(key, token, filters, by, count) if percent == "column" else None
        return analysis.percentages_by(counted, percent, bases)
    _, segments, respondents = data.filtered(key, token, filters)
    pairs = data.rolled(key, token, filters)
    return analysis.crosstab_by(pairs, segments, respondents, data.codebook(key, token), list(by), count, rolled=True)


@st.cache_data(show_spinner=False, max_entries=32)
def column_bases_by(key: ProjectKey, token: Token, filters: data.Filters, by: tuple[str, ...], count: str) -> pd.Series:
    _, segments, respondents = data.filtered(key, token, filters)
    return analysis.column_bases_by(segments, respondents, list(by), count)


@st.cache_data(show_spinner=False, max_entries=16)
def case_matrix(
    key: ProjectKey, token: Token, filters: data.Filters, order_by: str | None, values: str
) -> pd.DataFrame:
    _, segments, respondents = data.filtered(key, token, filters)
    pairs = data.rolled(key, token, filters)
    book = data.codebook(key, token)
    return analysis.case_matrix(pairs, segments, respondents, book, order_by, values, rolled=True)


@st.cache_data(show_spinner=False, max_entries=32)
def relations(
    key: ProjectKey, token: Token, filters: data.Filters, scope: str, window: int, measure: str, lineage: bool
) -> pd.DataFrame:
    _, segments, _ = data.filtered(key, token, filters)
    pairs = data.rolled(key, token, filters)
    book = data.codebook(key, token)
    return cooccurrence.cooccurrence_matrix(
        pairs, segments, book, scope, window, measure, include_lineage=lineage, rolled=True
    )


@st.cache_data(show_spinner=False, max_entries=32)
def relation_segments(
    key: ProjectKey, token: Token, filters: data.Filters, code_a: str, code_b: str, scope: str, window: int
) -> pd.DataFrame:
    _, segments, _ = data.filtered(key, token, filters)
    pairs = data.rolled(key, token, filters)
    book = data.codebook(key, token)
    return cooccurrence.cell_segments(pairs, segments, book, code_a, code_b, scope, window, rolled=True)


@st.cache_data(show_spinner=False, max_entries=32)
def profile(
    key: ProjectKey, token: Token, filters: data.Filters, code: str, by: str, scope: str, window: int
) -> tuple[pd.DataFrame, pd.Series]:
    _, segments, respondents = data.filtered(key, token, filters)
    pairs = data.rolled(key, token, filters)
    book = data.codebook(key, token)
    return cooccurrence.profile(pairs, segments, respondents, book, code, by, scope, window, rolled=True)


@st.cache_data(show_spinner=False, max_entries=32)
def document_portrait(key: ProjectKey, token: Token, filters: data.Filters, document: str) -> pd.DataFrame:
    _, segments, _ = data.filtered(key, token, filters)
    pairs = data.rolled(key, token, filters)
    return portrait.portrait(pairs, segments, data.codebook(key, token), document, rolled=True)


@st.cache_data(show_spinner=False, max_entries=16)
def cooccurrence_respondents(
    key: ProjectKey, token: Token, filters: data.Filters, codes: tuple[str, ...]
) -> pd.DataFrame:
    """Code x code: the respondents behind each cell of the Co-occurrence matrix (disclosure control)."""
    from coding.disclosure import pair_respondents

    _, segments, _ = data.filtered(key, token, filters)
    return pair_respondents(data.rolled(key, token, filters), segments, codes)
