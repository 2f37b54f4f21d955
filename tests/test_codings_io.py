"""Codings CSV: import by offsets or quotes onto overlapping segments, long export, 0/1 matrix export."""

from __future__ import annotations

import csv
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from coding.codings_io import LONG_COLUMNS
from coding.errors import ImportFormatError
from coding.models import Proposal
from coding.project import create_project
from coding.store import codings as stored_codings

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"


@pytest.fixture
def project(tmp_path):
    """The fixture transcripts, segmented into paragraphs."""
    folder = tmp_path / "transcripts"
    shutil.copytree(FIXTURES, folder)
    (folder / "respondents.csv").unlink()
    project = create_project(tmp_path / "project")
    project.ingest([folder], metadata=FIXTURES / "respondents.csv")
    project.segment("paragraph")
    return project


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def coded(project, coder: str | None = None) -> list[tuple[str, str, str]]:
    """(document, segment text, code) of accepted human codings, sorted."""
    segments = {s.id: s for s in project.segments()}
    frame = project.codings("human", [coder] if coder else None)
    return sorted(
        (segments[int(i)].document, segments[int(i)].text, code)
        for i, code in zip(frame["segment_id"], frame["code"], strict=True)
    )


def text_of(project, document: str) -> str:
    return project.store.document_texts([document])[document]


def db_dump(project) -> list[str]:
    with sqlite3.connect(project.folder / "qcode.sqlite") as connection:
        return list(connection.iterdump())


# ----- import --------------------------------------------------------------------------------------


def test_a_span_codes_every_segment_it_overlaps(project, tmp_path):
    text = text_of(project, "R101")
    start = text.index("only volunteers")  # inside the second paragraph ...
    end = text.index("The checkpoints") + 3  # ... to inside the third
    path = write_csv(tmp_path / "c.csv", ["document", "code", "start", "end"], [["R101", "civil_society", start, end]])
    result = project.import_codings(path, "ann")
    assert result == {"rows": 1, "added": 2, "already_present": 0, "rows_without_segment": 0}
    assert [t[1][:12] for t in coded(project)] == ["Slowly. The ", "We had no mo"]


def test_a_span_touching_a_segment_only_at_its_edge_does_not_code_it(project, tmp_path):
    text = text_of(project, "R101")
    first = text.index("In Dushanbe.")
    end = text.index("bazaar.") + len("bazaar.")
    rows = [["R101", "refugees", first, end], ["R101", "corruption", end, end + 2]]
    path = write_csv(tmp_path / "c.csv", ["document", "code", "start", "end"], rows)
    result = project.import_codings(path, "ann")
    assert coded(project) == [("R101", text[first:end], "refugees")]
    assert result["rows_without_segment"] == 1  # the blank lines between paragraphs belong to no unit


def test_a_quote_codes_the_segments_it_is_found_in(project, tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        ["document", "code", "text"],
        [
            ["R102", "exclusivity", "Nobody asked us what we thought."],
            ["R104", "womens_roles", "  «Ҷонам, ватанам» 🎶 "],
        ],
    )
    project.import_codings(path, "ann")
    assert coded(project) == [
        ("R102", "On the radio, like everyone else. Nobody asked us what we thought.", "exclusivity"),
        ("R104", "My grandmother's song was «Ҷонам, ватанам» 🎶 and she sang it every evening.", "womens_roles"),
    ]


def test_a_quote_spanning_paragraphs_keeps_its_line_breaks(project, tmp_path):
    quote = "near the bazaar.\n\nWe had no money"
    path = write_csv(tmp_path / "c.csv", ["document", "code", "text"], [["R101", "civil_society", quote]])
    assert project.import_codings(path, "ann")["added"] == 2


def test_a_coder_column_overrides_the_option_and_memos_are_kept(project, tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        ["document", "code", "text", "coder", "memo"],
        [
            ["R103", "power_sharing", "Thirty percent of posts", "bea", "quota = power sharing"],
            ["R103", "power_sharing", "For two years.", "", ""],
        ],
    )
    project.import_codings(path, "ann")
    assert [t[0] for t in coded(project, "bea")] == ["R103"]
    assert [t[1][:8] for t in coded(project, "ann")] == ["For two "]
    memos = project.memos()
    assert list(zip(memos["coder"], memos["memo"], strict=True)) == [("bea", "quota = power sharing")]


def test_an_imported_memo_joins_the_coders_own_memo_and_never_replaces_it(project, tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        ["document", "code", "text", "coder", "memo"],
        [["R103", "power_sharing", "Thirty percent of posts", "bea", "from the import"]],
    )
    project.import_codings(path, "ann")
    segment = int(project.memos()["segment_id"].iloc[0])
    project.set_memo(segment, "written by hand", "bea")
    project.import_codings(path, "ann")
    project.import_codings(path, "ann")  # the same file again adds nothing
    assert project.memos()["memo"].tolist() == ["written by hand\n\nfrom the import"]


def test_importing_the_same_file_twice_adds_nothing_the_second_time(project, tmp_path):
    path = write_csv(tmp_path / "c.csv", ["document", "code", "text"], [["R102", "corruption", "the amnesty"]])
    assert project.import_codings(path, "ann")["added"] == 1
    assert project.import_codings(path, "ann") == {
        "rows": 1,
        "added": 0,
        "already_present": 1,
        "rows_without_segment": 0,
    }
    assert len(project.codings()) == 1


def test_a_span_on_an_interviewer_turn_codes_nothing_and_is_counted(project, tmp_path):
    path = write_csv(
        tmp_path / "c.csv", ["document", "code", "text"], [["R101", "corruption", "Where were you in 1997?"]]
    )
    assert project.import_codings(path, "ann")["rows_without_segment"] == 1
    assert project.codings().empty


def test_a_bom_and_crlf_csv_from_a_spreadsheet_is_read(project, tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes('\ufeffdocument,code,text\r\nR102,corruption,"the amnesty"\r\n'.encode())
    assert project.import_codings(path, "ann")["added"] == 1


@pytest.mark.parametrize(
    ("header", "row", "message", "line"),
    [
        (["document", "code", "text"], ["R999", "corruption", "x"], "unknown document 'R999'", 3),
        (["document", "code", "text"], ["R101", "no_such_code", "x"], "unknown code 'no_such_code'", 3),
        (["document", "code", "start", "end"], ["R101", "corruption", "a", "9"], "whole numbers", 3),
        (["document", "code", "start", "end"], ["R101", "corruption", "9", "5"], "outside the document", 3),
        (["document", "code", "start", "end"], ["R101", "corruption", "0", "99999"], "outside the document", 3),
        (["document", "code", "text"], ["R101", "corruption", "never said"], "quoted text not found", 3),
        (["document", "code", "text"], ["R101", "corruption", " "], "neither start/end nor text", 3),
        (["document", "text"], ["R101", "x"], "missing column(s): code", 1),
        (["document", "code"], ["R101", "corruption"], "missing column(s): start,end or text", 1),
    ],
)
def test_a_bad_row_is_refused_with_its_line_and_nothing_is_imported(project, tmp_path, header, row, message, line):
    valid = {"document": "R102", "code": "corruption", "text": "the amnesty", "start": "0", "end": "5"}
    path = write_csv(tmp_path / "c.csv", header, [[valid[column] for column in header], row])
    before = db_dump(project)
    with pytest.raises(ImportFormatError) as error:
        project.import_codings(path, "ann")
    assert message in str(error.value)
    assert error.value.path == str(path) and error.value.line == line
    assert db_dump(project) == before


def test_error_line_numbers_count_file_lines_past_multi_line_quotes(project, tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        ["document", "code", "text"],
        [["R101", "civil_society", "near the bazaar.\n\nWe had no money"], ["R101", "nope", "x"]],
    )
    with pytest.raises(ImportFormatError) as error:
        project.import_codings(path, "ann")
    assert error.value.line == 5


# ----- export ---------------------------------------------------------------------------------------


@pytest.fixture
def coded_project(project, tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        ["document", "code", "text"],
        [
            ["R101", "external_actors.russia", "Then the refugees came back from Afghanistan"],
            ["R101", "refugees", "Then the refugees came back from Afghanistan"],
            ["R103", "power_sharing", "Thirty percent of posts"],
        ],
    )
    project.import_codings(path, "ann")
    first = project.segments()[0]
    with project.store.transaction() as session:
        stored_codings.add_proposals(session, [Proposal(first.id, "civil_society", "rule", "rules.v1", 1.0)])
    return project


def test_long_export_has_the_contract_columns_then_attributes(coded_project, tmp_path):
    out = tmp_path / "codings.csv"
    assert coded_project.export_codings(out) == 4
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(frame.columns[: len(LONG_COLUMNS)]) == LONG_COLUMNS
    assert LONG_COLUMNS == [
        "document",
        "respondent_id",
        "segment_id",
        "unit",
        "start",
        "end",
        "speaker",
        "text",
        "code",
        "code_name",
        "coder",
        "source",
        "confidence",
        "status",
    ]
    assert {"group", "gender", "region"} <= set(frame.columns[len(LONG_COLUMNS) :])
    texts = coded_project.store.document_texts()
    for row in frame.itertuples(index=False):
        assert texts[row.document][int(row.start) : int(row.end)] == row.text
    assert set(frame["unit"]) == {"paragraph"}
    rows = {(r.code, r.coder, r.source, r.status, r.confidence) for r in frame.itertuples(index=False)}
    assert rows == {
        ("civil_society", "rules.v1", "rule", "suggested", "1.0"),
        ("external_actors.russia", "ann", "human", "accepted", ""),
        ("refugees", "ann", "human", "accepted", ""),
        ("power_sharing", "ann", "human", "accepted", ""),
    }
    assert frame.loc[frame["code"] == "refugees", "code_name"].item() == "Refugees and return"
    assert frame.loc[frame["code"] == "power_sharing", "group"].item() == "government"


def test_matrix_export_has_one_row_per_unit_and_a_0_1_column_per_code(coded_project, tmp_path):
    out = tmp_path / "matrix.csv"
    segments = coded_project.segments_frame()
    assert coded_project.export_matrix(out) == len(segments)
    frame = pd.read_csv(out)
    codes = [code.id for code in coded_project.codebook.tree_order()]
    assert list(frame.columns) == ["document", "respondent_id", "segment_id", "start", "end", *codes]
    assert list(frame["segment_id"]) == list(segments["segment_id"])
    assert set(frame[codes].to_numpy().ravel()) == {0, 1}
    matrix = frame.set_index("segment_id")[codes]
    ones = {(int(i), c) for i in matrix.index for c in codes if matrix.at[i, c] == 1}
    human = coded_project.codings("human")
    assert ones == {(int(i), c) for i, c in zip(human["segment_id"], human["code"], strict=True)}
    # Direct codings only: the parent of Russia is not filled in, and the pending suggestion is not human.
    assert frame["external_actors"].sum() == 0 and frame["civil_society"].sum() == 0


def test_matrix_of_suggestions_with_source_auto(coded_project, tmp_path):
    out = tmp_path / "matrix.csv"
    coded_project.export_matrix(out, source="auto")
    frame = pd.read_csv(out)
    assert frame["civil_society"].sum() == 1 and frame["refugees"].sum() == 0
