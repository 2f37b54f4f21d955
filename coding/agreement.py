"""Intercoder agreement: pure statistics, and per-code agreement on segment presence.

A *ratings* table has one row per unit and one column per coder; a missing value (None/NaN) means the
coder did not rate that unit. Every statistic returns a `Statistic`: a value, or None with the reason it
is undefined for these data (e.g. no variation at all) -- never a made-up number.

The layer the project calls is `agreement_by_code`: agreement on whether each coder applied each code to
each segment (presence/absence), so uncoded characters never count.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import krippendorff
import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.metrics import cohen_kappa_score

from coding.errors import UsageError

Ratings: TypeAlias = pd.DataFrame | npt.ArrayLike  # units x coders; None/NaN = not rated
Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval", "ratio")

POOLED = "All codes"  # label of the pooled row in agreement_by_code
PRESENCE = (False, True)  # the two categories of segment-level presence

NO_PAIRS = "no unit was rated by two or more coders"
NO_VARIATION = "no variation: every rating falls in one category, so chance alone predicts perfect agreement"
NEEDS_TWO_CATEGORIES = "needs at least two possible categories (pass categories= to name them)"


@dataclass(frozen=True)
class Statistic:
    """A coefficient, or None together with the reason it is undefined for the data."""

    value: float | None
    reason: str | None = None

    def __post_init__(self) -> None:
        if (self.value is None) == (self.reason is None):
            raise ValueError("a Statistic has either a value or a reason why it is undefined")

    @property
    def defined(self) -> bool:
        return self.value is not None


def _undefined(reason: str) -> Statistic:
    return Statistic(None, reason)


def _chance_corrected(observed: float, expected: float) -> Statistic:
    """(observed - expected) / (1 - expected); callers rule out expected == 1 beforehand."""
    return Statistic(float((observed - expected) / (1.0 - expected)))


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


def _unit_agreement(counts: np.ndarray) -> np.ndarray:
    """Share of agreeing coder pairs within each unit rated by two or more coders."""
    raters = counts.sum(axis=1)
    paired = raters >= 2
    agreeing = (counts[paired] * (counts[paired] - 1)).sum(axis=1)
    return agreeing / (raters[paired] * (raters[paired] - 1))


def _two_coders(ratings: Ratings, measure: str) -> tuple[np.ndarray, np.ndarray]:
    """The two coders' ratings as category indices, on the units both rated."""
    frame = _as_frame(ratings)
    if frame.shape[1] != 2:
        raise ValueError(f"{measure} compares exactly two coders; got {frame.shape[1]}")
    both = frame.dropna()
    categories = _categories(both, None)
    first, second = (np.asarray(pd.Categorical(both[column], categories).codes, dtype=int) for column in both)
    return first, second


# --- statistics -------------------------------------------------------------------------------------


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


def fleiss_kappa_from_counts(counts: npt.ArrayLike) -> Statistic:
    """Fleiss' kappa from a units x categories count table (Fleiss 1971)."""
    table = np.asarray(counts, dtype=float)
    if table.ndim != 2:
        raise ValueError("counts must be a units x categories table")
    if table.shape[0] == 0:
        return _undefined("no units to compare")
    raters = table.sum(axis=1)
    if raters.min() != raters.max() or raters.min() < 2:
        # The textbook formula assumes complete data; Krippendorff's alpha handles missing ratings.
        return _undefined(
            "needs the same number of coders (two or more) on every unit; "
            f"these units have {raters.min():g} to {raters.max():g} ratings"
        )
    totals = table.sum(axis=0)
    if np.count_nonzero(totals) < 2:
        return _undefined(NO_VARIATION)
    shares = totals / totals.sum()
    return _chance_corrected(float(_unit_agreement(table).mean()), float((shares**2).sum()))


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


# --- segment-level presence per code ----------------------------------------------------------------

CODING_COLUMNS = ("segment_id", "code", "coder")
STAT_LABELS = {
    "percent_agreement": "percent agreement",
    "cohen_kappa": "Cohen's kappa",
    "fleiss_kappa": "Fleiss' kappa",
    "krippendorff_alpha": "Krippendorff's alpha",
}


def _check_inputs(codings: pd.DataFrame, coders: Sequence[str]) -> None:
    missing = [column for column in CODING_COLUMNS if column not in codings.columns]
    if missing:
        raise ValueError(f"codings lacks column(s): {', '.join(missing)}")
    if len(coders) < 2:
        raise UsageError("agreement needs at least two coders")
    if len(set(coders)) != len(coders):
        raise UsageError(f"each coder may be chosen only once: {', '.join(coders)}")
    clashes = set(coders) & {"segment_id", "code"}
    if clashes:
        raise UsageError(f"coder name(s) clash with table columns: {', '.join(sorted(clashes))}")


def _presence_matrices(
    codings: pd.DataFrame, units: Sequence[int], coders: Sequence[str], codes: Sequence[str]
) -> tuple[list[Any], list[str], dict[str, np.ndarray]]:
    """Per coder a units x codes boolean matrix: did the coder apply the code to the unit?"""
    _check_inputs(codings, coders)
    unit_list = list(dict.fromkeys(units))
    code_list = list(dict.fromkeys(codes))
    unit_position = pd.Index(unit_list)
    code_position = pd.Index(code_list)
    # Positions computed once for all rows; comparing strings per coder is slow on large projects.
    all_rows = unit_position.get_indexer(codings["segment_id"])
    all_columns = code_position.get_indexer(codings["code"])
    who = pd.Index(list(coders)).get_indexer(codings["coder"])
    inside = (all_rows >= 0) & (all_columns >= 0)  # rows outside the units or codes are ignored
    matrices = {}
    for position, coder in enumerate(coders):
        mine = inside & (who == position)
        matrix = np.zeros((len(unit_list), len(code_list)), dtype=bool)
        matrix[all_rows[mine], all_columns[mine]] = True
        matrices[coder] = matrix
    return unit_list, code_list, matrices


def presence(codings: pd.DataFrame, units: Sequence[int], coders: Sequence[str], codes: Sequence[str]) -> pd.DataFrame:
    """Did each coder apply each code to each unit? One row per (segment_id, code), one bool column per coder.

    Rows of `codings` outside units, coders or codes are ignored; applying a code twice to one segment
    counts once.
    """
    unit_list, code_list, matrices = _presence_matrices(codings, units, coders, codes)
    index = pd.MultiIndex.from_product([unit_list, code_list], names=["segment_id", "code"])
    return pd.DataFrame({coder: matrix.ravel() for coder, matrix in matrices.items()}, index=index)


def _presence_stats(decisions: np.ndarray) -> dict[str, Statistic]:
    """The statistics of a units x coders boolean table, computed straight from its presence counts.

    Same values as the general functions on the same table (a test checks this), without building a
    ratings frame per code: the dashboard computes them for every code at once.
    """
    units, coders = decisions.shape
    applied = decisions.sum(axis=1)
    counts = np.column_stack([coders - applied, applied])  # Fleiss' layout: (not applied, applied) per unit
    if units == 0:
        kappa = "cohen_kappa" if coders == 2 else "fleiss_kappa"
        return {name: _undefined(NO_PAIRS) for name in ("percent_agreement", kappa, "krippendorff_alpha")}
    stats = {"percent_agreement": Statistic(float(_unit_agreement(counts).mean()))}
    varied = np.count_nonzero(counts.sum(axis=0)) == 2
    if coders == 2:
        first, second = decisions[:, 0], decisions[:, 1]
        observed = float(np.mean(first == second))
        share_first, share_second = float(first.mean()), float(second.mean())
        expected = share_first * share_second + (1 - share_first) * (1 - share_second)
        stats["cohen_kappa"] = _chance_corrected(observed, expected) if varied else _undefined(NO_VARIATION)
    else:
        stats["fleiss_kappa"] = fleiss_kappa_from_counts(counts)
    if varied:
        # Nominal alpha for two values (Krippendorff 2011): 1 - (n - 1) * sum_u n_u0 n_u1 / (m_u - 1) / (n_0 n_1)
        absent, present = counts[:, 0].astype(float), counts[:, 1].astype(float)
        disagreeing = float((absent * present).sum() / (coders - 1))
        n_absent, n_present = absent.sum(), present.sum()
        alpha = 1 - (n_absent + n_present - 1) * disagreeing / (n_absent * n_present)
        stats["krippendorff_alpha"] = Statistic(float(alpha))
    else:
        stats["krippendorff_alpha"] = _undefined(NO_VARIATION)
    return stats


def _note(decisions: np.ndarray, stats: dict[str, Statistic], subject: str) -> str:
    """Why a statistic is missing, in words a researcher can report."""
    undefined = [STAT_LABELS[name] for name, stat in stats.items() if not stat.defined]
    if not undefined:
        return ""
    if decisions.size == 0:
        reason = "no segments to compare"
    elif not decisions.any():
        reason = f"no coder applied {subject} to any segment, so there is no variation"
    elif decisions.all():
        reason = f"every coder applied {subject} to every segment, so there is no variation"
    else:
        reason = "; ".join(dict.fromkeys(str(stat.reason) for stat in stats.values() if not stat.defined))
    names = undefined[0] if len(undefined) == 1 else ", ".join(undefined[:-1]) + " and " + undefined[-1]
    return f"{names} undefined: {reason}"


def _summary_row(
    label: str, decisions: np.ndarray, coders: Sequence[str], n_segments: int, subject: str
) -> dict[str, Any]:
    stats = _presence_stats(decisions)
    row: dict[str, Any] = {"code": label, "n_segments": n_segments}
    row.update({f"positives_{coder}": int(decisions[:, i].sum()) for i, coder in enumerate(coders)})
    row.update({name: stat.value for name, stat in stats.items()})
    row["note"] = _note(decisions, stats, subject)
    return row


def agreement_by_code(
    codings: pd.DataFrame, units: Sequence[int], coders: Sequence[str], codes: Sequence[str]
) -> pd.DataFrame:
    """Agreement on segment-level presence of each code, plus a pooled "All codes" row.

    `codings` has columns segment_id, code, coder (a row = that coder applied that code to that segment);
    `units` are the segment ids that count (the caller decides which). Columns: code, n_segments,
    positives_<coder>..., percent_agreement, cohen_kappa (two coders) or fleiss_kappa (three or more),
    krippendorff_alpha, note. The pooled row is computed over all n_segments x len(codes) (segment, code)
    decisions. Undefined statistics are <NA> (nullable Float64) and the note says why.
    """
    _, code_list, matrices = _presence_matrices(codings, units, coders, codes)
    n_segments = len(dict.fromkeys(units))
    stacked = np.stack([matrices[coder] for coder in coders], axis=-1)  # units x codes x coders
    rows = [_summary_row(code, stacked[:, j, :], coders, n_segments, "this code") for j, code in enumerate(code_list)]
    pooled = stacked.reshape(-1, len(coders))
    rows.append(_summary_row(POOLED, pooled, coders, n_segments, "any code"))
    result = pd.DataFrame(rows)
    stat_columns = [column for column in result.columns if column in STAT_LABELS]
    return result.astype({column: "Float64" for column in stat_columns})


def disagreements(
    codings: pd.DataFrame, units: Sequence[int], coders: Sequence[str], codes: Sequence[str]
) -> pd.DataFrame:
    """The (segment, code) pairs the coders disagree on: columns segment_id, code, then one bool per coder."""
    table = presence(codings, units, coders, codes)
    differs = table.ne(table.iloc[:, 0], axis=0).any(axis=1)
    return table[differs].reset_index()
