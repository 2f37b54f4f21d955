"""The "code next" queue: segments where a person's decision teaches the model most (active learning)."""

from __future__ import annotations

import streamlit as st

from coding.errors import QcodeError
from coding.project import Project

from . import data
from .state import ProjectKey
from .workbench import go_to

QUEUE_LENGTH = 10
ASKED = "_code_next_asked"


def code_next_panel(project: Project, key: ProjectKey, token: data.Token) -> None:
    with st.expander("Code next", icon=":material/queue:"):
        if hasattr(project, "has_model") and not project.has_model():
            st.caption("Train a model on the human codings (`qcode train`) to get a queue of segments to code next.")
            return
        # Ranking runs the model over every uncoded segment: only when asked, then cached per state.
        if not st.session_state.get(ASKED):
            st.button(
                "Rank the uncoded segments",
                key="ask_code_next",
                on_click=st.session_state.update,
                args=({ASKED: True},),
            )
            return
        try:
            ids = data.code_next(key, token, QUEUE_LENGTH)
        except QcodeError as exc:
            st.caption(str(exc))
            return
        if not ids:
            st.caption("Every segment has been coded by someone.")
            return
        st.caption("Segments where your decision helps the model most, most useful first.")
        quotes = data.quotes(key, token, tuple(ids)).set_index("segment_id")
        for sid in ids:
            if sid in quotes.index:
                row = quotes.loc[sid]
                st.button(
                    f"{row['document']}: {str(row['text'])[:80]}",
                    key=f"next_{sid}",
                    type="tertiary",
                    on_click=go_to,
                    args=(sid, str(row["document"])),
                )
