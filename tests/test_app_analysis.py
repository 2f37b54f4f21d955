"""The analysis pages (search, words, matrices, code relations, portrait) in Streamlit's AppTest.

Each page file is run on its own (main.py registers pages; the lead adds these): the sidebar's filters then
default to everyone, as on a first visit."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_app import project_dir  # noqa: F401  (the fixture: three interviews, two coders, rule suggestions)

from coding.project import open_project

VIEWS = Path(__file__).resolve().parents[1] / "app" / "views"
TIMEOUT = 60


def run(page: str, coder: str | None = None, **state: object) -> AppTest:
    at = AppTest.from_file(str(VIEWS / page), default_timeout=TIMEOUT)
    if coder:
        at.session_state["coder"] = coder
    for name, value in state.items():
        at.session_state[name] = value
    return at.run()


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert found, f"no table with a {column!r} column: {[list(d.value.columns) for d in at.dataframe]}"
    return found[0]


@pytest.mark.parametrize("page", ["search.py", "words.py", "matrices.py", "relations.py", "portrait.py"])
def test_every_analysis_page_renders(project_dir: Path, page: str) -> None:  # noqa: F811
    at = run(page, "ann")
    no_errors(at)
    assert at.title


def test_search_shows_keyword_in_context_and_codes_hits_undoably(project_dir: Path) -> None:  # noqa: F811
    at = run("search.py", "cara")
    at.text_input(key="_w_search_query").input("afraid").run()
    no_errors(at)
    hits = table_with(at, "Match")
    assert hits["Match"].tolist() == ["afraid", "afraid"]
    assert hits["Respondent"].tolist() == ["R01", "R03"]
    assert hits["Right"].iloc[0].startswith(" when the soldiers")
    at.selectbox(key="search_code").set_value("hope").run()
    at.button(key="search_code_all").click().run()
    no_errors(at)
    coded = open_project(project_dir).codings("human", ["cara"])
    assert sorted(coded["code"]) == ["hope", "hope"]
    at.button(key="search_undo").click().run()
    no_errors(at)
    assert open_project(project_dir).codings("human", ["cara"]).empty


def test_search_filtered_by_code(project_dir: Path) -> None:  # noqa: F811
    at = run("search.py", "ann", search_query="the", search_codes=["family"])
    no_errors(at)
    hits = table_with(at, "Match")
    assert set(hits["Respondent"]) == {"R01", "R03"}  # "the cellar", "the city": ann coded both Family
