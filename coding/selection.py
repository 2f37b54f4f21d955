"""Which codings count: a person's own, the suggestions a person accepted, the suggestions themselves.

Pure pandas over a codings frame (Store.codings_frame's columns); the facade and the steps share it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .errors import UsageError
from .models import ACCEPTED, HUMAN, REJECTED

if TYPE_CHECKING:  # pandas loads in the functions that build frames, not on import
    import pandas as pd

SOURCE_FILTERS = ("human", "auto", "all")


def filter_codings(
    frame: pd.DataFrame, source: str, coders: Sequence[str] | None = None, include_rejected: bool = False
) -> pd.DataFrame:
    """human: a person's codes and the suggestions a person accepted; auto: the rule and model suggestions."""
    if source not in SOURCE_FILTERS:
        raise UsageError(f"source must be one of {', '.join(SOURCE_FILTERS)}, not {source!r}")
    if source == "all" and not coders and include_rejected:
        return frame  # nothing to filter: spare a copy of a large frame
    if not include_rejected:
        frame = frame[frame["status"] != REJECTED]
    if source == "human":
        frame = frame[(frame["source"] == HUMAN) | (frame["status"] == ACCEPTED)]
        if coders:
            frame = frame[owners(frame).isin(list(coders))]
    elif source == "auto":  # the suggestions themselves, not people's decisions on them
        frame = frame[(frame["source"] != HUMAN) & (frame["coder"] == frame["source_name"])]
        if coders:
            frame = frame[frame["coder"].isin(list(coders))]
    elif coders:
        frame = frame[frame["coder"].isin(list(coders)) | frame["decided_by"].isin(list(coders))]
    return frame.reset_index(drop=True)


def owners(codings: pd.DataFrame) -> pd.Series:
    """Whose each coding is: a person's own code is theirs, a suggestion belongs to whoever accepted or
    rejected it (empty while it waits). store.codings.decisions_frame works this out in SQL the same way."""
    return codings["coder"].where(codings["source"] == HUMAN, codings["decided_by"])
