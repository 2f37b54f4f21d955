"""The workbench with a browser that still holds widgets from a run cut short (its switches and memo box
sent back as they were): nothing is coded, undone or shown that the person did not do. See app/state.py's
drawn_key and flipped; tests/test_widget_keys.py holds the mechanism itself."""

from __future__ import annotations

from pathlib import Path

from test_app import app, no_errors, page, project_dir, toggle  # noqa: F401  (the fixture)
from test_widget_keys import held, send_with_held

from coding.project import open_project


def test_a_switch_the_browser_still_holds_from_the_last_segment_codes_nothing_on_the_next(project_dir: Path) -> None:  # noqa: F811
    """A click that cuts short the run that changed the segment leaves the browser with the last segment's
    switches, which it sends back as they were: they must not code the segment now shown. (The switches'
    keys used to be one per code, reset by the server: the held "on" came back as a flip on the new segment.)"""
    at = page(app("cara"), "views/transcripts.py")
    at.selectbox(key="_w_document").set_value("R02").run()
    at.selectbox(key="_w_segment").select_index(1).run()
    toggle(at, "Hope").set_value(True).run()
    switch = held(toggle(at, "Hope"))  # on, as this browser still shows it
    at.selectbox(key="_w_segment").select_index(0).run()
    assert toggle(at, "Hope").value is False
    send_with_held(at, switch)
    no_errors(at)
    codings = open_project(project_dir).codings("human", ["cara"])
    assert codings["code"].tolist() == ["hope"], "only the segment the person coded"
    assert toggle(at, "Hope").value is False
    # Nor does it code its own segment again once that coding is undone (Streamlit still runs its callback).
    first = int(codings["segment_id"].iloc[0])
    open_project(project_dir).remove_code(first, "hope", "cara")
    at.run()
    send_with_held(at, switch)
    no_errors(at)
    assert open_project(project_dir).codings("human", ["cara"]).empty


def test_a_switch_flipped_back_before_the_page_caught_up_takes_the_code_off(project_dir: Path) -> None:  # noqa: F811
    """On, then off again in the same switch before the browser drew the run that followed: both flips
    count (the second arrives from a switch the page no longer shows), and the new switch shows the result."""
    at = page(app("cara"), "views/transcripts.py")
    at.selectbox(key="_w_document").set_value("R02").run()
    at.selectbox(key="_w_segment").select_index(1).run()
    switch = held(toggle(at, "Hope").set_value(True))  # the switch the person still sees, now on
    at.run()
    assert open_project(project_dir).codings("human", ["cara"])["code"].tolist() == ["hope"]
    switch.bool_value = False  # flipped back in the browser, before the new switch arrived
    send_with_held(at, switch)
    no_errors(at)
    assert open_project(project_dir).codings("human", ["cara"]).empty
    at.run()
    assert toggle(at, "Hope").value is False


def test_a_memo_the_browser_still_holds_from_the_last_segment_stays_there(project_dir: Path) -> None:  # noqa: F811
    """The same for the memo box: the last segment's memo, sent back by a browser that has not drawn the new
    segment yet, is not shown (and so not saved) as the new segment's memo."""
    at = page(app("cara"), "views/transcripts.py")
    at.selectbox(key="_w_document").set_value("R02").run()
    at.selectbox(key="_w_segment").select_index(1).run()
    memo = [t for t in at.text_area if t.label.startswith("Your memo")][0]
    memo.input("Only about this sentence.").run()
    [b for b in at.button if b.label == "Save memo"][0].click().run()
    box = held([t for t in at.text_area if t.label.startswith("Your memo")][0])
    at.selectbox(key="_w_segment").select_index(0).run()
    send_with_held(at, box)
    no_errors(at)
    assert [t for t in at.text_area if t.label.startswith("Your memo")][0].value == ""
    [b for b in at.button if b.label == "Save memo"][0].click().run()
    memos = open_project(project_dir).memos()
    written = memos[(memos["coder"] == "cara") & (memos["memo"] != "")]
    assert written["memo"].tolist() == ["Only about this sentence."]
