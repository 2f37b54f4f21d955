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


def check_threshold(k: int) -> int:
    """k as a setting: 0 (off) or at least 2 (a cell of one respondent is always a person)."""
    if k == 1 or k < 0:
        raise ValueError(f"the disclosure threshold must be 0 (off) or at least 2 respondents, not {k}")
    return k


def small_cells(respondents: pd.DataFrame, k: int, bases: pd.Series | None = None) -> pd.DataFrame:
    """True where a cell of a crosstab counted in respondents rests on 1 to k-1 of them; with `bases`
    (respondents per column), every cell of a column of fewer than k respondents too: there a 0 says as
    much about a person as a 1 ("the one woman never mentioned it")."""
    shared = [c for c in respondents.columns if _counted(c)]
    counts = respondents[shared].apply(lambda col: col.astype("float"))
    small = (counts > 0) & (counts < k)
    if bases is not None:
        for column in shared:
            if column in bases.index and 0 < float(bases[column]) < k:
                small[column] = True
    return small if k >= 2 else small & False


def suppress_small_cells(
    table: pd.DataFrame, respondents: pd.DataFrame, k: int, bases: pd.Series | None = None
) -> pd.DataFrame:
    """`table` with every cell that rests on 1 to k-1 respondents blanked (NaN); zero cells stay, except
    in a column of fewer than k respondents when `bases` (respondents per column) is given.

    `respondents` is the same crosstab counted in respondents (same rows and columns). Statistical offices
    suppress such cells so that no published number, and no quote behind it, points at one person.
    """
    if k < 2:
        return table
    shared = [c for c in table.columns if c in respondents.columns and _counted(c)]
    small = small_cells(respondents.reindex(index=table.index, columns=shared).fillna(0), k, bases)
    result = table.copy()
    for column in shared:
        result[column] = result[column].astype("float").mask(small[column])
    return result


def _counted(column: object) -> bool:
    """A column of numbers, not the code's name or level ('name' or ('name', '') when attributes are crossed)."""
    label = column[0] if isinstance(column, tuple) else column
    return label not in ("name", "level")


def pair_respondents(pairs: pd.DataFrame, segments: pd.DataFrame, codes: Sequence[str]) -> pd.DataFrame:
    """Code x code: respondents with at least one segment coded with both (the diagonal: with the code).

    `pairs` holds segment_id and code (a parent's row for each child's coding when rolled up), `segments`
    segment_id and respondent_id. The respondents behind each cell of a co-occurrence table."""
    import pandas as pd

    chosen = pairs.loc[pairs["code"].isin(list(codes)), ["segment_id", "code"]].drop_duplicates()
    owners = segments[["segment_id", "respondent_id"]]
    both = chosen.merge(chosen, on="segment_id", suffixes=("", "_with")).merge(owners, on="segment_id")
    counted = both.drop_duplicates(["respondent_id", "code", "code_with"]).groupby(["code", "code_with"]).size()
    table = counted.unstack(fill_value=0) if len(counted) else pd.DataFrame()
    return table.reindex(index=list(codes), columns=list(codes), fill_value=0).astype(int)


def withheld_codings(
    codings: pd.DataFrame, attributes: Sequence[str], k: int, id_column: str = "respondent_id"
) -> pd.Series:
    """For a long table of codings (one row per coding, with its code, respondent and their attributes):
    True where the quote sits behind a cell of fewer than k respondents: the code's own total, or the code
    among the respondents sharing one of this respondent's attribute values (a Themes column)."""
    import pandas as pd

    withheld = pd.Series(False, index=codings.index)
    if k < 2 or codings.empty:
        return withheld
    people = codings.groupby("code")[id_column].transform("nunique")
    withheld |= people < k
    for attribute in attributes:
        if attribute not in codings.columns:
            continue
        value = codings[attribute].astype("object").where(codings[attribute].notna(), MISSING).astype(str)
        shared = codings.assign(_value=value).groupby(["code", "_value"])[id_column].transform("nunique")
        withheld |= shared < k
    return withheld
