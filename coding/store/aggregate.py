"""Counts of codings computed where the data lives: GROUP BY in the database, small results out.

A project with 10,000 transcripts holds millions of codings; reading each as a row into Python costs
seconds before any counting starts. These queries return one row per distinct *code set*, not per coding:
each segment's codes become bit masks (SUM(DISTINCT 2^k) is a bitwise OR when every term is a distinct
power of two), and segments are then counted per respondent and mask (or per mask alone). A project has
few distinct code sets, so the result is small; the caller rolls codes up to their ancestors per mask.

Bits: each word holds 62 codes (positions 0-61 keep the sums inside a signed 64-bit integer on every
database), so any number of codes works with enough words. Codes the codebook does not know are not
counted (the pandas tables drop them too). The same SQL runs on SQLite and PostgreSQL (Core only).

Every function takes the open Session of the read it belongs to.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, NamedTuple, TypeVar

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from ..errors import UsageError
from ..models import ACCEPTED, HUMAN, REJECTED, RESPONDENT
from .log import StateToken, log_moment
from .schema import CodingRow, DocumentRow, LogRow, Respondent, SegmentRow, TurnRow, is_current, person

if TYPE_CHECKING:  # numpy loads with the first count, not when a project opens
    import numpy as np
    import pandas as pd

    from .kept_files import KeptFiles

BITS_PER_WORD = 62
ROWS_PER_PIECE = 20_000  # counted rows turned into numbers at a time
SOURCES = ("human", "auto", "all")
CACHED_QUERIES = 32  # distinct (unit, codes, source, coders) counts kept per project
T = TypeVar("T")


@dataclass(frozen=True)
class MaskCounts:
    """Segments counted per (respondent, code set).

    codes: the code ids, in bit order; masks: (rows, codes) booleans, which codes each row's segments
    carry directly (not rolled up); respondents: each row's respondent id (None when counted per mask only);
    segments: how many segments each row counts."""

    codes: list[str]
    masks: np.ndarray
    respondents: list[str] | None
    segments: np.ndarray


def chosen_codings(source: str, coders: Sequence[str] | None) -> ColumnElement[bool]:
    """selection.filter_codings (without rejected rows) as a WHERE clause: the same codings count."""
    if source not in SOURCES:
        raise UsageError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    kept = CodingRow.status != REJECTED
    if source == "human":
        clause = and_(kept, or_(CodingRow.source == HUMAN, CodingRow.status == ACCEPTED))
        if coders:
            clause = and_(clause, person().in_(list(coders)))
        return clause
    if source == "auto":  # the suggestions themselves, not people's decisions on them
        clause = and_(kept, CodingRow.source != HUMAN, CodingRow.coder == CodingRow.source_name)
        return and_(clause, CodingRow.coder.in_(list(coders))) if coders else clause
    if coders:
        return and_(kept, or_(CodingRow.coder.in_(list(coders)), CodingRow.decided_by.in_(list(coders))))
    return kept


def _mask_words(codes: Sequence[str]) -> list[ColumnElement[int]]:
    """One SUM(DISTINCT CASE code WHEN ... THEN 2^bit ELSE 0 END) per word of 62 codes."""
    words: list[ColumnElement[int]] = []
    for first in range(0, len(codes), BITS_PER_WORD):
        bits = {code: 1 << (i - first) for i, code in enumerate(codes[first : first + BITS_PER_WORD], start=first)}
        words.append(func.sum(case(bits, value=CodingRow.code_id, else_=literal(0)).distinct()))
    return words


def _segment_masks(unit: str, codes: Sequence[str], where: ColumnElement[bool], respondents_only: bool) -> Select:
    """Per coded segment of the unit on a current document: its respondent key and its code masks.

    The codings are grouped per segment first, from the covering index alone and in its order (no sort, no
    join per coding); only then is each segment (not each coding: a fifth as many rows) joined to its
    document. A code the codebook does not know has no bit: a segment with only such codes is left out."""
    words = _mask_words(codes)
    per_segment = (
        select(CodingRow.segment_id.label("segment"), *(word.label(f"w{i}") for i, word in enumerate(words)))
        .where(where)
        .group_by(CodingRow.segment_id)
        .subquery()
    )
    masks = [per_segment.c[f"w{i}"] for i in range(len(words))]
    query = (
        select(per_segment.c.segment, DocumentRow.respondent_pk.label("respondent"), *masks)
        .join(SegmentRow, SegmentRow.id == per_segment.c.segment)
        .join(DocumentRow, DocumentRow.id == SegmentRow.document_id)
        .where(SegmentRow.unit == unit, is_current(), or_(*(mask != 0 for mask in masks)))
    )
    if respondents_only:  # the tables count respondent segments only (Project.segments_frame)
        query = query.join(TurnRow, TurnRow.id == SegmentRow.turn_id).where(TurnRow.role == RESPONDENT)
    return query


def _unpack(words: np.ndarray, codes: Sequence[str]) -> np.ndarray:
    """(rows, words) integer masks -> (rows, codes) booleans."""
    import numpy as np

    masks = np.zeros((len(words), len(codes)), dtype=bool)
    for position in range(len(codes)):  # a code at a time: (rows, codes) int64 arrays were 57 MB a step at 20,000
        word, bit = divmod(position, BITS_PER_WORD)
        masks[:, position] = (words[:, word] >> bit) & 1
    return masks


def mask_counts(
    session: Session,
    unit: str,
    codes: Sequence[str],
    source: str = "human",
    coders: Sequence[str] | None = None,
    by_respondent: bool = True,
    respondents_only: bool = True,
) -> MaskCounts:
    """Segments per (respondent, direct code set) or, with by_respondent=False, per code set alone.

    respondents_only: only segments of respondent turns (what crosstabs and frequencies count);
    False counts every segment of the unit (what co-occurrence counts)."""
    import numpy as np

    codes = list(codes)
    if not codes:
        return MaskCounts(codes, np.zeros((0, 0), dtype=bool), [] if by_respondent else None, np.zeros(0, np.int64))
    inner = _segment_masks(unit, codes, chosen_codings(source, coders), respondents_only).subquery()
    words = [inner.c[f"w{i}"] for i in range((len(codes) + BITS_PER_WORD - 1) // BITS_PER_WORD)]
    keys = [inner.c.respondent, *words] if by_respondent else words
    outer = select(*keys, func.count()).group_by(*keys)
    pieces = [  # a piece of rows at a time: at 10,000 transcripts the rows as Python objects took 50 MB
        np.array([[int(v) for v in row] for row in part], dtype=np.int64).reshape(len(part), len(keys) + 1)
        # Core, not the ORM's Session.execute: that buffers every row of the result before the first piece
        for part in session.connection().execute(outer).partitions(ROWS_PER_PIECE)
    ]
    table = np.concatenate(pieces) if pieces else np.zeros((0, len(keys) + 1), dtype=np.int64)
    masks = _unpack(table[:, len(keys) - len(words) : len(keys)], codes)
    respondents = None
    if by_respondent:
        names = {pk: rid for pk, rid in session.execute(select(Respondent.id, Respondent.respondent_id))}
        respondents = [names[int(pk)] for pk in table[:, 0]]
    return MaskCounts(codes, masks, respondents, table[:, -1])


def respondent_segment_counts(session: Session, unit: str) -> dict[str, int]:
    """Respondent segments of the unit on current documents, per respondent id (coded or not)."""
    query = (
        select(Respondent.respondent_id, func.count(SegmentRow.id))
        .select_from(SegmentRow)
        .join(DocumentRow, DocumentRow.id == SegmentRow.document_id)
        .join(TurnRow, TurnRow.id == SegmentRow.turn_id)
        .join(Respondent, Respondent.id == DocumentRow.respondent_pk)
        .where(SegmentRow.unit == unit, is_current(), TurnRow.role == RESPONDENT)
        .group_by(Respondent.respondent_id)
    )
    return {rid: int(n) for rid, n in session.execute(query)}


def coded_segments(
    session: Session,
    unit: str,
    codes: Sequence[str],
    source: str = "human",
    coders: Sequence[str] | None = None,
    respondents: Sequence[str] | None = None,
) -> list[int]:
    """The respondent segments of the unit on current documents that carry any of codes under the selection
    (analysis.segments_in_cell: pass a code with its descendants), of these respondents only if given; in
    document order (name, then position), as the segments frame is."""
    coded = select(CodingRow.segment_id).where(chosen_codings(source, coders), CodingRow.code_id.in_(list(codes)))
    query = (
        select(SegmentRow.id)
        .join(DocumentRow, DocumentRow.id == SegmentRow.document_id)
        .join(TurnRow, TurnRow.id == SegmentRow.turn_id)
        .where(SegmentRow.unit == unit, is_current(), TurnRow.role == RESPONDENT, SegmentRow.id.in_(coded))
        .order_by(DocumentRow.name, SegmentRow.index)
    )
    if respondents is not None:
        people = select(Respondent.id).where(Respondent.respondent_id.in_(list(respondents)))
        query = query.where(DocumentRow.respondent_pk.in_(people))
    return [int(segment) for segment in session.connection().execute(query).scalars()]  # Core: not buffered


def segment_documents(session: Session, segment_ids: Sequence[int]) -> list[str]:
    """The names of the documents these segments are in (for reading only their segments and texts)."""
    names: set[str] = set()
    for first in range(0, len(segment_ids), 10_000):  # bound parameters stay under every driver's limit
        chunk = [int(s) for s in segment_ids[first : first + 10_000]]
        query = select(DocumentRow.name).join(SegmentRow, SegmentRow.document_id == DocumentRow.id)
        names.update(session.scalars(query.where(SegmentRow.id.in_(chunk)).distinct()))
    return sorted(names)


def change_token(session: Session) -> tuple[int, ...]:
    """Changes with every command and edit: each writes the audit log (append-only), and new codings,
    segments and documents get new ids. Newest ids come from the primary keys' indexes, so this costs the
    same at any size; the log's count is small (one entry per command or edit), not one per coding."""
    return tuple(
        session.scalar(query) or 0
        for query in (
            select(func.max(LogRow.id)),
            select(func.count(LogRow.id)),
            select(func.max(CodingRow.id)),
            select(func.max(SegmentRow.id)),
            select(func.max(DocumentRow.id)),
        )
    )


def kept_token(session: Session) -> tuple[int, ...]:
    """change_token plus when the newest log entry was written (microseconds): a database made again from
    nothing, or a backup restored under a running process, can reach the same ids and counts, never at the
    same moment. Kept counts, in memory and on disk, answer only this."""
    token = change_token(session)
    return (*token, log_moment(session, token[0]))


class Codec(NamedTuple, Generic[T]):
    """How a kept result becomes arrays on disk (kept_files) and back; encode gives None for a result it
    cannot hold (it is then kept in memory only)."""

    encode: Callable[[T], dict[str, np.ndarray] | None]
    decode: Callable[[dict[str, np.ndarray]], T]


def text_array(values: Sequence[str]) -> np.ndarray:
    import numpy as np

    return np.array(list(values), dtype=str)


def text_list(array: np.ndarray) -> list[str]:
    return [str(value) for value in array.tolist()]


def _encode_masks(counted: MaskCounts) -> dict[str, np.ndarray]:
    arrays = {"codes": text_array(counted.codes), "masks": counted.masks, "segments": counted.segments}
    if counted.respondents is not None:
        arrays["respondents"] = text_array(counted.respondents)
    return arrays


def _decode_masks(arrays: dict[str, np.ndarray]) -> MaskCounts:
    import numpy as np

    respondents = text_list(arrays["respondents"]) if "respondents" in arrays else None
    masks, segments = arrays["masks"].astype(bool), arrays["segments"].astype(np.int64)
    return MaskCounts(text_list(arrays["codes"]), masks, respondents, segments)


def _encode_named_counts(counts: dict[str, int]) -> dict[str, np.ndarray]:
    import numpy as np

    return {"names": text_array(list(counts)), "values": np.array(list(counts.values()), dtype=np.int64)}


def _decode_named_counts(arrays: dict[str, np.ndarray]) -> dict[str, int]:
    return dict(zip(text_list(arrays["names"]), (int(v) for v in arrays["values"]), strict=True))


def _encode_ids(ids: list[int]) -> dict[str, np.ndarray]:
    import numpy as np

    return {"ids": np.array(ids, dtype=np.int64)}


def _encode_state_token(token: StateToken) -> dict[str, np.ndarray]:
    import numpy as np

    return {"fields": np.array(token, dtype=np.int64)}


def _encode_text_frame(frame: pd.DataFrame) -> dict[str, np.ndarray] | None:
    """A frame whose every value is text or missing (respondents and their attributes): one text array and one
    missing mask per column. Anything else (numbers, dates read from a transcript's header) stays in memory."""
    import numpy as np

    arrays = {"columns": text_array([str(c) for c in frame.columns])}
    for i, column in enumerate(frame.columns):
        values = frame[column].tolist()
        missing = np.array([value is None or value != value for value in values], dtype=bool)  # NaN != NaN
        if not all(isinstance(value, str) for value, gone in zip(values, missing, strict=True) if not gone):
            return None
        arrays[f"text{i}"] = text_array(["" if gone else value for value, gone in zip(values, missing, strict=True)])
        arrays[f"missing{i}"] = missing
    return arrays


def _decode_text_frame(arrays: dict[str, np.ndarray]) -> pd.DataFrame:
    import pandas as pd

    columns = text_list(arrays["columns"])
    data = {}
    for i, column in enumerate(columns):
        values = arrays[f"text{i}"].astype(object)
        values[arrays[f"missing{i}"]] = None
        data[column] = values
    return pd.DataFrame(data, columns=columns)


MASKS = Codec(_encode_masks, _decode_masks)
TEXT_FRAME = Codec(_encode_text_frame, _decode_text_frame)
NAMED_COUNTS = Codec(_encode_named_counts, _decode_named_counts)
IDS = Codec(_encode_ids, lambda arrays: arrays["ids"].tolist())  # tolist: Python ints at C speed (300,000 ids)
STATE_TOKEN = Codec(_encode_state_token, lambda arrays: StateToken(*arrays["fields"].tolist()))
NAMES = Codec(lambda names: {"names": text_array(names)}, lambda arrays: text_list(arrays["names"]))


class CountsCache:
    """Counts kept per query while the project's change token stays the same.

    The counting query reads every coding of the unit (seconds at 10,000 transcripts on SQLite); its result
    is small. Any write changes the token, read in the same transaction as the counts, so a stale result is
    never served, whichever process made the change. With `files`, results that have a Codec are also kept
    on disk (kept_files), so that another process (the dashboard started after an import) finds them."""

    def __init__(self, files: KeptFiles | None = None) -> None:
        self._entries: dict[tuple[object, ...], tuple[tuple[int, ...], object]] = {}
        self._lock = threading.Lock()
        self.files = files

    def mask_counts(
        self,
        session: Session,
        unit: str,
        codes: Sequence[str],
        source: str = "human",
        coders: Sequence[str] | None = None,
        by_respondent: bool = True,
        respondents_only: bool = True,
    ) -> MaskCounts:
        key = ("masks", unit, tuple(codes), source, tuple(coders or ()), by_respondent, respondents_only)
        return self.kept(
            session,
            key,
            lambda: mask_counts(session, unit, codes, source, coders, by_respondent, respondents_only),
            MASKS,
        )

    def respondent_segment_counts(self, session: Session, unit: str) -> dict[str, int]:
        return self.kept(session, ("segments", unit), lambda: respondent_segment_counts(session, unit), NAMED_COUNTS)

    def kept(
        self, session: Session, key: tuple[object, ...], count: Callable[[], T], codec: Codec[T] | None = None
    ) -> T:
        """The kept result for key if the project has not changed since it was counted, else count() kept
        (and, with a codec, written to disk for other processes)."""
        token = kept_token(session)
        with self._lock:  # Streamlit sessions share one project from several threads
            entry = self._entries.get(key)
        if entry is not None and entry[0] == token:
            return entry[1]  # type: ignore[return-value]
        result = self._from_disk(key, token, count, codec)
        with self._lock:
            self._entries.pop(key, None)
            if len(self._entries) >= CACHED_QUERIES:
                self._entries.pop(next(iter(self._entries)))  # the oldest
            self._entries[key] = (token, result)
        return result

    def _from_disk(
        self, key: tuple[object, ...], token: tuple[int, ...], count: Callable[[], T], codec: Codec[T] | None
    ) -> T:
        if codec is None or self.files is None:
            return count()
        name = repr(key)
        arrays = self.files.load(name, token)
        if arrays is not None:
            try:
                return codec.decode(arrays)
            except (KeyError, ValueError, TypeError, IndexError):  # a file of an older layout: count again
                pass
        result = count()
        arrays = codec.encode(result)
        if arrays is not None:  # None: this result does not go to disk (a codec that cannot hold it)
            self.files.save(name, token, arrays)
        return result
