"""Codings in and out as CSV: the contract's import format, the long export and the 0/1 matrix.

Spans (docs/coding-exchange.md): an imported row's range is stored as an exact span besides the codings of
the units it touches; the long export ends with span_start and span_end, the exact span(s) behind each
person's coding ("a;b" when several spans of the coder and code touch the unit), which import reads back."""

from __future__ import annotations

import codecs
import csv
import io
import tempfile
from array import array
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from .errors import ImportFormatError
from .models import ACCEPTED, Codebook
from .names import name_problem
from .spans import SegmentIndex
from .store import Action, Store
from .store import codings as stored_codings
from .store import memos as stored_memos
from .store import segments as stored_segments
from .store import spans as stored_spans
from .store.log import write_log
from .tables import unescape_cell

if TYPE_CHECKING:  # pandas loads in the functions that build frames, not on import
    import pandas as pd

LONG_COLUMNS = [
    "document",
    "respondent_id",
    "segment_id",
    "unit",
    "start",
    "end",
    "speaker",
    "text",
    "code",
    "code_name",
    "coder",
    "source",
    "confidence",
    "status",
]
# After the respondent attributes, so that every column the contract names keeps its place.
SPAN_COLUMNS = ["span_start", "span_end"]


@dataclass(frozen=True)
class CodingRowIn:
    """One checked row of a codings CSV: a code on a span of a document, by a coder, with any memo."""

    line: int
    document: str
    code: str
    start: int
    end: int
    coder: str
    memo: str


KEEP_CHARS = 50_000_000  # characters of quoted documents kept while a file is checked
READ_TOGETHER = 500  # documents whose texts one query reads


class DocumentTexts:
    """The documents an import checks its rows against: every name and length at hand; the texts that a
    piece of rows quotes read together, and kept up to a budget of characters (least recently used dropped
    first), so that checking a file never holds the whole corpus, whatever order its rows are in."""

    def __init__(
        self, lengths: Mapping[str, int], read: Callable[[list[str]], Mapping[str, str]], keep_chars: int = KEEP_CHARS
    ) -> None:
        self._lengths = lengths
        self._read = read
        self._keep_chars = keep_chars
        self._kept: OrderedDict[str, str] = OrderedDict()
        self._chars = 0
        self._piece: list[str] = []  # the documents the current piece of rows quotes

    @classmethod
    def of(cls, texts: Mapping[str, str]) -> DocumentTexts:
        """Texts already in memory (a small project, a test)."""
        return cls({name: len(text) for name, text in texts.items()}, lambda names: {n: texts[n] for n in names})

    def __contains__(self, name: object) -> bool:
        return name in self._lengths

    def length(self, name: str) -> int:
        return self._lengths[name]

    def read_ahead(self, names: Iterable[str]) -> None:
        """The documents a piece of rows quotes: those not kept read in as few queries as possible, as many
        as the budget holds beside the piece's texts already kept (the rest when a row asks for them)."""
        self._piece = [name for name in dict.fromkeys(names) if name in self._lengths]
        self._fetch(self._piece, first_needed=False)

    def text(self, name: str) -> str | None:
        """The document's text; None if it was removed since its length was read."""
        if name in self._kept:
            self._kept.move_to_end(name)
        elif name in self._lengths:  # with it, as many of the piece's other missing texts as fit
            self._fetch(
                list(dict.fromkeys([name, *(n for n in self._piece if n not in self._kept)])), first_needed=True
            )
        return self._kept.get(name)

    def _fetch(self, wanted: list[str], first_needed: bool) -> None:
        for name in wanted:
            if name in self._kept:
                self._kept.move_to_end(name)
        room = self._keep_chars - sum(len(self._kept[name]) for name in wanted if name in self._kept)
        coming: list[str] = []
        for name in (name for name in wanted if name not in self._kept):
            if self._lengths[name] > room and not (first_needed and not coming):
                break
            coming.append(name)
            room -= self._lengths[name]
        self._make_room(sum(self._lengths[name] for name in coming), set(wanted))
        self._load(coming)

    def _make_room(self, chars: int, piece: set[str]) -> None:
        """Drop kept texts until `chars` more fit in the budget: first those the current piece does not
        quote, then the piece's own, least recently used first."""
        for spare_piece in (True, False):
            for name in list(self._kept):
                if self._chars + chars <= self._keep_chars:
                    return
                if not (spare_piece and name in piece):
                    self._chars -= len(self._kept.pop(name))

    def _load(self, names: list[str]) -> None:
        for first in range(0, len(names), READ_TOGETHER):
            for name, text in self._read(names[first : first + READ_TOGETHER]).items():
                self._kept[name] = text
                self._chars += len(text)


class CheckedCodings:
    """The checked rows of a codings CSV, kept as columns of numbers (32 bytes a row, not an object each: at
    10,000 transcripts the objects took 160 MB) with each document, code, coder and memo stored once, and
    each document's rows listed in file order."""

    def __init__(self) -> None:
        self._values: dict[str, dict[str, int]] = {"document": {}, "code": {}, "coder": {}, "memo": {"": -1}}
        self._names: dict[str, list[str]] = {field: [] for field in self._values}
        self._columns = {field: array("i") for field in ("line", "document", "code", "coder", "memo", "start", "end")}
        self._rows_of: list[array[int]] = []  # per document number, its rows' numbers

    def add(self, line: int, document: str, code: str, start: int, end: int, coder: str, memo: str) -> None:
        row = len(self)
        numbers = {
            field: self._number(field, value)
            for field, value in (("document", document), ("code", code), ("coder", coder), ("memo", memo))
        }
        if numbers["document"] == len(self._rows_of):
            self._rows_of.append(array("i"))
        self._rows_of[numbers["document"]].append(row)
        for field, value in (("line", line), ("start", start), ("end", end), *numbers.items()):
            self._columns[field].append(value)

    def _number(self, field: str, value: str) -> int:
        numbers = self._values[field]
        if value not in numbers:
            numbers[value] = len(self._names[field])
            self._names[field].append(value)
        return numbers[value]

    def __len__(self) -> int:
        return len(self._columns["line"])

    def __iter__(self) -> Iterator[CodingRowIn]:
        """Every row, in file order."""
        return (self._row(row) for row in range(len(self)))

    def documents(self) -> list[str]:
        return list(self._names["document"])

    def rows_of(self, documents: Sequence[str]) -> list[CodingRowIn]:
        """The rows on these documents, document by document in the order given, each one's in file order."""
        numbers = self._values["document"]
        return [self._row(row) for name in documents for row in self._rows_of[numbers[name]]]

    def _row(self, row: int) -> CodingRowIn:
        column, names = self._columns, self._names
        memo = column["memo"][row]
        return CodingRowIn(
            column["line"][row],
            names["document"][column["document"][row]],
            names["code"][column["code"][row]],
            column["start"][row],
            column["end"][row],
            names["coder"][column["coder"][row]],
            names["memo"][memo] if memo >= 0 else "",
        )


def read_codings_csv(path: Path, texts: DocumentTexts, codes: set[str], default_coder: str) -> CheckedCodings:
    """Validate every row against the project before anything is written; the first problem is raised. The
    file is opened once and read as a stream, twice (its encoding, then its rows): memory does not grow with
    its size."""
    with _checked_file(path) as handle:
        problem = name_problem(default_coder.strip())
        if problem:
            raise ImportFormatError(path, f"coder {default_coder.strip()[:40]!r}: {problem}")
        with io.TextIOWrapper(handle, encoding="utf-8-sig", newline="") as decoded:
            lines = (line.replace("\r\n", "\n") for line in decoded)
            reader = csv.DictReader(lines, strict=True)  # quotes may span lines
            try:
                return _read_rows(path, reader, texts, codes, default_coder)
            except csv.Error as exc:  # an overlong field (the csv module's limit), a quote left open
                raise ImportFormatError(path, f"not readable as CSV ({exc})", line=reader.line_num) from None
            except UnicodeDecodeError:  # it was UTF-8 when checked a moment ago
                raise ImportFormatError(path, "changed while it was read: import it again") from None


CHECK_BYTES = 1 << 20  # read at a time when checking a file's encoding


@contextmanager
def _checked_file(path: Path) -> Iterator[BinaryIO]:
    """The file opened once, checked (UTF-8 and no NUL) and back at its start. A pipe (`<(cut ...)`) cannot
    be read twice: its bytes are copied to a temporary file while they are checked."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise ImportFormatError(path, "no such file") from None
    with handle:
        if handle.seekable():
            _check_bytes(path, handle, None)
            handle.seek(0)
            yield handle
            return
        with tempfile.TemporaryFile() as copy:
            _check_bytes(path, handle, copy)
            copy.seek(0)
            yield copy


def _check_bytes(path: Path, handle: BinaryIO, copy: BinaryIO | None) -> None:
    """UTF-8 throughout (the byte offset in the file of the first bad byte) and no NUL (its line)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    read = newlines = 0
    nul_line = None
    while True:
        chunk = handle.read(CHECK_BYTES)
        held = len(decoder.getstate()[0])  # the bytes of a character cut by the last chunk's end
        try:
            decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            raise ImportFormatError(path, f"not valid UTF-8 (byte offset {read - held + exc.start})") from None
        if not chunk:
            break
        if copy is not None:
            copy.write(chunk)
        if nul_line is None and b"\x00" in chunk:
            nul_line = newlines + chunk.count(b"\n", 0, chunk.index(b"\x00")) + 1
        newlines += chunk.count(b"\n")
        read += len(chunk)
    if nul_line is not None:
        raise ImportFormatError(path, "contains a NUL character: not a text file", line=nul_line)


ROWS_PER_CHECK = 5_000  # rows whose quoted documents are read together


def _pieces(reader: csv.DictReader[str], size: int) -> Iterator[list[tuple[int, dict[str, str]]]]:
    """The records with their line numbers, a few thousand at a time. Rows before an unreadable one are
    given first, so that the first problem in the file is the one reported."""
    piece: list[tuple[int, dict[str, str]]] = []
    try:
        for record in reader:
            piece.append((reader.line_num, record))
            if len(piece) == size:
                yield piece
                piece = []
    except (csv.Error, UnicodeDecodeError):
        yield piece
        raise
    yield piece


def _quotes_only(record: dict[str, str], has_span: bool) -> bool:
    """Whether a row gives its range by a quote alone (its document's text is needed to place it)."""
    fields = ("span_start", "span_end", *(("start", "end") if has_span else ()))
    return not any((record.get(field) or "").strip() for field in fields)


def _read_rows(
    path: Path, reader: csv.DictReader[str], texts: DocumentTexts, codes: set[str], default_coder: str
) -> CheckedCodings:
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [c for c in ("document", "code") if c not in header]
    has_span = "start" in header and "end" in header
    if missing or not (has_span or "text" in header):
        need = missing + ([] if has_span or "text" in header else ["start,end or text"])
        raise ImportFormatError(path, f"missing column(s): {', '.join(need)}", line=1)
    rows = CheckedCodings()
    for piece in _pieces(reader, ROWS_PER_CHECK):
        texts.read_ahead((r.get("document") or "").strip() for _, r in piece if _quotes_only(r, has_span))
        for line, record in piece:
            _check_row(path, line, record, texts, codes, default_coder, has_span, rows)
    return rows


def _check_row(
    path: Path,
    line: int,
    record: dict[str, str],
    texts: DocumentTexts,
    codes: set[str],
    default_coder: str,
    has_span: bool,
    rows: CheckedCodings,
) -> None:
    """One record checked and added to `rows` (one row per exact span it gives), or its problem raised."""
    extra = record.pop(None, None) or []  # type: ignore[call-overload]  # csv's key for fields past the header
    if any(value.strip() for value in extra):
        raise ImportFormatError(
            path, f"more fields than the header's {len(record)}: a comma inside a value needs quotes", line=line
        )
    if not any((value or "").strip() for value in record.values()):
        return
    document = (record.get("document") or "").strip()
    code = (record.get("code") or "").strip()
    if document not in texts:
        raise ImportFormatError(path, f"unknown document {document!r}", line=line)
    if code not in codes:
        raise ImportFormatError(path, f"unknown code {code!r}", line=line)
    coder = (record.get("coder") or "").strip() or default_coder.strip()
    problem = name_problem(coder)
    if problem:
        raise ImportFormatError(path, f"coder {coder[:40]!r}: {problem}", line=line)
    memo = (record.get("memo") or "").strip()
    ranges = _exact_spans(path, line, record, texts.length(document)) or [
        _span(path, line, record, texts, document, has_span)
    ]
    for start, end in ranges:
        rows.add(line, document, code, start, end, coder, memo)


def _exact_spans(path: Path, line: int, record: dict[str, str], length: int) -> list[tuple[int, int]]:
    """The exact spans of a row of the long export (span_start, span_end: "a;b" when several); [] if none."""
    raw_start, raw_end = (record.get("span_start") or "").strip(), (record.get("span_end") or "").strip()
    if not raw_start and not raw_end:
        return []
    starts, ends = raw_start.split(";"), raw_end.split(";")
    try:
        ranges = [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]
    except ValueError:
        raise ImportFormatError(
            path,
            f"span_start/span_end must be whole numbers (';' between several), not {raw_start!r}/{raw_end!r}",
            line,
        ) from None
    for start, end in ranges:
        if not 0 <= start < end <= length:
            raise ImportFormatError(path, f"span {start}-{end} is outside the document (0-{length})", line=line)
    return ranges


def _span(
    path: Path, line: int, record: dict[str, str], texts: DocumentTexts, document: str, has_span: bool
) -> tuple[int, int]:
    raw_start, raw_end = (record.get("start") or "").strip(), (record.get("end") or "").strip()
    if has_span and (raw_start or raw_end):
        try:
            start, end = int(raw_start), int(raw_end)
        except ValueError:
            raise ImportFormatError(
                path, f"start/end must be whole numbers, not {raw_start[:20]!r}/{raw_end[:20]!r}", line=line
            ) from None
        length = texts.length(document)
        if not 0 <= start < end <= length:
            raise ImportFormatError(path, f"span {start}-{end} is outside the document (0-{length})", line=line)
        return start, end
    quote = unescape_cell(record.get("text") or "")
    if not quote.strip():
        raise ImportFormatError(path, "neither start/end nor text given", line=line)
    text = texts.text(document)
    if text is None:
        raise ImportFormatError(path, f"document {document!r} was removed while the file was read", line=line)
    found = text.find(quote)
    if found < 0:
        found = text.find(quote.strip())
        quote = quote.strip()
    if found < 0:
        raise ImportFormatError(path, "quoted text not found in the document", line=line)
    return found, found + len(quote)


DOCUMENTS_PER_BATCH = 200  # documents whose segments are read and placed at a time


def import_codings(store: Store, path: Path, rows: CheckedCodings, unit: str, coder: str) -> dict[str, int]:
    """Every respondent segment of the unit overlapping a row's span gets the row's code, by the row's coder.
    `rows` come from read_codings_csv, which checked them all first.

    The segments are read and placed a few hundred documents at a time (memory stays flat as the corpus
    grows), all in one transaction: a failure stores nothing."""
    names = sorted(rows.documents())
    totals = {"added": 0, "pairs": 0, "unplaced": 0, "spans": 0}
    coders: set[str] = set()
    with store.transaction(write=True) as session:
        for first in range(0, len(names), DOCUMENTS_PER_BATCH):
            batch = names[first : first + DOCUMENTS_PER_BATCH]
            batch_rows = rows.rows_of(batch)
            index = SegmentIndex(stored_segments.segment_offsets(session, unit, batch))
            placed = _place(index, batch_rows)
            totals["unplaced"] += placed.unplaced
            totals["spans"] += stored_spans.add_spans(
                session, {(r.document, r.start, r.end, r.code, r.coder) for r in batch_rows}
            )
            for who, items in placed.pairs.items():
                totals["added"] += stored_codings.add_human_codings(session, items, who)
                totals["pairs"] += len(items)
                coders.add(who)
            for (segment_id, who), memo in placed.memos.items():
                # an imported memo joins what the coder already wrote there; it never replaces it
                existing = stored_memos.memo_text(session, segment_id, who)
                if memo != existing and memo not in existing.split("\n\n"):
                    stored_memos.upsert_memo(session, segment_id, who, f"{existing}\n\n{memo}" if existing else memo)
        write_log(
            session,
            coder,
            Action.IMPORT_CODINGS,
            str(path),
            rows=len(rows),
            added=totals["added"],
            spans=totals["spans"],
            coders=sorted(coders),
        )
    return {
        "rows": len(rows),
        "added": totals["added"],
        "already_present": totals["pairs"] - totals["added"],
        "rows_without_segment": totals["unplaced"],
    }


@dataclass
class _Placed:
    """Rows placed on segments: (segment, code) pairs per coder, memos per (segment, coder), rows without
    a segment."""

    pairs: dict[str, set[tuple[int, str]]]
    memos: dict[tuple[int, str], str]
    unplaced: int


def _place(index: SegmentIndex, rows: Sequence[CodingRowIn]) -> _Placed:
    placed = _Placed(defaultdict(set), {}, 0)
    for row in rows:  # in file order per document: a later memo on a segment wins, as before
        hits = index.overlapping(row.document, row.start, row.end)
        if not hits:
            placed.unplaced += 1
        for segment_id in hits:
            placed.pairs[row.coder].add((segment_id, row.code))
            if row.memo:
                placed.memos[(segment_id, row.coder)] = row.memo
    return placed


def long_codings(store: Store, unit: str, codebook: Codebook, respondents: pd.DataFrame) -> pd.DataFrame:
    """One row per coding (all sources and statuses) with segment text and respondent attributes."""
    codings = store.codings_frame(unit)
    segments = store.segments_frame(unit)
    return _long_frame(store, unit, codebook, respondents, codings, segments, store.spans_frame())


def long_coding_pieces(
    store: Store, unit: str, codebook: Codebook, respondents: pd.DataFrame, documents_per_piece: int = 200
) -> Iterator[pd.DataFrame]:
    """long_codings in pieces of a few hundred documents, in the same order (by document first), so that an
    export of millions of codings never holds them all: concatenated, the pieces are long_codings."""
    names = sorted(store.documents_frame()["document"].unique().tolist())
    written = False
    for first in range(0, len(names), documents_per_piece):
        segments = store.segments_frame(unit, names[first : first + documents_per_piece])
        if not len(segments):
            continue
        codings = store.codings_frame(unit, segments["segment_id"].tolist())
        if len(codings):
            written = True
            # only this piece's spans: reading every span for every piece made an export quadratic
            spans = store.spans_frame(names[first : first + documents_per_piece])
            yield _long_frame(store, unit, codebook, respondents, codings, segments, spans)
    if not written:  # the header row alone, as long_codings gives it
        yield long_codings(store, unit, codebook, respondents)


def _long_frame(
    store: Store,
    unit: str,
    codebook: Codebook,
    respondents: pd.DataFrame,
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    spans: pd.DataFrame,
) -> pd.DataFrame:
    frame = codings.merge(segments, on="segment_id")
    texts = store.document_texts(frame["document"].unique().tolist())
    names = {code.id: code.name for code in codebook.codes}
    frame = frame.assign(
        unit=unit,
        text=[
            texts[d][int(s) : int(e)] for d, s, e in zip(frame["document"], frame["start"], frame["end"], strict=True)
        ],
        code_name=frame["code"].map(names),
    )
    frame = frame.sort_values(["document", "start", "code", "coder"])
    span_start, span_end = _span_cells(frame, spans)
    frame = frame[LONG_COLUMNS].merge(respondents, on="respondent_id", how="left")
    return frame.assign(span_start=span_start, span_end=span_end)


def _span_cells(frame: pd.DataFrame, spans: pd.DataFrame) -> tuple[list[object], list[object]]:
    """For each coding of `frame`, the exact spans of its coder and code that touch its unit: a number each,
    "a;b" text when several, empty when none (suggestions, rejections)."""
    ranges: dict[tuple[str, str, str], list[tuple[int, int]]] = defaultdict(list)
    for document, start, end, code, coder in zip(
        spans["document"], spans["start"], spans["end"], spans["code_id"], spans["coder"], strict=True
    ):
        ranges[(document, code, coder)].append((int(start), int(end)))
    starts: list[object] = []
    ends: list[object] = []
    for document, start, end, code, coder, status in zip(
        frame["document"], frame["start"], frame["end"], frame["code"], frame["coder"], frame["status"], strict=True
    ):
        found = (
            [(a, b) for a, b in ranges.get((document, code, coder), []) if a < int(end) and int(start) < b]
            if status == ACCEPTED
            else []
        )
        if len(found) == 1:
            starts.append(found[0][0])
            ends.append(found[0][1])
        else:
            starts.append(";".join(str(a) for a, _ in found))
            ends.append(";".join(str(b) for _, b in found))
    return starts, ends


def coding_matrix(segments: pd.DataFrame, codings: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """One row per coding unit of `segments`, one 0/1 column per code (a 1 where `codings` has it)."""
    import pandas as pd

    codes = [code.id for code in codebook.tree_order()]
    present = pd.crosstab(codings["segment_id"], codings["code"]).clip(upper=1) if len(codings) else pd.DataFrame()
    matrix = present.reindex(index=segments["segment_id"], columns=codes, fill_value=0).fillna(0).astype(int)
    base = segments[["document", "respondent_id", "segment_id", "start", "end"]].reset_index(drop=True)
    return pd.concat([base, matrix.reset_index(drop=True)], axis=1)
