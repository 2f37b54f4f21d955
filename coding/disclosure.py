"""Disclosure risk of respondent attributes: combinations shared by fewer than k respondents.

k-anonymity over the attributes that reach outputs: in a study of 36, "the one woman among the
government respondents" is a person. Pure pandas, no project access; the caller chooses the columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

MISSING = "(missing)"


def risky_combinations(
    respondents: pd.DataFrame,
    attributes: Sequence[str],
    k: int = 3,
    id_column: str = "respondent_id",
    max_size: int | None = None,
) -> pd.DataFrame:
    """Combinations of attribute values shared by fewer than `k` respondents.

    Every subset of `attributes` (up to `max_size` attributes, default all) is checked, smallest first;
    a combination is reported only when no smaller part of it is already rare (reporting "woman" alone
    makes "woman + government" redundant). Missing values count as a value of their own.

    Returns one row per rare combination: `attributes` (tuple of names), `values` (tuple), `size`
    (respondents sharing it, < k) and `respondents` (their ids, sorted), ordered by size then attributes.
    """
    import pandas as pd

    if k < 2:
        raise ValueError("k must be at least 2")
    unknown = [a for a in attributes if a not in respondents.columns]
    if unknown:
        raise KeyError(f"no such respondent attribute: {', '.join(unknown)}")
    frame = respondents.drop_duplicates(subset=[id_column]) if id_column in respondents.columns else respondents
    ids = frame[id_column].astype(str) if id_column in frame.columns else frame.index.astype(str).to_series()
    values = frame[list(attributes)].astype("object").where(frame[list(attributes)].notna(), MISSING).astype(str)
    rare: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    rows: list[dict[str, object]] = []
    largest = len(attributes) if max_size is None else min(max_size, len(attributes))
    for size in range(1, largest + 1):
        for columns in combinations(attributes, size):
            counts = values.groupby(list(columns), dropna=False).size()
            for key, count in counts.items():
                key_tuple = key if isinstance(key, tuple) else (key,)
                if count >= k or _has_rare_part(columns, key_tuple, rare):
                    continue
                rare.append((columns, key_tuple))
                mask = (values[list(columns)] == list(key_tuple)).all(axis=1)
                rows.append(
                    {
                        "attributes": columns,
                        "values": key_tuple,
                        "size": int(count),
                        "respondents": tuple(sorted(ids[mask.to_numpy()])),
                    }
                )
    result = pd.DataFrame(rows, columns=["attributes", "values", "size", "respondents"])
    if result.empty:
        return result
    order = result.assign(_n=result["attributes"].map(len)).sort_values(["size", "_n", "attributes"], kind="stable")
    return order.drop(columns="_n").reset_index(drop=True)


def _has_rare_part(
    columns: tuple[str, ...], key: tuple[str, ...], rare: list[tuple[tuple[str, ...], tuple[str, ...]]]
) -> bool:
    given = dict(zip(columns, key, strict=True))
    return any(
        len(cols) < len(columns) and all(given.get(c) == v for c, v in zip(cols, vals, strict=True))
        for cols, vals in rare
    )


def smallest_group(respondents: pd.DataFrame, attributes: Sequence[str]) -> int:
    """The k for which these attributes are k-anonymous: the size of the smallest group of respondents
    sharing all their values (0 for no respondents)."""
    if respondents.empty or not attributes:
        return len(respondents)
    frame = respondents[list(attributes)].astype("object").where(respondents[list(attributes)].notna(), MISSING)
    return int(frame.astype(str).groupby(list(attributes)).size().min())


def suppress_small_cells(table: pd.DataFrame, respondents: pd.DataFrame, k: int) -> pd.DataFrame:
    """`table` with every cell that rests on 1 to k-1 respondents blanked (NaN); zero cells stay.

    `respondents` is the same crosstab counted in respondents (same rows and columns). Statistical offices
    suppress such cells so that no published number, and no quote behind it, points at one person.
    """
    if k < 2:
        return table
    shared = [c for c in table.columns if c in respondents.columns and c not in ("name", "level")]
    counts = respondents.reindex(index=table.index, columns=shared)
    small = (counts > 0) & (counts < k)
    result = table.copy()
    for column in shared:
        result[column] = result[column].astype("float").mask(small[column])
    return result
