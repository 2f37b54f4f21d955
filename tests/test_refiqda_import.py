"""read_qdpx on crafted files: the quirks of real exports, offsets, and item-by-item reporting."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from coding.errors import ImportFormatError
from coding.refiqda import QdaCoding, read_qdpx, write_qdpx
from coding.refiqda.offsets import SourceText

NS = "urn:QDA-XML:project:1.0"
USER, OTHER = "00000000-0000-4000-8000-0000000000e1", "00000000-0000-4000-8000-0000000000e2"
CODE, CHILD = "00000000-0000-4000-8000-0000000000c1", "00000000-0000-4000-8000-0000000000c2"
SRC = "00000000-0000-4000-8000-0000000000a1"


def guid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def qdpx(path: Path, body: str, files: dict[str, bytes] | None = None, **options: str) -> Path:
    """A .qdpx holding a project.qde around body, plus the given files."""
    ns = options.get("ns", NS)
    origin = options.get("origin", "qcode")
    qde = (
        f'<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="{ns}" name="t" origin="{origin}">'
        f'<Users><User guid="{USER}" name="ann"/></Users>'
        f'<CodeBook><Codes><Code guid="{CODE}" name="trust" isCodable="true">'
        f'<Code guid="{CHILD}" name="deep" isCodable="false"/></Code></Codes></CodeBook>{body}</Project>'
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(options.get("member", "project.qde"), qde.encode("utf-8"))
        for name, data in (files or {}).items():
            archive.writestr(name, data)
    return path


def text_source(text_path: str, selections: str = "", name: str = "R01", extra: str = "") -> str:
    return (
        f'<Sources><TextSource guid="{SRC}" name="{name}" plainTextPath="{text_path}">'
        f"{selections}</TextSource>{extra}</Sources>"
    )


def selection(n: int, start: int, end: int, *codes: str, user: str = USER, inner: str = "") -> str:
    codings = "".join(
        f'<Coding guid="{guid(900 + i)}" creatingUser="{user}"><CodeRef targetGUID="{c}"/></Coding>'
        for i, c in enumerate(codes)
    )
    return (
        f'<PlainTextSelection guid="{guid(n)}" startPosition="{start}" endPosition="{end}" '
        f'creatingUser="{user}">{inner}{codings}</PlainTextSelection>'
    )


# --- offsets -------------------------------------------------------------------------------------


def test_bom_is_dropped_and_not_counted():
    text = SourceText("\ufeffabc", "codepoint")
    assert (text.text, text.index(0), text.index(3)) == ("abc", 0, 3)


def test_crlf_becomes_lf_and_positions_follow():
    text = SourceText("a\r\nb\rc", "codepoint")
    assert text.text == "a\nb\nc"
    assert [text.index(p) for p in range(7)] == [0, 1, 1, 2, 3, 4, 5]


def test_utf16_units_and_surrogate_halves():
    text = SourceText("x😀y", "utf16")
    assert text.length == 4
    assert [text.index(p) for p in range(5)] == [0, 1, None, 2, 3]
    assert SourceText("x😀y", "codepoint").index(3) == 3


def test_positions_outside_the_text_are_refused():
    text = SourceText("abc", "codepoint")
    assert text.index(-1) is None and text.index(4) is None


def test_nvivo_style_source_with_bom_crlf_and_emoji(tmp_path):
    """NVivo counts UTF-16 units over the text without its BOM and with its CRLF line ends."""
    raw = "video\r\nNa mi 😀 van?\r\nMásodik sor 🙂 itt.\r\n"
    units = raw.encode("utf-16-le")

    def position(fragment: str) -> int:
        return len(raw[: raw.index(fragment)].encode("utf-16-le")) // 2

    start, end = position("Második"), position("itt.") + 4
    body = text_source("internal://x.txt", selection(1, start, end, CODE) + selection(2, 0, len(units) // 2))
    path = qdpx(
        tmp_path / "n.qdpx",
        body,
        {"Sources/x.txt": b"\xef\xbb\xbf" + raw.encode("utf-8")},
        origin="NVivo for Windows 12.6",
        member="Project.qde",
        ns="urn:QDA-XML:project:1:0",
    )
    project, report = read_qdpx(path)
    assert report.problems == [] and report.offset_unit == "utf16"
    text = project.sources[0].text
    assert text == raw.replace("\r\n", "\n")
    first, whole = project.selections
    assert text[first.start : first.end] == "Második sor 🙂 itt."
    assert (whole.start, whole.end) == (0, len(text))


def test_offset_unit_can_be_forced(tmp_path):
    raw = "😀ab"
    path = qdpx(tmp_path / "f.qdpx", text_source("x.txt", selection(1, 1, 2)), {"sources/x.txt": raw.encode()})
    project, report = read_qdpx(path, offset_unit="utf16")
    assert report.offset_unit == "utf16"
    assert project.selections == []  # position 1 is inside the emoji in UTF-16 units
    assert "do not fit" in report.lines()[0]
    with pytest.raises(ValueError, match="offset_unit"):
        read_qdpx(path, offset_unit="bytes")


# --- tolerated variations --------------------------------------------------------------------------


def test_plain_path_without_internal_prefix_and_no_name(tmp_path):
    body = (
        f'<Sources><TextSource guid="{SRC}" plainTextPath="board.txt">{selection(1, 4, 9, CODE)}</TextSource></Sources>'
    )
    project, report = read_qdpx(qdpx(tmp_path / "q.qdpx", body, {"sources/board.txt": b"The board met.\n"}))
    assert report.problems == []
    source = project.sources[0]
    assert (source.name, source.path) == ("board.txt", "sources/board.txt")
    assert source.text[4:9] == "board"
    assert project.selections[0].codings == [QdaCoding(CODE, USER)]


def test_inline_text_and_utf16_file(tmp_path):
    body = (
        f'<Sources><TextSource guid="{SRC}" name="inline"><PlainTextContent>Hello there</PlainTextContent>'
        f"{selection(1, 6, 11, CHILD)}</TextSource>"
        f'<TextSource guid="{guid(50)}" name="wide" plainTextPath="internal://w.txt"/></Sources>'
    )
    project, report = read_qdpx(qdpx(tmp_path / "i.qdpx", body, {"sources/w.txt": "Ünï".encode("utf-16")}))
    assert report.problems == []
    assert [s.text for s in project.sources] == ["Hello there", "Ünï"]
    assert project.codes[1].is_codable is False
    assert project.codes[1].parent == CODE


def test_codebook_only_project(tmp_path):
    project, report = read_qdpx(qdpx(tmp_path / "c.qdpx", ""))
    assert report.problems == []
    assert [c.name for c in project.codes] == ["trust", "deep"]
    assert project.sources == project.selections == []


# --- reported items ----------------------------------------------------------------------------------


def test_each_unimportable_item_is_reported(tmp_path):
    selections = (
        selection(1, 0, 5, CODE, guid(404))  # one good coding, one unknown code
        + selection(2, 3, 999, CODE)  # beyond the text
        + selection(3, 5, 2, CODE)  # start after end
        + selection(4, 0, 2, CODE, user=OTHER)  # undeclared user
        + selection(5, 0, 2, CODE, user=OTHER)
        + selection(1, 0, 1, CODE)  # repeated GUID
        + f'<PlainTextSelection guid="{guid(6)}" startPosition="x" endPosition="2"/>'
        + f'<Coding guid="{guid(7)}"><CodeRef targetGUID="{CODE}"/></Coding>'
        + f'<VariableValue><VariableRef targetGUID="{guid(8)}"/><TextValue>a</TextValue></VariableValue>'
    )
    media = (
        f'<PDFSource guid="{guid(20)}" name="paper.pdf" path="internal://p.pdf">'
        f'<PDFSelection guid="{guid(21)}" page="0" firstX="1" firstY="1" secondX="2" secondY="2"/></PDFSource>'
        f'<TextSource guid="{guid(30)}" name="lost" plainTextPath="internal://lost.txt">'
        f"{selection(31, 0, 1, CODE)}</TextSource>"
        f'<TextSource guid="{guid(40)}" name="outside" plainTextPath="relative:///far/away.txt"/>'
        f'<TextSource guid="{guid(41)}" name="latin1" plainTextPath="internal://l.txt"/>'
    )
    files = {"sources/r.txt": b"Hello world", "sources/l.txt": "café".encode("latin-1")}
    path = qdpx(tmp_path / "r.qdpx", text_source("internal://r.txt", selections, extra=media), files)
    project, report = read_qdpx(path)
    assert [(s.guid, s.start, s.end) for s in project.selections] == [
        (guid(1), 0, 5),
        (guid(4), 0, 2),
        (guid(5), 0, 2),
    ]
    assert project.selections[0].codings == [QdaCoding(CODE, USER)]
    assert project.selections[1].user == "" and project.selections[1].codings == [QdaCoding(CODE, "")]
    assert [s.name for s in project.sources] == ["R01"]
    reasons = report.lines()
    expected = [
        "unknown code",
        "positions 3-999 do not fit",
        "positions 5-2 do not fit",
        "repeats a GUID",
        "positions x-2 do not fit",
        "codes a whole source",
        "variable values on sources",
        "PDF sources are not imported",
        "its source 'paper.pdf' was not imported",
        "'internal://lost.txt' is not in the archive",
        "its source 'lost' was not imported",
        "'relative:///far/away.txt' is not in the archive",
        "is not UTF-8 text",
        "not declared but named by 4 items",  # two selections and their codings
    ]
    assert len(reasons) == len(expected)
    for line, fragment in zip(reasons, expected, strict=True):
        assert fragment in line
    assert report.count("selection") == 6
    write_qdpx(project, tmp_path / "again.qdpx")  # whatever was imported can be written again


def test_notes_keep_their_targets(tmp_path):
    note_ref = '<NoteRef targetGUID="{}"/>'
    body = (
        text_source(
            "internal://r.txt",
            selection(1, 0, 5, CODE, inner="<Description>Check this</Description>").replace(
                "</PlainTextSelection>", note_ref.format(guid(61)) + "</PlainTextSelection>"
            )
            + note_ref.format(guid(62)),
            extra=f'<AudioSource guid="{guid(70)}" name="a.m4a">{note_ref.format(guid(63))}</AudioSource>',
        )
        + "<Notes>"
        + "".join(
            f'<Note guid="{guid(n)}" name="n{n}" creatingUser="{USER}"><PlainTextContent>memo {n}\r\nmore'
            "</PlainTextContent></Note>"
            for n in (61, 62, 63, 64)
        )
        + f'<Note guid="{guid(65)}" name="file" plainTextPath="internal://n.txt"/>'
        + f'<Note guid="{guid(66)}" name="gone" plainTextPath="internal://gone.txt"/>'
        + "</Notes>"
        + f'<Sets><Set guid="{guid(80)}" name="women"/></Sets>'
    )
    files = {"sources/r.txt": b"Hello world", "sources/n.txt": b"\xef\xbb\xbffrom a file"}
    project, report = read_qdpx(qdpx(tmp_path / "n.qdpx", body, files))
    notes = {note.name: note for note in project.notes}
    assert notes["n61"].target == guid(1)
    assert notes["n62"].target == SRC
    assert notes["n63"].target is None  # its audio source was not imported
    assert notes["n64"].target is None and notes["n64"].text == "memo 64\nmore"
    assert notes["file"].text == "from a file"
    comment = project.notes[-1]
    assert (comment.text, comment.target, comment.user) == ("Check this", guid(1), USER)
    assert any("was attached to an item that was not imported" in line for line in report.lines())
    assert any("text is missing" in line for line in report.lines())
    assert any("sets are not imported" in line for line in report.lines())
    assert read_qdpx(write_qdpx(project, tmp_path / "again.qdpx"))[0].notes == project.notes


def test_cases_and_variables(tmp_path):
    age, group = guid(90), guid(91)
    body = (
        f'<Variables><Variable guid="{age}" name="age" typeOfVariable="Integer"/>'
        f'<Variable guid="{group}" name="group" typeOfVariable="Colour"/></Variables>'
        f'<Cases><Case guid="{guid(92)}" name="R01">'
        f'<CodeRef targetGUID="{CODE}"/>'
        f'<VariableValue><VariableRef targetGUID="{age}"/><IntegerValue>54</IntegerValue></VariableValue>'
        f'<VariableValue><VariableRef targetGUID="{group}"/><TextValue>gov</TextValue></VariableValue>'
        f'<VariableValue><VariableRef targetGUID="{guid(93)}"/><TextValue>x</TextValue></VariableValue>'
        f'<SourceRef targetGUID="{SRC}"/><SourceRef targetGUID="{guid(94)}"/></Case></Cases>'
        + text_source("internal://r.txt")
    )
    project, report = read_qdpx(qdpx(tmp_path / "c.qdpx", body, {"sources/r.txt": b"Hi"}))
    assert [(v.name, v.type) for v in project.variables] == [("age", "Integer"), ("group", "Text")]
    case = project.cases[0]
    assert case.values == {age: "54", group: "gov"}
    assert case.sources == [SRC]
    assert report.count("variable") == 1 and report.count("case") == 3


# --- structural errors ----------------------------------------------------------------------------------


def test_not_a_zip(tmp_path):
    path = tmp_path / "x.qdpx"
    path.write_text("hello")
    with pytest.raises(ImportFormatError, match="not a readable zip"):
        read_qdpx(path)


def test_no_project_qde(tmp_path):
    path = tmp_path / "x.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("sources/a.txt", "a")
    with pytest.raises(ImportFormatError, match="no project.qde"):
        read_qdpx(path)


def test_wrong_root_or_namespace(tmp_path):
    path = qdpx(tmp_path / "x.qdpx", "", ns="urn:something-else")
    with pytest.raises(ImportFormatError, match="not a REFI-QDA project"):
        read_qdpx(path)


def test_malformed_xml_names_the_line(tmp_path):
    path = tmp_path / "x.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", "<Project>\n<Users>\n</Project>")
    with pytest.raises(ImportFormatError, match="not well-formed") as caught:
        read_qdpx(path)
    assert caught.value.line == 3


def test_guids_are_unique_across_the_project(tmp_path):
    """A GUID taken once (here by a code) cannot be taken again, so an import can always be re-exported."""
    body = (
        text_source("internal://r.txt", selection(1, 0, 2, CODE))
        + f'<Notes><Note guid="{CODE}" name="clash"><PlainTextContent>x</PlainTextContent></Note>'
        f'<Note guid="{guid(2)}" name="by a stranger" creatingUser="{OTHER}"><PlainTextContent>y'
        "</PlainTextContent></Note></Notes>"
    )
    path = qdpx(tmp_path / "u.qdpx", body, {"sources/r.txt": b"Hi"})
    project, report = read_qdpx(path)
    assert [note.name for note in project.notes] == ["by a stranger"]
    assert project.notes[0].user == ""
    assert any("note 'clash': repeats a GUID" in line for line in report.lines())
    write_qdpx(project, tmp_path / "again.qdpx")


def test_repeated_code_guid_skips_the_copy(tmp_path):
    path = tmp_path / "d.qdpx"
    qde = (
        f'<Project xmlns="{NS}" name="d"><CodeBook><Codes>'
        f'<Code guid="{CODE}" name="a" isCodable="true"/>'
        f'<Code guid="{CODE}" name="b" isCodable="true"><Code guid="{CHILD}" name="c" isCodable="true"/></Code>'
        "</Codes></CodeBook></Project>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", qde)
    project, report = read_qdpx(path)
    assert [code.name for code in project.codes] == ["a"]
    assert "skipped with its sub-codes" in report.lines()[0]
