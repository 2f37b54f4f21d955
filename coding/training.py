"""Train the code classifier on a project's human codings, suggest codes, and pick what to code next.

Training data: the respondent segments of every document a chosen coder has coded; a segment's labels
are the codes those coders gave it (none = a negative example for every code).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .errors import UsageError
from .models import MODEL, Proposal, Segment

if TYPE_CHECKING:
    from .project import Project

MODEL_FILE = Path("models") / "codes.skops"
MIN_SEGMENTS = 20


def model_path(project: Project) -> Path:
    return project.folder / MODEL_FILE


def training_data(project: Project, coders: Sequence[str] | None) -> tuple[list[Segment], list[set[str]]]:
    codings = project.codings("human", coders)
    if codings.empty:
        who = f" by {', '.join(coders)}" if coders else ""
        raise UsageError(f"no human codings{who} to learn from: code some segments or import codings first")
    segments = [s for s in project.segments() if s.role == "respondent"]
    by_id = {s.id: s for s in segments}
    coded_docs = {by_id[int(i)].document for i in codings["segment_id"] if int(i) in by_id}
    chosen = [s for s in segments if s.document in coded_docs]
    labels: dict[int, set[str]] = {}
    for segment_id, code in zip(codings["segment_id"], codings["code"], strict=True):
        labels.setdefault(int(segment_id), set()).add(str(code))
    return chosen, [labels.get(s.id or -1, set()) for s in chosen]


def _data_hash(segments: Sequence[Segment], labels: Sequence[set[str]]) -> str:
    digest = hashlib.sha256()
    for segment, label in zip(segments, labels, strict=True):
        digest.update(segment.text.encode("utf-8"))
        digest.update(json.dumps(sorted(label)).encode("utf-8"))
    return digest.hexdigest()


def train(project: Project, coders: Sequence[str] | None = None, progress=None) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """Cross-validate by respondent, fit on everything, save the model; returns the per-code report."""
    from .coders.model import cross_validate_model, save_model, train_model
    from .coders.rules import RuleCoder

    segments, labels = training_data(project, coders)
    if len(segments) < MIN_SEGMENTS:
        raise UsageError(f"only {len(segments)} coded segments: code at least {MIN_SEGMENTS} before training")
    texts = [s.text for s in segments]
    groups = respondents_of(project, segments)
    codebook = project.codebook
    codes = [code.id for code in codebook.tree_order()]
    parents = {code.id: code.parent for code in codebook.codes}
    rule_hits = RuleCoder(codebook, project.config.pipeline or None).match_texts(texts)
    report = cross_validate_model(texts, labels, groups, codes, rule_hits=rule_hits, parents=parents)
    fitted = train_model(texts, labels, groups, codes, rule_hits=rule_hits, parents=parents)
    path = model_path(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_model(fitted, path, codebook_version=project.codebook_version(), data_hash=_data_hash(segments, labels))
    with project.store.transaction() as session:
        project.store.log(
            session,
            "qcode",
            "train",
            str(path),
            segments=len(segments),
            coders=list(coders or []),
            source_name=fitted.source_name,
        )
    return report


def respondents_of(project: Project, segments: Sequence[Segment]) -> list[str]:
    """Each segment's respondent, read now (a cache here would miss documents ingested later)."""
    docs = project.store.documents_frame()
    respondent = dict(zip(docs["document"], docs["respondent_id"], strict=True))
    return [respondent.get(segment.document, segment.document) for segment in segments]


def load(project: Project):  # type: ignore[no-untyped-def]
    from .coders.model import load_model

    path = model_path(project)
    if not path.exists():
        raise UsageError("no trained model in this project: run 'qcode train' first")
    return load_model(
        path, codebook_version=project.codebook_version(), code_ids=[c.id for c in project.codebook.codes]
    )


def uncoded(project: Project, segments: Sequence[Segment]) -> list[Segment]:
    """Segments no person has coded: the ones worth suggesting for."""
    human = set(project.codings("human")["segment_id"].astype(int))
    return [s for s in segments if s.id not in human]


def suggest(project: Project, segments: Sequence[Segment]) -> tuple[str, list[Proposal]]:
    from .coders.rules import RuleCoder

    fitted = load(project)
    todo = uncoded(project, segments)
    texts = [s.text for s in todo]
    rule_hits = RuleCoder(project.codebook, project.config.pipeline or None).match_texts(texts) if todo else []
    predictions = fitted.predict(texts, rule_hits=rule_hits) if todo else []
    proposals = [
        Proposal(int(segment.id or 0), code, MODEL, fitted.source_name, round(float(confidence), 4))
        for segment, found in zip(todo, predictions, strict=True)
        for code, confidence in found.items()
    ]
    return fitted.source_name, proposals


def code_next(project: Project, k: int = 10) -> pd.DataFrame:
    """The uncoded segments whose human coding would teach the model most (uncertain, varied respondents)."""
    from .coders.active import rank_for_coding
    from .coders.rules import RuleCoder

    fitted = load(project)
    todo = uncoded(project, [s for s in project.segments() if s.role == "respondent"])
    if not todo:
        return pd.DataFrame(columns=["segment_id", "document", "respondent_id", "text"])
    texts = [s.text for s in todo]
    rule_hits = RuleCoder(project.codebook, project.config.pipeline or None).match_texts(texts)
    groups = respondents_of(project, todo)
    order = rank_for_coding(fitted, texts, groups, k, rule_hits=rule_hits)
    chosen = [todo[i] for i in order]
    return pd.DataFrame(
        {
            "segment_id": [s.id for s in chosen],
            "document": [s.document for s in chosen],
            "respondent_id": [groups[i] for i in order],
            "text": [s.text for s in chosen],
        }
    )
