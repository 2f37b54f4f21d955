"""Ingest: transcripts and attributes in, all or nothing; unchanged files are no-ops; safe replace."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from coding.errors import IngestError
from coding.ingest import read_respondents_csv
from coding.models import INTERVIEWER, RESPONDENT
from coding.project import create_project, open_project
from coding.store import codings as stored_codings

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"


def dump(project, skip_log: bool = False) -> list[str]:
    """Every row of every table, as SQL text (the change log optionally left out)."""
    with sqlite3.connect(project.folder / "qcode.sqlite") as connection:
        lines = list(connection.iterdump())
    return [line for line in lines if not (skip_log and '"change_log"' in line)]


@pytest.fixture
def transcripts(tmp_path) -> Path:
    folder = tmp_path / "transcripts"
    shutil.copytree(FIXTURES, folder)
    (folder / "respondents.csv").unlink()
    return folder


@pytest.fixture
def project(tmp_path):
    return create_project(tmp_path / "project")


def write_codings(path: Path, rows: list[tuple]) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["document", "code", "text"])
        writer.writerows(rows)
    return path


# ----- adding -------------------------------------------------------------------------------------


def test_ingest_adds_documents_turns_and_merged_respondent_attributes(project, transcripts):
    report = project.ingest([transcripts], metadata=FIXTURES / "respondents.csv")
    assert report.added == ["R101", "R102", "R103", "R104"]
    assert report.respondents == 4
    assert project.counts()["documents"] == 4
    respondents = project.respondents().set_index("respondent_id")
    # Front matter and respondents.csv together; the CSV adds region, the front matter the interview date.
    assert respondents.loc["R101", "region"] == "dushanbe"
    assert respondents.loc["R101", "interview_date"] == "2021-03-14"
    assert respondents.loc["R102", "group"] == "opposition"
    turns = project.store.turns_frame("R101")
    assert list(turns["role"]) == [INTERVIEWER, RESPONDENT, INTERVIEWER, RESPONDENT]  # interviewer turns kept
    assert "documents: 4 added" in report.summary()


def test_stored_documents_keep_text_and_turn_offsets(project, transcripts):
    from coding.transcripts import read_transcript

    project.ingest([transcripts])
    original = read_transcript(transcripts / "R104.txt")
    stored = next(d for d in project.documents() if d.name == "R104")
    assert stored.text == original.text
    assert [(t.index, t.speaker, t.role, t.start, t.end, t.paragraphs) for t in stored.turns] == [
        (t.index, t.speaker, t.role, t.start, t.end, t.paragraphs) for t in original.turns
    ]


def test_a_docx_transcript_is_ingested_and_segmented(project, tmp_path):
    import docx

    document = docx.Document()
    for line in [
        "---",
        "respondent_id: R90",
        "group: observer",
        "---",
        "Interviewer: Where?",
        "R90: Garm.",
        "Then Dushanbe.",
    ]:
        document.add_paragraph(line)
    document.save(str(tmp_path / "R90.docx"))
    assert project.ingest([tmp_path / "R90.docx"]).added == ["R90"]
    project.segment("paragraph")
    assert [s.text for s in project.segments()] == ["Garm.", "Then Dushanbe."]
    assert project.respondents().set_index("respondent_id").loc["R90", "group"] == "observer"


def test_interviewer_labels_come_from_the_project_settings(project, tmp_path):
    import tomllib

    import tomli_w

    settings = project.folder / "qcode.toml"  # edited as a person would, outside qcode
    data = tomllib.loads(settings.read_text(encoding="utf-8"))
    data["project"]["interviewer_labels"] = ["Researcher", "Interviewer"]
    settings.write_text(tomli_w.dumps(data), encoding="utf-8")
    path = tmp_path / "R06.txt"
    path.write_text("Researcher: Why?\n\nR06: Because of the war.\n", encoding="utf-8")
    reopened = open_project(project.folder)
    reopened.ingest([path])
    assert list(reopened.store.turns_frame("R06")["role"]) == [INTERVIEWER, RESPONDENT]
    reopened.segment("turn")
    assert [s.text for s in reopened.segments()] == ["Because of the war."]


# ----- re-ingesting -------------------------------------------------------------------------------


def test_reingesting_the_same_files_changes_no_data(project, transcripts):
    project.ingest([transcripts], metadata=FIXTURES / "respondents.csv")
    project.segment("paragraph")
    before = dump(project, skip_log=True)
    report = project.ingest([transcripts], metadata=FIXTURES / "respondents.csv")
    assert report.added == [] and report.replaced == []
    assert report.unchanged == ["R101", "R102", "R103", "R104"]
    assert dump(project, skip_log=True) == before


def test_a_line_ending_conversion_is_not_a_change(project, transcripts):
    project.ingest([transcripts])
    path = transcripts / "R101.txt"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert project.ingest([path]).unchanged == ["R101"]


def test_a_changed_file_is_refused_without_replace_and_nothing_changes(project, transcripts):
    project.ingest([transcripts])
    before = dump(project)
    path = transcripts / "R102.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nInterviewer: Anything else?\n", encoding="utf-8")
    with pytest.raises(IngestError) as error:
        project.ingest([transcripts])
    assert error.value.path == str(path)
    assert "--replace" in str(error.value)
    assert dump(project) == before


def test_a_bad_file_among_good_ones_adds_nothing(project, transcripts):
    (transcripts / "R105.txt").write_bytes(b"")
    with pytest.raises(IngestError, match="R105.txt: empty file"):
        project.ingest([transcripts], metadata=FIXTURES / "respondents.csv")
    assert project.counts() == {"respondents": 0, "documents": 0, "segments": 0, "codings": 0}


def test_metadata_alone_updates_respondent_attributes(project, transcripts, tmp_path):
    project.ingest([transcripts])
    csv_path = tmp_path / "more.csv"
    csv_path.write_text("respondent_id,group,cohort\nR102,exiles,1997\n", encoding="utf-8")
    project.ingest([], metadata=csv_path)
    row = project.respondents().set_index("respondent_id").loc["R102"]
    assert (row["group"], row["cohort"]) == ("exiles", "1997")
    assert project.counts()["documents"] == 4


# ----- replacing ----------------------------------------------------------------------------------


def test_replace_carries_codings_on_unchanged_text_and_keeps_the_previous_version(project, tmp_path):
    path = tmp_path / "R101.txt"
    shutil.copyfile(FIXTURES / "R101.txt", path)
    project.ingest([path])
    project.segment("paragraph")
    codings = write_codings(
        tmp_path / "codings.csv",
        [
            ("R101", "civil_society", "I worked for a women's group"),
            ("R101", "womens_roles", "We had no money, only volunteers."),
            ("R101", "refugees", "Then the refugees came back from Afghanistan"),
        ],
    )
    assert project.import_codings(codings, "ann")["added"] == 3
    old_ids = set(project.segments_frame()["segment_id"])

    edited = path.read_text(encoding="utf-8").replace("We had no money, only volunteers.", "We had no money at all.")
    edited = edited.replace("I: Thank you", "I: Many thanks")  # shifts every offset after it
    path.write_text(edited, encoding="utf-8")
    report = project.ingest([path], replace=True)

    assert report.replaced == ["R101"]
    assert (report.codings_carried, report.codings_left_on_previous) == (2, 1)
    assert "2 codings carried over, 1 kept only on the previous version" in report.summary()
    # The new version is active, freshly segmented, with the two carried codings on the same text.
    active = project.codings()
    segments = {s.id: s for s in project.segments()}
    assert not set(segments) & old_ids
    assert sorted(
        (segments[i].text[:20], code) for i, code in zip(active["segment_id"], active["code"], strict=True)
    ) == [
        ("In Dushanbe. I worke", "civil_society"),
        ("Slowly. The checkpoi", "refugees"),
    ]
    assert set(active["coder"]) == {"ann"}
    # The previous version is still in the database, with all three codings on its own segments.
    with sqlite3.connect(project.folder / "qcode.sqlite") as connection:
        versions = connection.execute(
            "select id, replaced_by, text from documents where name = 'R101' order by id"
        ).fetchall()
        old_codings = connection.execute(
            "select c.code_id from codings c join segments s on s.id = c.segment_id where s.document_id = ?",
            (versions[0][0],),
        ).fetchall()
    assert len(versions) == 2
    assert versions[0][1] == versions[1][0] and versions[1][1] is None
    assert "volunteers" in versions[0][2] and "volunteers" not in versions[1][2]
    assert sorted(code for (code,) in old_codings) == ["civil_society", "refugees", "womens_roles"]


def test_replace_carries_memos_on_unchanged_text(project, tmp_path):
    path = tmp_path / "R101.txt"
    shutil.copyfile(FIXTURES / "R101.txt", path)
    project.ingest([path])
    project.segment("paragraph")
    by_text = {s.text: s.id for s in project.segments()}
    kept = next(i for text, i in by_text.items() if "women's group" in text)
    lost = next(i for text, i in by_text.items() if "only volunteers" in text)
    project.set_memo(kept, "ask about the group's funding", "ann")
    project.set_memo(lost, "money again", "ann")
    edited = path.read_text(encoding="utf-8").replace("We had no money, only volunteers.", "We had no money at all.")
    path.write_text(edited, encoding="utf-8")
    report = project.ingest([path], replace=True)
    assert (report.memos_carried, report.memos_left_on_previous) == (1, 1)
    assert "1 memos carried over, 1 kept only there" in report.summary()
    memos = project.memos()  # the active version's memos only
    active = {s.id: s.text for s in project.segments()}
    assert memos["memo"].tolist() == ["ask about the group's funding"]
    assert "women's group" in active[int(memos["segment_id"].iloc[0])]
    with sqlite3.connect(project.folder / "qcode.sqlite") as connection:  # the previous version keeps its own
        kept = {text for (text,) in connection.execute("select text from memos")}
    assert kept == {"ask about the group's funding", "money again"}


def test_replace_keeps_suggestions_and_their_decisions(project, tmp_path):
    from coding.models import Proposal

    path = tmp_path / "R101.txt"
    shutil.copyfile(FIXTURES / "R101.txt", path)
    project.ingest([path])
    project.segment("paragraph")
    first = project.segments()[0]
    with project.store.transaction() as session:
        stored_codings.add_proposals(session, [Proposal(first.id, "civil_society", "rule", "rules.v1", 1.0)])
    suggestion = int(project.codings("all")["coding_id"].iloc[0])
    project.decide_suggestion(suggestion, accept=False, coder="ann")
    path.write_text(path.read_text(encoding="utf-8").replace("Slowly.", "Very slowly."), encoding="utf-8")
    report = project.ingest([path], replace=True)
    assert (report.codings_carried, report.codings_left_on_previous) == (2, 0)  # the suggestion and ann's no
    carried = project.codings("all", include_rejected=True).sort_values("coding_id")
    assert list(zip(carried["coder"], carried["source"], carried["status"], carried["decided_by"], strict=True)) == [
        ("rules.v1", "rule", "suggested", None),
        ("ann", "rule", "rejected", "ann"),
    ]


def test_replace_with_repeated_text_never_duplicates_a_coding(project, tmp_path):
    path = tmp_path / "R07.txt"
    text = "Interviewer: Was it hard?\n\nR07: Yes.\n\nInterviewer: Really?\n\nR07: Yes.\n"
    path.write_text(text, encoding="utf-8")
    project.ingest([path])
    project.segment("turn")
    codings = tmp_path / "codings.csv"
    codings.write_text(f"document,code,start,end\nR07,corruption,0,{len(text) - 1}\n", encoding="utf-8")
    assert project.import_codings(codings, "ann")["added"] == 2
    path.write_text("Interviewer: Was it hard?\n\nR07: Yes.\n", encoding="utf-8")
    report = project.ingest([path], replace=True)
    assert (report.codings_carried, report.codings_left_on_previous) == (1, 1)
    assert len(project.codings()) == 1


def test_replace_segments_the_new_version_in_every_unit_the_old_one_had(project, tmp_path):
    path = tmp_path / "R101.txt"
    shutil.copyfile(FIXTURES / "R101.txt", path)
    project.ingest([path])
    project.segment("turn")
    project.segment("paragraph")
    path.write_text(path.read_text(encoding="utf-8") + "\nQ: Thank you.\n\nR101: You are welcome.\n", encoding="utf-8")
    project.ingest([path], replace=True)
    assert project.store.segment_units() == {"turn": 3, "paragraph": 4}
    assert project.store.unsegmented_documents("turn") == []


# ----- respondents.csv ----------------------------------------------------------------------------


def test_respondents_csv_reads_attributes_with_quoted_multi_line_values(tmp_path):
    path = tmp_path / "respondents.csv"
    path.write_bytes('\ufeffrespondent_id,group,note\r\nR01,a,"first line\nsecond line"\r\n\r\nR02, b ,x\r\n'.encode())
    assert read_respondents_csv(path) == {
        "R01": {"group": "a", "note": "first line\nsecond line"},
        "R02": {"group": "b", "note": "x"},
    }


@pytest.mark.parametrize(
    ("content", "message", "line"),
    [
        ("", "empty file", None),
        ("group,gender\nR01,a\n", "no respondent_id column", 1),
        ("respondent_id,group,group\nR01,a,b\n", "duplicate column names", 1),
        ("respondent_id,group\nR01,a\nR02\n", "expected 2 fields, found 1", 3),
        ('respondent_id,group\nR01,"a\nb"\n,c\n', "empty respondent_id", 4),
        ("respondent_id,group\nR01,a\nR01,b\n", "respondent 'R01' appears twice", 3),
    ],
)
def test_bad_respondents_csv_is_refused_with_file_and_line(tmp_path, content, message, line):
    path = tmp_path / "respondents.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(IngestError) as error:
        read_respondents_csv(path)
    assert message in str(error.value) and error.value.path == str(path) and error.value.line == line


def test_respondents_csv_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "respondents.csv"
    path.write_bytes("respondent_id,group\nR01,Душанбе\n".encode("cp1251"))
    with pytest.raises(IngestError, match="not valid UTF-8"):
        read_respondents_csv(path)
