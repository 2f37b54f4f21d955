"""Segmentation: coding units over respondent turns whose offsets re-cut their text exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from coding.models import INTERVIEWER, RESPONDENT, UNITS
from coding.segment import segment_documents, unit_problems
from coding.transcripts import find_transcripts, read_transcript

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"


@pytest.fixture(scope="module")
def fixture_documents():
    return [read_transcript(path) for path in find_transcripts([FIXTURES])]


@pytest.fixture(scope="module")
def trained_nlp():
    """The pipeline `qcode segment` uses (a trained one if installed, else the blank fallback)."""
    from coding.nlp import load_pipeline

    return load_pipeline(None, "segment")


def assert_exact_offsets(documents, segments, include_interviewer: bool = False) -> None:
    """Every segment re-cuts its text from its document, lies inside one turn, and units do not overlap."""
    by_name = {d.name: d for d in documents}
    per_document: dict[str, list] = {}
    for segment in segments:
        document = by_name[segment.document]
        assert document.text[segment.start : segment.end] == segment.text
        assert segment.text and segment.text == segment.text.strip()
        turn = document.turns[segment.turn_index]
        assert turn.start <= segment.start < segment.end <= turn.end
        assert (segment.speaker, segment.role) == (turn.speaker, turn.role)
        if not include_interviewer:
            assert segment.role == RESPONDENT
        per_document.setdefault(segment.document, []).append(segment)
    for items in per_document.values():
        assert [s.index for s in items] == list(range(len(items)))
        for before, after in zip(items, items[1:], strict=False):
            assert before.end <= after.start


# ----- units -------------------------------------------------------------------------------------


def test_turn_units_are_the_respondent_turns(fixture_documents):
    segments = segment_documents(fixture_documents, "turn")
    expected = [
        (d.name, t.index, d.text[t.start : t.end]) for d in fixture_documents for t in d.turns if t.role == RESPONDENT
    ]
    assert [(s.document, s.turn_index, s.text) for s in segments] == expected
    assert_exact_offsets(fixture_documents, segments)


def test_paragraph_units_split_turns_at_blank_lines(fixture_documents):
    segments = segment_documents(fixture_documents, "paragraph")
    r101 = [s.text for s in segments if s.document == "R101"]
    assert r101 == [
        "In Dushanbe. I worked for a women's group that ran a small clinic near the bazaar.",
        "We had no money, only volunteers. Some days there was no electricity at all. Still, people came.",
        "Slowly. The checkpoints went away first. Then the refugees came back from Afghanistan, "
        "and we had twice as many patients.",
    ]
    assert_exact_offsets(fixture_documents, segments)


def test_sentence_units_split_sentences_and_never_cross_a_paragraph(fixture_documents, blank_nlp):
    segments = segment_documents(fixture_documents, "sentence", blank_nlp)
    r101 = [s.text for s in segments if s.document == "R101"]
    assert r101[:5] == [
        "In Dushanbe.",
        "I worked for a women's group that ran a small clinic near the bazaar.",
        "We had no money, only volunteers.",
        "Some days there was no electricity at all.",
        "Still, people came.",
    ]
    paragraphs = {(d.name, span) for d in fixture_documents for t in d.turns for span in t.paragraphs}
    for segment in segments:
        assert any(
            name == segment.document and start <= segment.start and segment.end <= end
            for name, (start, end) in paragraphs
        ), segment
    assert_exact_offsets(fixture_documents, segments)


def test_sentence_is_the_default_unit(fixture_documents, blank_nlp):
    assert segment_documents(fixture_documents, nlp=blank_nlp) == segment_documents(
        fixture_documents, "sentence", blank_nlp
    )


def test_interviewer_turns_are_not_segmented_by_default(fixture_documents, blank_nlp):
    for unit in UNITS:
        segments = segment_documents(fixture_documents, unit, blank_nlp)
        assert {s.role for s in segments} == {RESPONDENT}


def test_interviewer_turns_can_be_segmented_on_request(fixture_documents):
    segments = segment_documents(fixture_documents, "turn", include_interviewer=True)
    assert sum(1 for s in segments if s.role == INTERVIEWER) == sum(
        1 for d in fixture_documents for t in d.turns if t.role == INTERVIEWER
    )
    assert_exact_offsets(fixture_documents, segments, include_interviewer=True)


def test_an_empty_turn_gives_no_segment(tmp_path):
    path = tmp_path / "R05.txt"
    path.write_text("Interviewer: Hi?\n\nR05:\n\nInterviewer: Still there?\n\nR05: Yes.\n", encoding="utf-8")
    document = read_transcript(path)
    for unit in ("turn", "paragraph"):
        assert [s.text for s in segment_documents([document], unit)] == ["Yes."]


def test_unknown_unit_and_sentences_without_a_pipeline_are_refused(fixture_documents):
    with pytest.raises(ValueError, match="unknown unit"):
        segment_documents(fixture_documents, "word")
    with pytest.raises(ValueError, match="needs a spaCy pipeline"):
        segment_documents(fixture_documents, "sentence", None)


def test_progress_is_reported_once_per_document(fixture_documents, blank_nlp):
    for unit in UNITS:
        ticks: list[int] = []
        segment_documents(fixture_documents, unit, blank_nlp, progress=ticks.append)
        assert sum(ticks) == len(fixture_documents), unit


def test_small_batches_give_the_same_segments(fixture_documents, blank_nlp):
    assert segment_documents(fixture_documents, "sentence", blank_nlp, batch_size=1) == segment_documents(
        fixture_documents, "sentence", blank_nlp, batch_size=256
    )


# ----- exact offsets on non-ASCII text and CRLF input --------------------------------------------


@pytest.mark.parametrize("pipeline", ["blank", "trained"])
def test_offsets_are_exact_on_cyrillic_emoji_combining_accents_and_crlf(tmp_path, pipeline, blank_nlp, request):
    nlp = blank_nlp if pipeline == "blank" else request.getfixturevalue("trained_nlp")
    original = (FIXTURES / "R104.txt").read_text(encoding="utf-8")
    crlf = tmp_path / "R104.txt"
    crlf.write_bytes(original.replace("\n", "\r\n").encode("utf-8"))
    document = read_transcript(crlf)
    for unit in UNITS:
        segments = segment_documents([document], unit, nlp)
        assert_exact_offsets([document], segments)
        joined = " ".join(s.text for s in segments)
        for needle in ("Ғарм", "ғ", "Гарм", "«Ҷонам, ватанам» 🎶", "👍🏽", "cafe\u0301", "café", "👨\u200d👩\u200d👧"):
            assert needle in joined, (unit, needle)
    sentences = segment_documents([document], "sentence", nlp)
    smile = next(s for s in sentences if "👍🏽" in s.text)
    assert smile.start == document.text.index("With a smile")
    # The text after the front matter, with "\n" line endings, is what offsets count in code points.
    body = original.split("---\n", 2)[2]
    assert body[smile.start : smile.end] == smile.text


def test_every_eval_dev_transcript_is_segmented_with_exact_offsets(eval_dev, trained_nlp):
    documents = [read_transcript(path) for path in sorted(eval_dev.glob("*.txt"))]
    assert len(documents) >= 18
    for unit in UNITS:
        segments = segment_documents(documents, unit, trained_nlp)
        assert_exact_offsets(documents, segments)
        assert {s.document for s in segments} == {d.name for d in documents}
    # Every character of every respondent paragraph except white space lands in exactly one sentence.
    sentences = segment_documents(documents, "sentence", trained_nlp)
    covered = {d.name: 0 for d in documents}
    for s in sentences:
        covered[s.document] += sum(1 for ch in s.text if not ch.isspace())
    for d in documents:
        expected = sum(1 for t in d.turns if t.role == RESPONDENT for ch in d.text[t.start : t.end] if not ch.isspace())
        assert covered[d.name] == expected, d.name


EVERY_TOKEN = "qcode_test_every_token_a_sentence"


def every_token_a_sentence_pipeline():
    """A blank pipeline that starts a sentence at every token: the worst a sentence splitter can do."""
    import spacy
    from spacy.language import Language

    if EVERY_TOKEN not in Language.factories:

        @Language.component(EVERY_TOKEN)
        def every_token_a_sentence(doc):
            for token in doc[1:]:
                token.is_sent_start = True
            return doc

    nlp = spacy.blank("en")
    nlp.add_pipe(EVERY_TOKEN)
    return nlp


def test_a_sentence_boundary_inside_an_emoji_sequence_or_modifier_is_ignored(tmp_path):
    nlp = every_token_a_sentence_pipeline()
    path = tmp_path / "R05.txt"
    path.write_text("Interviewer: And then?\n\nR05: Family 👨\u200d👩\u200d👧 thumbs 👍🏽 ok\n", encoding="utf-8")
    document = read_transcript(path)
    segments = segment_documents([document], "sentence", nlp)
    # no emoji is cut in two, and a piece without a letter or digit stays with the words before it
    assert [s.text for s in segments] == ["Family 👨\u200d👩\u200d👧", "thumbs 👍🏽", "ok"]
    assert_exact_offsets([document], segments)


def test_stray_punctuation_and_opening_brackets_stay_with_their_words():
    from coding.segment import _tidy_starts

    text = "I said no. [laughs] No, fine. . Ok"
    starts = _tidy_starts(text, [0, 11, 12, 30, 32])
    pieces = [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    # the annotation after a finished sentence stays with it (issue 12: it is no coding unit of its own)
    assert pieces == ["I said no. [laughs] ", "No, fine. . ", "Ok"]


def test_a_sentence_boundary_before_a_combining_accent_is_ignored(tmp_path):
    """Even when the piece after the boundary has letters, "cafe" + U+0301 + "s" stays one word."""
    from spacy.tokens import Doc

    nlp = every_token_a_sentence_pipeline()

    def split_before_accents(text: str) -> Doc:
        words = ["Nice", "cafe", "\u0301s", "and", "nai", "\u0308ve", "people."]
        spaces = [True, False, True, True, False, True, False]
        assert "".join(w + (" " if s else "") for w, s in zip(words, spaces, strict=True)) == text
        return Doc(nlp.vocab, words=words, spaces=spaces)

    nlp.tokenizer = split_before_accents
    path = tmp_path / "R05.txt"
    path.write_text("Interviewer: Who?\n\nR05: Nice cafe\u0301s and nai\u0308ve people.\n", encoding="utf-8")
    document = read_transcript(path)
    segments = segment_documents([document], "sentence", nlp)
    assert [s.text for s in segments] == ["Nice", "cafe\u0301s", "and", "nai\u0308ve", "people."]


PLACEHOLDER_TEXTS = {
    "We had plans. [sighs] Plans, yes. My friend [PERSON_2] was arrested in [PLACE_1]. He said [laughs] that.": [
        "We had plans. [sighs]",
        "Plans, yes.",
        "My friend [PERSON_2] was arrested in [PLACE_1].",
        "He said [laughs] that.",
    ],
    "I went to [ORG_3]. [PERSON_4] told me. [inaudible 00:12:31] Then we left [pause] for good.": [
        "I went to [ORG_3].",
        "[PERSON_4] told me. [inaudible 00:12:31]",
        "Then we left [pause] for good.",
    ],
    "[laughs] Anyway. It was [23pause] long. [laughs]": ["[laughs] Anyway.", "It was [23pause] long. [laughs]"],
}


@pytest.mark.parametrize("text", list(PLACEHOLDER_TEXTS))
def test_placeholders_and_annotations_never_cut_a_sentence(tmp_path, trained_nlp, text):
    # spaCy's sentence splitter cuts at "[": before the fix these gave "[", "sighs] Plans, yes.", "My friend [" ...
    path = tmp_path / "R01.txt"
    path.write_text(f"Interviewer: And then?\n\nR01: {text}\n", encoding="utf-8")
    document = read_transcript(path)
    segments = segment_documents([document], "sentence", trained_nlp)
    assert [s.text for s in segments] == PLACEHOLDER_TEXTS[text]
    assert unit_problems(document.text, [(s.start, s.end) for s in segments]) == (0, 0)


def test_every_token_a_sentence_still_gives_units_with_words_and_whole_brackets(tmp_path):
    path = tmp_path / "R02.txt"
    path.write_text("Interviewer: And?\n\nR02: [pause] My friend [PERSON_2] said [long pause] no. [laughs]\n")
    document = read_transcript(path)
    segments = segment_documents([document], "sentence", every_token_a_sentence_pipeline())
    assert unit_problems(document.text, [(s.start, s.end) for s in segments]) == (0, 0)
    assert_exact_offsets([document], segments)


def test_unit_problems_counts_wordless_units_and_cuts_at_brackets():
    text = "My friend [PERSON_2] was here. [laughs] Yes."
    assert unit_problems(text, [(0, 20), (21, 30), (31, 39), (40, 44)]) == (1, 1)
    assert unit_problems(text, [(0, 11), (11, 44)]) == (0, 1)  # a cut inside the placeholder
    assert unit_problems(text, [(0, 39), (40, 44)]) == (0, 0)


def test_no_junk_units_in_the_demo_corpus(trained_nlp):
    documents = [read_transcript(path) for path in find_transcripts([REPO / "corpus" / "transcripts"])]
    segments = segment_documents(documents, "sentence", trained_nlp)
    for document in documents:
        spans = [(s.start, s.end) for s in segments if s.document == document.name]
        assert unit_problems(document.text, spans) == (0, 0), document.name
