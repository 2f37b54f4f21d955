"""Reading transcript files: front matter, speaker turns, paragraphs, exact offsets, clear errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coding.errors import IngestError
from coding.models import INTERVIEWER, RESPONDENT
from coding.transcripts import (
    TranscriptOptions,
    find_transcripts,
    make_turn,
    read_text_file,
    read_transcript,
    split_front_matter,
)

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"


def turn_texts(document) -> list[tuple[str, str, str]]:
    return [(t.speaker, t.role, document.text[t.start : t.end]) for t in document.turns]


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# ----- front matter and document text ---------------------------------------------------------


def test_front_matter_gives_respondent_id_and_attributes():
    document = read_transcript(FIXTURES / "R101.txt")
    assert document.name == "R101"
    assert document.respondent_id == "R101"
    # A YAML date comes back as ISO text; respondent_id is not repeated among the attributes.
    assert document.attributes == {"group": "civil_society", "gender": "female", "interview_date": "2021-03-14"}


def test_document_text_is_the_file_text_after_the_front_matter_block():
    raw = (FIXTURES / "R101.txt").read_text(encoding="utf-8")
    document = read_transcript(FIXTURES / "R101.txt")
    closing = raw.index("---\n", 4) + len("---\n")
    assert document.text == raw[closing:]
    assert document.text.startswith("I: Thank you")


def test_respondent_id_comes_from_the_file_name_without_front_matter():
    document = read_transcript(FIXTURES / "R102.md")
    assert document.respondent_id == "R102"
    assert document.attributes == {}
    assert document.text == (FIXTURES / "R102.md").read_text(encoding="utf-8")


def test_front_matter_respondent_id_wins_over_the_file_name(tmp_path):
    path = write(tmp_path / "R01_second_visit.txt", "---\nrespondent_id: R77\n---\nInterviewer: Hi?\n\nR77: Hello.\n")
    assert read_transcript(path).respondent_id == "R77"


def test_file_name_prefix_before_a_separator_is_a_respondent_id(tmp_path):
    path = write(tmp_path / "R07_2021-03-01.txt", "Interviewer: Hi?\n\nR07: Hello.\n")
    assert read_transcript(path).respondent_id == "R07"


# ----- turns and paragraphs ---------------------------------------------------------------------


def test_turns_have_speaker_role_and_text_without_the_label():
    document = read_transcript(FIXTURES / "R101.txt")
    assert turn_texts(document) == [
        ("I", INTERVIEWER, "Thank you for agreeing to talk with us. Where were you in 1997?"),
        (
            "R101",
            RESPONDENT,
            "In Dushanbe. I worked for a women's group that ran a small clinic near the bazaar.\n\n"
            "We had no money, only volunteers. Some days there was no electricity at all. Still, people came.",
        ),
        ("Q", INTERVIEWER, "Did the peace agreement change anything for the clinic?"),
        (
            "R101",
            RESPONDENT,
            "Slowly. The checkpoints went away first. Then the refugees came back from Afghanistan, "
            "and we had twice as many patients.",
        ),
    ]
    assert [t.index for t in document.turns] == [0, 1, 2, 3]


def test_a_multi_paragraph_turn_records_each_paragraph_span():
    document = read_transcript(FIXTURES / "R101.txt")
    turn = document.turns[1]
    paragraphs = [document.text[start:end] for start, end in turn.paragraphs]
    assert paragraphs == [
        "In Dushanbe. I worked for a women's group that ran a small clinic near the bazaar.",
        "We had no money, only volunteers. Some days there was no electricity at all. Still, people came.",
    ]
    assert turn.paragraphs[0][0] == turn.start and turn.paragraphs[-1][1] == turn.end


def test_generic_respondent_label_and_unlabelled_second_paragraph(tmp_path):
    document = read_transcript(FIXTURES / "R102.md")
    roles = [(t.speaker, t.role) for t in document.turns]
    assert roles == [
        ("Interviewer", INTERVIEWER),
        ("Respondent", RESPONDENT),
        ("Interviewer", INTERVIEWER),
        ("Respondent", RESPONDENT),
    ]
    assert len(document.turns[3].paragraphs) == 2


def test_speaker_declared_in_front_matter_is_the_respondent():
    document = read_transcript(FIXTURES / "R103.txt")
    assert [(t.speaker, t.role) for t in document.turns if t.role == RESPONDENT] == [
        ("Farrukh", RESPONDENT),
        ("Farrukh", RESPONDENT),
    ]
    assert "speakers" not in document.attributes


def test_interviewer_labels_are_configurable(tmp_path):
    path = write(
        tmp_path / "R05.txt",
        "Researcher: What happened next?\n\nR05: We went home.\n\nResearcher: When?\n\nR05: In May.\n",
    )
    document = read_transcript(path, TranscriptOptions(interviewer_labels=("Researcher",)))
    assert [(t.speaker, t.role) for t in document.turns] == [
        ("Researcher", INTERVIEWER),
        ("R05", RESPONDENT),
        ("Researcher", INTERVIEWER),
        ("R05", RESPONDENT),
    ]


def test_interviewer_labels_match_case_insensitively(tmp_path):
    path = write(tmp_path / "R05.txt", "INTERVIEWER: Why?\n\nR05: Because.\n")
    assert read_transcript(path).turns[0].role == INTERVIEWER


def test_colons_inside_a_line_or_after_lower_case_words_do_not_start_a_turn(tmp_path):
    text = "Interviewer: When?\n\nR05: At 10:30, I think.\nnote: the hall was cold.\n"
    document = read_transcript(write(tmp_path / "R05.txt", text))
    assert turn_texts(document)[1] == ("R05", RESPONDENT, "At 10:30, I think.\nnote: the hall was cold.")


def test_a_label_alone_on_its_line_starts_a_turn(tmp_path):
    document = read_transcript(write(tmp_path / "R05.txt", "Interviewer:\nWhy?\n\nR05:\nBecause.\n"))
    assert turn_texts(document) == [("Interviewer", INTERVIEWER, "Why?"), ("R05", RESPONDENT, "Because.")]


# ----- encodings and line endings -------------------------------------------------------------


def test_crlf_and_a_bom_give_the_same_document_as_plain_lf(tmp_path):
    original = (FIXTURES / "R104.txt").read_text(encoding="utf-8")
    crlf = tmp_path / "crlf" / "R104.txt"
    crlf.parent.mkdir()
    crlf.write_bytes(b"\xef\xbb\xbf" + original.replace("\n", "\r\n").encode("utf-8"))
    plain = read_transcript(FIXTURES / "R104.txt")
    converted = read_transcript(crlf)
    assert "\r" not in converted.text
    assert converted.text == plain.text
    assert converted.turns == plain.turns
    assert converted.sha256 == plain.sha256  # a line-ending conversion is not a change of content


def test_offsets_count_code_points_in_non_ascii_text():
    document = read_transcript(FIXTURES / "R104.txt")
    turn = document.turns[3]
    text = document.text[turn.start : turn.end]
    assert text.startswith("With a smile 👍🏽 and a handshake.")
    assert "cafe\u0301" in text and "café" in text  # combining accent and precomposed letter both kept
    assert text.endswith("Families 👨\u200d👩\u200d👧 walk there on Fridays.")
    assert turn.start == document.text.index("With a smile")
    assert document.text[document.turns[1].start : document.turns[1].start + 4] == "Ғарм"


def test_a_non_utf8_file_is_refused_with_its_name(tmp_path):
    path = write(tmp_path / "R09.txt", "Interviewer: Где?\n\nR09: В Душанбе.\n", encoding="cp1251")
    with pytest.raises(IngestError) as error:
        read_transcript(path)
    assert str(path) in str(error.value) and "UTF-8" in str(error.value) and "--encoding" in str(error.value)


def test_an_explicit_encoding_reads_a_non_utf8_file(tmp_path):
    path = write(tmp_path / "R09.txt", "Interviewer: Где?\n\nR09: В Душанбе.\n", encoding="cp1251")
    document = read_transcript(path, TranscriptOptions(encoding="cp1251"))
    assert turn_texts(document)[1] == ("R09", RESPONDENT, "В Душанбе.")


def test_an_unknown_encoding_name_is_an_ingest_error(tmp_path):
    path = write(tmp_path / "R09.txt", "Interviewer: Hi?\n\nR09: Hi.\n")
    with pytest.raises(IngestError, match="unknown encoding"):
        read_transcript(path, TranscriptOptions(encoding="no-such-codec"))


# ----- .docx ------------------------------------------------------------------------------------


def make_docx(path: Path, paragraphs: list[str]) -> Path:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))
    return path


def test_docx_front_matter_turns_and_word_paragraphs(tmp_path):
    path = make_docx(
        tmp_path / "R88.docx",
        [
            "---",
            "respondent_id: R88",
            "group: observer",
            "---",
            "Interviewer: Where did you live?",
            "R88: In Khujand, near the river.",
            "Later we moved to Dushanbe.",
            "Interviewer: Why?",
            "R88: Work.",
        ],
    )
    document = read_transcript(path)
    assert document.respondent_id == "R88" and document.attributes == {"group": "observer"}
    assert [(t.speaker, t.role) for t in document.turns] == [
        ("Interviewer", INTERVIEWER),
        ("R88", RESPONDENT),
        ("Interviewer", INTERVIEWER),
        ("R88", RESPONDENT),
    ]
    answer = document.turns[1]
    # Every Word paragraph is a paragraph of its turn.
    assert [document.text[s:e] for s, e in answer.paragraphs] == [
        "In Khujand, near the river.",
        "Later we moved to Dushanbe.",
    ]


def test_a_corrupt_docx_is_an_ingest_error_not_a_crash(tmp_path):
    path = tmp_path / "R89.docx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    with pytest.raises(IngestError, match="not a readable .docx"):
        read_transcript(path)
    path.write_bytes(b"plain text saved with the wrong extension")
    with pytest.raises(IngestError, match="not a readable .docx"):
        read_transcript(path)


# ----- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message", "line"),
    [
        ("R01.txt", b"", "empty file", None),
        ("R01.txt", b"  \n\n \t\n", "empty file", None),
        ("R01.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file", None),
        ("R01.txt", b"---\ngroup: a\nInterviewer: Hi?\n\nR01: Hi.\n", "never closed", 1),
        ("R01.txt", b"---\ngroup: [a, b\nside: x\n---\nInterviewer: Hi?\n\nR01: Hi.\n", "malformed front matter", None),
        ("R01.txt", b"---\n- a\n- b\n---\nInterviewer: Hi?\n\nR01: Hi.\n", "malformed front matter", 2),
        ("interview.txt", b"Interviewer: Hi?\n\nR01: Hi.\n", "missing respondent_id", None),
        ("R01.txt", b"Just some notes without speakers.\n", "no speaker labels", None),
        ("R01.txt", b"Recorded in May.\n\nInterviewer: Hi?\n\nR01: Hi.\n", "text before the first speaker", 1),
        ("R01.txt", b"Interviewer: Hi?\n\nR01: Hi.\n\nFarrukh: Me too.\n\nNodira: And me.\n", "unknown speaker", 5),
        ("R01.txt", b"Interviewer: Hi?\n\nInterviewer: Anyone?\n", "no respondent turn", None),
    ],
    ids=[
        "empty",
        "whitespace-only",
        "binary",
        "unclosed-front-matter",
        "malformed-yaml",
        "front-matter-not-a-mapping",
        "missing-respondent-id",
        "no-labels",
        "text-before-first-label",
        "unknown-speaker",
        "no-respondent-turn",
    ],
)
def test_bad_transcripts_raise_an_error_naming_the_file(tmp_path, name, content, message, line):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError) as error:
        read_transcript(path)
    assert error.value.path == str(path)
    assert message in str(error.value)
    assert str(error.value).startswith(str(path))
    if line is not None:
        assert error.value.line == line
    assert "\n" not in str(error.value)


def test_malformed_front_matter_reports_the_file_line_of_the_problem(tmp_path):
    path = write(tmp_path / "R01.txt", "---\ngroup: a\nside: [x, y\n---\nInterviewer: Hi?\n\nR01: Hi.\n")
    with pytest.raises(IngestError) as error:
        read_transcript(path)
    assert error.value.line is not None and 3 <= error.value.line <= 5


def test_unknown_speaker_error_points_at_its_line_in_the_file(tmp_path):
    text = "---\nrespondent_id: R01\n---\nInterviewer: Hi?\n\nNodira: Hi.\n\nFarrukh: Hello.\n"
    with pytest.raises(IngestError) as error:
        read_transcript(write(tmp_path / "R01.txt", text))
    assert error.value.line == 8  # counted in the file, front matter included
    assert "'Farrukh'" in str(error.value)


def test_split_front_matter_without_a_block_keeps_the_text():
    front = split_front_matter("Interviewer: Hi?\n")
    assert front.attributes == {} and front.body == "Interviewer: Hi?\n" and front.body_line == 1


def test_read_text_file_normalises_lone_carriage_returns(tmp_path):
    path = tmp_path / "R01.txt"
    path.write_bytes(b"Interviewer: Hi?\r\rR01: Hi.\r")
    assert read_text_file(path) == "Interviewer: Hi?\n\nR01: Hi.\n"


# ----- finding files ------------------------------------------------------------------------------


def test_find_transcripts_walks_folders_sorted_and_skips_other_files(tmp_path):
    (tmp_path / "b").mkdir()
    for name in ("b/R02.md", "R03.docx", "R01.txt", "notes.pdf", "b/readme.rst"):
        (tmp_path / name).write_text("x")
    assert [p.relative_to(tmp_path).as_posix() for p in find_transcripts([tmp_path])] == [
        "R01.txt",
        "R03.docx",
        "b/R02.md",
    ]


def test_find_transcripts_refuses_two_files_with_the_same_document_name(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "R01.txt").write_text("x")
    (tmp_path / "b" / "R01.md").write_text("x")
    with pytest.raises(IngestError, match="duplicate document name 'R01'"):
        find_transcripts([tmp_path])


def test_find_transcripts_refuses_missing_paths_and_unknown_file_types(tmp_path):
    with pytest.raises(IngestError, match="no such file"):
        find_transcripts([tmp_path / "missing.txt"])
    (tmp_path / "R01.pdf").write_text("x")
    with pytest.raises(IngestError, match="not a transcript file type"):
        find_transcripts([tmp_path / "R01.pdf"])


def test_a_name_label_is_the_respondent_only_when_no_known_label_is_used(tmp_path):
    named = tmp_path / "R09.txt"
    named.write_text("Interviewer: Hi?\n\nНодира: Салом.\n\nInterviewer: And?\n\nНодира: Ещё.\n", encoding="utf-8")
    document = read_transcript(named)
    assert [turn.role for turn in document.turns] == ["interviewer", "respondent"] * 2
    assert document.turns[1].speaker == "Нодира"
    mixed = tmp_path / "R10.txt"
    mixed.write_text("Interviewer: Hi?\n\nR10: Hello.\n\nResearcher: Note this.\n", encoding="utf-8")
    with pytest.raises(IngestError, match="unknown speaker label 'Researcher'"):
        read_transcript(mixed)


def _paragraphs_by_definition(body: str, start: int, end: int) -> list[tuple[int, int]]:
    """The definition make_turn implements faster: a paragraph starts at a non-space character and runs until
    a blank line (a newline, any white space, a newline), without its trailing white space."""
    found = []
    for block in re.finditer(r"\S(?:.|\n(?!\s*\n))*", body[start:end]):
        block_start, block_end = start + block.start(), start + block.end()
        while block_end > block_start and body[block_end - 1].isspace():
            block_end -= 1
        found.append((block_start, block_end))
    return found


PIECES = ["a", "b.", " ", "\n", "\t", "\r", "\x0b", "\x85", "\u00a0", "\u2028", "\n \n", "\n\t\r\n", "\n\n\n"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12).map("".join), st.data())
def test_paragraphs_of_a_turn_follow_their_definition(body: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(body)))
    end = data.draw(st.integers(start, len(body)))
    turn = make_turn(body, 0, "R01", RESPONDENT, start, end)
    expected = _paragraphs_by_definition(body, start, end)
    assert list(turn.paragraphs) == expected
    assert (turn.start, turn.end) == ((expected[0][0], expected[-1][1]) if expected else (start, start))
