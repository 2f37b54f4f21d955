"""Pieces several pages draw: tables with their download, the quotes panel, tinted text."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from coding.project import SEGMENT_COLUMNS

from . import data
from .state import ProjectKey, literal, plain, sticky

FIRST_QUOTES = 5  # the first view of a cell: each quote is two elements the browser draws on the first page
MORE_QUOTES = 20
QUOTES_SHOWN = "_quotes_shown"  # (cell name, how many of its quotes are shown)
CONTEXT_CHARS = 400  # turn text shown on each side of a quote
TRANSCRIPTS_PAGE = "views/transcripts.py"


def csv_bytes(frame: pd.DataFrame, index: bool = False) -> bytes:
    """A download as CSV, its cells escaped so that a spreadsheet never runs a transcript's "=..." as a formula."""
    from coding.tables import safe_frame

    return safe_frame(frame if index else frame.reset_index(drop=True)).to_csv(index=False).encode("utf-8")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "table"


def table(
    frame: pd.DataFrame,
    file_name: str,
    key: str,
    caption: str = "",
    download: pd.DataFrame | None = None,
    height: int | str = "auto",
    **kwargs: object,
) -> None:
    """A table with its CSV download just above it (`download` if the file should say more than the screen)."""
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    if caption:
        left.caption(caption)
    right.download_button(
        "Download CSV",
        csv_bytes(frame if download is None else download),
        file_name=file_name,
        mime="text/csv",
        key=f"dl_{key}",
        icon=":material/download:",
        on_click="ignore",
        width="stretch",
    )
    st.dataframe(frame, hide_index=True, height=height, key=f"df_{key}", **kwargs)  # type: ignore[arg-type,call-overload]


def tree_names(codes: pd.DataFrame) -> pd.Series:
    """Code names indented by their level (for tables whose rows are codes in tree order)."""
    return codes["level"].astype(int).map(lambda level: "\u00a0" * 4 * level) + codes["name"]


def open_in_transcript(document: str, segment_id: int) -> None:
    st.session_state["document"] = document
    st.session_state["segment"] = int(segment_id)
    st.session_state["step"] = "all"  # the segment must be among those the page offers
    st.switch_page(TRANSCRIPTS_PAGE)


def quotes_panel(key: ProjectKey, token: data.Token, segment_ids: Sequence[int], heading: str, name: str) -> None:
    """Every quote behind one number, with its respondent and a way to its place in the transcript.

    Only the quotes on screen are fetched (the first few, more on request); the download builds the full list
    when it is clicked.
    """
    st.markdown(f"**{literal(heading)}**")  # code names and attribute values shown as typed
    if len(segment_ids) == 0:
        st.info("No quotes here: no coded segment matches this cell under the current filters.")
        return
    # A Total can hold 300,000 segments: only the page on screen becomes Python ints before a click.
    st.download_button(
        f"Download these {len(segment_ids):,} quotes",
        lambda: csv_bytes(_plain_quotes(data.quotes(key, token, tuple(int(s) for s in segment_ids)))),
        file_name=f"quotes-{slug(name)}.csv",
        mime="text/csv",
        key=f"dl_quotes_{cell_key(name)}",
        icon=":material/download:",
        on_click="ignore",
    )
    context = st.toggle(
        "Show the whole turn",
        help="Each quote inside the rest of what the respondent said in that turn.",
        **sticky("quotes_context", False),
    )
    # How many are shown is kept for one cell only: any other cell (or this one after another) starts again
    # from the first quotes, so no page keeps drawing a long list it was once asked for.
    kept = st.session_state.get(QUOTES_SHOWN)
    count = min(len(segment_ids), kept[1] if isinstance(kept, tuple) and kept[0] == name else FIRST_QUOTES)
    st.session_state[QUOTES_SHOWN] = (name, count)
    shown = data.quotes(key, token, tuple(int(s) for s in segment_ids[:count]), context)
    attributes = [c for c in shown.columns if c not in _QUOTE_INTERNALS]
    with st.container(height=560 if len(shown) > 4 else "content"):
        for row in shown.itertuples(index=False):
            _quote(row, attributes)
        if count < len(segment_ids):
            st.button(
                f"Show {min(MORE_QUOTES, len(segment_ids) - count):,} more ({count:,} of {len(segment_ids):,} shown)",
                key=f"more_quotes_{cell_key(name)}",
                on_click=_show_more,
                args=(name, count),
                icon=":material/expand_more:",
            )


def _show_more(name: str, count: int) -> None:
    st.session_state[QUOTES_SHOWN] = (name, count + MORE_QUOTES)


def cell_key(name: str) -> str:
    """A widget key for one cell's controls: readable, and distinct for names slug() makes equal (values in
    other scripts, or differing only in case)."""
    return f"{slug(name)}-{hashlib.sha1(name.encode('utf-8')).hexdigest()[:10]}"


def _plain_quotes(quotes: pd.DataFrame) -> pd.DataFrame:
    attributes = [c for c in quotes.columns if c not in _QUOTE_INTERNALS]
    export = quotes[["document", "respondent_id", "turn_index", "text", *attributes]]
    return export.rename(columns={c: plain(c) for c in export.columns})


_QUOTE_INTERNALS = {*SEGMENT_COLUMNS, "text", "before", "after"}


def _quote(row: object, attributes: Sequence[str]) -> None:
    values = row._asdict()  # type: ignore[attr-defined]
    facts = " · ".join(str(values[a]) for a in attributes if pd.notna(values[a]) and str(values[a]))
    quote = html.escape(str(values["text"]))
    if values.get("before") or values.get("after"):  # the quote in its turn, the rest in grey
        before, after = _trimmed(str(values.get("before") or ""), True), _trimmed(str(values.get("after") or ""), False)
        quote = f'<span class="qc-context">{before}</span> <b>{quote}</b> <span class="qc-context">{after}</span>'
    st.markdown(
        f'<div class="qc-quote">{quote}</div>'
        f'<div class="qc-who"><b>{html.escape(str(values["respondent_id"]))}</b> · {html.escape(facts)}</div>',
        unsafe_allow_html=True,
    )
    label = f"Open in transcript {values['document']}, turn {int(values['turn_index']) + 1}"
    if st.button(label, key=f"open_{values['segment_id']}", type="tertiary", icon=":material/arrow_forward:"):
        open_in_transcript(str(values["document"]), int(values["segment_id"]))


def _trimmed(text: str, keep_end: bool, limit: int = CONTEXT_CHARS) -> str:
    """Context around a quote, cut at a word to about `limit` characters on the side away from the quote."""
    if len(text) <= limit:
        return html.escape(text)
    if keep_end:
        cut = text[-limit:]
        return "… " + html.escape(cut[cut.find(" ") + 1 :])
    cut = text[:limit]
    return html.escape(cut[: cut.rfind(" ")] if " " in cut else cut) + " …"


_HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def safe_color(color: str, fallback: str = "#9e9e9e") -> str:
    """A colour fit to put inside a style attribute: #rrggbb or the fallback, never anything else.

    Codes can come from REFI-QDA files and app edits, so a colour is user input that must not escape CSS.
    """
    return color if isinstance(color, str) and _HEX_COLOR.fullmatch(color) else fallback


def tint(colors: Sequence[str], dashed: Sequence[str] = ()) -> str:
    """CSS for a segment: a light wash of its first code's colour and one underline per code."""
    colors, dashed = [safe_color(c) for c in colors], [safe_color(c) for c in dashed]
    if not colors and not dashed:
        return ""
    first = (list(colors) or list(dashed))[0]
    lines = [f"inset 0 -{2 * (i + 1)}px 0 {c}" for i, c in enumerate(colors)]
    style = f"background:{first}{'22' if colors else '10'};"
    if lines:
        style += f"box-shadow:{', '.join(lines)};padding-bottom:{2 * len(lines)}px;"
    if dashed:
        style += f"outline:1px dashed {dashed[0]};"
    return style


STYLE = """
<style>
.qc-quote {border-left: 3px solid #1f4e9c; padding: 0.2rem 0.7rem; margin-top: 0.6rem; font-size: 0.95rem;}
.qc-who {color: #555; font-size: 0.8rem; padding-left: 0.8rem;}
.qc-context {color: #6b7280;}
.qc-turn {margin: 0 0 0.7rem 0; line-height: 1.9;}
.qc-speaker {font-weight: 600; color: #333;}
.qc-interviewer {color: #666;}
.qc-seg {border-radius: 3px;}
.qc-seg.qc-current {outline: 2px solid #d6336c !important; outline-offset: 1px;}
.qc-num {font-size: 0.65rem; color: #888; vertical-align: super; margin: 0 0.15rem;}
.qc-chip {display: inline-block; border-radius: 0.6rem; padding: 0 0.5rem; margin: 0 0.25rem 0.25rem 0;
  font-size: 0.8rem; color: white;}
</style>
"""


def inject_style() -> None:
    st.markdown(STYLE, unsafe_allow_html=True)


def chip(text: str, color: str) -> str:
    color = safe_color(color)
    ink = "#1d2330" if _light(color) else "#ffffff"  # readable on pale and on dark code colours alike
    return f'<span class="qc-chip" style="background:{color};color:{ink}">{html.escape(text)}</span>'


def _light(color: str) -> bool:
    """Whether a #rrggbb colour is light enough to need dark text (relative luminance above 0.45)."""
    digits = color.lstrip("#")
    if len(digits) != 6:
        return False
    try:
        red, green, blue = (int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4))
    except ValueError:
        return False
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2] > 0.45


def transcript_picker(key: ProjectKey, token: data.Token, filters: data.Filters, where: Any = st) -> str:
    """A select box of the transcripts of the respondents the sidebar's filters keep (the choice is shared
    by the pages that show one transcript); stops the page when there is none."""
    documents = data.documents(key, token)
    _, _, respondents = data.filtered(key, token, filters)
    documents = documents[documents["respondent_id"].isin(respondents["respondent_id"])]
    names = documents["document"].tolist()
    if not names:
        st.info("No transcript belongs to the respondents chosen in the sidebar's filters.")
        st.stop()
    who = dict(zip(documents["document"], documents["respondent_id"], strict=True))
    return str(
        where.selectbox(
            "Transcript",
            names,
            format_func=lambda d: d if who[d] == d else f"{d} (respondent {who[d]})",
            **sticky("document", names[0], names),
        )
    )


# Colours for codes that have none of their own (Okabe-Ito and a few more, told apart by most readers).
FALLBACK_PALETTE = (
    "#0072b2",
    "#e69f00",
    "#009e73",
    "#cc79a7",
    "#56b4e9",
    "#d55e00",
    "#f0e442",
    "#6a3d9a",
    "#8c564b",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
)


def luminance(color: str) -> float:
    """WCAG relative luminance of a #rrggbb colour."""
    digits = safe_color(color).lstrip("#")
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def label_ink(color: str) -> str:
    """Black or white, whichever reads better on `color`: the better of the two is always above 4.5:1."""
    return "#000000" if contrast(color, "#000000") >= contrast(color, "#ffffff") else "#ffffff"


def code_colors(codes: Sequence[Any]) -> dict[str, str]:
    """Each code's colour: its own, or one of the fallback palette (by position, so stable for a codebook)."""
    found: dict[str, str] = {}
    for index, code in enumerate(codes):
        own = safe_color(code.color, "") if code.color else ""
        found[code.id] = own or FALLBACK_PALETTE[index % len(FALLBACK_PALETTE)]
    return found
