"""coding.store.frames.read_frame: rows fetched a piece at a time and turned into columns, text values shared
between rows (a column of millions of codings holds a handful of distinct codes and coders), with the same
frame as building it from every row at once, whatever the piece size."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
from backends import BACKENDS, database
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from coding.store import frames

COLUMNS = ["id", "count", "code", "note", "score", "flag", "gappy"]


def table_rows(seed: int, n: int) -> list[tuple[object, ...]]:
    chance = random.Random(seed)
    rows = []
    for number in range(n):
        rows.append(
            (
                number,
                chance.randrange(10**12),
                chance.choice(["womens_roles", "external_actors", "corruption"]),
                chance.choice([None, f"unique note {number}", "same"]),
                chance.choice([0.5, 1.25, None]),
                chance.choice([0, 1]),
                None if number < n // 2 else number,  # a column all NULL in the first pieces
            )
        )
    return rows


def every_row_at_once(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    """The frame built as before: one object array of every row, then typed column by column."""
    table = np.array(rows, dtype=object).reshape(len(rows), len(COLUMNS))
    data = {}
    for index, name in enumerate(COLUMNS):
        values = table[:, index]
        sample = next((v for v in values if v is not None), None)
        if isinstance(sample, bool) or not isinstance(sample, int | float):
            data[name] = pd.Series(values, dtype=object)
        elif isinstance(sample, int) and not pd.isna(values).any():
            data[name] = pd.Series(values.astype(np.int64))
        else:
            data[name] = pd.Series(pd.to_numeric(values))
    return pd.DataFrame(data)


@pytest.fixture(params=BACKENDS)
def session(request, tmp_path):  # type: ignore[no-untyped-def]
    """The rows in a table of SQLite or of PostgreSQL (where they are streamed from the server)."""
    with database(request.param) as url:
        engine = create_engine(url or f"sqlite:///{tmp_path / 'rows.sqlite'}")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "CREATE TABLE t (id INTEGER, count BIGINT, code TEXT, note TEXT, score REAL, flag INTEGER,"
                    " gappy INTEGER)"
                )
            )
            connection.execute(
                text("INSERT INTO t VALUES (:a, :b, :c, :d, :e, :f, :g)"),
                [dict(zip("abcdefg", row, strict=True)) for row in table_rows(3, 1_000)],
            )
        with Session(engine) as session:
            yield session
        engine.dispose()


@pytest.mark.parametrize("per_piece", [1, 7, 333, 100_000])
@pytest.mark.parametrize("plain", [True, False])
def test_pieces_give_the_frame_of_every_row_at_once(session, monkeypatch, per_piece: int, plain: bool) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(frames, "ROWS_PER_PIECE", per_piece)
    query = text("SELECT id, count, code, note, score, flag, gappy FROM t ORDER BY id")
    frame = frames.read_frame(session, query, COLUMNS, plain=plain)
    expected = every_row_at_once(table_rows(3, 1_000))
    pd.testing.assert_frame_equal(frame, expected)
    assert frame["gappy"].dtype == np.float64 and frame["count"].dtype == np.int64
    assert frame["code"].dtype == object and frame["note"].dtype == object


def test_repeated_text_is_one_object_and_distinct_text_is_left_alone(session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(frames, "ROWS_PER_PIECE", 100)
    frame = frames.read_frame(session, text("SELECT code, note FROM t"), ["code", "note"], plain=True)
    assert len({id(value) for value in frame["code"]}) == 3  # shared across rows and pieces
    same = [value for value in frame["note"] if value == "same"]
    assert len(same) > 200 and len({id(value) for value in same}) == 1
    assert frame["note"].isna().sum() > 200  # NULL stays None


def test_no_rows_give_empty_columns(session) -> None:  # type: ignore[no-untyped-def]
    frame = frames.read_frame(session, text("SELECT id, code FROM t WHERE id < 0"), ["id", "code"])
    assert list(frame.columns) == ["id", "code"] and len(frame) == 0


def test_respondents_are_the_frame_from_records_makes() -> None:
    """Attributes built column by column: the same frame as pandas' from_records of one dict per respondent
    (NaN where one lacks an attribute, numbers kept as numbers, an explicit null kept), sorted by id."""
    rows = [
        ("R03", {"group": "exile", "age": 51}),
        ("R01", {"group": "government", "gender": "female", "age": 40}),
        ("R02", {"gender": "male", "note": None}),
        ("R04", {}),
    ]
    expected = pd.DataFrame.from_records([{"respondent_id": rid, **attributes} for rid, attributes in rows])
    expected = expected.sort_values("respondent_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(frames.frame_of_records(rows, "respondent_id"), expected)
    assert list(frames.frame_of_records([], "respondent_id").columns) == ["respondent_id"]


def test_statements_after_a_read_in_the_same_transaction_are_not_streamed(session) -> None:  # type: ignore[no-untyped-def]
    """A frame read inside a transaction that then writes: the write runs as a plain statement (on
    PostgreSQL a streamed one would be declared as a cursor, which an UPDATE cannot be)."""
    frames.read_frame(session, text("SELECT id, code FROM t"), ["id", "code"])
    assert not session.connection().get_execution_options().get("stream_results")
    session.execute(text("UPDATE t SET code = 'x' WHERE id = 1"))
    assert frames.read_frame(session, text("SELECT code FROM t WHERE id = 1"), ["code"])["code"].tolist() == ["x"]
