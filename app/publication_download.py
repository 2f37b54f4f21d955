"""Tables on the analysis pages as a paper prints them, downloadable as XLSX and CSV with their notes."""

from __future__ import annotations

import tempfile
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

import pandas as pd
import streamlit as st

from coding import publication_form
from coding.disclosure import suppress_small_cells
from coding.tables import safe_frame

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


def crosstab_publication(
    key: ProjectKey, token: data.Token, filters: data.Filters, by: str, count: str, percent: str, k: int = 0
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The Themes crosstab as a paper prints it: "12 (67%)" cells (counts alone without a percentage), the
    n row, and its notes; with k >= 2 the cells resting on fewer than k respondents are blank."""
    counts = data.crosstab(key, token, filters, by, count, "none")
    shares = data.crosstab(key, token, filters, by, count, percent) if percent != "none" else None
    if k >= 2:
        respondents = data.crosstab(key, token, filters, by, "respondents", "none")
        bases = data.column_bases(key, token, filters, by, "respondents")
        counts = suppress_small_cells(counts, respondents, k, bases)
        shares = suppress_small_cells(shares, respondents, k, bases) if shares is not None else None
    table = publication_form.publication_frame(
        counts,
        shares,
        data.column_bases(key, token, filters, by, count),
        "cell" if shares is not None else "counts",
        n_label=f"n ({count})",
    )
    about = notes(
        key,
        token,
        filters,
        f"{count} coded with each code (a parent code counts its children), by {plain(by).lower()}",
        percent=publication_form.PERCENT_NOTES.get(percent),
    )
    return table, suppression_note(about, k)


def suppression_note(about: dict[str, str], k: int) -> dict[str, str]:
    """The notes with the threshold stated, as the command line states it."""
    if k < 2:
        return about
    return {
        **about,
        "Suppressed": f"cells resting on fewer than {k} respondents are left blank, and so are all cells of a "
        f"column of fewer than {k} respondents (disclosure control); their quotes are not shown",
    }


def cooccurrence_publication(
    key: ProjectKey,
    token: data.Token,
    filters: data.Filters,
    codes: Sequence[str],
    hidden: Collection[tuple[str, str]] = (),
    k: int = 0,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The Co-occurrence matrix of `codes` with code names for rows and columns, and its notes; the
    `hidden` pairs (fewer than k respondents) blank."""
    names = {code.id: code.name for code in data.codebook(key, token).codes}
    matrix = data.cooccurrence(key, token, filters).loc[list(codes), list(codes)]
    matrix = matrix.astype("float") if hidden else matrix
    for row, column in hidden:
        if row in matrix.index and column in matrix.columns:
            matrix.at[row, column] = float("nan")
    table = publication_form.publication_frame(matrix.rename(index=names, columns=names), layout="counts")
    about = notes(
        key,
        token,
        filters,
        "segments coded with both codes (the diagonal: segments with the code; a parent code counts its children)",
    )
    return table, suppression_note(about, k)


def file_bytes(table: pd.DataFrame, about: Mapping[str, str], suffix: str) -> bytes:
    """The table as XLSX (notes on their own sheet) or CSV (notes after the table, below a blank line:
    a single downloaded file cannot carry the .about.txt the command line writes beside it)."""
    with tempfile.TemporaryDirectory() as folder:
        path = publication_form.write_publication(table, about, Path(folder) / f"table{suffix}")
        data = path.read_bytes()
        if suffix == ".csv":
            notes = pd.DataFrame({"note": list(about), "value": [str(v) for v in about.values()]})
            data += b"\n" + safe_frame(notes).to_csv(index=False, header=False).encode("utf-8")
        return data


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
