"""The workbench's parts that run without a browser: stripe labels readable on every code colour, the data the
span coder is given, which codings become stripes, and what its actions do to a real project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from project_factory import make_project

from coding.errors import UsageError
from coding.models import HUMAN, RULE, Code, Document, Segment, Turn
from qcode_app.transcript_view import Mark, coder_data
from qcode_app.widgets import FALLBACK_PALETTE, code_colors, contrast, label_ink
from qcode_app.workbench import marks, perform

REPO = Path(__file__).resolve().parents[1]


def every_palette_colour() -> set[str]:
    """The fallback palette and every colour of every codebook shipped."""
    found = set(FALLBACK_PALETTE)
    for path in (REPO / "codebooks").glob("*.yaml"):
        for code in yaml.safe_load(path.read_text(encoding="utf-8")).get("codes", []):
            if code.get("color"):
                found.add(code["color"])
    return found


def test_contrast_is_wcag() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # WCAG's well-known borderline grey


@pytest.mark.parametrize("color", sorted(every_palette_colour()))
def test_stripe_labels_are_readable_on_every_palette_colour(color: str) -> None:
    assert contrast(label_ink(color), color) >= 4.5


def test_label_ink_is_readable_across_the_whole_colour_range() -> None:
    greys = [f"#{v:02x}{v:02x}{v:02x}" for v in range(0, 256, 5)]
    hues = [f"#{r:02x}{g:02x}{b:02x}" for r in (0, 128, 255) for g in (0, 128, 255) for b in (0, 128, 255)]
    assert min(contrast(label_ink(c), c) for c in greys + hues) >= 4.5


def test_codes_without_a_colour_get_distinct_palette_colours() -> None:
    codes = [Code(id=f"c{i}", name=f"C{i}") for i in range(3)] + [Code(id="own", name="Own", color="#123456")]
    colors = code_colors(codes)
    assert colors["own"] == "#123456"
    assert len({colors[f"c{i}"] for i in range(3)}) == 3


CLEF = "\U0001d11e"


def small_document() -> tuple[Document, list[Segment]]:
    text = f"Interviewer: Why?\n\nR1: Because {CLEF} music. It <b>helps</b>."
    answer = text.index("Because")
    turns = [Turn(0, "Interviewer", "interviewer", 13, 17), Turn(1, "R1", "respondent", answer, len(text))]
    first_end = text.index("music.") + len("music.")
    segments = [
        Segment("doc", 1, "sentence", 0, answer, first_end, text[answer:first_end], "R1", "respondent", 11),
        Segment("doc", 1, "sentence", 1, first_end + 1, len(text), text[first_end + 1 :], "R1", "respondent", 12),
    ]
    return Document("doc", "R1", text, turns), segments


def test_coder_data_gives_turn_text_in_code_points_and_labelled_stripes() -> None:
    document, segments = small_document()
    codes = [Code(id="music", name="Music <i>", color="#f0e442"), Code(id="help", name="Help")]
    span = Mark("s5", segments[0].start + 8, segments[1].end - 1, "music", "ann", HUMAN, True)
    data = coder_data(document, segments, [span], codes, {"music": 0, "help": 1}, [12], "ann", 11)
    json.dumps(data)  # goes to the browser as JSON
    answer = data["turns"][1]
    assert answer["text"] == document.text[answer["start"] : answer["end"]]
    assert answer["text"].startswith(f"Because {CLEF}")
    assert [u["id"] for u in data["units"]] == [11, 12]
    (stripe,) = data["marks"]
    assert (stripe["start"], stripe["end"]) == (span.start, span.end)
    assert document.text[stripe["start"] : stripe["end"]] == f"{CLEF} music. It <b>helps</b>"
    assert stripe["name"] == "Music <i>"  # the browser sets it as text, never as markup
    assert stripe["ink"] == "#000000" and stripe["color"] == "#f0e442"
    assert data["codes"][1]["color"] == FALLBACK_PALETTE[1]  # no colour of its own
    assert data["pending"] == [12] and data["current"] == 11


def test_stripes_are_spans_plus_unit_codings_no_span_covers() -> None:
    import pandas as pd

    bounds = {11: (10, 20), 12: (21, 30)}
    spans = pd.DataFrame({"id": [7], "start": [12], "end": [25], "code_id": ["a"], "coder": ["ann"]})
    codings = pd.DataFrame(
        {
            "coding_id": [1, 2, 3, 4],
            "segment_id": [11, 12, 12, 11],
            "code": ["a", "a", "b", "c"],
            "person": ["ann", "ann", "ann", "ben"],
            "source": [HUMAN, HUMAN, RULE, HUMAN],
            "status": ["accepted", "accepted", "accepted", "suggested"],
        }
    )
    found = {m.id: m for m in marks(codings, spans, bounds, "ann")}
    assert set(found) == {"s7", "c3:12"}  # a's unit rows are the span's; ben's is only a suggestion
    assert (found["s7"].start, found["s7"].end, found["s7"].removable) == (12, 25, True)
    assert (found["c3:12"].start, found["c3:12"].end, found["c3:12"].source) == (21, 30, RULE)
    assert not any(m.removable for m in marks(codings, spans, bounds, "ben"))


def test_actions_apply_and_remove_spans_in_a_real_project(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    document = project.documents(["P01"])[0]
    start = document.text.index("Moscow")
    end = document.text.index("bribe") + len("bribe")
    perform(
        project,
        {"kind": "apply", "document": "P01", "start": start, "end": end, "codes": ["actors", "money"]},
        "P01",
        "ann",
        {},
    )
    spans = project.spans("P01")
    assert sorted(zip(spans["code_id"], spans["start"], spans["end"], strict=True)) == [
        ("actors", start, end),
        ("money", start, end),
    ]
    # the unit codings every analysis counts: each turn the span touches
    touched = {s.id for s in project.segments(["P01"]) if s.start < end and start < s.end}
    units = project.codings("human")
    assert set(units.loc[units["code"] == "money", "segment_id"]) == touched

    shown = {
        f"s{row.id}": Mark(f"s{row.id}", row.start, row.end, row.code_id, row.coder, HUMAN, row.coder == "ann")
        for row in spans.itertuples()
    }
    money = next(m for m in shown.values() if m.code == "money")
    perform(
        project, {"kind": "remove", "document": "P01", "mark": money.id}, "P01", "ben", shown
    )  # not ben's: nothing happens
    assert len(project.spans("P01")) == 2
    perform(project, {"kind": "remove", "document": "P01", "mark": money.id}, "P01", "ann", shown)
    assert list(project.spans("P01")["code_id"]) == ["actors"]
    assert project.undo("ann") is not None  # the removal is the person's last action, undone from the log
    assert sorted(project.spans("P01")["code_id"]) == ["actors", "money"]


def test_an_action_made_on_another_transcript_is_refused(tmp_path: Path) -> None:
    """The browser still showed P01 when the page had moved on to P02: its range must not land on P02."""
    project = make_project(tmp_path)
    names = [d.name for d in project.documents()]
    other = next(name for name in names if name != "P01")
    text = project.documents(["P01"])[0].text
    start, end = text.index("Moscow"), text.index("Moscow") + len("Moscow")
    sent = {"kind": "apply", "document": "P01", "start": start, "end": end, "codes": ["actors"]}
    with pytest.raises(UsageError, match="P01"):
        perform(project, sent, other, "ann", {})
    with pytest.raises(UsageError):  # an action that names no document at all is not applied either
        perform(project, {k: v for k, v in sent.items() if k != "document"}, other, "ann", {})
    assert project.spans(other).empty and project.spans("P01").empty
    assert project.codings("human").empty
    assert project.undo("ann") is None  # nothing was logged
    perform(project, sent, "P01", "ann", {})  # the same action on its own document is applied
    assert list(project.spans("P01")["code_id"]) == ["actors"]
