"""The coding panel beside a transcript: the span coder's actions, a segment's codes as toggles, its
suggestions, a memo, undo and redo, and the segment's history.

Every change goes straight to the library (and so to the store and the audit log) from a widget callback.
The switches are drawn with the database's values under keys that never come back for another value
(state.drawn_key), and their callbacks act only on a flip (state.flipped).
"""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd
import streamlit as st

from coding.errors import UsageError
from coding.models import ACCEPTED, HUMAN, MODEL, RULE, SUGGESTED, Codebook, Document, Segment
from coding.project import Project

from . import reasons, state
from .components import span_coder
from .transcript_view import Mark
from .widgets import chip

NEUTRAL = "#9e9e9e"


def mine(codings: pd.DataFrame, coder: str) -> pd.DataFrame:
    """A coder's own codes: their human codings and the suggestions they accepted."""
    return codings[(codings["status"] == ACCEPTED) & (codings["person"] == coder)]


def pending(codings: pd.DataFrame, coder: str = "") -> pd.DataFrame:
    """Suggestions waiting; given a coder, those the coder has not yet decided (or coded themselves)."""
    waiting = codings[(codings["status"] == SUGGESTED) & (codings["source"] != HUMAN)]
    if not coder:
        return waiting
    theirs = codings[codings["person"] == coder]
    decided = set(zip(theirs["segment_id"], theirs["code"], strict=True))
    undecided = [pair not in decided for pair in zip(waiting["segment_id"], waiting["code"], strict=True)]
    return waiting[pd.Series(undecided, index=waiting.index, dtype=bool)]  # a plain [] would pick columns


def others(codings: pd.DataFrame, coder: str) -> pd.DataFrame:
    return codings[(codings["status"] == ACCEPTED) & (codings["person"] != coder)]


# ----- callbacks (run before the next script run; errors come back as messages) ----------------
def _toggle(project: Project, widget: str, drawn: bool, segment_id: int, code_id: str, coder: str) -> None:
    if not state.flipped(widget, drawn):
        return
    codings = project.decisions([segment_id])  # as stored now: another tab or an undo may have changed it
    here = codings[codings["code"] == code_id]
    if st.session_state.get(widget):
        waiting = pending(here, coder)
        if len(waiting):  # taking up suggestions (rules and model alike) records that, and by whom
            for coding_id in waiting["coding_id"]:
                state.act(project.decide_suggestion, int(coding_id), True, coder)
        else:
            state.act(project.apply_code, segment_id, code_id, coder)
        return
    own = mine(here, coder)
    if own.empty or (own["source"] == HUMAN).any():  # nothing found: the library says why (a segment replaced)
        state.act(project.remove_code, segment_id, code_id, coder)
    for coding_id in own.loc[own["source"] != HUMAN, "coding_id"]:
        state.act(project.decide_suggestion, int(coding_id), False, coder)


def _decide(project: Project, coding_ids: tuple[int, ...], accept: bool, coder: str) -> None:
    """One decision on a code for this segment settles every source that suggested it."""
    for coding_id in coding_ids[:-1]:
        state.act(project.decide_suggestion, coding_id, accept, coder)
    state.act(project.decide_suggestion, coding_ids[-1], accept, coder, done="Accepted" if accept else "Rejected")


def _save_memo(project: Project, widget: str, segment_id: int, coder: str) -> None:
    state.act(project.set_memo, segment_id, str(st.session_state.get(widget, "")), coder, done="Memo saved")


def next_after(segment: object, candidates: list[int], numbers: dict[int, int]) -> int:
    """Where to go when the current segment leaves the list (just coded, say): the next one, not the first.

    numbers: each segment's position in the transcript."""
    here = numbers.get(int(segment), 0) if isinstance(segment, int) else 0
    return next((c for c in candidates if numbers[c] > here), candidates[0])


def go_to(segment_id: int, document: str | None = None) -> None:
    """Select a segment (and its transcript); the sticky widgets pick it up on the next run."""
    st.session_state["segment"] = int(segment_id)
    if document is not None:
        st.session_state["document"] = document
        st.session_state["step"] = "all"  # the segment must be among those offered


@st.cache_data(show_spinner=False, max_entries=16)
def document(key: state.ProjectKey, segments: int, name: str) -> tuple[Document, list[Segment]]:
    """A transcript and its segments: keyed on the segment count, not on every coding, so that coding
    does not read the document again."""
    project = state.cached_project(key)
    return project.documents([name])[0], project.segments([name])


@st.cache_resource(show_spinner=False, max_entries=4)
def codebook(key: state.ProjectKey, token: tuple[int, ...]) -> Codebook:
    """The codebook alone: data.codebook would bring the whole project's frames up to date after every
    coding action (seconds on a large project), which the workbench does not need."""
    return state.cached_project(key).codebook


BOOK_HELD = "_workbench_codebook"


def current_codebook(project: Project, key: state.ProjectKey, token: state.StateToken) -> Codebook:
    """The codebook for this run: the one this session read last, while nothing but segment edits (codes
    applied or removed, suggestions decided, memos, their undo) happened since; read again otherwise. Reading
    it costs tens of milliseconds on a large project, and a coding action changes the state token every time."""
    held = st.session_state.get(BOOK_HELD)
    if held is not None:
        book, seen = held
        if seen == token or project.edited_segments(seen, token) is not None:
            st.session_state[BOOK_HELD] = (book, token)
            return book
    book = codebook(key, tuple(token))
    st.session_state[BOOK_HELD] = (book, token)
    return book


@st.cache_data(show_spinner=False, max_entries=16)
def spans_of(key: state.ProjectKey, token: tuple[int, ...], name: str) -> pd.DataFrame:
    """Every span on a transcript, every coder's."""
    return state.cached_project(key).spans(name)


def marks(
    codings: pd.DataFrame, spans: pd.DataFrame | None, bounds: dict[int, tuple[int, int]], coder: str
) -> list[Mark]:
    """The stripes to draw: every span, and every accepted unit coding no span of its coder and code covers
    (rule and model codings someone accepted before spans existed, say). Only a person's own are removable."""
    found: list[Mark] = []
    covered: set[tuple[int, str, str]] = set()
    if spans is not None:
        for row in spans.itertuples(index=False):
            found.append(
                Mark(
                    f"s{row.id}",
                    int(row.start),
                    int(row.end),
                    str(row.code_id),
                    str(row.coder),
                    HUMAN,
                    row.coder == coder,
                )
            )
            for sid, (start, end) in bounds.items():
                if start < row.end and row.start < end:
                    covered.add((sid, str(row.code_id), str(row.coder)))
    accepted = codings[codings["status"] == ACCEPTED]
    for row in accepted.itertuples(index=False):
        sid, code, person = int(row.segment_id), str(row.code), str(row.person)
        if (sid, code, person) in covered or sid not in bounds:
            continue
        start, end = bounds[sid]
        found.append(Mark(f"c{row.coding_id}:{sid}", start, end, code, person, str(row.source), person == coder))
    return found


def on_span_action(project: Project, key: str, document: str, coder: str, shown: dict[str, Mark]) -> None:
    """The span coder's callback: carry out what it sent; a library refusal becomes a message."""
    sent = span_coder.action(key)
    if sent is None or not coder:
        return
    nonce = str(sent.get("nonce", ""))
    # Streamlit runs a callback again when a rerun request arrives before the script body starts (the
    # trigger is replayed into the next run): an action is carried out once, however often it is delivered.
    if nonce and nonce == st.session_state.get(DONE):
        return
    st.session_state[DONE] = nonce
    state.act(perform, project, sent, document, coder, shown)


DONE = "_span_coder_done"


def perform(project: Project, sent: dict[str, Any], document: str, coder: str, shown: dict[str, Mark]) -> None:
    """Apply codes to a range, or remove one of the person's own codings (a stripe chosen, then Delete).

    A whole-unit coding without a span (a suggestion accepted before spans existed) is removed as it was
    made: a human code by remove_code, an accepted suggestion by rejecting it.

    An action names the document it was made on; one made on any other than the page's current document (the
    browser still showing the one before) is refused, nothing stored."""
    if sent.get("document") != document:
        raise UsageError(
            f"that action was made on transcript {sent.get('document')!r}, not on {document!r} shown now: nothing "
            "was stored; select the text again"
        )
    if sent.get("kind") == "apply":  # every code ticked: one action, one step for Undo
        codes = [str(code) for code in sent.get("codes", [])]
        project.apply_spans(document, int(sent["start"]), int(sent["end"]), codes, coder)
        return
    mark = shown.get(str(sent.get("mark", "")))
    if sent.get("kind") != "remove" or mark is None or not mark.removable or mark.coder != coder:
        return
    if mark.id.startswith("s"):
        project.remove_span(int(mark.id[1:]), coder)
        return
    coding_id, segment_id = (int(part) for part in mark.id[1:].split(":"))
    if mark.source == HUMAN:
        project.remove_code(segment_id, mark.code, coder)
    else:
        project.decide_suggestion(coding_id, False, coder)


def on_selection(key: str) -> None:
    """A sentence chosen in the text becomes the panel's segment (without moving the text's selection)."""
    chosen = span_coder.selection(key)
    if chosen and chosen.get("unit"):
        st.session_state["segment"] = int(chosen["unit"])
        st.session_state[FROM_TEXT] = int(chosen["unit"])


FROM_TEXT = "_segment_from_text"


def undo(project: Project, coder: str, again: bool = False) -> None:
    """Undo (or redo) the person's own last action; say what it was, or that there was nothing."""
    said: list[str | None] = []
    state.act(lambda: said.append(project.redo(coder) if again else project.undo(coder)))
    if said:  # empty when the library refused (its message is already waiting)
        what = "Redone" if again else "Undone"
        nothing = "Nothing of yours to redo." if again else "Nothing of yours to undo."
        state.act(lambda: None, done=f"{what}: {said[0]}" if said[0] else nothing)


def undo_buttons(project: Project, coder: str, left: Any, right: Any) -> None:
    """Undo and Redo, with Ctrl+Z and Ctrl+Shift+Z anywhere on the page (but in a text box)."""
    left.button(
        "",
        icon=":material/undo:",
        help="Undo your last action (Ctrl+Z)",
        key="undo",
        shortcut="Ctrl+Z",
        on_click=undo,
        args=(project, coder),
        width="stretch",
    )
    right.button(
        "",
        icon=":material/redo:",
        help="Redo what you undid (Ctrl+Shift+Z)",
        key="redo",
        shortcut="Ctrl+Shift+Z",
        on_click=undo,
        args=(project, coder, True),
        width="stretch",
    )


def _explainers(project: Project, book: Codebook) -> str:
    """What the reasons depend on: the codes' rules, the code tree (a parent's reason names its children's
    matches) and the model file (coding changes none of them)."""
    from coding import training

    path = training.model_path(project.folder)
    model = path.stat().st_mtime_ns if path.exists() else 0
    return repr([(code.id, code.parent, code.rules) for code in book.codes]) + f"|{model}"


def offered_codes(codings: pd.DataFrame, segment_id: int) -> tuple[str, ...]:
    """Every code the rules or the model suggested on a segment, decided or not (so that deciding one does
    not change what its reasons are kept under)."""
    here = codings[(codings["segment_id"] == segment_id) & (codings["source"] != HUMAN)]
    return tuple(sorted({str(code) for code in here["code"]}))


def reasons_ahead(
    project: Project, book: Codebook, codings: pd.DataFrame, texts: dict[int, str], ids: list[int]
) -> None:
    """Work out the reasons of the segments the person is likely to open next, while they read this one."""
    key = state.project_key()
    if key is not None:
        items = [(texts[s], offered_codes(codings, s)) for s in ids if s in texts]
        reasons.explainer(key).ahead(_explainers(project, book), items)


def history(project: Project, segment_id: int) -> None:
    """Who did what to this segment, newest first: read only while the switch is on (it costs a query)."""
    if not st.toggle("History of this segment", **state.sticky("show_history", False)):
        return
    with st.container(border=True):
        frame = project.history(segment_id)
        if frame.empty:
            st.caption("Nothing recorded on this segment yet.")
            return
        shown = frame.sort_values("at", ascending=False)
        st.dataframe(shown, hide_index=True, width="stretch", height=min(36 * (len(shown) + 1), 300))


# ----- drawing -------------------------------------------------------------------------------
def code_toggles(project: Project, book: Codebook, segment_id: int, codings: pd.DataFrame, coder: str) -> None:
    applied = set(mine(codings, coder)["code"])
    suggested = set(pending(codings, coder)["code"])
    find = st.text_input(
        "Find a code", key="code_search", placeholder="Find a code by name", label_visibility="collapsed"
    )
    wanted = find.strip().lower()
    shown = [
        code
        for code in book.tree_order()
        if not wanted or wanted in code.name.lower() or wanted in code.id.lower() or code.id in applied
    ]
    if not shown:
        st.caption(f"No code matches {find.strip()!r}.")
    with st.container(height=360, border=True):
        for code in shown:
            # A key per segment and code that never comes back for another value (state.drawn_key), never
            # reset by the server: a reset outrun by the next click (a run cut short before the browser drew
            # it) came back from the browser as a flip and coded the newly chosen segment with the last one's
            # code.
            on = code.id in applied
            widget = state.drawn_key(f"tg_{segment_id}_{code.id}", on)
            hint = " (suggested)" if code.id in suggested and not on else ""
            st.toggle(
                "\u00a0" * 5 * book.depth(code.id) + code.name + hint,
                value=on,
                key=widget,
                help=code.definition or None,
                on_change=_toggle,
                args=(project, widget, on, segment_id, code.id, coder),
            )


def suggestions(project: Project, book: Codebook, codings: pd.DataFrame, coder: str, text: str) -> None:
    waiting = pending(codings, coder)
    if waiting.empty:
        st.caption("No suggestions waiting for this segment.")
        return
    names = {c.id: c.name for c in book.codes}
    by_code = waiting.groupby("code", sort=False)
    order = by_code["confidence"].max().fillna(1.0).sort_values(ascending=False).index
    key = state.project_key()
    offered = offered_codes(codings, int(waiting["segment_id"].iloc[0]))
    why = reasons.explainer(key).reasons(_explainers(project, book), text, offered) if key is not None else {}
    if why is None:  # still being worked out: the suggestions now, their reasons on a later run
        st.caption("Reasons are still being worked out; they show when you next act on this page.")
        why = {}
    for code in order:
        group = by_code.get_group(code)
        origins = " · ".join(
            _origin(str(source), confidence)
            for source, confidence in zip(group["source"], group["confidence"], strict=True)
        )
        st.markdown(f"**{names.get(code, code)}** · {origins}")
        said = [why[(str(source), str(code))] for source in group["source"] if (str(source), str(code)) in why]
        if said:
            st.caption("Why: " + "; ".join(said))  # plain text: the matched words come from the transcript
        ids = tuple(int(i) for i in group["coding_id"])
        buttons = st.container(horizontal=True)  # one block for both: fewer elements to send on every run
        buttons.button(
            "Accept",
            key=f"acc_{ids[0]}",
            on_click=_decide,
            args=(project, ids, True, coder),
            type="primary",
        )
        buttons.button("Reject", key=f"rej_{ids[0]}", on_click=_decide, args=(project, ids, False, coder))


def _origin(source: str, confidence: float | None) -> str:
    """Who suggested a code: 'keyword rules' or 'model, 83% sure' (rules match or not, so no confidence)."""
    if source != MODEL or confidence is None or math.isnan(confidence):
        return "keyword rules" if source == RULE else str(source)
    return f"model, {confidence:.0%} sure"


def other_coders(book: Codebook, codings: pd.DataFrame, coder: str) -> None:
    theirs = others(codings, coder)
    if theirs.empty:
        st.caption("No other coder has coded this segment.")
        return
    by_id = book.by_id()
    for person, group in theirs.groupby("person"):
        chips = "".join(
            chip(by_id[c].name, by_id[c].color or NEUTRAL) if c in by_id else chip(c, NEUTRAL) for c in group["code"]
        )
        # A coder name is typed by a person: escaped, since this markdown renders HTML (the chips).
        st.markdown(f"<b>{html.escape(str(person))}</b>: {chips}", unsafe_allow_html=True)


def memo_box(project: Project, segment_id: int, memos: pd.DataFrame, coder: str) -> None:
    current = memos[(memos["segment_id"] == segment_id) & (memos["coder"] == coder)]["memo"]
    stored = str(current.iloc[0]) if len(current) else ""
    # A box per segment, new when the stored memo changes (saved, undone), never refilled by the server: a
    # refill outrun by the next click would come back from the browser with the other segment's text.
    widget = state.drawn_key(f"memo_{segment_id}", stored)
    st.text_area("Your memo on this segment", value=stored, key=widget, height=90)
    st.button("Save memo", key=f"save_{widget}", on_click=_save_memo, args=(project, widget, segment_id, coder))
