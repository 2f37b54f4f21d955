"""read_qdpx over real exports: what is importable is imported, the rest reported, nothing crashes.

Expected counts come from each file's SOURCE notes (tests/fixtures/refiqda/SOURCE-*.md and
../shared/external/*/SOURCE.md).
"""

from __future__ import annotations

import dataclasses
import re
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from coding.refiqda import codebook_from_codes, read_qdpx, write_qdpx

FIXTURES = Path(__file__).parent / "fixtures" / "refiqda"
QC = "qdpx-qualitative-coding-qc"  # AGPL: read from ../shared/external only, never copied


@pytest.fixture(scope="module")
def nvivo():
    return read_qdpx(FIXTURES / "oltas0517.qdpx")


@pytest.fixture(scope="module")
def atlas():
    return read_qdpx(FIXTURES / "TestProject.qdpx")


def valid_project(path: Path) -> None:
    schema = etree.XMLSchema(etree.parse(str(FIXTURES / "Project-mrt2019.xsd")))
    with zipfile.ZipFile(path) as archive:
        schema.assertValid(etree.fromstring(archive.read("project.qde")))


def line_bounded(text: str, start: int, end: int) -> bool:
    return (start == 0 or text[start - 1] == "\n") and (end == len(text) or text[end] == "\n")


def test_nvivo12_counts(nvivo):
    project, report = nvivo
    assert report.problems == []
    assert report.offset_unit == "utf16"
    assert (len(project.users), len(project.codes), len(project.sources)) == (2, 152, 2)
    assert len(project.selections) == 303
    assert all(len(selection.codings) == 1 for selection in project.selections)
    # SOURCE notes say two levels; the file actually nests codes up to four levels deep.
    assert Counter(_depth(project, code.guid) for code in project.codes) == {0: 12, 1: 45, 2: 92, 3: 3}
    assert not any(code.color for code in project.codes)
    assert sum(code.is_codable for code in project.codes) == 151  # one isCodable="false", despite the notes
    coded_source = {source.guid: source.name for source in project.sources}
    assert {coded_source[s.source] for s in project.selections} == {"videos_10_selected"}
    users = {user.guid: user.name for user in project.users}
    assert Counter(users[s.user] for s in project.selections) == {"floriansipos": 297, "Gergo": 6}


def test_nvivo12_texts_lose_bom_and_crlf(nvivo):
    project, _ = nvivo
    # 635,492 and 600,491 characters with the BOM and 15,272 / 15,273 CRLF pairs.
    assert [len(source.text) for source in project.sources] == [635_492 - 1 - 15_272, 600_491 - 1 - 15_273]
    assert all("\r" not in s.text and not s.text.startswith("\ufeff") for s in project.sources)


@pytest.mark.parametrize(("unit", "whole_lines", "whole_words"), [("utf16", 274, 295), ("codepoint", 14, 27)])
def test_nvivo12_selections_land_on_line_boundaries(unit, whole_lines, whole_words):
    """The evidence for the offset rule: without the BOM, with CRLF and in UTF-16 units, 274 of 303
    selections cover whole lines (one comment each) and 295 start and end between words; counting code
    points, the emoji in the comments shift nearly every selection off its words."""
    project, report = read_qdpx(FIXTURES / "oltas0517.qdpx", offset_unit=unit)
    assert report.problems == []
    texts = {source.guid: source.text for source in project.sources}
    assert sum(line_bounded(texts[s.source], s.start, s.end) for s in project.selections) == whole_lines
    assert sum(_between_words(texts[s.source], s.start, s.end) for s in project.selections) == whole_words


def _between_words(text: str, start: int, end: int) -> bool:
    return not text[start - 1 : start].isalnum() and not text[end : end + 1].isalnum()


def test_nvivo12_reexport_validates_and_round_trips(nvivo, tmp_path):
    project, _ = nvivo
    path = write_qdpx(project, tmp_path / "again.qdpx")
    valid_project(path)
    back, report = read_qdpx(path)
    assert report.problems == []
    assert back == dataclasses.replace(project, origin="qcode")


def test_nvivo12_codebook_maps_to_unique_qcode_ids(nvivo):
    project, _ = nvivo
    codebook = codebook_from_codes(project.codes, name="oltas")
    ids = [code.id for code in codebook.codes]
    assert len(set(ids)) == 152
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*", code_id) for code_id in ids)
    assert "code_2_attitud_szint_az_oltashoz.piros" in ids
    described = [code for code in codebook.codes if code.definition]
    assert described and all(code.definition == code.definition.strip() for code in described)


def test_atlas_standard_project_imports_structure_and_reports_the_rest(atlas, tmp_path):
    project, report = atlas
    assert (len(project.users), len(project.codes), len(project.notes)) == (3, 14, 2)
    assert project.sources == project.selections == []
    assert [c.name for c in project.codes if c.description][:1] == ["Feelings"]
    kinds = Counter(problem.kind for problem in report.problems)
    # 6 text sources without their files + 2 PDF, 1 picture, 1 audio, 2 video; 8 + 4 + 1 + 2 selections.
    assert kinds == {"source": 12, "selection": 15, "set": 16, "link": 1, "graph": 1}
    assert sum("is not in the archive" in line for line in report.lines()) == 6
    valid_project(write_qdpx(project, tmp_path / "atlas.qdpx"))


@pytest.fixture(scope="module")
def qc_files(external):
    folder = external / QC
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    return folder


def test_qc_demo_project(qc_files):
    project, report = read_qdpx(qc_files / "demo.qdpx")
    assert report.problems == [] and report.offset_unit == "codepoint"
    assert (len(project.users), len(project.codes)) == (1, 262)
    assert [s.name for s in project.sources] == ["board_2017.txt", "admin-1.txt"]
    assert len(project.selections) == 158
    assert sum(len(s.codings) for s in project.selections) == 205
    assert Counter(len(s.codings) for s in project.selections) == {1: 121, 2: 29, 3: 6, 4: 2}
    board = project.sources[0]
    assert {s.source for s in project.selections} == {board.guid}
    # Selections are named line:N; their offsets (code points) start exactly at line N.
    with zipfile.ZipFile(qc_files / "demo.qdpx") as archive:
        names = {
            element.get("guid"): element.get("name")
            for element in etree.fromstring(archive.read("project.qde")).iter("{*}PlainTextSelection")
        }
    for selection in project.selections:
        line = int(names[selection.guid].removeprefix("line:"))
        assert board.text.count("\n", 0, selection.start) == line
        assert selection.start == 0 or board.text[selection.start - 1] == "\n"


def test_qc_nvivo_mac_codebook_project(qc_files, tmp_path):
    project, report = read_qdpx(qc_files / "nvivo_project.qdpx")
    assert report.problems == []
    assert (len(project.users), len(project.codes), len(project.sources)) == (2, 262, 2)
    assert project.selections == []
    assert [s.text for s in project.sources] == ["\n", "\n"]
    assert max(_depth(project, code.guid) for code in project.codes) >= 2
    valid_project(write_qdpx(project, tmp_path / "mac.qdpx"))


def _depth(project, guid: str) -> int:
    parents = {code.guid: code.parent for code in project.codes}
    depth = 0
    while parents.get(guid):
        guid, depth = parents[guid], depth + 1
    return depth
