"""Query results as pandas frames, fast: the one place reads turn rows into columns.

Every function takes the open Session of the read or the transaction it belongs to.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.orm import Session

from .schema import CodingRow

K = TypeVar("K")

if TYPE_CHECKING:  # pandas loads in the functions that build frames, not on import
    import pandas as pd


ROWS_PER_PIECE = 100_000  # rows fetched and turned into columns at a time


def read_frame(session: Session, query: Any, columns: list[str], plain: bool = False) -> pd.DataFrame:
    """Rows as a DataFrame built column by column, text kept as plain Python objects (pandas would
    otherwise infer string columns row by row, several times slower on large projects).

    Rows are fetched a piece at a time and each piece turned into columns at once: the driver makes a new
    string for every text value of every row, so a column's repeated values (codes, coders, statuses,
    document names) are shared between rows instead. At 10,000 transcripts the 4.3 million codings took
    2.5 GB to read and 1.2 GB to hold as one tuple and one string per value.

    plain=True reads the driver's own tuples, skipping SQLAlchemy's per-row processing: only for
    queries whose columns are integers, floats and text, which every driver returns as they are."""
    import numpy as np
    import pandas as pd

    shared: dict[object, object] = {}
    pieces: list[list[np.ndarray]] = [[] for _ in columns]
    with no_gc_pauses():
        # Streamed from the server (PostgreSQL keeps the rows there, not all in the client); SQLite reads them
        # as they are asked for anyway, from the driver's own cursor when plain.
        connection = session.connection()
        streamed = connection.dialect.name == "postgresql"
        if streamed:  # plan for every row, not for a fast first tenth (a cursor's default): hash joins stay
            connection.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1")
        # For this statement only: later ones in the transaction (a write) must not become cursors.
        result = connection.execute(query, execution_options={"stream_results": streamed})
        # SQLAlchemy holds the first rows of a streamed result itself: those come through the result.
        cursor = result.cursor if plain and not streamed else None
        with result:  # closed (and a server-side cursor with it) however the reading ends
            while True:
                # Plain tuples either way: numpy probes every SQLAlchemy Row for array attributes, and each miss
                # goes through the Row's slow failed-key path (a third of the cost of reading turns).
                rows = cursor.fetchmany(ROWS_PER_PIECE) if cursor is not None else result.fetchmany(ROWS_PER_PIECE)
                if not rows:
                    break
                table = np.array([tuple(row) for row in rows] if cursor is None else rows, dtype=object)
                for index, values in enumerate(table.reshape(len(rows), len(columns)).T):
                    pieces[index].append(_compact(values, shared))
    if not pieces[0]:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in columns})
    data: dict[str, pd.Series] = {}
    for index, name in enumerate(columns):
        parts, pieces[index] = pieces[index], []  # each column's pieces freed once joined
        if all(part.dtype == np.int64 for part in parts):
            data[name] = pd.Series(np.concatenate(parts))
            continue
        values = np.concatenate([part.astype(object, copy=False) for part in parts])
        sample = next((v for v in values if v is not None), None)
        if isinstance(sample, bool) or not isinstance(sample, int | float):
            data[name] = pd.Series(values, dtype=object)
        elif isinstance(sample, int) and not pd.isna(values).any():
            data[name] = pd.Series(values.astype(np.int64))
        else:  # floats, or whole numbers with gaps: NaN marks the gaps
            data[name] = pd.Series(pd.to_numeric(values))
    return pd.DataFrame(data, copy=False)  # the columns as they are: no second copy of millions of rows


def _compact(values: Any, shared: dict[object, object]) -> Any:
    """A piece of one column: whole numbers without gaps as int64, text with each distinct value one object
    (`shared` across pieces and columns), anything else as it came."""
    import numpy as np
    import pandas as pd

    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind == "integer" and not pd.isna(values).any():
        return values.astype(np.int64)
    if kind != "string":
        return values
    codes, distinct = pd.factorize(values)  # None (SQL NULL) gets -1: the last entry below
    if 2 * len(distinct) > len(values):  # mostly distinct values (hashes, paths): nothing to share
        return values
    one_each = np.array([shared.setdefault(value, value) for value in distinct] + [None], dtype=object)
    return one_each[codes]


def frame_of_records(rows: Iterable[tuple[Any, dict[str, Any]]], name: str) -> pd.DataFrame:
    """(id, attributes) rows as the frame pandas' from_records makes of {name: id, **attributes} (NaN where
    a row lacks an attribute; an attribute called `name` never replaces the id), sorted by id; built column
    by column, each repeated text value one shared object: a dict per row took 44 MB at 20,000 respondents."""
    import pandas as pd

    ids: list[Any] = []
    columns: dict[str, list[Any]] = {}
    shared: dict[str, str] = {}
    for number, (row_id, attributes) in enumerate(rows):
        ids.append(row_id)
        for key, value in attributes.items():
            column = columns.get(key)
            if column is None:  # an attribute first seen here: missing (NaN) for the rows before
                column = columns[key] = [float("nan")] * number
            column.append(shared.setdefault(value, value) if isinstance(value, str) else value)
        for column in columns.values():
            if len(column) == number:
                column.append(float("nan"))
    if not ids:
        return pd.DataFrame(columns=[name])
    frame = pd.DataFrame({name: ids, **{key: values for key, values in columns.items() if key != name}})
    return frame.sort_values(name).reset_index(drop=True)


def read_by_segments(
    session: Session, query: Any, columns: list[str], segment_ids: Sequence[int] | None
) -> pd.DataFrame:
    """A codings query as a frame, for every segment or only for `segment_ids`."""
    import pandas as pd

    if segment_ids is None:
        return read_frame(session, query, columns, plain=True)
    pieces = chunks(sorted(set(segment_ids))) or [[]]
    parts = [read_frame(session, query.where(CodingRow.segment_id.in_(piece)), columns, plain=True) for piece in pieces]
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


@contextmanager
def no_gc_pauses() -> Iterator[None]:
    """Hold the cyclic garbage collector while a large read builds its rows: hundreds of thousands of new
    tuples would trigger full collections over everything the process holds (a dashboard holds a lot),
    which cost up to a second; the rows hold no reference cycles, so nothing is left uncollected."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def chunks(ids: Sequence[K], size: int = 500) -> list[Sequence[K]]:
    """Pieces of an id list small enough for one IN (...) on every database."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]
