"""Matrices: codes by two respondent attributes at once (group x gender), and codes by respondent (each
respondent a column, ordered by an attribute); on screen and as publication tables with n and notes."""

from __future__ import annotations

import streamlit as st

from coding import publication_form
from coding.analysis import value_columns
from qcode_app import analysis_data, data, disclosure_setting, publication_download, sidebar, state

COUNT_LABELS = {"segments": "Segments", "respondents": "Respondents"}
PERCENT_LABELS = {"none": "Counts only", "row": "% of the code (row)", "column": "% of the column"}
LAYOUTS = {"cell": "12 (67%) in one cell", "side": "Count and % side by side"}

key, token = state.context()
filters = sidebar.current()
attributes = data.attributes(key, token)
st.title("Matrices")
if not attributes:
    st.info("Respondents have no attributes yet: ingest them with `qcode ingest FOLDER --metadata respondents.csv`.")
    st.stop()
names = list(attributes)
kind = st.segmented_control(
    "Matrix",
    ["Two attributes", "Code x respondent"],
    label_visibility="collapsed",
    **state.sticky("mx_kind", "Two attributes"),
)
who = ", ".join(filters.coders) if filters.coders else "every coder pooled"
k = disclosure_setting.threshold(key)

if kind == "Code x respondent" and k >= 2:
    # every column is one respondent: with disclosure control on, every cell would be hidden
    st.info(
        f"Hidden: each column of this matrix is one respondent, fewer than the {k} respondents a cell must rest "
        "on (disclosure control, in the sidebar). The two-attribute matrix shows groups.",
        icon=":material/visibility_off:",
    )
    st.stop()

if kind == "Code x respondent":
    pick_order, pick_values = st.columns(2)
    order_by = pick_order.selectbox(
        "Respondents ordered by", names, format_func=state.plain, **state.sticky("mx_order", names[0], names)
    )
    values = pick_values.radio(
        "Cells",
        ["segments", "presence"],
        format_func={"segments": "Segments coded", "presence": "Coded at all (1/0)"}.get,
        horizontal=True,
        **state.sticky("mx_values", "segments"),
    )
    matrix = analysis_data.case_matrix(key, token, filters, order_by, values)
    table = publication_form.publication_frame(matrix, layout="counts")
    st.dataframe(publication_download.screen(table), hide_index=True, key="mx_cases")
    counted = "segments each respondent has with the code" if values == "segments" else "1 if the respondent has it"
    publication_download.downloads(
        table,
        publication_download.notes(
            key,
            token,
            filters,
            f"{counted} (a parent code counts its children); columns: {state.plain(order_by)} / respondent",
        ),
        f"code-by-respondent-{order_by}",
        "mx_cases",
    )
    st.stop()

pick_a, pick_b = st.columns(2)
first = pick_a.selectbox("Columns: first by", names, format_func=state.plain, **state.sticky("mx_a", names[0], names))
others = [n for n in names if n != first]
if not others:
    st.info("Only one respondent attribute: the Themes page shows it.")
    st.stop()
second = pick_b.selectbox("then by", others, format_func=state.plain, **state.sticky("mx_b", others[0], others))
pick_count, pick_percent, pick_layout = st.columns([2, 3, 3])
count = pick_count.radio(
    "Count", list(COUNT_LABELS), format_func=state.labels(COUNT_LABELS), **state.sticky("mx_count", "respondents")
)
percent = pick_percent.radio(
    "Percentage", list(PERCENT_LABELS), format_func=state.labels(PERCENT_LABELS), **state.sticky("mx_percent", "column")
)
layout = pick_layout.radio(
    "Layout", list(LAYOUTS), format_func=state.labels(LAYOUTS), **state.sticky("mx_layout", "cell")
)

by = (first, second)
counts = analysis_data.crosstab_by(key, token, filters, by, count, "none")
shares = analysis_data.crosstab_by(key, token, filters, by, count, percent) if percent != "none" else None
bases = analysis_data.column_bases_by(key, token, filters, by, count)
if k >= 2:  # disclosure control: cells resting on fewer than k respondents are blank
    hidden = disclosure_setting.hidden_cells(
        analysis_data.crosstab_by(key, token, filters, by, "respondents", "none"),
        k,
        analysis_data.column_bases_by(key, token, filters, by, "respondents"),
    )
    counts = disclosure_setting.masked_table(counts, hidden)
    shares = disclosure_setting.masked_table(shares, hidden) if shares is not None else None
table = publication_form.publication_frame(
    counts, shares, bases, layout if shares is not None else "counts", label="Code", n_label=f"n ({count})"
)
onscreen = publication_download.screen(table)
if k >= 2:  # a dash where a number is hidden, as on the Themes page (st.dataframe would print "None")
    onscreen = onscreen.astype(object).where(onscreen.notna(), disclosure_setting.HIDDEN)
st.dataframe(onscreen, hide_index=True, key="mx_crosstab")
about = publication_download.notes(
    key,
    token,
    filters,
    f"{count} coded with each code (a parent code counts its children), "
    f"by {state.plain(first)} and {state.plain(second)}",
    percent=publication_form.PERCENT_NOTES.get(percent),
)
about = publication_download.suppression_note(about, k)
publication_download.downloads(table, about, f"crosstab-{first}-{second}-{count}-{percent}", "mx_crosstab")
st.caption(f"Coders: {state.literal(who)}. {len(value_columns(counts)) - 1} combinations that some respondent has.")
