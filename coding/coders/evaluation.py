"""Honest estimates of the learned coder on respondents it never saw, and defaults chosen by them.

- Nested cross-validation: outer folds grouped by respondent; inside each outer training part, every
  candidate configuration is cross-validated on inner respondent-grouped folds and the choice is
  made there, so the outer test respondents never influence a choice. The model's own tuned choices
  (thresholds, calibration, rule blending) are made inside train_model on inner folds of its training
  data, so they are nested too.
- Leave one group out: the outer folds are whole respondent groups (e.g. government, opposition,
  exiles), since a new study's respondents differ from the old ones.
- Intervals resample respondents (coding.coders.metrics.bootstrap_kappas).

Among candidates whose inner macro kappa is within `margin` of the best, the simplest (first listed)
wins: extra machinery has to earn its place on held-out respondents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from coding.coders.metrics import code_metrics, indicator
from coding.coders.model import (
    MIN_POSITIVES,
    ModelConfig,
    ModelError,
    cross_validated_predictions,
    evaluation_table,
    grouped_folds,
    train_model,
)
from coding.models import Codebook

MARGIN = 0.01  # inner macro kappa a more complex candidate must gain over a simpler one


@dataclass
class Inputs:
    """Everything the model is trained from, one entry per text (context optional)."""

    texts: list[str]
    labels: list[set[str]]
    groups: list[str]  # respondent of each text
    code_ids: list[str]
    rule_hits: list[set[str]] | None = None
    codebook: Codebook | None = None
    questions: list[str] | None = None
    neighbours: list[str] | None = None
    embedder: Any = None

    def subset(self, rows: np.ndarray) -> Inputs:
        def pick(values: list[Any] | None) -> list[Any] | None:
            return None if values is None else [values[i] for i in rows]

        return Inputs(
            [self.texts[i] for i in rows],
            [self.labels[i] for i in rows],
            [self.groups[i] for i in rows],
            self.code_ids,
            pick(self.rule_hits),
            self.codebook,
            pick(self.questions),
            pick(self.neighbours),
            self.embedder,
        )


@dataclass
class Estimate:
    """Out-of-fold suggestions, the per-code table with intervals, and the choice made in each outer fold."""

    predicted: list[set[str]]
    table: pd.DataFrame
    chosen: list[str] = field(default_factory=list)
    inner: list[dict[str, float]] = field(default_factory=list)  # per outer fold: candidate -> inner macro kappa


def predictions(
    data: Inputs,
    config: ModelConfig,
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
    min_positives: int = MIN_POSITIVES,
) -> list[set[str]]:
    """Out-of-fold suggestions of one configuration (rule fallback included)."""
    found = cross_validated_predictions(
        data.texts,
        data.labels,
        data.groups,
        data.code_ids,
        rule_hits=data.rule_hits,
        min_positives=min_positives,
        config=config,
        codebook=data.codebook,
        questions=data.questions,
        neighbours=data.neighbours,
        embedder=data.embedder,
        folds=folds,
    )
    return [set(row) for row in found]


def macro_kappa(
    labels: Sequence[set[str]], predicted: Sequence[set[str]], code_ids: Sequence[str], least: int
) -> float:
    table = code_metrics(labels, predicted, code_ids)
    return float(table.loc[table["n_positives"] >= least, "kappa"].mean())


def choose(
    data: Inputs,
    candidates: Mapping[str, ModelConfig],
    inner_splits: int = 5,
    min_positives: int = MIN_POSITIVES,
    margin: float = MARGIN,
) -> tuple[str, dict[str, float]]:
    """The candidate to use on `data`, by its own respondent-grouped CV; simplest among near-equals."""
    folds = grouped_folds(data.groups, inner_splits, indicator(data.labels, data.code_ids))
    scores = {
        name: macro_kappa(data.labels, predictions(data, config, folds, min_positives), data.code_ids, min_positives)
        for name, config in candidates.items()
    }
    best = max(scores.values())
    return next(name for name, score in scores.items() if score >= best - margin), scores


def nested_estimate(
    data: Inputs,
    candidates: Mapping[str, ModelConfig],
    outer: Sequence[tuple[np.ndarray, np.ndarray]],
    *,
    inner_splits: int = 5,
    min_positives: int = MIN_POSITIVES,
    margin: float = MARGIN,
) -> Estimate:
    """Nested CV: in each outer fold choose a candidate on the training part only, then test it."""
    predicted: list[set[str]] = [set() for _ in data.texts]
    chosen: list[str] = []
    inner: list[dict[str, float]] = []
    for train, test in outer:
        part = data.subset(train)
        name, scores = (
            choose(part, candidates, inner_splits, min_positives, margin)
            if len(candidates) > 1
            else (
                next(iter(candidates)),
                {},
            )
        )
        chosen.append(name)
        inner.append(scores)
        fold_min = max(2, int(min_positives * (len(outer) - 1) / len(outer)))
        try:
            model = train_model(
                part.texts,
                part.labels,
                part.groups,
                data.code_ids,
                rule_hits=part.rule_hits,
                min_positives=fold_min,
                config=candidates[name],
                codebook=data.codebook,
                questions=part.questions,
                neighbours=part.neighbours,
                embedder=data.embedder,
            )
        except ModelError:
            continue
        held = data.subset(test)
        found = model.predict(
            held.texts, held.rule_hits, questions=held.questions, neighbours=held.neighbours, fallback=True
        )
        for i, row in zip(test, found, strict=True):
            predicted[i] = set(row)
    table = evaluation_table(data.labels, predicted, data.groups, data.code_ids, None, min_positives, data.rule_hits)
    return Estimate(predicted, table, chosen, inner)


def group_folds(groups_of_texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Leave one group out: one fold per distinct value (e.g. each text's respondent group)."""
    values = np.asarray(groups_of_texts)
    return [(np.flatnonzero(values != value), np.flatnonzero(values == value)) for value in sorted(set(values))]
