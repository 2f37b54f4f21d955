"""Code relations: which codes come up together in the same unit, the same turn or within N sentences, as counts
or coefficients, with the passages behind a pair (both codes marked) and a code's profile by group."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from coding import cooccurrence, publication_form
from qcode_app import analysis_data, chart_download, charts, data, publication_download, sidebar, state, widgets

SCOPES = {"unit": "Same segment", "turn": "Same turn", "window": "Within N segments"}
MEASURES = {
    "count": "Count",
    "jaccard": "Jaccard = c-coefficient",
    "overlap": "Overlap (of the rarer code)",
    "share": "% of the row code's contexts",
}
CONTEXTS_SHOWN = 30

key, token = state.context()
filters = sidebar.current()
book = data.codebook(key, token)
rows = charts.code_rows(book)
order = rows["code"].tolist()
names = dict(zip(rows["code"], rows["name"], strict=True))
colors = {c.id: c.color or charts.NEUTRAL for c in book.codes}

st.title("Code relations")
pick_scope, pick_window, pick_measure, pick_lineage = st.columns([3, 2, 3, 2], vertical_alignment="bottom")
scope = pick_scope.radio(
    "Together in", list(SCOPES), format_func=state.labels(SCOPES), **state.sticky("rel_scope", "unit")
)
window = int(
    pick_window.number_input(
        "N", 1, 20, disabled=scope != "window", help="Segments apart at most", **state.sticky("rel_window", 2)
    )
)
measure = pick_measure.selectbox(
    "Show", list(MEASURES), format_func=state.labels(MEASURES), **state.sticky("rel_measure", "count")
)
lineage = pick_lineage.toggle(
    "Parents with their children",
    help="A parent code counts its children's codings, so the two always overlap; those cells are blank unless "
    "this is on.",
    **state.sticky("rel_lineage", False),
)
chosen = st.multiselect(
    "Codes", order, format_func=state.labels(names), placeholder="All codes", **state.sticky("rel_codes", [])
)
codes = [c for c in order if c in chosen] if chosen else order
what = cooccurrence.describe(scope, window)

matrix = analysis_data.relations(key, token, filters, scope, window, measure, lineage).loc[codes, codes]
cells = matrix.rename_axis(index="code", columns="column").stack().rename("value").reset_index()
cells["shade"] = cells["value"].fillna(0.0).astype(float)
cells["text"] = cells["short"] = cells["value"].map(
    lambda v: "" if pd.isna(v) else (f"{int(v)}" if measure == "count" else f"{v:.2f}")
)
cells["muted"] = cells["value"].isna() | (cells["code"] == cells["column"])
code_rows = charts.code_rows(book, codes)
spec = charts.heatmap(cells, code_rows, codes, "with", dict(zip(code_rows["code"], code_rows["label"], strict=True)))
# Keyed on what the grid shows: a new choice of codes or scope starts with no cell picked.
grid_key = "rel_heat_" + widgets.slug(f"{scope}{window}{measure}{lineage}{'-'.join(codes)}")[:80]
event = st.vega_lite_chart(spec, on_select="rerun", key=grid_key, width="content")
st.caption(
    f"Counts are {what} holding both codes (the diagonal: holding the code). Jaccard, which ATLAS.ti reports as "
    "the c-coefficient, is both / either. Click a cell to read its passages."
)

counted = f"{what} holding both codes" if measure == "count" else f"{MEASURES[measure]} over {what}"
chart_download.downloads(spec, counted[:1].upper() + counted[1:] + ".", f"code-relations-{scope}-{measure}", "rel_heat")

clicked = charts.selected_cell(event)
if clicked and clicked != st.session_state.get("_rel_clicked"):
    st.session_state["_rel_clicked"] = clicked
    st.session_state["rel_a"], st.session_state["rel_b"] = clicked

table = publication_form.publication_frame(matrix.rename(index=names), layout="counts")
publication_download.downloads(
    table,
    publication_download.notes(
        key,
        token,
        filters,
        f"{what} holding both codes" if measure == "count" else f"{MEASURES[measure]} over {what}",
        extra={"Parent and child cells": "shown" if lineage else "left blank"},
    ),
    f"code-relations-{scope}-{measure}",
    "rel_matrix",
)

st.subheader("Passages behind a pair")
left, right = st.columns(2)
first = left.selectbox("Code", codes, format_func=state.labels(names), **state.sticky("rel_a", codes[0], codes))
second = right.selectbox(
    "with",
    codes,
    format_func=state.labels(names),
    **state.sticky("rel_b", codes[1] if len(codes) > 1 else codes[0], codes),
)
behind = analysis_data.relation_segments(key, token, filters, first, second, scope, window)
contexts = behind["context"].unique().tolist()
st.markdown(
    f"{widgets.chip(names[first], colors[first])} {widgets.chip(names[second], colors[second])} "
    f"{len(contexts):,} {html.escape(what)}",
    unsafe_allow_html=True,
)
if contexts:
    shown = behind[behind["context"].isin(contexts[:CONTEXTS_SHOWN])]
    quotes = data.quotes(key, token, tuple(sorted(set(shown["segment_id"].astype(int)))))
    text = dict(zip(quotes["segment_id"], quotes["text"], strict=True))
    where = quotes.set_index("segment_id")[["document", "respondent_id", "turn_index"]]
    for _context, group in shown.groupby("context", sort=False):
        parts = []
        for row in group.itertuples(index=False):
            marks = [colors[c] for c, has in ((first, row.has_a), (second, row.has_b)) if has]
            style = widgets.tint(marks)
            parts.append(
                f'<span class="qc-seg" style="{style}">{html.escape(str(text.get(row.segment_id, "")))}</span>'
            )
        head = where.loc[int(group["segment_id"].iloc[0])]
        st.markdown(
            f'<div class="qc-quote">{" … ".join(parts)}</div><div class="qc-who"><b>'
            f"{html.escape(str(head['respondent_id']))}</b> · {html.escape(str(head['document']))}, turn index "
            f"{int(head['turn_index'])}</div>",
            unsafe_allow_html=True,
        )
    if len(contexts) > CONTEXTS_SHOWN:
        st.caption(f"The first {CONTEXTS_SHOWN} of {len(contexts):,}.")

st.subheader("A code's profile by group")
attributes = list(data.attributes(key, token))
show_profile = st.toggle(
    "Show a code's profile",
    help="Every other code with it, by a respondent attribute.",
    **state.sticky("rel_show_profile", False),
)
if attributes and show_profile:
    pick_code, pick_by = st.columns(2)
    code = pick_code.selectbox("Code", codes, format_func=state.labels(names), key="rel_profile_code")
    by = pick_by.selectbox(
        "by", attributes, format_func=state.plain, **state.sticky("rel_by", attributes[0], attributes)
    )
    profile, bases = analysis_data.profile(key, token, filters, code, by, scope, window)
    values = [c for c in profile.columns if c not in ("name", "level")]
    shares = profile[["name", "level"]].join(profile[values].div(bases.reindex(values).where(bases > 0), axis=1) * 100)
    table = publication_form.publication_frame(profile, shares, bases, "cell", n_label=f"n ({what} with the code)")
    st.dataframe(publication_download.screen(table), hide_index=True, key="rel_profile")
    publication_download.downloads(
        table,
        publication_download.notes(
            key,
            token,
            filters,
            f"{what} holding {names[code]} and each other code, by {state.plain(by).lower()}",
            percent=f"of the {what} holding {names[code]} in the column (the n row)",
        ),
        f"profile-{widgets.slug(code)}-{by}",
        "rel_profile",
    )
