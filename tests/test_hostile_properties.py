"""Random and mutated inputs (hypothesis): the transcript reader and the codebook loader either give a
result whose offsets re-cut the text, or raise the project's own error; nothing else escapes."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coding.codebook import load_codebook
from coding.errors import QcodeError
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
