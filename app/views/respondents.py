"""Respondents: each respondent's attributes with how much they said and how much of it is coded."""

from __future__ import annotations

import streamlit as st

from qcode_app import data, sidebar, state, widgets

key, token = state.context()
filters = sidebar.current()

st.title("Respondents")
table = data.respondent_table(key, token, filters)
if table.empty:
    st.info("No respondent matches the sidebar's filters.")
    st.stop()

names = {
    "documents": "Transcripts",
    "segments": "Segments",
    "coded_segments": "Coded segments",
    "codes": "Codes used",
    "codings": "Codings",
}
screen = table.rename(columns={c: names.get(c, state.plain(c)) for c in table.columns})
coded = screen["Coded segments"] / screen["Segments"].where(screen["Segments"] > 0)
screen.insert(len(screen.columns) - 2, "% coded", (coded * 100).round(1).fillna(0.0))
total = screen["Segments"].sum()
st.caption(
    f"{len(screen):,} respondents, {total:,} segments. Codings and codes count what the sidebar's coder, "
    "source and status filters keep."
)
widgets.table(
    screen,
    "respondents.csv",
    "respondents",
    column_config={"% coded": st.column_config.ProgressColumn("% coded", format="%.0f%%", min_value=0, max_value=100)},
)
