"""The heat grid: a heatmap drawn as an HTML table, each cell a button that picks it.

Themes opens on this grid. Drawn by Vega it took the browser 0.5-0.6 s longer to show the first page (Vega's
code is loaded and compiled on the first chart of a page); a table is drawn at once, is read by screen readers
and can be reached with the keyboard. The grid is made from a heatmap spec (charts.heatmap, after
disclosure_setting.masked_spec), the same one the SVG and PNG downloads draw, so both show the same cells.

A click sends {"code", "column"} as the trigger value "cell"; the picked cell is drawn outlined.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import streamlit as st

from ..charts import DARK_FROM, column_name
from ..disclosure_setting import HIDDEN
from ..widgets import safe_color

HERE = Path(__file__).resolve().parent
NAME = "qcode_heat_grid"
MUTED = "#ececec"
# ColorBrewer's "Blues" (Cynthia Brewer, colorbrewer2.org), white to dark blue: the shade of a cell.
BLUES = ("#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b")


@cache
def _renderer() -> Callable[..., Any]:
    # Styles are not isolated: the table takes the page's font, and tests and benchmarks find it in the page.
    return st.components.v2.component(
        NAME,
        js=(HERE / "heat_grid.js").read_text(encoding="utf-8"),
        css=(HERE / "heat_grid.css").read_text(encoding="utf-8"),
        isolate_styles=False,
    )


def heat_grid(grid: dict[str, Any], key: str, on_pick: Callable[[], None], reveal: str = "") -> None:
    """Draw the grid; on_pick runs (before the next run) when a cell is clicked, st.session_state[key]["cell"]
    holding {"code", "column"}. reveal: the id of an element (the quotes' heading) the browser scrolls to the
    top of the view after a click, where it is out of view or in its lower half (below the grid on a narrow
    screen)."""
    _renderer()(key=key, data={**grid, "reveal": reveal}, height="content", on_cell_change=on_pick)


def picked_cell(key: str) -> tuple[str, str] | None:
    """(code, column) of the cell just clicked in the grid under this key, if the browser sent one."""
    state = st.session_state.get(key)
    cell = state.get("cell") if state is not None and hasattr(state, "get") else None
    if not isinstance(cell, dict) or not isinstance(cell.get("code"), str) or not isinstance(cell.get("column"), str):
        return None
    return cell["code"], cell["column"]


def grid_from_spec(spec: dict[str, Any], picked: tuple[Any, Any] | None = None) -> dict[str, Any]:
    """What the browser draws: columns (key, name, n), rows (code, name, level, color) and one cell per row
    and column (text, fill, ink, tip), in the spec's order; `picked` is outlined."""
    records = spec["datasets"][spec["data"]["name"]]
    grid_layer, text_layer = spec["layer"][0], spec["layer"][1]
    x = grid_layer["encoding"]["x"]
    narrow = text_layer["encoding"]["text"]["field"] == "short"
    column_of = {r["column_label"]: str(r["column"]) for r in records}
    columns: list[dict[str, str]] = []
    for label in x["sort"]:
        name, n = column_name(str(label))
        columns.append({"key": column_of.get(label, name), "name": name, "n": n})
    by_label = {r["label"]: r for r in records}
    rows: list[dict[str, Any]] = [
        {
            "code": str(by_label[label]["code"]),
            "name": str(by_label[label]["name"]),
            "level": int(by_label[label]["level"]),
            "color": safe_color(by_label[label]["color"]),
        }
        for label in grid_layer["encoding"]["y"]["sort"]
        if label in by_label
    ]
    cell_of = {(str(r["code"]), str(r["column"])): r for r in records}
    top = float(grid_layer["encoding"]["color"]["scale"]["domain"][1])  # the darkest shade, as the images draw it
    cells = [[_cell(cell_of.get((str(row["code"]), column["key"])), top, narrow) for column in columns] for row in rows]
    return {
        "title": str(x.get("title") or ""),
        "slanted": bool(x.get("axis", {}).get("labelAngle")),  # long names stand on end
        "step": int(spec["width"]) // max(len(columns), 1),
        "columns": columns,
        "rows": rows,
        "cells": cells,
        "picked": [str(picked[0]), str(picked[1])] if picked else None,
    }


def _cell(record: dict[str, Any] | None, top: float, narrow: bool) -> dict[str, str]:
    if record is None:
        return {"text": "", "fill": MUTED, "ink": "#222222", "tip": ""}
    text = str(record["short"] if narrow else record["text"])
    tip = f"{record['label']} · {column_name(str(record['column_label']))[0]}: {record['text']}"
    shade = record.get("shade")
    if record["muted"] or shade is None or shade != shade:  # a Total, a diagonal, a hidden cell
        if record.get("count") is None and record["text"] == HIDDEN:  # disclosure_setting.masked_spec's mark
            tip = tip[: -len(HIDDEN)] + "hidden (disclosure control)"
        return {"text": text, "fill": MUTED, "ink": "#222222", "tip": tip}
    share = min(max(float(shade) / top, 0.0), 1.0)
    return {"text": text, "fill": blue(share), "ink": "#ffffff" if share > DARK_FROM else "#222222", "tip": tip}


def blue(share: float) -> str:
    """The colour at this share (0 to 1) of the Blues ramp, interpolated between its stops."""
    position = min(max(share, 0.0), 1.0) * (len(BLUES) - 1)
    low = int(position)
    high = min(low + 1, len(BLUES) - 1)
    part = position - low
    start, end = _rgb(BLUES[low]), _rgb(BLUES[high])
    return "#" + "".join(f"{round(a + (b - a) * part):02x}" for a, b in zip(start, end, strict=True))


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)
