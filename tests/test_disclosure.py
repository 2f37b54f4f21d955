"""k-anonymity over respondent attributes: rare combinations, minimal reporting, missing values."""

from __future__ import annotations

import pandas as pd
import pytest

from coding.disclosure import risky_combinations, smallest_group


def _study() -> pd.DataFrame:
    rows = []
    for i in range(12):
        rows.append({"respondent_id": f"R{i:02d}", "group": "government", "gender": "male", "region": "north"})
    for i in range(12, 20):
        rows.append({"respondent_id": f"R{i:02d}", "group": "opposition", "gender": "female", "region": "south"})
    rows.append({"respondent_id": "R20", "group": "government", "gender": "female", "region": "north"})
    rows.append({"respondent_id": "R21", "group": "opposition", "gender": "male", "region": None})
    return pd.DataFrame(rows)


def test_the_one_woman_among_government_respondents_is_reported() -> None:
    risky = risky_combinations(_study(), ["group", "gender"], k=3)
    found = {(row.attributes, row.values): row.respondents for row in risky.itertuples()}
    assert found[(("group", "gender"), ("government", "female"))] == ("R20",)
    assert found[(("group", "gender"), ("opposition", "male"))] == ("R21",)
    assert all(size < 3 for size in risky["size"])


def test_a_combination_is_not_repeated_when_a_smaller_part_is_already_rare() -> None:
    risky = risky_combinations(_study(), ["group", "gender", "region"], k=3)
    pairs = list(zip(risky["attributes"], risky["values"], strict=True))
    # region missing is rare on its own (one respondent): no longer combination with it is listed
    assert (("region",), ("(missing)",)) in pairs
    assert not any("region" in cols and "(missing)" in vals and len(cols) > 1 for cols, vals in pairs)


def test_nothing_is_reported_when_every_group_is_large_enough() -> None:
    frame = _study()
    assert risky_combinations(frame, ["group"], k=3).empty
    assert smallest_group(frame, ["group", "gender"]) == 1
    assert smallest_group(frame, ["group"]) == 9  # 8 + R21 in opposition


def test_bad_arguments() -> None:
    with pytest.raises(KeyError, match="religion"):
        risky_combinations(_study(), ["religion"])
    with pytest.raises(ValueError):
        risky_combinations(_study(), ["group"], k=1)


def test_cells_on_one_or_two_respondents_are_blanked_and_zero_cells_stay() -> None:
    from coding.disclosure import suppress_small_cells

    segments = pd.DataFrame({"name": ["A", "B"], "level": [0, 0], "x": [9, 4], "y": [0, 7]}, index=["a", "b"])
    people = pd.DataFrame({"name": ["A", "B"], "level": [0, 0], "x": [5, 2], "y": [0, 3]}, index=["a", "b"])
    shown = suppress_small_cells(segments, people, k=3)
    assert shown.at["a", "x"] == 9 and shown.at["a", "y"] == 0 and shown.at["b", "y"] == 7
    assert pd.isna(shown.at["b", "x"])  # 4 segments from 2 respondents
    assert shown["name"].tolist() == ["A", "B"]
    assert suppress_small_cells(segments, people, k=1).equals(segments)


def test_qcode_respondents_risk_names_the_rare_combination(tmp_path) -> None:
    from pathlib import Path

    from click.testing import CliRunner

    from coding.cli import main

    fixtures = Path(__file__).parent / "fixtures" / "transcripts"
    runner = CliRunner()
    project = tmp_path / "study"
    assert runner.invoke(main, ["init", str(project)]).exit_code == 0
    result = runner.invoke(
        main, ["ingest", str(fixtures), "--metadata", str(fixtures / "respondents.csv"), "--project", str(project)]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["respondents", "--risk", "--attribute", "group", "--project", str(project)])
    assert result.exit_code == 0, result.output
    # R101 is the only civil-society respondent in the fixtures
    assert "1 respondent(s): group=civil_society  (R101)" in result.output
    assert "smallest group has 1" in result.output
    bad = runner.invoke(main, ["respondents", "--risk", "--attribute", "religion", "--project", str(project)])
    assert bad.exit_code == 2 and "unknown respondent attribute 'religion'" in bad.stderr


def test_crosstab_and_its_publication_export_suppress_cells_of_few_respondents(tmp_path) -> None:
    from pathlib import Path

    from click.testing import CliRunner

    from coding.cli import main

    fixtures = Path(__file__).parent / "fixtures" / "transcripts"
    runner = CliRunner()
    project = tmp_path / "study"
    assert runner.invoke(main, ["init", str(project)]).exit_code == 0
    args = ["--project", str(project)]
    assert (
        runner.invoke(main, ["ingest", str(fixtures), "--metadata", str(fixtures / "respondents.csv"), *args]).exit_code
        == 0
    )
    assert runner.invoke(main, ["segment", "--unit", "paragraph", *args]).exit_code == 0
    codings = tmp_path / "codings.csv"
    codings.write_text("document,code,text\nR102,corruption,the amnesty\n", encoding="utf-8")
    assert runner.invoke(main, ["import-codings", str(codings), "--coder", "ann", *args]).exit_code == 0

    plain = tmp_path / "plain.csv"
    shown = tmp_path / "shown.csv"
    assert runner.invoke(main, ["crosstab", "--by", "group", "--out", str(plain), *args]).exit_code == 0
    result = runner.invoke(main, ["crosstab", "--by", "group", "--min-respondents", "3", "--out", str(shown), *args])
    assert result.exit_code == 0 and "fewer than 3 respondents" in result.stderr
    before = pd.read_csv(plain).set_index("code")
    after = pd.read_csv(shown).set_index("code")
    assert before.at["corruption", "opposition"] == 1  # one respondent's paragraph
    assert pd.isna(after.at["corruption", "opposition"])
    # a column of fewer than 3 respondents is blank throughout: there a 0 tells about a person too
    assert before.at["corruption", "government"] == 0
    assert pd.isna(after.at["corruption", "government"])
    # zero cells of larger columns stay: the Total rests on 4 respondents
    uncoded = before.index[before["Total"] == 0][0]
    assert after.at[uncoded, "Total"] == 0

    out = tmp_path / "table.xlsx"
    result = runner.invoke(main, ["export", "crosstab", str(out), "--by", "group", "--min-respondents", "3", *args])
    assert result.exit_code == 0, result.output
    import openpyxl

    book = openpyxl.load_workbook(out)
    cells = [str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value]
    assert any("fewer than 3 respondents" in cell for cell in cells)
