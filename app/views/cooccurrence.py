"""Co-occurrence: which codes are applied to the same segments, with the quotes behind every pair."""

from __future__ import annotations

import streamlit as st

from qcode_app import (
    analysis_data,
    chart_download,
    charts,
    data,
    disclosure_setting,
    publication_download,
    sidebar,
    state,
    widgets,
)
from qcode_app.components.heat_grid import grid_from_spec, heat_grid, picked_cell

key, token = state.context()
filters = sidebar.current()
book = data.codebook(key, token)
rows = charts.code_rows(book)
names = dict(zip(rows["code"], widgets.tree_names(rows), strict=True))
order = rows["code"].tolist()
by_id = book.by_id()

st.title("Co-occurrence")
st.caption(
    "Segments coded with both codes (the diagonal: segments with the code at all). A parent code counts its "
    "children too, so parents and their children always overlap."
)
chosen = st.multiselect(
    "Codes to compare",
    order,
    format_func=state.labels(names),
    placeholder="All codes",
    **state.sticky("cooc_codes", []),
)
codes = tuple(c for c in order if c in chosen) if chosen else tuple(order)  # rows and columns alike
# Disclosure control: a pair of codes that fewer than k respondents share is hidden, with its quotes.
k = disclosure_setting.threshold(key)
hidden = (
    disclosure_setting.hidden_cells(analysis_data.cooccurrence_respondents(key, token, filters, codes), k)
    if k >= 2
    else set()
)
guarded = f" {disclosure_setting.note(k)}" if k >= 2 else ""


def _pick_pair() -> None:
    """A click on the grid: its pair of codes is shown (the selectboxes below take it before they are drawn;
    the grid brings them into view)."""
    clicked = picked_cell("cooc_heatmap")
    if clicked:
        st.session_state["cooc_a"], st.session_state["cooc_b"] = clicked


# The quotes' pair, settled before the grid is drawn (a code no longer shown falls back), so that the grid
# outlines the pair whose quotes are shown.
matrix = data.cooccurrence(key, token, filters)
pairs = [c for c in order if c in codes]
busiest = max(pairs, key=lambda c: int(matrix.at[c, c]) if c in matrix.index else 0)
first_choice = state.sticky("cooc_a", busiest, pairs)
second_choice = state.sticky("cooc_b", st.session_state["cooc_a"], pairs)
picked = (st.session_state["cooc_a"], st.session_state["cooc_b"])

heat, quotes = st.columns([2, 1], gap="medium") if charts.fits_beside(len(codes)) else (st.container(), st.container())
with heat:
    spec = disclosure_setting.masked_spec(charts.cooccurrence_spec(key, token, filters, codes), hidden)
    heat_grid(grid_from_spec(spec, picked), "cooc_heatmap", _pick_pair, reveal="qc-cooc-quotes")
    st.caption("Click a cell to read the segments where both codes apply.")
    who = ", ".join(filters.coders) if filters.coders else "every coder pooled"
    counted = f"Segments coded with both codes (the diagonal: with the code at all). Coders: {who}.{guarded}"
    chart_download.downloads(spec, counted, "cooccurrence", "cooc_heatmap")

with quotes:
    st.subheader("Quotes", anchor="qc-cooc-quotes")
    left, right = st.columns(2)
    first = left.selectbox("Code", pairs, format_func=state.labels(names), **first_choice)
    second = right.selectbox("with", pairs, format_func=state.labels(names), **second_choice)
    what = by_id[first].name if first == second else f"{by_id[first].name} and {by_id[second].name}"
    if (first, second) in hidden:
        st.markdown(f"**{what}: {disclosure_setting.HIDDEN}**")
        st.info(
            f"Hidden: fewer than {k} respondents have segments with both codes, so neither the number nor the "
            "quotes are shown (disclosure control, in the sidebar).",
            icon=":material/visibility_off:",
        )
    else:
        ids = data.cell_segments(key, token, filters, first, also_code=second)
        widgets.quotes_panel(key, token, ids, f"{what}: {len(ids):,} segments", f"cooc-{first}-{second}")

st.divider()
shown = disclosure_setting.masked_table(matrix.loc[list(codes), list(codes)], hidden)
screen = shown.rename(index=names, columns=lambda c: by_id[c].name)
screen.index.name = "Code"
# a dash where a number is hidden, as in the heatmap (blank in the CSV)
onscreen = screen.apply(disclosure_setting.dashed) if hidden else screen
widgets.table(
    onscreen.reset_index(),
    "cooccurrence.csv",
    "cooc_matrix",
    f"Segments coded with both codes.{guarded}",
    screen.reset_index(),
)
publication, about = publication_download.cooccurrence_publication(key, token, filters, codes, hidden, k)
publication_download.downloads(publication, about, "cooccurrence", "cooc_publication")
