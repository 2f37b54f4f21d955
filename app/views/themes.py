"""Themes: how often each code comes up, by any respondent attribute, with the quotes behind every number."""

from __future__ import annotations

import streamlit as st

from coding.analysis import TOTAL
from qcode_app import chart_download, charts, data, disclosure_setting, publication_download, sidebar, state, widgets
from qcode_app.components.heat_grid import grid_from_spec, heat_grid, picked_cell

PERCENT_LABELS = charts.PERCENT_LABELS
COUNT_LABELS = {"segments": "Segments", "respondents": "Respondents"}

key, token = state.context()
filters = sidebar.current()
book = data.codebook(key, token)
attributes = data.attributes(key, token)

st.title("Themes")
if not attributes:
    st.info("Respondents have no attributes yet: ingest them with `qcode ingest FOLDER --metadata respondents.csv`.")
    st.stop()

pick_by, pick_count, pick_percent = st.columns([2, 2, 3])
names = list(attributes)
by = pick_by.selectbox(
    "Columns: respondents by",
    names,
    format_func=state.plain,
    **state.sticky("themes_by", "group" if "group" in names else names[0], names),
)
count = pick_count.radio(
    "Count",
    list(COUNT_LABELS),
    format_func=COUNT_LABELS.get,
    horizontal=True,
    **state.sticky("themes_count", "segments"),
)
percent = pick_percent.radio(
    "Percentage",
    list(PERCENT_LABELS),
    format_func=PERCENT_LABELS.get,
    horizontal=True,
    **state.sticky("themes_percent", "none"),
)

counts = data.crosstab(key, token, filters, by, count, "none")
values = [c for c in counts.columns if c not in ("name", "level")]
rows = charts.code_rows(book)
# Disclosure control: the cells (and their quotes) that rest on fewer than k respondents are hidden.
k = disclosure_setting.threshold(key)
hidden = (
    disclosure_setting.hidden_cells(
        data.crosstab(key, token, filters, by, "respondents", "none")[values],
        k,
        data.column_bases(key, token, filters, by, "respondents"),
    )
    if k >= 2
    else set()
)
guarded = f" {disclosure_setting.note(k)}" if k >= 2 else ""


def _pick_cell() -> None:
    """A click on the grid: its cell's quotes are shown (the selectboxes below take the cell before they are
    drawn; the grid brings them into view)."""
    clicked = picked_cell("themes_heatmap")
    if clicked:
        st.session_state["themes_code"], st.session_state["themes_value"] = clicked


# The quotes' cell, settled before the grid is drawn (a remembered value gone from the options falls back),
# so that the grid outlines the cell whose quotes are shown.
order = rows["code"].tolist()
busiest = counts[TOTAL].idxmax() if len(counts) and counts[TOTAL].max() > 0 else order[0]
code_choice = state.sticky("themes_code", busiest, order)
value_choice = state.sticky("themes_value", TOTAL, values)
picked = (st.session_state["themes_code"], st.session_state["themes_value"])

# Side by side while the grid fits beside the quotes; many columns put the quotes underneath.
heat, quotes = st.columns([2, 1], gap="medium") if charts.fits_beside(len(values)) else (st.container(), st.container())
with heat:
    unit = COUNT_LABELS[count].lower()
    spec = disclosure_setting.masked_spec(charts.crosstab_spec(key, token, filters, by, count, percent), hidden)
    heat_grid(grid_from_spec(spec, picked), "themes_heatmap", _pick_cell, reveal="qc-quotes")
    who = ", ".join(filters.coders) if filters.coders else "every coder pooled (choose coders in the sidebar)"

    def about(coders: str) -> str:
        return (
            f"Cells count {unit} coded with each code (a parent code counts its children too); n is the number "
            f"of {unit} in each column. Coders: {coders}.{guarded}"
        )

    counted = about(who)  # the image's subtitle, plain text
    st.caption(f"{about(state.literal(who))} Click a cell to read its quotes.")
    chart_download.downloads(spec, counted, f"themes-{by}-{count}-{percent}", "themes_heatmap")

with quotes:
    st.subheader("Quotes", anchor="qc-quotes")
    code_names = dict(zip(rows["code"], widgets.tree_names(rows), strict=True))
    pick_code, pick_value = st.columns([3, 2])
    code = pick_code.selectbox("Code", order, format_func=state.labels(code_names), **code_choice)
    value = pick_value.selectbox(state.plain(by), values, **value_choice)
    # A Total holds the same segments whatever the columns are: keyed without them, it stays cached.
    ids = data.cell_segments(key, token, filters, code, *((None, None) if value == TOTAL else (by, value)))
    number = int(counts.at[code, value]) if code in counts.index else 0
    where = "all respondents" if value == TOTAL else f"{state.plain(by).lower()} {value}"
    if (code, value) in hidden:
        st.markdown(f"**{book.by_id()[code].name} · {where}: {disclosure_setting.HIDDEN}**")
        st.info(
            f"Hidden: this cell rests on fewer than {k} respondents, so neither its number nor its quotes are "
            "shown (disclosure control, in the sidebar).",
            icon=":material/visibility_off:",
        )
    else:
        heading = f"{book.by_id()[code].name} · {where}: {number:,} {unit}"
        widgets.quotes_panel(key, token, ids, heading, f"{code}-{by}-{value}")

# The tables are drawn on request: the heatmap shows the same numbers, and a table's grid is the heaviest
# part of the page in the browser (its code alone is 1.2 MB). Only the table asked for is computed.
tables = st.expander(
    "Tables: the cross-tab and code frequencies, with CSV and publication downloads",
    icon=":material/table:",
    **state.sticky("themes_tables_open", False),  # open or folded, as left when coming back to this page
)
if tables.open:
    with tables:
        shown_table = st.segmented_control(
            "Table",
            ["Cross-tab", "Code frequencies"],
            label_visibility="collapsed",
            **state.sticky("themes_table", "Cross-tab"),
        )
        if shown_table == "Code frequencies":
            freq = data.frequencies(key, token, filters)
            if k >= 2:  # a code that few respondents have is a cell of its own
                few = (freq["respondents"] > 0) & (freq["respondents"] < k)
                numbers = [c for c in freq.columns if c not in ("name", "level")]
                freq = freq.astype({c: "float" for c in numbers})
                freq.loc[few, numbers] = float("nan")
            screen = freq.assign(name=widgets.tree_names(freq)).drop(columns="level")
            screen = screen.rename(columns={"name": "Code", "segments": "Segments", "respondents": "Respondents"})
            onscreen = screen
            if k >= 2 and bool(few.any()):  # a dash where a number is hidden, as in the heatmap (blank in the CSV)
                onscreen = screen.assign(
                    **{c: disclosure_setting.dashed(screen[c]) for c in ("Segments", "Respondents")}
                )
            widgets.table(
                onscreen,
                "code-frequencies.csv",
                "themes_frequencies",
                f"Segments and respondents per code (a parent code counts its children too).{guarded}",
                screen.assign(code_id=freq.index),
                column_config={
                    "% of respondents": st.column_config.ProgressColumn(
                        "% of respondents", format="%.1f%%", min_value=0, max_value=100
                    )
                },
            )
        else:
            shares = data.crosstab(key, token, filters, by, count, percent) if percent != "none" else None
            bases = data.column_bases(key, token, filters, by, count)
            shown = disclosure_setting.masked_table(counts if shares is None else shares, hidden)
            screen = shown.assign(name=widgets.tree_names(shown)).rename(columns={"name": "Code"}).drop(columns="level")
            what = f"{unit} per code by {state.plain(by).lower()}"
            if percent != "none":
                what += f", {PERCENT_LABELS[percent]}"
            base_text = ", ".join(f"{k} {int(v):,}" for k, v in bases.items())
            percent_columns = (
                {v: st.column_config.NumberColumn(v, format="%.1f%%") for v in values} if percent != "none" else None
            )
            onscreen = screen
            if hidden:  # a dash where a number is hidden, as in the heatmap (blank in the CSV)
                onscreen = screen.assign(**{v: disclosure_setting.dashed(screen[v], percent != "none") for v in values})
                percent_columns = None
            widgets.table(
                onscreen,
                f"crosstab-{by}-{count}-{percent}.csv",
                "themes_crosstab",
                f"{what.capitalize()}. Column n: {base_text}.{guarded}",
                screen.assign(code_id=shown.index),
                column_config=percent_columns,
            )
            # The same table as a paper prints it: "12 (67%)", the n row, and notes saying what it counts.
            publication, about = publication_download.crosstab_publication(key, token, filters, by, count, percent, k)
            publication_download.downloads(publication, about, f"crosstab-{by}-{count}-{percent}", "themes_publication")
