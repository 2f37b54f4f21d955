"""Any table of counts in the form a paper prints: "12 (67%)" in one cell or count and % side by side,
the n of every column in a last row, and notes saying what was counted. Written with tables.write_table,
whose XLSX About sheet and CSV sidecar carry the notes (the dashboard and the CLI share this form).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from .tables import write_table

LAYOUTS = ("cell", "side", "counts")
CODE_COLUMNS = ("name", "level")


def flat_name(column: object) -> str:
    """A column key as one header: ("north", "female") -> "north / female"; empty levels are left out."""
    if isinstance(column, tuple):
        return " / ".join(str(part) for part in column if str(part))
    return str(column)


def row_labels(table: pd.DataFrame, label: str = "Code") -> pd.Series:
    """Row names: a code table's names indented two ordinary spaces per level (what a word processor
    keeps), otherwise the index as text."""
    names = [c for c in table.columns if flat_name(c) in CODE_COLUMNS]
    if len(names) == 2:
        name = table[[c for c in names if flat_name(c) == "name"][0]]
        level = table[[c for c in names if flat_name(c) == "level"][0]].astype(int)
        return pd.Series(["  " * lv + str(n) for n, lv in zip(name, level, strict=True)], name=label)
    return pd.Series(table.index.astype(str), name=label)


def _values(table: pd.DataFrame) -> list[object]:
    return [c for c in table.columns if flat_name(c) not in CODE_COLUMNS]


def percent_text(value: float, decimals: int) -> str:
    return "" if pd.isna(value) else f"{value:.{decimals}f}%"


def publication_frame(
    counts: pd.DataFrame,
    percents: pd.DataFrame | None = None,
    bases: pd.Series | Mapping[object, int] | None = None,
    layout: str = "cell",
    decimals: int = 0,
    label: str = "Code",
    n_label: str = "n",
) -> pd.DataFrame:
    """counts (a crosstab, case matrix or any frame of numbers; name/level columns become indented row
    names) as a reader's table. percents: the same shape, in percent; with layout "cell" each cell reads
    "12 (67%)", with "side" a count column and a % column per column, "counts" leaves percentages out.
    bases: n per column, written as the last row (Total included when given)."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}")
    if percents is None and layout != "counts":
        raise ValueError("percentages are needed for the cell and side layouts")
    columns = _values(counts)
    built: dict[str, object] = {label: row_labels(counts, label).to_numpy()}  # one frame at the end: fast
    for column in columns:
        number = counts[column].to_numpy()
        header = flat_name(column)
        if layout == "counts" or percents is None:
            built[header] = number
        elif layout == "cell":
            share = percents[column].to_numpy()
            built[header] = [
                _count_text(n) if pd.isna(p) else f"{_count_text(n)} ({percent_text(p, decimals)})"
                for n, p in zip(number, share, strict=True)
            ]
        else:
            built[f"{header} (n)"] = number
            built[f"{header} (%)"] = [None if pd.isna(p) else round(float(p), decimals) for p in percents[column]]
    table = pd.DataFrame(built)
    if bases is not None:
        found = dict(bases.items()) if isinstance(bases, pd.Series) else dict(bases)
        footer: dict[str, object] = {label: n_label}
        for column in columns:
            header = flat_name(column) if layout != "side" else f"{flat_name(column)} (n)"
            if column in found:
                footer[header] = int(found[column])
        table = pd.concat([table, pd.DataFrame([footer])], ignore_index=True)
        if layout == "cell":  # one type per column: the n row's numbers as text like the cells above
            table = table.astype({flat_name(c): object for c in columns})
    return table


def _count_text(value: object) -> str:
    if pd.isna(value):  # type: ignore[call-overload]
        return ""
    number = float(value)  # type: ignore[arg-type]
    return f"{int(number)}" if number.is_integer() else f"{number:g}"


def notes(
    counted: str,
    coders: Sequence[str] | None,
    unit: str,
    codebook: str,
    project: str | None = None,
    percent: str | None = None,
    filters: str | None = None,
    date: dt.date | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """What a reader needs to read the numbers, each said once: what a count counts, whose codings, the
    coding unit, the codebook version, the date; and percentages, filters, anything else if given."""
    result = {}
    if project:
        result["Project"] = project
    result["Counts"] = counted
    pooled = "all coders pooled (a unit counts if any coder applied the code)"
    result["Coders"] = ", ".join(coders) if coders else pooled
    result["Coding unit"] = unit
    result["Codebook"] = codebook
    if percent:
        result["Percentages"] = percent
    if filters:
        result["Filters"] = filters
    result["Date"] = (date or dt.date.today()).isoformat()
    result.update(extra or {})
    return result


PERCENT_NOTES = {
    "row": "of the row's Total (each code's units spread over the columns)",
    "column": "of the column's n (the last row)",
}


def caption(about: Mapping[str, str]) -> str:
    """The notes as one line under a table on screen (the export carries the same notes)."""
    return " · ".join(f"{key}: {value}" for key, value in about.items())


def write_publication(table: pd.DataFrame, about: Mapping[str, str], path: str | Path) -> Path:
    """The table as .xlsx (notes on an About sheet) or .csv (notes in <name>.about.txt beside it)."""
    return write_table(table, path, header=about)
