"""The dashboard's first page without reading every coding (issue 17: at 10,000 transcripts the frames of every
coding and segment take tens of seconds and gigabytes). Under the sidebar's default reading the Themes tables,
their column bases and the segments behind a cell are counted in the database (app.data.in_database); they
must equal what the frames give, and rendering Themes must not read the frames at all."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from test_app import project_dir  # noqa: F401  (the fixture: three interviews, two coders, rule suggestions)

from coding import analysis
from coding.project import open_project

THEMES = Path(__file__).resolve().parents[1] / "app" / "views" / "themes.py"
READINGS = [(), ("ann",), ("ben", "ann"), ("cy",)]


@pytest.fixture
def decided(project_dir: Path) -> Path:  # noqa: F811
    """Some rule suggestions accepted by ben and cy, one rejected: decisions count under whoever made them."""
    project = open_project(project_dir)
    suggestions = project.codings("auto")
    assert len(suggestions) >= 3
    for i, coding_id in enumerate(suggestions["coding_id"].head(6)):
        project.decide_suggestion(int(coding_id), accept=i != 1, coder="ben" if i % 2 else "cy")
    return project_dir


@pytest.mark.parametrize("coders", READINGS)
def test_counted_in_the_database_equals_the_frames(decided: Path, coders: tuple[str, ...]) -> None:
    from qcode_app import data, state

    st.cache_resource.clear()
    st.cache_data.clear()
    key = state.project_key()
    assert key is not None
    token = state.cached_project(key).state_token()
    filters = data.Filters(coders=coders)
    assert data.in_database(filters)
    assert not data.in_database(data.Filters(statuses=("accepted", "suggested")))
    # what app.data counted before: the filtered frames of every coding
    _, segments, respondents = data.filtered(key, token, filters)
    pairs = data.rolled(key, token, filters)
    book = data.codebook(key, token)
    for count in ("segments", "respondents"):
        expected = analysis.crosstab(pairs, segments, respondents, book, "group", count, "none", rolled=True)
        pd.testing.assert_frame_equal(data.crosstab(key, token, filters, "group", count, "none"), expected)
        bases = analysis.column_bases(segments, respondents, "group", count)
        pd.testing.assert_series_equal(data.column_bases(key, token, filters, "group", count), bases)
    values = [*analysis.attribute_values(respondents, "group").unique(), analysis.TOTAL]
    found_any = False
    for code in book.by_id():
        for value in values:
            expected_ids = analysis.segments_in_cell(
                pairs, segments, respondents, book, code, "group", value, rolled=True
            )
            ids = data.cell_segments(key, token, filters, code, "group", value)
            assert ids == [int(s) for s in expected_ids["segment_id"]], (code, value)
            found_any |= bool(ids)
    assert found_any or coders == ("cy",) and not len(pairs)


def test_quotes_without_frames_are_the_quotes_with_them(decided: Path) -> None:
    from qcode_app import data, state

    st.cache_resource.clear()
    st.cache_data.clear()
    key = state.project_key()
    assert key is not None
    project = state.cached_project(key)
    ids = data.cell_segments(key, project.state_token(), data.Filters(), "fear")
    assert ids
    alone = project.quotes(ids, context=True)
    given = project.quotes(ids, project.segments_frame(), project.respondents(), context=True)
    pd.testing.assert_frame_equal(alone.reset_index(drop=True), given.reset_index(drop=True))
    assert project.quotes([]).empty


def test_the_themes_page_renders_without_reading_every_coding(decided: Path) -> None:
    from qcode_app import data, state

    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(THEMES), default_timeout=60)
    at.session_state["coder"] = "ann"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    key = state.project_key()
    assert key not in data._latest_frames(), "the first page read the frames of every coding"
    assert at.title[0].value == "Themes"
    assert any(m.value.startswith("**") and "·" in m.value for m in at.markdown) or at.subheader, "no quotes"


AGREEMENT = THEMES.parent / "agreement.py"


@pytest.mark.parametrize("units", ["documents", "touched"])
def test_the_agreement_page_counts_in_the_database_until_the_frames_are_read(decided: Path, units: str) -> None:
    """A first visit to Agreement counts its table in the database (no frames read); once another page has
    read the frames, the table comes from them (kept on the coders' own work); the figures are the same."""
    from qcode_app import data, state

    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(AGREEMENT), default_timeout=60)
    at.session_state["agree_units"] = units
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    key = state.project_key()
    assert key not in data._latest_frames(), "Agreement read the frames of every coding on a first visit"
    counted = [(m.label, m.value) for m in at.metric]
    assert counted and all(value not in ("", "undefined") for _, value in counted[:2])

    token = state.cached_project(key).state_token()
    data.frames(key, token)  # as a page or filter that needs every coding would
    again = AppTest.from_file(str(AGREEMENT), default_timeout=60)
    again.session_state["agree_units"] = units
    again.run()
    assert not again.exception
    assert [(m.label, m.value) for m in again.metric] == counted
    chosen = ("ann", "ben")
    pd.testing.assert_frame_equal(
        data.counted_agreement(key, chosen, units, token),
        data.agreement(key, data.coders_state(key, token, list(chosen)), chosen, units, token),
    )


def test_the_agreement_page_counts_again_after_a_bulk_change_and_reads_frames_to_review(decided: Path) -> None:
    """Frames held from before a bulk change (an import, autocoding) would be read again whole: Agreement
    counts in the database instead. After a single edit they are brought up to date cheaply and used. With
    the review open on arrival, the review reads the frames anyway, and the table comes from them."""
    from qcode_app import data, state

    st.cache_resource.clear()
    st.cache_data.clear()
    key = state.project_key()
    assert key is not None
    project = state.cached_project(key)
    before = project.state_token()
    data.frames(key, before)
    assert data.frames_held(key, before)
    segment = int(project.segments_frame()["segment_id"].iloc[0])
    project.apply_code(segment, "hope", "ann")  # one edit: the frames are refreshed, not read again
    edited = project.state_token()
    assert edited != before and data.frames_held(key, edited)
    project.autocode(rules=True)  # a bulk change: the frames would be read whole again
    assert not data.frames_held(key, project.state_token())

    st.cache_resource.clear()
    at = AppTest.from_file(str(AGREEMENT), default_timeout=60)
    at.session_state["agree_review"] = True
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert key in data._latest_frames(), "the review was open: the table came from the frames it reads"
