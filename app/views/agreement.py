"""Agreement: how far coders agree per code, where two of them differ, and the decision they settle on."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from coding import review_queue
from coding.errors import QcodeError
from coding.models import CONSENSUS
from qcode_app import data, review, state, widgets

UNITS = {
    "documents": "Every segment of the transcripts that each of them coded",
    "touched": "Only segments at least one of them coded",
}

key, token = state.context()
project = state.project()
me = state.coder()
decider = me if me and state.is_lead() else ""  # only a lead records consensus

st.title("Agreement")
st.caption(
    "Each coder's own codes (and the suggestions they accepted) are compared; the sidebar's filters do not apply."
)
coders = [c for c in data.coders(key, token) if c != CONSENSUS]
if len(coders) < 2:
    st.info(
        "Agreement needs two coders. Import another coder's work with "
        "`qcode import-codings codings.csv --coder NAME`, or code blind on the Transcripts page under another name."
    )
    st.stop()

pick, unit_pick = st.columns([3, 2])
chosen = pick.multiselect("Coders to compare", coders, **state.sticky("agree_coders", coders[:2]))
units = unit_pick.radio(
    "Segments compared", list(UNITS), format_func=UNITS.get, **state.sticky("agree_units", "documents")
)
if len(chosen) < 2:
    st.info("Choose at least two coders.")
    st.stop()

from_url = review.restore_position()
reviewing = bool(st.session_state.get("agree_review", from_url))  # the review reads the frames anyway
try:
    if reviewing or data.frames_held(key, token):  # kept on the coders' own work: a consensus is not recounted
        table = data.agreement(key, data.coders_state(key, token, chosen), tuple(chosen), units, token)
    else:  # a first visit: counted in the database, no coding read one by one
        table = data.counted_agreement(key, tuple(chosen), units, token)
except QcodeError as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()
pooled = table.iloc[-1]  # the "All codes" row: every (segment, code) decision together
kappa = "Cohen's kappa" if "Cohen's kappa" in table.columns else "Fleiss' kappa"
figures = [("Segments compared", pooled["Segments (n)"], "{:,.0f}"), ("Agreement", pooled["Agreement (%)"], "{:.1f}%")]
figures += [(kappa, pooled[kappa], "{:.3f}"), ("Krippendorff's alpha", pooled["Krippendorff's alpha"], "{:.3f}")]
for column, (label, value, shape) in zip(st.columns(len(figures)), figures, strict=True):
    column.metric(f"{label}, all codes", "undefined" if pd.isna(value) else shape.format(float(value)))
# While reviewing, the per-code table folds away so that the item on screen sits near the top.
with st.expander("Agreement per code", expanded=not reviewing):
    widgets.table(
        table,
        f"agreement-{'-'.join(chosen)}.csv",
        "agreement",
        "Per code: segments compared, each coder's positives, agreement and chance-corrected statistics.",
    )


st.subheader("Disagreements")
first, second = chosen[0], chosen[1]
if len(chosen) > 2:
    left, right = st.columns(2)
    first = left.selectbox("Between", chosen, **state.sticky("agree_a", chosen[0], chosen))
    rest = [c for c in chosen if c != first]
    second = right.selectbox("and", rest, **state.sticky("agree_b", rest[0], rest))
if not st.toggle("Review the disagreements", **state.sticky("agree_review", from_url)):
    st.caption(
        "Goes through every segment where the two coders decided a code differently, one at a time in its turn, "
        "to settle each with a key."
    )
    st.stop()
try:
    items = review.items(key, data.coders_state(key, token, [first, second]), first, second, units, token)
except QcodeError as exc:
    review.error_stop(exc)
if items.empty:
    st.success(f"{first} and {second} agree on every segment compared.")
    st.stop()

book = data.codebook(key, token)
names = {c.id: c.name for c in book.codes}
settled = data.consensus(key, token)  # current, while the items are cached on the two coders' work
is_open = review_queue.open_mask(items, settled)
present = {c for codes in items["codes"] for c in codes}
present |= {review_queue.family_of(book, c) for c in present}
code_choices = ["", *[c.id for c in book.tree_order() if c.id in present]]
pick_code, pick_open = st.columns([3, 2], vertical_alignment="bottom")
code = pick_code.selectbox(
    "Code",
    code_choices,
    format_func=lambda c: "Every code" if not c else "\u00a0" * 4 * book.depth(c) + str(names.get(c, c)),
    **state.sticky("review_code", "", code_choices),
)
open_only = pick_open.toggle("Only those without a consensus yet", **state.sticky("agree_open", True))
picked = review_queue.with_code(items, book, code or None)
done = int((~is_open[picked.index]).sum())
view = picked[is_open[picked.index]] if open_only else picked
st.caption(
    f"{len(picked):,} items ({sum(len(c) for c in picked['codes']):,} code decisions), {done:,} settled. "
    "A segment's disputed codes of one family (a parent and its children) are one item. Settling records the "
    f"decision as coder '{CONSENSUS}'."
)


def pair_table() -> bytes:
    found = data.disagreements(key, data.coders_state(key, token, [first, second]), first, second, units, token)
    found = found.assign(
        code_name=found["code"].map(names).fillna(found["code"]),
        consensus=[settled.get((int(s), str(c)), "") for s, c in zip(found["segment_id"], found["code"], strict=True)],
    )
    return widgets.csv_bytes(
        found.drop(columns=["code"]).rename(columns={"code_name": "code", "respondent_id": "respondent"})
    )


st.download_button(
    "Download disagreements CSV",
    pair_table,
    file_name=f"disagreements-{first}-{second}.csv",
    mime="text/csv",
    icon=":material/download:",
    on_click="ignore",
)
if view.empty:
    st.success("Every disagreement here has a consensus.")
    st.stop()
if not me:
    st.info("Choose your coder name in the sidebar (“Your name as coder”) to record consensus decisions.")
elif not decider:
    st.info("Only a lead records consensus decisions; you can read the review.")

keys = view["item"].tolist()
index = review.current(keys)
row = view.iloc[index].to_dict()
segment = int(row["segment_id"])
codes = list(row["codes"])
mine = review_queue.settled_codes(row, settled)

with st.container(border=True, key="review_item_box"):
    where = str(row["respondent_id"])
    where += "" if row["document"] == row["respondent_id"] else f" · {row['document']}"
    st.markdown(
        f"**Item {index + 1:,} of {len(keys):,}** · {html.escape(where)} · turn index {int(row['turn_index'])}",
    )
    st.markdown(
        review.turn_html(str(row["turn_text"]), int(row["mark_start"]), int(row["mark_end"])), unsafe_allow_html=True
    )
    st.markdown(f"Does **{html.escape(review_queue.names(codes, book))}** apply to the marked text?")
    st.dataframe(review.codes_table(row, names, first, second, mine), hide_index=True, key="review_codes")
    memo_text = "  \n".join(
        f"{coder}'s memo: {row[memo]}" for coder, memo in ((first, "memo_a"), (second, "memo_b")) if row.get(memo)
    )
    if memo_text:
        st.markdown(memo_text)
    # One wrapping row of buttons sized to their labels (columns cut the labels short at 1024 px).
    row_of_buttons = st.container(horizontal=True, vertical_alignment="center", key="review_buttons")
    whole_yes = review_queue.decide_item(codes, True)
    whole_no = review_queue.decide_item(codes, False)
    row_of_buttons.button(
        "Applies",
        key="review_yes",
        type="primary",
        shortcut=review.KEYS["applies"],
        disabled=not decider,
        on_click=review.decide,
        args=(project, segment, whole_yes, me, keys, row["item"], True),
    )
    row_of_buttons.button(
        "Does not apply",
        key="review_no",
        shortcut=review.KEYS["absent"],
        disabled=not decider,
        on_click=review.decide,
        args=(project, segment, whole_no, me, keys, row["item"], True),
    )
    row_of_buttons.button(
        "Previous", key="review_prev", shortcut=review.KEYS["previous"], on_click=review.step, args=(keys, -1)
    )
    row_of_buttons.button("Next", key="review_next", shortcut=review.KEYS["next"], on_click=review.step, args=(keys, 1))
    if row_of_buttons.button(
        "Read it in the transcript",
        key="review_open",
        type="tertiary",
        icon=":material/arrow_forward:",
        shortcut=review.KEYS["transcript"],
    ):
        widgets.open_in_transcript(str(row["document"]), segment)
    if len(codes) > 1 and decider:
        st.caption(
            "Or code by code: a child that applies brings its parent along; a parent that does not apply takes "
            "its children with it."
        )
        for code_id in codes:
            name_cell, yes, no = st.columns([4, 2, 2], vertical_alignment="center")
            name_cell.markdown("\u00a0" * 4 * book.depth(code_id) + html.escape(names.get(code_id, code_id)))
            for column, applies, text in ((yes, True, "applies"), (no, False, "does not")):
                decisions = review_queue.decide_code(codes, book, code_id, applies)
                column.button(
                    text,
                    key=f"review_{'yes' if applies else 'no'}_{code_id}",
                    type="tertiary",
                    on_click=review.decide,
                    args=(project, segment, decisions, me, keys, row["item"], review.settles(codes, mine, decisions)),
                )
st.caption(
    "Keys: **A** applies · **D** does not apply · **N** next · **P** previous · **T** read it in the transcript. "
    "The place in the list is kept when you come back from the transcript, and in the page's address."
)
