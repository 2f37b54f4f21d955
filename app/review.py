"""The disagreement review on the Agreement page: one item at a time, decided with keys.

The items (coding/review_queue.py) are cached on the two coders' own work, like the agreement table, so
recording a consensus decision does not rebuild them; which items are settled is read from the current
consensus codings on every run. The position is the item's key, kept in st.session_state and in the URL
(?review=...), so a visit to the transcript or a reload comes back to the same item.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from coding import review_queue
from coding.errors import QcodeError
from coding.intercoder import accepted
from coding.project import Project

from . import data, state
from .state import ProjectKey, cached_project

POSITION = "review_item"  # the key of the item on screen
INDEX = "review_index"  # its place in the list, for when it leaves an open-only list
URL_PARAM = "review"
TURN_CHARS = 700  # turn text shown on each side of the sentence (long monologues are cut with an ellipsis)
KEYS = {"applies": "A", "absent": "D", "next": "N", "previous": "P", "transcript": "T"}


@st.cache_data(show_spinner=False, max_entries=8)
def items(
    key: ProjectKey, coders_key: tuple[object, ...], coder_a: str, coder_b: str, units: str, _token: data.Token
) -> pd.DataFrame:
    """Keyed on the two coders' own work (coders_key); _token only says which cached frames to read from."""
    base = data.frames(key, _token)
    return cached_project(key).review_items(coder_a, coder_b, units, accepted(base.codings), base.segments)


def restore_position() -> bool:
    """Take the position from the URL when this session has none (a reload or a bookmark); True if the URL
    named an item, so that the review opens at once."""
    wanted = st.query_params.get(URL_PARAM)
    if wanted and POSITION not in st.session_state:
        st.session_state[POSITION] = str(wanted)
    return bool(wanted)


def current(keys: Sequence[str]) -> int:
    """The index to show, and remember it (session and URL)."""
    index = review_queue.position(keys, st.session_state.get(POSITION), int(st.session_state.get(INDEX, 0)))
    if keys:
        st.session_state[POSITION] = keys[index]
        st.session_state[INDEX] = index
        st.query_params[URL_PARAM] = keys[index]
    return index


def _go(keys: Sequence[str], index: int) -> None:
    if keys:
        index = min(max(index, 0), len(keys) - 1)
        st.session_state[POSITION] = keys[index]
        st.session_state[INDEX] = index


def step(keys: Sequence[str], delta: int) -> None:
    _go(keys, review_queue.position(keys, st.session_state.get(POSITION)) + delta)


def decide(
    project: Project,
    segment_id: int,
    decisions: Sequence[tuple[str, bool]],
    actor: str,
    keys: Sequence[str],
    item: str,
    settles: bool,
) -> None:
    """Record the decisions; once the item is settled, stand on the next one."""
    recorded: list[bool] = []

    def settle() -> None:
        project.settle(segment_id, decisions, actor)
        recorded.append(True)

    state.act(settle)
    if recorded and settles:
        following = review_queue.after(keys, item)
        st.session_state[POSITION] = following if following is not None else item


def settles(codes: Sequence[str], settled: Mapping[str, str], decisions: Sequence[tuple[str, bool]]) -> bool:
    """Whether these decisions leave no code of the item open."""
    done = set(settled) | {code for code, _ in decisions}
    return all(code in done for code in codes)


def turn_html(turn: str, start: int, end: int) -> str:
    """The turn with the sentence marked, cut to TURN_CHARS on each side."""
    before, sentence, after = turn[:start], turn[start:end], turn[end:]
    if len(before) > TURN_CHARS:
        before = "… " + before[-TURN_CHARS:].split(" ", 1)[-1]
    if len(after) > TURN_CHARS:
        after = after[:TURN_CHARS].rsplit(" ", 1)[0] + " …"
    return (
        '<div class="qc-quote qc-review-turn" style="line-height:1.6">'
        f"{html.escape(before)}"
        '<mark class="qc-review-mark" style="background:#ffe08a;color:#1d2330;padding:0.05rem 0.15rem;'
        f'border-radius:3px;font-weight:600">{html.escape(sentence)}</mark>'
        f"{html.escape(after)}</div>"
    )


def said(code: str, applied: Sequence[str]) -> str:
    return "applied" if code in applied else "not applied"


def codes_table(
    row: Mapping[str, object], names: Mapping[str, str], first: str, second: str, settled: Mapping[str, str]
) -> pd.DataFrame:
    codes: Sequence[str] = row["codes"]  # type: ignore[assignment]
    applied_a: Sequence[str] = row["applied_a"]  # type: ignore[assignment]
    applied_b: Sequence[str] = row["applied_b"]  # type: ignore[assignment]
    return pd.DataFrame(
        {
            "Code": [names.get(c, c) for c in codes],
            first: [said(c, applied_a) for c in codes],
            second: [said(c, applied_b) for c in codes],
            "Consensus": [settled.get(c, "open") for c in codes],
        }
    )


def error_stop(exc: QcodeError) -> None:
    st.error(str(exc), icon=":material/error:")
    st.stop()
