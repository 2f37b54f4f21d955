"""Disclosure control in the dashboard (Streamlit's AppTest): with the project's k set, cells resting on
fewer than k respondents show no number and no quotes on Themes, Matrices, Co-occurrence and Export, their
downloads say so, and the sidebar's control sets k for the command line too.

The project (tests/test_app.py): R01 and R02 in group north, R03 alone in south. ann coded R01 Violence and
Family, R02 Hope, R03 Family; ben coded R01 Fear, R02 Hope, R03 Violence."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest
from test_app import heat_grid_cells, project_dir  # noqa: F401  (the fixture)
from test_widget_keys import held, send_with_held

from coding.project import open_project
from qcode_app import disclosure_setting

VIEWS = Path(__file__).resolve().parents[1] / "app" / "views"
TIMEOUT = 60
HIDDEN = "–"


def run(page: str, **state: object) -> AppTest:
    at = AppTest.from_file(str(VIEWS / page), default_timeout=TIMEOUT)
    at.session_state["coder"] = "ann"
    at.session_state["themes_tables_open"] = True  # drawn on request
    for name, value in state.items():
        at.session_state[name] = value
    return at.run()


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert found, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def row(table: pd.DataFrame, name: str) -> pd.Series:
    return table[table["Code"].astype(str).str.strip() == name].iloc[0]


def texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [i.value for i in at.info] + [c.value for c in at.caption])


def test_themes_without_the_setting_shows_every_number_and_quote(project_dir: Path) -> None:  # noqa: F811
    at = run("themes.py", themes_code="family", themes_value="north")
    no_errors(at)
    assert row(frame_with(at, "north"), "Family")["north"] == 1
    assert heat_grid_cells(at).loc[("family", "north"), "text"] == "1"
    assert "My mother hid us in the cellar." in texts(at)
    assert not [i for i in at.info if "Hidden" in i.value]


def test_themes_hides_small_cells_their_quotes_and_small_columns(project_dir: Path) -> None:  # noqa: F811
    open_project(project_dir).set_min_respondents(2)
    at = run("themes.py", themes_code="family", themes_value="north", themes_count="respondents")
    no_errors(at)
    table = frame_with(at, "north")
    family = row(table, "Family")
    assert family["north"] == HIDDEN  # R01 alone
    assert family["south"] == HIDDEN  # south is one respondent: the whole column
    assert row(table, "Hope")["Total"] == HIDDEN  # R02 alone, even overall
    assert family["Total"] == "2" and row(table, "Fear")["Total"] == "2"  # R01 and R03: shown
    cells = heat_grid_cells(at)
    hidden = cells.loc[("family", "north")]
    # grey with a dash, and no number anywhere in what the browser gets (its tooltip names code and column)
    assert hidden["text"] == HIDDEN and hidden["fill"] == "#ececec"
    assert hidden["tip"] == "Family · north: hidden (disclosure control)"
    assert cells.loc[("family", "Total"), "text"] == "2"
    # the quote behind the hidden cell is not on the page, and the page says why
    page = texts(at)
    assert "My mother hid us in the cellar." not in page
    assert any("Hidden" in i.value and "fewer than 2 respondents" in i.value for i in at.info)
    assert "fewer than 2 respondents are hidden" in page  # the threshold in the captions


def test_grid_outlines_the_cell_whose_quotes_are_shown(project_dir: Path) -> None:  # noqa: F811
    """On a first visit, and when a remembered value is no longer a column, the selectboxes fall back: the grid
    outlines the cell they show, not what was remembered."""
    for state in ({}, {"themes_code": "fear", "themes_value": "a value of another attribute"}):
        at = run("themes.py", **state)
        no_errors(at)
        shown = (at.selectbox(key="_w_themes_code").value, at.selectbox(key="_w_themes_value").value)
        cells = heat_grid_cells(at)
        assert shown[1] == "Total" and cells.attrs["picked"] == list(shown), state


def test_themes_total_cell_keeps_its_quotes(project_dir: Path) -> None:  # noqa: F811
    open_project(project_dir).set_min_respondents(2)
    at = run("themes.py", themes_code="family", themes_value="Total")
    no_errors(at)
    page = texts(at)
    assert "My mother hid us in the cellar." in page and "My brother left for the city." in page


def test_code_frequencies_hide_codes_few_respondents_have(project_dir: Path) -> None:  # noqa: F811
    open_project(project_dir).set_min_respondents(2)
    at = run("themes.py", themes_table="Code frequencies")
    no_errors(at)
    table = frame_with(at, "Respondents")
    assert row(table, "Hope")["Respondents"] == HIDDEN and row(table, "Hope")["Segments"] == HIDDEN
    assert row(table, "Family")["Respondents"] == "2"


def test_themes_publication_download_is_suppressed_with_its_note(project_dir: Path) -> None:  # noqa: F811
    from qcode_app import data, publication_download, state

    open_project(project_dir).set_min_respondents(2)
    key = state.project_key()
    assert key is not None
    token = state.cached_project(key).state_token()
    table, about = publication_download.crosstab_publication(key, token, data.Filters(), "group", "segments", "none", 2)
    family = table[table["Code"].astype(str).str.strip() == "Family"].iloc[0]
    assert pd.isna(family["north"]) and family["Total"] == 2
    assert "fewer than 2 respondents" in about["Suppressed"]
    csv = publication_download.file_bytes(table, about, ".csv").decode("utf-8-sig")
    assert "fewer than 2 respondents" in csv


def test_matrices_hide_small_cells_and_the_case_matrix(project_dir: Path) -> None:  # noqa: F811
    project = open_project(project_dir)
    at = run("matrices.py", mx_kind="Two attributes", mx_count="respondents", mx_percent="none")
    no_errors(at)
    before = at.dataframe[0].value
    project.set_min_respondents(2)
    at = run("matrices.py", mx_kind="Two attributes", mx_count="respondents", mx_percent="none")
    no_errors(at)
    after = at.dataframe[0].value
    numbers = [c for c in before.columns if c != "Code"]
    shown_before = (before[numbers].astype(str).replace({"": None, "nan": None}).notna()).to_numpy().sum()
    hidden_after = (after[numbers].astype(str) == disclosure_setting.HIDDEN).to_numpy().sum()
    assert hidden_after > 0  # every column here is one or two respondents: a dash, not a number or "None"
    assert "None" not in after[numbers].astype(str).to_numpy()
    assert hidden_after <= shown_before
    assert any("fewer than 2 respondents" in c.value for c in at.caption)
    at = run("matrices.py", mx_kind="Code x respondent")
    no_errors(at)
    assert not at.dataframe and any("each column of this matrix is one respondent" in i.value for i in at.info)


def test_cooccurrence_hides_pairs_few_respondents_share(project_dir: Path) -> None:  # noqa: F811
    open_project(project_dir).set_min_respondents(2)
    at = run("cooccurrence.py", cooc_a="hope", cooc_b="hope")
    no_errors(at)
    cells = heat_grid_cells(at)
    assert cells.loc[("hope", "hope"), "text"] == HIDDEN  # R02 alone
    assert cells.loc[("family", "family"), "text"] == "2"  # R01 and R03
    assert "We will rebuild the school next year." not in texts(at)
    assert any("Hidden" in i.value for i in at.info)
    matrix = frame_with(at, "Hope")
    assert matrix[matrix["Code"].astype(str).str.strip() == "Hope"].iloc[0]["Hope"] == HIDDEN


def test_export_withholds_quotes_behind_small_cells(project_dir: Path) -> None:  # noqa: F811
    from coding.disclosure import withheld_codings

    project = open_project(project_dir)
    project.set_min_respondents(2)
    at = run("export.py")
    no_errors(at)
    assert any("Disclosure control is on (k = 2" in w.value for w in at.warning)
    codings = project.long_codings()
    withheld = withheld_codings(codings, [], 2)
    hope = codings["code"] == "hope"
    assert withheld[hope].all()  # only R02 has Hope
    assert not withheld[codings["code"] == "family"].any()  # R01 and R03


def control_page() -> None:
    """The sidebar's disclosure control alone (run by AppTest.from_function: its imports inside)."""
    import streamlit as st

    from qcode_app import disclosure_setting, state

    key, _token = state.context()
    with st.sidebar:
        disclosure_setting.control(key)


def sidebar_control(coder: str = "ann") -> AppTest:
    at = AppTest.from_function(control_page, default_timeout=TIMEOUT)
    at.session_state["coder"] = coder
    return at.run()


def test_sidebar_control_sets_the_projects_k_for_everyone(project_dir: Path) -> None:  # noqa: F811
    at = sidebar_control()
    no_errors(at)
    assert open_project(project_dir).min_respondents == 0
    at.sidebar.toggle[0].set_value(True).run()
    assert open_project(project_dir).min_respondents == 3  # the proposed k
    at.sidebar.number_input[0].set_value(5).run()
    assert open_project(project_dir).min_respondents == 5
    at.sidebar.toggle[0].set_value(False).run()
    no_errors(at)
    project = open_project(project_dir)
    assert project.min_respondents == 0
    log = project.store.log_frame()
    changes = log[log["action"] == "set_disclosure"]
    assert len(changes) == 3 and set(changes["actor"]) == {"ann"}


def test_a_switch_this_browser_still_holds_does_not_undo_another_leads_change(project_dir: Path) -> None:  # noqa: F811
    """Another lead turns disclosure control off; this browser, whose next run was cut short, still holds the
    switch on and sends it back as it was: the project stays as the other lead left it."""
    at = sidebar_control()
    at.sidebar.toggle[0].set_value(True).run()
    switch = held(at.sidebar.toggle[0])  # on
    assert open_project(project_dir).min_respondents == 3
    open_project(project_dir).set_min_respondents(0, actor="ben")  # another lead, another session
    at.run()
    send_with_held(at, switch)
    no_errors(at)
    assert open_project(project_dir).min_respondents == 0
    assert at.sidebar.toggle[0].value is False


def test_k_typed_twice_before_the_page_caught_up_keeps_the_second(project_dir: Path) -> None:  # noqa: F811
    at = sidebar_control()
    at.sidebar.toggle[0].set_value(True).run()
    box = held(at.sidebar.number_input[0].set_value(7))
    at.run()
    assert open_project(project_dir).min_respondents == 7
    box.double_value = 3  # typed again into the box the browser still shows
    send_with_held(at, box)
    no_errors(at)
    assert open_project(project_dir).min_respondents == 3
    at.run()
    assert at.sidebar.number_input[0].value == 3
