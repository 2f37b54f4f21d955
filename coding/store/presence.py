"""Agreement's counts made in the database: which coders applied each code, counted once for every coder.

Agreement compares two or more coders on the segments that count (coding.intercoder.counted_segments): per
code, how many segments each set of the chosen coders applied it to. Reading the 4 million accepted codings
of 10,000 transcripts takes seconds whichever coders are chosen, so they are read once for *every* coder of
the project: per (segment, code) a bit mask of the coders who applied it, then counted per document, code
and mask. What any choice of coders and either way of choosing segments needs is then worked out from that
small table in numpy (`CoderPresence.for_coders`), without reading the codings again.

Every function takes the open Session of the read it belongs to; the same SQL runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Select, case, cast, func, literal, null, select, union_all
from sqlalchemy.orm import Session

from ..errors import UsageError
from ..models import ACCEPTED, RESPONDENT
from .aggregate import BITS_PER_WORD, ROWS_PER_PIECE, Codec, text_array, text_list
from .schema import CodingRow, DocumentRow, SegmentRow, TurnRow, is_current, live_codings, person

if TYPE_CHECKING:
    import numpy as np

MAX_AGREEMENT_CODERS = BITS_PER_WORD  # one word of coder bits


@dataclass(frozen=True)
class PresenceCounts:
    """How many counted segments each set of coders applied each code to.

    coders: as chosen (the patterns' columns); n_segments: the segments that count; codes/patterns/segments: one row per
    (code, coder set) seen, patterns as (rows, coders) booleans. Segments no chosen coder applied a code to
    (the "neither" cell) are n_segments minus that code's rows."""

    coders: list[str]
    n_segments: int
    codes: list[str]
    patterns: np.ndarray
    segments: np.ndarray


@dataclass(frozen=True)
class CoderPresence:
    """Every counted coder's accepted codings on the unit, as counts of (segment, code) rows per coder mask.

    coders: bit i is coders[i]. Respondent rows (what "documents" counts), per (document mask, code, mask):
    doc_masks, doc_codes, doc_rows_masks, doc_rows. A document's mask is the union of the masks of its
    respondent rows: which coders coded any respondent segment in it. respondent_segments: per document mask,
    the respondent segments of the unit in documents with that mask, coded or not. Every row of any role
    (what "touched" counts), per (code, mask): codes, masks, rows. Every coded segment, per union of its
    codes' masks: segment_masks, segments."""

    coders: list[str]
    doc_masks: np.ndarray
    doc_codes: list[str]
    doc_rows_masks: np.ndarray
    doc_rows: np.ndarray
    mask_of_documents: np.ndarray
    respondent_segments: np.ndarray
    codes: list[str]
    masks: np.ndarray
    rows: np.ndarray
    segment_masks: np.ndarray
    segments: np.ndarray

    def with_codings(self) -> list[str]:
        """The coders with an accepted coding on a segment of the unit in a current document."""
        import numpy as np

        seen = int(np.bitwise_or.reduce(self.segment_masks)) if len(self.segment_masks) else 0
        return [coder for i, coder in enumerate(self.coders) if seen >> i & 1]

    def for_coders(self, chosen: Sequence[str], codes: Sequence[str], units: str) -> PresenceCounts:
        """The counts agreement needs for the chosen coders (each in self.coders), rows of these codes only."""
        import numpy as np

        position = {coder: i for i, coder in enumerate(self.coders)}
        bits = np.array([1 << position[coder] for coder in chosen], dtype=np.int64)
        wanted = int(bits.sum())
        if units == "touched":
            n = int(self.segments[(self.segment_masks & wanted) != 0].sum())
            row_codes, row_masks, row_counts = self.codes, self.masks, self.rows
        else:  # documents in which every chosen coder coded a respondent segment, all their respondent rows
            counted = (self.doc_masks & wanted) == wanted
            n = int(self.respondent_segments[(self.mask_of_documents & wanted) == wanted].sum())
            row_codes = [code for code, keep in zip(self.doc_codes, counted.tolist(), strict=True) if keep]
            row_masks, row_counts = self.doc_rows_masks[counted], self.doc_rows[counted]
        return _presence(list(chosen), bits, n, (row_codes, row_masks & wanted, row_counts), codes)


def _presence(
    chosen: list[str],
    bits: np.ndarray,
    n: int,
    rows: tuple[list[str], np.ndarray, np.ndarray],
    codes: Sequence[str],
) -> PresenceCounts:
    """Rows of the listed codes that some chosen coder applied, summed per (code, chosen coders' pattern)."""
    import numpy as np

    row_codes, masks, counts = rows
    listed = {code: i for i, code in enumerate(dict.fromkeys(codes))}
    code_index = np.array([listed.get(code, -1) for code in row_codes], dtype=np.int64)
    found, summed = _summed([code_index, masks], counts, (code_index >= 0) & (masks != 0))
    names = list(listed)
    patterns = (found[:, 1:2] & bits[None, :]) != 0
    return PresenceCounts(chosen, n, [names[i] for i in found[:, 0]], patterns, summed)


def _accepted_on_unit(unit: str) -> Select:
    """Accepted codings on the unit's segments of current documents, on codes still in use: Project.decisions'
    rows that intercoder.decisions keeps."""
    return (
        select()
        .select_from(CodingRow)
        .join(SegmentRow, SegmentRow.id == CodingRow.segment_id)
        .join(DocumentRow, DocumentRow.id == SegmentRow.document_id)
        .where(SegmentRow.unit == unit, is_current(), live_codings(), CodingRow.status == ACCEPTED)
    )


def agreement_coders(session: Session, unit: str) -> list[str]:
    """People with at least one accepted coding on the unit (who agreement can compare)."""
    query = _accepted_on_unit(unit).add_columns(person()).distinct()
    return sorted(name for name in session.scalars(query) if name)


def people(session: Session) -> list[str]:
    """Everyone with an accepted coding on any unit or document: one read of the codings' index, no join (a
    superset of agreement_coders, cheap enough to give each of them a bit before counting)."""
    query = select(person()).where(CodingRow.status == ACCEPTED).distinct()
    return sorted(name for name in session.scalars(query) if name)


def count_coder_presence(session: Session, unit: str, coders: Sequence[str]) -> CoderPresence:
    """CoderPresence of these coders (at most MAX_AGREEMENT_CODERS), in one statement.

    The codings are grouped per (segment, code) first, from the covering index ix_codings_counts and in its
    order, into a coder mask (SUM(DISTINCT 2^bit) is a bitwise OR when every term is a distinct power of two;
    a person's own code and a suggestion they accepted count once); only each group, not each coding, is then
    joined to its segment, turn and document. That table of rows is read by three parts of one UNION ALL:
    rows per (document, role, code, mask); coded segments per union of their masks; and the respondent
    segments of each current document."""
    coders = list(coders)
    if len(coders) > MAX_AGREEMENT_CODERS:
        raise UsageError(f"agreement compares at most {MAX_AGREEMENT_CODERS} coders at once, not {len(coders)}")
    if not coders:  # nobody has coded: nothing to read (and a CASE needs at least one WHEN)
        return _Rows().presence(coders)
    bits = {coder: 1 << i for i, coder in enumerate(coders)}
    owner = person()
    # SUM gives NUMERIC on PostgreSQL for 64-bit terms; the bit tests need an integer.
    mask = cast(func.sum(case(bits, value=owner, else_=literal(0)).distinct()), BigInteger)
    per_code = (
        select(CodingRow.segment_id.label("segment"), CodingRow.code_id.label("code"), mask.label("mask"))
        .where(CodingRow.status == ACCEPTED, live_codings(), owner.in_(coders))
        .group_by(CodingRow.segment_id, CodingRow.code_id)
        .subquery("per_code")
    )
    respondent = case((TurnRow.role == RESPONDENT, 1), else_=0)
    coded = (
        select(
            per_code.c.segment,
            SegmentRow.document_id.label("document"),
            respondent.label("respondent"),
            per_code.c.code,
            per_code.c.mask,
        )
        .join(SegmentRow, SegmentRow.id == per_code.c.segment)
        .join(DocumentRow, DocumentRow.id == SegmentRow.document_id)
        .join(TurnRow, TurnRow.id == SegmentRow.turn_id)
        .where(SegmentRow.unit == unit, is_current())
        .cte("coded")  # read by two parts below: both databases make it once
    )
    # The union of a segment's masks, one MAX per coder bit (SQLite has no BIT_OR aggregate).
    union = sum((func.max(coded.c.mask.op("&")(bit)) for bit in bits.values()), literal(0))
    per_segment = select(coded.c.segment, union.label("mask")).group_by(coded.c.segment).subquery("per_segment")
    rows = select(
        literal("row"), coded.c.document, coded.c.respondent, coded.c.code, coded.c.mask, func.count()
    ).group_by(coded.c.document, coded.c.respondent, coded.c.code, coded.c.mask)
    segments = select(literal("segment"), null(), null(), null(), per_segment.c.mask, func.count()).group_by(
        per_segment.c.mask
    )
    documents = (
        select(literal("document"), SegmentRow.document_id, null(), null(), cast(literal(0), BigInteger), func.count())
        .join(DocumentRow, DocumentRow.id == SegmentRow.document_id)
        .join(TurnRow, TurnRow.id == SegmentRow.turn_id)
        .where(SegmentRow.unit == unit, is_current(), TurnRow.role == RESPONDENT)
        .group_by(SegmentRow.document_id)
    )
    found = _Rows()
    # Core, not the ORM's Session.execute; each piece of rows becomes numbers (a few hundred thousand rows)
    for part in session.connection().execute(union_all(rows, segments, documents)).partitions(ROWS_PER_PIECE):
        found.add(part)
    return found.presence(coders)


class _Rows:
    """The statement's rows, gathered by kind as compact arrays while they are read."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        self.rows: list[np.ndarray] = []  # pieces of (document, respondent, code index, mask, count)
        self.segments: list[tuple[int, int]] = []  # mask, count: one row per distinct mask
        self.documents: list[tuple[int, int]] = []  # document, respondent segments: one row per document

    def add(self, part: Sequence[Sequence[object]]) -> None:
        import numpy as np

        rows = []
        for kind, document, respondent, code, mask, count in part:
            if kind == "row":
                index = self.codes.setdefault(str(code), len(self.codes))
                rows.append((document, respondent, index, mask, count))
            elif kind == "segment":
                self.segments.append((int(mask), int(count)))  # type: ignore[call-overload]
            else:
                self.documents.append((int(document), int(count)))  # type: ignore[call-overload]
        # Numbers, not Python tuples, kept between pieces: 200,000 rows at 10,000 transcripts
        self.rows.append(np.array(rows, dtype=np.int64).reshape(len(rows), 5))

    def presence(self, coders: list[str]) -> CoderPresence:
        import numpy as np

        names = list(self.codes)
        table = np.concatenate(self.rows) if self.rows else np.zeros((0, 5), dtype=np.int64)
        document, respondent, code, mask, count = table.T
        # Each document's mask: the union of its respondent rows' masks.
        ids, where = np.unique(document, return_inverse=True)
        of_document = np.zeros(len(ids), dtype=np.int64)
        on_respondent = respondent == 1
        np.bitwise_or.at(of_document, where[on_respondent], mask[on_respondent])
        doc_mask = of_document[where]
        doc_keys, doc_counts = _summed([doc_mask, code, mask], count, on_respondent)
        all_keys, all_counts = _summed([code, mask], count)
        listed = np.array(self.documents, dtype=np.int64).reshape(len(self.documents), 2)
        mask_by_id = dict(zip(ids.tolist(), of_document.tolist(), strict=True))
        listed_masks = np.array([mask_by_id.get(d, 0) for d in listed[:, 0].tolist()], dtype=np.int64)
        document_keys, per_document_mask = _summed([listed_masks], listed[:, 1])
        segment_table = np.array(self.segments, dtype=np.int64).reshape(len(self.segments), 2)
        return CoderPresence(
            coders=coders,
            doc_masks=doc_keys[:, 0],
            doc_codes=[names[i] for i in doc_keys[:, 1].tolist()],
            doc_rows_masks=doc_keys[:, 2],
            doc_rows=doc_counts,
            mask_of_documents=document_keys[:, 0],
            respondent_segments=per_document_mask,
            codes=[names[i] for i in all_keys[:, 0].tolist()],
            masks=all_keys[:, 1],
            rows=all_counts,
            segment_masks=segment_table[:, 0],
            segments=segment_table[:, 1],
        )


def _summed(
    columns: list[np.ndarray], weights: np.ndarray, where: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of these key columns (of the rows `where` picks), and the weights summed per row.
    Sorted and summed by runs: np.unique over rows copied the table several times over."""
    import numpy as np

    if where is not None:
        columns, weights = [column[where] for column in columns], weights[where]
    if not len(weights):
        return np.zeros((0, len(columns)), dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.lexsort(columns[::-1])  # the first column is the primary key of the sort
    keys = np.stack([column[order] for column in columns], axis=1)
    starts = np.flatnonzero(np.r_[True, (keys[1:] != keys[:-1]).any(axis=1)])
    return keys[starts], np.add.reduceat(weights[order], starts).astype(np.int64)


def _encode(counted: CoderPresence) -> dict[str, np.ndarray]:
    values = {field.name: getattr(counted, field.name) for field in fields(CoderPresence)}
    return {name: text_array(value) if name in _TEXTS else value for name, value in values.items()}


def _decode(arrays: dict[str, np.ndarray]) -> CoderPresence:
    values: dict[str, Any] = {
        field.name: text_list(arrays[field.name]) if field.name in _TEXTS else arrays[field.name].astype("int64")
        for field in fields(CoderPresence)
    }
    return CoderPresence(**values)


_TEXTS = ("coders", "doc_codes", "codes")  # the other fields are integer arrays
CODER_PRESENCE = Codec(_encode, _decode)
