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
_ALNUM = re.compile(r"[^\W_]")  # exactly str.isalnum: Python's \w is the alphanumerics plus "_"


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
    def paragraphs() -> Iterable[tuple[str, tuple[Document, Turn, int, int, bool]]]:
        for document in documents:
            turns = coded_turns(document, include_interviewer)
            for t_index, turn in enumerate(turns):
                spans = _paragraphs(turn)
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


def _tidy_starts(text: str, starts: list[int]) -> list[int]:
    """Sentence starts a reader would accept: a piece with no letter or digit (a stray "." or "]", an
    emoji) stays with the sentence before it, and an opening bracket goes with the words after it."""
    kept: list[int] = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        if kept and not _ALNUM.search(text, start, end):
            continue
        kept.append(start)
    for index in range(1, len(kept)):
        while kept[index] - 1 > kept[index - 1] and text[kept[index] - 1] in '([{"“‘':
            kept[index] -= 1
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
