"""Bring transcripts and respondent attributes into a project, all or nothing.

Re-ingesting an unchanged file does nothing. A changed file is refused unless `replace`: then the new
version becomes the document, the previous version stays in the database with all its codings and memos,
and codings and memos whose segment text is found unchanged in the new version are carried over to it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from . import span_coding
from .errors import IngestError, offset_in_file
from .models import Document, Segment
from .names import name_problem
from .store import Action, Store
from .store import codings as stored_codings
from .store import documents as stored_documents
from .store import memos as stored_memos
from .store import segments as stored_segments
from .store.log import write_log
from .transcripts import TranscriptOptions, find_transcripts, read_transcript

Segmenter = Callable[[Sequence[Document], str], list[Segment]]


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # unchanged files of removed documents, left out
    respondents: int = 0
    codings_carried: int = 0
    codings_left_on_previous: int = 0
    memos_carried: int = 0
    memos_left_on_previous: int = 0

    def summary(self) -> str:
        parts = [f"{len(self.added)} added", f"{len(self.unchanged)} unchanged"]
        if self.replaced:
            parts.append(
                f"{len(self.replaced)} replaced ({self.codings_carried} codings carried over, "
                f"{self.codings_left_on_previous} kept only on the previous version"
                + (
                    f"; {self.memos_carried} memos carried over, {self.memos_left_on_previous} kept only there)"
                    if self.memos_carried or self.memos_left_on_previous
                    else ")"
                )
            )
        if self.removed:
            parts.append(f"{len(self.removed)} left out as removed ('qcode restore DOCUMENT' brings one back)")
        if self.respondents:
            parts.append(f"{self.respondents} respondents' attributes read")
        return "documents: " + ", ".join(parts)


def read_respondents_csv(path: str | Path) -> dict[str, dict[str, str]]:
    """respondent_id -> attributes from a CSV with a header row and a respondent_id column."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(path, "no such file")
    try:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(path, f"not valid UTF-8 (byte offset {offset_in_file(data, exc)})") from None
    if "\x00" in text:
        raise IngestError(
            path, "contains a NUL character: not a text file", line=text.count("\n", 0, text.index("\x00")) + 1
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)  # quoted fields may span lines
    rows: list[tuple[int, list[str]]] = []
    try:
        rows.extend((reader.line_num, row) for row in reader)
    except csv.Error as exc:  # an overlong field (the csv module's limit), a quote left open
        raise IngestError(path, f"not readable as CSV ({exc})", line=reader.line_num) from None
    if not rows or not any(cell.strip() for cell in rows[0][1]):
        raise IngestError(path, "empty file: expected a header row with a respondent_id column")
    header = [cell.strip() for cell in rows[0][1]]
    if "respondent_id" not in header:
        raise IngestError(path, "no respondent_id column in the header row", line=1)
    if len(set(header)) != len(header):
        raise IngestError(path, "duplicate column names in the header row", line=1)
    key = header.index("respondent_id")
    result: dict[str, dict[str, str]] = {}
    for line, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise IngestError(path, f"expected {len(header)} fields, found {len(row)}", line=line)
        respondent = row[key].strip()
        if not respondent:
            raise IngestError(path, "empty respondent_id", line=line)
        problem = name_problem(respondent)
        if problem:
            raise IngestError(path, f"respondent_id {respondent[:40]!r}: {problem}", line=line)
        if respondent in result:
            raise IngestError(path, f"respondent {respondent!r} appears twice", line=line)
        result[respondent] = {h: v.strip() for h, v in zip(header, row, strict=True) if h != "respondent_id"}
    return result


# Transcripts read, parsed and written at a time: what ingest holds stays a few megabytes whatever the corpus.
DOCUMENTS_PER_BATCH = 200


def ingest(
    store: Store,
    paths: Sequence[str | Path],
    *,
    metadata: str | Path | None,
    options: TranscriptOptions,
    segmenter: Segmenter,
    replace: bool = False,
    actor: str = "qcode",
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """All or nothing, in one transaction: files are read, parsed and written in batches of
    DOCUMENTS_PER_BATCH, so memory stays flat as the corpus grows (but for the replaced versions of
    `--replace`, kept until the end); any error rolls back every batch written before it, leaving the
    project untouched (on PostgreSQL the ids those rows took are skipped: sequences do not roll back)."""
    attributes = read_respondents_csv(metadata) if metadata else {}
    files = find_transcripts(paths) if paths else []
    report = IngestReport(respondents=len(attributes))
    with store.transaction(write=True) as session:
        to_replace: list[tuple[Document, int]] = []  # rare: versions whose codings are carried, one at a time
        removed = stored_documents.removed_versions(session)
        respondents = stored_documents.Respondents(session)
        respondents.upsert(attributes.items())
        for first in range(0, len(files), DOCUMENTS_PER_BATCH):
            documents = []
            for path in files[first : first + DOCUMENTS_PER_BATCH]:
                documents.append(read_transcript(path, options))
                if progress:
                    progress(1)
            current = stored_documents.current_versions(session, [d.name for d in documents])
            to_add = _sort(documents, current, removed, replace, report, to_replace)
            merged = [(d.respondent_id, {**d.attributes, **attributes.get(d.respondent_id, {})}) for d in to_add]
            stored_documents.add_documents(session, to_add, respondents.upsert(merged))
            report.added.extend(d.name for d in to_add)
        respondents.write_changes()
        for document, old_id in to_replace:
            carried, left, memos_carried, memos_left = _replace(session, document, old_id, attributes, segmenter)
            report.replaced.append(document.name)
            report.codings_carried += carried
            report.codings_left_on_previous += left
            report.memos_carried += memos_carried
            report.memos_left_on_previous += memos_left
        if not (report.added or report.replaced or attributes):
            return report  # nothing changed: nothing to log
        write_log(
            session,
            actor,
            Action.INGEST,
            ", ".join(report.added + report.replaced)[:2000],
            added=len(report.added),
            replaced=len(report.replaced),
            metadata=str(metadata or ""),
        )
    return report


def _sort(
    documents: list[Document],
    current: dict[str, tuple[int, str]],
    removed: dict[str, tuple[int, str]],
    replace: bool,
    report: IngestReport,
    to_replace: list[tuple[Document, int]],
) -> list[Document]:
    """What becomes of each document read: the new ones (returned), the unchanged and removed ones (noted in
    the report), new versions (appended to to_replace); a change without `replace` is an IngestError."""
    to_add: list[Document] = []
    for document in documents:
        existing = current.get(document.name)
        was_removed = removed.get(document.name)
        if existing is None and was_removed and was_removed[1] == document.sha256:
            report.removed.append(document.name)  # removed on purpose: the same file does not bring it back
        elif existing is None and was_removed and not replace:
            raise IngestError(
                document.source_path,
                f"document {document.name!r} was removed and this file differs from it; pass --replace to "
                f"make it the new version (codings are carried over where their text is unchanged), or "
                f"'qcode restore {document.name}' first",
            )
        elif existing is None and was_removed:
            to_replace.append((document, was_removed[0]))  # a new version of the removed one: nothing stranded
        elif existing is None:
            to_add.append(document)
        elif existing[1] == document.sha256:
            report.unchanged.append(document.name)
        elif not replace:
            raise IngestError(
                document.source_path,
                f"document {document.name!r} has changed since it was ingested; pass --replace to "
                "replace it (codings are carried over where their text is unchanged, the rest stay "
                "on the previous version)",
            )
        else:
            to_replace.append((document, existing[0]))
    return to_add


def _add(session: Session, document: Document, metadata: dict[str, dict[str, str]]) -> int:
    merged = {**document.attributes, **metadata.get(document.respondent_id, {})}
    respondent_pk = stored_documents.upsert_respondent(session, document.respondent_id, merged)
    return stored_documents.add_document(session, document, respondent_pk)


def _replace(
    session: Session,
    document: Document,
    old_id: int,
    metadata: dict[str, dict[str, str]],
    segmenter: Segmenter,
) -> tuple[int, int, int, int]:
    """Add the new version, retire the old one, carry codings and memos whose text is found unchanged.

    Returns codings carried and left on the previous version, then memos carried and left."""
    # The old version is taken out first (pointing at itself until the new one has an id): from here its row
    # is locked (PostgreSQL), so a coder's edit on it has either committed, and is read below to be carried,
    # or waits and is then refused (Project.apply_code); and the new version is the one current of its name.
    stored_documents.retire_document(session, old_id, old_id)
    old_codings = stored_codings.codings_on_document(session, old_id)
    old_memos = stored_memos.memos_on_document(session, old_id)
    old_text = stored_documents.document_text_by_id(session, old_id)
    new_id = _add(session, document, metadata)
    stored_documents.retire_document(session, old_id, new_id)
    copied: set[tuple[int, str, str]] = set()  # (segment, code, coder) is unique: two old codings may meet
    noted: set[tuple[int, str]] = set()  # one memo per segment and coder
    units = {unit for _, _, _, unit in old_codings} | {unit for _, _, _, unit in old_memos}
    for unit in sorted(units | stored_segments.document_units(session, old_id)):
        stored_segments.add_segments(session, segmenter([document], unit), unit)
        target = _same_text(old_text, document.text, stored_segments.segment_spans(session, new_id, unit))
        for row, start, end, coded_unit in old_codings:
            segment = target(start, end) if coded_unit == unit else None
            if segment is not None and (segment, row.code_id, row.coder) not in copied:
                copied.add((segment, row.code_id, row.coder))
                stored_codings.copy_coding(session, row, segment)
        for memo, start, end, memo_unit in old_memos:
            segment = target(start, end) if memo_unit == unit else None
            if segment is not None and (segment, memo.coder) not in noted:
                noted.add((segment, memo.coder))
                stored_memos.copy_memo(session, memo, segment)
    # Spans follow their text (not only whole unchanged units): each found again is carried, and puts its
    # code on the new version's units; rows added that way count as carried.
    span_coding.carry_spans(session, old_id, new_id, old_text, document.text)
    span_coding.back_every_coding(session, new_id)  # codings carried without their span get their unit's
    new_units = sorted(stored_segments.document_units(session, new_id))
    derived = sum(span_coding.derive(session, [new_id], unit) for unit in new_units)
    carried = min(len(copied) + derived, len(old_codings))
    return carried, len(old_codings) - carried, len(noted), len(old_memos) - len(noted)


def _same_text(old_text: str, new_text: str, new_spans: list[tuple[int, int, int]]) -> Callable[[int, int], int | None]:
    """A finder: the new segment with exactly the old span's text, the nearest if it occurs more than once."""
    by_text: dict[str, list[tuple[int, int]]] = {}
    for segment_id, start, end in new_spans:
        by_text.setdefault(new_text[start:end], []).append((start, segment_id))

    def find(start: int, end: int) -> int | None:
        candidates = by_text.get(old_text[start:end], [])
        return min(candidates, key=lambda found: abs(found[0] - start))[1] if candidates else None

    return find
