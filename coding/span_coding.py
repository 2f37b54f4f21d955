"""Span codings and the coding units they put a code on.

A span is a person's code on an exact range [start, end) of a document version. Every analysis reads the
codings rows, one per coding unit, so a span puts its coder's code (accepted) on each unit it touches, and
a unit row goes only when no span of that coder and code touches the unit any more. A whole-unit coding
(apply_code, an accepted suggestion) is a span equal to the unit's bounds.

Taking a code off one unit (remove_code, rejecting a suggestion) trims the coder's spans of that code
around the unit: what lies before and after it stays coded, the unit itself does not.

Every function takes an open Session and a Recorder (coding/store/changes.py) that notes each row it
changes, so that the facade can log what undo needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from .errors import ReplacedDocumentError, UsageError
from .models import ACCEPTED, HUMAN, REJECTED
from .store import codings as stored_codings
from .store import segments as stored_segments
from .store import spans as stored_spans
from .store.changes import Recorder
from .store.log import Action, write_log
from .store.schema import CodingRow, DocumentRow, SegmentRow, SpanRow, is_current


def document_for_edit(session: Session, name: str) -> DocumentRow:
    """The current version of `name`; refused when the name has only replaced or removed versions."""
    row = stored_spans.current_document(session, name)
    if row is not None:
        return row
    if stored_spans.any_version(session, name):
        raise ReplacedDocumentError(
            f"document {name!r} has no current version (it was replaced by a new version or removed): nothing "
            "was stored; reload the document and code its current version"
        )
    raise UsageError(f"no document named {name!r} in the project")


def check_range(name: str, text: str, start: int, end: int) -> None:
    if not 0 <= start < end <= len(text):
        raise UsageError(f"span {start}-{end} is outside document {name!r} (0-{len(text)}) or empty")
    if not text[start:end].strip():
        raise UsageError(f"span {start}-{end} of document {name!r} holds only white space")


def add_span(
    session: Session, rec: Recorder, document: DocumentRow, start: int, end: int, code_id: str, coder: str, unit: str
) -> tuple[int, list[int]]:
    """Store a span (the coder's same span again is the one there) and put its code on the units of `unit`
    it touches. Returns the span id and those units."""
    span_id, new = stored_spans.add_span(session, document.id, start, end, code_id, coder)
    if new:
        rec.created("spans", [span_id])
    touched = _overlapping(stored_segments.segment_spans(session, document.id, unit), [(start, end)])
    for segment_id in touched:
        put_code(session, rec, segment_id, code_id, coder)
    return span_id, touched


def code_range(
    session: Session, name: str, start: int, end: int, code_ids: Sequence[str], coder: str, unit: str
) -> list[int]:
    """Several codes on one range of document `name` as one action: one apply_span log entry naming them all
    (details["codes"]), so that undo takes them back together. Returns the span ids in the order of code_ids.
    The entry names only the codes that added something (a code the coder had on that range already is not
    theirs to undo); nothing is logged when none did."""
    codes = list(dict.fromkeys(code_ids))  # a code ticked twice is applied once
    if not codes:
        raise UsageError("no code given to apply")
    document = document_for_edit(session, name)
    check_range(name, document.text, start, end)
    rec = Recorder(session)
    ids: list[int] = []
    added: list[str] = []  # the codes that changed a row, and their spans: what the log entry names
    added_ids: list[int] = []
    touched: list[int] = []
    for code_id in codes:
        before = len(rec.changes())
        span_id, units = add_span(session, rec, document, start, end, code_id, coder, unit)
        ids.append(span_id)
        if len(rec.changes()) > before:
            added.append(code_id)
            added_ids.append(span_id)
            touched.extend(u for u in units if u not in touched)
    changes = rec.changes()
    if added:
        write_log(
            session,
            coder,
            Action.APPLY_SPAN,
            f"span {added_ids[0]}" if len(added_ids) == 1 else "spans " + ", ".join(map(str, added_ids)),
            segment_id=touched[0] if touched else None,
            code_id=added[0],
            document=name,
            start=start,
            end=end,
            span_id=added_ids[0],
            span_ids=added_ids,
            codes=added,
            segments=touched,
            changes=changes,
        )
    return ids


def code_unit(session: Session, rec: Recorder, segment_id: int, code_id: str, coder: str) -> int:
    """A whole-unit coding (apply_code): a span of the unit's bounds and the unit's row. Returns the span id."""
    segment = _segment(session, segment_id)
    document = session.get(DocumentRow, segment.document_id)
    assert document is not None  # a foreign key
    span_id, _ = add_span(session, rec, document, segment.start, segment.end, code_id, coder, segment.unit)
    return span_id


def span_of_unit(session: Session, rec: Recorder, segment_id: int, code_id: str, coder: str) -> int:
    """The span of a unit whose row the caller has written (an accepted suggestion). Returns its id."""
    segment = _segment(session, segment_id)
    span_id, new = stored_spans.add_span(session, segment.document_id, segment.start, segment.end, code_id, coder)
    if new:
        rec.created("spans", [span_id])
    return span_id


def _segment(session: Session, segment_id: int) -> SegmentRow:
    segment = session.get(SegmentRow, segment_id)
    if segment is None:
        raise UsageError(f"no segment with id {segment_id}")
    return segment


def put_code(session: Session, rec: Recorder, segment_id: int, code_id: str, coder: str) -> None:
    """The coder's code on a unit, accepted: a row already there is reused (a rejected decision accepted)."""
    existing = stored_codings.find_coding(session, segment_id, code_id, coder, lock=True)
    if existing is not None:
        rec.watch("codings", [existing.id])
        if existing.status != ACCEPTED:
            stored_codings.decide(session, existing, ACCEPTED, coder)
        return
    row = CodingRow(
        segment_id=segment_id,
        code_id=code_id,
        coder=coder,
        source=HUMAN,
        source_name=HUMAN,
        status=ACCEPTED,
        decided_by=coder,
    )
    session.add(row)
    session.flush()  # a concurrent tab's row shows here, as a unique-key error store.retrying absorbs
    rec.created("codings", [row.id])


def remove_span(session: Session, rec: Recorder, span_id: int, coder: str) -> tuple[SpanRow, str, list[int]]:
    """Delete a person's own span; unit rows no other span of theirs (same code) touches go too.
    Returns the span as it was, its document's name and the units whose rows changed."""
    span = stored_spans.span_row(session, span_id, lock=True)
    if span is None:
        raise UsageError(f"no span with id {span_id}")
    if span.coder != coder:
        raise UsageError(f"span {span_id} is {span.coder}'s coding, not {coder}'s: only its coder removes it")
    document = session.get(DocumentRow, span.document_id)
    assert document is not None  # a foreign key
    if document.replaced_by is not None or document.removed_at is not None:
        raise ReplacedDocumentError(
            f"span {span_id} is on a version of document {document.name!r} that is no longer current: nothing "
            "was changed"
        )
    rec.watch("spans", [span.id])
    session.delete(span)
    session.flush()
    changed = release(session, rec, span.document_id, span.code_id, coder, [(span.start, span.end)])
    return span, document.name, changed


def trim_around(session: Session, rec: Recorder, segment_id: int, code_id: str, coder: str) -> list[int]:
    """Take the coder's code off one unit: their spans of the code are cut around the unit's bounds (the
    parts before and after it stay where they still touch another unit of its kind), then unit rows no span
    touches any more go.
    Returns the units whose rows changed."""
    segment = _segment(session, segment_id)
    text = session.get(DocumentRow, segment.document_id).text  # type: ignore[union-attr]
    cut: list[tuple[int, int]] = [(segment.start, segment.end)]
    units = stored_segments.segment_spans(session, segment.document_id, segment.unit)
    others = [unit for unit in units if unit[0] != segment_id]
    for span in stored_spans.spans_of(session, segment.document_id, code_id, coder):
        if span.end <= segment.start or span.start >= segment.end:
            continue
        rec.watch("spans", [span.id])
        cut.append((span.start, span.end))
        pieces = [
            piece
            for piece in (_strip(text, span.start, segment.start), _strip(text, segment.end, span.end))
            if piece and _overlapping(others, [piece])  # a piece that codes no unit would be a ghost
        ]
        # The span keeps its id as its first piece, unless the coder has that range as a span already.
        if pieces and stored_spans.find_span(session, span.document_id, *pieces[0], code_id, coder) is None:
            span.start, span.end = pieces.pop(0)
        else:
            session.delete(span)
        session.flush()
        for start, end in pieces:
            piece, new = stored_spans.add_span(session, span.document_id, start, end, code_id, coder)
            if new:
                rec.created("spans", [piece])
    session.flush()
    return release(session, rec, segment.document_id, code_id, coder, cut)


def release(
    session: Session, rec: Recorder, document_id: int, code_id: str, coder: str, ranges: Sequence[tuple[int, int]]
) -> list[int]:
    """After spans were removed or cut: the coder's rows of the code on units (of every unit kind) within
    `ranges` that no remaining span of theirs touches are taken off (a person's own row is deleted, a
    decision on a suggestion becomes a rejection, as remove_code always did). Returns those units."""
    remaining = [(s.start, s.end) for s in stored_spans.spans_of(session, document_id, code_id, coder)]
    changed = []
    for unit in sorted(stored_segments.document_units(session, document_id)):
        segments = stored_segments.segment_spans(session, document_id, unit)
        still = set(_overlapping(segments, remaining))
        for segment_id in _overlapping(segments, ranges):
            if segment_id in still:
                continue
            row = stored_codings.find_coding(session, segment_id, code_id, coder, lock=True)
            if row is None or row.status != ACCEPTED:
                continue
            rec.watch("codings", [row.id])
            if row.source == HUMAN:
                stored_codings.delete_coding(session, row)
            else:
                stored_codings.decide(session, row, REJECTED, coder)
            changed.append(segment_id)
    session.flush()
    return changed


def watch_code(session: Session, rec: Recorder, code_id: str) -> None:
    """Note every coding and span of a code before a codebook edit moves them (a merge)."""
    rec.watch("codings", session.scalars(select(CodingRow.id).where(CodingRow.code_id == code_id)).all())
    rec.watch("spans", session.scalars(select(SpanRow.id).where(SpanRow.code_id == code_id)).all())


def move_spans(session: Session, source_code: str, target_code: str) -> None:
    """A merge: the spans of one code become the other's (the units' rows are moved by the codebook); where
    the coder has the target code on the same range already, that span stays and the moved one goes."""
    taken = {
        (s.document_id, s.start, s.end, s.coder)
        for s in session.scalars(select(SpanRow).where(SpanRow.code_id == target_code))
    }
    for span in session.scalars(select(SpanRow).where(SpanRow.code_id == source_code)).all():
        if (span.document_id, span.start, span.end, span.coder) in taken:
            session.delete(span)
        else:
            span.code_id = target_code
    session.flush()


def derive(session: Session, document_ids: Iterable[int], unit: str) -> int:
    """Put the code of every span on these document versions on the units of `unit` it touches (a new
    segmentation, a new version): rows already there stay as they are. Returns the rows added."""
    ids = sorted(set(document_ids))
    spans = stored_spans.spans_on_documents(session, ids)
    if not spans:
        return 0
    pairs: dict[str, set[tuple[int, str]]] = {}
    by_document: dict[int, list[SpanRow]] = {}
    for span in spans:
        by_document.setdefault(span.document_id, []).append(span)
    for document_id, found in by_document.items():
        segments = stored_segments.segment_spans(session, document_id, unit)
        for span in found:
            for segment_id in _overlapping(segments, [(span.start, span.end)]):
                pairs.setdefault(span.coder, set()).add((segment_id, span.code_id))
    return sum(stored_codings.add_human_codings(session, items, coder) for coder, items in pairs.items())


def derive_named(session: Session, names: Iterable[str], unit: str) -> int:
    """derive() for the current versions of the documents `names` (a segment run)."""
    query = select(DocumentRow.id).where(DocumentRow.name.in_(sorted(set(names))), is_current())
    return derive(session, session.scalars(query).all(), unit)


def carry_spans(session: Session, old_id: int, new_id: int, old_text: str, new_text: str) -> tuple[int, int]:
    """Copy a replaced version's spans to its new version as its codings are carried: where the text of the
    coding units a span codes is found unchanged (the nearest occurrence), the span moves with them; a span
    on a unit whose text changed stays on the previous version, as that unit's coding does.
    Returns spans carried and left on the previous version."""
    carried = left = 0
    placed: set[tuple[int, int, str, str]] = set()
    units = {unit: stored_segments.segment_spans(session, old_id, unit) for unit in _coded_units(session, old_id)}
    for span in stored_spans.spans_on_documents(session, [old_id]):
        start, end = span.start, span.end
        for segments in units.values():  # the span together with the units it touches
            for _, seg_start, seg_end in segments:
                if seg_start < span.end and span.start < seg_end:
                    start, end = min(start, seg_start), max(end, seg_end)
        found = _nearest(new_text, old_text[start:end], start)
        if found is None:
            left += 1
            continue
        shift = found - start
        key = (span.start + shift, span.end + shift, span.code_id, span.coder)
        carried += 1
        if key in placed:  # two spans met at one place: stored once
            continue
        placed.add(key)
        session.add(
            SpanRow(
                document_id=new_id,
                start=key[0],
                end=key[1],
                code_id=span.code_id,
                coder=span.coder,
                created_at=span.created_at,
            )
        )
    session.flush()
    return carried, left


def back_every_coding(session: Session, document_id: int) -> int:
    """Give each person's accepted coding on this version that no span of theirs touches its unit's span
    (what migration 0005 did for every project): a coding carried to a new version without its span
    (its span reached into text that changed) is then never taken off by removing some other span.
    Returns the spans added."""
    rows = session.execute(
        select(CodingRow.code_id, CodingRow.coder, SegmentRow.start, SegmentRow.end)
        .join(SegmentRow, SegmentRow.id == CodingRow.segment_id)
        .where(
            SegmentRow.document_id == document_id,
            CodingRow.status == ACCEPTED,
            or_(CodingRow.source == HUMAN, CodingRow.decided_by == CodingRow.coder),
        )
    ).all()
    ranges: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for span in stored_spans.spans_on_documents(session, [document_id]):
        ranges.setdefault((span.code_id, span.coder), []).append((span.start, span.end))
    added = 0
    for code_id, coder, start, end in rows:
        known = ranges.setdefault((code_id, coder), [])
        if any(a < end and start < b for a, b in known):
            continue
        added += stored_spans.add_span(session, document_id, start, end, code_id, coder)[1]
        known.append((start, end))
    return added


def _coded_units(session: Session, document_id: int) -> set[str]:
    """The units a document version has codings on."""
    query = (
        select(SegmentRow.unit)
        .join(CodingRow, CodingRow.segment_id == SegmentRow.id)
        .where(SegmentRow.document_id == document_id)
        .distinct()
    )
    return set(session.scalars(query))


def _nearest(text: str, piece: str, near: int) -> int | None:
    best = None
    at = text.find(piece)
    while at >= 0:
        if best is None or abs(at - near) < abs(best - near):
            best = at
        at = text.find(piece, at + 1)
    return best


def _overlapping(segments: Sequence[tuple[int, int, int]], ranges: Sequence[tuple[int, int]]) -> list[int]:
    """Ids of `segments` ((id, start, end), any order) sharing a character with any of `ranges`."""
    return [
        segment_id
        for segment_id, seg_start, seg_end in segments
        if any(seg_start < end and start < seg_end for start, end in ranges)
    ]


def _strip(text: str, start: int, end: int) -> tuple[int, int] | None:
    """[start, end) without white space at either end; None when nothing but white space is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None
