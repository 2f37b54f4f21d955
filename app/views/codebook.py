"""Codebook: the code tree with definitions, criteria, examples and counts; edit every field of a code, add,
rename, move, merge, delete and restore codes.

Codes keep their ids through every edit, so codings, exports and agreement figures stay attached to them.
Every change makes a new codebook version and rewrites the project's codebook.yaml (a hand edit of that
file is applied first: the library refuses to overwrite it).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import asdict

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
st.caption(
    f"{book.name}, **version {book.version}** · {len(book.codes)} codes. Counts follow the sidebar's filters. "
    f"Every change makes a new version, recorded by exports and models; the project's "
    f"{project.config.codebook} holds the same codebook and can be edited by hand too."
)

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
    st.info(
        "Choose your coder name in the sidebar (“Your name as coder”) to change the codebook: every change is "
        "logged under it."
    )
    st.stop()
if not state.is_lead():
    st.info("Only a lead changes the codebook: ask a lead of this project to add, rename, move or merge codes.")
    st.stop()

edit, add, rename, move, merge, delete = st.tabs(["Edit", "Add a code", "Rename", "Move", "Merge", "Delete"])
parents = [TOP, *order]


def parent_name(code_id: str) -> str:
    return "(top level)" if code_id == TOP else indented[code_id]


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def patterns_from(text: str) -> list | None:
    """Token patterns, one JSON list a line ([{"LOWER": "un"}, {"LEMMA": "observer"}]); None if one is not JSON."""
    try:
        return [json.loads(line) for line in lines(text)]
    except json.JSONDecodeError as error:
        st.warning(f"Token patterns: line {error.doc!r} is not JSON ({error.msg}); nothing was saved.")
        return None


with edit:
    editing = st.selectbox("Code", order, format_func=state.labels(indented), key="edit_which")
    if editing is not None:
        code = by_id[editing]
        below = {editing, *(c.id for c in book.codes if editing in book.ancestors(c.id))}
        allowed = [p for p in parents if p not in below]  # not under itself or its own sub-codes
        # Keyed on the code and the codebook's version: after any change (here, in another tab or by hand in
        # the file) the fields show the code as it is now, not what was typed before.
        form_key = f"{editing}@{book.version}"
        with st.form(f"edit_code_{form_key}"):
            left, right = st.columns([3, 2])
            with left:
                name = st.text_input("Code name", code.name, key=f"edit_name_{form_key}")
                definition = st.text_area("Definition", code.definition, height=80, key=f"edit_definition_{form_key}")
                include = st.text_area("Include when", code.include, height=68, key=f"edit_include_{form_key}")
                exclude = st.text_area("Exclude when", code.exclude, height=68, key=f"edit_exclude_{form_key}")
                examples = st.text_area(
                    "Examples (one per line)", "\n".join(code.examples), height=90, key=f"edit_examples_{form_key}"
                )
            with right:
                parent = st.selectbox(
                    "Under",
                    allowed,
                    index=allowed.index(code.parent or TOP),
                    format_func=parent_name,
                    key=f"edit_parent_{form_key}",
                )
                color = st.color_picker("Colour", code.color or "#9e9e9e", key=f"edit_color_{form_key}")
                keywords = st.text_area(
                    "Rule keywords (one per line)", "\n".join(code.rules.keywords), key=f"edit_keywords_{form_key}"
                )
                lemmas = st.text_area(
                    "Rule lemmas (one per line)", "\n".join(code.rules.lemmas), key=f"edit_lemmas_{form_key}"
                )
                patterns = st.text_area(
                    "Token patterns (one JSON list per line)",
                    "\n".join(json.dumps(p, ensure_ascii=False) for p in code.rules.patterns),
                    height=68,
                    help='e.g. [{"LEMMA": "sell"}, {"LOWER": "posts"}]',
                    key=f"edit_patterns_{form_key}",
                )
            st.caption(f"Id `{editing}` stays: codings and exports stay attached to the code.")
            saved = st.form_submit_button("Save changes", icon=":material/save:")
        if saved:
            found = patterns_from(patterns)
            if found is not None:
                typed = {
                    "name": name.strip(),
                    "definition": definition.strip(),
                    "include": include.strip(),
                    "exclude": exclude.strip(),
                    "examples": lines(examples),
                    "color": color,
                    "parent": parent or None,
                    "rules": {"keywords": lines(keywords), "lemmas": lines(lemmas), "patterns": found},
                }
                shown = {**{field: getattr(code, field) for field in typed}, "rules": asdict(code.rules)}
                # Only what the person changed: an edit made meanwhile to another field (another tab, the
                # file) is kept.
                changed = {field: value for field, value in typed.items() if value != shown[field]}
                if changed:
                    state.act(project.update_code, editing, me, done=f"Saved {typed['name'] or code.name}", **changed)
                    st.rerun()
                st.info("Nothing to save: the code is as shown.")

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

with merge:  # no form: the count of codings that move follows the choice
    source = st.selectbox("Merge this code", order, format_func=state.labels(indented), key="merge_source")
    into = st.selectbox(
        "into", order, format_func=state.labels(indented), key="merge_into", index=min(1, len(order) - 1)
    )
    moving_codings = project.code_codings(source) if source is not None else 0
    st.caption(
        f"**{moving_codings:,} codings** of the first code move to the second; the first code is retired (kept in "
        "the log, no longer offered). Its children move under the second code. The log keeps what an undo needs."
    )
    sure = st.checkbox("I want to merge these codes")
    merged = st.button("Merge", icon=":material/merge:")
    if merged and not sure:
        st.warning("Tick the box to confirm: a merge moves every coding of the first code.")
    elif merged and source is not None and into is not None:
        state.act(project.merge_codes, source, into, me, done=f"Merged {by_id[source].name} into {by_id[into].name}")
        st.rerun()

with delete:
    doomed = st.selectbox("Delete this code", order, format_func=state.labels(indented), key="delete_which")
    if doomed is not None:
        children = [c.name for c in book.codes if c.parent == doomed]
        affected = project.code_codings(doomed)
        if children:
            st.warning(f"{by_id[doomed].name} has sub-codes ({', '.join(children)}): move or delete them first.")
        else:
            st.caption(
                f"**{affected:,} codings** (by every coder and suggester) are hidden with it, from every count, "
                "view and export; nothing is erased: restoring the code brings them back."
            )
            with st.form(f"delete_code_{doomed}"):
                sure = st.checkbox(f"I want to delete {by_id[doomed].name} and hide its {affected:,} codings")
                deleted = st.form_submit_button("Delete", icon=":material/delete:")
            if deleted and not sure:
                st.warning("Tick the box to confirm the delete.")
            elif deleted:
                state.act(
                    project.delete_code, doomed, me, done=f"Deleted {by_id[doomed].name} ({affected:,} codings hidden)"
                )
                st.rerun()
    gone = project.deleted_codes()
    if gone:
        st.markdown("**Deleted codes**")
        names = {c.id: f"{c.name} ({c.id})" for c in gone}
        back = st.selectbox("Restore", list(names), format_func=state.labels(names), key="restore_which")
        if st.button("Restore with its codings", icon=":material/restore_from_trash:") and back is not None:
            state.act(project.restore_code, back, me, done=f"Restored {names[back]}")
            st.rerun()
