"""The project's disclosure threshold (one k for the command line and the dashboard) and the helpers the
dashboard hides cells and quotes with: small cells and small columns, pairs of codes, withheld quotes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from coding.disclosure import pair_respondents, small_cells, suppress_small_cells, withheld_codings


def test_small_cells_and_columns_of_few_respondents() -> None:
    respondents = pd.DataFrame(
        {"name": ["A", "B"], "level": [0, 0], "north": [1, 4], "south": [0, 1], "Total": [1, 5]}, index=["a", "b"]
    )
    bases = pd.Series({"north": 6, "south": 2, "Total": 8})
    small = small_cells(respondents, 3, bases)
    assert small.loc["a", "north"] and not small.loc["b", "north"]  # 1 < 3 <= 4
    assert small["south"].all()  # a column of 2: its 0 is as telling as its 1
    assert small.loc["a", "Total"] and not small.loc["b", "Total"]
    assert "name" not in small.columns
    table = suppress_small_cells(respondents, respondents, 3, bases)
    assert pd.isna(table.loc["a", "north"]) and table.loc["b", "north"] == 4 and table["south"].isna().all()
    assert not small_cells(respondents, 0).to_numpy().any()


def test_crossed_attributes_are_suppressed_too() -> None:
    columns = pd.MultiIndex.from_tuples([("name", ""), ("north", "f"), ("north", "m"), ("Total", "")])
    counts = pd.DataFrame([["A", 1, 5, 6]], index=["a"], columns=columns)
    table = suppress_small_cells(counts, counts, 3)
    assert pd.isna(table.loc["a", ("north", "f")]) and table.loc["a", ("north", "m")] == 5
    assert table.loc["a", ("name", "")] == "A"


def test_pairs_count_respondents_not_segments() -> None:
    pairs = pd.DataFrame(
        {"segment_id": [1, 1, 2, 2, 3, 3, 4], "code": ["x", "y", "x", "y", "x", "y", "x"]},
    )
    segments = pd.DataFrame({"segment_id": [1, 2, 3, 4], "respondent_id": ["R1", "R1", "R2", "R3"]})
    table = pair_respondents(pairs, segments, ["x", "y", "z"])
    assert table.loc["x", "y"] == 2 and table.loc["y", "x"] == 2  # R1 twice counts once, R2
    assert table.loc["x", "x"] == 3 and table.loc["z", "z"] == 0


def test_withheld_quotes_sit_behind_small_cells() -> None:
    codings = pd.DataFrame(
        {
            "respondent_id": ["R1", "R2", "R3", "R1", "R4"],
            "code": ["hope", "hope", "hope", "fear", "hope"],
            "gender": ["f", "m", "m", "f", "m"],
            "text": ["a", "b", "c", "d", "e"],
        }
    )
    overall = withheld_codings(codings, [], 2)
    assert overall.tolist() == [False, False, False, True, False]  # only R1 has fear
    by_gender = withheld_codings(codings, ["gender"], 2)
    assert by_gender.tolist() == [True, False, False, True, False]  # R1 is the only woman with hope
    assert not withheld_codings(codings, ["gender"], 0).any()


def test_the_threshold_is_one_setting_for_the_command_line_and_the_dashboard(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from coding.cli import main
    from coding.errors import UsageError
    from coding.project import open_project

    fixtures = Path(__file__).parent / "fixtures" / "transcripts"
    runner = CliRunner()
    folder = tmp_path / "study"
    args = ["--project", str(folder)]
    assert runner.invoke(main, ["init", str(folder)]).exit_code == 0
    metadata = ["--metadata", str(fixtures / "respondents.csv")]
    assert runner.invoke(main, ["ingest", str(fixtures), *metadata, *args]).exit_code == 0
    assert runner.invoke(main, ["segment", "--unit", "paragraph", *args]).exit_code == 0
    codings = tmp_path / "codings.csv"
    codings.write_text("document,code,text\nR102,corruption,the amnesty\n", encoding="utf-8")
    assert runner.invoke(main, ["import-codings", str(codings), "--coder", "ann", *args]).exit_code == 0

    project = open_project(folder)
    assert project.min_respondents == 0
    with pytest.raises(UsageError, match="at least 2"):
        project.set_min_respondents(1)
    project.set_min_respondents(3, actor="ann")
    assert open_project(folder).min_respondents == 3
    log = project.store.log_frame()
    assert log[log["action"] == "set_disclosure"]["actor"].tolist() == ["ann"]

    shown = tmp_path / "shown.csv"
    result = runner.invoke(main, ["crosstab", "--by", "group", "--out", str(shown), *args])
    assert result.exit_code == 0 and "fewer than 3 respondents" in result.stderr  # the project's k by default
    assert pd.isna(pd.read_csv(shown).set_index("code").at["corruption", "opposition"])
    plain = tmp_path / "plain.csv"
    result = runner.invoke(main, ["crosstab", "--by", "group", "--min-respondents", "0", "--out", str(plain), *args])
    assert result.exit_code == 0 and pd.read_csv(plain).set_index("code").at["corruption", "opposition"] == 1
    table = tmp_path / "table.csv"
    assert runner.invoke(main, ["export", "crosstab", str(table), "--by", "group", *args]).exit_code == 0
    assert "fewer than 3 respondents" in table.read_text(encoding="utf-8-sig") + "".join(
        p.read_text(encoding="utf-8") for p in tmp_path.glob("table*.txt")
    )
