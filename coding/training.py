"""Train the code classifier on human codings, suggest codes, and pick what to code next.

Training data: the respondent segments of every document a chosen coder has coded; a segment's labels
are the codes those coders gave it (none = a negative example for every code).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import UsageError
from .models import INTERVIEWER, MODEL, Codebook, Proposal, Segment
from .store import Action, Store
from .store.log import write_log

if TYPE_CHECKING:
    from .coders.model import CodeModel

MODEL_FILE = Path("models") / "codes.skops"
MIN_SEGMENTS = 20


def model_path(folder: Path) -> Path:
    """Where a project folder keeps its trained model."""
    return folder / MODEL_FILE


def training_data(
    codings: pd.DataFrame, segments: Sequence[Segment], coders: Sequence[str] | None
) -> tuple[list[Segment], list[set[str]]]:
    """The respondent segments of coded documents and each one's codes, from the chosen coders' human codings."""
    if codings.empty:
        who = f" by {', '.join(coders)}" if coders else ""
        raise UsageError(f"no human codings{who} to learn from: code some segments or import codings first")
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


def train(
    store: Store,
    path: Path,
    codings: pd.DataFrame,
    segments: Sequence[Segment],
    codebook: Codebook,
    codebook_version: str,
    pipeline: str | None,
    coders: Sequence[str] | None = None,
    embedding: Path | None = None,
) -> pd.DataFrame:
    """Cross-validate by respondent, fit on everything, save the model at `path`; returns the per-code report.

    codings: the chosen coders' human codings; segments: the respondent segments of the project's unit;
    embedding: a local sentence-embedding model folder whose vectors join the sparse features."""
    from .coders.model import ModelConfig, cross_validate_model, train_model
    from .coders.model_file import save_model
    from .coders.rules import RuleCoder

    chosen, labels = training_data(codings, segments, coders)
    if len(chosen) < MIN_SEGMENTS:
        raise UsageError(f"only {len(chosen)} coded segments: code at least {MIN_SEGMENTS} before training")
    texts = [s.text for s in chosen]
    groups = respondents_of(store, chosen)
    codes = [code.id for code in codebook.tree_order()]
    parents = {code.id: code.parent for code in codebook.codes}
    rule_hits = RuleCoder(codebook, pipeline).match_texts(texts)
    questions = questions_for(store, chosen)
    config = ModelConfig(embedding=str(embedding)) if embedding else None
    # the same data and signals for the cross-validated report and for the model that is kept
    signals: dict[str, Any] = {
        "rule_hits": rule_hits,
        "parents": parents,
        "codebook": codebook,
        "questions": questions,
        "config": config,
    }
    report = cross_validate_model(texts, labels, groups, codes, **signals)
    fitted = train_model(texts, labels, groups, codes, **signals)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_model(fitted, path, codebook_version=codebook_version, data_hash=_data_hash(chosen, labels))
    with store.transaction(write=True) as session:
        write_log(
            session,
            "qcode",
            Action.TRAIN,
            str(path),
            segments=len(chosen),
            coders=list(coders or []),
            source_name=fitted.source_name,
        )
    return report


def questions_for(store: Store, segments: Sequence[Segment]) -> list[str]:
    """The interviewer's turn before each segment's turn ("" at a document's start): the question a
    respondent answers says much about what the answer is coded (docs/model.md measures the gain)."""
    names = sorted({s.document for s in segments})
    if not names:
        return []
    turns = store.turns_frame(names)
    texts = store.document_texts(names)
    asked: dict[tuple[str, int], str] = {}
    for document, rows in turns.groupby("document", sort=False):
        last = ""
        for turn in rows.sort_values("turn_index").itertuples(index=False):
            asked[(str(document), int(turn.turn_index))] = last
            if turn.role == INTERVIEWER:
                last = texts[str(document)][int(turn.start) : int(turn.end)]
    return [asked.get((s.document, s.turn_index), "") for s in segments]


def respondents_of(store: Store, segments: Sequence[Segment]) -> list[str]:
    """Each segment's respondent, read now (a cache here would miss documents ingested later)."""
    docs = store.documents_frame()
    respondent = dict(zip(docs["document"], docs["respondent_id"], strict=True))
    return [respondent.get(segment.document, segment.document) for segment in segments]


def load(path: Path, codebook: Codebook, codebook_version: str) -> CodeModel:
    from .coders.model_file import load_model

    if not path.exists():
        raise UsageError("no trained model in this project: run 'qcode train' first")
    return load_model(path, codebook_version=codebook_version, code_ids=[c.id for c in codebook.codes])


def uncoded(segments: Sequence[Segment], coded: set[int]) -> list[Segment]:
    """Segments no person has coded (`coded`: the ids of segments with a human coding): worth suggesting for."""
    return [s for s in segments if s.id not in coded]


def suggest(
    store: Store,
    fitted: CodeModel,
    segments: Sequence[Segment],
    coded: set[int],
    codebook: Codebook,
    pipeline: str | None,
    rules_run: bool = False,
) -> tuple[str, list[Proposal]]:
    """The model's suggestions for the segments nobody has coded yet. A code the model has too few
    examples for falls back to its keyword rule here, unless the rules run beside it (`rules_run`)."""
    from .coders.rules import RuleCoder

    todo = uncoded(segments, coded)
    texts = [s.text for s in todo]
    rule_hits = RuleCoder(codebook, pipeline).match_texts(texts) if todo else []
    questions = questions_for(store, todo)
    predictions = (
        fitted.predict(texts, rule_hits=rule_hits, questions=questions, fallback=not rules_run) if todo else []
    )
    proposals = [
        Proposal(int(segment.id or 0), code, MODEL, fitted.source_name, round(float(confidence), 4))
        for segment, found in zip(todo, predictions, strict=True)
        for code, confidence in found.items()
    ]
    return fitted.source_name, proposals


def code_next(
    store: Store,
    fitted: CodeModel,
    segments: Sequence[Segment],
    coded: set[int],
    codebook: Codebook,
    pipeline: str | None,
    k: int = 10,
) -> pd.DataFrame:
    """The uncoded segments whose human coding would teach the model most (uncertain, varied respondents)."""
    from .coders.active import rank_for_coding
    from .coders.rules import RuleCoder

    todo = uncoded(segments, coded)
    if not todo:
        return pd.DataFrame(columns=["segment_id", "document", "respondent_id", "text"])
    texts = [s.text for s in todo]
    rule_hits = RuleCoder(codebook, pipeline).match_texts(texts)
    groups = respondents_of(store, todo)
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
