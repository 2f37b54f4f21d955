"""write_qdpx: schema-valid, stable output that read_qdpx turns back into the same project."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree

from coding.models import Code, Codebook
from coding.refiqda import (
    QdaCase,
    QdaCode,
    QdaCoding,
    QdaExportError,
    QdaNote,
    QdaProject,
    QdaSelection,
    QdaSource,
    QdaUser,
    QdaVariable,
    code_guid,
    codes_from_codebook,
    qcode_guid,
    read_qdpx,
    write_qdpx,
)

FIXTURES = Path(__file__).parent / "fixtures" / "refiqda"
TEXT = "Interviewer: How was it?\n\nR01: Trust in Russia 🇷🇺 was low — très bas.\nIt grew later.\n"


@pytest.fixture(scope="module")
def project_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(FIXTURES / "Project-mrt2019.xsd")))


def codebook() -> Codebook:
    return Codebook(
        name="Peace process",
        version="2",
        codes=[
            Code("external_actors", "External actors", definition="Foreign states.", color="#1f77b4"),
            Code("external_actors.russia", "Russia", parent="external_actors", examples=["Moscow pressed"]),
            Code(
                "trust",
                "Trust",
                definition="Confidence in the other side.\nIncludes institutions.",
                include="explicit trust",
                exclude="Include: this is not a label",
                examples=["I trusted them", "two\nlines"],
            ),
        ],
    )


def sample_project() -> QdaProject:
    alice, bob = qcode_guid("user", "alice"), qcode_guid("user", "bob")
    r01, r02 = qcode_guid("source", "R01"), qcode_guid("source", "R02")
    start = TEXT.index("Trust")
    trust, russia = code_guid("trust"), code_guid("external_actors.russia")
    selections = [
        QdaSelection(qcode_guid("segment", "1"), r01, start, TEXT.index("\nIt"), alice, [QdaCoding(trust, alice)]),
        QdaSelection(
            qcode_guid("segment", "2"),
            r01,
            TEXT.index("🇷🇺"),
            TEXT.index("🇷🇺") + 2,
            bob,
            [QdaCoding(russia, bob), QdaCoding(trust, alice)],
        ),
        QdaSelection(qcode_guid("segment", "3"), r01, 0, 0),
    ]
    variables = [
        QdaVariable(qcode_guid("attribute", "group"), "group"),
        QdaVariable(qcode_guid("attribute", "age"), "age", "Integer", "in years"),
        QdaVariable(qcode_guid("attribute", "consent"), "consent", "Boolean"),
        QdaVariable(qcode_guid("attribute", "date"), "interviewed", "Date"),
        QdaVariable(qcode_guid("attribute", "weight"), "weight", "Float"),
        QdaVariable(qcode_guid("attribute", "blank"), ""),
    ]
    values = dict(zip([v.guid for v in variables], ["government", "54", "true", "2024-03-01", "", ""], strict=True))
    return QdaProject(
        name='demo <&> "project"',
        users=[QdaUser(alice, "alice"), QdaUser(bob, "Bob Ünal")],
        codes=codes_from_codebook(codebook()) + [QdaCode(qcode_guid("code", "unnamed"), "", is_codable=False)],
        variables=variables,
        cases=[QdaCase(qcode_guid("respondent", "R01"), "R01", values, [r01], "first respondent")],
        sources=[QdaSource(r01, "R01", TEXT), QdaSource(r02, "R02 (empty)", "")],
        selections=selections,
        notes=[
            QdaNote(qcode_guid("memo", "1"), "On trust", "Check against R07.\nSecond line.", trust, alice),
            QdaNote(qcode_guid("memo", "2"), "Source memo", "Long pauses.", r01),
            QdaNote(qcode_guid("memo", "3"), "Segment memo", "Irony?", selections[1].guid, bob),
            QdaNote(qcode_guid("memo", "4"), "Project log", "Started coding."),
        ],
    )


def test_written_project_validates_against_the_schema(tmp_path, project_schema):
    path = write_qdpx(sample_project(), tmp_path / "p.qdpx")
    with zipfile.ZipFile(path) as archive:
        document = etree.fromstring(archive.read("project.qde"))
    project_schema.assertValid(document)
    assert document.tag == "{urn:QDA-XML:project:1.0}Project"


def test_sources_are_utf8_lf_files_named_by_guid(tmp_path):
    project = sample_project()
    path = write_qdpx(project, tmp_path / "p.qdpx")
    with zipfile.ZipFile(path) as archive:
        r01 = project.sources[0].guid
        assert sorted(archive.namelist()) == sorted(
            ["project.qde"] + [f"sources/{source.guid}.txt" for source in project.sources]
        )
        assert archive.read(f"sources/{r01}.txt") == TEXT.encode("utf-8")
        assert f'plainTextPath="internal://{r01}.txt"'.encode() in archive.read("project.qde")


def test_round_trip_gives_the_same_project(tmp_path):
    project = sample_project()
    back, report = read_qdpx(write_qdpx(project, tmp_path / "p.qdpx"))
    assert report.problems == []
    assert report.offset_unit == "codepoint"
    assert back == project
    emoji = back.selections[1]
    assert back.sources[0].text[emoji.start : emoji.end] == "🇷🇺"


def test_round_trip_of_an_imported_project_keeps_code_points(tmp_path):
    """An origin such as NVivo must not make qcode's own file read back in UTF-16 units."""
    project = sample_project()
    project.origin = "NVivo for Windows 12.6"
    back, report = read_qdpx(write_qdpx(project, tmp_path / "p.qdpx"))
    assert report.offset_unit == "codepoint"
    assert back.selections == project.selections


def test_output_is_stable(tmp_path):
    first = write_qdpx(sample_project(), tmp_path / "a.qdpx").read_bytes()
    assert write_qdpx(sample_project(), tmp_path / "b.qdpx").read_bytes() == first


def test_duplicate_codings_are_written_once(tmp_path):
    project = sample_project()
    project.selections[0].codings *= 2
    back, _ = read_qdpx(write_qdpx(project, tmp_path / "p.qdpx"))
    assert len(back.selections[0].codings) == 1


def test_invalid_project_lists_every_problem_and_writes_nothing(tmp_path):
    project = sample_project()
    project.selections[0].end = len(TEXT) + 5
    project.selections[1].codings.append(QdaCoding(code_guid("unknown")))
    project.sources[1].text = "a\r\nb"
    project.cases[0].values[project.variables[1].guid] = "fifty"
    project.notes[0].target = qcode_guid("nothing", "x")
    project.codes[0].color = "blue"
    project.users.append(QdaUser("not-a-guid", "x"))
    with pytest.raises(QdaExportError) as caught:
        write_qdpx(project, tmp_path / "p.qdpx")
    problems = "\n".join(caught.value.problems)
    for expected in ("outside its text", "unknown code", "'\\r'", "not a valid Integer", "target", "colour", "GUID"):
        assert expected in problems
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(QdaExportError, match="cannot write"):
        write_qdpx(sample_project(), tmp_path / "missing" / "p.qdpx")
