"""Cross-validated estimates of one model configuration: suggestions from models that never saw the
respondent, and the per-code table (precision, recall, F1, kappa with its interval over respondents).
coding.coders.evaluation builds nested and leave-one-group-out estimates on these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from coding.coders.estimation import ModelConfig, grouped_folds, train_model
from coding.coders.metrics import bootstrap_kappas, code_metrics, indicator
from coding.coders.suggester import ModelError, check_context
from coding.coders.training_set import MIN_POSITIVES, check_lengths, code_status, codebook_texts
from coding.models import Codebook


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
    check_lengths(texts, labels, groups, rule_hits)
    check_context(len(texts), questions, neighbours)
    predicted: list[dict[str, float]] = [{} for _ in texts]
    if folds is None:
        folds = grouped_folds(groups, n_splits, indicator(labels, code_ids))
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
    targets = indicator(labels, list(code_ids))
    _, status = code_status(targets, list(code_ids), min_positives, written, codebook, rule_hits)
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
