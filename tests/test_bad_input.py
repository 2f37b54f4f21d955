"""Every bad input the contract names: exit status 2, one line on stderr naming the file, no traceback,
and the project exactly as it was (every table compared before and after)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from coding.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"
GOOD_TURNS = "Interviewer: Where were you?\n\nR201: In Garm.\n"


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def dump(project: Path) -> list[str]:
    with sqlite3.connect(project / "qcode.sqlite") as connection:
        return list(connection.iterdump())


def assert_refused(result, names: Path | str) -> str:
    """Exit 2, exactly one line on stderr that names the file, nothing like a traceback anywhere."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert str(names) in lines[0], lines[0]
    assert lines[0].startswith("qcode: error: ")
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return lines[0]


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A small project: the fixture transcripts ingested, segmented into paragraphs, one coding imported."""
    root = tmp_path_factory.mktemp("template")
    project = root / "project"
    assert invoke("init", project).exit_code == 0
    transcripts = root / "transcripts"
    shutil.copytree(FIXTURES, transcripts)
    (transcripts / "respondents.csv").unlink()
    result = invoke("ingest", transcripts, "--metadata", FIXTURES / "respondents.csv", "--project", project)
    assert result.exit_code == 0, result.output
    assert invoke("segment", "--unit", "paragraph", "--project", project).exit_code == 0
    codings = root / "codings.csv"
    codings.write_text("document,code,text\nR102,corruption,the amnesty\n", encoding="utf-8")
    assert invoke("import-codings", codings, "--coder", "ann", "--project", project).exit_code == 0
    return project


@pytest.fixture
def project(template, tmp_path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(template, copy)
    return copy


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


# ----- transcripts -------------------------------------------------------------------------------

BILLION_LAUGHS = (
    b"---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    b"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n---\n"
)
ENTITY_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><w:document>&c;</w:document>'
)


def zip_bytes(members: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


BAD_TRANSCRIPTS = {
    "empty-file": ("R201.txt", b"", "empty file"),
    "binary-file": ("R201.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01", "binary file"),
    "non-utf8-file": ("R201.txt", "Interviewer: Где?\n\nR201: В Гарме.\n".encode("cp1251"), "not valid UTF-8"),
    "missing-respondent-id": ("interview.txt", GOOD_TURNS.encode(), "missing respondent_id"),
    "unknown-speaker-label": (
        "R201.txt",
        b"Interviewer: Who?\n\nFarrukh: Me.\n\nNodira: And me.\n",
        "unknown speaker label 'Nodira'",
    ),
    "malformed-front-matter": ("R201.txt", b"---\ngroup: [a, b\n---\n" + GOOD_TURNS.encode(), "malformed front matter"),
    "unclosed-front-matter": ("R201.txt", b"---\ngroup: a\n" + GOOD_TURNS.encode(), "never closed"),
    "corrupt-docx": ("R201.docx", b"PK\x03\x04garbage", "not a readable .docx"),
    # hostile files (issue 16): each refused in one line before it costs memory or reaches the database
    "alias-bomb-front-matter": ("R201.txt", BILLION_LAUGHS + GOOD_TURNS.encode(), "expands to more than 2,000 values"),
    "deep-front-matter": (
        "R201.txt",
        b"---\ngroup: " + b"[" * 60 + b"]" * 60 + b"\n---\n" + GOOD_TURNS.encode(),
        "nested",
    ),
    "nul-after-the-first-block": ("R201.txt", GOOD_TURNS.encode() * 400 + b"R201: a\x00b\n", "NUL character"),
    "utf16-without-encoding": ("R201.txt", GOOD_TURNS.encode("utf-16"), "pass --encoding utf-16"),
    "docx-zip-bomb": ("R201.docx", zip_bytes({"word/document.xml": b"\x00" * (8 * 1024 * 1024)}), "zip bomb"),
    "docx-entity-bomb": ("R201.docx", zip_bytes({"word/document.xml": ENTITY_BOMB}), "declares a DTD"),
}


@pytest.mark.parametrize("case", list(BAD_TRANSCRIPTS), ids=list(BAD_TRANSCRIPTS))
def test_a_bad_transcript_is_refused_and_the_project_is_unchanged(project, tmp_path, case):
    name, content, message = BAD_TRANSCRIPTS[case]
    path = write(tmp_path / "incoming" / name, content)
    write(tmp_path / "incoming" / "R202.txt", "Interviewer: Hi?\n\nR202: A good file next to the bad one.\n")
    before = dump(project)
    line = assert_refused(invoke("ingest", tmp_path / "incoming", "--project", project), path)
    assert message in line
    assert dump(project) == before


def test_a_duplicate_document_name_is_refused(project, tmp_path):
    write(tmp_path / "incoming" / "a" / "R201.txt", GOOD_TURNS)
    second = write(tmp_path / "incoming" / "b" / "R201.md", GOOD_TURNS)
    before = dump(project)
    line = assert_refused(invoke("ingest", tmp_path / "incoming", "--project", project), second)
    assert "duplicate document name 'R201'" in line
    assert dump(project) == before


def test_a_changed_document_without_replace_is_refused(project, tmp_path):
    changed = write(tmp_path / "R102.md", (FIXTURES / "R102.md").read_text(encoding="utf-8") + "\nInterviewer: Bye.\n")
    before = dump(project)
    line = assert_refused(invoke("ingest", changed, "--project", project), changed)
    assert "--replace" in line
    assert dump(project) == before


def test_a_bad_respondents_csv_is_refused(project, tmp_path):
    csv_path = write(tmp_path / "respondents.csv", "id,group\nR101,x\n")
    before = dump(project)
    line = assert_refused(invoke("ingest", "--metadata", csv_path, "--project", project), csv_path)
    assert "no respondent_id column" in line
    assert dump(project) == before


def test_a_real_process_prints_one_line_and_no_traceback(project, tmp_path):
    path = write(tmp_path / "R201.txt", b"\x00\x01\x02 binary")
    before = dump(project)
    completed = subprocess.run(
        [sys.executable, "-m", "coding", "ingest", str(path), "--project", str(project)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 2
    assert completed.stderr.splitlines() == [f"qcode: error: {path}: binary file, not a text transcript"]
    assert dump(project) == before


# ----- codebooks (qcode init --codebook) ---------------------------------------------------------

BAD_CODEBOOKS = {
    "malformed-yaml": ('name: x\nversion: "1"\ncodes: [\n  - id: a\n', "yaml"),
    "cyclic-parents": (
        'name: x\nversion: "1"\ncodes:\n  - id: a\n    name: A\n    parent: b\n  - id: b\n    name: B\n    parent: a\n',
        "cycle",
    ),
    "unknown-parent": ('name: x\nversion: "1"\ncodes:\n  - id: a\n    name: A\n    parent: zzz\n', "zzz"),
    "not-a-mapping": ("- just\n- a list\n", ""),
    "regex-pattern": (
        'name: x\nversion: "1"\ncodes:\n  - id: a\n    name: A\n    match:\n      patterns:\n'
        '        - [{LOWER: {REGEX: "("}}]\n',
        "invalid regular expression",
    ),
    "deeply-nested": (
        'name: x\nversion: "1"\ncodes:\n  - id: a\n    name: A\n    definition: ' + "[" * 500 + "]" * 500,
        "nested",
    ),
    "alias-bomb": (
        'name: x\nversion: "1"\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n'
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ncodes: []\n",
        "expands to more than",
    ),
}


@pytest.mark.parametrize("case", list(BAD_CODEBOOKS), ids=list(BAD_CODEBOOKS))
def test_init_with_a_bad_codebook_is_refused_and_creates_nothing(tmp_path, case):
    content, message = BAD_CODEBOOKS[case]
    codebook = write(tmp_path / "codebook.yaml", content)
    line = assert_refused(invoke("init", tmp_path / "new", "--codebook", codebook), codebook)
    assert message in line
    assert not (tmp_path / "new").exists()


def test_init_over_an_existing_project_is_refused_and_changes_nothing(project):
    before = dump(project)
    assert_refused(invoke("init", project), project)
    assert dump(project) == before


# ----- codings imports ----------------------------------------------------------------------------

GOOD_ROW = "R101,refugees,the refugees came back\n"  # valid, and must not be imported when another row fails
BAD_IMPORTS = {
    "unknown-code": ("document,code,text\n" + GOOD_ROW + "R101,no_such_code,In Dushanbe.\n", 3, "unknown code"),
    "unknown-document": ("document,code,text\n" + GOOD_ROW + "R999,corruption,In Dushanbe.\n", 3, "unknown document"),
    "quote-not-found": ("document,code,text\n" + GOOD_ROW + "R101,corruption,Never said.\n", 3, "not found"),
    "span-outside": ("document,code,start,end\nR101,corruption,5,999999\n", 2, "outside the document"),
    "missing-columns": ("doc,code\nR101,corruption\n", 1, "missing column(s)"),
}


@pytest.mark.parametrize("case", list(BAD_IMPORTS), ids=list(BAD_IMPORTS))
def test_a_bad_codings_csv_is_refused_and_nothing_is_imported(project, tmp_path, case):
    content, line_number, message = BAD_IMPORTS[case]
    csv_path = write(tmp_path / "codings.csv", content)
    before = dump(project)
    line = assert_refused(invoke("import-codings", csv_path, "--coder", "bea", "--project", project), csv_path)
    assert line.startswith(f"qcode: error: {csv_path}:{line_number}: ") and message in line
    assert dump(project) == before


def test_importing_into_an_unsegmented_project_with_a_bad_row_changes_nothing(tmp_path):
    project = tmp_path / "project"
    assert invoke("init", project).exit_code == 0
    assert invoke("ingest", FIXTURES / "R101.txt", "--project", project).exit_code == 0
    before = dump(project)
    csv_path = write(tmp_path / "codings.csv", "document,code,text\nR101,no_such_code,In Dushanbe.\n")
    assert_refused(invoke("import-codings", csv_path, "--coder", "bea", "--project", project), csv_path)
    assert dump(project) == before


# ----- other things a person can get wrong --------------------------------------------------------


def test_a_folder_that_is_not_a_project_is_named(tmp_path):
    assert_refused(invoke("segment", "--project", tmp_path), tmp_path)


def test_an_unknown_crosstab_attribute_is_one_line(project):
    result = invoke("crosstab", "--by", "religion", "--project", project)
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("qcode: error: unknown respondent attribute 'religion' (known: ")
    assert all(attribute in line for attribute in ("gender", "group", "interview_date", "region"))


def test_usage_errors_are_one_line_with_status_2(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "coding", "segment", "--unit", "word", "--project", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "'word' is not one of" in result.stderr
    assert "Traceback" not in result.stderr


def test_utf16_is_read_when_the_encoding_says_so(project, tmp_path):
    write(tmp_path / "in" / "R203.txt", "Interviewer: Где?\n\nR203: В Гарме.\n".encode("utf-16"))  # with a BOM
    write(tmp_path / "in" / "R204.txt", "Interviewer: Где?\n\nR204: Дома.\n".encode("utf-16-le"))  # without
    result = invoke("ingest", tmp_path / "in", "--encoding", "utf-16", "--project", project)
    assert result.exit_code == 0, result.output
    with sqlite3.connect(project / "qcode.sqlite") as connection:
        texts = dict(connection.execute("select name, text from documents where name in ('R203', 'R204')"))
    assert texts == {"R203": "Interviewer: Где?\n\nR203: В Гарме.\n", "R204": "Interviewer: Где?\n\nR204: Дома.\n"}
