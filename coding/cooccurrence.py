"""Which codes come up together: in the same coding unit, the same turn, or within N sentences.

Everything is counted over *contexts*, so that counts and coefficients mean one thing:
- unit: a context is one segment (the project's coding unit);
- turn: a context is one respondent turn (all its segments);
- window: a context is a run of N+1 consecutive positions (sentences, when the unit is the sentence) of one
  document; two codes fall in a common window exactly when their segments are at most N positions apart.
  Positions are the segments' places in the transcript, so interviewer sentences in between count.
  With N = 0 a window is one segment, and the figures equal the unit scope's.

n_a, n_b: contexts with each code; n_ab: contexts with both. Coefficients over those contexts:
- jaccard = n_ab / (n_a + n_b - n_ab), which is also ATLAS.ti's c-coefficient (it reports the same
  formula; on quotations rather than units of a fixed size);
- overlap = n_ab / min(n_a, n_b), which is 1 when the rarer code always comes with the other;
- share = n_ab / n_a, the share of code a's contexts that also have code b (rows read as "of a, % with b").
A parent code counts its children's codings (as everywhere in qcode), so a parent and its own child always
co-occur; those cells are left blank unless include_lineage is asked for.

Inputs: codings (segment_id, code), segments (segment_id, document, respondent_id, turn_index, position),
respondents (respondent_id and attributes), the codebook. Pure pandas, numpy and scipy sparse.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .analysis import MISSING, TOTAL, _pairs, _value_order, attribute_values, code_frame
from .models import Codebook

SCOPES = ("unit", "turn", "window")
MEASURES = ("count", "jaccard", "overlap", "share")
SCOPE_LABELS = {
    "unit": "coding units (segments)",
    "turn": "respondent turns",
    "window": "windows of {size} consecutive segments",
}


def describe(scope: str, window: int = 1) -> str:
    """What a count counts, for captions and table notes."""
    return SCOPE_LABELS[scope].format(size=window + 1)


def contexts(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    codebook: Codebook,
    scope: str = "unit",
    window: int = 1,
    rolled: bool = False,
) -> pd.DataFrame:
    """(context, code) pairs without duplicates, with the context's document and respondent.

    context is an integer; the same number means the same segment, turn or window."""
    context, code, names, taken = _context_codes(codings, segments, codebook, scope, window, rolled)
    return pd.DataFrame(
        {
            "context": context,
            "code": np.asarray(names, dtype=object)[code],
            "document": segments["document"].to_numpy()[taken],
            "respondent_id": segments["respondent_id"].to_numpy()[taken],
        }
    )


def _context_codes(
    codings: pd.DataFrame, segments: pd.DataFrame, codebook: Codebook, scope: str, window: int, rolled: bool
) -> tuple[np.ndarray, np.ndarray, pd.Index, np.ndarray]:
    """The unique (context, code) pairs as integers: context, code (a position in `names`), the code names,
    and for each pair the row in `segments` of one segment it came from. Tables that only count need no
    strings per pair (building and reading string columns of millions of rows costs most of a second)."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
    if window < 0:
        raise ValueError("the window must be 0 sentences or more")
    pairs = _pairs(codings, codebook, rolled)
    # Everything on integer positions into `segments`: merging and factorising strings per coding is slow.
    at = pd.Index(segments["segment_id"].to_numpy(dtype=np.int64)).get_indexer(
        pairs["segment_id"].to_numpy(dtype=np.int64)
    )
    known = at >= 0
    every_code, names = pd.factorize(pairs["code"])  # on the column itself: no object array of strings
    at, codes = at[known], every_code[known].astype(np.int64)
    number, _ = pd.factorize(segments["document"])  # the document of every segment, as a number
    document = number.astype(np.int64)[at]
    rows = np.arange(len(at))
    if scope == "unit":
        context = segments["segment_id"].to_numpy(dtype=np.int64)[at]
    elif scope == "turn":
        stride = int(segments["turn_index"].max()) + 1 if len(segments) else 1
        context = document * stride + segments["turn_index"].to_numpy(dtype=np.int64)[at]
    else:
        position = segments["position"].to_numpy(dtype=np.int64)
        rows, context = _windows(number.astype(np.int64), position, at, window)
    # Unique (context, code) on integer keys: drop_duplicates on a million string pairs is slow.
    width = max(len(names), 1)
    keys, first = np.unique(context * width + codes[rows], return_index=True)
    return keys // width, keys % width, pd.Index(names), at[rows[first]]


def _windows(number: np.ndarray, position: np.ndarray, at: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Each coding repeated once per window that holds it: (the coding's row, the window's number).

    number, position: every segment's document number and position; at: each coding's segment (its row).
    Windows start at every position from the document's first to its last but N (one window for a
    document shorter than that)."""
    documents = int(number.max()) + 1 if len(number) else 0
    lowest = np.full(documents, np.iinfo(np.int64).max, dtype=np.int64)
    highest = np.full(documents, np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(lowest, number, position)
    np.maximum.at(highest, number, position)
    document = number[at]
    first = lowest[document]
    last_start = np.maximum(first, highest[document] - window)
    low = np.maximum(first, position[at] - window)
    high = np.minimum(position[at], last_start)
    repeats = np.maximum(high - low + 1, 0)
    rows = np.repeat(np.arange(len(at)), repeats)
    within = np.arange(repeats.sum()) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    stride = int(position.max()) + 1 if len(position) else 1
    return rows, document[rows] * stride + low[rows] + within


def _indicator(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    codebook: Codebook,
    scope: str,
    window: int,
    rolled: bool,
    order: Sequence[str],
) -> tuple[np.ndarray, np.ndarray]:
    """Code x code counts of contexts holding both, and contexts per code (codes in `order`)."""
    from scipy import sparse

    context, code, names, _ = _context_codes(codings, segments, codebook, scope, window, rolled)
    column = pd.Index(list(order)).get_indexer(names)[code] if len(code) else code  # -1: a code not asked for
    wanted = column >= 0
    row = pd.factorize(context[wanted])[0]
    height = int(row.max()) + 1 if len(row) else 0
    indicator = sparse.csr_matrix(
        (np.ones(len(row), dtype=np.int64), (row, column[wanted])), shape=(height, len(order))
    )
    both = (indicator.T @ indicator).toarray()
    return both, np.diag(both).copy()


def lineage_mask(codebook: Codebook, order: Sequence[str]) -> np.ndarray:
    """True where one code is the other's ancestor (or the same code)."""
    ancestors = {code: set(codebook.ancestors(code)) if code in codebook.by_id() else set() for code in order}
    return np.array([[a == b or a in ancestors[b] or b in ancestors[a] for b in order] for a in order], dtype=bool)


def cooccurrence_matrix(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    codebook: Codebook,
    scope: str = "unit",
    window: int = 1,
    measure: str = "count",
    codes: Sequence[str] | None = None,
    include_lineage: bool = False,
    rolled: bool = False,
) -> pd.DataFrame:
    """Code x code. count: contexts with both (the diagonal: contexts with the code); the coefficients
    leave the diagonal blank. Parent and child cells are blank unless include_lineage."""
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}")
    order = list(codes) if codes is not None else [c.id for c in codebook.tree_order()]
    both, single = _indicator(codings, segments, codebook, scope, window, rolled, order)
    values = _measure(both, single, measure)
    if not include_lineage:
        blank = lineage_mask(codebook, order)
        np.fill_diagonal(blank, measure != "count")
        values = np.where(blank, np.nan, values)
    elif measure != "count":
        np.fill_diagonal(values, np.nan)
    index = pd.Index(order, name="code")
    frame = pd.DataFrame(values, index=index, columns=index.rename("with"))
    if measure == "count" and not frame.isna().any().any():
        frame = frame.astype(int)
    return frame


def _measure(both: np.ndarray, single: np.ndarray, measure: str) -> np.ndarray:
    both = both.astype(float)
    a, b = single[:, None].astype(float), single[None, :].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "count":
            return both
        if measure == "jaccard":
            result = both / (a + b - both)
        elif measure == "overlap":
            result = both / np.minimum(a, b)
        else:
            result = both / a
    return np.where(np.isfinite(result), np.round(result, 3), np.nan)


def cooccurrence_pairs(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    codebook: Codebook,
    scope: str = "unit",
    window: int = 1,
    codes: Sequence[str] | None = None,
    include_lineage: bool = False,
    rolled: bool = False,
) -> pd.DataFrame:
    """One row per pair of codes that co-occur at least once: code_a, code_b (a before b in tree order),
    n_a, n_b, n_ab, jaccard (= c-coefficient), overlap; strongest first."""
    order = list(codes) if codes is not None else [c.id for c in codebook.tree_order()]
    both, single = _indicator(codings, segments, codebook, scope, window, rolled, order)
    upper = np.triu(np.ones_like(both, dtype=bool), k=1) & (both > 0)
    if not include_lineage:
        upper &= ~lineage_mask(codebook, order)
    a, b = np.nonzero(upper)
    n_ab = both[a, b]
    frame = pd.DataFrame(
        {
            "code_a": np.array(order, dtype=object)[a],
            "code_b": np.array(order, dtype=object)[b],
            "n_a": single[a],
            "n_b": single[b],
            "n_ab": n_ab,
        }
    )
    frame["jaccard"] = (frame["n_ab"] / (frame["n_a"] + frame["n_b"] - frame["n_ab"])).round(3)
    frame["overlap"] = (frame["n_ab"] / np.minimum(frame["n_a"], frame["n_b"])).round(3)
    return frame.sort_values(["jaccard", "n_ab"], ascending=False, kind="stable").reset_index(drop=True)


def profile(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    respondents: pd.DataFrame,
    codebook: Codebook,
    code: str,
    by: str,
    scope: str = "unit",
    window: int = 1,
    include_lineage: bool = False,
    rolled: bool = False,
) -> tuple[pd.DataFrame, pd.Series]:
    """A code's co-occurrence profile by group: for every other code (rows, tree order), the contexts
    where both apply in each value of attribute `by` and in Total; and n, the contexts with `code` per
    column (the base for percentages)."""
    if code not in codebook.by_id():
        raise KeyError(f"unknown code {code!r}")
    values = attribute_values(respondents, by)
    columns = [*_value_order(values), TOTAL]
    found = contexts(codings, segments, codebook, scope, window, rolled)
    found = found.assign(value=found["respondent_id"].map(values).fillna(MISSING))
    mine = found.loc[found["code"] == code, ["context", "value"]].drop_duplicates("context")
    others = found.loc[found["code"] != code, ["context", "code"]].merge(mine, on="context")
    counts = others.groupby(["code", "value"])["context"].nunique().unstack("value", fill_value=0)
    codes = code_frame(codebook)
    table = counts.reindex(index=codes.index, columns=columns[:-1], fill_value=0).fillna(0).astype(int)
    table[TOTAL] = others.groupby("code")["context"].nunique().reindex(codes.index, fill_value=0).astype(int)
    drop = [code] if include_lineage else [c for c in codes.index if c == code or _related(codebook, c, code)]
    result = codes.join(table).drop(index=drop)
    result.columns.name = by
    bases = mine.groupby("value")["context"].nunique().reindex(columns[:-1], fill_value=0)
    bases[TOTAL] = len(mine)
    return result, bases.astype(int)


def _related(codebook: Codebook, a: str, b: str) -> bool:
    known = codebook.by_id()
    return (a in known and b in codebook.ancestors(a)) or (b in known and a in codebook.ancestors(b))


def cell_segments(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    codebook: Codebook,
    code_a: str,
    code_b: str,
    scope: str = "unit",
    window: int = 1,
    rolled: bool = False,
) -> pd.DataFrame:
    """The segments behind one cell: in every context holding both codes, each segment that carries
    either, with columns context, segment_id, has_a, has_b (so that both codes can be highlighted)."""
    pairs = _pairs(codings, codebook, rolled)
    pairs = pairs[pairs["code"].isin([code_a, code_b])]
    context, code, names, _ = _context_codes(pairs, segments, codebook, scope, window, True)
    a, b = names.get_indexer([code_a, code_b])
    shared = np.intersect1d(context[code == a], context[code == b]) if a >= 0 and b >= 0 else context[:0]
    carriers = pairs[["segment_id"]].drop_duplicates()
    # Each carrying segment's contexts: the segment's own id stands in for a code.
    tagged = carriers.assign(code=carriers["segment_id"].to_numpy(dtype=np.int64))
    where, own, ids, _ = _context_codes(tagged, segments, codebook, scope, window, True)
    inside = np.isin(where, shared)
    result = pd.DataFrame({"context": where[inside], "segment_id": np.asarray(ids, dtype=np.int64)[own[inside]]})
    result["has_a"] = result["segment_id"].isin(pairs.loc[pairs["code"] == code_a, "segment_id"])
    result["has_b"] = result["segment_id"].isin(pairs.loc[pairs["code"] == code_b, "segment_id"])
    return result.sort_values(["context", "segment_id"]).reset_index(drop=True)
