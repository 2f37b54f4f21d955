"""A project to and from REFI-QDA (.qdpx projects, .qdc codebooks): the database side of coding.refiqda.

Export writes what people decided: a person's codes and the suggestions a person accepted, each by that
person; pending or rejected suggestions have no place in the standard and stay behind. Import adds
documents, codes, respondents and codings in one transaction; what cannot be imported is reported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import refiqda
from .errors import ImportFormatError, IngestError
from .models import RESPONDENT, Codebook, Document, Segment
from .refiqda import QdaCase, QdaCoding, QdaNote, QdaProject, QdaSelection, QdaSource, QdaUser, QdaVariable
from .selection import owners
from .spans import SegmentIndex
from .store import Action, Store
from .store import codebook as stored_codebook
from .store import codings as stored_codings
from .store import documents as stored_documents
from .store import segments as stored_segments
from .store import spans as stored_spans
from .store.log import write_log
from .transcripts import TranscriptOptions, make_turn, parse_turns, sha256_text

if TYPE_CHECKING:  # pandas loads in the functions that build frames, not on import
    import pandas as pd

# Cuts documents into segments of a unit (the facade's segmenter: spaCy for sentences).
Segmenter = Callable[[Sequence[Document], str], list[Segment]]


@dataclass
class ExchangeReport:
    documents_added: int = 0
    documents_matched: int = 0
    codes_added: int = 0
    codings_added: int = 0
    spans_added: int = 0
    respondents: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.documents_added} documents added, {self.documents_matched} already in the project, "
            f"{self.codes_added} codes added, {self.codings_added} codings added, "
            f"{self.respondents} respondents; {len(self.problems)} items not imported"
        )


# ----- export ---------------------------------------------------------------------------------
def project_to_qda(
    store: Store,
    name: str,
    codebook: Codebook,
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    memos: pd.DataFrame,
    respondents: pd.DataFrame,
    spans: pd.DataFrame,
) -> QdaProject:
    """segments: the respondent segments of the project's unit; codings: its human codings (people's codes
    and accepted suggestions); memos, respondents and spans as the facade reads them.

    Each span is a PlainTextSelection of its exact range; a coding no span of its person and code touches
    (a consensus decision) is a selection of its unit's bounds, as before spans existed."""
    guid = refiqda.qcode_guid
    segments = segments.set_index("segment_id")
    texts = store.document_texts()
    codings = codings.assign(person=owners(codings))
    users = sorted(set(codings["person"].dropna()) | set(memos["coder"]) | set(spans["coder"]))
    attributes = [c for c in respondents.columns if c != "respondent_id"]
    documents = store.documents_frame()
    sources = [QdaSource(guid("source", name), name, texts[name]) for name in documents["document"]]
    variables = [QdaVariable(guid("variable", a), a) for a in attributes]
    docs_of: dict[str, list[str]] = defaultdict(list)
    for name, respondent in zip(documents["document"], documents["respondent_id"], strict=True):
        docs_of[respondent].append(guid("source", name))
    cases = [
        QdaCase(
            guid("case", str(row["respondent_id"])),
            str(row["respondent_id"]),
            {guid("variable", a): str(row[a]) for a in attributes if isinstance(row[a], str) and row[a] != ""},
            docs_of.get(str(row["respondent_id"]), []),
        )
        for _, row in respondents.iterrows()
    ]
    selections = _span_selections(spans, set(documents["document"]))
    covered = _covered(codings, segments, spans)
    for segment_id, group in codings[~covered].groupby("segment_id"):  # codings no span stands behind
        seg = segments.loc[segment_id]
        selections.append(
            QdaSelection(
                guid("selection", str(segment_id)),
                guid("source", str(seg["document"])),
                int(seg["start"]),
                int(seg["end"]),
                guid("user", str(group["person"].iloc[0])),
                [
                    QdaCoding(refiqda.code_guid(code), guid("user", str(person)))
                    for code, person in zip(group["code"], group["person"], strict=True)
                ],
            )
        )
    memos = memos[memos["segment_id"].isin(segments.index)]
    targets = _memo_targets(selections, segments)
    notes = [
        QdaNote(
            guid("memo", str(row.memo_id)),
            f"memo by {row.coder}",
            str(row.memo),
            targets.get(int(row.segment_id)),
            guid("user", str(row.coder)),
        )
        for row in memos.itertuples(index=False)
    ]
    return QdaProject(
        name=name,
        users=[QdaUser(guid("user", u), u) for u in users],
        codes=refiqda.codes_from_codebook(codebook),
        variables=variables,
        cases=cases,
        sources=sources,
        selections=selections,
        notes=notes,
    )


def _span_selections(spans: pd.DataFrame, documents: set[str]) -> list[QdaSelection]:
    guid = refiqda.qcode_guid
    return [
        QdaSelection(
            guid("selection", f"span {span_id}"),
            guid("source", str(document)),
            int(start),
            int(end),
            guid("user", str(coder)),
            [QdaCoding(refiqda.code_guid(str(code)), guid("user", str(coder)))],
        )
        for span_id, document, start, end, code, coder in zip(
            spans["id"], spans["document"], spans["start"], spans["end"], spans["code_id"], spans["coder"], strict=True
        )
        if document in documents
    ]


def _covered(codings: pd.DataFrame, segments: pd.DataFrame, spans: pd.DataFrame) -> pd.Series:
    """Per coding: whether a span of its person and code touches its unit."""
    ranges: dict[tuple[str, str, str], list[tuple[int, int]]] = defaultdict(list)
    for document, start, end, code, coder in zip(
        spans["document"], spans["start"], spans["end"], spans["code_id"], spans["coder"], strict=True
    ):
        ranges[(str(document), str(code), str(coder))].append((int(start), int(end)))
    flags = []
    for segment_id, code, person in zip(codings["segment_id"], codings["code"], codings["person"], strict=True):
        seg = segments.loc[segment_id]
        found = ranges.get((str(seg["document"]), str(code), str(person)), [])
        flags.append(any(a < int(seg["end"]) and int(seg["start"]) < b for a, b in found))
    import pandas as pd

    return pd.Series(flags, index=codings.index, dtype=bool)


def _memo_targets(selections: list[QdaSelection], segments: pd.DataFrame) -> dict[int, str]:
    """The selection a memo on a segment comments on: the unit's own, else the first one touching it."""
    by_source: dict[str, list[QdaSelection]] = defaultdict(list)
    for selection in selections:
        by_source[selection.source].append(selection)
    targets: dict[int, str] = {}
    for segment_id, document, start, end in zip(
        segments.index, segments["document"], segments["start"], segments["end"], strict=True
    ):
        own = refiqda.qcode_guid("selection", str(segment_id))
        touching = [
            s.guid
            for s in by_source.get(refiqda.qcode_guid("source", str(document)), [])
            if s.start < int(end) and int(start) < s.end
        ]
        if touching:
            targets[int(segment_id)] = own if own in touching else touching[0]
    return targets


def export_qdpx(qda: QdaProject, path: Path) -> Path:
    return refiqda.write_qdpx(qda, path)


# ----- import ---------------------------------------------------------------------------------
def import_qdpx(
    store: Store,
    path: Path,
    codebook: Codebook,
    unit: str,
    options: TranscriptOptions,
    segment: Segmenter,
    actor: str = "qcode",
) -> ExchangeReport:
    """Add a .qdpx project's documents (segmented in `unit` by `segment`), codes, respondents and codings."""
    qda, file_report = refiqda.read_qdpx(path)
    report = ExchangeReport(problems=file_report.lines())
    incoming = refiqda.codebook_from_codes(qda.codes, name=qda.name)
    guid_to_id = refiqda.code_ids(qda.codes)
    existing = codebook.by_id()
    new_codes = [code for code in incoming.tree_order() if code.id not in existing]
    users = {user.guid: user.name or f"user-{user.guid[:8]}" for user in qda.users}
    respondent_of, attributes = _cases(qda)
    documents, matched = _documents(store.document_texts(), options, qda, respondent_of, report)
    report.documents_matched = len(matched)
    with store.transaction(write=True) as session:
        for code in new_codes:
            stored_codebook.add_code(session, code)
        report.codes_added = len(new_codes)
        for respondent_id, attrs in attributes.items():
            stored_documents.upsert_respondent(session, respondent_id, attrs)
        report.respondents = len(attributes)
        for document in documents:
            respondent_pk = stored_documents.upsert_respondent(session, document.respondent_id, {})
            stored_documents.add_document(session, document, respondent_pk)
        stored_segments.add_segments(session, segment(documents, unit), unit)
        session.flush()
        names_in_project = matched | {d.name for d in documents}
        index = SegmentIndex(stored_segments.segment_offsets(session, unit, sorted(names_in_project)))
        by_user: dict[str, set[tuple[int, str]]] = defaultdict(set)
        exact: set[tuple[str, int, int, str, str]] = set()  # every selection is a span, exactly
        names = {source.guid: source.name for source in qda.sources}
        for selection in qda.selections:
            name = names.get(selection.source)
            if name is None or name not in names_in_project:
                continue
            hits = index.overlapping(name, selection.start, selection.end)
            if not hits:
                report.problems.append(f"selection {selection.guid}: covers no coding unit (interviewer text?)")
            for coding in selection.codings:
                code_id = guid_to_id.get(coding.code)
                if code_id is None:
                    report.problems.append(f"selection {selection.guid}: unknown code {coding.code}")
                    continue
                person = users.get(coding.user or selection.user, "refi-import")
                by_user[person].update((segment_id, code_id) for segment_id in hits)
                if selection.start < selection.end:
                    exact.add((name, selection.start, selection.end, code_id, person))
        for person, items in by_user.items():
            report.codings_added += stored_codings.add_human_codings(session, items, person)
        report.spans_added = stored_spans.add_spans(session, exact)
        write_log(
            session,
            actor,
            Action.IMPORT_QDPX,
            str(path),
            **{k: v for k, v in report.__dict__.items() if k != "problems"},
        )
    return report


def _cases(qda: QdaProject) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """source guid -> respondent id (the case's name), and respondent attributes from variables."""
    variables = {variable.guid: variable.name for variable in qda.variables}
    respondent_of: dict[str, str] = {}
    attributes: dict[str, dict[str, str]] = {}
    for case in qda.cases:
        attributes[case.name] = {variables.get(g, g): v for g, v in case.values.items()}
        for source in case.sources:
            respondent_of[source] = case.name
    return respondent_of, attributes


def _documents(
    known: dict[str, str],
    options: TranscriptOptions,
    qda: QdaProject,
    respondent_of: dict[str, str],
    report: ExchangeReport,
) -> tuple[list[Document], set[str]]:
    """New documents from the sources; a source whose name is `known` with the same text is matched."""
    documents: list[Document] = []
    matched: set[str] = set()
    for source in qda.sources:
        name = Path(source.name).stem or source.guid
        source.name = name
        if name in known:
            if known[name] == source.text:
                matched.add(name)
            else:
                report.problems.append(f"source {name!r}: a different document of that name is in the project")
            continue
        if not source.text.strip():
            report.problems.append(f"source {name!r}: empty text")
            continue
        respondent = respondent_of.get(source.guid, name)
        documents.append(_document(name, respondent, source.text, options))
    report.documents_added = len(documents)
    return documents, matched


def _document(name: str, respondent: str, text: str, options: TranscriptOptions) -> Document:
    """Speaker turns when the text has them; otherwise the whole text is one respondent turn."""
    try:
        turns = parse_turns(text, name, respondent, options)
    except IngestError:
        turns = [make_turn(text, 0, respondent, RESPONDENT, 0, len(text))]
    return Document(name, respondent, text, turns, {}, sha256_text(text), f"qdpx:{name}")


# ----- codebooks ------------------------------------------------------------------------------
def read_any_codebook(path: Path) -> Codebook:
    """YAML or REFI-QDA .qdc, by extension."""
    if path.suffix.lower() == ".qdc":
        return refiqda.read_qdc(path)
    from .codebook import load_codebook

    return load_codebook(path)


def import_qdc(store: Store, path: Path, codebook: Codebook, actor: str = "qcode") -> int:
    """Add the codes of a .qdc (or YAML) codebook that the project's `codebook` does not have yet."""
    incoming = read_any_codebook(path)
    existing = codebook.by_id()
    new = [code for code in incoming.tree_order() if code.id not in existing]
    unknown_parents = [
        c.id for c in new if c.parent and c.parent not in existing and c.parent not in {n.id for n in new}
    ]
    if unknown_parents:
        raise ImportFormatError(path, f"codes with unknown parents: {', '.join(unknown_parents)}")
    with store.transaction(write=True) as session:
        for code in new:
            stored_codebook.add_code(session, code)
        write_log(session, actor, Action.IMPORT_CODEBOOK, str(path), added=len(new))
    return len(new)


CODEBOOK_FILES = (".qdc", ".yaml", ".yml")  # other suffixes are tables for an appendix (coding.publication)


def export_codebook(codebook: Codebook, path: Path) -> int:
    """.qdc (REFI-QDA) or .yaml/.yml (qcode)."""
    if path.suffix.lower() == ".qdc":
        refiqda.write_qdc(codebook, path)
    else:
        from .codebook import write_codebook

        write_codebook(codebook, path)
    return len(codebook.codes)
