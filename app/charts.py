"""Vega-Lite heatmaps: codes as rows (indented by hierarchy, each with its codebook colour), a click picks a cell."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from coding.analysis import TOTAL
from coding.models import Codebook

from . import data
from .state import ProjectKey, plain

SELECTION = "cell"
DATASET = "cells"
PERCENT_LABELS = {"none": "Counts only", "row": "% of the code (row)", "column": "% of the column"}
NEUTRAL = "#9e9e9e"
ROW_STEP = 24
COLUMN_STEP = 64
NARROW_STEP = 40  # with NARROW_FROM columns or more, cells show one number only
NARROW_FROM = 8
LABEL_WIDTH = 210  # pixels left of the grid for code names
MAX_WIDTH = 940  # the widest chart that fits the page beside the sidebar on a 1400-pixel screen
MIN_STEP = 30  # narrowest cell that still shows a four-digit count
BESIDE_WIDTH = 560  # the widest chart that leaves room for the quotes beside it
LEVEL_STEP = 14  # indentation per level of the code tree
DARK_FROM = 0.6  # white numbers on cells from this share of the darkest shade on
_WITH_N = re.compile(r"(.*)\|(n=[\d,]+)", re.DOTALL)


def code_rows(book: Codebook, codes: Sequence[str] | None = None) -> pd.DataFrame:
    """code, name, level, color and label (a unique row key): one row per code in tree order."""
    rows = [
        (code.id, code.name, book.depth(code.id), code.color or NEUTRAL)
        for code in book.tree_order()
        if codes is None or code.id in codes
    ]
    frame = pd.DataFrame(rows, columns=["code", "name", "level", "color"])
    # Two codes may share a name; chart rows are keyed by label, so keep them apart.
    duplicated = frame["name"].duplicated(keep=False)
    frame["label"] = frame["name"].where(~duplicated, frame["name"] + " (" + frame["code"] + ")")
    return frame


def column_step(n_columns: int) -> int:
    """Cell width in pixels: wide cells for a few columns, narrower ones so that many still fit the page."""
    step = NARROW_STEP if n_columns >= NARROW_FROM else COLUMN_STEP
    return min(step, max(MIN_STEP, (MAX_WIDTH - LABEL_WIDTH) // max(n_columns, 1)))


def fits_beside(n_columns: int) -> bool:
    """Whether a heatmap of this many columns leaves room for the quotes beside it."""
    return LABEL_WIDTH + n_columns * column_step(n_columns) <= BESIDE_WIDTH


def heatmap(
    cells: pd.DataFrame,
    rows: pd.DataFrame,
    columns: Sequence[str],
    column_title: str,
    column_labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """cells: code, column, shade, text, short (for narrow cells) and muted (drawn grey: a Total, a diagonal).

    A Vega-Lite spec of one layered chart over one dataset: the code names sit left of the grid as text at
    a fixed pixel position, left-aligned so that their indentation shows (axis labels are right-aligned).
    Written as plain data: Altair took a sixth of a second to build it, on every filter change.
    """
    data = cells.merge(rows, on="code")
    data["column_label"] = data["column"].map(column_labels or {}).fillna(data["column"])
    data["column_name"] = data["column_label"].map(lambda label: column_name(label)[0])  # for tooltips
    order = [(column_labels or {}).get(c, c) for c in columns]
    top = shade_top(data.loc[~data["muted"], "shade"].tolist())
    narrow = len(order) >= NARROW_FROM
    step = column_step(len(order))
    # Long column names are slanted on one line; short ones stand upright over their n.
    slanted = narrow or max((len(part) for c in order for part in column_name(c)), default=0) * 6.5 > step
    cut = "lastindexof(datum.label, '|n=')"  # only a trailing n is split off: a name may hold a "|" of its own
    x = {
        "field": "column_label",
        "type": "nominal",
        "sort": order,
        "title": column_title,
        "axis": {
            "orient": "top",
            "labelAngle": -35 if slanted else 0,
            "labelExpr": (
                f"{cut} < 0 ? datum.label : substring(datum.label, 0, {cut}) + ' ' + substring(datum.label, {cut} + 1)"
                if slanted
                else f"{cut} < 0 ? datum.label : [substring(datum.label, 0, {cut}), substring(datum.label, {cut} + 1)]"
            ),
            "labelOverlap": False,
            "labelLimit": 160,
        },
    }
    y = {"field": "label", "type": "nominal", "sort": rows["label"].tolist(), "title": None, "axis": None}
    picked = {"param": SELECTION, "empty": False}
    rect = {
        "name": "grid",
        "mark": {"type": "rect", "cursor": "pointer"},
        "encoding": {
            "x": x,
            "y": y,
            "color": {
                "condition": {"test": "datum.muted", "value": "#ececec"},
                "field": "shade",
                "type": "quantitative",
                "scale": {"scheme": "blues", "domain": [0, top]},
                "legend": None,
            },
            "stroke": {"condition": [{**picked, "value": "#d6336c"}], "value": "white"},
            "strokeWidth": {"condition": [{**picked, "value": 3}], "value": 1},
            "tooltip": [
                {"field": "label", "type": "nominal", "title": "Code"},
                {"field": "column_name", "type": "nominal", "title": column_title},
                {"field": "text", "type": "nominal", "title": "Value"},
            ],
        },
    }
    text = {
        "mark": {"type": "text", "fontSize": 11 if narrow else 12},
        "encoding": {
            "x": x,
            "y": y,
            "text": {"field": "short" if narrow else "text", "type": "nominal"},
            "color": {
                "condition": [{"test": _dark_test(top), "value": "white"}],
                "value": "#222",
            },
        },
    }
    # Streamlit drops charts whose layers carry different datasets, so names come from the cells too;
    # chart text loses leading spaces, so each level of the tree gets its own layer further right.
    labels: list[dict[str, Any]] = []
    for level in sorted({int(v) for v in data["level"]}):
        left = -LABEL_WIDTH + LEVEL_STEP * level
        at_level = [
            {"filter": {"field": "column", "equal": str(columns[0])}},
            {"filter": {"field": "level", "equal": level}},
        ]
        labels.append(
            {
                "transform": at_level,
                "mark": {"type": "text", "align": "left", "fontSize": 12, "text": "\u25a0"},
                "encoding": {
                    "x": {"value": left},
                    "y": y,
                    "color": {"field": "color", "type": "nominal", "scale": None},
                },
            }
        )
        labels.append(
            {
                "transform": at_level,
                "mark": {
                    "type": "text",
                    "align": "left",
                    "fontSize": 12,
                    "limit": LABEL_WIDTH - left - 24,
                    "color": "#1d2330",
                },
                "encoding": {"x": {"value": left + 16}, "y": y, "text": {"field": "name", "type": "nominal"}},
            }
        )
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "data": {"name": DATASET},
        "datasets": {DATASET: data.to_dict("records")},
        "params": [
            {
                "name": SELECTION,
                "select": {"type": "point", "fields": ["code", "column"], "on": "click", "clear": "dblclick"},
                "views": ["grid"],
            }
        ],
        "layer": [rect, text, *labels],
        # The grid's shade scale and the codebook colours must not be merged into one colour scale.
        "resolve": {"scale": {"color": "independent"}},
        "width": max(len(order), 1) * step,
        "height": {"step": ROW_STEP},
        "autosize": {"type": "pad"},
        "config": {"view": {"stroke": None}},
    }


def column_label(name: str, n: int) -> str:
    """A heatmap column's label: its name and its n, as "name|n=1,234" (heatmap draws it on two lines)."""
    return f"{name}|n={n:,}"


def column_name(label: str) -> tuple[str, str]:
    """A column label, "name|n=1,234" or a bare name, as (name, "n=1,234" or ""). Only a trailing n is split
    off, so a name may hold a "|" of its own."""
    found = _WITH_N.fullmatch(label)
    return (found.group(1), found.group(2)) if found else (label, "")


def shade_top(shades: Sequence[float | None]) -> float:
    """The darkest shade's value: the largest of the cells drawn in colour (1 when there is none)."""
    found = [float(s) for s in shades if s is not None and pd.notna(s)]
    return max(found) if found and max(found) > 0 else 1.0


def _dark_test(top: float) -> str:
    return f"datum.shade > {top * DARK_FROM} && !datum.muted"


def rescale(spec: dict[str, Any], top: float) -> None:
    """Set a heatmap spec's darkest shade to `top` (after cells were greyed out, so that the colours do not
    tell how large a hidden cell was)."""
    grid, text = spec["layer"][0], spec["layer"][1]
    grid["encoding"]["color"]["scale"]["domain"] = [0, top]
    text["encoding"]["color"]["condition"][0]["test"] = _dark_test(top)


@st.cache_data(show_spinner=False, max_entries=64)
def crosstab_spec(
    key: ProjectKey, token: data.Token, filters: data.Filters, by: str, count: str, percent: str
) -> dict[str, Any]:
    """The Themes heatmap as a Vega-Lite spec, cached per filter state and choice of columns."""
    counts = data.crosstab(key, token, filters, by, count, "none")
    shares = data.crosstab(key, token, filters, by, count, percent) if percent != "none" else None
    bases = data.column_bases(key, token, filters, by, count)
    values = [c for c in counts.columns if c not in ("name", "level")]
    cells = counts[values].stack().rename("count").reset_index()
    cells.columns = ["code", "column", "count"]
    if shares is None:
        cells["shade"] = cells["count"].astype(float)
        cells["text"] = cells["short"] = cells["count"].astype(str)
    else:
        pct = shares[values].stack().rename("pct").reset_index()
        pct.columns = ["code", "column", "pct"]
        cells = cells.merge(pct, on=["code", "column"])
        cells["shade"] = cells["pct"].fillna(0.0)
        cells["short"] = cells["pct"].map(_percent)
        cells["text"] = cells["count"].astype(str) + " · " + cells["short"]
    cells["muted"] = cells["column"] == TOTAL
    headers = {v: column_label(v, int(bases.get(v, 0))) for v in values}
    rows = code_rows(data.codebook(key, token))
    return heatmap(cells, rows, values, plain(by), headers)


@st.cache_data(show_spinner=False, max_entries=32)
def cooccurrence_spec(key: ProjectKey, token: data.Token, filters: data.Filters, codes: tuple[str, ...]) -> dict:
    """Code x code heatmap of segments coded with both; the diagonal (segments with the code) is grey."""
    matrix = data.cooccurrence(key, token, filters).loc[list(codes), list(codes)]
    matrix.index.name, matrix.columns.name = "code", "column"
    cells = matrix.stack().rename("count").reset_index()
    cells.columns = ["code", "column", "count"]
    cells["shade"] = cells["count"].astype(float)
    cells["text"] = cells["short"] = cells["count"].astype(str)
    cells["muted"] = cells["code"] == cells["column"]
    rows = code_rows(data.codebook(key, token), codes)
    headers = dict(zip(rows["code"], rows["label"], strict=True))
    return heatmap(cells, rows, list(codes), "with", headers)


def _percent(value: float) -> str:
    return "–" if pd.isna(value) else f"{value:.0f}%"


def selected_cell(event: object) -> tuple[str, str] | None:
    """(code, column) of the clicked cell from st.altair_chart's selection state, if any."""
    selection = getattr(event, "selection", None) or (event.get("selection") if isinstance(event, dict) else None)
    if not selection:
        return None
    picked = selection.get(SELECTION) if isinstance(selection, dict) else getattr(selection, SELECTION, None)
    if isinstance(picked, dict):
        picked = [picked]
    if not picked:
        return None
    first = picked[0]
    if "code" not in first or "column" not in first:
        return None
    return str(first["code"]), str(first["column"])
