"""Random and mutated inputs (hypothesis): the transcript reader, the codebook loader and the codings import
either give a result whose offsets re-cut the text, or raise the project's own error; nothing else escapes,
and a refused import leaves the project as it was."""

from __future__ import annotations

import csv
import io
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from coding.codebook import load_codebook
from coding.codings_io import DocumentTexts, read_codings_csv
from coding.errors import QcodeError
from coding.ingest import read_respondents_csv
from coding.project import Project, create_project
from coding.segment import segment_documents
from coding.transcripts import read_transcript

REPO = Path(__file__).resolve().parents[1]
FIXTURE = (Path(__file__).parent / "fixtures" / "transcripts" / "R101.txt").read_bytes()
CODEBOOK = (REPO / "codebooks" / "peace_process.yaml").read_bytes()[:6000]
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Pieces transcripts and codebooks are made of, so that mutations reach the parsers' deeper paths.
PIECES = [b"---\n", b"Interviewer: ", b"R101: ", b"\n\n", b"[PERSON_1]", b"&a ", b"*a", b"{", b"[", b": ", b"\x00"]


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(0, 8))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "delete", "piece", "byte"]))
        if action == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif action == "piece":
            data[at:at] = draw(st.sampled_from(PIECES))
        elif action == "byte":
            data[at:at] = bytes([draw(st.integers(0, 255))])
        else:
            data[at:at] = draw(st.binary(max_size=20))
    return bytes(data)


@PROPERTY
@given(content=st.one_of(mutated(FIXTURE), st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
def test_the_transcript_reader_gives_exact_offsets_or_its_own_error(tmp_path_factory, content, blank_nlp):
    path = tmp_path_factory.mktemp("prop") / "R101.txt"
    path.write_bytes(content)
    try:
        document = read_transcript(path)
    except QcodeError:
        return
    for turn in document.turns:
        assert 0 <= turn.start <= turn.end <= len(document.text)
        for start, end in turn.paragraphs:
            assert turn.start <= start <= end <= turn.end
    for segment in segment_documents([document], "sentence", blank_nlp):
        assert document.text[segment.start : segment.end] == segment.text
        assert segment.text.strip() == segment.text and segment.text


@PROPERTY
@given(content=st.one_of(mutated(CODEBOOK), st.binary(max_size=300)))
def test_the_codebook_loader_gives_a_codebook_or_its_own_error(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("prop") / "codebook.yaml"
    path.write_bytes(content)
    try:
        codebook = load_codebook(path)
    except QcodeError as error:
        assert str(path) in str(error)
        return
    assert all(code.id for code in codebook.codes)


def test_a_paragraph_longer_than_spacys_max_length_is_segmented_in_pieces(tmp_path, blank_nlp):
    nlp = blank_nlp
    saved = nlp.max_length
    nlp.max_length = 2_000  # as a 1,000,000-character paragraph meets the default limit
    try:
        body = " ".join(f"Sentence number {i} is here." for i in range(400))
        path = tmp_path / "R101.txt"
        path.write_text(f"Interviewer: Go on.\n\nR101: {body}\n", encoding="utf-8")
        document = read_transcript(path)
        segments = segment_documents([document], "sentence", nlp)
    finally:
        nlp.max_length = saved
    assert len(segments) == 400
    assert all(document.text[s.start : s.end] == s.text for s in segments)
    assert segments[-1].text == "Sentence number 399 is here."


RESPONDENTS_SEED = (Path(__file__).parent / "fixtures" / "transcripts" / "respondents.csv").read_bytes()


@PROPERTY
@given(content=st.one_of(mutated(RESPONDENTS_SEED), st.binary(max_size=300)))
def test_the_respondents_reader_gives_attributes_or_its_own_error(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("prop") / "respondents.csv"
    path.write_bytes(content)
    try:
        found = read_respondents_csv(path)
    except QcodeError as error:
        assert str(path) in str(error)
        return
    for respondent, attributes in found.items():  # what reaches the database: no NUL, ids that fit
        assert respondent and len(respondent) <= 100 and "\x00" not in respondent
        assert all("\x00" not in value for value in attributes.values())


# ----- the codings import -------------------------------------------------------------------------
CODINGS_SEED = (
    b"document,code,start,end,text,coder,memo\n"
    b"R101,corruption,,,the refugees came back,ann,a memo\n"
    b"R102,refugees,10,60,,bea,\n"
    b'R101,corruption,,,"In Dushanbe.",,"two\nlines"\n'
)
CSV_PIECES = [
    b",",
    b'"',
    b"\n",
    b"\r\n",
    b"R101",
    b"R102",
    b"corruption",
    b"start",
    b"end",
    b"text",
    b"\x00",
    b"=1+1",
    b"9" * 30,
]


@pytest.fixture(scope="module")
def import_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    folder = tmp_path_factory.mktemp("import-prop") / "study"
    transcripts = folder.parent / "transcripts"
    shutil.copytree(Path(__file__).parent / "fixtures" / "transcripts", transcripts)
    (transcripts / "respondents.csv").unlink()
    project = create_project(folder, codebook=REPO / "codebooks" / "peace_process.yaml")
    project.ingest([transcripts])
    project.segment("paragraph")
    return project


def database_dump(project: Project) -> list[str]:
    with sqlite3.connect(project.folder / "qcode.sqlite") as connection:
        return list(connection.iterdump())


@st.composite
def codings_rows(draw: st.DrawFn, texts: dict[str, str], codes: list[str]) -> bytes:
    """A CSV of rows that are mostly plausible: known or invented documents and codes, spans anywhere, quotes
    cut from the document (or not), odd coders and memos."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        draw(
            st.sampled_from(
                [
                    ["document", "code", "start", "end", "text", "coder", "memo"],
                    ["document", "code", "text"],
                    ["document", "code", "start", "end"],
                ]
            )
        )
    )
    for _ in range(draw(st.integers(0, 6))):
        document = draw(st.one_of(st.sampled_from(sorted(texts)), st.text(max_size=8)))
        text = texts.get(document, "")
        start = draw(st.integers(-5, len(text) + 5))
        end = draw(st.integers(-5, len(text) + 5))
        quote = draw(st.one_of(st.just(text[max(0, start) : max(0, end)]), st.text(max_size=30)))
        code = draw(st.one_of(st.sampled_from(codes), st.text(max_size=8)))
        coder = draw(st.one_of(st.just(""), st.sampled_from(["ann", "bea"]), st.text(max_size=120)))
        writer.writerow([document, code, start, end, quote, coder, draw(st.text(max_size=20))])
    return buffer.getvalue().encode("utf-8", "surrogatepass")


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_the_codings_import_gives_exact_offsets_or_its_own_error_and_changes_nothing(
    import_project: Project, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    project = import_project
    texts = project.store.document_texts()
    codes = sorted(project.codebook.by_id())
    content = data.draw(
        st.one_of(mutated(CODINGS_SEED), codings_rows(texts, codes), st.binary(max_size=200)), label="csv"
    )
    path = tmp_path_factory.mktemp("codings") / "codings.csv"
    path.write_bytes(content)
    try:
        rows = read_codings_csv(path, DocumentTexts.of(texts), set(codes), "ann")
    except QcodeError as error:
        assert str(path) in str(error)
    else:
        for row in rows:  # every accepted row's span lies in its document and re-cuts any quote it gave
            assert 0 <= row.start < row.end <= len(texts[row.document])
            assert texts[row.document][row.start : row.end].strip()
    before = database_dump(project)
    try:
        project.import_codings(path, "ann")
    except QcodeError as error:
        assert str(path) in str(error)
        assert database_dump(project) == before
        event("refused")
        return
    event("imported")
    for coding in project.long_codings().itertuples():
        assert texts[coding.document][int(coding.start) : int(coding.end)] == coding.text
