"""Split respondent turns into coding units with exact offsets into the document text.

Sentences never cross paragraph boundaries: each paragraph goes through spaCy on its own, in batches.
"""

from __future__ import annotations

import multiprocessing
import re
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

from spacy.attrs import IDX, SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from .models import RESPONDENT, UNITS, Document, Segment, Turn

Progress = Callable[[int], None]
T = TypeVar("T")
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
    workers: SentenceWorkers | None = None,
) -> list[Segment]:
    """Segments of every document, numbered per document in text order. workers: sentence cutting spread
    over processes (the same segments as in one process)."""
    spans = segment_spans(
        documents,
        unit,
        nlp,
        include_interviewer=include_interviewer,
        batch_size=batch_size,
        progress=progress,
        workers=workers,
    )
    return [
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
        for document, turn, index, start, end in spans
    ]


def segment_spans(
    documents: Iterable[Document],
    unit: str = "sentence",
    nlp: Language | None = None,
    *,
    include_interviewer: bool = False,
    batch_size: int = 256,
    progress: Progress | None = None,
    workers: SentenceWorkers | None = None,
) -> Iterator[tuple[Document, Turn, int, int, int]]:
    """(document, turn, position, start, end) of every unit, documents in the order given, positions
    numbered per document in text order. Lazy: documents are read from `documents` as the cutting needs
    them, so a caller can stream a corpus of any size through it without holding it."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}; use one of {', '.join(UNITS)}")
    position: dict[str, int] = {}
    spans = _unit_spans(documents, unit, nlp, include_interviewer, batch_size, progress, workers)
    for document, turn, start, end in spans:
        index = position.get(document.name, 0)
        position[document.name] = index + 1
        yield document, turn, index, start, end


def _unit_spans(
    documents: Iterable[Document],
    unit: str,
    nlp: Language | None,
    include_interviewer: bool,
    batch_size: int,
    progress: Progress | None,
    workers: SentenceWorkers | None = None,
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
    yield from _sentence_spans(documents, nlp, include_interviewer, batch_size, progress, workers)


def _sentence_spans(
    documents: Iterable[Document],
    nlp: Language,
    include_interviewer: bool,
    batch_size: int,
    progress: Progress | None,
    workers: SentenceWorkers | None = None,
) -> Iterator[tuple[Document, Turn, int, int]]:
    limit = min(nlp.max_length, MAX_PIECE)

    def paragraphs() -> Iterator[tuple[Document, Turn, int, int, bool]]:
        for document in documents:
            turns = coded_turns(document, include_interviewer)
            for t_index, turn in enumerate(turns):
                spans = [piece for span in _paragraphs(turn) for piece in _pieces(document.text, *span, limit)]
                for p_index, (start, end) in enumerate(spans):
                    last = t_index == len(turns) - 1 and p_index == len(spans) - 1
                    yield document, turn, start, end, last
            if not turns and progress:
                progress(1)

    def chunks() -> Iterator[list[tuple[Document, Turn, int, int, bool]]]:
        chunk: list[tuple[Document, Turn, int, int, bool]] = []
        size = 0
        for item in paragraphs():
            chunk.append(item)
            size += item[3] - item[2]
            if size >= CHUNK_CHARS:
                yield chunk
                chunk, size = [], 0
        if chunk:
            yield chunk

    local = SentenceWorkers(nlp, 1, batch_size) if workers is None else workers
    pending = ((chunk, [item[0].text[item[2] : item[3]] for item in chunk]) for chunk in chunks())
    for chunk, cuts in local.cut(pending):
        for (document, turn, offset, _stop, last), sentences in zip(chunk, cuts, strict=True):
            for start, end in sentences:
                yield document, turn, offset + start, offset + end
            if last and progress:
                progress(1)


# Characters of paragraphs sent to spaCy (or to one worker process) at a time, about 0.1 s of a worker's
# time: small, so that workers share the work evenly to its end and the first starts early; large enough
# that passing it to a worker and back costs little beside it (about a hundred paragraphs).
CHUNK_CHARS = 40_000
_WORKER_NLP: list[Language] = []  # the pipeline a forked worker inherited from the parent


def paragraph_sentences(nlp: Language, texts: Sequence[str], batch_size: int = 256) -> list[list[tuple[int, int]]]:
    """Each paragraph's sentences as (start, end) offsets into it: spaCy's boundaries, tidied (brackets,
    word-less pieces, openers) and trimmed. A pure function of the texts, so any split over processes
    gives the same cuts."""
    cuts: list[list[tuple[int, int]]] = []
    for text, doc in zip(texts, nlp.pipe(texts, batch_size=batch_size), strict=True):
        starts = _tidy_starts(text, [0] + [i for i in _sentence_starts(doc)[1:] if not _inside_cluster(text, i)])
        sentences = []
        for sent_start, sent_end in zip(starts, [*starts[1:], len(text)], strict=True):
            start, end = _trim(text[sent_start:sent_end], sent_start)
            if end > start:
                sentences.append((start, end))
        cuts.append(sentences)
    return cuts


def _in_worker(texts: list[str], batch_size: int) -> list[list[tuple[int, int]]]:
    return paragraph_sentences(_WORKER_NLP[0], texts, batch_size)


class SentenceWorkers:
    """Sentence cutting in `jobs` processes (forked, so each starts with the parent's loaded pipeline), or
    in this process with jobs=1 or where fork is not available. Results come back in order, with at most
    two chunks per process in flight, so memory stays bounded whatever the corpus size."""

    def __init__(self, nlp: Language, jobs: int = 1, batch_size: int = 256) -> None:
        self.nlp, self.batch_size = nlp, batch_size
        self.jobs = jobs if jobs > 1 and "fork" in multiprocessing.get_all_start_methods() else 1
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> SentenceWorkers:
        if self.jobs > 1:
            _WORKER_NLP[:] = [self.nlp]
            self._pool = ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context("fork"))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        _WORKER_NLP.clear()

    def cut(self, chunks: Iterable[tuple[T, list[str]]]) -> Iterator[tuple[T, list[list[tuple[int, int]]]]]:
        """(key, paragraph texts) in, (key, each paragraph's sentences) out, in the same order."""
        if self._pool is None:
            for key, texts in chunks:
                yield key, paragraph_sentences(self.nlp, texts, self.batch_size)
            return
        in_flight: deque[tuple[T, Future[list[list[tuple[int, int]]]]]] = deque()
        for key, texts in chunks:
            in_flight.append((key, self._pool.submit(_in_worker, texts, self.batch_size)))
            if len(in_flight) >= 2 * self.jobs:
                done_key, future = in_flight.popleft()
                yield done_key, future.result()
        while in_flight:
            done_key, future = in_flight.popleft()
            yield done_key, future.result()


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
        moved = _start_outside_brackets(text, start, spans) if spans else start
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
    if not brackets:  # most paragraphs: search in place, no copy of the piece
        return _WORD_CHAR.search(text, start, end) is not None
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
