"""Defects a review of the session's changes found, each held by a test."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from coding.cli import main
from coding.project import create_project

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"


def test_dashboard_csv_downloads_escape_formulas() -> None:
    from qcode_app.widgets import csv_bytes

    frame = pd.DataFrame({"text": ['=HYPERLINK("http://x","y")', "plain"], "n": [1, 2]}, index=["a", "b"])
    written = csv_bytes(frame).decode("utf-8")
    assert "'=HYPERLINK" in written and "\n=HYPERLINK" not in written
    assert written.splitlines()[0] == "text,n"  # the index stays out unless asked for


def test_agreement_of_a_coder_with_themselves_is_one_line(tmp_path: Path) -> None:
    project = tmp_path / "study"
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(project)]).exit_code == 0
    result = runner.invoke(main, ["agree", "ann", "ann", "--project", str(project)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["qcode: error: each coder once: ann, ann names one twice"]


def test_a_project_without_a_named_codebook_gets_the_shipped_one(tmp_path: Path) -> None:
    from coding.resources import default_codebook

    project = create_project(tmp_path / "study")
    assert project.codebook.name and len(project.codebook.codes) > 10
    assert default_codebook().is_file()


def test_quotes_workbook_has_one_sheet_per_code_and_an_inert_about_sheet(tmp_path: Path) -> None:
    import openpyxl

    from coding.publication import write_quotes

    long_a = "a" * 10 + ".same_thirty_one_character_end_x"
    long_b = "b" * 10 + ".same_thirty_one_character_end_x"
    tables = {c: pd.DataFrame({"Quote": [f"quote for {c}"]}) for c in (long_a, long_b)}
    out = tmp_path / "quotes.xlsx"
    write_quotes(tables, {"Coders": '=HYPERLINK("http://x","y")'}, out)
    book = openpyxl.load_workbook(out)
    assert len(book.sheetnames) == 3 and all(len(name) <= 31 for name in book.sheetnames)
    quotes = {book[name]["A2"].value for name in book.sheetnames[1:]}
    assert quotes == {f"quote for {long_a}", f"quote for {long_b}"}
    about = [cell for row in book["About"].iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in about)


def test_publication_csv_download_carries_its_notes() -> None:
    from qcode_app.publication_download import file_bytes

    table = pd.DataFrame({"Code": ["Fear"], "afghan": ["3 (60%)"]})
    written = file_bytes(table, {"Counts": "respondents", "Coders": "ann"}, ".csv").decode("utf-8-sig")
    assert "Fear" in written and "Counts,respondents" in written and "Coders,ann" in written
