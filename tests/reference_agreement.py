"""Reference implementations of the agreement statistics, in their general form (any categories, coders
and missing ratings), checked against published worked examples in test_agreement.py.

The product computes only what it reports, in closed form from presence counts (coding.agreement); these
general forms are what those closed forms are checked against. Krippendorff's alpha comes from the
independent `krippendorff` package, Cohen's kappa from scikit-learn.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Literal, TypeAlias

import krippendorff
import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.metrics import cohen_kappa_score

from coding.agreement import NO_PAIRS, NO_VARIATION, Statistic, fleiss_kappa_from_counts

Ratings: TypeAlias = pd.DataFrame | npt.ArrayLike  # units x coders; None/NaN = not rated
Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval", "ratio")
PRESENCE = (False, True)  # the two categories of segment-level presence
NEEDS_TWO_CATEGORIES = "needs at least two possible categories (pass categories= to name them)"


def _undefined(reason: str) -> Statistic:
    return Statistic(None, reason)


def _chance_corrected(observed: float, expected: float) -> Statistic:
    return Statistic(float((observed - expected) / (1.0 - expected)))


def _unit_agreement(counts: np.ndarray) -> np.ndarray:
    """Share of agreeing coder pairs within each unit rated by two or more coders."""
    raters = counts.sum(axis=1)
    paired = raters >= 2
    agreeing = (counts[paired] * (counts[paired] - 1)).sum(axis=1)
    return agreeing / (raters[paired] * (raters[paired] - 1))


# --- ratings tables ---------------------------------------------------------------------------------


def _as_frame(ratings: Ratings) -> pd.DataFrame:
    frame = ratings if isinstance(ratings, pd.DataFrame) else pd.DataFrame(ratings)
    if frame.ndim != 2:
        raise ValueError("ratings must be a table: one row per unit, one column per coder")
    return frame


def _categories(frame: pd.DataFrame, categories: Sequence[Hashable] | None) -> list[Hashable]:
    observed = [value for value in pd.unique(frame.to_numpy().ravel()) if not pd.isna(value)]
    if categories is None:
        try:
            return sorted(observed)
        except TypeError:  # mixed types cannot be ordered; the order only matters above nominal level
            return observed
    allowed = set(categories)
    unknown = [value for value in observed if value not in allowed]
    if unknown:
        raise ValueError(f"ratings contain values outside the given categories: {unknown[:5]}")
    return list(categories)


def category_counts(ratings: Ratings, categories: Sequence[Hashable] | None = None) -> pd.DataFrame:
    """Units x categories table: how many coders gave each category to each unit (Fleiss' layout).

    Columns are `categories` in the given order, or the observed values sorted.
    """
    frame = _as_frame(ratings)
    columns = _categories(frame, categories)
    counts = {position: (frame == value).sum(axis=1) for position, value in enumerate(columns)}
    table = pd.DataFrame(counts, index=frame.index, columns=range(len(columns)), dtype=int)
    table.columns = pd.Index(columns)
    return table


def ratings_from_counts(counts: npt.ArrayLike, categories: Sequence[Hashable] | None = None) -> pd.DataFrame:
    """Expand a units x categories count table into a ratings table (categories default to 0..q-1).

    Coder columns are arbitrary slots, so only statistics that ignore who gave which rating apply
    (not Cohen's kappa or Scott's pi). Units with fewer ratings are padded with missing values.
    """
    table = np.asarray(counts, dtype=int)
    labels = list(range(table.shape[1])) if categories is None else list(categories)
    rows = [[label for label, n in zip(labels, row, strict=True) for _ in range(n)] for row in table]
    width = max((len(row) for row in rows), default=0)
    return pd.DataFrame([row + [None] * (width - len(row)) for row in rows])


def ratings_from_contingency(table: npt.ArrayLike, categories: Sequence[Hashable] | None = None) -> pd.DataFrame:
    """Expand a two-coder contingency table (rows = first coder, columns = second) into one row per unit."""
    cells = np.asarray(table, dtype=int)
    if cells.ndim != 2 or cells.shape[0] != cells.shape[1]:
        raise ValueError("a contingency table is square: both coders choose from the same categories")
    labels = list(range(cells.shape[0])) if categories is None else list(categories)
    pairs = [
        (labels[i], labels[j]) for i in range(cells.shape[0]) for j in range(cells.shape[1]) for _ in range(cells[i, j])
    ]
    return pd.DataFrame(pairs, columns=["first", "second"])


def _two_coders(ratings: Ratings, measure: str) -> tuple[np.ndarray, np.ndarray]:
    """The two coders' ratings as category indices, on the units both rated."""
    frame = _as_frame(ratings)
    if frame.shape[1] != 2:
        raise ValueError(f"{measure} compares exactly two coders; got {frame.shape[1]}")
    both = frame.dropna()
    categories = _categories(both, None)
    first, second = (np.asarray(pd.Categorical(both[column], categories).codes, dtype=int) for column in both)
    return first, second


# --- the general statistics -------------------------------------------------------------------------------------


def percent_agreement(ratings: Ratings) -> Statistic:
    """Share of agreeing coder pairs per unit, averaged over units rated by two or more coders.

    For two coders this is simply the share of units on which they agree (Gwet 2014, irrCAC pa.coeff).
    """
    agreement = _unit_agreement(category_counts(ratings).to_numpy())
    if agreement.size == 0:
        return _undefined(NO_PAIRS)
    return Statistic(float(agreement.mean()))


def cohen_kappa(ratings: Ratings) -> Statistic:
    """Cohen's kappa for exactly two coders (nominal), on the units both coders rated."""
    first, second = _two_coders(ratings, "Cohen's kappa")
    if first.size == 0:
        return _undefined(NO_PAIRS)
    if np.unique(np.concatenate([first, second])).size < 2:
        return _undefined(NO_VARIATION)  # both used one and the same category: chance agreement is 1
    return Statistic(float(cohen_kappa_score(first, second)))


def scott_pi(ratings: Ratings) -> Statistic:
    """Scott's pi for exactly two coders: like Cohen's kappa, but chance uses the pooled distribution."""
    first, second = _two_coders(ratings, "Scott's pi")
    if first.size == 0:
        return _undefined(NO_PAIRS)
    pooled = np.bincount(np.concatenate([first, second])) / (2 * first.size)
    if np.count_nonzero(pooled) < 2:
        return _undefined(NO_VARIATION)
    return _chance_corrected(float(np.mean(first == second)), float((pooled**2).sum()))


def fleiss_kappa(ratings: Ratings) -> Statistic:
    """Fleiss' kappa for any number of coders; every unit must be rated by the same number of coders."""
    return fleiss_kappa_from_counts(category_counts(ratings).to_numpy())


def krippendorff_alpha(
    ratings: Ratings, level: Level = "nominal", categories: Sequence[Hashable] | None = None
) -> Statistic:
    """Krippendorff's alpha for any number of coders and missing ratings (the `krippendorff` package).

    Ordinal alpha uses only the order of the categories (sorted, or as given in `categories`);
    interval and ratio alpha need numeric values.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}; got {level!r}")
    table = category_counts(ratings, categories)
    counts = table.to_numpy()
    paired = counts[counts.sum(axis=1) >= 2]
    if paired.shape[0] == 0:
        return _undefined(NO_PAIRS)
    if np.count_nonzero(paired.sum(axis=0)) < 2:
        return _undefined(NO_VARIATION)  # expected disagreement is zero
    if level in ("interval", "ratio"):
        try:
            domain = np.asarray(table.columns, dtype=float)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{level} alpha needs numeric ratings: {error}") from error
    else:
        domain = np.arange(len(table.columns))  # ordinal distances depend on rank only
    value = krippendorff.alpha(value_counts=counts, value_domain=domain, level_of_measurement=level)
    return Statistic(float(value))


def _shared_agreement(ratings: Ratings, categories: Sequence[Hashable] | None) -> tuple[np.ndarray, float] | Statistic:
    """Category counts and observed agreement, or the reason they cannot be used."""
    counts = category_counts(ratings, categories).to_numpy()
    if counts.shape[1] < 2:
        return _undefined(NEEDS_TWO_CATEGORIES)
    agreement = _unit_agreement(counts)
    if agreement.size == 0:
        return _undefined(NO_PAIRS)
    return counts, float(agreement.mean())


def gwet_ac1(ratings: Ratings, categories: Sequence[Hashable] | None = None) -> Statistic:
    """Gwet's AC1 for any number of coders and missing ratings (Gwet 2014).

    Unlike kappa it stays defined, and stable, when one category dominates (rarely applied codes).
    Chance agreement depends on the number of possible categories: pass `categories` if some went unused.
    """
    shared = _shared_agreement(ratings, categories)
    if isinstance(shared, Statistic):
        return shared
    counts, observed = shared
    raters = counts.sum(axis=1)
    rated = raters >= 1
    shares = (counts[rated] / raters[rated, None]).mean(axis=0)
    expected = float((shares * (1 - shares)).sum() / (counts.shape[1] - 1))
    return _chance_corrected(observed, expected)


def brennan_prediger(ratings: Ratings, categories: Sequence[Hashable] | None = None) -> Statistic:
    """Brennan-Prediger coefficient: chance agreement is 1/q for q possible categories."""
    shared = _shared_agreement(ratings, categories)
    if isinstance(shared, Statistic):
        return shared
    counts, observed = shared
    return _chance_corrected(observed, 1.0 / counts.shape[1])
