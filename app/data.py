"""Tables the pages draw, cached on the project's state token so an edit shows at once.

Base frames (every coding, segment and respondent) are held once per state in st.cache_resource and never
modified; the small tables derived from them under the sidebar filters go through st.cache_data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import streamlit as st

from coding import analysis
from coding.models import ACCEPTED, HUMAN, SOURCES, SUGGESTED, Codebook, Document, Segment
from coding.project import StateToken, owners

from .state import ProjectKey, cached_project

Token = StateToken


@dataclass(frozen=True)
class Filters:
    """The sidebar's filters. Empty attribute or coder choices mean everyone."""

    attributes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    coders: tuple[str, ...] = ()
    sources: tuple[str, ...] = SOURCES
    statuses: tuple[str, ...] = (ACCEPTED,)


@dataclass(frozen=True)
class Frames:
    codings: pd.DataFrame  # Project.decisions(): every coding with its status and `person`, who decided it
    segments: pd.DataFrame  # respondents' segments only
    respondents: pd.DataFrame
    codebook: Codebook = field(repr=False)


@st.cache_resource(show_spinner=False, max_entries=2)
def frames(key: ProjectKey, token: Token) -> Frames:
    project = cached_project(key)
    latest = _latest_frames()
    current = _refreshed(key, token, *latest[key]) if key in latest else None
    if current is None:  # the first read, or a change that is not a single edit: read everything
        current = Frames(project.decisions(), project.segments_frame(), project.respondents(), project.codebook)
    latest[key] = (token, current)
    return current


@st.cache_resource(show_spinner=False)
def _latest_frames() -> dict[ProjectKey, tuple[Token, Frames]]:
    """The newest frames read per project, the starting point for refreshing them after an edit."""
    return {}


def _refreshed(key: ProjectKey, token: Token, old_token: Token, old: Frames) -> Frames | None:
    """The old frames with only the edited segments' codings read again, or None if a full read is needed.

    Coding by hand edits one segment at a time; reading every coding again after each click would cost a
    second on a large project. Anything but such edits (an import, autocoding, a codebook change) reads all.
    """
    project = cached_project(key)
    edited = project.edited_segments(old_token, token)
    if edited is None or token.segments != old_token.segments:  # no segment may come or go
        return None
    fresh = project.decisions(sorted(edited))
    kept = old.codings[~old.codings["segment_id"].isin(edited)]
    codings = pd.concat([kept, fresh], ignore_index=True) if len(fresh) else kept.reset_index(drop=True)
    if len(codings) - len(old.codings) != token.codings - old_token.codings:  # a check on the refresh
        return None
    return Frames(codings, old.segments, old.respondents, old.codebook)


# Shared, never modified: every table of a rerun starts from the same filtered frames.
@st.cache_resource(show_spinner=False, max_entries=8)
def filtered(key: ProjectKey, token: Token, filters: Filters) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Codings (id, segment and code), segments and respondents left by the filters (rejected suggestions
    never count)."""
    base = frames(key, token)
    respondents = base.respondents
    for attribute, values in filters.attributes:
        if values and attribute in respondents:
            respondents = respondents[respondents[attribute].fillna(analysis.MISSING).astype(str).isin(values)]
    segments = base.segments
    if len(respondents) < len(base.respondents):
        segments = segments[segments["respondent_id"].isin(respondents["respondent_id"])]
    codings = base.codings
    keep = codings["source"].isin(filters.sources) & codings["status"].isin(filters.statuses)
    if filters.coders:
        # Pending suggestions belong to no coder yet, so the coder filter leaves them to the status filter.
        keep &= codings["person"].isin(filters.coders) | (codings["status"] == SUGGESTED)
    keep &= codings["segment_id"].isin(segments["segment_id"])  # respondents' segments only
    # Only the columns the tables count with: copying all of them for every filter state is slow.
    codings = codings.loc[keep.to_numpy(), ["coding_id", "segment_id", "code"]]
    return codings, segments, respondents


@st.cache_data(show_spinner=False, max_entries=4)
def counts(key: ProjectKey, token: Token) -> dict[str, int]:
    """Respondents, documents, segments and codings (not rejected) in the project."""
    return cached_project(key).counts()


@st.cache_data(show_spinner=False, max_entries=4)
def coders(key: ProjectKey, token: Token) -> list[str]:
    """People who made or decided codings."""
    return cached_project(key).coders()


@st.cache_resource(show_spinner=False, max_entries=4)
def codebook(key: ProjectKey, token: Token) -> Codebook:
    """Read on its own: a page that only needs counts (the first page) must not wait for every coding."""
    return cached_project(key).codebook


def in_database(filters: Filters) -> bool:
    """Whether the library can count these filters in the database (coding.store.aggregate): the sidebar's
    default reading (every source, accepted codings, no respondent left out; any coders). Then a table needs
    no frame of every coding, which takes tens of seconds and gigabytes at 10,000 transcripts (issue 17);
    other readings count the frames, as before."""
    return (
        not any(values for _, values in filters.attributes)
        and set(filters.sources) == set(SOURCES)
        and tuple(filters.statuses) == (ACCEPTED,)
    )


def _held_frames(key: ProjectKey, token: Token) -> Frames | None:
    """The frames of this state if a page has read them already (then counting them is quick), else None."""
    held = _latest_frames().get(key)
    return held[1] if held is not None and held[0] == token else None


@st.cache_data(show_spinner=False, max_entries=4)
def attributes(key: ProjectKey, token: Token) -> dict[str, list[str]]:
    """Each respondent attribute with its values, in the order the cross-tab uses.

    Read on its own (a few milliseconds): the sidebar draws these filters on every page, and pages that
    count nothing (Export) need not wait for every coding to be read."""
    respondents = cached_project(key).respondents()
    result = {}
    for column in respondents.columns:
        if column != "respondent_id":
            values = analysis.attribute_values(respondents, column).unique()  # not 10,000 values one by one
            result[column] = sorted(set(values), key=lambda v: (v == analysis.MISSING, v))
    return result


@st.cache_resource(show_spinner=False, max_entries=8)
def rolled(key: ProjectKey, token: Token, filters: Filters) -> pd.DataFrame:
    """The filtered codings with parent codes added, computed once for every table of a filter state."""
    codings, _, _ = filtered(key, token, filters)
    return analysis.rolled_up(codings, codebook(key, token))


@st.cache_data(show_spinner=False, max_entries=64)
def crosstab(key: ProjectKey, token: Token, filters: Filters, by: str, count: str, percent: str) -> pd.DataFrame:
    if percent != "none":  # percentages of the cached counts, not a second count
        counted = crosstab(key, token, filters, by, count, "none")
        bases = column_bases(key, token, filters, by, count) if percent == "column" else None
        return analysis.percentages(counted, percent, bases)
    if in_database(filters):
        return cached_project(key).crosstab(by, count, source="human", coders=list(filters.coders) or None)
    _, segments, respondents = filtered(key, token, filters)
    pairs = rolled(key, token, filters)
    return analysis.crosstab(pairs, segments, respondents, codebook(key, token), by, count, percent, rolled=True)


@st.cache_data(show_spinner=False, max_entries=64)
def column_bases(key: ProjectKey, token: Token, filters: Filters, by: str, count: str) -> pd.Series:
    if in_database(filters):
        return cached_project(key).column_bases(by, count)
    _, segments, respondents = filtered(key, token, filters)
    return analysis.column_bases(segments, respondents, by, count)


@st.cache_data(show_spinner=False, max_entries=32)
def frequencies(key: ProjectKey, token: Token, filters: Filters) -> pd.DataFrame:
    _, segments, _ = filtered(key, token, filters)
    pairs = rolled(key, token, filters)
    total = segments["respondent_id"].nunique()
    return analysis.frequencies(pairs, segments, codebook(key, token), total, rolled=True)


@st.cache_data(show_spinner=False, max_entries=32)
def cooccurrence(key: ProjectKey, token: Token, filters: Filters) -> pd.DataFrame:
    return analysis.cooccurrence(rolled(key, token, filters), codebook(key, token), rolled=True)


@st.cache_data(show_spinner=False, max_entries=64)
def cell_segments(
    key: ProjectKey,
    token: Token,
    filters: Filters,
    code: str,
    by: str | None = None,
    value: str | None = None,
    also_code: str | None = None,
) -> list[int]:
    """The segment ids behind one number of a cross-tab or co-occurrence table."""
    if in_database(filters) and also_code is None:
        coders = list(filters.coders) or None
        return cached_project(key).cell_segments(code, by, value, source="human", coders=coders)
    _, segments, respondents = filtered(key, token, filters)
    found = analysis.segments_in_cell(
        rolled(key, token, filters),
        segments,
        respondents,
        codebook(key, token),
        code,
        by=by,
        value=value,
        also_code=also_code,
        rolled=True,
    )
    return [int(s) for s in found["segment_id"]]


@st.cache_data(show_spinner=False, max_entries=64)
def quotes(key: ProjectKey, token: Token, segment_ids: tuple[int, ...], context: bool = False) -> pd.DataFrame:
    """Project.quotes over the frames already loaded (text, respondent and attributes, in document order;
    with context, the rest of each quote's turn)."""
    base = _held_frames(key, token)
    if base is None:  # read only these segments' documents
        return cached_project(key).quotes(list(segment_ids), context=context)
    return cached_project(key).quotes(list(segment_ids), base.segments, base.respondents, context=context)


@st.cache_data(show_spinner=False, max_entries=32)
def respondent_table(key: ProjectKey, token: Token, filters: Filters) -> pd.DataFrame:
    """Attributes plus documents, segments, coded segments, codes and codings per respondent."""
    codings, segments, respondents = filtered(key, token, filters)
    per = segments.groupby("respondent_id").agg(documents=("document", "nunique"), segments=("segment_id", "size"))
    located = codings.merge(segments[["segment_id", "respondent_id"]], on="segment_id")
    coded = located.groupby("respondent_id").agg(
        coded_segments=("segment_id", "nunique"), codes=("code", "nunique"), codings=("coding_id", "size")
    )
    table = respondents.set_index("respondent_id").join(per).join(coded)
    counts = ["documents", "segments", "coded_segments", "codes", "codings"]
    table[counts] = table[counts].fillna(0).astype(int)
    return table.reset_index()


@st.cache_data(show_spinner=False, max_entries=16)
def document(key: ProjectKey, token: Token, name: str) -> tuple[Document, list[Segment]]:
    project = cached_project(key)
    found = project.documents([name])
    return found[0], project.segments([name])


@st.cache_data(show_spinner=False, max_entries=4)
def documents(key: ProjectKey, token: Token) -> pd.DataFrame:
    """Document names with their respondent, in name order."""
    segments = frames(key, token).segments
    return segments.groupby("document", sort=True)["respondent_id"].first().reset_index()


@st.cache_data(show_spinner=False, max_entries=16)
def codings_on(key: ProjectKey, token: Token, segment_ids: tuple[int, ...]) -> pd.DataFrame:
    """Every coding on these segments with all its columns (source name, confidence), plus `person`."""
    codings = cached_project(key).codings("all", include_rejected=True, segment_ids=segment_ids)
    return codings.assign(person=owners(codings))


@st.cache_data(show_spinner=False, max_entries=8)
def memos(key: ProjectKey, token: Token) -> pd.DataFrame:
    return cached_project(key).memos()


@st.cache_data(show_spinner=False, max_entries=4)
def code_next(key: ProjectKey, token: Token, k: int) -> list[int]:
    """Segment ids the active-learning queue offers next (Project.code_next, when the library has it)."""
    result = cached_project(key).code_next(k)  # type: ignore[attr-defined]
    if isinstance(result, pd.DataFrame):
        column = "segment_id" if "segment_id" in result.columns else result.columns[0]
        return [int(s) for s in result[column]]
    return [int(getattr(item, "id", None) or getattr(item, "segment_id", item)) for item in result]


def coders_state(key: ProjectKey, token: Token, coders: Sequence[str]) -> tuple[object, ...]:
    """What agreement figures depend on: these coders' codings and memos, the codes and the segments.

    Agreement tables are keyed on this instead of the state token, so that recording a consensus decision
    (or anyone else's coding) does not recompute them.
    """
    base = frames(key, token)
    codings = base.codings
    mine = codings["person"].isin(coders).to_numpy()
    # Which codings, and whether each is accepted: a fingerprint of plain arrays (copying rows is slower).
    decided = codings["coding_id"].to_numpy()[mine] * 2 + (codings["status"].to_numpy()[mine] == ACCEPTED)
    notes = memos(key, token)
    notes = notes[notes["coder"].isin(coders)]
    return (
        hashlib.sha1(np.sort(decided).tobytes()).hexdigest(),
        hash(tuple(zip(notes["segment_id"], notes["coder"], notes["memo"], strict=True))),
        tuple((c.id, c.name, c.parent) for c in base.codebook.codes),
        len(base.segments),
        int(base.segments["segment_id"].sum()),
    )


def _decided(key: ProjectKey, token: Token) -> pd.DataFrame:
    """segment_id, code, coder of every accepted coding, a suggestion under whoever accepted it."""
    from coding.intercoder import accepted

    return accepted(frames(key, token).codings)


@st.cache_data(show_spinner=False, max_entries=16)
def agreement(
    key: ProjectKey, coders_key: tuple[object, ...], coders: tuple[str, ...], units: str, _token: Token
) -> pd.DataFrame:
    """Keyed on the coders' own work (coders_key); _token only says which cached frames to read from."""
    from coding.intercoder import publication_table

    segments = frames(key, _token).segments
    return publication_table(cached_project(key).agree(list(coders), units, _decided(key, _token), segments))


def frames_held(key: ProjectKey, token: Token) -> bool:
    """Whether this process holds the project's frames of every coding as they are now, or can bring them up
    to date by reading only the codings of a few edited segments (frames would not read everything again)."""
    held = _latest_frames().get(key)
    if held is None:
        return False
    old_token = held[0]
    if old_token == token:
        return True
    return old_token.segments == token.segments and cached_project(key).edited_segments(old_token, token) is not None


# 16-20 s at 10,000 transcripts, for every coder at once: another choice of coders or units is then immediate
@st.cache_data(show_spinner="Counting agreement in the database (every coder at once)…", max_entries=16)
def counted_agreement(key: ProjectKey, coders: tuple[str, ...], units: str, token: Token) -> pd.DataFrame:
    """The agreement table counted in the database (Project.agree without frames), the same table as agreement:
    at 10,000 transcripts reading every coding for it took a minute and 2.5 GB."""
    from coding.intercoder import publication_table

    return publication_table(cached_project(key).agree(list(coders), units))


@st.cache_data(show_spinner=False, max_entries=16)
def disagreements(
    key: ProjectKey, coders_key: tuple[object, ...], coder_a: str, coder_b: str, units: str, _token: Token
) -> pd.DataFrame:
    segments = frames(key, _token).segments
    return cached_project(key).disagreements(coder_a, coder_b, units, _decided(key, _token), segments)


def consensus(key: ProjectKey, token: Token) -> dict[tuple[int, str], str]:
    """(segment, code) -> the consensus decision recorded so far, read from the current codings."""
    from coding.models import CONSENSUS

    codings = frames(key, token).codings
    decided = codings[(codings["source"] == HUMAN) & (codings["person"] == CONSENSUS)]
    return {
        (int(s), str(c)): ("applied" if status == ACCEPTED else "not applied")
        for s, c, status in zip(decided["segment_id"], decided["code"], decided["status"], strict=True)
    }
