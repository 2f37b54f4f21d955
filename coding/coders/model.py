"""Learned coder: code suggestions learned from the researcher's own coding and codebook.

One linear SVM per code over word and character n-gram TF-IDF (coding.coders.features), optionally
with the features scaled by the code's naive-Bayes log-count ratios (NB-SVM), the codebook's own
definitions, include notes and examples as extra positive texts, the interviewer's question and the
neighbouring units as separate feature blocks, and a sentence embedding (coding.coders.embedding).
Each code's decision threshold and its confidence calibration come from out-of-fold scores of an
inner cross-validation grouped by respondent, so a respondent's own turns never vouch for themselves.
When the caller supplies keyword-rule hits, the code's own rule hit enters the calibration as a
second input next to the classifier's score: the data decide how much a rule match is worth.
Codes with too few coded examples get no classifier and say so (`CodeModel.status`); their keyword
rule stands in, with the rule's precision on the training texts as its confidence.

Pure: texts in, confidences out. Saving and loading live in model_file.py (skops, plain data only).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from coding.coders.features import SegmentFeatures, word_contributions
from coding.coders.metrics import bootstrap_kappas, code_metrics
from coding.coders.metrics import indicator as _indicator
from coding.errors import QcodeError
from coding.models import MODEL, Codebook, Proposal, Segment

NAME = "model.v1"
# Nonzero features in the training matrix from which fits run in worker processes (bench/model_speed.py:
# below it, starting them and shipping the matrix costs about what they save).
PARALLEL_FROM = 1_000_000
PLATT_C = 10.0  # nearly unregularised Platt scaling, yet finite under perfect separation
REASON_TERMS = 3  # words named in a suggestion's reason

# A code's status: what stands behind its suggestions.
MODELLED = "model"
RULES_ONLY = "rules only"
NOTHING = "no suggestions"

__all__ = [
    "MODELLED",
    "NAME",
    "NOTHING",
    "RULES_ONLY",
    "CodeModel",
    "ModelCodebookWarning",
    "ModelConfig",
    "ModelError",
    "Suggestion",
    "code_metrics",
    "codebook_texts",
    "cross_validate_model",
    "cross_validated_predictions",
    "grouped_folds",
    "train_model",
    "training_hash",
]


class ModelError(QcodeError):
    """A model cannot be trained, loaded or applied as asked."""


class ModelCodebookWarning(UserWarning):
    """The codebook gained codes (or changed rules) since the model was trained: retraining helps."""


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters, chosen by nested respondent-grouped cross-validation on the dev set (docs/model.md)."""

    char_ngrams: tuple[int, int] = (3, 5)  # 2-grams added a fifth of the features and no kappa (docs/model.md)
    C: float = 0.1  # LinearSVC regularisation
    tol: float = 3e-2  # LinearSVC stopping tolerance (its default 1e-4): same dev-set kappa, a fraction of the time
    inner_splits: int = 5  # grouped folds for thresholds and calibration
    # From this many texts on, 3 inner folds: out-of-fold scores are plentiful either way, and
    # training 5,000 segments stays near 10 s on 2 cores (docs/model.md).
    large: int = 2000
    use_rules: bool = True  # use rule hits in calibration when the caller supplies them
    # Worker processes over codes (None: up to 2 once the texts hold PARALLEL_FROM features, else one).
    # Processes, not threads: liblinear's random generator is process-global, so threaded fits differ
    # from run to run; in processes every fit is seeded alone and gives the same weights as in one.
    n_jobs: int | None = None
    # Defaults chosen by nested and leave-one-group-out CV (docs/model.md, bench/evaluate_model.py):
    # NB scaling lost 0.02 macro kappa to the plain SVM once the codebook text was in; the question
    # block gained +0.018 (grouped) and +0.028 (leave one group out, paired interval above 0);
    # the neighbours block gained nothing measurable (+0.001 / +0.010).
    nb_scaling: bool = False  # scale features by naive-Bayes log-count ratios (NB-SVM)
    codebook_text: bool = True  # the codebook's definition, include note and examples as positive texts
    question_weight: float = 0.5  # weight of the interviewer's-question block (used when questions are given)
    neighbour_weight: float = 0.0  # weight of the neighbouring-units block (0: not used)
    context_chars: bool = False  # character n-grams in the context blocks too (else words only)
    embedding: str | None = None  # a local sentence-embedding model folder (coding.coders.embedding)
    embedding_weight: float = 1.0


@dataclass(frozen=True)
class Suggestion:
    """One suggested code for one text: its calibrated confidence and why, in a few words."""

    code: str
    confidence: float
    reason: str
    by: str = MODELLED  # MODELLED, or RULES_ONLY for a code whose rule stands in for the model


@dataclass
class CodeModel:
    """A trained model: per-code linear scores, Platt calibration and thresholds on the probability."""

    code_ids: list[str]  # every code of the codebook it was trained with
    modelled: list[str]  # codes with a classifier, in the column order of predict_proba
    skipped: dict[str, str]  # code id -> why it has no classifier
    features: SegmentFeatures
    weights: np.ndarray  # (n_features, n_modelled)
    bias: np.ndarray  # (n_modelled,)
    calibration: np.ndarray  # (n_modelled, 3): score slope, rule-hit slope, intercept
    thresholds: np.ndarray  # (n_modelled,) on calibrated probability
    parents: dict[str, str] = field(default_factory=dict)  # child -> parent, among modelled codes
    uses_rules: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)
    source_name: str = NAME
    # code -> (status, explanation): MODELLED, RULES_ONLY or NOTHING, and why, for every code
    status: dict[str, tuple[str, str]] = field(default_factory=dict)
    # code -> confidence of a rule hit, for RULES_ONLY codes (the rule's precision on the training texts)
    rule_confidence: dict[str, float] = field(default_factory=dict)

    def scores(
        self, texts: Sequence[str], questions: Sequence[str] | None = None, neighbours: Sequence[str] | None = None
    ) -> np.ndarray:
        """Raw classifier margins, (n_texts, n_modelled)."""
        _check_context(len(texts), questions, neighbours)
        features = self.features.transform(list(texts), questions, neighbours)
        return np.asarray(features @ self.weights) + self.bias

    def predict_proba(
        self,
        texts: Sequence[str],
        rule_hits: Sequence[set[str]] | None = None,
        *,
        questions: Sequence[str] | None = None,
        neighbours: Sequence[str] | None = None,
    ) -> np.ndarray:
        """Calibrated confidence of every modelled code, (n_texts, n_modelled) in `modelled` order.

        A child code implies its parent, so a parent is at least as likely as its likeliest child.
        """
        rules = self._rule_matrix(rule_hits, len(texts))
        proba = _calibrate(self.scores(texts, questions, neighbours), rules, self.calibration)
        column = {code: j for j, code in enumerate(self.modelled)}
        for child in sorted(self.parents, key=self._depth, reverse=True):  # grandchildren first
            parent = self.parents[child]
            proba[:, column[parent]] = np.maximum(proba[:, column[parent]], _decided(proba, column, child, self))
        return proba

    def _depth(self, code: str) -> int:
        depth, seen = 0, {code}
        while code in self.parents and self.parents[code] not in seen:
            code = self.parents[code]
            seen.add(code)
            depth += 1
        return depth

    def predict(
        self,
        texts: Sequence[str],
        rule_hits: Sequence[set[str]] | None = None,
        *,
        questions: Sequence[str] | None = None,
        neighbours: Sequence[str] | None = None,
        fallback: bool = False,
    ) -> list[dict[str, float]]:
        """Per text, {code id: confidence} for the modelled codes at or above their threshold.

        With `fallback` (and rule hits given), also the RULES_ONLY codes whose rule matched, at the
        rule's confidence.
        """
        proba = self.predict_proba(texts, rule_hits, questions=questions, neighbours=neighbours)
        chosen = proba >= self.thresholds
        found = [
            {self.modelled[j]: round(float(proba[i, j]), 4) for j in np.flatnonzero(chosen[i])}
            for i in range(len(proba))
        ]
        if fallback and rule_hits is not None:
            for row, hits in zip(found, rule_hits, strict=True):
                stand_in = {code: self.rule_confidence[code] for code in hits if code in self.rule_confidence}
                row.update({code: round(value, 4) for code, value in stand_in.items()})
        return found

    def suggest(
        self,
        texts: Sequence[str],
        rule_hits: Sequence[set[str]] | None = None,
        *,
        questions: Sequence[str] | None = None,
        neighbours: Sequence[str] | None = None,
        fallback: bool = True,
    ) -> list[list[Suggestion]]:
        """Per text, its suggestions with calibrated confidence and a short reason, likeliest first.

        Modelled codes come from the classifier. With `fallback` (and rule hits given), a code that has
        no classifier (status RULES_ONLY) is suggested where its keyword rule matched, marked as such.
        """
        proba = self.predict_proba(texts, rule_hits, questions=questions, neighbours=neighbours)
        rules = self._rule_matrix(rule_hits, len(texts))
        found: list[list[Suggestion]] = []
        for i, text in enumerate(texts):
            row: list[Suggestion] = []
            for j in np.flatnonzero(proba[i] >= self.thresholds):
                reason = self._reason(text, int(j), bool(rules[i, j]))
                row.append(Suggestion(self.modelled[j], round(float(proba[i, j]), 4), reason))
            if fallback and rule_hits is not None:
                for code in sorted(rule_hits[i] & set(self.rule_confidence)):
                    why = f"keyword rule only ({self.status[code][1]})"
                    row.append(Suggestion(code, round(self.rule_confidence[code], 4), why, RULES_ONLY))
            found.append(sorted(row, key=lambda s: -s.confidence))
        return found

    def explain(
        self, text: str, code: str, *, rule_hit: bool = False, question: str = "", neighbours: str = ""
    ) -> Suggestion | None:
        """The confidence and reason behind `code` on one text (e.g. for a stored suggestion being shown).

        None when the model says nothing about the code: it has no classifier and no rule stand-in, or
        its rule stands in and did not match.
        """
        if code in self.rule_confidence:
            return (
                Suggestion(
                    code,
                    round(self.rule_confidence[code], 4),
                    f"keyword rule only ({self.status[code][1]})",
                    RULES_ONLY,
                )
                if rule_hit
                else None
            )
        if code not in self.modelled:
            return None
        j = self.modelled.index(code)
        hits = [{code} if rule_hit else set()] if self.uses_rules else None
        proba = self.predict_proba([text], hits, questions=[question], neighbours=[neighbours])
        return Suggestion(code, round(float(proba[0, j]), 4), self._reason(text, j, rule_hit))

    def _reason(self, text: str, j: int, rule_hit: bool) -> str:
        """The matched rule (when the calibration counts it) and the words that weighed most for code j."""
        parts = []
        if rule_hit and self.calibration[j, 1] > 0:
            parts.append("keyword rule matched")
        if self.calibration[j, 0] > 0:
            weights = self.weights[: self.features.text.n_features, j]
            contributions = word_contributions(self.features.text, text, weights)
            top = sorted((v, w) for w, v in contributions.items() if v > 0)[::-1][:REASON_TERMS]
            if top:
                parts.append("words: " + ", ".join(f"'{word}'" for _, word in top))
        child = next((c for c, p in self.parents.items() if p == self.modelled[j]), None)
        if not parts and child is not None:
            parts.append("a sub-code was suggested")
        return "; ".join(parts) or "the model's score"

    def propose(self, segments: Sequence[Segment], rule_hits: Sequence[set[str]] | None = None) -> list[Proposal]:
        """One proposal per (stored segment, suggested code)."""
        if any(segment.id is None for segment in segments):
            raise ModelError("segments must be stored (have an id) before autocoding")
        predicted = self.predict([segment.text for segment in segments], rule_hits)
        return [
            Proposal(int(segment.id or 0), code, MODEL, self.source_name, confidence)
            for segment, codes in zip(segments, predicted, strict=True)
            for code, confidence in codes.items()
        ]

    def _rule_matrix(self, rule_hits: Sequence[set[str]] | None, n_texts: int) -> np.ndarray:
        if not self.uses_rules:
            return np.zeros((n_texts, len(self.modelled)), dtype=np.float32)
        if rule_hits is None:
            raise ModelError("this model was trained with keyword-rule hits; pass rule_hits to predict")
        if len(rule_hits) != n_texts:
            raise ModelError(f"got {len(rule_hits)} rule-hit sets for {n_texts} texts")
        return _indicator(rule_hits, self.modelled)


def _decided(proba: np.ndarray, column: dict[str, int], child: str, model: CodeModel) -> np.ndarray:
    """The child's confidence where it passes its own threshold, else 0."""
    j = column[child]
    return np.where(proba[:, j] >= model.thresholds[j], proba[:, j], 0.0)


def _check_context(n: int, questions: Sequence[str] | None, neighbours: Sequence[str] | None) -> None:
    for name, values in (("questions", questions), ("neighbours", neighbours)):
        if values is not None and len(values) != n:
            raise ModelError(f"got {len(values)} {name} for {n} texts")


def codebook_texts(codebook: Codebook) -> dict[str, list[str]]:
    """Per code, what the researcher wrote about it: definition, include note and examples.

    These enter training as extra positive texts of the code (and of its ancestors, as a coded
    child implies its parent). Exclude notes are left out: they describe what the code is not, often
    in the words of the neighbouring codes.
    """
    return {
        code.id: [text for text in (code.definition, code.include, *code.examples) if text and text.strip()]
        for code in codebook.codes
    }


def codes_with_rules(codebook: Codebook) -> set[str]:
    return {code.id for code in codebook.codes if code.rules.keywords or code.rules.lemmas or code.rules.patterns}


# -- training -------------------------------------------------------------------------------------

MIN_POSITIVES = 3  # coded examples a code needs for a classifier (with fewer, calibration has nothing to fit)


def train_model(
    texts: Sequence[str],
    labels: Sequence[set[str]],
    groups: Sequence[str],
    code_ids: Sequence[str],
    *,
    rule_hits: Sequence[set[str]] | None = None,
    min_positives: int = MIN_POSITIVES,
    parents: Mapping[str, str | None] | None = None,
    codebook_version: str = "",
    config: ModelConfig | None = None,
    codebook: Codebook | None = None,
    questions: Sequence[str] | None = None,
    neighbours: Sequence[str] | None = None,
    embedder: Any = None,
) -> CodeModel:
    """Learn one classifier per code that has at least `min_positives` positive (and negative) texts.

    `groups` names the respondent of each text: thresholds and calibration are tuned on folds that
    keep a respondent's texts together. `parents` maps a code to its parent code (child implies parent;
    taken from `codebook` when not given). `codebook` adds its texts as training signal (when
    config.codebook_text) and tells which codes have keyword rules to fall back on. `questions` and
    `neighbours` are each text's context (used when the config gives them weight). `embedder` is an
    opened embedding model to reuse (else config.embedding is opened).
    """
    config = config or ModelConfig()
    _check_lengths(texts, labels, groups, rule_hits)
    _check_context(len(texts), questions, neighbours)
    if len(set(groups)) < 2:
        raise ModelError("training needs coded texts from at least 2 respondents (grouped cross-validation)")
    if parents is None and codebook is not None:
        parents = {code.id: code.parent for code in codebook.codes}
    code_ids = list(code_ids)
    targets = _indicator(labels, code_ids)
    written = codebook_texts(codebook) if codebook is not None and config.codebook_text else {}
    modelled, status = _code_status(targets, code_ids, min_positives, written, codebook, rule_hits)
    if not modelled:
        raise ModelError(f"no code has {min_positives} or more coded examples yet; keep coding and retrain")
    columns = [code_ids.index(code) for code in modelled]
    y = targets[:, columns]
    extra_texts, extra_labels = _written_examples(written, parents or {}, modelled)
    y_extra = _indicator(extra_labels, modelled)
    if embedder is None and config.embedding:
        from coding.coders.embedding import open_embedder

        embedder = open_embedder(config.embedding)
    features = SegmentFeatures(
        config.char_ngrams,
        context_chars=config.context_chars,
        # a context block only when the context is given: an all-blank block would learn nothing
        question_weight=config.question_weight if questions is not None else 0.0,
        neighbour_weight=config.neighbour_weight if neighbours is not None else 0.0,
        embedder=embedder if config.embedding or embedder is not None else None,
        embedding_weight=config.embedding_weight if (config.embedding or embedder is not None) else 0.0,
    )
    every_text = [*texts, *extra_texts]
    blank = [""] * len(extra_texts)
    every_question = None if questions is None else [*questions, *blank]
    every_neighbour = None if neighbours is None else [*neighbours, *blank]
    features.fit(every_text, every_question, every_neighbour)
    # liblinear's type: no copy per code and fold
    x_all = features.transform(every_text, every_question, every_neighbour).astype(np.float64)
    x, x_extra = x_all[: len(texts)], x_all[len(texts) :]
    out_of_fold = _out_of_fold_scores(x, y, np.asarray(groups), config, (x_extra, y_extra), features.n_sparse)
    weights, bias = _fit_all(x_all, np.vstack([y, y_extra]), config, features.n_sparse)
    use_rules = config.use_rules and rule_hits is not None
    rules = _indicator(rule_hits, modelled) if use_rules and rule_hits is not None else np.zeros_like(y)
    decisions = [_decision(out_of_fold[:, j], rules[:, j], y[:, j]) for j in range(len(modelled))]
    calibration = np.vstack([row for row, _ in decisions])
    thresholds = np.array([threshold for _, threshold in decisions])
    rule_confidence = _rule_precision(targets, code_ids, rule_hits, status)
    skipped = {code: why for code, (kind, why) in status.items() if kind != MODELLED}
    return CodeModel(
        code_ids=code_ids,
        modelled=modelled,
        skipped=skipped,
        features=features,
        weights=weights,
        bias=bias,
        calibration=calibration,
        thresholds=thresholds,
        parents={c: p for c, p in (parents or {}).items() if p and c in modelled and p in modelled},
        uses_rules=use_rules,
        metadata={
            **_metadata(texts, labels, codebook_version, config, min_positives),
            "code_ids": code_ids,
            "thresholds": {code: round(float(t), 6) for code, t in zip(modelled, thresholds, strict=True)},
            "skipped": skipped,
            "codebook_texts": len(extra_texts),
        },
        status=status,
        rule_confidence=rule_confidence,
    )


def _code_status(
    targets: np.ndarray,
    code_ids: list[str],
    min_positives: int,
    written: Mapping[str, list[str]],
    codebook: Codebook | None,
    rule_hits: Sequence[set[str]] | None,
) -> tuple[list[str], dict[str, tuple[str, str]]]:
    """Which codes get a classifier, and for every code what stands behind its suggestions and why."""
    positives = targets.sum(axis=0).astype(int)
    negatives = len(targets) - positives
    with_rules = codes_with_rules(codebook) if codebook is not None else set(code_ids)
    modelled: list[str] = []
    status: dict[str, tuple[str, str]] = {}
    for code, n_pos, n_neg in zip(code_ids, positives, negatives, strict=True):
        if n_pos >= min_positives and n_neg >= min_positives:
            modelled.append(code)
            source = " + codebook text" if written.get(code) else ""
            status[code] = (MODELLED, f"{n_pos} coded examples{source}")
            continue
        if n_pos < min_positives:
            why = f"too few coded examples (n={n_pos}, needs {min_positives})"
        else:
            why = f"too few texts without this code (n={n_neg})"
        if rule_hits is not None and code in with_rules:
            status[code] = (RULES_ONLY, why)
        else:
            status[code] = (NOTHING, why + "; no keyword rules to fall back on")
    return modelled, status


def _written_examples(
    written: Mapping[str, list[str]], parents: Mapping[str, str | None], modelled: Sequence[str]
) -> tuple[list[str], list[set[str]]]:
    """The codebook's texts as training texts, each positive for its code and the code's ancestors."""
    texts: list[str] = []
    labels: list[set[str]] = []
    for code in modelled:
        for text in written.get(code, []):
            codes, current = {code}, parents.get(code)
            while current and current not in codes:
                codes.add(current)
                current = parents.get(current)
            texts.append(text)
            labels.append(codes)
    return texts, labels


def _rule_precision(
    targets: np.ndarray, code_ids: list[str], rule_hits: Sequence[set[str]] | None, status: dict[str, tuple[str, str]]
) -> dict[str, float]:
    """For codes whose rule stands in: how often a rule hit was right on the training texts (add-one smoothed)."""
    if rule_hits is None:
        return {}
    hits = _indicator(rule_hits, code_ids)
    found: dict[str, float] = {}
    for j, code in enumerate(code_ids):
        if status[code][0] == RULES_ONLY:
            right = float((hits[:, j] * targets[:, j]).sum())
            found[code] = (right + 1.0) / (float(hits[:, j].sum()) + 2.0)
    return found


def _check_lengths(
    texts: Sequence[str], labels: Sequence[set[str]], groups: Sequence[str], rule_hits: Sequence[set[str]] | None
) -> None:
    sizes = {"texts": len(texts), "labels": len(labels), "groups": len(groups)}
    if rule_hits is not None:
        sizes["rule_hits"] = len(rule_hits)
    if len(set(sizes.values())) != 1:
        raise ModelError(f"inputs differ in length: {sizes}")


def _log_count_ratios(x: sp.csr_matrix, y: np.ndarray) -> np.ndarray:
    """Per code and feature, log of (share of positive texts with it) / (share of negative texts with it).

    Naive-Bayes feature scaling (NB-SVM, Wang & Manning 2012): a term seen mostly in a code's texts is
    amplified before the SVM sees it, which on a few dozen positives lets rare telling words count.
    Add-one smoothing keeps terms seen on one side only finite. Returns (n_codes, n_features).
    """
    present = x.copy()
    present.data[:] = 1.0
    positive = np.asarray((present.T @ y).T) + 1.0  # (n_codes, n_features)
    negative = np.asarray((present.T @ (1.0 - y)).T) + 1.0
    positive /= positive.sum(axis=1, keepdims=True)
    negative /= negative.sum(axis=1, keepdims=True)
    return np.log(positive / negative)


def _fit_one(x: sp.csr_matrix, y: np.ndarray, ratio: np.ndarray, config: ModelConfig) -> tuple[np.ndarray, float]:
    if y.min() == y.max():  # a fold without positives: score everything as clearly negative
        return np.zeros(x.shape[1], dtype=np.float32), -1.0
    # Balanced weights: codes are rare, and the unweighted hinge loss would learn "never".
    classifier = LinearSVC(C=config.C, class_weight="balanced", tol=config.tol, random_state=0)  # reproducible
    # A new data array over the same sparsity pattern: several times faster than x @ diags(ratio).
    scaled = sp.csr_matrix((x.data * ratio[x.indices], x.indices, x.indptr), shape=x.shape)
    classifier.fit(scaled, y)
    # Scaling the features by `ratio` equals scaling the weights: prediction needs no extra step.
    return (classifier.coef_.ravel() * ratio).astype(np.float32), float(classifier.intercept_[0])


def _fit_all(
    x: sp.csr_matrix, y: np.ndarray, config: ModelConfig, n_sparse: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """One classifier per column of y; returns weights (n_features, n_codes) and biases.

    NB scaling applies to the first `n_sparse` (term) columns; dense embedding columns keep scale 1.
    """
    if config.nb_scaling:
        ratios = _log_count_ratios(x, y)
        if n_sparse is not None:
            ratios[:, n_sparse:] = 1.0
    else:
        ratios = np.ones((y.shape[1], x.shape[1]))
    workers = _workers(config, x)
    if workers > 1:
        from joblib import Parallel, delayed  # scikit-learn's own; large arrays reach the workers memory-mapped

        run = Parallel(n_jobs=workers, backend="loky")
        fitted = run(delayed(_fit_one)(x, y[:, j], ratios[j], config) for j in range(y.shape[1]))
    else:
        fitted = [_fit_one(x, y[:, j], ratios[j], config) for j in range(y.shape[1])]
    weights = np.column_stack([w for w, _ in fitted]).astype(np.float32)
    return weights, np.array([b for _, b in fitted], dtype=np.float32)


def _workers(config: ModelConfig, x: sp.csr_matrix) -> int:
    """Processes for the fits: starting them and sending them the matrix pays off only on large inputs."""
    if config.n_jobs is not None:
        return max(1, config.n_jobs)
    return min(2, os.cpu_count() or 1) if x.nnz >= PARALLEL_FROM else 1


def grouped_folds(
    groups: Sequence[str] | np.ndarray, n_splits: int, targets: np.ndarray | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) index arrays; each group sits wholly in one test fold.

    Groups are dealt out greedily, biggest first, each to the fold where it least upsets the balance of
    texts and (given a 0/1 `targets` matrix) of every code's positives. Without the code balance a fold
    can end up holding most of a code that a few respondents talk about, and its model learns nothing.
    """
    labels = np.asarray(groups)
    names, index = np.unique(labels, return_inverse=True)
    n_splits = min(n_splits, len(names))
    if n_splits < 2:
        raise ModelError("grouped cross-validation needs at least 2 respondents")
    columns = [np.ones(len(labels))] if targets is None else [np.ones(len(labels)), *np.asarray(targets).T]
    counts = np.zeros((len(names), len(columns)))
    for c, column in enumerate(columns):
        np.add.at(counts[:, c], index, column)
    share = counts / np.maximum(counts.sum(axis=0), 1)  # each group's share of texts and of each code
    load = np.zeros((n_splits, len(columns)))
    fold_of = np.zeros(len(names), dtype=int)
    for g in np.argsort(-share.sum(axis=1), kind="stable"):
        cost = ((load + share[g]) ** 2).sum(axis=1)
        fold_of[g] = int(np.argmin(cost))
        load[fold_of[g]] += share[g]
    assignment = fold_of[index]
    return [(np.flatnonzero(assignment != f), np.flatnonzero(assignment == f)) for f in range(n_splits)]


def _out_of_fold_scores(
    x: sp.csr_matrix,
    y: np.ndarray,
    groups: np.ndarray,
    config: ModelConfig,
    extra: tuple[sp.csr_matrix, np.ndarray] | None = None,
    n_sparse: int | None = None,
) -> np.ndarray:
    """Each text's scores from fits that never saw its respondent; `extra` rows (the codebook's texts)
    are in every training fold and never scored."""
    scores = np.zeros(y.shape, dtype=np.float32)
    n_splits = config.inner_splits if len(y) < config.large else min(config.inner_splits, 3)
    for train, test in grouped_folds(groups, n_splits, y):
        x_train, y_train = x[train], y[train]
        if extra is not None and extra[0].shape[0]:
            x_train, y_train = sp.vstack([x_train, extra[0]]).tocsr(), np.vstack([y_train, extra[1]])
        weights, bias = _fit_all(x_train, y_train, config, n_sparse)
        scores[test] = np.asarray(x[test] @ weights) + bias
    return scores


def _fit_platt(scores: np.ndarray, rule_hit: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Logistic map from (score, rule hit) to probability, fitted on out-of-fold scores."""
    inputs = np.column_stack([scores, rule_hit])
    if rule_hit.min() == rule_hit.max():
        inputs = inputs[:, :1]
    if y.min() == y.max():
        return np.array([0.0, 0.0, -10.0 if y.max() == 0 else 10.0])
    fitted = LogisticRegression(C=PLATT_C, solver="newton-cholesky").fit(inputs, y)  # 2 inputs: exact and fast
    slopes = list(fitted.coef_.ravel()) + [0.0] * (2 - inputs.shape[1])
    return np.array([*slopes, float(fitted.intercept_[0])])


def _decision(scores: np.ndarray, rule_hit: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Calibration row and probability threshold for one code, from its out-of-fold scores.

    When the code's keyword rule alone agrees with the coder at least as well (out of fold) as the
    calibrated model does, the code follows the rule: a learned decision has to earn its place.
    """
    row = _fit_platt(scores, rule_hit, y)
    threshold, kappa = _best_threshold(y, _calibrate(scores[:, None], rule_hit[:, None], row[None, :])[:, 0])
    if rule_hit.min() == rule_hit.max() or _kappa(y, rule_hit) < kappa:
        return row, threshold
    rule_only = _fit_platt(np.zeros_like(scores), rule_hit, y)
    proba = _calibrate(np.zeros((len(y), 1)), rule_hit[:, None], rule_only[None, :])[:, 0]
    return rule_only, float(proba.min() + proba.max()) / 2


def _kappa(y: np.ndarray, decided: np.ndarray) -> float:
    kappas, _ = _kappas(y, decided.astype(float))
    return float(kappas[int(decided.sum()) - 1]) if decided.sum() > 0 else 0.0


def _calibrate(scores: np.ndarray, rules: np.ndarray, calibration: np.ndarray) -> np.ndarray:
    logits = scores * calibration[:, 0] + rules * calibration[:, 1] + calibration[:, 2]
    return 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))


def _kappas(y: np.ndarray, order_scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cohen's kappa of 'top k are positive' for every k, and the sorted scores."""
    order = np.argsort(-order_scores, kind="stable")
    ranked, truth = order_scores[order], y[order]
    n = len(y)
    k = np.arange(1, n + 1)
    tp = np.cumsum(truth)
    fp = k - tp
    fn = truth.sum() - tp
    tn = n - k - fn
    observed = (tp + tn) / n
    expected = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / n**2
    with np.errstate(invalid="ignore", divide="ignore"):
        kappa = np.where(expected < 1, (observed - expected) / (1 - expected), 0.0)
    return kappa, ranked


def _best_threshold(y: np.ndarray, proba: np.ndarray) -> tuple[float, float]:
    """The probability cut with the best out-of-fold kappa (placed halfway into the gap below it), and that kappa."""
    kappa, ranked = _kappas(y, proba)
    # Only cut between distinct values: the last index of each run of equal probabilities.
    valid = np.append(ranked[1:] < ranked[:-1], True)
    kappa = np.where(valid, kappa, -np.inf)
    best = int(np.argmax(kappa))
    if kappa[best] <= 0:
        return 0.5, 0.0
    below = ranked[best + 1] if best + 1 < len(ranked) else 0.0
    return float((ranked[best] + below) / 2), float(kappa[best])


def _metadata(
    texts: Sequence[str], labels: Sequence[set[str]], codebook_version: str, config: ModelConfig, min_positives: int
) -> dict[str, Any]:
    import platform

    import scipy
    import sklearn
    import skops

    return {
        "training_sha256": training_hash(texts, labels),
        "codebook_version": codebook_version,
        "n_texts": len(texts),
        "min_positives": min_positives,
        "config": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config).items()},
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
            "skops": skops.__version__,
        },
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def training_hash(texts: Sequence[str], labels: Sequence[set[str]]) -> str:
    """sha256 over the texts and their sorted codes, in order."""
    digest = hashlib.sha256()
    for text, codes in zip(texts, labels, strict=True):
        digest.update(json.dumps([text, sorted(codes)], ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def cross_validated_predictions(
    texts: Sequence[str],
    labels: Sequence[set[str]],
    groups: Sequence[str],
    code_ids: Sequence[str],
    *,
    rule_hits: Sequence[set[str]] | None = None,
    min_positives: int = MIN_POSITIVES,
    parents: Mapping[str, str | None] | None = None,
    n_splits: int = 5,
    config: ModelConfig | None = None,
    codebook: Codebook | None = None,
    questions: Sequence[str] | None = None,
    neighbours: Sequence[str] | None = None,
    embedder: Any = None,
    folds: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
    fallback: bool = True,
) -> list[dict[str, float]]:
    """Each text's suggestions from a model that never saw its respondent (folds grouped by `groups`).

    Every tuned choice the model makes (thresholds, calibration, rule blending) is made inside each
    training fold, so this is a nested estimate of those choices. `folds` overrides the grouped folds
    (e.g. leave one respondent group out). With `fallback`, codes without a classifier in a fold are
    suggested by their rule, as a person would be shown them.
    Training folds hold (k-1)/k of the texts, so the positives needed per fold scale down alike: a
    code that the full data would model is modelled in the folds too.
    """
    _check_lengths(texts, labels, groups, rule_hits)
    _check_context(len(texts), questions, neighbours)
    predicted: list[dict[str, float]] = [{} for _ in texts]
    if folds is None:
        folds = grouped_folds(groups, n_splits, _indicator(labels, code_ids))
    fold_min = max(2, int(min_positives * (len(folds) - 1) / len(folds)))

    def pick(values: Sequence[Any] | None, rows: np.ndarray) -> list[Any] | None:
        return None if values is None else [values[i] for i in rows]

    for train, test in folds:
        try:
            model = train_model(
                [texts[i] for i in train],
                [labels[i] for i in train],
                [groups[i] for i in train],
                code_ids,
                rule_hits=pick(rule_hits, train),
                min_positives=fold_min,
                parents=parents,
                config=config,
                codebook=codebook,
                questions=pick(questions, train),
                neighbours=pick(neighbours, train),
                embedder=embedder,
            )
        except ModelError:  # nothing learnable in this fold: it suggests nothing
            continue
        found = model.predict(
            [texts[i] for i in test],
            pick(rule_hits, test),
            questions=pick(questions, test),
            neighbours=pick(neighbours, test),
            fallback=fallback,
        )
        for i, suggestion in zip(test, found, strict=True):
            predicted[i] = suggestion
    return predicted


def cross_validate_model(
    texts: Sequence[str],
    labels: Sequence[set[str]],
    groups: Sequence[str],
    code_ids: Sequence[str],
    *,
    rule_hits: Sequence[set[str]] | None = None,
    min_positives: int = MIN_POSITIVES,
    parents: Mapping[str, str | None] | None = None,
    n_splits: int = 5,
    config: ModelConfig | None = None,
    codebook: Codebook | None = None,
    questions: Sequence[str] | None = None,
    neighbours: Sequence[str] | None = None,
    embedder: Any = None,
    folds: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
) -> pd.DataFrame:
    """Per-code precision, recall, F1, Cohen's kappa and its 95% interval, by respondent-grouped CV.

    One row per code with n_positives and status (what stands behind its suggestions, from all the
    data: the model, its rule alone, or nothing, and why), and a 'macro' row averaging the codes with
    at least `min_positives` positives. Suggestions include the rule fallback of codes without a
    classifier. kappa_low/kappa_high resample respondents (coding.coders.metrics.bootstrap_kappas).
    With `rule_hits`, columns rules_* give the keyword-rule baseline on the same texts.
    """
    predicted = cross_validated_predictions(
        texts,
        labels,
        groups,
        code_ids,
        rule_hits=rule_hits,
        min_positives=min_positives,
        parents=parents,
        n_splits=n_splits,
        config=config,
        codebook=codebook,
        questions=questions,
        neighbours=neighbours,
        embedder=embedder,
        folds=folds,
    )
    written = codebook_texts(codebook) if codebook is not None and (config or ModelConfig()).codebook_text else {}
    targets = _indicator(labels, list(code_ids))
    _, status = _code_status(targets, list(code_ids), min_positives, written, codebook, rule_hits)
    return evaluation_table(labels, [set(p) for p in predicted], groups, code_ids, status, min_positives, rule_hits)


def evaluation_table(
    labels: Sequence[set[str]],
    predicted: Sequence[set[str]],
    groups: Sequence[str],
    code_ids: Sequence[str],
    status: Mapping[str, tuple[str, str]] | None = None,
    min_positives: int = MIN_POSITIVES,
    rule_hits: Sequence[set[str]] | None = None,
) -> pd.DataFrame:
    """The per-code table of cross_validate_model from out-of-fold suggestions."""
    table = code_metrics(labels, predicted, code_ids)
    enough = table["n_positives"] >= min_positives
    evaluated = [code for code in code_ids if enough[code]]
    intervals = bootstrap_kappas(labels, predicted, groups, code_ids, macro_over=evaluated)
    table["kappa_low"] = intervals["kappa_low"]
    table["kappa_high"] = intervals["kappa_high"]
    if rule_hits is not None:
        baseline = code_metrics(labels, rule_hits, code_ids)
        for column in ("precision", "recall", "f1", "kappa"):
            table[f"rules_{column}"] = baseline[column]
    metrics = [c for c in table.columns if c not in ("n_positives", "status")]
    for column in metrics:
        table.loc[~enough, column] = np.nan
    table["status"] = [_status_text(status, code, enough[code], n) for code, n in table["n_positives"].items()]
    macro: dict[str, Any] = dict(table.loc[enough, metrics].mean())
    macro["kappa_low"], macro["kappa_high"] = intervals.loc["macro"] if evaluated else (np.nan, np.nan)
    macro["n_positives"] = int(table.loc[enough, "n_positives"].sum())
    macro["status"] = f"mean over {int(enough.sum())} codes with >= {min_positives} examples"
    table.loc["macro"] = pd.Series(macro)
    return table


def _status_text(status: Mapping[str, tuple[str, str]] | None, code: str, evaluated: bool, n: int) -> str:
    said = f"{status[code][0]}: {status[code][1]}" if status else ""
    return said if evaluated else f"not evaluated (n={n}); {said}".rstrip("; ")
