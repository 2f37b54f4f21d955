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
