"""Tables on the analysis pages as a paper prints them, downloadable as XLSX and CSV with their notes."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import streamlit as st

from coding import publication_form

from . import data
from .state import ProjectKey, cached_project, plain


def notes(
    key: ProjectKey,
    token: data.Token,
    filters: data.Filters,
    counted: str,
    percent: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """What the table counts, whose codings, the unit, the codebook version, the filters and the date."""
    project = cached_project(key)
    book = data.codebook(key, token)
    chosen = "; ".join(f"{plain(a)}: {', '.join(v)}" for a, v in filters.attributes) or "all respondents"
    made = ", ".join(filters.sources) + " codings, " + ", ".join(filters.statuses)
    return publication_form.notes(
        counted,
        list(filters.coders),
        project.unit,
        f"{book.name} version {book.version}",
        project=project.name,
        percent=percent,
        filters=f"{chosen}; {made}",
        extra=extra,
    )


def file_bytes(table: pd.DataFrame, about: Mapping[str, str], suffix: str) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = publication_form.write_publication(table, about, Path(folder) / f"table{suffix}")
        return path.read_bytes()


def downloads(table: pd.DataFrame, about: Mapping[str, str], name: str, key: str) -> None:
    """XLSX and CSV buttons side by side; the files are built when clicked. The notes go with both."""
    st.caption(publication_form.caption(about))
    left, right, _ = st.columns([1, 1, 4])
    left.download_button(
        "XLSX",
        lambda: file_bytes(table, about, ".xlsx"),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"xlsx_{key}",
        icon=":material/download:",
        on_click="ignore",
    )
    right.download_button(
        "CSV",
        lambda: file_bytes(table, about, ".csv"),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"csv_{key}",
        icon=":material/download:",
        on_click="ignore",
    )


def screen(table: pd.DataFrame) -> pd.DataFrame:
    """A publication table for st.dataframe: text columns whose n row holds a number become all text
    (Arrow refuses mixed columns; the files keep the numbers)."""
    shown = table.copy()
    for column in shown.columns:
        if shown[column].dtype == object:
            shown[column] = shown[column].map(
                lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
            )
    return shown
