"""Document portrait: one interview as a strip of codes over its respondent turns (a "code line"); click a mark
to read that turn in the transcript."""

from __future__ import annotations

from typing import Any

import streamlit as st

from coding import portrait, publication_form
from qcode_app import analysis_data, chart_download, charts, data, publication_download, sidebar, state, widgets

key, token = state.context()
filters = sidebar.current()
book = data.codebook(key, token)

st.title("Document portrait")
_, segments, _ = data.filtered(key, token, filters)
name = widgets.transcript_picker(key, token, filters)

table = analysis_data.document_portrait(key, token, filters, name)
turns = [c for c in table.columns if c not in ("name", "level")]
if table.empty:
    st.info("No code on this transcript under the current filters.")
    st.stop()

rows = charts.code_rows(book, table.index.tolist())
cells = portrait.portrait_cells(table).merge(rows, on="code")
cells["column"] = cells["turn_index"].astype(str)
picked = {"param": "mark", "empty": False}
spec: dict[str, Any] = {
    "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
    "data": {"values": cells.to_dict("records")},
    "params": [
        {"name": "mark", "select": {"type": "point", "fields": ["code", "column"], "on": "click", "clear": "dblclick"}}
    ],
    "mark": {"type": "rect", "cursor": "pointer", "cornerRadius": 2},
    "encoding": {
        "x": {
            "field": "column",
            "type": "ordinal",
            "sort": [str(t) for t in turns],
            "scale": {"domain": [str(t) for t in turns]},
            "title": "Respondent turns (turn index)",
            "axis": {"labelAngle": 0, "labelOverlap": len(turns) > 40},
        },
        "y": {
            "field": "label",
            "type": "nominal",
            "sort": rows["label"].tolist(),
            "title": None,
            "axis": {"labelOverlap": False, "labelLimit": 220},
        },
        "color": {"field": "color", "type": "nominal", "scale": None},
        "opacity": {"field": "segments", "type": "quantitative", "scale": {"range": [0.55, 1]}, "legend": None},
        "stroke": {"condition": [{**picked, "value": "#d6336c"}], "value": None},
        "strokeWidth": {"condition": [{**picked, "value": 3}], "value": 0},
        "tooltip": [
            {"field": "name", "title": "Code"},
            {"field": "turn_index", "title": "Turn index"},
            {"field": "segments", "title": "Segments"},
        ],
    },
    "width": max(480, min(900, 26 * len(turns))),
    "height": {"step": 20},
}
event = st.vega_lite_chart(spec, on_select="rerun", key=f"portrait_{widgets.slug(name)}", width="content")
chart_download.downloads(
    spec,
    f"{name}: segments of each respondent turn coded with each code (a parent code counts its children).",
    f"portrait-{widgets.slug(name)}",
    "portrait_strip",
)
st.caption(
    f"{len(turns)} respondent turns, {len(table)} codes (a parent code counts its children). Click a mark to open "
    "that turn in the transcript."
)
clicked = charts.selected_cell(event)
if clicked:
    code, turn = clicked[0], int(clicked[1])
    in_turn = segments[(segments["document"] == name) & (segments["turn_index"] == turn)]
    pairs = data.rolled(key, token, filters)
    coded = pairs.loc[(pairs["code"] == code) & pairs["segment_id"].isin(in_turn["segment_id"]), "segment_id"]
    target = int(coded.min()) if len(coded) else int(in_turn["segment_id"].min())
    label = f"Open {name} at turn index {turn} ({book.by_id()[code].name})"
    if st.button(label, icon=":material/arrow_forward:", key="portrait_open"):
        widgets.open_in_transcript(name, target)

strip = publication_form.publication_frame(table, layout="counts")
strip.columns = ["Code", *[f"turn {t}" for t in turns]]
publication_download.downloads(
    strip,
    publication_download.notes(
        key, token, filters, f"segments of each respondent turn of {name} coded with the code (columns: turn index)"
    ),
    f"portrait-{widgets.slug(name)}",
    "portrait",
)
