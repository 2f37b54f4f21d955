"""Transcripts and coding: read a transcript turn by turn and code it by hand, beside its suggestions."""

from __future__ import annotations

import html

import streamlit as st

from qcode_app import data, sidebar, state, widgets, workbench
from qcode_app.transcript_view import scroll_script, transcript_html

STEPS = {"all": "Every segment", "open": "Suggestions waiting", "uncoded": "Not coded by me yet"}

key, token = state.context()
project = state.project()
me = state.coder()
filters = sidebar.current()
book = data.codebook(key, token)
colors = {c.id: c.color or workbench.NEUTRAL for c in book.codes}
stamp = "-".join(map(str, token))


st.title("Transcripts and coding")
pick_doc, pick_step, pick_others = st.columns([3, 3, 2], vertical_alignment="bottom")
name = widgets.transcript_picker(key, token, filters, pick_doc)
step = pick_step.radio(
    "Step through", list(STEPS), format_func=STEPS.get, horizontal=True, **state.sticky("step", "all")
)
show_others = pick_others.toggle(
    "Show other coders",
    help="Blind coding: you see only your own codes and the machine's suggestions unless this is on.",
    **state.sticky("show_others", False),
)

document, segments = data.document(key, token, name)
units = [s for s in segments if s.role == "respondent"]
numbers = {int(s.id or 0): i + 1 for i, s in enumerate(units)}
codings = data.codings_on(key, token, tuple(numbers))
own = workbench.mine(codings, me) if me else codings[codings["status"] == "accepted"]
waiting = workbench.pending(codings, me)
visible = own if not (me and show_others) else codings[codings["status"] == "accepted"]

candidates = list(numbers)
if step == "open":
    candidates = [s for s in candidates if s in set(waiting["segment_id"])]
elif step == "uncoded":
    candidates = [s for s in candidates if s not in set(own["segment_id"])]

tinted = {
    sid: [colors.get(c, workbench.NEUTRAL) for c in group["code"]] for sid, group in visible.groupby("segment_id")
}
dashed = {
    sid: [colors.get(c, workbench.NEUTRAL) for c in group["code"]] for sid, group in waiting.groupby("segment_id")
}
texts = {int(s.id or 0): s.text for s in units}

read, panel = st.columns([3, 2], gap="large")
with panel:
    if not candidates:
        st.success("Nothing left here: every segment of this transcript is done for this step.")
        segment_id = None
    else:
        segment_id = st.selectbox(
            "Segment",
            candidates,
            format_func=lambda s: f"{numbers[s]} · {texts[s][:70]}",
            **state.sticky(
                "segment", workbench.next_after(st.session_state.get("segment"), candidates, numbers), candidates
            ),
        )
        position = candidates.index(segment_id)
        back, forward = st.columns(2)
        back.button(
            "Previous",
            icon=":material/arrow_upward:",
            shortcut="Alt+Up",
            disabled=position == 0,
            on_click=workbench.go_to,
            args=(candidates[max(position - 1, 0)],),
            width="stretch",
        )
        forward.button(
            "Next",
            icon=":material/arrow_downward:",
            shortcut="Alt+Down",
            disabled=position == len(candidates) - 1,
            on_click=workbench.go_to,
            args=(candidates[min(position + 1, len(candidates) - 1)],),
            width="stretch",
        )

with read:
    st.caption(
        "Respondent segments are numbered; colours show "
        + ("every coder's codes" if show_others or not me else "your codes")
        + ", a dashed outline a suggestion waiting for a decision."
    )
    with st.container(height=720, border=True):
        st.markdown(transcript_html(document, segments, numbers, tinted, dashed, segment_id), unsafe_allow_html=True)
    if segment_id is not None:
        st.html(scroll_script(segment_id), unsafe_allow_javascript=True)

if segment_id is not None:
    here = codings[codings["segment_id"] == segment_id]
    with panel:
        st.markdown(f'<div class="qc-quote">{html.escape(texts[segment_id])}</div>', unsafe_allow_html=True)
        if not me:
            st.info("Enter your coder name in the sidebar to code this transcript.", icon=":material/person:")
        else:
            st.markdown("**Your codes**")
            workbench.code_toggles(project, book, segment_id, here, me, stamp)
            st.markdown("**Suggestions**")
            workbench.suggestions(project, book, here, me, texts[segment_id])
            if show_others:
                st.markdown("**Other coders**")
                workbench.other_coders(book, here, me)
            workbench.memo_box(project, segment_id, data.memos(key, token), me, stamp)

if hasattr(project, "code_next"):
    from qcode_app import next_queue

    with panel:
        next_queue.code_next_panel(project, key, token)
