"""The Streamlit dashboard in Streamlit's AppTest: every page renders, filters and edits reach the tables.

The project is tiny and cut into turns with a blank spaCy pipeline, so no trained pipeline is loaded.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from project_factory import own_decision
from streamlit.testing.v1 import AppTest

from coding.project import Project, create_project, open_project
from coding.store import codings as stored_codings

MAIN = Path(__file__).resolve().parents[1] / "app" / "main.py"
PAGES = [
    "views/themes.py",
    "views/matrices.py",
    "views/cooccurrence.py",
    "views/relations.py",
    "views/search.py",
    "views/words.py",
    "views/transcripts.py",
    "views/portrait.py",
    "views/codebook.py",
    "views/respondents.py",
    "views/export.py",
    "views/agreement.py",
]
TIMEOUT = 60  # the first run imports the library (spaCy, scikit-learn)

CODEBOOK = """\
name: Test codebook
version: "1"
codes:
  - id: hope
    name: Hope
    definition: Looking forward to something better.
    include: Plans and wishes for the future.
    exclude: Nostalgia.
    examples: ["We will rebuild the school."]
    color: "#2e9e6b"
    match: {keywords: [rebuild, future]}
  - id: fear
    name: Fear
    definition: Being afraid of what may happen.
    color: "#c0392b"
    match: {keywords: [afraid]}
  - id: fear.violence
    name: Violence
    parent: fear
    definition: Fear of fighting and armed men.
    color: "#8e44ad"
    match: {keywords: [soldiers, shooting]}
  - id: family
    name: Family
    definition: Relatives and the household.
    color: "#1f4e9c"
    match: {keywords: [mother, brother]}
"""

TRANSCRIPTS = {
    "R01": ("north", "female", "I was afraid when the soldiers came.\n\nMy mother hid us in the cellar."),
    "R02": ("north", "male", "We will rebuild the school next year.\n\nThe future is better now."),
    "R03": ("south", "female", "My brother left for the city.\n\nNobody was afraid of the shooting any more."),
}


def write_corpus(folder: Path) -> tuple[Path, Path]:
    transcripts = folder / "transcripts"
    transcripts.mkdir(parents=True)
    for rid, (group, gender, answer) in TRANSCRIPTS.items():
        text = (
            f"---\nrespondent_id: {rid}\ngroup: {group}\ngender: {gender}\n---\n"
            f"Interviewer: What happened in the war?\n\n{rid}: {answer}\n"
        )
        (transcripts / f"{rid}.txt").write_text(text, encoding="utf-8")
    metadata = folder / "respondents.csv"
    with metadata.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["respondent_id", "group", "gender"])
        writer.writerows([rid, group, gender] for rid, (group, gender, _) in TRANSCRIPTS.items())
    return transcripts, metadata


def new_project(folder: Path) -> Project:
    """A project on the blank pipeline (no trained spaCy pipeline needed), coded in paragraphs."""
    codebook = folder.parent / f"{folder.name}-codebook.yaml"
    codebook.write_text(CODEBOOK, encoding="utf-8")
    create_project(folder, codebook=codebook, name="Test study")
    config = folder / "qcode.toml"
    config.write_text(config.read_text().replace('pipeline = ""', 'pipeline = "blank"'), encoding="utf-8")
    return open_project(folder)


def import_rows(project: Project, folder: Path, coder: str, rows: list[tuple[str, str, str]]) -> None:
    path = folder / f"{coder}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["document", "code", "text"])
        writer.writerows(rows)
    project.import_codings(path, coder)


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "study"
    project = new_project(folder)
    transcripts, metadata = write_corpus(tmp_path / "corpus")
    project.ingest([transcripts], metadata=metadata)
    project.segment("paragraph")
    import_rows(
        project,
        tmp_path,
        "ann",
        [
            ("R01", "fear.violence", "I was afraid when the soldiers came."),
            ("R01", "family", "My mother hid us in the cellar."),
            ("R02", "hope", "We will rebuild the school next year."),
            ("R03", "family", "My brother left for the city."),
        ],
    )
    import_rows(
        project,
        tmp_path,
        "ben",
        [
            ("R01", "fear", "I was afraid when the soldiers came."),
            ("R02", "hope", "We will rebuild the school next year."),
            ("R03", "fear.violence", "Nobody was afraid of the shooting any more."),
        ],
    )
    project.autocode(rules=True, model=False)
    monkeypatch.setenv("QCODE_PROJECT", str(folder))
    monkeypatch.delenv("QCODE_DB", raising=False)
    return folder


def app(coder: str | None = None, opened: bool = True) -> AppTest:
    """The dashboard's first page; `opened`: with the sidebar's filters and coder name and the Themes tables
    open (each is drawn only on request)."""
    at = AppTest.from_file(str(MAIN), default_timeout=TIMEOUT)
    if coder:
        at.session_state["coder"] = coder
    if opened:
        for panel in ("filters_open", "themes_tables_open", "coder_open"):
            at.session_state[panel] = True
    return at.run()


def page(at: AppTest, path: str) -> AppTest:
    at.switch_page(path)
    return at.run()


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert found, f"no table with a {column!r} column"
    return found[0]


def code_row(table: pd.DataFrame, name: str) -> pd.Series:
    rows = table[table["Code"].str.strip() == name]
    assert len(rows) == 1, table["Code"].tolist()
    return rows.iloc[0]


def toggle(at: AppTest, name: str):  # type: ignore[no-untyped-def]
    found = [t for t in at.toggle if t.label.replace("\u00a0", " ").strip().startswith(name)]
    assert found, [t.label for t in at.toggle]
    return found[0]


def markdown_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


# ----- every page ---------------------------------------------------------------------------------
@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_without_errors(project_dir: Path, path: str) -> None:
    at = page(app("ann"), path)
    no_errors(at)
    assert at.title, "every page has a title"
    sidebar = "\n".join(m.value for m in at.sidebar.markdown)
    assert "Test study" in sidebar
    assert "3 respondents" in "\n".join(c.value for c in at.sidebar.caption)


def test_sidebar_offers_coder_and_filters(project_dir: Path) -> None:
    at = app()
    labels = [m.label for m in at.sidebar.multiselect]
    assert {"Group", "Gender", "Coders", "Codes made by", "Status"} <= set(labels)
    at.sidebar.text_input[0].input("cara").run()
    assert at.session_state["coder"] == "cara"
    assert "Coding as **cara**" in "\n".join(m.value for m in at.sidebar.markdown)


def heat_grid_cells(at: AppTest) -> pd.DataFrame:
    """The Themes heat grid as Streamlit sends it to the browser: one row per (code, column) with the cell's
    text, fill and ink, in the grid's order."""
    grids = [e.proto for e in at.get("bidi_component") if e.proto.component_name.endswith("heat_grid")]
    assert len(grids) == 1, "one heat grid on the page"
    grid = json.loads(grids[0].json)
    rows = [
        {"code": row["code"], "column": column["key"], **grid["cells"][i][j]}
        for i, row in enumerate(grid["rows"])
        for j, column in enumerate(grid["columns"])
    ]
    cells = pd.DataFrame(rows).set_index(["code", "column"])
    cells.attrs["picked"] = grid["picked"]
    return cells


def test_themes_shows_heatmap_tables_quotes_and_downloads(project_dir: Path) -> None:
    at = app()
    no_errors(at)
    assert at.selectbox(key="_w_themes_by").value == "group"
    cells = heat_grid_cells(at)
    assert cells.loc[("fear", "north"), "text"] == "1" and cells.loc[("family", "Total"), "text"] == "2"
    table = frame_with(at, "north")
    # Fear counts its child Violence: R01 (ann's violence, ben's fear) and R03 (ben's violence).
    assert code_row(table, "Fear")["north"] == 1 and code_row(table, "Fear")["south"] == 1
    assert code_row(table, "Family")["Total"] == 2
    downloads = at.get("download_button")
    assert len(downloads) >= 2, "the table and the quotes each have a download"
    assert "respondent_id" not in table.columns and "Code" in table.columns


def test_tables_and_filter_choosers_are_drawn_only_on_request(project_dir: Path) -> None:
    """The first page is the heatmap and its quotes: the table grid and nine multiselects were a third of its
    time in the browser. A filter chosen and then folded away still counts, and the sidebar says which."""
    at = app(opened=False)
    no_errors(at)
    assert len(heat_grid_cells(at)) and not at.dataframe and not at.sidebar.multiselect
    assert "R03" in markdown_text(at) and "qc-quote" in markdown_text(at), "the quotes are there"
    captions = [c.value for c in at.sidebar.caption]
    assert "All respondents · every coder pooled · codes by people, rules, model · accepted codes" in captions
    assert "Disclosure control: off." in captions and not at.sidebar.toggle and not at.sidebar.text_input
    at.session_state["filters_open"] = True
    at.run()
    at.sidebar.multiselect(key="_w_f_attr_group").set_value(["north"]).run()
    at.session_state["filters_open"] = False
    at.run()
    assert not at.sidebar.multiselect
    assert any(c.value.startswith("Group\\: north · ") for c in at.sidebar.caption)
    at.session_state["themes_tables_open"] = True
    at.run()
    no_errors(at)
    table = frame_with(at, "north")
    assert "south" not in table.columns and code_row(table, "Family")["Total"] == 1


def test_a_cell_shows_its_first_quotes_and_more_on_request(project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qcode_app import widgets

    monkeypatch.setattr(widgets, "FIRST_QUOTES", 1)
    monkeypatch.setattr(widgets, "MORE_QUOTES", 1)
    at = app()
    at.selectbox(key="_w_themes_code").set_value("family").run()
    at.selectbox(key="_w_themes_value").set_value("Total").run()
    assert markdown_text(at).count('class="qc-quote"') == 1
    more = [b for b in at.button if b.label.startswith("Show 1 more (1 of 2 shown)")]
    assert more, [b.label for b in at.button]
    more[0].click().run()
    no_errors(at)
    assert markdown_text(at).count('class="qc-quote"') == 2 and not [
        b for b in at.button if b.label.startswith("Show ")
    ]
    assert "Download these 2 quotes" in [b.label for b in at.get("download_button")]
    at.selectbox(key="_w_themes_value").set_value("north").run()  # another cell starts from its first quotes
    at.selectbox(key="_w_themes_value").set_value("Total").run()
    assert markdown_text(at).count('class="qc-quote"') == 1


def test_panels_keep_their_state_and_choices_of_a_gone_attribute_are_forgotten(project_dir: Path) -> None:
    at = app(opened=False)
    at.session_state["themes_tables_open"] = True
    at.run()
    at = page(page(at, "views/respondents.py"), "views/themes.py")
    assert at.dataframe, "the tables are still open after a visit to another page"
    at.session_state["f_attr_region"] = ["north"]  # a choice kept from an attribute the project no longer has
    at.run()
    no_errors(at)
    assert "f_attr_region" not in at.session_state
    assert "All respondents" in " ".join(c.value for c in at.sidebar.caption)


def test_changing_the_coder_opens_the_name_box(project_dir: Path) -> None:
    at = app("cara", opened=False)
    assert not at.sidebar.text_input
    next(b for b in at.sidebar.button if b.label == "Change").click().run()
    assert [t.label for t in at.sidebar.text_input] == ["Your name as coder"]


def test_the_filter_line_shows_values_from_the_data_as_typed() -> None:
    from qcode_app import data, sidebar

    hostile = "x](https://tracker.example/p.png) ![i](https://tracker.example/i.png) :red[loud] $e$ <b>"
    line = sidebar.describe(data.Filters((("group", (hostile,)),), (hostile,)))
    assert "](" not in line and "![" not in line and ":red[" not in line and "$e$" not in line
    assert line.replace("\\", "").count(hostile) == 2, "every character is still there, shown literally"
    assert "\n" not in sidebar.describe(data.Filters((("group", ("a\n\n    b",)),)))  # no paragraph, no code block


def test_heatmaps_are_valid_vega_lite_with_their_cells(project_dir: Path) -> None:
    import altair as alt

    from qcode_app import charts, data, state

    key = state.project_key()
    assert key is not None
    token = state.cached_project(key).state_token()
    codes = ("hope", "fear", "fear.violence", "family")
    specs = [
        charts.crosstab_spec(key, token, data.Filters(), "group", "segments", "column"),
        charts.cooccurrence_spec(key, token, data.Filters(), codes),
    ]
    for spec in specs:
        alt.LayerChart.from_dict(spec, validate=True)  # raises on anything Vega-Lite would not accept
        cells = spec["datasets"][charts.DATASET]
        assert spec["data"] == {"name": charts.DATASET} and {cell["code"] for cell in cells} == set(codes)
    crosstab = pd.DataFrame(specs[0]["datasets"][charts.DATASET]).set_index(["code", "column"])
    assert crosstab.loc[("family", "Total"), "count"] == 2


def test_code_frequencies_with_the_hierarchy(project_dir: Path) -> None:
    at = app()
    at.segmented_control(key="_w_themes_table").set_value("Code frequencies").run()
    table = frame_with(at, "% of respondents")
    assert table["Code"].tolist() == ["Hope", "Fear", "\u00a0" * 4 + "Violence", "Family"], "children under parents"
    assert code_row(table, "Fear")["Respondents"] == 2 and code_row(table, "Fear")["Segments"] == 2


def test_quotes_follow_the_chosen_cell(project_dir: Path) -> None:
    at = app()
    at.selectbox(key="_w_themes_code").set_value("family").run()
    at.selectbox(key="_w_themes_value").set_value("south").run()
    text = markdown_text(at)
    assert "My brother left for the city." in text
    assert "My mother hid us" not in text
    assert "R03" in text and "female" in text, "each quote names its respondent and attributes"


def test_percentages_and_respondent_counts(project_dir: Path) -> None:
    at = app()
    at.radio(key="_w_themes_count").set_value("respondents").run()
    at.radio(key="_w_themes_percent").set_value("column").run()
    table = frame_with(at, "north")
    assert code_row(table, "Family")["north"] == 50.0  # one of the two northern respondents


def test_a_respondent_filter_changes_the_table(project_dir: Path) -> None:
    at = app()
    assert "south" in frame_with(at, "north").columns
    at.sidebar.multiselect(key="_w_f_attr_group").set_value(["north"]).run()
    table = frame_with(at, "north")
    assert "south" not in table.columns
    assert code_row(table, "Family")["Total"] == 1


def test_coder_and_source_filters_change_the_table(project_dir: Path) -> None:
    at = app()
    at.sidebar.multiselect(key="_w_f_coders").set_value(["ben"]).run()
    assert code_row(frame_with(at, "north"), "Family")["Total"] == 0
    at.sidebar.multiselect(key="_w_f_coders").set_value([]).run()
    at.sidebar.multiselect(key="_w_f_statuses").set_value(["suggested"]).run()
    at.sidebar.multiselect(key="_w_f_sources").set_value(["rule"]).run()
    # The rules suggest Family for the mother and the brother paragraphs.
    assert code_row(frame_with(at, "north"), "Family")["Total"] == 2


def test_coding_a_segment_changes_the_crosstab(project_dir: Path) -> None:
    at = app("cara")
    before = code_row(frame_with(at, "north"), "Hope")["Total"]
    at = page(at, "views/transcripts.py")
    at.selectbox(key="_w_document").set_value("R02").run()
    at.selectbox(key="_w_segment").select_index(1).run()  # "The future is better now."
    toggle(at, "Hope").set_value(True).run()
    no_errors(at)
    codings = open_project(project_dir).codings("human", ["cara"])
    assert codings["code"].tolist() == ["hope"]
    assert toggle(at, "Hope").value is True
    at = page(at, "views/themes.py")
    assert code_row(frame_with(at, "north"), "Hope")["Total"] == before + 1


def test_frames_refreshed_after_edits_equal_a_full_read(project_dir: Path) -> None:
    from qcode_app import data, state

    key = state.project_key()
    assert key is not None
    project = state.cached_project(key)
    before = data.frames(key, project.state_token())
    every = project.codings("all", include_rejected=True)
    suggestion = int(every.loc[every["status"] == "suggested", "coding_id"].iloc[0])
    segments = every["segment_id"].unique()
    project.apply_code(int(segments[0]), "hope", "cara")
    project.remove_code(int(segments[0]), "family", "ann")
    project.decide_suggestion(suggestion, accept=True, coder="cara")
    project.resolve(int(segments[1]), "fear", True, "cara")
    after = data.frames(key, project.state_token())
    assert after.segments is before.segments, "single edits refresh the codings only"
    full = project.decisions()

    def rows(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.sort_values("coding_id").reset_index(drop=True)

    pd.testing.assert_frame_equal(rows(after.codings), rows(full))
    project.autocode(rules=True, model=False)  # not a single edit: everything is read again
    again = data.frames(key, project.state_token())
    assert again.segments is not after.segments
    pd.testing.assert_frame_equal(rows(again.codings), rows(project.decisions()))


def test_removing_a_code(project_dir: Path) -> None:
    at = page(app("ann"), "views/transcripts.py")
    at.selectbox(key="_w_document").set_value("R03").run()
    toggle(at, "Family").set_value(False).run()
    no_errors(at)
    assert open_project(project_dir).codings("human", ["ann"])["code"].tolist().count("family") == 1


def test_accepting_a_suggestion_changes_its_status(project_dir: Path) -> None:
    at = page(app("cara"), "views/transcripts.py")
    at.radio(key="_w_step").set_value("open").run()
    accept = [b for b in at.button if b.label == "Accept"]
    assert accept, "the first segment with a suggestion offers Accept"
    coding_id = int(accept[0].key.split("_")[1])
    accept[0].click().run()
    no_errors(at)
    assert decision_of(project_dir, coding_id, "cara")["status"] == "accepted"
    assert not [b for b in at.button if b.key == f"acc_{coding_id}"], "decided: no longer offered to cara"


def test_rejecting_a_suggestion(project_dir: Path) -> None:
    at = page(app("cara"), "views/transcripts.py")
    at.radio(key="_w_step").set_value("open").run()
    reject = [b for b in at.button if b.label == "Reject"][0]
    coding_id = int(reject.key.split("_")[1])
    reject.click().run()
    assert decision_of(project_dir, coding_id, "cara")["status"] == "rejected"
    other = page(app("dan"), "views/transcripts.py")  # blind: dan still gets to decide it
    other.radio(key="_w_step").set_value("open").run()
    assert [b for b in other.button if b.key == f"rej_{coding_id}"]


def decision_of(project_dir: Path, suggestion_id: int, coder: str) -> pd.Series:
    assert open_project(project_dir).codings("all").set_index("coding_id").at[suggestion_id, "status"] == "suggested"
    return own_decision(open_project(project_dir), suggestion_id, coder)


def test_blind_coding_hides_other_coders_until_asked(project_dir: Path) -> None:
    at = page(app("ben"), "views/transcripts.py")
    at.selectbox(key="_w_document").set_value("R01").run()
    at.selectbox(key="_w_segment").select_index(1).run()  # ann coded Family here, ben did not
    assert toggle(at, "Family").value is False
    assert "Other coders" not in markdown_text(at)
    at.toggle(key="_w_show_others").set_value(True).run()
    assert "<b>ann</b>" in markdown_text(at)


def test_hostile_coder_name_is_escaped_in_the_workbench(project_dir: Path) -> None:
    hostile = '<img src=x onerror="alert(1)"><iframe srcdoc="<script>alert(2)</script>">'
    project = open_project(project_dir)
    segment = next(s for s in project.segments(["R01"]) if s.text == "My mother hid us in the cellar.")
    project.apply_code(int(segment.id or 0), "family", hostile)
    at = page(app("ben"), "views/transcripts.py")
    at.selectbox(key="_w_document").set_value("R01").run()
    at.selectbox(key="_w_segment").select_index(1).run()
    at.toggle(key="_w_show_others").set_value(True).run()
    shown = markdown_text(at)
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in shown
    assert "<img" not in shown and "<iframe" not in shown


def test_the_coder_name_is_kept_in_the_url_across_reloads(project_dir: Path) -> None:
    at = app()
    at.text_input(key="_coder_input").input("ann").run()
    assert at.query_params["coder"] in ("ann", ["ann"])
    reloaded = AppTest.from_file(str(MAIN), default_timeout=TIMEOUT)
    reloaded.query_params["coder"] = "ann"  # a reload keeps the URL, not the session
    reloaded.run()
    assert "Coding as **ann**" in markdown_text(reloaded)


def test_memo_is_saved(project_dir: Path) -> None:
    at = page(app("ann"), "views/transcripts.py")
    memo = [t for t in at.text_area if t.label.startswith("Your memo")][0]
    memo.input("Hesitates before answering.").run()
    [b for b in at.button if b.label == "Save memo"][0].click().run()
    memos = open_project(project_dir).memos()
    assert memos[memos["coder"] == "ann"]["memo"].tolist() == ["Hesitates before answering."]


def test_reading_without_a_coder_asks_for_one(project_dir: Path) -> None:
    at = page(app(), "views/transcripts.py")
    no_errors(at)
    assert any("coder name" in i.value for i in at.info)
    assert not at.toggle(key="_w_show_others").value


def test_a_quote_opens_its_place_in_the_transcript(project_dir: Path) -> None:
    at = app()
    at.selectbox(key="_w_themes_code").set_value("hope").run()
    [b for b in at.button if b.label.startswith("Open in transcript R02")][0].click().run()
    no_errors(at)
    assert at.title[0].value == "Transcripts and coding"
    assert at.selectbox(key="_w_document").value == "R02"


def test_codebook_rename_keeps_codings(project_dir: Path) -> None:
    at = page(app("ann"), "views/codebook.py")
    assert "Looking forward to something better." in frame_with(at, "Definition")["Definition"].tolist()
    at.selectbox(key="rename_which").set_value("family")
    [t for t in at.text_input if t.label == "New name"][0].input("Kin")
    [b for b in at.button if b.label == "Rename"][0].click().run()
    no_errors(at)
    project = open_project(project_dir)
    assert project.codebook.by_id()["family"].name == "Kin"
    assert (project.codings("human")["code"] == "family").sum() == 2
    assert "Kin" in frame_with(page(at, "views/themes.py"), "north")["Code"].str.strip().tolist()


def test_codebook_add_and_merge(project_dir: Path) -> None:
    at = page(app("ann"), "views/codebook.py")
    [t for t in at.text_input if t.label == "Name"][0].input("Anger")
    [b for b in at.button if b.label == "Add code"][0].click().run()
    assert "anger" in open_project(project_dir).codebook.by_id()
    at.selectbox(key="merge_source").set_value("fear.violence")
    at.selectbox(key="merge_into").set_value("fear")
    [c for c in at.checkbox if c.label.startswith("I want to merge")][0].check()
    [b for b in at.button if b.label == "Merge"][0].click().run()
    no_errors(at)
    project = open_project(project_dir)
    assert "fear.violence" not in project.codebook.by_id()
    assert (project.codings("human")["code"] == "fear").sum() == 3


def test_respondents_table(project_dir: Path) -> None:
    at = page(app(), "views/respondents.py")
    table = frame_with(at, "Coded segments").set_index("Respondent")
    assert table.at["R01", "Group"] == "north"
    assert table.at["R01", "Segments"] == 2 and table.at["R01", "Coded segments"] == 2


def test_export_offers_the_contract_files(project_dir: Path) -> None:
    at = page(app(), "views/export.py")
    no_errors(at)
    labels = {d.proto.label for d in at.get("download_button")}
    assert {"Codings CSV", "Matrix CSV", "Memos CSV"} <= labels
    assert any(label.startswith("Codebook") for label in labels)


def test_agreement_table_and_consensus(project_dir: Path) -> None:
    at = page(app("cara"), "views/agreement.py")
    no_errors(at)
    table = frame_with(at, "Cohen's kappa")
    assert "Family" in table["Code"].tolist()
    assert at.get("download_button")
    at.toggle(key="_w_agree_review").set_value(True).run()
    applies = [b for b in at.button if b.label == "Applies"]
    assert applies, "each open disagreement can be settled"
    before = markdown_text(at).split("**Item 1 of ")[1].split("**")[0]
    applies[0].click().run()
    no_errors(at)
    assert "consensus" in open_project(project_dir).coders()
    after = markdown_text(at).split("**Item 1 of ")[1].split("**")[0]
    assert int(after) == int(before) - 1, "settled ones leave the open list"
    at.toggle(key="_w_agree_open").set_value(False).run()
    at.session_state["review_item"] = open_project(project_dir).review_items("ann", "ben")["item"].iloc[0]
    at.run()
    assert "applied" in frame_with(at, "Consensus")["Consensus"].tolist()


def test_choices_survive_a_page_switch(project_dir: Path) -> None:
    at = app()
    at.selectbox(key="_w_themes_by").set_value("gender").run()
    at = page(page(at, "views/respondents.py"), "views/themes.py")
    assert at.selectbox(key="_w_themes_by").value == "gender"
    assert "female" in frame_with(at, "female").columns


# ----- empty projects and errors ------------------------------------------------------------------
def test_empty_project_shows_how_to_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    new_project(tmp_path / "empty")
    monkeypatch.setenv("QCODE_PROJECT", str(tmp_path / "empty"))
    at = app()
    no_errors(at)
    assert at.title[0].value == "Getting started"
    assert "qcode ingest" in at.code[0].value
    codebook = page(at, "views/codebook.py")
    no_errors(codebook)
    assert codebook.title[0].value == "Codebook"


def test_a_folder_that_is_not_a_project_is_a_plain_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QCODE_PROJECT", str(tmp_path / "nowhere"))
    at = app()
    assert not at.exception
    assert "not a qcode project" in at.error[0].value


def test_no_project_at_all_is_a_plain_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QCODE_PROJECT", raising=False)
    at = app()
    assert not at.exception
    assert "qcode app --project" in at.error[0].value


def test_a_library_error_on_a_page_is_a_plain_error(project_dir: Path) -> None:
    # Two coders who coded different transcripts have nothing to compare: the library says so.
    project = open_project(project_dir)
    segments = project.segments_frame().set_index("document")["segment_id"]
    project.apply_code(int(segments["R01"].iloc[0]), "hope", "dora")
    project.apply_code(int(segments["R02"].iloc[0]), "hope", "eve")
    at = page(app(), "views/agreement.py")
    at.multiselect(key="_w_agree_coders").set_value(["dora", "eve"]).run()
    assert not at.exception
    assert at.error and "in common" in at.error[0].value


def test_one_decision_settles_a_code_suggested_by_rules_and_model(project_dir: Path) -> None:
    from coding.models import MODEL, Proposal

    project = open_project(project_dir)
    rules = project.codings("auto")
    first = rules.iloc[0]
    segment, code = int(first["segment_id"]), str(first["code"])
    with project.store.transaction() as session:
        stored_codings.add_proposals(session, [Proposal(segment, code, MODEL, "model.v1", 0.8)])
    at = page(app("cara"), "views/transcripts.py")
    at.radio(key="_w_step").set_value("open").run()
    at.session_state["segment"] = segment
    at.run()
    assert "keyword rules · model, 80% sure" in markdown_text(at), "one entry names both sources"
    [b for b in at.button if b.label == "Accept"][0].click().run()
    no_errors(at)
    rows = open_project(project_dir).codings("all", include_rejected=True)
    rows = rows[(rows["segment_id"] == segment) & (rows["code"] == code)]
    cara = rows[rows["coder"] == "cara"]
    assert cara["status"].tolist() == ["accepted"], "one decision, one row of cara's"
    assert set(rows.loc[rows["coder"] != "cara", "status"]) <= {"accepted", "suggested"}  # nothing else changed
    assert "keyword rules · model" not in markdown_text(at), "neither source waits for cara any more"


def test_not_coded_yet_moves_on_to_the_next_segment(project_dir: Path) -> None:
    at = page(app("dan"), "views/transcripts.py")
    at.selectbox(key="_w_document").set_value("R02").run()
    at.radio(key="_w_step").set_value("uncoded").run()
    second = at.selectbox(key="_w_segment").options[1]
    toggle(at, "Hope").set_value(True).run()
    no_errors(at)
    assert at.selectbox(key="_w_segment").options == [second]
    # Deeper in a transcript: the segment after the one just coded, not the first left over.
    from qcode_app.workbench import next_after

    numbers = {10: 1, 11: 2, 12: 3, 13: 4}
    assert next_after(12, [10, 13], numbers) == 13
    assert next_after(13, [10, 11], numbers) == 10  # nothing after it: back to the first
    assert next_after(None, [11, 12], numbers) == 11


def test_cooccurrence_rows_and_columns_share_one_order(project_dir: Path) -> None:
    at = page(app(), "views/cooccurrence.py")
    at.multiselect(key="_w_cooc_codes").set_value(["family", "hope", "fear"]).run()
    no_errors(at)
    table = frame_with(at, "Code")
    assert table["Code"].str.strip().tolist() == ["Hope", "Fear", "Family"]  # codebook order, not picking order
    assert [c for c in table.columns if c != "Code"] == ["Hope", "Fear", "Family"]


def test_agreement_shows_the_pooled_figures_first(project_dir: Path) -> None:
    at = page(app("cara"), "views/agreement.py")
    labels = [m.label for m in at.metric]
    assert labels[0] == "Segments compared, all codes" and "Cohen's kappa, all codes" in labels


def test_codebook_says_why_nothing_happened(project_dir: Path) -> None:
    at = page(app("ann"), "views/codebook.py")
    [b for b in at.button if b.label == "Merge"][0].click().run()
    assert any("Tick the box" in w.value for w in at.warning)
    [b for b in at.button if b.label == "Add code"][0].click().run()
    assert any("Give the new code a name" in w.value for w in at.warning)
    assert "fear.violence" in open_project(project_dir).codebook.by_id(), "nothing was merged"


def test_code_chips_stay_readable_on_pale_and_dark_colours() -> None:
    from qcode_app.widgets import chip

    assert "color:#1d2330" in chip("Hope", "#f5e663")  # pale yellow: dark text
    assert "color:#ffffff" in chip("Violence", "#1f4e9c")  # dark blue: white text


def test_quotes_can_show_their_whole_turn(project_dir: Path) -> None:
    project = open_project(project_dir)
    segments = project.segments_frame()
    mother = next(s.id for s in project.segments(["R01"]) if "mother" in s.text)
    quote = project.quotes([int(mother)], context=True).iloc[0]
    assert quote["text"] == "My mother hid us in the cellar."
    assert quote["before"] == "I was afraid when the soldiers came." and quote["after"] == ""
    assert "before" not in project.quotes(segments["segment_id"].tolist()).columns
    at = app()
    at.toggle(key="_w_quotes_context").set_value(True).run()
    no_errors(at)
    assert 'class="qc-context"' in markdown_text(at)


def test_a_segment_nobody_coded_offers_every_code(project_dir: Path) -> None:
    project = open_project(project_dir)
    extra = project_dir.parent / "extra"
    extra.mkdir()
    (extra / "R04.txt").write_text(
        "---\nrespondent_id: R04\ngroup: south\ngender: male\n---\nInterviewer: And then?\n\nR04: We planted apples.\n",
        encoding="utf-8",
    )
    project.ingest([extra])
    project.segment("paragraph")
    bare = next(s for s in project.segments(["R04"]) if s.role == "respondent")
    at = app("dan")
    at.session_state["document"], at.session_state["segment"] = bare.document, int(bare.id)
    at = page(at, "views/transcripts.py")
    no_errors(at)
    assert toggle(at, "Hope").value is False
    assert "No suggestions waiting for this segment." in [c.value for c in at.caption]


def test_code_search_narrows_the_toggles_but_keeps_applied_codes(project_dir: Path) -> None:
    at = page(app("ann"), "views/transcripts.py")
    at.selectbox(key="_w_document").set_value("R01").run()
    at.selectbox(key="_w_segment").select_index(1).run()  # "My mother hid us in the cellar.": ann's Family
    at.text_input(key="code_search").input("hop").run()
    no_errors(at)
    labels = [t.label.strip() for t in at.toggle if t.key and t.key.startswith("tg_")]
    assert labels == ["Hope", "Family"] or labels == ["Hope (suggested)", "Family"]


def _deliver_twice(kind: str, start: int, end: int, span: int) -> None:
    """A script for AppTest: the span coder's callback given the same action twice, as Streamlit does when a
    rerun request arrives between the callbacks and the script body (the trigger is replayed)."""
    import os

    import streamlit as st

    from coding.project import open_project
    from qcode_app import state, workbench
    from qcode_app.transcript_view import Mark

    project = open_project(os.environ["QCODE_PROJECT"])
    shown = {f"s{span}": Mark(f"s{span}", start, end, "hope", "cy", "human", True)}
    action = {"kind": kind, "nonce": f"{kind}-1", "document": "R02", "start": start, "end": end, "codes": ["family"]}
    action["mark"] = f"s{span}"
    st.session_state["coder_widget"] = {"action": action}
    for _ in range(2):
        workbench.on_span_action(project, "coder_widget", "R02", "cy", shown)
    state.show_messages()


def test_a_span_action_delivered_twice_is_carried_out_once(project_dir: Path) -> None:
    """Removing a span is one key press: delivered twice, it is carried out once (no error for a span already
    gone), and one undo puts it back; applying codes twice is one undo step too."""
    project = open_project(project_dir)
    segment = project.segments_frame().query("document == 'R02'").iloc[-1]
    start, end = int(segment["start"]), int(segment["end"])
    (span,) = project.apply_spans("R02", start, end, ["hope"], "cy")
    run = AppTest.from_function(_deliver_twice, args=("remove", start, end, span), default_timeout=TIMEOUT).run()
    assert not run.exception and not run.error, [e.value for e in run.error]
    assert "hope" not in set(project.spans("R02").query("coder == 'cy'")["code_id"])
    assert project.undo("cy") and "hope" in set(project.spans("R02").query("coder == 'cy'")["code_id"])
    run = AppTest.from_function(_deliver_twice, args=("apply", start, end, span), default_timeout=TIMEOUT).run()
    assert not run.exception and not run.error
    assert "family" in set(project.spans("R02").query("coder == 'cy'")["code_id"])
    assert project.undo("cy") and "family" not in set(project.spans("R02").query("coder == 'cy'")["code_id"])
    assert "hope" in set(project.spans("R02").query("coder == 'cy'")["code_id"])  # the earlier step stays
