"""The bad-input catalogue, continued from test_bad_input.py: every command that reads a file, given broken,
hostile or merely wrong files. Each gives exit status 2, one line on stderr naming the file, no traceback, and
leaves the project exactly as it was (every table compared before and after)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from test_bad_input import (
    BILLION_LAUGHS,
    ENTITY_BOMB,
    GOOD_TURNS,
    assert_refused,
    dump,
    invoke,
    project,
    template,
    write,
)

__all__ = ["project", "template"]  # fixtures used here


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def front(attributes: str) -> bytes:
    return f"---\n{attributes}\n---\n{GOOD_TURNS}".encode()


BIG_FIELD = b"x" * 200_000  # beyond the csv module's default field limit (131,072 characters)
RESPONDENTS = b"respondent_id,group\n"
CODINGS = b"document,code,text\n"
SPAN = b"document,code,start,end\n"
QDE = b'<?xml version="1.0" encoding="utf-8"?>'

# name -> (command, file name, content, words the one line must contain)
CASES: dict[str, tuple[str, str, bytes, str]] = {
    # ingest: transcripts
    "transcript-front-matter-a-list": (
        "ingest",
        "R201.txt",
        b"---\n- a\n- b\n---\n" + GOOD_TURNS.encode(),
        "expected 'key: value' lines",
    ),
    "transcript-respondent-id-with-nul": ("ingest", "R201.txt", front('respondent_id: "R2\\0"'), "NUL"),
    "transcript-respondent-id-too-long": (
        "ingest",
        "R201.txt",
        front("respondent_id: " + "R" * 300),
        "longer than 100",
    ),
    "transcript-only-front-matter": ("ingest", "R201.txt", b"---\ngroup: a\n---\n", "no speaker labels found"),
    "transcript-only-interviewer": (
        "ingest",
        "R201.txt",
        b"Interviewer: Anyone there?\n",
        "no respondent turn with text",
    ),
    "transcript-speaker-label-only": (
        "ingest",
        "R201.txt",
        b"Interviewer: Hello?\n\nR201:\n",
        "no respondent turn with text",
    ),
    "transcript-docx-without-document": (
        "ingest",
        "R201.docx",
        zipped({"word/other.xml": b"<a/>"}),
        "no word/document.xml",
    ),
    "transcript-docx-not-xml": (
        "ingest",
        "R201.docx",
        zipped({"word/document.xml": b"not xml at all <"}),
        "[Content_Types].xml",
    ),
    "transcript-docx-empty-zip": ("ingest", "R201.docx", zipped({}), "no word/document.xml"),
    "transcript-utf16-odd-bytes": ("ingest", "R201.txt", b"\xff\xfeI\x00n\x00t", "--encoding utf-16"),
    "transcript-alias-bomb-md": ("ingest", "R201.md", BILLION_LAUGHS + GOOD_TURNS.encode(), "expands to more than"),
    "transcript-yaml-python-tag": (
        "ingest",
        "R201.txt",
        front("group: !!python/object/apply:os.system [ls]"),
        "could not determine a constructor",
    ),
    "transcript-bom-then-binary": ("ingest", "R201.txt", b"\xef\xbb\xbf\x00\x01\x02\x03", "binary file"),
    # ingest --metadata
    "respondents-empty": ("metadata", "respondents.csv", b"", "empty file"),
    "respondents-binary": ("metadata", "respondents.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "not valid UTF-8"),
    "respondents-not-utf8": ("metadata", "respondents.csv", RESPONDENTS + "R101,Душанбе\n".encode("cp1251"), "UTF-8"),
    "respondents-duplicate-id": ("metadata", "respondents.csv", RESPONDENTS + b"R101,a\nR101,b\n", "twice"),
    "respondents-wrong-field-count": ("metadata", "respondents.csv", RESPONDENTS + b"R101,a,extra\n", "fields"),
    "respondents-duplicate-columns": (
        "metadata",
        "respondents.csv",
        b"respondent_id,group,group\nR101,a,b\n",
        "duplicate column names",
    ),
    "respondents-empty-id": ("metadata", "respondents.csv", RESPONDENTS + b",a\n", "empty respondent_id"),
    "respondents-huge-field": (
        "metadata",
        "respondents.csv",
        RESPONDENTS + b"R101," + BIG_FIELD + b"\n",
        "field larger than field limit",
    ),
    "respondents-nul-byte": ("metadata", "respondents.csv", RESPONDENTS + b"R101,a\x00b\n", "NUL character"),
    "respondents-id-too-long": ("metadata", "respondents.csv", RESPONDENTS + b"R" * 300 + b",a\n", "longer than 100"),
    "respondents-unclosed-quote": ("metadata", "respondents.csv", RESPONDENTS + b'R101,"a\n', "not readable as CSV"),
    # import-codings
    "codings-empty": ("codings", "codings.csv", b"", "missing column"),
    "codings-binary": ("codings", "codings.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "not valid UTF-8"),
    "codings-not-utf8": ("codings", "codings.csv", CODINGS + "R101,corruption,Душанбе\n".encode("cp1251"), "UTF-8"),
    "codings-huge-field": (
        "codings",
        "codings.csv",
        CODINGS + b"R101,corruption," + BIG_FIELD + b"\n",
        "field larger than field limit",
    ),
    "codings-nul-byte": ("codings", "codings.csv", CODINGS + b"R101,corruption,the\x00refugees\n", "NUL character"),
    "codings-start-not-a-number": ("codings", "codings.csv", SPAN + b"R101,corruption,five,10\n", "whole numbers"),
    "codings-negative-start": ("codings", "codings.csv", SPAN + b"R101,corruption,-5,10\n", "outside"),
    "codings-start-after-end": ("codings", "codings.csv", SPAN + b"R101,corruption,10,5\n", "outside"),
    "codings-huge-number": (
        "codings",
        "codings.csv",
        SPAN + b"R101,corruption,0," + b"9" * 5000 + b"\n",
        "whole numbers",
    ),
    "codings-empty-text": ("codings", "codings.csv", CODINGS + b"R101,corruption,\n", "neither"),
    "codings-coder-with-nul": (
        "codings",
        "codings.csv",
        b"document,code,text,coder\nR101,corruption,the,a\x00b\n",
        "NUL character",
    ),
    "codings-coder-too-long": (
        "codings",
        "codings.csv",
        b"document,code,text,coder\nR101,corruption,the," + b"c" * 300 + b"\n",
        "longer than 100",
    ),
    "codings-unclosed-quote": (
        "codings",
        "codings.csv",
        CODINGS + b'R101,corruption,"the refugees\n',
        "not readable as CSV",
    ),
    # import qdc / qdpx
    "qdc-not-xml": ("qdc", "codebook.qdc", b"not xml <", "not well-formed XML"),
    "qdc-entity-bomb": ("qdc", "codebook.qdc", ENTITY_BOMB, "DTDs are not allowed"),
    "qdc-empty": ("qdc", "codebook.qdc", b"", "not well-formed XML"),
    "qdc-wrong-root": ("qdc", "codebook.qdc", QDE + b"<Other/>", "not a REFI-QDA codebook"),
    "qdpx-not-a-zip": ("qdpx", "project.qdpx", b"PK\x03\x04 garbage", "not a readable zip archive"),
    "qdpx-without-project": ("qdpx", "project.qdpx", zipped({"sources/a.txt": b"hello"}), "no project.qde"),
    "qdpx-entity-bomb": ("qdpx", "project.qdpx", zipped({"project.qde": ENTITY_BOMB}), "DTDs are not allowed"),
    "qdpx-member-outside": (
        "qdpx",
        "project.qdpx",
        zipped({"project.qde": QDE + b"<Project/>", "../evil.txt": b"x"}),
        "climbs out of the archive",
    ),
    "qdpx-zip-bomb": ("qdpx", "project.qdpx", zipped({"project.qde": b" " * (300 * 1024 * 1024)}), "zip bomb"),
    # init --codebook
    "codebook-empty": ("codebook", "codebook.yaml", b"", "empty file"),
    "codebook-binary": ("codebook", "codebook.yaml", b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8 text"),
    "codebook-not-utf8": ("codebook", "codebook.yaml", 'name: "Душанбе"\n'.encode("cp1251"), "not UTF-8 text"),
    "codebook-code-without-id": (
        "codebook",
        "codebook.yaml",
        b'name: x\nversion: "1"\ncodes:\n  - name: A\n',
        "codes[0].id: missing",
    ),
    "codebook-duplicate-ids": (
        "codebook",
        "codebook.yaml",
        b'name: x\nversion: "1"\ncodes:\n  - {id: a, name: A}\n  - {id: a, name: B}\n',
        "duplicate id 'a'",
    ),
    "codebook-name-a-list": (
        "codebook",
        "codebook.yaml",
        b'name: x\nversion: "1"\ncodes:\n  - {id: a, name: [A]}\n',
        "expected text, got a list",
    ),
    "codebook-codes-a-mapping": (
        "codebook",
        "codebook.yaml",
        b'name: x\nversion: "1"\ncodes: {a: 1}\n',
        "expected a list of codes",
    ),
    "codebook-bad-colour": (
        "codebook",
        "codebook.yaml",
        b'name: x\nversion: "1"\ncodes:\n  - {id: a, name: A, color: "red;}"}\n',
        "bad colour",
    ),
    "codebook-python-tag": (
        "codebook",
        "codebook.yaml",
        b"name: !!python/object/apply:os.system [ls]\ncodes: []\n",
        "could not determine a constructor",
    ),
    "codebook-nul-in-name": (
        "codebook",
        "codebook.yaml",
        b'name: x\nversion: "1"\ncodes:\n  - {id: a, name: "A\\0"}\n',
        "NUL character",
    ),
    "codebook-unknown-extension": ("codebook", "codebook.json", b'{"name": "x"}', "codes: missing"),
    "codebook-qdc-not-xml": ("codebook", "codebook.qdc", b"not xml <", "not well-formed XML"),
}


def run(command: str, path: Path, project: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    commands: dict[str, Callable[[], object]] = {
        "ingest": lambda: invoke("ingest", path, "--project", project),
        "metadata": lambda: invoke("ingest", "--metadata", path, "--project", project),
        "codings": lambda: invoke("import-codings", path, "--coder", "bea", "--project", project),
        "qdc": lambda: invoke("import", "qdc", path, "--project", project),
        "qdpx": lambda: invoke("import", "qdpx", path, "--project", project),
        "codebook": lambda: invoke("init", tmp_path / "new", "--codebook", path),
    }
    return commands[command]()


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_a_bad_file_is_one_line_and_changes_nothing(project: Path, tmp_path: Path, case: str) -> None:
    command, name, content, message = CASES[case]
    path = write(tmp_path / "incoming" / name, content)
    before = dump(project)
    line = assert_refused(run(command, path, project, tmp_path), path)
    assert message in line
    assert dump(project) == before
    assert not (tmp_path / "new").exists()


# ----- the project's own files, damaged -----------------------------------------------------------
PROJECT_FILES: dict[str, tuple[str, Callable[[bytes], bytes], str]] = {
    "config-not-toml": ("qcode.toml", lambda _: b"name = [\n", "not valid TOML"),
    "config-not-utf8": ("qcode.toml", lambda _: b"\xff\xfe\x00name", "not valid TOML"),
    "config-unknown-unit": (
        "qcode.toml",
        lambda old: b"\n".join(b'unit = "word"' if ln.startswith(b"unit") else ln for ln in old.split(b"\n")),
        "unit must be one of",
    ),
    "database-random-bytes": ("qcode.sqlite", lambda _: bytes(range(256)) * 16, "file is not a database"),
    "database-bad-header": ("qcode.sqlite", lambda _: b"SQLite format 3\x00" + b"\xff" * 200, "not a database"),
}


@pytest.mark.parametrize("case", list(PROJECT_FILES), ids=list(PROJECT_FILES))
@pytest.mark.parametrize("command", [["segment"], ["crosstab", "--by", "group"], ["export", "codings", "OUT"]])
def test_a_damaged_project_file_is_one_line_and_left_as_it_is(
    project: Path, tmp_path: Path, case: str, command: list[str]
) -> None:
    name, damage, message = PROJECT_FILES[case]
    path = project / name
    for log in project.glob("qcode.sqlite-*"):  # as after a clean close: no write-ahead log to read pages from
        log.unlink()
    path.write_bytes(damage(path.read_bytes()))
    before = {p.name: p.read_bytes() for p in project.iterdir() if p.is_file()}
    out = tmp_path / "out.csv"
    line = assert_refused(invoke(*[out if a == "OUT" else a for a in command], "--project", project), path)
    assert message in line
    assert {p.name: p.read_bytes() for p in project.iterdir() if p.is_file()} == before  # no copy, no repair
    assert not out.exists()


# ----- de-identification inputs ---------------------------------------------------------------------
DEIDENTIFY: dict[str, tuple[str, str, bytes, str]] = {
    "roster-binary": ("--roster", "roster.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "roster.csv"),
    "roster-ragged-row": ("--roster", "roster.csv", b"name,kind\nAnn Smith,person\nBob,person,extra\n", "fields"),
    "roster-unknown-kind": ("--roster", "roster.csv", b"name,kind\nAnn Smith,planet\n", "unknown kind"),
    "roster-no-name-column": ("--roster", "roster.csv", b"who,kind\nAnn Smith,person\n", "no name column"),
    "keep-binary": ("--keep", "keep.txt", b"\x89PNG\x00\x00", "binary file"),
    "review-not-a-review": ("--apply-review", "review.csv", b"a,b\n1,2\n", "not a review file"),
}


@pytest.mark.parametrize("case", list(DEIDENTIFY), ids=list(DEIDENTIFY))
def test_a_bad_deidentify_input_is_one_line_and_writes_nothing(tmp_path: Path, case: str) -> None:
    option, name, content, message = DEIDENTIFY[case]
    source = write(tmp_path / "in" / "R301.txt", "Interviewer: Where?\n\nR301: Ann Smith lives in Garm.\n")
    path = write(tmp_path / name, content)
    line = assert_refused(invoke("deidentify", source.parent, tmp_path / "out", option, path), path)
    assert message in line
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["in", name])  # no OUT, key or audit
