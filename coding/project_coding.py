"""A person's coding edits: codes applied and removed, suggestions decided, memos, span codings and search
hits coded at once. Part of the facade (Project inherits ProjectCoding). Every edit is one transaction,
logged with the row changes an undo puts back (coding/undo.py), on a document version still current.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .errors import ReplacedDocumentError, UsageError
from .models import ACCEPTED, HUMAN, REJECTED, SUGGESTED
from .project_core import ProjectCore, retried
from .store import Action
from .store import codings as stored_codings
from .store import memos as stored_memos
from .store import segments as stored_segments
from .store.changes import Recorder, memo_ids
from .store.log import write_log

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.orm import Session


class ProjectCoding(ProjectCore):
    def apply_code(self, segment_id: int, code_id: str, coder: str) -> None:
        """A person puts a code on a segment (no-op if they already did, from another tab too)."""
        self._known_code(code_id)
        self.store.retrying(lambda: self._apply_code(segment_id, code_id, coder))

    def _apply_code(self, segment_id: int, code_id: str, coder: str) -> None:
        from . import span_coding

        with self.store.transaction(write=True) as session:
            _current_segment(session, segment_id)
            existing = stored_codings.find_coding(session, segment_id, code_id, coder, lock=True)
            if existing is not None and existing.status == ACCEPTED:
                return
            rec = Recorder(session)
            span_id = span_coding.code_unit(session, rec, segment_id, code_id, coder)
            write_log(
                session,
                coder,
                Action.APPLY_CODE,
                segment_id=segment_id,
                code_id=code_id,
                code=code_id,
                span_id=span_id,
                changes=rec.changes(),
            )

    def remove_code(self, segment_id: int, code_id: str, coder: str) -> None:
        """A person takes their own code off a segment; the log keeps that it was there.

        Spans: the coder's spans of the code that cover the segment are trimmed around it (the parts before
        and after it stay, with the other units they touch); a span inside the segment goes. Undoable."""
        self.store.retrying(lambda: self._remove_code(segment_id, code_id, coder))

    def _remove_code(self, segment_id: int, code_id: str, coder: str) -> None:
        from . import span_coding

        with self.store.transaction(write=True) as session:
            _current_segment(session, segment_id)
            existing = stored_codings.find_coding(session, segment_id, code_id, coder, lock=True)
            if existing is None or existing.status == REJECTED:
                return
            rec = Recorder(session)
            rec.watch("codings", [existing.id])
            touched = span_coding.trim_around(session, rec, segment_id, code_id, coder)
            row = stored_codings.find_coding(session, segment_id, code_id, coder)
            if row is not None and row.status != REJECTED:  # a row no span stood behind
                if row.source == HUMAN:
                    stored_codings.delete_coding(session, row)
                else:  # their decision on a suggestion: it now says no
                    stored_codings.decide(session, row, REJECTED, coder)
            write_log(
                session,
                coder,
                Action.REMOVE_CODE,
                segment_id=segment_id,
                code_id=code_id,
                code=code_id,
                segments=sorted({segment_id, *touched}),
                changes=rec.changes(),
            )

    def decide_suggestion(self, coding_id: int, accept: bool, coder: str) -> None:
        """Accept or reject a rule or model suggestion for oneself; the decision survives later autocoding.

        The decision is the coder's own row: the suggestion stays pending for everyone else, so coders
        working blind each decide it, and nobody's decision replaces another's."""
        self.store.retrying(lambda: self._decide_suggestion(coding_id, accept, coder))

    def _decide_suggestion(self, coding_id: int, accept: bool, coder: str) -> None:
        from . import span_coding

        status = ACCEPTED if accept else REJECTED
        with self.store.transaction(write=True) as session:
            row = stored_codings.coding_row(session, coding_id)
            if row is None:
                raise UsageError(f"no coding with id {coding_id}")
            _current_segment(session, row.segment_id)
            if row.source == HUMAN:
                raise UsageError("only suggestions can be accepted or rejected; remove a person's code instead")
            if row.coder != row.source_name and row.coder != coder:
                raise UsageError(f"coding {coding_id} is {row.coder}'s decision; decide the suggestion itself")
            own = stored_codings.find_coding(session, row.segment_id, row.code_id, coder, lock=True)
            if own is not None and own.source == HUMAN and not accept:
                raise UsageError("you applied this code to the segment yourself; remove it instead of rejecting")
            previous = own.status if own is not None else SUGGESTED
            rec = Recorder(session)
            if own is not None:
                rec.watch("codings", [own.id])
            if not accept and previous == ACCEPTED:  # their spans of the code stop at the segment
                span_coding.trim_around(session, rec, row.segment_id, row.code_id, coder)
            if own is None:
                stored_codings.add_decision(session, row, coder, status)
                session.flush()  # as in _apply_code: another tab's decision is a unique-key error, retried
                own = stored_codings.find_coding(session, row.segment_id, row.code_id, coder)
                assert own is not None
                rec.created("codings", [own.id])
            else:
                stored_codings.decide(session, own, status, coder)
            if accept and previous != ACCEPTED:  # an accepted suggestion is a span of the unit's bounds
                span_coding.span_of_unit(session, rec, row.segment_id, row.code_id, coder)
            write_log(
                session,
                coder,
                Action.ACCEPT if accept else Action.REJECT,
                coding_id=coding_id,
                segment_id=row.segment_id,
                code_id=row.code_id,
                previous=previous,
                changes=rec.changes(),
            )

    def set_memo(self, segment_id: int, text: str, coder: str) -> None:
        self.store.retrying(lambda: self._set_memo(segment_id, text, coder))

    def _set_memo(self, segment_id: int, text: str, coder: str) -> None:
        with self.store.transaction(write=True) as session:
            _current_segment(session, segment_id)
            rec = Recorder(session)
            rec.watch("memos", memo_ids(session, segment_id, coder))
            previous = stored_memos.upsert_memo(session, segment_id, coder, text)
            session.flush()
            rec.created("memos", memo_ids(session, segment_id, coder))
            write_log(
                session, coder, Action.MEMO, segment_id=segment_id, previous=previous, text=text, changes=rec.changes()
            )

    # ----- span codings (coding/span_coding.py) ------------------------------------------------
    @retried
    def apply_span(self, document: str, start: int, end: int, code_id: str, coder: str) -> int:
        """A person codes the exact range [start, end) of `document` (code points into its text, as segment
        offsets) with `code_id`; returns the span id. Nothing is snapped (the dashboard snaps to words).

        The code goes on every coding unit of the project's unit that the span touches (a row there already
        is reused), which is what crosstabs, agreement and exports count. Refused (UsageError) for an empty
        or out-of-range span, an unknown code or document; ReplacedDocumentError for a replaced one.
        Logged as apply_span: undo(coder) takes it back."""
        from . import span_coding

        self._known_code(code_id)
        with self.store.transaction(write=True) as session:
            row = span_coding.document_for_edit(session, document)
            span_coding.check_range(document, row.text, start, end)
            rec = Recorder(session)
            span_id, touched = span_coding.add_span(session, rec, row, start, end, code_id, coder, self.unit)
            changes = rec.changes()
            if not changes:  # the coder's same span again (another tab, a double click): nothing to log
                return span_id
            write_log(
                session,
                coder,
                Action.APPLY_SPAN,
                f"span {span_id}",
                segment_id=touched[0] if touched else None,
                code_id=code_id,
                document=document,
                start=start,
                end=end,
                span_id=span_id,
                segments=touched,
                changes=changes,
            )
        return span_id

    @retried
    def apply_spans(self, document: str, start: int, end: int, code_ids: Sequence[str], coder: str) -> list[int]:
        """apply_span for several codes on one range, as one action: undo(coder) takes them all back in one step.
        Returns the span ids in the order of code_ids."""
        from . import span_coding

        for code_id in code_ids:
            self._known_code(code_id)
        with self.store.transaction(write=True) as session:
            return span_coding.code_range(session, document, start, end, code_ids, coder, self.unit)

    @retried
    def remove_span(self, span_id: int, coder: str) -> None:
        """A person removes their own span (another's is refused); unit rows that no other span of theirs
        with the same code touches are taken off (a decision on a suggestion becomes a rejection).
        Logged as remove_span: undo(coder) puts it back."""
        from . import span_coding

        with self.store.transaction(write=True) as session:
            rec = Recorder(session)
            span, name, changed = span_coding.remove_span(session, rec, span_id, coder)
            write_log(
                session,
                coder,
                Action.REMOVE_SPAN,
                f"span {span_id}",
                segment_id=changed[0] if changed else None,
                code_id=span.code_id,
                document=name,
                start=span.start,
                end=span.end,
                span_id=span_id,
                segments=changed,
                changes=rec.changes(),
            )

    def spans(self, document: str | None = None, coders: Sequence[str] | None = None) -> pd.DataFrame:
        """Span codings on current documents (of `document`, by `coders`, if given), in text order:
        id, document, start, end, code_id, code_name, coder, text, created_at."""
        frame = self.store.spans_frame(document, coders)
        names = {code.id: code.name for code in self.store.codes()}
        texts = self.store.document_texts(frame["document"].unique().tolist()) if len(frame) else {}
        frame = frame.assign(
            code_name=frame["code_id"].map(names),
            text=[
                texts[d][int(a) : int(b)]
                for d, a, b in zip(frame["document"], frame["start"], frame["end"], strict=True)
            ],
        )
        columns = ["id", "document", "start", "end", "code_id", "code_name", "coder", "text", "created_at"]
        return frame[columns].reset_index(drop=True)

    @retried
    def code_hits(self, hits: pd.DataFrame, actor: str | None = None) -> list[int]:
        """Code many ranges at once (search hits): `hits` has document, start, end, code_id and coder (one
        coder). All are checked first and stored in one transaction, logged as one code_hits entry, so
        undo(coder) takes the whole batch back in one step. Returns the span ids in the order of `hits`."""
        from . import span_coding

        missing = [c for c in ("document", "start", "end", "code_id", "coder") if c not in hits.columns]
        if missing:
            raise UsageError(f"hits need the column(s) {', '.join(missing)}")
        coders = sorted(set(hits["coder"].astype(str)))
        if len(coders) > 1:
            raise UsageError(f"hits of one coder at a time, not of {', '.join(coders)}")
        if not len(hits):
            return []
        coder = coders[0]
        for code_id in sorted(set(hits["code_id"].astype(str))):
            self._known_code(code_id)
        ids: list[int] = []
        touched: set[int] = set()
        with self.store.transaction(write=True) as session:
            rec = Recorder(session)
            documents = {}
            for name in sorted(set(hits["document"].astype(str))):
                documents[name] = span_coding.document_for_edit(session, name)
            columns = (hits["document"].astype(str), hits["start"], hits["end"], hits["code_id"].astype(str))
            rows = list(zip(*columns, strict=True))
            for name, start, end, _ in rows:
                span_coding.check_range(name, documents[name].text, int(start), int(end))
            for name, start, end, code_id in rows:
                span_id, units = span_coding.add_span(
                    session, rec, documents[name], int(start), int(end), code_id, coder, self.unit
                )
                ids.append(span_id)
                touched.update(units)
            changes = rec.changes()
            if not changes:  # every hit coded so already
                return ids
            write_log(
                session,
                actor or coder,
                Action.CODE_HITS,
                f"{len(ids)} spans",
                segment_id=min(touched) if touched else None,
                code_id=rows[0][3] if len({r[3] for r in rows}) == 1 else None,
                spans=ids,
                segments=sorted(touched),
                changes=changes,
            )
        return ids


def _current_segment(session: Session, segment_id: int) -> str:
    """The document of a segment about to be coded; refused if the segment is on a version no longer current
    (replaced or removed), where a coding would be stored but counted and exported nowhere."""
    found = stored_segments.segment_version(session, segment_id)
    if found is None:
        raise UsageError(f"no segment with id {segment_id}")
    name, current = found
    if not current:
        raise ReplacedDocumentError(
            f"segment {segment_id} is on a version of document {name!r} that is no longer current (replaced by a "
            "new version or removed): nothing was stored; reload the document and code its current version"
        )
    return name
