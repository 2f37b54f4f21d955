"""A file that is not UTF-8 is refused with the offset of its first bad byte counted from the file's start,
byte-order mark included, whichever reader refuses it: a transcript, a respondents CSV, a codebook (and a
codings CSV: tests/test_scale_import.py). Python's "utf-8-sig" decoder strips the mark first and counts from
after it; an editor's or `xxd`'s offset counts the mark."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from coding.codebook import codebook_from_bytes
from coding.errors import CodebookError, IngestError
from coding.ingest import read_respondents_csv
from coding.transcripts import read_text_file

BOM = codecs.BOM_UTF8
BAD = b"\xff"


@pytest.mark.parametrize("mark", [b"", BOM], ids=["no mark", "byte-order mark"])
def test_a_transcript_names_the_bad_byte_and_its_offset_in_the_file(tmp_path: Path, mark: bytes) -> None:
    data = mark + b"Interviewer: Where were you in 1993?\nR01: In Dushanbe " + BAD + b"\n"
    path = tmp_path / "R01.txt"
    path.write_bytes(data)
    with pytest.raises(IngestError) as refused:
        read_text_file(path)
    assert f"(byte 0xff at offset {data.index(BAD)})" in str(refused.value)


@pytest.mark.parametrize("mark", [b"", BOM], ids=["no mark", "byte-order mark"])
def test_a_respondents_csv_names_the_offset_in_the_file(tmp_path: Path, mark: bytes) -> None:
    data = mark + b"respondent_id,group\nR01,civil " + BAD + b"society\n"
    path = tmp_path / "respondents.csv"
    path.write_bytes(data)
    with pytest.raises(IngestError, match=rf"not valid UTF-8 \(byte offset {data.index(BAD)}\)"):
        read_respondents_csv(path)


@pytest.mark.parametrize("mark", [b"", BOM], ids=["no mark", "byte-order mark"])
def test_a_codebook_names_the_offset_in_the_file(mark: bytes) -> None:
    data = mark + b'name: "Peace process"\ncodes:\n  - id: external_actors\n    name: "External ' + BAD + b'"\n'
    with pytest.raises(CodebookError, match=rf"at byte {data.index(BAD)}\)"):
        codebook_from_bytes(data, "codebook.yaml")


@pytest.mark.parametrize("encoding", ["undefined", "idna", "punycode"])
def test_a_codec_that_is_not_a_byte_decoder_is_one_clear_line(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "R01.txt"
    path.write_bytes(b"R01: a.b\xc3\xa9.c and more\n")
    with pytest.raises(IngestError, match=rf"R01.txt: not (valid|readable as) {encoding}"):
        read_text_file(path, encoding)


def test_a_utf16_transcript_with_its_mark_names_the_offset_in_the_file(tmp_path: Path) -> None:
    lone = b"\x00\xd8"  # half of a surrogate pair, then a character that cannot be its other half
    data = codecs.BOM_UTF16_LE + "R01: In Dushanbe".encode("utf-16-le") + lone + "!".encode("utf-16-le")
    path = tmp_path / "R01.txt"
    path.write_bytes(data)
    with pytest.raises(IngestError, match=rf"at offset {data.index(lone)}\)"):
        read_text_file(path, "utf-16")
