"""The analysis pages (search, words, matrices, code relations, portrait) in Streamlit's AppTest.

Each page file is run on its own (main.py registers them; tests/test_app.py renders them under main.py with its
sidebar): the sidebar's filters then default to everyone, as on a first visit."""

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
    at.session_state["themes_tables_open"] = True  # drawn on request
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
    spans = open_project(project_dir).spans(coders=["cara"])
    assert spans["text"].tolist() == ["afraid", "afraid"]  # the matched words, exactly
    at.button(key="search_undo").click().run()
    no_errors(at)
    assert open_project(project_dir).codings("human", ["cara"]).empty  # both hits in one undo step
    at.radio(key="search_what").set_value("unit").run()
    at.button(key="search_code_all").click().run()
    no_errors(at)
    project = open_project(project_dir)
    units = project.segments_frame().set_index("segment_id")
    coded = project.codings("human", ["cara"])
    spans = project.spans(coders=["cara"])
    expected = sorted(units.loc[coded["segment_id"], ["start", "end"]].itertuples(index=False, name=None))
    assert sorted(spans[["start", "end"]].itertuples(index=False, name=None)) == expected  # whole units


def test_search_filtered_by_code(project_dir: Path) -> None:  # noqa: F811
    at = run("search.py", "ann", search_query="the", search_codes=["family"])
    no_errors(at)
    hits = table_with(at, "Match")
    assert set(hits["Respondent"]) == {"R01", "R03"}  # "the cellar", "the city": ann coded both Family


def test_matrices_two_attributes_equal_the_library_table_and_its_xlsx(project_dir: Path) -> None:  # noqa: F811
    import io

    import openpyxl

    from coding import analysis, publication_form
    from qcode_app.publication_download import file_bytes

    at = run("matrices.py", "ann", mx_a="group", mx_b="gender", mx_count="respondents", mx_percent="column")
    no_errors(at)
    shown = table_with(at, "north / female")
    project = open_project(project_dir)
    # The page counts every status and source the sidebar allows by default: accepted codings of anyone.
    codings = project.codings("all")
    codings = codings[codings["status"] == "accepted"]
    args = (codings, project.segments_frame(), project.respondents(), project.codebook, ["group", "gender"])
    counts = analysis.crosstab_by(*args, "respondents")
    shares = analysis.crosstab_by(*args, "respondents", "column")
    bases = analysis.column_bases_by(
        project.segments_frame(), project.respondents(), ["group", "gender"], "respondents"
    )
    expected = publication_form.publication_frame(counts, shares, bases, "cell", n_label="n (respondents)")
    assert shown.astype(str).to_numpy().tolist() == expected.astype(str).to_numpy().tolist()
    assert shown.loc[shown["Code"] == "Family", "north / female"].iloc[0] == "1 (100%)"
    assert shown.iloc[-1]["Code"] == "n (respondents)" and shown.iloc[-1]["Total"] == "3"
    book = openpyxl.load_workbook(io.BytesIO(file_bytes(expected, {"Counts": "respondents"}, ".xlsx")))
    rows = list(book["Data"].iter_rows(values_only=True))
    assert list(rows[0]) == expected.columns.tolist()
    for record, found in zip(expected.itertuples(index=False), rows[1:], strict=True):
        assert [None if pd.isna(v) else v for v in record] == list(found)
    assert "Coders" in " ".join(c.value for c in at.caption)


def test_code_by_respondent_matrix_page(project_dir: Path) -> None:  # noqa: F811
    at = run("matrices.py", "ann", mx_kind="Code x respondent", mx_order="group", mx_values="presence")
    no_errors(at)
    shown = table_with(at, "north / R01")
    assert [c for c in shown.columns if c != "Code"] == ["north / R01", "north / R02", "south / R03"]
    family = shown[shown["Code"] == "Family"].iloc[0]
    assert family[["north / R01", "north / R02", "south / R03"]].tolist() == [1, 0, 1]


def test_words_page_counts_and_quotes(project_dir: Path) -> None:  # noqa: F811
    at = run("words.py", "ann", words_by="group", words_stop=True)
    no_errors(at)
    freq = table_with(at, "Word")
    assert "afraid" in freq["Word"].tolist() and "the" not in freq["Word"].tolist()
    row = freq[freq["Word"] == "afraid"].iloc[0]
    assert (row["north"], row["south"], row["Total"]) == (1, 1, 2)
    at.selectbox(key="_w_words_word").set_value("afraid").run()
    quotes = table_with(at, "match")
    assert quotes["match"].str.lower().tolist() == ["afraid", "afraid"]


def test_relations_page_marks_both_codes_and_keeps_parents_apart(project_dir: Path) -> None:  # noqa: F811
    at = run(
        "relations.py",
        "ann",
        rel_scope="turn",
        rel_a="fear",
        rel_b="family",
        rel_profile_code="fear",
        rel_show_profile=True,
    )
    no_errors(at)
    text = "\n".join(m.value for m in at.markdown)
    # R01's turn: ann's Violence (under Fear) and ann's Family; R03's turn: Family and ben's Violence.
    assert "I was afraid when the soldiers came." in text and "My mother hid us in the cellar." in text
    assert "2 respondent turns" in text
    profile = table_with(at, "north")
    assert "Violence" not in profile["Code"].str.strip().tolist(), "a parent's profile leaves out its children"
    family = profile[profile["Code"] == "Family"].iloc[0]
    assert (family["north"], family["south"], family["Total"]) == ("1 (100%)", "1 (100%)", "2 (100%)")


def test_portrait_page_draws_a_code_line(project_dir: Path) -> None:  # noqa: F811
    at = run("portrait.py", "ann", document="R01")
    no_errors(at)
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert charts, "the strip is drawn"


def test_themes_and_cooccurrence_download_publication_tables(project_dir: Path) -> None:  # noqa: F811
    import io

    import openpyxl

    from coding import analysis
    from qcode_app import data, publication_download, state

    for page, name in (("themes.py", "themes_publication"), ("cooccurrence.py", "cooc_publication")):
        at = run(page, "ann")
        no_errors(at)
        keys = {d.proto.id for d in at.get("download_button")}
        assert any(name in k for k in keys), (page, keys)

    key = state.project_key()
    assert key is not None
    token = state.cached_project(key).state_token()
    table, about = publication_download.crosstab_publication(
        key, token, data.Filters(), "group", "respondents", "column"
    )
    project = open_project(project_dir)
    codings = project.codings("all")
    codings = codings[codings["status"] == "accepted"]
    args = (codings, project.segments_frame(), project.respondents(), project.codebook, "group", "respondents")
    counts = analysis.crosstab(*args)
    bases = analysis.column_bases(project.segments_frame(), project.respondents(), "group", "respondents")
    book = openpyxl.load_workbook(io.BytesIO(publication_download.file_bytes(table, about, ".xlsx")))
    rows = list(book["Data"].iter_rows(values_only=True))
    header = list(rows[0])
    assert header == ["Code", "north", "south", "Total"]
    for found, (code, row) in zip(rows[1:-1], counts.iterrows(), strict=True):
        assert found[0].strip() == row["name"]
        for column, cell in zip(header[1:], found[1:], strict=True):
            base = int(bases[column])
            assert cell == f"{int(row[column])} ({round(100 * int(row[column]) / base)}%)", (code, column)
    assert rows[-1][0] == "n (respondents)" and [int(v) for v in rows[-1][1:]] == [int(bases[c]) for c in header[1:]]
    notes = dict(list(book["About"].iter_rows(values_only=True))[1:])
    assert notes["Percentages"].startswith("of the column") and "respondents coded" in notes["Counts"]

    matrix, _ = publication_download.cooccurrence_publication(key, token, data.Filters(), ("hope", "fear", "family"))
    expected = analysis.cooccurrence(analysis.rolled_up(codings, project.codebook), project.codebook, rolled=True)
    assert matrix["Code"].tolist() == ["Hope", "Fear", "Family"]
    assert matrix["Fear"].tolist() == expected.loc[["hope", "fear", "family"], "fear"].tolist()


def test_heatmaps_download_as_svg_and_png_with_their_caption(project_dir: Path) -> None:  # noqa: F811
    import io
    import xml.etree.ElementTree as ET

    from PIL import Image

    from qcode_app import chart_download, charts, data, state

    at = run("themes.py", "ann")
    no_errors(at)
    keys = {d.proto.id for d in at.get("download_button")}
    assert any("svg_themes_heatmap" in k for k in keys) and any("png_themes_heatmap" in k for k in keys), keys

    key = state.project_key()
    assert key is not None
    token = state.cached_project(key).state_token()
    spec = charts.crosstab_spec(key, token, data.Filters(), "group", "segments", "none")
    caption = "Cells count segments coded with each code. Coders: every coder pooled."
    svg = chart_download.svg_bytes(spec, caption).decode("utf-8")
    texts = ["".join(t.itertext()) for t in ET.fromstring(svg).iter() if t.tag.endswith("}text")]
    assert caption in texts, "the file says what it counts"
    assert {"Hope", "Fear", "Family"} <= set(texts) and "north" in " ".join(texts)
    png = Image.open(io.BytesIO(chart_download.png_bytes(spec, caption)))
    assert png.format == "PNG" and png.width > 200 and png.height > 100
