"""Agreement: how far coders agree per code, where two of them differ, and the decision they settle on."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from coding.errors import QcodeError
from coding.intercoder import CONSENSUS
from coding.project import Project
from qcode_app import data, state, widgets

UNITS = {
    "documents": "Every segment of the transcripts that each of them coded",
    "touched": "Only segments at least one of them coded",
}
PER_PAGE = 10

key, token = state.context()
project = state.project()
me = state.coder()

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

try:
    table = data.agreement(key, data.coders_state(key, token, chosen), tuple(chosen), units, token)
except QcodeError as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()
pooled = table.iloc[-1]  # the "All codes" row: every (segment, code) decision together
kappa = "Cohen's kappa" if "Cohen's kappa" in table.columns else "Fleiss' kappa"
figures = [("Segments compared", pooled["Segments (n)"], "{:,.0f}"), ("Agreement", pooled["Agreement (%)"], "{:.1f}%")]
figures += [(kappa, pooled[kappa], "{:.3f}"), ("Krippendorff's alpha", pooled["Krippendorff's alpha"], "{:.3f}")]
for column, (label, value, shape) in zip(st.columns(len(figures)), figures, strict=True):
    column.metric(f"{label}, all codes", "undefined" if pd.isna(value) else shape.format(float(value)))
widgets.table(
    table,
    f"agreement-{'-'.join(chosen)}.csv",
    "agreement",
    "Per code: segments compared, each coder's positives, agreement and chance-corrected statistics.",
)


def resolve(project: Project, segment_id: int, code: str, applies: bool, actor: str) -> None:
    state.act(project.resolve, segment_id, code, applies, actor, done="Consensus recorded")


st.subheader("Disagreements")
first, second = chosen[0], chosen[1]
if len(chosen) > 2:
    left, right = st.columns(2)
    first = left.selectbox("Between", chosen, **state.sticky("agree_a", chosen[0], chosen))
    rest = [c for c in chosen if c != first]
    second = right.selectbox("and", rest, **state.sticky("agree_b", rest[0], rest))
if not st.toggle("Review the disagreements", **state.sticky("agree_review", False)):
    st.caption("Lists every segment and code the two coders decided differently, to settle them one by one.")
    st.stop()
found = data.disagreements(key, data.coders_state(key, token, [first, second]), first, second, units, token)
if found.empty:
    st.success(f"{first} and {second} agree on every segment compared.")
    st.stop()

names = {c.id: c.name for c in data.codebook(key, token).codes}
settled = data.consensus(key, token)  # current, while the list itself is cached on the two coders' work
found = found.assign(
    code_name=found["code"].map(names).fillna(found["code"]),
    consensus=[settled.get((int(s), str(c)), "") for s, c in zip(found["segment_id"], found["code"], strict=True)],
)
view = found
open_only = st.toggle("Only those without a consensus yet", **state.sticky("agree_open", True))
if open_only:
    view = view[view["consensus"] == ""]
done = int((found["consensus"] != "").sum())
st.caption(f"{len(found):,} disagreements, {done:,} settled. Settling records the decision as coder '{CONSENSUS}'.")
export = view.drop(columns=["code"]).rename(columns={"code_name": "code", "respondent_id": "respondent"})
st.download_button(
    "Download disagreements CSV",
    widgets.csv_bytes(export),
    file_name=f"disagreements-{first}-{second}.csv",
    mime="text/csv",
    icon=":material/download:",
    on_click="ignore",
)
if view.empty:
    st.success("Every disagreement here has a consensus.")
    st.stop()
if not me:
    st.info("Enter your coder name in the sidebar to record consensus decisions.")

pages = max(1, -(-len(view) // PER_PAGE))
page = int(st.number_input(f"Page (of {pages})", 1, pages, 1, key="agree_page")) if pages > 1 else 1


def said(value: object) -> str:
    return "applied" if bool(value) else "not applied"


for row in view.iloc[(page - 1) * PER_PAGE : page * PER_PAGE].to_dict("records"):
    with st.container(border=True):
        where = str(row["respondent_id"])
        where += "" if row["document"] == row["respondent_id"] else f" · {row['document']}"
        st.markdown(
            f'<div class="qc-quote">{html.escape(str(row["text"]))}</div>'
            f'<div class="qc-who"><b>{html.escape(where)}</b></div>',
            unsafe_allow_html=True,
        )
        memo_text = " ".join(
            f"{coder}'s memo: {row[f'memo_{coder}']}" for coder in (first, second) if row.get(f"memo_{coder}")
        )
        verdict = f" · consensus: **{row['consensus']}**" if row["consensus"] else ""
        st.markdown(
            f"**{row['code_name']}**: {first} {said(row[first])}, {second} {said(row[second])}{verdict}"
            + (f"  \n{memo_text}" if memo_text else "")
        )
        segment, code = int(row["segment_id"]), str(row["code"])
        if st.button(
            "Read it in the transcript",
            key=f"open_{segment}_{code}",
            type="tertiary",
            icon=":material/arrow_forward:",
        ):
            widgets.open_in_transcript(str(row["document"]), segment)
        if me and state.is_lead():  # only a lead records consensus
            yes, no, _ = st.columns([1, 1, 3])
            yes.button(
                "Applies", key=f"yes_{segment}_{code}", on_click=resolve, args=(project, segment, code, True, me)
            )
            no.button(
                "Does not apply",
                key=f"no_{segment}_{code}",
                on_click=resolve,
                args=(project, segment, code, False, me),
            )
