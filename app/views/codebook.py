"""Codebook: the code tree with definitions, criteria, examples and counts; add, rename, move and merge codes.

Codes keep their ids through every edit, so codings, exports and agreement figures stay attached to them.
"""

from __future__ import annotations

import html
import re

import streamlit as st

from coding.models import Code
from qcode_app import data, sidebar, state, widgets

key, token = state.context()
project = state.project()
me = state.coder()
book = data.codebook(key, token)
by_id = book.by_id()
order = [c.id for c in book.tree_order()]
indented = {c.id: "\u00a0" * 4 * book.depth(c.id) + c.name for c in book.tree_order()}
TOP = ""

st.title("Codebook")
st.caption(f"{book.name}, version {book.version} · {len(book.codes)} codes. Counts follow the sidebar's filters.")

counts = data.frequencies(key, token, sidebar.current()) if order else None
if counts is not None:
    overview = counts.assign(name=widgets.tree_names(counts)).drop(columns="level")
    overview["definition"] = [by_id[c].definition for c in overview.index]
    overview = overview.rename(columns={"name": "Code", "segments": "Segments", "respondents": "Respondents"})
    overview = overview.rename(columns={"definition": "Definition"})
    widgets.table(overview, "codebook.csv", "codebook_overview", download=overview.assign(code_id=overview.index))

model_status = project.model_status()
st.subheader("Codes")
for code in book.tree_order():
    segments = int(counts.at[code.id, "segments"]) if counts is not None else 0
    people = int(counts.at[code.id, "respondents"]) if counts is not None else 0
    with st.expander(f"{indented[code.id]} · {segments:,} segments, {people:,} respondents"):
        swatch = widgets.chip(code.name, code.color or "#9e9e9e")
        parent = f" · under {html.escape(by_id[code.parent].name)}" if code.parent in by_id else ""
        st.markdown(f"{swatch} <code>{html.escape(code.id)}</code>{parent}", unsafe_allow_html=True)
        if code.id in model_status:  # what stands behind the machine's suggestions of this code
            kind, why = model_status[code.id]
            st.caption(f"Model suggestions: {kind} ({why})")
        for label, text in (("Definition", code.definition), ("Include", code.include), ("Exclude", code.exclude)):
            if text:
                st.markdown(f"**{label}.** {text}")
        if code.examples:
            st.markdown("**Examples.**\n" + "\n".join(f"- {example}" for example in code.examples))

st.subheader("Change the codebook")
if not me:
    st.info("Enter your coder name in the sidebar to change the codebook: every change is logged under it.")
    st.stop()
if not state.is_lead():
    st.info("Only a lead changes the codebook: ask a lead of this project to add, rename, move or merge codes.")
    st.stop()

add, rename, move, merge = st.tabs(["Add a code", "Rename", "Move", "Merge"])
parents = [TOP, *order]


def parent_name(code_id: str) -> str:
    return "(top level)" if code_id == TOP else indented[code_id]


with add, st.form("add_code", clear_on_submit=True):
    name = st.text_input("Name")
    parent = st.selectbox("Under", parents, format_func=parent_name)
    definition = st.text_area("Definition", height=80)
    include = st.text_area("Include when", height=68)
    exclude = st.text_area("Exclude when", height=68)
    examples = st.text_area("Examples (one per line)", height=68)
    color = st.color_picker("Colour", by_id[parent].color if parent in by_id else "#607d8b")
    added = st.form_submit_button("Add code", icon=":material/add:")
    if added and not name.strip():
        st.warning("Give the new code a name.")
    elif added:
        slug = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_") or "code"
        new = Code(
            id=f"{parent}.{slug}" if parent else slug,
            name=name.strip(),
            parent=parent or None,
            definition=definition.strip(),
            include=include.strip(),
            exclude=exclude.strip(),
            examples=[line.strip() for line in examples.splitlines() if line.strip()],
            color=color,
        )
        state.act(project.add_code, new, me, done=f"Added {new.name}")
        st.rerun()

with rename, st.form("rename_code"):
    target = st.selectbox("Code", order, format_func=state.labels(indented), key="rename_which")
    new_name = st.text_input("New name")
    st.caption("The code keeps its id: codings and exports stay attached to it.")
    renamed = st.form_submit_button("Rename", icon=":material/edit:")
    if renamed and not new_name.strip():
        st.warning("Type the new name first.")
    elif renamed:
        state.act(project.rename_code, target, new_name.strip(), me, done=f"Renamed to {new_name.strip()}")
        st.rerun()

with move, st.form("move_code"):
    moving = st.selectbox("Code", order, format_func=state.labels(indented), key="move_which")
    under = st.selectbox("Move under", parents, format_func=parent_name, key="move_under")
    if st.form_submit_button("Move", icon=":material/low_priority:"):
        if moving is not None:
            state.act(project.move_code, moving, under or None, me, done=f"Moved {by_id[moving].name}")
        st.rerun()

with merge, st.form("merge_codes"):
    source = st.selectbox("Merge this code", order, format_func=state.labels(indented), key="merge_source")
    into = st.selectbox(
        "into", order, format_func=state.labels(indented), key="merge_into", index=min(1, len(order) - 1)
    )
    st.caption(
        "Every coding of the first code moves to the second; the first code is retired (kept in the log, "
        "no longer offered). Its children move under the second code."
    )
    sure = st.checkbox("I want to merge these codes")
    merged = st.form_submit_button("Merge", icon=":material/merge:")
    if merged and not sure:
        st.warning("Tick the box to confirm: a merge moves every coding of the first code.")
    elif merged and source is not None and into is not None:
        state.act(project.merge_codes, source, into, me, done=f"Merged {by_id[source].name} into {by_id[into].name}")
        st.rerun()
