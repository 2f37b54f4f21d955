"""Split respondent turns into coding units with exact offsets into the document text.

Sentences never cross paragraph boundaries: each paragraph goes through spaCy on its own, in batches.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence

from spacy.attrs import IDX, SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from .models import RESPONDENT, UNITS, Document, Segment, Turn

Progress = Callable[[int], None]
# One paragraph goes to spaCy in pieces of at most this many characters: a 1,000,000-character "paragraph"
# (a pasted file, a transcript without line breaks) would exceed spaCy's max_length and stop every later run.
MAX_PIECE = 100_000


def coded_turns(document: Document, include_interviewer: bool = False) -> list[Turn]:
    return [t for t in document.turns if t.end > t.start and (include_interviewer or t.role == RESPONDENT)]


def _paragraphs(turn: Turn) -> tuple[tuple[int, int], ...]:
    return turn.paragraphs or ((turn.start, turn.end),)


def segment_documents(
    documents: Sequence[Document],
    unit: str = "sentence",
    nlp: Language | None = None,
    *,
    include_interviewer: bool = False,
    batch_size: int = 256,
    progress: Progress | None = None,
) -> list[Segment]:
    """Segments of every document, numbered per document in text order."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}; use one of {', '.join(UNITS)}")
    spans = list(_unit_spans(documents, unit, nlp, include_interviewer, batch_size, progress))
    segments: list[Segment] = []
    position: dict[str, int] = {}
    for document, turn, start, end in spans:
        index = position.get(document.name, 0)
        position[document.name] = index + 1
        segments.append(
            Segment(
                document=document.name,
                turn_index=turn.index,
                unit=unit,
                index=index,
                start=start,
                end=end,
                text=document.text[start:end],
                speaker=turn.speaker,
                role=turn.role,
            )
        )
    return segments


def _unit_spans(
    documents: Sequence[Document],
    unit: str,
    nlp: Language | None,
    include_interviewer: bool,
    batch_size: int,
    progress: Progress | None,
) -> Iterator[tuple[Document, Turn, int, int]]:
    if unit == "turn":
        for document in documents:
            for turn in coded_turns(document, include_interviewer):
                yield document, turn, turn.start, turn.end
            if progress:
                progress(1)
        return
    if unit == "paragraph":
        for document in documents:
            for turn in coded_turns(document, include_interviewer):
                for start, end in _paragraphs(turn):
                    yield document, turn, start, end
            if progress:
                progress(1)
        return
    if nlp is None:
        raise ValueError("sentence segmentation needs a spaCy pipeline")
    yield from _sentence_spans(documents, nlp, include_interviewer, batch_size, progress)


def _sentence_spans(
    documents: Sequence[Document],
    nlp: Language,
    include_interviewer: bool,
    batch_size: int,
    progress: Progress | None,
) -> Iterator[tuple[Document, Turn, int, int]]:
    limit = min(nlp.max_length, MAX_PIECE)

    def paragraphs() -> Iterable[tuple[str, tuple[Document, Turn, int, int, bool]]]:
        for document in documents:
            turns = coded_turns(document, include_interviewer)
            for t_index, turn in enumerate(turns):
                spans = [piece for span in _paragraphs(turn) for piece in _pieces(document.text, *span, limit)]
                for p_index, (start, end) in enumerate(spans):
                    last = t_index == len(turns) - 1 and p_index == len(spans) - 1
                    yield document.text[start:end], (document, turn, start, end, last)
            if not turns and progress:
                progress(1)

    for doc, (document, turn, offset, stop, last) in nlp.pipe(paragraphs(), as_tuples=True, batch_size=batch_size):
        text = document.text[offset:stop]  # doc.text would rebuild it from every token
        starts = _tidy_starts(text, [0] + [i for i in _sentence_starts(doc)[1:] if not _inside_cluster(text, i)])
        for sent_start, sent_end in zip(starts, [*starts[1:], len(text)], strict=True):
            start, end = _trim(text[sent_start:sent_end], offset + sent_start)
            if end > start:
                yield document, turn, start, end
        if last and progress:
            progress(1)


# Square brackets hold either a pseudonym placeholder ("[PERSON_2]", "[AGE: 30s]": upper-case first, it stands
# for words of the sentence) or a transcriber's annotation ("[laughs]", "[inaudible 00:12:31]").
_BRACKETS = re.compile(r"\[[^\[\]\n]{1,120}\]")
_PLACEHOLDER = re.compile(r"\[[A-Z]{2,}")
_WORD_CHAR = re.compile(r"[^\W_]")  # exactly str.isalnum: \w is the alphanumerics plus "_"
_ENDS_SENTENCE = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*\s*$")
_OPENERS = '([{"\u201c\u2018'


def _pieces(text: str, start: int, end: int, limit: int) -> Iterator[tuple[int, int]]:
    """A paragraph cut into pieces spaCy accepts (its max_length): after a full stop where there is one,
    else at white space, else anywhere."""
    while end - start > limit:
        low, high = start + limit // 2, start + limit
        cut = max(text.rfind(". ", low, high), text.rfind("? ", low, high), text.rfind("! ", low, high)) + 1
        if cut <= low:
            cut = text.rfind(" ", low, high)
        cut = cut + 1 if cut > low else high
        yield start, cut
        start = cut
    yield start, end


def _tidy_starts(text: str, starts: list[int]) -> list[int]:
    """Sentence starts a reader would accept.

    - no cut inside square brackets, and none right after them: a placeholder or an annotation never ends
      a sentence unless punctuation follows it ("[PLACE_1].");
    - a bracket after words without final punctuation continues their sentence ("My friend [PERSON_2] was");
    - an annotation after a finished sentence stays with it ("plans. [sighs]" | "Plans, yes.");
    - every unit holds a word (a letter or digit outside annotations; a placeholder counts): a piece without one
      joins the unit before it (or after it, at the start of a paragraph);
    - an opening bracket or quote goes with the words after it.
    """
    spans = [(m.start(), m.end(), bool(_PLACEHOLDER.match(m.group()))) for m in _BRACKETS.finditer(text)]
    kept = [starts[0]] if starts else [0]
    for start in starts[1:]:
        moved = _start_outside_brackets(text, start, spans)
        if moved is not None and kept[-1] < moved < len(text):
            kept.append(moved)
    kept = _with_words(text, kept, spans)
    for index in range(1, len(kept)):
        while kept[index] - 1 > kept[index - 1] and text[kept[index] - 1] in _OPENERS:
            kept[index] -= 1
    return kept


def _start_outside_brackets(text: str, start: int, spans: list[tuple[int, int, bool]]) -> int | None:
    """Where a sentence start proposed at `start` belongs given the brackets, or None to drop it."""
    for begin, end, placeholder in spans:
        if begin < start < end:
            return None  # inside brackets
        if end <= start and not text[end:start].strip():
            return None  # right after a closing bracket
        if begin == start:
            if not _ENDS_SENTENCE.search(text, 0, start):
                return None  # a bracket in the middle of a sentence
            if not placeholder:  # an annotation after a finished sentence stays with it
                after = end
                while after < len(text) and text[after].isspace():
                    after += 1
                nxt = next((s for s in spans if s[0] == after and not s[2]), None)
                return _start_outside_brackets(text, after, spans) if nxt else after
    return start


def _with_words(text: str, starts: list[int], spans: list[tuple[int, int, bool]]) -> list[int]:
    """Drop starts so that every piece has a word (a letter or digit outside annotations)."""

    def has_word(begin: int, end: int) -> bool:
        return _has_word(text, begin, end, spans)

    ends = [*starts[1:], len(text)]
    kept: list[int] = []
    for start, end in zip(starts, ends, strict=True):
        if kept and not has_word(start, end):
            continue  # joins the unit before
        kept.append(start)
    if len(kept) > 1 and not has_word(kept[0], kept[1]):
        kept.pop(1)  # a wordless first piece joins the unit after it
    return kept


def _sentence_starts(doc: Doc) -> list[int]:
    """Character offsets where doc's sentences start, read from one token array: `doc.sents` builds a
    Python object for every token and took most of the segmentation time."""
    if not len(doc):
        return [0]
    if not doc.has_annotation("SENT_START"):
        return [sent.start_char for sent in doc.sents]  # spaCy's own error about missing boundaries
    array = doc.to_array([IDX, SENT_START])[1:]
    return [0, *array[array[:, 1] == 1, 0].tolist()]


def _inside_cluster(text: str, index: int) -> bool:
    """Whether a boundary before text[index] splits characters read as one (ZWJ emoji, modifiers, accents)."""
    if not 0 < index < len(text):
        return False
    char = text[index]
    return (
        text[index - 1] == "\u200d"
        or char == "\u200d"
        or unicodedata.combining(char) > 0
        or "\ufe00" <= char <= "\ufe0f"
        or "\U0001f3fb" <= char <= "\U0001f3ff"
    )


def _trim(text: str, start: int) -> tuple[int, int]:
    """Offsets of `text` (starting at `start`) without leading or trailing white space."""
    stripped_left = text.lstrip()
    begin = start + len(text) - len(stripped_left)
    return begin, begin + len(stripped_left.rstrip())


def unit_problems(text: str, spans: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """Junk in coding units of one document: (units without a word, cuts at a bracket).

    A word is a letter or digit outside annotations. A bad cut is a unit boundary inside square brackets,
    or a unit that ends on a placeholder or annotation while the next unit goes on in the same paragraph.
    """
    brackets = [(m.start(), m.end(), bool(_PLACEHOLDER.match(m.group()))) for m in _BRACKETS.finditer(text)]
    ordered = sorted(spans)
    wordless = sum(
        1 for start, end in ordered if not _WORD_CHAR.search(_outside_annotations(text, start, end, brackets))
    )
    cuts = 0
    for (start, end), (next_start, _next_end) in zip(ordered, ordered[1:], strict=False):
        inside = any(b < p < e for b, e, _p in brackets for p in (end, next_start))
        same_paragraph = "\n\n" not in text[end:next_start]
        cuts += inside or (same_paragraph and _ends_on_bracket(text, start, end, brackets))
    return wordless, cuts


def _ends_on_bracket(text: str, start: int, end: int, brackets: list[tuple[int, int, bool]]) -> bool:
    """Whether a unit ends on brackets that follow unfinished words ("My friend [PERSON_2]")."""
    ends = {e: b for b, e, _p in brackets}
    cursor = end
    while cursor in ends:  # back over the brackets (and the space between them) at the unit's end
        cursor = len(text[start : ends[cursor]].rstrip()) + start
    return start < cursor < end and not _ENDS_SENTENCE.search(text, start, cursor)


def _has_word(text: str, start: int, end: int, brackets: list[tuple[int, int, bool]]) -> bool:
    """Whether text[start:end] holds a letter or digit outside annotations (a placeholder counts)."""
    return bool(_WORD_CHAR.search(_outside_annotations(text, start, end, brackets)))


def _outside_annotations(text: str, start: int, end: int, brackets: list[tuple[int, int, bool]]) -> str:
    pieces, cursor = [], start
    for b, e, placeholder in brackets:
        if placeholder or e <= start or b >= end:
            continue
        pieces.append(text[cursor:b])
        cursor = e
    pieces.append(text[cursor:end])
    return "".join(pieces)
