"""A document portrait: one interview as a strip of codes over its respondent turns (a "code line").

Rows are codes in tree order, columns the respondent turns of the document in order (by turn_index, the
stored turn number counting every turn from 0, interviewer turns included); a cell holds the segments of
that turn coded with the code (parents count their children, as everywhere in qcode).
"""

from __future__ import annotations

import pandas as pd

from .analysis import _pairs, code_frame
from .models import Codebook


def portrait(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    codebook: Codebook,
    document: str,
    only_used: bool = True,
    rolled: bool = False,
) -> pd.DataFrame:
    """Code x turn for one document: name, level, then one column per respondent turn (turn_index)."""
    mine = segments.loc[segments["document"] == document, ["segment_id", "turn_index"]]
    turns = sorted(int(t) for t in mine["turn_index"].unique())
    pairs = _pairs(codings, codebook, rolled)
    coded = pairs[pairs["segment_id"].isin(mine["segment_id"])].merge(mine, on="segment_id")
    counts = coded.groupby(["code", "turn_index"])["segment_id"].nunique().unstack(fill_value=0)
    codes = code_frame(codebook)
    table = counts.reindex(index=codes.index, columns=turns, fill_value=0).fillna(0).astype(int)
    table.columns = pd.Index(turns, name="turn_index")
    if only_used:
        table = table[table.sum(axis=1) > 0]
    result = codes.loc[table.index].join(table)
    result.columns.name = "turn_index"
    return result


def portrait_cells(table: pd.DataFrame) -> pd.DataFrame:
    """The portrait as long rows (code, turn_index, segments) for a chart; empty cells left out."""
    turns = [c for c in table.columns if c not in ("name", "level")]
    long = table[turns].rename_axis(index="code", columns="turn_index").stack().rename("segments").reset_index()
    return long[long["segments"] > 0].reset_index(drop=True)
