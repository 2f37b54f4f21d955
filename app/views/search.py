"""Search: words, phrases, regular expressions or every form of a word in what respondents said, as keyword in
context; open a hit in its transcript, or code every hit (or the chosen ones) in one undoable step."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from coding.errors import QcodeError
from qcode_app import analysis_data, data, publication_download, sidebar, state, widgets

MODES = {"text": "Words or phrase", "regex": "Regular expression", "lemma": "Every form (lemma)"}
HELP = {
    "text": "Whole words, any case; several words are a phrase. End a word with * for any ending: negotiat*.",
    "regex": "A Python regular expression, e.g. \\b(19|20)\\d\\d\\b for years.",
    "lemma": "Finds every inflection through spaCy's lemmas: 'talk' finds talks, talked, talking. The lemmas "
    "are computed once per transcript on first use and kept.",
}
SHOWN = 2_000  # rows drawn on screen; the downloads hold every hit

key, token = state.context()
project = state.project()
filters = sidebar.current()
book = data.codebook(key, token)
names = {c.id: c.name for c in book.codes}
me = state.coder()

st.title("Search")
ask, how = st.columns([3, 2], vertical_alignment="bottom")
query = ask.text_input("Search what respondents said", placeholder="e.g. ceasefire", **state.sticky("search_query", ""))
mode = how.radio(
    "As", list(MODES), format_func=state.labels(MODES), horizontal=True, **state.sticky("search_mode", "text")
)
st.caption(HELP[mode])
narrow, case = st.columns([3, 2], vertical_alignment="bottom")
codes = narrow.multiselect(
    "Only inside segments coded with",
    [c.id for c in book.tree_order()],
    format_func=state.labels(names),
    placeholder="Anywhere",
    **state.sticky("search_codes", []),
)
case_sensitive = case.toggle("Match case", **state.sticky("search_case", False), disabled=mode == "lemma")

if not query.strip():
    st.info(
        "Type a word, a phrase or a pattern. The sidebar's respondent filters apply; codes and coders filter "
        "the 'coded with' choice."
    )
    st.stop()

try:
    with st.spinner("Reading lemmas (the first lemma search lemmatises every transcript once)…"):
        hits = analysis_data.hits(key, token, filters, query, mode, tuple(codes), bool(case_sensitive))
except QcodeError as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()

people, documents = hits["respondent_id"].nunique(), hits["document"].nunique()
st.subheader(f"{len(hits):,} hits · {people:,} respondents · {documents:,} transcripts")
if hits.empty:
    st.info("Nothing found among the respondents the sidebar keeps.")
    st.stop()

screen = hits.rename(
    columns={
        "respondent_id": "Respondent",
        "document": "Transcript",
        "turn_index": "Turn index",
        "left": "Left",
        "match": "Match",
        "right": "Right",
    }
)[["Respondent", "Transcript", "Turn index", "Left", "Match", "Right"]]
about = publication_download.notes(
    key,
    token,
    filters,
    f"hits of {MODES[mode].lower()} {query!r} in respondents' turns"
    + (f", inside segments coded {', '.join(names[c] for c in codes)}" if codes else ""),
)
publication_download.downloads(
    hits[["document", "respondent_id", "turn_index", "start", "end", "left", "match", "right"]],
    about,
    f"search-{widgets.slug(query)}",
    "search",
)
event = st.dataframe(
    screen.head(SHOWN),
    hide_index=True,
    key="search_hits",
    on_select="rerun",
    selection_mode="multi-row",
    column_config={
        "Left": st.column_config.TextColumn("Left", width="large", alignment="right"),  # keyword in context
        "Match": st.column_config.TextColumn("Match", width="small", alignment="center"),
        "Right": st.column_config.TextColumn("Right", width="large"),
    },
)
if len(hits) > SHOWN:
    st.caption(f"The first {SHOWN:,} hits are shown; the downloads hold all {len(hits):,}.")
chosen = [int(i) for i in getattr(getattr(event, "selection", None), "rows", [])]

if chosen:
    first = hits.iloc[chosen[0]]
    label = f"Open {first['document']} at this hit (turn index {int(first['turn_index'])})"
    if st.button(label, icon=":material/arrow_forward:", type="tertiary", key="search_open"):
        widgets.open_in_transcript(str(first["document"]), int(first["segment_id"]))


WHAT = {"match": "the matched words", "unit": "the whole coding unit each hit is in"}


def _ranges(rows: pd.DataFrame, what: str) -> pd.DataFrame:
    """The document ranges to code: each hit's words, or the coding unit it falls in (once per unit)."""
    if what == "match":
        return rows[["document", "start", "end"]]
    units = data.frames(key, token).segments.set_index("segment_id")[["document", "start", "end"]]
    chosen = sorted({int(s) for s in rows["segment_id"] if s >= 0})
    return units.loc[chosen].reset_index(drop=True)


def _apply(code: str, ranges: pd.DataFrame, coder: str) -> None:
    # One library call, one log entry: the workbench's Undo (Ctrl+Z) takes the whole batch back in one step.
    project.code_hits(ranges.assign(code_id=code, coder=coder))


st.divider()
st.markdown("**Code the hits**")
if not me:
    st.caption("Choose your coder name in the sidebar (“Your name as coder”) to code hits.")
else:
    pick, what_pick = st.columns([3, 3], vertical_alignment="bottom")
    code = pick.selectbox("Code", [c.id for c in book.tree_order()], format_func=state.labels(names), key="search_code")
    what = what_pick.radio("What to code", list(WHAT), format_func=WHAT.get, horizontal=True, key="search_what")
    every = _ranges(hits, what)
    some = _ranges(hits.iloc[chosen], what) if chosen else every.iloc[0:0]
    all_button, some_button, undo_button = st.columns([2, 2, 2], vertical_alignment="bottom")
    noun = "passages" if what == "match" else "segments"
    all_button.button(
        f"Code all {len(every):,} {noun}",
        on_click=state.act,
        args=(_apply, code, every, me),
        kwargs={"done": f"Coded {len(every):,} {noun} {names[code]}"},
        key="search_code_all",
    )
    some_button.button(
        f"Code the {len(some):,} chosen",
        on_click=state.act,
        args=(_apply, code, some, me),
        kwargs={"done": f"Coded {len(some):,} {noun} {names[code]}"},
        disabled=some.empty,
        key="search_code_some",
    )
    undo_button.button(
        "Undo my last action",
        on_click=state.act,
        args=(project.undo, me),
        kwargs={"done": "Undone"},
        icon=":material/undo:",
        key="search_undo",
    )
    st.caption(
        "Counts still go by coding unit: a coded passage counts for every unit it touches. "
        "Coding many hits is one step for Undo, here or in the workbench (Ctrl+Z)."
    )
