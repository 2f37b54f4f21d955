"""Agreement of suggested codes with a person's codes: per-code metrics and bootstrap intervals.

Intervals resample respondents, not texts: a respondent's turns are alike, so resampling turns would
pretend to more independent evidence than there is. Pure numpy and pandas.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

BOOTSTRAP_DRAWS = 2000
LEVEL = 0.95


def indicator(sets: Sequence[set[str]], code_ids: Sequence[str]) -> np.ndarray:
    """0/1 matrix (n_texts, n_codes): does text i carry code j."""
    column = {code: j for j, code in enumerate(code_ids)}
    matrix = np.zeros((len(sets), len(code_ids)), dtype=np.float32)
    for i, codes in enumerate(sets):
        for code in codes:
            if code in column:
                matrix[i, column[code]] = 1.0
    return matrix


def kappa_from_counts(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, tn: np.ndarray) -> np.ndarray:
    """Cohen's kappa from confusion counts (any matching shapes); 1 where both sides never vary and agree."""
    n = tp + fp + fn + tn
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = (tp + tn) / n
        expected = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / n**2
        kappa = (observed - expected) / (1.0 - expected)
    degenerate = np.isclose(expected, 1.0) | (n == 0)
    return np.where(degenerate, np.where(np.isclose(observed, 1.0), 1.0, 0.0), kappa)


def code_metrics(truth: Sequence[set[str]], predicted: Sequence[set[str]], code_ids: Sequence[str]) -> pd.DataFrame:
    """Precision, recall, F1 and Cohen's kappa of predicted against true code sets, one row per code."""
    y_true = indicator(truth, code_ids).astype(bool)
    y_pred = indicator(predicted, code_ids).astype(bool)
    tp = (y_true & y_pred).sum(axis=0).astype(float)
    fp = (~y_true & y_pred).sum(axis=0).astype(float)
    fn = (y_true & ~y_pred).sum(axis=0).astype(float)
    tn = (~y_true & ~y_pred).sum(axis=0).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        recall = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    table = pd.DataFrame(
        {
            "code": list(code_ids),
            "n_positives": y_true.sum(axis=0).astype(int),
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "kappa": kappa_from_counts(tp, fp, fn, tn),
        }
    )
    return table.set_index("code")


def group_counts(
    truth: Sequence[set[str]], predicted: Sequence[set[str]], groups: Sequence[str], code_ids: Sequence[str]
) -> tuple[list[str], np.ndarray]:
    """Confusion counts per group and code: (names, array (n_groups, n_codes, 4) of tp, fp, fn, tn)."""
    y_true = indicator(truth, code_ids).astype(bool)
    y_pred = indicator(predicted, code_ids).astype(bool)
    names, index = np.unique(np.asarray(groups), return_inverse=True)
    cells = np.stack([y_true & y_pred, ~y_true & y_pred, y_true & ~y_pred, ~y_true & ~y_pred], axis=-1)
    counts = np.zeros((len(names), len(code_ids), 4))
    np.add.at(counts, index, cells.astype(float))
    return [str(name) for name in names], counts


def bootstrap_kappas(
    truth: Sequence[set[str]],
    predicted: Sequence[set[str]],
    groups: Sequence[str],
    code_ids: Sequence[str],
    *,
    macro_over: Sequence[str] | None = None,
    draws: int = BOOTSTRAP_DRAWS,
    level: float = LEVEL,
    seed: int = 0,
) -> pd.DataFrame:
    """Percentile intervals of each code's kappa (and of their mean over `macro_over`), resampling groups.

    Each draw picks as many groups as there are, with replacement, and pools their texts. Returns a
    frame indexed by code (plus 'macro' when macro_over is given) with columns kappa_low, kappa_high.
    """
    _, counts = group_counts(truth, predicted, groups, code_ids)
    rng = np.random.default_rng(seed)
    n_groups = counts.shape[0]
    picks = rng.multinomial(n_groups, np.full(n_groups, 1.0 / n_groups), size=draws).astype(float)
    pooled = np.einsum("bg,gcf->bcf", picks, counts)  # (draws, codes, 4)
    kappas = kappa_from_counts(pooled[..., 0], pooled[..., 1], pooled[..., 2], pooled[..., 3])
    tail = (1.0 - level) / 2 * 100
    rows = {code: np.percentile(kappas[:, j], [tail, 100 - tail]) for j, code in enumerate(code_ids)}
    if macro_over:
        columns = [list(code_ids).index(code) for code in macro_over]
        rows["macro"] = np.percentile(kappas[:, columns].mean(axis=1), [tail, 100 - tail])
    return pd.DataFrame.from_dict(rows, orient="index", columns=["kappa_low", "kappa_high"])


def bootstrap_difference(
    truth: Sequence[set[str]],
    first: Sequence[set[str]],
    second: Sequence[set[str]],
    groups: Sequence[str],
    code_ids: Sequence[str],
    *,
    draws: int = BOOTSTRAP_DRAWS,
    level: float = LEVEL,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Macro kappa of `second` minus that of `first` over code_ids, with a paired percentile interval.

    Both are scored on the same resampled respondents in every draw, so what the two share (which
    respondents are easy) cancels out: the interval is about the difference, not about either.
    """
    _, counts_a = group_counts(truth, first, groups, code_ids)
    _, counts_b = group_counts(truth, second, groups, code_ids)
    rng = np.random.default_rng(seed)
    n_groups = counts_a.shape[0]
    picks = rng.multinomial(n_groups, np.full(n_groups, 1.0 / n_groups), size=draws).astype(float)

    def macro(counts: np.ndarray, weights: np.ndarray) -> np.ndarray:
        pooled = np.einsum("bg,gcf->bcf", weights, counts)
        return kappa_from_counts(pooled[..., 0], pooled[..., 1], pooled[..., 2], pooled[..., 3]).mean(axis=1)

    differences = macro(counts_b, picks) - macro(counts_a, picks)
    point = float((macro(counts_b, np.ones((1, n_groups))) - macro(counts_a, np.ones((1, n_groups))))[0])
    tail = (1.0 - level) / 2 * 100
    low, high = np.percentile(differences, [tail, 100 - tail])
    return point, float(low), float(high)
