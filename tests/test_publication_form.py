"""Publication tables: "12 (67%)" or side by side, the n row and the notes, written as XLSX and CSV and
read back cell by cell against the library's frames."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest
from analysis_projects import gold_frames

from coding import analysis, cooccurrence, portrait, publication_form


@pytest.fixture(scope="module")
def gold(tmp_path_factory):
    return gold_frames(tmp_path_factory.mktemp("publication"))


def two_level(gold):
    args = (gold.codings, gold.segments, gold.respondents, gold.codebook, ["group", "gender"], "respondents")
    counts = analysis.crosstab_by(*args)
    percents = analysis.crosstab_by(*args, "column")
    bases = analysis.column_bases_by(gold.segments, gold.respondents, ["group", "gender"], "respondents")
    return counts, percents, bases


NOTES = publication_form.notes(
    "respondents coded at least once with the code",
    ["gold"],
    "turn",
    "Peace process 1 (abc123)",
    date=dt.date(2026, 11, 30),
)


def test_count_and_percentage_in_one_cell_with_an_n_row(gold):
    counts, percents, bases = two_level(gold)
    table = publication_form.publication_frame(counts, percents, bases, "cell")
    assert table.columns[0] == "Code" and "government / male" in table.columns and table.columns[-1] == "Total"
    assert "code" not in table.columns and not table["Code"].str.contains("\u00a0").any()
    row = table[table["Code"] == "  Russia"].iloc[0]
    cell = ("government", "male")
    share = percents.loc["external_actors.russia", cell]
    assert row["government / male"] == f"{counts.loc['external_actors.russia', cell]} ({share:.0f}%)"
    footer = table.iloc[-1]
    assert footer["Code"] == "n" and footer["government / male"] == bases[cell]
    assert footer["Total"] == len(gold.respondents)


def test_written_xlsx_and_csv_read_back_equal_the_frames(gold, tmp_path):
    counts, percents, bases = two_level(gold)
    for layout in ("cell", "side"):
        table = publication_form.publication_frame(counts, percents, bases, layout)
        path = publication_form.write_publication(table, NOTES, tmp_path / f"crosstab-{layout}.xlsx")
        book = openpyxl.load_workbook(path)
        sheet = book["Data"]
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[0]) == list(table.columns)
        for i, record in enumerate(table.itertuples(index=False), start=1):
            for expected, found in zip(record, rows[i], strict=True):
                if pd.isna(expected):
                    assert found is None
                else:
                    assert found == expected, (layout, i, expected, found)
        about = dict(list(book["About"].iter_rows(values_only=True))[1:])
        assert about == NOTES, "each note once: counts, coders, unit, codebook, date"
        csv = publication_form.write_publication(table, NOTES, tmp_path / f"crosstab-{layout}.csv")
        back = pd.read_csv(csv, encoding="utf-8-sig", keep_default_na=False)
        assert back.columns.tolist() == table.columns.tolist() and len(back) == len(table)
        assert back.iloc[:, 0].tolist() == table.iloc[:, 0].tolist()
        assert "Coders: gold" in (tmp_path / f"crosstab-{layout}.about.txt").read_text(encoding="utf-8")
    side = publication_form.publication_frame(counts, percents, bases, "side")
    assert side.loc[0, "afghan / male (n)"] == counts.iloc[0][("afghan", "male")]
    assert side.loc[0, "afghan / male (%)"] == round(percents.iloc[0][("afghan", "male")])


def test_other_tables_take_the_same_form(gold):
    matrix = cooccurrence.cooccurrence_matrix(gold.codings, gold.segments, gold.codebook, "turn")
    table = publication_form.publication_frame(matrix, layout="counts")
    assert table["Code"].tolist() == matrix.index.tolist()
    picture = portrait.portrait(gold.codings, gold.segments, gold.codebook, "R01")
    strip = publication_form.publication_frame(picture, layout="counts")
    assert strip["Code"].str.strip().tolist() == picture["name"].tolist()
    with pytest.raises(ValueError):
        publication_form.publication_frame(matrix, layout="cell")
    assert "Coding unit: turn" in publication_form.caption(NOTES)
