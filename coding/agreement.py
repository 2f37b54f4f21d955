"""Intercoder agreement on segment presence, per code: the statistics the product reports.

`agreement_by_code` gives agreement on whether each coder applied each code to each segment (presence or
absence, so uncoded characters never count): percent agreement, Cohen's kappa (two coders) or Fleiss'
kappa (three or more), and nominal Krippendorff's alpha, each computed once, in closed form from presence
counts. Every statistic is a `Statistic`: a value, or None with the reason it is undefined for these data
(e.g. no variation at all) -- never a made-up number. The general forms of these and other coefficients
live in the tests (tests/reference_agreement.py), checked against published worked examples, and the
closed forms here are checked against them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from coding.errors import UsageError

POOLED = "All codes"  # label of the pooled row in agreement_by_code

NO_PAIRS = "no unit was rated by two or more coders"
NO_VARIATION = "no variation: every rating falls in one category, so chance alone predicts perfect agreement"


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


def _unit_agreement(counts: np.ndarray) -> np.ndarray:
    """Share of agreeing coder pairs within each unit rated by two or more coders."""
    raters = counts.sum(axis=1)
    paired = raters >= 2
    agreeing = (counts[paired] * (counts[paired] - 1)).sum(axis=1)
    return agreeing / (raters[paired] * (raters[paired] - 1))


def fleiss_kappa_from_counts(counts: npt.ArrayLike, weights: npt.ArrayLike | None = None) -> Statistic:
    """Fleiss' kappa from a units x categories count table (Fleiss 1971). weights: how many units each row
    stands for (rows of identical units counted once; default one each)."""
    table = np.asarray(counts, dtype=float)
    if table.ndim != 2:
        raise ValueError("counts must be a units x categories table")
    times = np.ones(table.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    table, times = table[times > 0], times[times > 0]
    if table.shape[0] == 0:
        return _undefined("no units to compare")
    raters = table.sum(axis=1)
    if raters.min() != raters.max() or raters.min() < 2:
        # The textbook formula assumes complete data; Krippendorff's alpha handles missing ratings.
        return _undefined(
            "needs the same number of coders (two or more) on every unit; "
            f"these units have {raters.min():g} to {raters.max():g} ratings"
        )
    totals = (table * times[:, None]).sum(axis=0)
    if np.count_nonzero(totals) < 2:
        return _undefined(NO_VARIATION)
    shares = totals / totals.sum()
    observed = float((_unit_agreement(table) * times).sum() / times.sum())
    return _chance_corrected(observed, float((shares**2).sum()))


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


def _presence_stats(decisions: np.ndarray, weights: np.ndarray | None = None) -> dict[str, Statistic]:
    """The statistics of a units x coders boolean table, computed straight from its presence counts.

    weights: how many units each row stands for (a row per distinct pattern of coders, as counted in the
    database; default one each). Same values as the general forms on the same table
    (tests/reference_agreement.py; a test checks this), without building a ratings frame per code: the
    dashboard computes them for every code at once.
    """
    coders = decisions.shape[1]
    times = np.ones(decisions.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    units = float(times.sum())
    applied = decisions.sum(axis=1)
    counts = np.column_stack([coders - applied, applied])  # Fleiss' layout: (not applied, applied) per unit
    if units == 0:
        kappa = "cohen_kappa" if coders == 2 else "fleiss_kappa"
        return {name: _undefined(NO_PAIRS) for name in ("percent_agreement", kappa, "krippendorff_alpha")}
    stats = {"percent_agreement": Statistic(float((_unit_agreement(counts) * times).sum() / units))}
    varied = np.count_nonzero((counts * times[:, None]).sum(axis=0)) == 2
    if coders == 2:
        first, second = decisions[:, 0], decisions[:, 1]
        observed = float(((first == second) * times).sum() / units)
        share_first, share_second = float((first * times).sum() / units), float((second * times).sum() / units)
        expected = share_first * share_second + (1 - share_first) * (1 - share_second)
        stats["cohen_kappa"] = _chance_corrected(observed, expected) if varied else _undefined(NO_VARIATION)
    else:
        stats["fleiss_kappa"] = fleiss_kappa_from_counts(counts, times)
    if varied:
        # Nominal alpha for two values (Krippendorff 2011): 1 - (n - 1) * sum_u n_u0 n_u1 / (m_u - 1) / (n_0 n_1)
        absent, present = counts[:, 0].astype(float), counts[:, 1].astype(float)
        disagreeing = float((absent * present * times).sum() / (coders - 1))
        n_absent, n_present = (absent * times).sum(), (present * times).sum()
        alpha = 1 - (n_absent + n_present - 1) * disagreeing / (n_absent * n_present)
        stats["krippendorff_alpha"] = Statistic(float(alpha))
    else:
        stats["krippendorff_alpha"] = _undefined(NO_VARIATION)
    return stats


def _note(decisions: np.ndarray, stats: dict[str, Statistic], subject: str, weights: np.ndarray | None = None) -> str:
    """Why a statistic is missing, in words a researcher can report."""
    undefined = [STAT_LABELS[name] for name, stat in stats.items() if not stat.defined]
    if not undefined:
        return ""
    present = decisions if weights is None else decisions[np.asarray(weights) > 0]
    if present.size == 0:
        reason = "no segments to compare"
    elif not present.any():
        reason = f"no coder applied {subject} to any segment, so there is no variation"
    elif present.all():
        reason = f"every coder applied {subject} to every segment, so there is no variation"
    else:
        reason = "; ".join(dict.fromkeys(str(stat.reason) for stat in stats.values() if not stat.defined))
    names = undefined[0] if len(undefined) == 1 else ", ".join(undefined[:-1]) + " and " + undefined[-1]
    return f"{names} undefined: {reason}"


def _summary_row(
    label: str,
    decisions: np.ndarray,
    coders: Sequence[str],
    n_segments: int,
    subject: str,
    weights: np.ndarray | None = None,
) -> dict[str, Any]:
    stats = _presence_stats(decisions, weights)
    times = np.ones(decisions.shape[0], dtype=np.int64) if weights is None else weights
    row: dict[str, Any] = {"code": label, "n_segments": n_segments}
    row.update({f"positives_{coder}": int((decisions[:, i] * times).sum()) for i, coder in enumerate(coders)})
    row.update({name: stat.value for name, stat in stats.items()})
    row["note"] = _note(decisions, stats, subject, weights)
    return row


def _table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    result = pd.DataFrame(rows)
    stat_columns = [column for column in result.columns if column in STAT_LABELS]
    return result.astype({column: "Float64" for column in stat_columns})


def _pattern_counts(decisions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a units x coders boolean table that some coder applied, and how many units each.
    Up to 62 coders a row is one integer (np.unique over rows of booleans is ten times slower)."""
    applied = decisions[decisions.any(axis=1)]
    coders = decisions.shape[1]
    if coders > 62:
        patterns, counts = np.unique(applied, axis=0, return_counts=True)
        return patterns.reshape(len(patterns), coders), counts
    bits = np.left_shift(np.int64(1), np.arange(coders, dtype=np.int64))
    values, counts = np.unique(applied.astype(np.int64) @ bits, return_counts=True)
    return (values[:, None] & bits[None, :]) != 0, counts


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
    # The statistics need how many units show each pattern of coders, not a row per unit: counted per code
    # (the units x codes rows of floats were 2 GB at 10,000 transcripts).
    found_codes: list[str] = []
    found_patterns, found_counts = [], []
    for j, code in enumerate(code_list):
        patterns, counts = _pattern_counts(np.stack([matrices[coder][:, j] for coder in coders], axis=1))
        found_codes += [code] * len(patterns)
        found_patterns.append(patterns)
        found_counts.append(counts)
    patterns = np.concatenate(found_patterns) if found_patterns else np.zeros((0, len(coders)), dtype=bool)
    counted = np.concatenate(found_counts) if found_counts else np.zeros(0, dtype=np.int64)
    return agreement_from_counts(n_segments, coders, code_list, (found_codes, patterns, counted.astype(np.int64)))


def agreement_from_counts(
    n_segments: int,
    coders: Sequence[str],
    codes: Sequence[str],
    counted: tuple[Sequence[str], np.ndarray, np.ndarray],
) -> pd.DataFrame:
    """agreement_by_code's table from presence counts made elsewhere (the database): `counted` is
    (code per row, (rows, coders) booleans of which coders applied it, segments per row), rows with no
    coder left out; each code's remaining segments are its "neither" row. Same table as agreement_by_code
    over the same codings and n_segments units."""
    codes_found, patterns, segments = counted
    row_codes = np.asarray(codes_found, dtype=object)
    neither = np.zeros((1, len(coders)), dtype=bool)
    every_pattern, every_weight, rows = [], [], []
    for code in dict.fromkeys(codes):
        mine = row_codes == code
        weights = np.append(segments[mine], n_segments - int(segments[mine].sum())).astype(np.int64)
        decisions = np.vstack([patterns[mine], neither])
        every_pattern.append(decisions)
        every_weight.append(weights)
        rows.append(_summary_row(code, decisions, coders, n_segments, "this code", weights))
    pooled = np.vstack([*every_pattern, neither]) if every_pattern else neither
    pooled_weights = np.concatenate([*every_weight, [0]]) if every_weight else np.zeros(1, dtype=np.int64)
    rows.append(_summary_row(POOLED, pooled, coders, n_segments, "any code", pooled_weights))
    return _table(rows)


def disagreements(
    codings: pd.DataFrame, units: Sequence[int], coders: Sequence[str], codes: Sequence[str]
) -> pd.DataFrame:
    """The (segment, code) pairs the coders disagree on: columns segment_id, code, then one bool per coder."""
    table = presence(codings, units, coders, codes)
    differs = table.ne(table.iloc[:, 0], axis=0).any(axis=1)
    return table[differs].reset_index()
