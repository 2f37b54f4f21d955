"""A transcript as the span coder's data: turns, coding units, stripes and codes. Pure: no Streamlit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from coding.models import RESPONDENT, Code, Document, Segment

from .widgets import FALLBACK_PALETTE, code_colors, label_ink


# ----- the span coder's data (app/components/span_coder.js draws it) ---------------------------------
@dataclass(frozen=True)
class Mark:
    """One coding drawn as a stripe: a span (id "s<span id>") or a whole-unit coding (id "c<coding id>")."""

    id: str
    start: int
    end: int
    code: str
    coder: str
    source: str
    removable: bool  # the person's own: a click on its stripe and Delete take it away


def coder_data(
    document: Document,
    segments: Sequence[Segment],
    marks: Sequence[Mark],
    codes: Sequence[Code],
    depths: Mapping[str, int],
    pending: Sequence[int],
    coder: str,
    current: int | None,
    selection: Mapping[str, Any] | None = None,
    done: str = "",
) -> dict[str, Any]:
    """Everything the span coder shows, as JSON: turns with their text (the browser makes text of it, never
    markup), respondent units, stripes with their code's name, colour and a label ink readable on it."""
    colors = code_colors(codes)
    names = {code.id: code.name for code in codes}
    units = [s for s in segments if s.role == RESPONDENT]
    return {
        "document": document.name,
        "coder": coder,
        "current": current,
        "selection": dict(selection) if selection else None,
        "done": done,  # the nonce of the last action carried out: the browser's drawn-ahead stripes give way
        "turns": [
            {
                "speaker": turn.speaker,
                "role": turn.role,
                "start": turn.start,
                "end": turn.end,
                "text": document.text[turn.start : turn.end],
            }
            for turn in document.turns
        ],
        "units": [{"id": int(s.id or 0), "start": s.start, "end": s.end} for s in units],
        "pending": [int(s) for s in pending],
        "codes": [
            {
                "id": code.id,
                "name": code.name,
                "color": colors[code.id],
                "ink": label_ink(colors[code.id]),
                "depth": depths.get(code.id, 0),
                "definition": code.definition,
            }
            for code in codes
        ],
        "marks": [
            {
                "id": mark.id,
                "start": mark.start,
                "end": mark.end,
                "code": mark.code,
                "name": names.get(mark.code, mark.code),
                "color": colors.get(mark.code, FALLBACK_PALETTE[-1]),
                "ink": label_ink(colors.get(mark.code, FALLBACK_PALETTE[-1])),
                "coder": mark.coder,
                "source": mark.source,
                "removable": mark.removable,
            }
            for mark in sorted(marks, key=lambda m: (m.start, -m.end, m.code))
        ],
    }
