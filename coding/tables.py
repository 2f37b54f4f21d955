"""Write DataFrames as CSV or XLSX that spreadsheets open cleanly and safely.

- Text cells that a spreadsheet would run as a formula (starting with = + - @, tab or carriage return)
  get a leading single quote, in CSV and XLSX alike: exported quotes come from interviews and
  metadata files, which nobody vetted for formulas. Numbers, and text that is just a number, are left.
- CSV is UTF-8 with a BOM by default, so Excel does not guess a legacy encoding.
- Provenance (project, codebook version, coders, filters) goes to a sidecar <name>.about.txt for CSV,
  keeping the CSV itself one clean table, and to an "About" sheet for XLSX.
- Files are written to a temporary name first, so a failed export leaves no half-written table.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coding.errors import UsageError

if TYPE_CHECKING:  # pandas loads in the functions that build frames, not on import
    import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?%?$")
DATA_SHEET, ABOUT_SHEET = "Data", "About"


def write_table(
    df: pd.DataFrame, path: str | Path, *, bom: bool = True, header: Mapping[str, str] | None = None
) -> Path:
    """Write df to path (.csv or .xlsx), with an optional provenance block; returns the path."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise UsageError(f"{path}: tables are written as .csv or .xlsx, not {suffix or 'no extension'!r}")
    table = safe_frame(df)
    if suffix == ".csv":
        _write(
            path,
            lambda tmp: table.to_csv(tmp, index=False, encoding="utf-8-sig" if bom else "utf-8", lineterminator="\n"),
        )
        if header is not None:
            about = path.with_name(f"{path.stem}.about.txt")
            _write(about, lambda tmp: tmp.write_text(about_text(header), encoding="utf-8"))
    else:
        _write(path, lambda tmp: _write_xlsx(table, tmp, header))
    return path


def write_csv_pieces(
    pieces: Iterable[pd.DataFrame], path: str | Path, *, bom: bool = True, header: Mapping[str, str] | None = None
) -> int:
    """write_table for a .csv given in pieces (the same columns in each), written one after another, so that
    a table of millions of rows is never whole in memory; returns the rows written. With no piece at all the
    file holds no header row either (the columns are not known)."""
    path = Path(path)
    if path.suffix.lower() != ".csv":
        raise UsageError(f"{path}: tables written in pieces are .csv, not {path.suffix or 'no extension'!r}")
    rows = 0

    def write(temporary: Path) -> None:
        nonlocal rows
        with temporary.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
            for piece in pieces:
                safe_frame(piece).to_csv(handle, index=False, header=rows == 0, lineterminator="\n")
                rows += len(piece)

    _write(path, write)
    if header is not None:
        about = path.with_name(f"{path.stem}.about.txt")
        _write(about, lambda tmp: tmp.write_text(about_text(header), encoding="utf-8"))
    return rows


def escape_cell(value: Any) -> Any:
    """Neutralise a text cell a spreadsheet would evaluate; anything else passes unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def unescape_cell(value: Any) -> Any:
    """Undo escape_cell, for reading our own exports back (e.g. a codings CSV's quote column). A text
    that really began with a quote and a formula character cannot be told apart; that is rare enough."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with a meaningful index turned into columns, flat column names and every text escaped."""
    import pandas as pd

    table = df.copy()
    if not _is_default_index(table.index):
        table = table.reset_index()
    table.columns = [escape_cell(_column_name(column)) for column in table.columns]
    for column in table.columns:
        if not pd.api.types.is_numeric_dtype(table[column]):
            table[column] = table[column].map(escape_cell)
    return table


def about_text(header: Mapping[str, str]) -> str:
    """key: value lines; a value's further lines are indented so each entry stays recognisable."""
    lines = []
    for key, value in header.items():
        first, *rest = str(value).splitlines() or [""]
        lines.append(f"{key}: {first}")
        lines.extend(f"  {line}" for line in rest)
    return "\n".join(lines) + "\n"


def _write_xlsx(table: pd.DataFrame, path: Path, header: Mapping[str, str] | None) -> None:
    import pandas as pd

    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        _naive_datetimes(table).to_excel(writer, sheet_name=DATA_SHEET, index=False)
        if header is not None:
            about = pd.DataFrame({"field": list(header), "value": [str(v) for v in header.values()]})
            safe_frame(about).to_excel(writer, sheet_name=ABOUT_SHEET, index=False)


def _naive_datetimes(table: pd.DataFrame) -> pd.DataFrame:
    """Excel has no time zones: write zoned timestamps as UTC wall time (openpyxl refuses them)."""
    import pandas as pd

    table = table.copy()
    for column in table.columns:
        if isinstance(table[column].dtype, pd.DatetimeTZDtype):
            table[column] = table[column].dt.tz_convert("UTC").dt.tz_localize(None)
    return table


def _is_default_index(index: pd.Index) -> bool:
    import pandas as pd

    return isinstance(index, pd.RangeIndex) and index.name is None and index.start == 0 and index.step == 1


def _column_name(column: Any) -> Any:
    if isinstance(column, tuple):  # MultiIndex columns, e.g. a crosstab with totals
        return " / ".join(str(part) for part in column if str(part))
    return column


def _write(path: Path, write: Callable[[Path], object]) -> None:
    with _temporary_beside(path) as temporary:
        write(temporary)
        os.replace(temporary, path)


@contextmanager
def _temporary_beside(path: Path) -> Iterator[Path]:
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write here ({exc.strerror})") from exc
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
    finally:
        temporary.unlink(missing_ok=True)
