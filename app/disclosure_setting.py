"""Disclosure control in the dashboard: cells resting on fewer than k respondents are hidden, and so are
the quotes behind them. In a study of 36, "the one woman among the government respondents" is a person.

k is the project's setting (`Project.min_respondents`, kept in its database): the command line's tables and
every dashboard open on the project apply the same one, and the audit log says who changed it. The
sidebar's control (`control`) changes it; the pages read it with `threshold`.
"""

from __future__ import annotations

import copy
from typing import Any

import pandas as pd
import streamlit as st

from coding import disclosure

from . import charts
from .state import ProjectKey, act, cached_project, coder, drawn_key, flipped, is_lead

HIDDEN = "–"  # what a hidden cell shows in a chart
DEFAULT_K = 3  # proposed when the control is switched on
_ON, _K = "_disclosure_on", "_disclosure_k"


def threshold(key: ProjectKey) -> int:
    """The project's k (0: off)."""
    return cached_project(key).min_respondents


def control(key: ProjectKey) -> None:
    """The sidebar's switch and k: a change is saved to the project at once, for everyone."""
    k = threshold(key)
    # Keys that never come back for another value, never reset by the server (state.drawn_key): a reset
    # (another lead changed k) outrun by a click would come back from this browser as a change and undo theirs.
    on_key, k_key = drawn_key(_ON, k >= 2), drawn_key(_K, k)
    may_change = bool(coder()) and is_lead()  # the project's setting: a lead's to change
    st.toggle(
        "Hide cells below k respondents",
        value=k >= 2,
        key=on_key,
        disabled=not may_change,
        on_change=_switched,
        args=(key, on_key, k >= 2),
        help="Disclosure control: a number (and its quotes) that rests on fewer than k respondents is hidden on "
        "the Themes, Matrices, Co-occurrence and Export pages and in their downloads. A project setting: the "
        "command line's crosstab and export apply it too.",
    )
    if k >= 2:
        st.number_input(
            "k (respondents)",
            min_value=2,
            max_value=1000,
            value=k,
            step=1,
            key=k_key,
            on_change=_set_k,
            args=(key, k_key, k),
            disabled=not may_change,
        )


def _switched(key: ProjectKey, widget: str, drawn: bool) -> None:
    if flipped(widget, drawn):
        _save(key, DEFAULT_K if st.session_state.get(widget) else 0)


def _set_k(key: ProjectKey, widget: str, drawn: int) -> None:
    if flipped(widget, drawn):
        _save(key, int(st.session_state.get(widget) or DEFAULT_K))


def _save(key: ProjectKey, k: int) -> None:
    act(cached_project(key).set_min_respondents, k, actor=coder())


def note(k: int) -> str:
    """The threshold in words, for captions and the notes of downloads."""
    return (
        f"Cells resting on fewer than {k} respondents are hidden ({HIDDEN}) with their quotes, and so are all "
        f"cells of a column of fewer than {k} respondents (disclosure control)."
    )


def hidden_cells(respondents: pd.DataFrame, k: int, bases: pd.Series | None = None) -> set[tuple[Any, Any]]:
    """(row, column) of the cells to hide, from the same table counted in respondents; with `bases`
    (respondents per column), every cell of a column of fewer than k respondents too."""
    if k < 2 or respondents.empty:
        return set()
    small = disclosure.small_cells(respondents, k, bases)
    return {(row, column) for column in small.columns for row in small.index[small[column].to_numpy()]}


def masked_table(table: pd.DataFrame, hidden: set[tuple[Any, Any]]) -> pd.DataFrame:
    """`table` with the hidden cells blank (NaN): no number, in the table on screen and in its CSV."""
    if not hidden:
        return table
    result = table.copy()
    for row, column in hidden:
        if row in result.index and column in result.columns:
            if result[column].dtype != object:
                result[column] = result[column].astype("float")
            result.at[row, column] = float("nan") if result[column].dtype != object else None
    return result


def dashed(numbers: pd.Series, percent: bool = False) -> pd.Series:
    """A column of numbers as text for the screen, a dash where a number is hidden (st.dataframe would
    print "None")."""
    return numbers.map(lambda v: HIDDEN if pd.isna(v) else (f"{v:.1f}%" if percent else f"{int(v)}"))


def masked_spec(spec: dict[str, Any], hidden: set[tuple[Any, Any]]) -> dict[str, Any]:
    """A heatmap spec (charts.heatmap) with the hidden cells drawn grey with a dash, no number in the
    cell or its tooltip. The cached spec is copied, never changed."""
    if not hidden:
        return spec
    result = copy.deepcopy(spec)
    hidden = {(str(row), str(column)) for row, column in hidden}
    for records in result.get("datasets", {}).values():
        for record in records:
            if (str(record.get("code")), str(record.get("column"))) in hidden:
                record.update(text=HIDDEN, short=HIDDEN, count=None, pct=None, shade=0.0, muted=True)
    # The scale's darkest shade was the largest cell, maybe a hidden one: it is the largest shown now.
    shown = [r.get("shade") for records in result.get("datasets", {}).values() for r in records if not r.get("muted")]
    charts.rescale(result, charts.shade_top(shown))
    return result
