"""Tables over codings: cross-tabs, frequencies, co-occurrence. Pure functions over DataFrames.

Inputs:
- codings: columns segment_id, code (one row per code on a segment; duplicates are ignored)
- segments: columns segment_id, respondent_id (every coding unit that could have been coded)
- respondents: columns respondent_id plus one column per attribute
A parent code's row counts segments coded with it or with any code below it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .models import Codebook

MISSING = "(missing)"
COUNTS = ("segments", "respondents")
PERCENTS = ("none", "row", "column")
TOTAL = "Total"


def rolled_up(codings: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """(segment_id, code) pairs with every ancestor of each code added, without duplicates.

    Done on integer keys (segment * number of codes + code) because the dashboard calls it on every
    filter change over hundreds of thousands of codings."""
    factor, seen = pd.factorize(codings["code"])  # one pass over the strings; the rest is integers
    ids = [code.id for code in codebook.codes]
    ids += sorted(set(seen) - set(ids))  # codes the codebook no longer has stay
    position = {code_id: i for i, code_id in enumerate(ids)}
    lineage = [[i, *(position[a] for a in codebook.ancestors(code_id))] for i, code_id in enumerate(ids)]
    lengths = np.array([len(chain) for chain in lineage], dtype=np.int64)
    flat = np.fromiter((i for chain in lineage for i in chain), dtype=np.int64)
    firsts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    code = np.array([position[c] for c in seen], dtype=np.int64)[factor] if len(seen) else factor.astype(np.int64)
    segment = codings["segment_id"].to_numpy(dtype=np.int64)
    repeats = lengths[code]
    # for each coding, the positions of its code and its ancestors in `flat`
    within = np.arange(repeats.sum()) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    expanded = flat[np.repeat(firsts[code], repeats) + within]
    keys = np.unique(np.repeat(segment, repeats) * len(ids) + expanded)
    names = np.array(ids, dtype=object)
    return pd.DataFrame({"segment_id": keys // len(ids), "code": names[keys % len(ids)]})


def _pairs(codings: pd.DataFrame, codebook: Codebook, rolled: bool) -> pd.DataFrame:
    """rolled=True: the caller already passed rolled_up(...) (the dashboard shares one per filter state)."""
    return codings[["segment_id", "code"]] if rolled else rolled_up(codings, codebook)


def attribute_values(respondents: pd.DataFrame, by: str) -> pd.Series:
    if by not in respondents.columns:
        known = ", ".join(c for c in respondents.columns if c != "respondent_id") or "none"
        raise KeyError(f"unknown respondent attribute {by!r} (known: {known})")
    values = respondents.set_index("respondent_id")[by]
    return values.fillna(MISSING).astype(str).replace("", MISSING)


def _value_order(values: pd.Series) -> list[str]:
    ordered = sorted(v for v in values.unique() if v != MISSING)
    return ordered + ([MISSING] if MISSING in set(values) else [])


def code_frame(codebook: Codebook) -> pd.DataFrame:
    """Codes in tree order with name and depth, indexed by code id."""
    rows = [(c.id, c.name, codebook.depth(c.id)) for c in codebook.tree_order()]
    return pd.DataFrame(rows, columns=["code", "name", "level"]).set_index("code")


def crosstab(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    respondents: pd.DataFrame,
    codebook: Codebook,
    by: str,
    count: str = "segments",
    percent: str = "none",
    rolled: bool = False,
) -> pd.DataFrame:
    """Codes (rows, tree order) by the values of one respondent attribute (columns), plus Total."""
    if count not in COUNTS:
        raise ValueError(f"count must be one of {', '.join(COUNTS)}")
    if percent not in PERCENTS:
        raise ValueError(f"percent must be one of {', '.join(PERCENTS)}")
    values = attribute_values(respondents, by)
    columns = _value_order(values)
    units = segments[["segment_id", "respondent_id"]].copy()
    units["value"] = units["respondent_id"].map(values).fillna(MISSING)
    coded = _pairs(codings, codebook, rolled).merge(units, on="segment_id")
    key = "segment_id" if count == "segments" else "respondent_id"
    counts = coded.groupby(["code", "value"])[key].nunique().unstack("value", fill_value=0)
    codes = code_frame(codebook)
    table = counts.reindex(index=codes.index, columns=columns, fill_value=0).fillna(0).astype(int)
    table[TOTAL] = coded.groupby("code")[key].nunique().reindex(codes.index, fill_value=0).astype(int)
    result = codes.join(table)
    result.columns.name = by  # join drops the name of the attribute the columns are values of
    if percent == "none":
        return result
    bases = column_bases(segments, respondents, by, count) if percent == "column" else None
    return percentages(result, percent, bases)


def percentages(counts: pd.DataFrame, percent: str, bases: pd.Series | None = None) -> pd.DataFrame:
    """A crosstab of counts as row percentages (of the code's Total) or column percentages (of `bases`,
    as from column_bases), rounded to one decimal; a zero base gives a blank."""
    if percent not in ("row", "column"):
        raise ValueError("percent must be row or column")
    values = [c for c in counts.columns if c not in ("name", "level")]
    table = counts[values]
    if percent == "row":
        table = table.div(table[TOTAL].where(table[TOTAL] > 0), axis=0)
    else:
        if bases is None:
            raise ValueError("column percentages need the column bases")
        base = bases.reindex(values)
        table = table.div(base.where(base > 0), axis=1)
    result = counts[["name", "level"]].join(table.mul(100).round(1))
    result.columns.name = counts.columns.name
    return result


def column_bases(segments: pd.DataFrame, respondents: pd.DataFrame, by: str, count: str) -> pd.Series:
    """n per column: segments (or respondents with at least one segment) in each attribute value."""
    values = attribute_values(respondents, by)
    units = segments[["segment_id", "respondent_id"]].copy()
    units["value"] = units["respondent_id"].map(values).fillna(MISSING)
    key = "segment_id" if count == "segments" else "respondent_id"
    bases = units.groupby("value")[key].nunique()
    bases = bases.reindex(_value_order(values), fill_value=0)
    bases[TOTAL] = units[key].nunique()
    return bases.astype(int)


def frequencies(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    codebook: Codebook,
    respondents_total: int | None = None,
    rolled: bool = False,
) -> pd.DataFrame:
    """Per code: segments, respondents, and the share of respondents who mention it."""
    coded = _pairs(codings, codebook, rolled).merge(segments[["segment_id", "respondent_id"]], on="segment_id")
    codes = code_frame(codebook)
    table = codes.copy()
    table["segments"] = coded.groupby("code")["segment_id"].nunique().reindex(codes.index, fill_value=0)
    table["respondents"] = coded.groupby("code")["respondent_id"].nunique().reindex(codes.index, fill_value=0)
    total = respondents_total if respondents_total is not None else segments["respondent_id"].nunique()
    table["% of respondents"] = (table["respondents"] / total * 100).round(1) if total else 0.0
    return table


def cooccurrence(
    codings: pd.DataFrame, codebook: Codebook, codes: Sequence[str] | None = None, rolled: bool = False
) -> pd.DataFrame:
    """Code x code: segments where both codes apply (diagonal: segments with the code)."""
    from scipy import sparse

    pairs = _pairs(codings, codebook, rolled)
    order = list(codes) if codes is not None else [c.id for c in codebook.tree_order()]
    pairs = pairs[pairs["code"].isin(order)]
    column = pd.Categorical(pairs["code"], categories=order).codes
    row = pd.factorize(pairs["segment_id"])[0]
    indicator = sparse.csr_matrix(
        ([1] * len(pairs), (row, column)), shape=(int(row.max()) + 1 if len(row) else 0, len(order))
    )
    matrix = (indicator.T @ indicator).toarray()
    return pd.DataFrame(matrix, index=pd.Index(order, name="code"), columns=pd.Index(order, name="code"))


def segments_in_cell(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    respondents: pd.DataFrame,
    codebook: Codebook,
    code: str,
    by: str | None = None,
    value: str | None = None,
    also_code: str | None = None,
    rolled: bool = False,
) -> pd.DataFrame:
    """The segments behind one number: coded `code` (or below it), in group `value`, with `also_code`."""
    pairs = _pairs(codings, codebook, rolled)
    ids = set(pairs.loc[pairs["code"] == code, "segment_id"])
    if also_code is not None:
        ids &= set(pairs.loc[pairs["code"] == also_code, "segment_id"])
    chosen = segments[segments["segment_id"].isin(ids)]
    if by is not None and value is not None and value != TOTAL:
        values = attribute_values(respondents, by)
        chosen = chosen[chosen["respondent_id"].map(values).fillna(MISSING) == value]
    return chosen.reset_index(drop=True)


# ----- several attributes at once, and respondents as columns -------------------------------------
def _attribute_table(respondents: pd.DataFrame, by: Sequence[str]) -> tuple[pd.DataFrame, list[tuple[str, ...]]]:
    """Each respondent's value of every attribute in `by` (MISSING for none), and the column keys in order:
    the first attribute's values sorted, the next ones sorted within them, missing values last."""
    if not by:
        raise ValueError("name at least one respondent attribute")
    if len(set(by)) != len(by):
        raise ValueError(f"an attribute appears twice in {list(by)}")
    values = pd.DataFrame({name: attribute_values(respondents, name) for name in by})
    keys = sorted(
        set(values.itertuples(index=False, name=None)),
        key=lambda key: tuple((v == MISSING, v) for v in key),
    )
    return values, keys


def _column_index(keys: Sequence[tuple[str, ...]], by: Sequence[str]) -> pd.Index:
    if len(by) == 1:
        return pd.Index([k[0] for k in keys] + [TOTAL], name=by[0])
    total = (TOTAL, *([""] * (len(by) - 1)))
    return pd.MultiIndex.from_tuples([*keys, total], names=list(by))


def crosstab_by(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    respondents: pd.DataFrame,
    codebook: Codebook,
    by: Sequence[str],
    count: str = "segments",
    percent: str = "none",
    rolled: bool = False,
) -> pd.DataFrame:
    """Codes (rows, tree order) by the combined values of several attributes: with two or more, the columns
    have one level per attribute (group, then gender within it), plus Total. Only combinations some
    respondent has are columns. With one attribute it is crosstab() itself, column for column."""
    if count not in COUNTS:
        raise ValueError(f"count must be one of {', '.join(COUNTS)}")
    if percent not in PERCENTS:
        raise ValueError(f"percent must be one of {', '.join(PERCENTS)}")
    by = list(by)
    values, keys = _attribute_table(respondents, by)
    columns = _column_index(keys, by)
    units = segments[["segment_id", "respondent_id"]].merge(
        values, left_on="respondent_id", right_index=True, how="left"
    )
    units[by] = units[by].fillna(MISSING)
    coded = _pairs(codings, codebook, rolled).merge(units, on="segment_id")
    key = "segment_id" if count == "segments" else "respondent_id"
    counts = coded.groupby(["code", *by])[key].nunique()
    table = counts.unstack(by, fill_value=0) if len(counts) else pd.DataFrame(index=pd.Index([], name="code"))
    codes = code_frame(codebook)
    body = pd.DataFrame(0, index=codes.index, columns=columns)
    body = body.astype(int)
    inner = [c for c in columns if c != columns[-1]]
    if len(table.columns):
        present = table.reindex(index=codes.index, fill_value=0).fillna(0).astype(int)
        for column in inner:
            if column in present.columns:
                body[column] = present[column].to_numpy()
    body[columns[-1]] = coded.groupby("code")[key].nunique().reindex(codes.index, fill_value=0).astype(int)
    result = _with_code_columns(codes, body)
    if percent == "none":
        return result
    bases = column_bases_by(segments, respondents, by, count) if percent == "column" else None
    return percentages_by(result, percent, bases)


def _with_code_columns(codes: pd.DataFrame, body: pd.DataFrame) -> pd.DataFrame:
    """name and level first, then the counts; with several column levels name and level fill the first."""
    if isinstance(body.columns, pd.MultiIndex):
        pad = [""] * (body.columns.nlevels - 1)
        front = pd.DataFrame({("name", *pad): codes["name"], ("level", *pad): codes["level"]}, index=codes.index)
        front.columns = pd.MultiIndex.from_tuples(list(front.columns), names=body.columns.names)
        return pd.concat([front, body], axis=1)
    result = codes.join(body)
    result.columns.name = body.columns.name
    return result


def value_columns(table: pd.DataFrame) -> list[object]:
    """The columns of a crosstab that hold numbers (everything but name and level)."""
    return [c for c in table.columns if (c[0] if isinstance(c, tuple) else c) not in ("name", "level")]


def total_column(table: pd.DataFrame) -> object:
    return next(c for c in table.columns if (c[0] if isinstance(c, tuple) else c) == TOTAL)


def percentages_by(counts: pd.DataFrame, percent: str, bases: pd.Series | None = None) -> pd.DataFrame:
    """percentages() for crosstab_by's tables, one column level or several."""
    if percent not in ("row", "column"):
        raise ValueError("percent must be row or column")
    values = value_columns(counts)
    table = counts[values].astype(float)
    if percent == "row":
        total = table[total_column(counts)]
        table = table.div(total.where(total > 0), axis=0)
    else:
        if bases is None:
            raise ValueError("column percentages need the column bases")
        base = bases.reindex(table.columns).astype(float)
        table = table.div(base.where(base > 0), axis=1)
    result = pd.concat([counts[[c for c in counts.columns if c not in values]], table.mul(100).round(1)], axis=1)
    result.columns.names = counts.columns.names
    return result


def column_bases_by(segments: pd.DataFrame, respondents: pd.DataFrame, by: Sequence[str], count: str) -> pd.Series:
    """n per column of crosstab_by: segments (or respondents with at least one segment) per combination."""
    by = list(by)
    values, keys = _attribute_table(respondents, by)
    units = segments[["segment_id", "respondent_id"]].merge(
        values, left_on="respondent_id", right_index=True, how="left"
    )
    units[by] = units[by].fillna(MISSING)
    key = "segment_id" if count == "segments" else "respondent_id"
    grouped = units.groupby(by)[key].nunique()
    columns = _column_index(keys, by)
    bases = pd.Series(0, index=columns, dtype=int)
    for column in columns[:-1]:
        found = grouped.get(column if len(by) > 1 else column, None)
        bases[column] = int(found) if found is not None else 0
    bases[columns[-1]] = units[key].nunique()
    return bases.astype(int)


CASE_VALUES = ("segments", "presence")


def case_matrix(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    respondents: pd.DataFrame,
    codebook: Codebook,
    order_by: str | None = None,
    values: str = "segments",
    rolled: bool = False,
) -> pd.DataFrame:
    """Code x respondent: each respondent with a segment is a column (ordered by `order_by`'s value, then
    by id; with order_by the columns have two levels, value and respondent). A cell holds the segments
    the respondent has with the code (values="segments") or 1 if any (values="presence")."""
    if values not in CASE_VALUES:
        raise ValueError(f"values must be one of {', '.join(CASE_VALUES)}")
    people = sorted(segments["respondent_id"].dropna().unique())
    if order_by is not None:
        grouping = attribute_values(respondents, order_by).reindex(people).fillna(MISSING)
        people = sorted(people, key=lambda r: (grouping[r] == MISSING, grouping[r], r))
        columns: pd.Index = pd.MultiIndex.from_arrays(
            [[grouping[r] for r in people], people], names=[order_by, "respondent_id"]
        )
    else:
        columns = pd.Index(people, name="respondent_id")
    coded = _pairs(codings, codebook, rolled).merge(segments[["segment_id", "respondent_id"]], on="segment_id")
    counts = coded.groupby(["code", "respondent_id"])["segment_id"].nunique().unstack(fill_value=0)
    codes = code_frame(codebook)
    counts = counts.reindex(index=codes.index, columns=people, fill_value=0).fillna(0).astype(int)
    if values == "presence":
        counts = (counts > 0).astype(int)
    counts.columns = columns
    return _with_code_columns(codes, counts)


# ----- the same tables from counts made in the database (coding.store.aggregate) ----------------------
# The database returns segments counted per (respondent, set of codes); these functions roll the code sets
# up to ancestors and build the tables above from them, column for column (tests/test_aggregate.py).
def rollup_matrix(codes: Sequence[str], codebook: Codebook) -> np.ndarray:
    """(codes, codes) 0/1: row i has a 1 in the columns of code i and of each of its ancestors."""
    position = {code: i for i, code in enumerate(codes)}
    matrix = np.zeros((len(codes), len(codes)), dtype=np.int64)
    for i, code in enumerate(codes):
        matrix[i, i] = 1
        for ancestor in codebook.ancestors(code):
            if ancestor in position:
                matrix[i, position[ancestor]] = 1
    return matrix


def rolled_masks(masks: np.ndarray, codes: Sequence[str], codebook: Codebook) -> np.ndarray:
    """Each row's direct codes (booleans, columns in `codes` order) with every ancestor added."""
    sets, row_set = rolled_code_sets(masks, codes, codebook)
    return sets[row_set]


def rolled_code_sets(masks: np.ndarray, codes: Sequence[str], codebook: Codebook) -> tuple[np.ndarray, np.ndarray]:
    """The rows' distinct code sets with every ancestor added (sets x codes, booleans) and each row's set.

    118,149 rows at 10,000 transcripts held 261 distinct code sets: each set is rolled up once."""
    if not len(masks):
        return np.zeros((0, masks.shape[1]), dtype=bool), np.zeros(0, dtype=np.int64)
    distinct, row_set = _distinct_rows(masks.astype(bool))
    # In float32 the product runs in BLAS (integer products do not); the sums are small whole numbers,
    # exact in float32.
    return (distinct.astype(np.float32) @ rollup_matrix(codes, codebook).astype(np.float32)) > 0, row_set


def _distinct_rows(masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a boolean matrix and, for each row, the index of its distinct row."""
    packed = np.ascontiguousarray(np.packbits(masks, axis=1))
    if packed.shape[1] <= 8:  # up to 64 codes: each row is one 64-bit number, grouped by hashing
        wide = np.zeros((len(packed), 8), dtype=np.uint8)
        wide[:, : packed.shape[1]] = packed
        row_set, _ = pd.factorize(wide.view(np.uint64).reshape(-1))
    else:  # more codes: rows compared as bytes (sorted)
        keys = packed.view(np.dtype((np.void, packed.shape[1]))).reshape(-1)
        row_set = np.unique(keys, return_inverse=True)[1].reshape(-1)
    representative = np.zeros(int(row_set.max()) + 1, dtype=np.int64)
    representative[row_set] = np.arange(len(row_set))  # any row of a set: its rows are equal
    return masks[representative], row_set


def per_respondent(
    respondent_ids: Sequence[str], sets: np.ndarray, row_set: np.ndarray, segments: np.ndarray
) -> tuple[pd.Index, np.ndarray]:
    """Segments per respondent (rows) and code (columns) from rows of (respondent, code set, count), the sets
    as rolled_code_sets gives them."""
    from scipy import sparse

    index, people = pd.factorize(pd.Series(list(respondent_ids), dtype=object))
    # (respondents x sets) segment counts times (sets x codes): no (rows x codes) array is made (np.add.at
    # over one was 0.3-0.5 s at 10,000 transcripts). Float64 sums are exact far beyond any corpus.
    weights = sparse.csr_matrix(
        (np.asarray(segments, dtype=np.float64), (index, np.asarray(row_set))), shape=(len(people), len(sets))
    )
    counts = np.rint(weights @ sets.astype(np.float64)).astype(np.int64)
    return pd.Index(people, name="respondent_id"), np.asarray(counts).reshape(len(people), sets.shape[1])


def crosstab_from_counts(
    people: pd.Index,
    counts: np.ndarray,
    codes: Sequence[str],
    respondents: pd.DataFrame,
    codebook: Codebook,
    by: str | Sequence[str],
    count: str = "segments",
    percent: str = "none",
    bases: pd.Series | None = None,
) -> pd.DataFrame:
    """crosstab (by one attribute) or crosstab_by (several) from per_respondent's counts; `bases` as from
    column_bases_from_counts when percent is "column"."""
    if count not in COUNTS:
        raise ValueError(f"count must be one of {', '.join(COUNTS)}")
    if percent not in PERCENTS:
        raise ValueError(f"percent must be one of {', '.join(PERCENTS)}")
    names = [by] if isinstance(by, str) else list(by)
    values, keys = _attribute_table(respondents, names)
    columns = _column_index(keys, names)
    chosen = counts if count == "segments" else (counts > 0).astype(np.int64)
    frame = pd.DataFrame(chosen, index=people, columns=list(codes))
    groups = values.reindex(people).fillna(MISSING)
    summed = frame.groupby([groups[name] for name in names]).sum().T if len(frame) else None
    tree = code_frame(codebook)
    body = pd.DataFrame(0, index=tree.index, columns=columns, dtype=np.int64)
    for column in columns[:-1]:
        key = column if len(names) > 1 else column
        if summed is not None and key in summed.columns:
            body[column] = summed[key].reindex(tree.index, fill_value=0).to_numpy(dtype=np.int64)
    body[columns[-1]] = frame.sum().reindex(tree.index, fill_value=0).to_numpy(dtype=np.int64)
    if isinstance(by, str):
        body.columns = pd.Index(list(body.columns), name=by)
        result = tree.join(body)
        result.columns.name = by
        return result if percent == "none" else percentages(result, percent, bases)
    result = _with_code_columns(tree, body)
    return result if percent == "none" else percentages_by(result, percent, bases)


def column_bases_from_counts(
    segment_counts: dict[str, int], respondents: pd.DataFrame, by: str | Sequence[str], count: str
) -> pd.Series:
    """column_bases (or column_bases_by) from the respondent segments per respondent id."""
    names = [by] if isinstance(by, str) else list(by)
    values, keys = _attribute_table(respondents, names)
    per_person = pd.Series(segment_counts, dtype=np.int64)
    chosen = per_person if count == "segments" else (per_person > 0).astype(np.int64)
    groups = values.reindex(per_person.index).fillna(MISSING)
    summed = chosen.groupby([groups[name] for name in names]).sum() if len(chosen) else pd.Series(dtype=np.int64)
    if isinstance(by, str):
        order = _value_order(attribute_values(respondents, by))
        bases = pd.Series([int(summed.get(v, 0)) for v in order], index=pd.Index(order, name="value"), dtype=np.int64)
        bases[TOTAL] = int(chosen.sum())
        bases.name = "segment_id" if count == "segments" else "respondent_id"  # as groupby names it
        return bases.astype(int)
    columns = _column_index(keys, names)
    bases = pd.Series(0, index=columns, dtype=int)
    for column in columns[:-1]:
        bases[column] = int(summed.get(column, 0))
    bases[columns[-1]] = int(chosen.sum())
    return bases.astype(int)


def frequencies_from_counts(
    counts: np.ndarray, codes: Sequence[str], codebook: Codebook, respondents_total: int
) -> pd.DataFrame:
    """frequencies() from per_respondent's counts."""
    table = code_frame(codebook).copy()
    table["segments"] = pd.Series(counts.sum(axis=0), index=list(codes)).reindex(table.index, fill_value=0)
    people = (counts > 0).sum(axis=0).astype(np.int64)
    table["respondents"] = pd.Series(people, index=list(codes)).reindex(table.index, fill_value=0)
    total = respondents_total
    table["% of respondents"] = (table["respondents"] / total * 100).round(1) if total else 0.0
    return table


def cooccurrence_from_counts(rolled: np.ndarray, segments: np.ndarray, codes: Sequence[str]) -> pd.DataFrame:
    """cooccurrence() from rows of (rolled code set, segments with it), codes in `codes` order."""
    weighted = rolled.astype(np.int64) * np.asarray(segments, dtype=np.int64)[:, None]
    matrix = weighted.T @ rolled.astype(np.int64)
    if not len(rolled):  # cooccurrence() gives float zeros when nothing is coded (an empty sparse matrix)
        matrix = matrix.astype(float)
    order = list(codes)
    return pd.DataFrame(matrix, index=pd.Index(order, name="code"), columns=pd.Index(order, name="code"))
