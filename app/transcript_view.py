"""A transcript as HTML, turn by turn, its segments tinted by their codes' colours. Pure: no Streamlit."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from coding.models import RESPONDENT, Code, Document, Segment, Turn

from .widgets import FALLBACK_PALETTE, code_colors, label_ink, tint


def _text(piece: str) -> str:
    """Escaped text with paragraph breaks kept (the gaps between segments carry them)."""
    escaped = html.escape(piece)
    return escaped.replace("\n\n", "<br><br>").replace("\n", "<br>")


def turn_html(
    document: Document,
    turn: Turn,
    segments: Sequence[Segment],
    numbers: Mapping[int, int],
    colors: Mapping[int, Sequence[str]],
    pending: Mapping[int, Sequence[str]],
    current: int | None,
) -> str:
    """One turn: the speaker, then its text with each coding unit wrapped in a tinted span.

    numbers: segment id -> number shown to the coder; colors: codes applied; pending: suggestions waiting.
    """
    speaker = f'<span class="qc-speaker">{html.escape(turn.speaker)}:</span> '
    if turn.role != RESPONDENT or not segments:
        body = _text(document.text[turn.start : turn.end])
        return f'<div class="qc-turn qc-interviewer">{speaker}{body}</div>'
    parts = [speaker]
    cursor = turn.start
    for segment in sorted(segments, key=lambda s: s.start):
        parts.append(_text(document.text[cursor : segment.start]))
        sid = int(segment.id or 0)
        classes = "qc-seg qc-current" if sid == current else "qc-seg"
        style = tint(colors.get(sid, ()), pending.get(sid, ()))
        number = numbers.get(sid)
        badge = f'<span class="qc-num">{number}</span>' if number else ""
        text = _text(document.text[segment.start : segment.end])
        parts.append(f'<span id="seg-{sid}" class="{classes}" style="{style}">{text}</span>{badge}')
        cursor = segment.end
    parts.append(_text(document.text[cursor : turn.end]))
    return f'<div class="qc-turn">{"".join(parts)}</div>'


def transcript_html(
    document: Document,
    segments: Sequence[Segment],
    numbers: Mapping[int, int],
    colors: Mapping[int, Sequence[str]],
    pending: Mapping[int, Sequence[str]],
    current: int | None,
) -> str:
    by_turn: dict[int, list[Segment]] = {}
    for segment in segments:
        if segment.role == RESPONDENT:
            by_turn.setdefault(segment.turn_index, []).append(segment)
    return "".join(
        turn_html(document, turn, by_turn.get(turn.index, []), numbers, colors, pending, current)
        for turn in document.turns
    )


# Brings the chosen segment into view inside the transcript's scrolling box (the page itself stays put).
_SCROLL = """<script>
(function () {
  let tries = 0;
  function bring() {
    const segment = document.getElementById("seg-%d");
    if (!segment) { if (tries++ < 40) setTimeout(bring, 100); return; }
    let box = segment.parentElement;
    while (box && !(box.scrollHeight > box.clientHeight + 4 && /(auto|scroll)/.test(getComputedStyle(box).overflowY))) {
      box = box.parentElement;
    }
    if (!box) return;
    const offset = segment.getBoundingClientRect().top - box.getBoundingClientRect().top;
    box.scrollTop += offset - box.clientHeight / 3;
  }
  bring();
})();
</script>"""


def scroll_script(segment_id: int) -> str:
    return _SCROLL % int(segment_id)


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
