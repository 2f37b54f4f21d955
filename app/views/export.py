"""Export: the project's data as files, built only when a download is asked for (they can be large)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

from coding.disclosure import withheld_codings
from coding.project import Project
from qcode_app import state, widgets

project = state.project()
stem = widgets.slug(project.name)
k = project.min_respondents

st.title("Export")
st.caption(
    "Each file is made from the project as it stands when you click. The sidebar's filters do not apply here: "
    "exports hold everything, with the source and status of every coding."
)
cells_by: list[str] = []
if k >= 2:
    # The attributes that make the cells a table could show: groupings, not one value per respondent
    # (an interview date or an id would make every cell a person and withhold every quote).
    people = project.respondents()
    groupings = [
        a for a in people.columns if a != "respondent_id" and 0 < people[a].nunique(dropna=False) * k <= len(people)
    ]
    st.warning(
        f"Disclosure control is on (k = {k}, in the sidebar): a quote whose code fewer than {k} respondents "
        "have, overall or within one value of the attributes below, is left out of the downloads that carry "
        "quotes (its row stays, its text is withheld). The whole project (QDPX) holds every transcript and is "
        "not disclosure-controlled.",
        icon=":material/visibility_off:",
    )
    cells_by = st.multiselect(
        "Cells by",
        list(people.columns.drop("respondent_id")),
        default=groupings,
        key="export_cells_by",
        help="The respondent attributes whose values make the columns of the tables you publish.",
    )


def guarded_codings(frame: pd.DataFrame) -> pd.DataFrame:
    """The long codings with the quotes behind cells of fewer than k respondents withheld."""
    if k < 2 or frame.empty:
        return frame
    withheld = withheld_codings(frame, cells_by, k)
    note = f"withheld: fewer than {k} respondents"
    return frame.assign(text=frame["text"].where(~withheld, ""), withheld=withheld.map({True: note, False: ""}))


def through_file(write: Callable[[Project, Path], object], suffix: str) -> Callable[[], bytes]:
    """A download built by a facade export method that writes a file."""

    def build() -> bytes:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"export{suffix}"
            write(project, path)
            return path.read_bytes()

    return build


def _memos_with_text(project: Project) -> pd.DataFrame:
    memos = project.memos()
    ids = [int(s) for s in memos["segment_id"].dropna()]
    where = project.quotes(ids)[["segment_id", "document", "respondent_id", "text"]] if ids else None
    if where is None:
        return memos
    if k >= 2:  # a segment whose quote is withheld in the codings is withheld here too
        codings = guarded_codings(project.long_codings())
        withheld = set(codings.loc[codings["withheld"] != "", "segment_id"]) if "withheld" in codings else set()
        where = where.assign(text=where["text"].where(~where["segment_id"].isin(withheld), ""))
    return memos.merge(where, on="segment_id", how="left")


def offer(title: str, text: str, label: str, build: Callable[[], bytes | str], file_name: str, mime: str) -> None:
    with st.container(border=True):
        left, right = st.columns([3, 1], vertical_alignment="center")
        left.markdown(f"**{title}**  \n{text}")
        right.download_button(
            label, build, file_name=file_name, mime=mime, icon=":material/download:", on_click="ignore", width="stretch"
        )


offer(
    "Codings (long format)",
    "One row per coding: transcript, respondent and attributes, segment offsets and text, code, coder, source "
    "(person, rules, model), confidence and status.",
    "Codings CSV",
    lambda: widgets.csv_bytes(guarded_codings(project.long_codings())),
    f"{stem}-codings.csv",
    "text/csv",
)

kind, who = st.columns([2, 3])
source = kind.radio(
    "Matrix of",
    ["human", "auto", "all"],
    format_func={"human": "people's codes", "auto": "suggestions", "all": "both"}.get,
    horizontal=True,
    key="export_matrix_source",
)
coders = who.multiselect(
    "Coded by", project.coders(), key="export_matrix_coders", placeholder="Anyone (a 1 if any coder applied it)"
)
offer(
    "Coding matrix",
    "One row per segment, one 0/1 column per code: ready for statistics software.",
    "Matrix CSV",
    lambda: widgets.csv_bytes(project.coding_matrix(source, coders or None)),
    f"{stem}-matrix-{source}{''.join('-' + widgets.slug(c) for c in coders)}.csv",
    "text/csv",
)

if hasattr(project, "export_codebook"):
    offer(
        "Codebook",
        "The codebook as qcode reads it (YAML), with every edit made here.",
        "Codebook YAML",
        through_file(lambda p, path: p.export_codebook(path), ".yaml"),
        f"{stem}-codebook.yaml",
        "application/yaml",
    )
    offer(
        "Codebook for an appendix",
        "Codes with definitions, criteria, examples and counts as a spreadsheet.",
        "Codebook XLSX",
        through_file(lambda p, path: p.export_codebook(path), ".xlsx"),
        f"{stem}-codebook.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    offer(
        "Codebook for other software",
        "REFI-QDA codebook (.qdc), readable by ATLAS.ti, MAXQDA, NVivo and others.",
        "Codebook QDC",
        through_file(lambda p, path: p.export_codebook(path), ".qdc"),
        f"{stem}-codebook.qdc",
        "application/xml",
    )
else:
    codebook_file = project.folder / project.config.codebook
    offer(
        "Codebook",
        "The codebook as qcode reads it (YAML), with every edit made here.",
        "Codebook YAML",
        codebook_file.read_bytes,
        f"{stem}-codebook.yaml",
        "application/yaml",
    )

if hasattr(project, "export_qdpx"):
    offer(
        "Whole project for other software",
        "REFI-QDA project (.qdpx): transcripts, codes, codings and respondents, for ATLAS.ti, MAXQDA, NVivo ...",
        "Project QDPX",
        through_file(lambda p, path: p.export_qdpx(path), ".qdpx"),
        f"{stem}.qdpx",
        "application/zip",
    )

offer(
    "Memos",
    "Every memo with its coder, transcript, respondent and the segment's text.",
    "Memos CSV",
    lambda: widgets.csv_bytes(_memos_with_text(project)),
    f"{stem}-memos.csv",
    "text/csv",
)
