"""Fitting the learned coder: one linear SVM per code, its threshold and calibration from out-of-fold scores.

Thresholds and calibration come from an inner cross-validation grouped by respondent (grouped_folds), so a
respondent's own turns never vouch for themselves; when keyword-rule hits are given, the code's rule hit
enters the calibration next to the classifier's score. ModelConfig holds the hyper-parameters.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from coding.coders.features import SegmentFeatures
from coding.coders.metrics import indicator
from coding.coders.suggester import MODELLED, CodeModel, ModelError, calibrate, check_context
from coding.coders.training_set import (
    MIN_POSITIVES,
    check_lengths,
    code_status,
    codebook_texts,
    rule_precision,
    written_examples,
)
from coding.models import Codebook

# Nonzero features in the training matrix from which fits run in worker processes (bench/model_speed.py:
# below it, starting them and shipping the matrix costs about what they save).
PARALLEL_FROM = 1_000_000
PLATT_C = 10.0  # nearly unregularised Platt scaling, yet finite under perfect separation


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
    check_lengths(texts, labels, groups, rule_hits)
    check_context(len(texts), questions, neighbours)
    if len(set(groups)) < 2:
        raise ModelError("training needs coded texts from at least 2 respondents (grouped cross-validation)")
    if parents is None and codebook is not None:
        parents = {code.id: code.parent for code in codebook.codes}
    code_ids = list(code_ids)
    targets = indicator(labels, code_ids)
    written = codebook_texts(codebook) if codebook is not None and config.codebook_text else {}
    modelled, status = code_status(targets, code_ids, min_positives, written, codebook, rule_hits)
    if not modelled:
        raise ModelError(f"no code has {min_positives} or more coded examples yet; keep coding and retrain")
    columns = [code_ids.index(code) for code in modelled]
    y = targets[:, columns]
    extra_texts, extra_labels = written_examples(written, parents or {}, modelled)
    y_extra = indicator(extra_labels, modelled)
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
    rules = indicator(rule_hits, modelled) if use_rules and rule_hits is not None else np.zeros_like(y)
    decisions = [_decision(out_of_fold[:, j], rules[:, j], y[:, j]) for j in range(len(modelled))]
    calibration = np.vstack([row for row, _ in decisions])
    thresholds = np.array([threshold for _, threshold in decisions])
    rule_confidence = rule_precision(targets, code_ids, rule_hits, status)
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
    threshold, kappa = _best_threshold(y, calibrate(scores[:, None], rule_hit[:, None], row[None, :])[:, 0])
    if rule_hit.min() == rule_hit.max() or _kappa(y, rule_hit) < kappa:
        return row, threshold
    rule_only = _fit_platt(np.zeros_like(scores), rule_hit, y)
    proba = calibrate(np.zeros((len(y), 1)), rule_hit[:, None], rule_only[None, :])[:, 0]
    return rule_only, float(proba.min() + proba.max()) / 2


def _kappa(y: np.ndarray, decided: np.ndarray) -> float:
    kappas, _ = _kappas(y, decided.astype(float))
    return float(kappas[int(decided.sum()) - 1]) if decided.sum() > 0 else 0.0


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
