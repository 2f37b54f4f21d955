"""Transcripts and coding: read a transcript turn by turn and code any stretch of it, beside its suggestions.

The coding part is one st.fragment: applying a code, removing one, accepting a suggestion or stepping to the
next segment reruns only the fragment, not the sidebar and page around it.
"""

from __future__ import annotations

import html

import streamlit as st

from qcode_app import data, reasons, sidebar, state, widgets, workbench
from qcode_app.components.span_coder import span_coder
from qcode_app.transcript_view import coder_data

STEPS = {"all": "Every segment", "open": "Suggestions waiting", "uncoded": "Not coded by me yet"}
CODER_KEY = "span_coder"

project = state.project()
me = state.coder()
filters = sidebar.current()

st.title("Transcripts and coding")
pick_doc, pick_step, pick_others = st.columns([3, 3, 2], vertical_alignment="bottom")
key, token = state.context()
name = widgets.transcript_picker(key, token, filters, pick_doc)
step = pick_step.radio(
    "Step through", list(STEPS), format_func=STEPS.get, horizontal=True, **state.sticky("step", "all")
)
show_others = pick_others.toggle(
    "Show other coders",
    help="Blind coding: you see only your own codes and the machine's suggestions unless this is on.",
    **state.sticky("show_others", False),
)


if me:
    reasons.explainer(key)  # its pipeline loads in the background while the page is read


@st.fragment
def coding_bench() -> None:
    # A fragment rerun skips main.py: read the state token afresh, so an edit just made shows at once.
    token = state.start_run()
    state.show_messages()
    book = workbench.current_codebook(project, key, token)
    document, segments = workbench.document(key, token.segments, name)
    units = [s for s in segments if s.role == "respondent"]
    numbers = {int(s.id or 0): i + 1 for i, s in enumerate(units)}
    bounds = {int(s.id or 0): (s.start, s.end) for s in units}
    codings = data.codings_on(key, token, tuple(numbers))
    own = workbench.mine(codings, me) if me else codings[codings["status"] == "accepted"]
    waiting = workbench.pending(codings, me)
    visible = own if not (me and show_others) else codings[codings["status"] == "accepted"]
    spans = workbench.spans_of(key, token, name)
    if me and not show_others:  # blind coding: only the person's own spans
        spans = spans[spans["coder"] == me]

    candidates = list(numbers)
    if step == "open":
        open_ones = set(waiting["segment_id"])
        candidates = [s for s in candidates if s in open_ones]
    elif step == "uncoded":
        done = set(own["segment_id"])
        candidates = [s for s in candidates if s not in done]
    texts = {int(s.id or 0): s.text for s in units}

    # The text and the panel's quote are drawn before the toolbar above them: the browser gets the parts an
    # action changes first (elements reach it in the order the script makes them, not the order on screen).
    toolbar = st.container()
    read, panel = st.columns([5, 2], gap="medium")
    segment_id: int | None = None
    picked = {}
    if candidates:
        picked = state.sticky(
            "segment", workbench.next_after(st.session_state.get("segment"), candidates, numbers), candidates
        )
        segment_id = int(st.session_state["segment"])

    shown = workbench.marks(visible, spans, bounds, me)
    # The text selects the panel's segment itself; a segment chosen in the panel selects its sentence there.
    previous = st.session_state.get("_qcw_shown_segment")
    st.session_state["_qcw_shown_segment"] = segment_id
    asked = None
    from_text = st.session_state.pop(workbench.FROM_TEXT, None)
    if segment_id is not None and segment_id != previous and segment_id != from_text:
        start, end = bounds[segment_id]
        asked = {"start": start, "end": end, "nonce": f"{name}:{segment_id}"}
    with read:
        span_coder(
            coder_data(
                document,
                segments,
                shown,
                book.tree_order(),
                {code.id: book.depth(code.id) for code in book.codes},
                sorted(set(waiting["segment_id"])),
                me,
                segment_id,
                asked,
                st.session_state.get(workbench.DONE, ""),
            ),
            key=CODER_KEY,
            on_action=lambda: workbench.on_span_action(project, CODER_KEY, name, me, {m.id: m for m in shown}),
            on_selection=lambda: workbench.on_selection(CODER_KEY),
        )
    if segment_id is not None:
        panel.markdown(f'<div class="qc-quote">{html.escape(texts[segment_id])}</div>', unsafe_allow_html=True)

    with toolbar:
        pick, back, forward, undo, redo = st.columns([6, 2, 2, 2, 3], vertical_alignment="bottom", gap="small")
        if segment_id is None:
            pick.success("Nothing left here: every segment of this transcript is done for this step.")
        else:
            pick.selectbox("Segment", candidates, format_func=lambda s: f"{numbers[s]} · {texts[s][:70]}", **picked)
            position = candidates.index(segment_id)
            back.button(
                "",
                icon=":material/arrow_upward:",
                help="Previous segment (Alt+Up)",
                shortcut="Alt+Up",
                disabled=position == 0,
                on_click=workbench.go_to,
                args=(candidates[max(position - 1, 0)],),
                width="stretch",
            )
            forward.button(
                "",
                icon=":material/arrow_downward:",
                help="Next segment (Alt+Down)",
                shortcut="Alt+Down",
                disabled=position == len(candidates) - 1,
                on_click=workbench.go_to,
                args=(candidates[min(position + 1, len(candidates) - 1)],),
                width="stretch",
            )
        if me:
            workbench.undo_buttons(project, me, undo, redo)

    if segment_id is None:
        return
    here = codings[codings["segment_id"] == segment_id]
    with panel:
        if not me:
            st.info(
                "Choose your coder name in the sidebar (“Your name as coder”) to code this transcript.",
                icon=":material/person:",
            )
            return
        st.markdown("**Suggestions**")
        workbench.suggestions(project, book, here, me, texts[segment_id])
        position = candidates.index(segment_id)
        workbench.reasons_ahead(project, book, codings, texts, candidates[position + 1 : position + 3])
        with st.expander("Codes on this whole segment", icon=":material/checklist:"):
            workbench.code_toggles(project, book, segment_id, here, me)
        if show_others:
            st.markdown("**Other coders**")
            workbench.other_coders(book, here, me)
        workbench.memo_box(project, segment_id, data.memos(key, token), me)
        workbench.history(project, segment_id)
        if hasattr(project, "code_next"):
            from qcode_app import next_queue

            next_queue.code_next_panel(project, key, token)


coding_bench()
