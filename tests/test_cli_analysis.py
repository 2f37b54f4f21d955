"""`qcode search`, `qcode crosstab --by A --by B` and `qcode export crosstab --percent` end to end: the real
pipeline on the demo corpus (unit: turn, gold codings), plus one transcript whose respondent types formulas."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import coding
from coding.cli import main

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
HOSTILE = """---
respondent_id: R99
group: government
gender: female
---
Interviewer: What did the agreement change?

R99: The peace came slowly. In my notes I wrote =HYPERLINK("http://example.invalid") next to each meeting.
"""


def run(*args: object, code: int = 0):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == code, (args, result.output)
    return result


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    from coding.demo import turn_codings_to_csv

    root = tmp_path_factory.mktemp("cli_analysis")
    transcripts = root / "transcripts"
    shutil.copytree(CORPUS / "transcripts", transcripts)
    (transcripts / "R99.txt").write_text(HOSTILE, encoding="utf-8")
    metadata = root / "respondents.csv"
    metadata.write_text((CORPUS / "respondents.csv").read_text(encoding="utf-8") + "R99,government,female,,,,\n")
    turn_codings_to_csv(CORPUS / "gold.jsonl", CORPUS / "transcripts", root / "gold.csv")
    folder = root / "project"
    run("init", folder)
    run("--project", folder, "ingest", transcripts, "--metadata", metadata)
    run("segment", "--unit", "turn", "--project", folder)
    run("import-codings", root / "gold.csv", "--coder", "gold", "--project", folder)
    return root, folder, coding.open_project(folder)


def test_search_prints_keyword_in_context_lines_and_writes_the_same_hits(study):
    root, folder, project = study
    printed = run("search", "peace", "--project", folder).output
    expected = project.search("peace")
    lines = [line for line in printed.splitlines() if "[" in line and "\t" in line]
    assert len(lines) == len(expected) > 10
    for line, row in zip(lines, expected.itertuples(index=False), strict=True):
        respondent, document, turn, context = line.split("\t")
        assert (respondent, document, turn) == (row.respondent_id, row.document, f"turn index {row.turn_index}")
        assert f"[{row.match}]" in context and context.endswith(row.right[:50])
    assert f"{len(expected)} hits in " in printed

    out = root / "peace.csv"
    run("search", "peace", "--csv", out, "--project", folder)
    written = pd.read_csv(out, keep_default_na=False)
    assert list(written.columns) == list(expected.columns)
    assert written.astype(str).equals(expected.astype(str))
    texts = project.store.document_texts()
    for row in written.itertuples(index=False):
        assert texts[row.document][row.start : row.end] == row.match


def test_search_filters_by_attribute_and_code(study):
    root, folder, project = study
    out = root / "filtered.csv"
    run(
        "search",
        "peace",
        "--where",
        "group=government,afghan",
        "--where",
        "gender=male",
        "--csv",
        out,
        "--project",
        folder,
    )
    kept = pd.read_csv(out, keep_default_na=False)
    people = project.respondents().set_index("respondent_id")
    assert len(kept) > 0
    assert all(people.at[r, "group"] in ("government", "afghan") for r in kept["respondent_id"])
    assert all(people.at[r, "gender"] == "male" for r in kept["respondent_id"])
    assert len(kept) < len(project.search("peace"))

    code = project.codebook.codes[0].id
    run("search", "peace", "--code", code, "--csv", out, "--project", folder)
    coded = pd.read_csv(out, keep_default_na=False)
    assert len(coded) == len(project.search("peace", codes=[code])) > 0


def test_search_csv_escapes_formulas(study):
    root, folder, _ = study
    out = root / "formula.csv"
    run("search", r"=\w+", "--mode", "regex", "--csv", out, "--project", folder)
    hits = pd.read_csv(out, keep_default_na=False)
    assert list(hits["match"]) == ["'=HYPERLINK"] and list(hits["respondent_id"]) == ["R99"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--where", "group"], "--where takes ATTRIBUTE=VALUE"),
        (["--where", "shoe_size=9"], "shoe_size"),
        (["--code", "no.such.code"], "unknown code"),
        (["--mode", "regex", "--case-sensitive"], None),
    ],
)
def test_search_bad_input_is_one_line_and_status_2(study, args, message):
    _, folder, _ = study
    if message is None:  # a regular expression that does not compile
        result = run("search", "(peace", *args, "--project", folder, code=2)
    else:
        result = run("search", "peace", *args, "--project", folder, code=2)
        assert message in result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output


def test_crosstab_by_two_attributes_and_one_unchanged(study):
    root, folder, project = study
    printed = run("crosstab", "--by", "group", "--by", "gender", "--count", "respondents", "--project", folder).output
    assert "by group x gender" in printed and "afghan /" in printed  # the header wraps in narrow columns
    out = root / "crossed.csv"
    run("crosstab", "--by", "group", "--by", "gender", "--out", out, "--project", folder)
    written = pd.read_csv(out).set_index("code")
    expected = project.crosstab(["group", "gender"])
    for column in expected.columns:
        header = " / ".join(p for p in column if p)
        assert list(written[header].astype(str)) == list(expected[column].astype(str)), header

    single = root / "single.csv"
    run("crosstab", "--by", "group", "--out", single, "--project", folder)
    expected = project.crosstab("group").reset_index()
    assert pd.read_csv(single).astype(str).equals(expected.astype(str))


def test_export_crosstab_in_publication_form(study):
    root, folder, project = study
    out = root / "crossed.xlsx"
    run("export", "crosstab", out, "--by", "group", "--by", "gender", "--percent", "column", "--project", folder)
    sheets = pd.read_excel(out, sheet_name=None, dtype=str, keep_default_na=False)
    data, about = sheets["Data"], dict(sheets["About"].itertuples(index=False, name=None))
    counts = project.crosstab(["group", "gender"], count="respondents")
    bases = project.column_bases(["group", "gender"], "respondents")
    for column in [c for c in counts.columns if c[0] not in ("name", "level")]:
        header = " / ".join(p for p in column if p)
        for row, count in enumerate(counts[column]):
            base = int(bases[column])
            assert data[header].iat[row] == (f"{count} ({round(100 * count / base)}%)" if base else str(count))
        assert data[header].iat[-1] == str(int(bases[column]))
    assert data["Code"].iat[-1] == "n (respondents)"
    assert about["Coding unit"] == "turn" and about["Percentages"].startswith("of the column")
    assert len(set(about.values())) == len(about)  # each note once (the coders line is not repeated)

    counts_only = root / "counts.csv"
    run("export", "crosstab", counts_only, "--by", "group", "--percent", "none", "--project", folder)
    table = pd.read_csv(counts_only, encoding="utf-8-sig")
    grouped = project.crosstab("group", count="respondents")
    assert list(table["afghan"].iloc[:-1]) == list(grouped["afghan"])
    assert (root / "counts.about.txt").is_file()

    side = root / "side.csv"
    run("export", "crosstab", side, "--by", "group", "--by", "gender", "--project", folder)
    assert "afghan / male (n)" in pd.read_csv(side, encoding="utf-8-sig").columns

    result = run(
        "export", "frequencies", root / "f.csv", "--by", "group", "--by", "gender", "--project", folder, code=2
    )
    assert "one --by" in result.output
