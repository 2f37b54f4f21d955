"""The workbench page in Streamlit's AppTest: Undo and Redo take back and give again the person's own last
action (and never another's), and the history switch lists who did what to the segment."""

from __future__ import annotations

from pathlib import Path

import pytest
from project_factory import make_project
from streamlit.testing.v1 import AppTest

MAIN = Path(__file__).resolve().parents[1] / "app" / "main.py"


@pytest.fixture
def study(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_project(tmp_path)
    monkeypatch.setenv("QCODE_PROJECT", str(tmp_path / "project"))
    return tmp_path / "project"


def workbench(coder: str) -> AppTest:
    at = AppTest.from_file(str(MAIN), default_timeout=60)
    at.session_state["coder"] = coder
    at.run()
    at.switch_page("views/transcripts.py")
    return at.run()


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_undo_and_redo_buttons_work_on_the_persons_own_last_action(study: Path) -> None:
    from coding.project import open_project

    project = open_project(study)
    first = project.segments(["P01"])[1]  # the respondent's first answer (unit: turn)
    project.apply_span("P01", first.start, first.start + 6, "money", "ben")  # someone else's, earlier
    project.apply_span("P01", first.start, first.end, "actors", "ann")
    at = workbench("ann")
    no_errors(at)

    at.button(key="undo").click().run()
    no_errors(at)
    assert sorted(project.spans("P01")["coder"]) == ["ben"]  # ann's span is gone, ben's stays
    at.button(key="undo").click().run()  # nothing of ann's is left: ben's work is not hers to undo
    assert sorted(project.spans("P01")["coder"]) == ["ben"]
    assert any("Nothing of yours to undo" in str(t.value) for t in at.toast)

    at.button(key="redo").click().run()
    no_errors(at)
    spans = project.spans("P01")
    assert sorted(zip(spans["coder"], spans["code_id"], strict=True)) == [("ann", "actors"), ("ben", "money")]


def test_history_switch_lists_who_did_what_to_the_segment(study: Path) -> None:
    from coding.project import open_project

    project = open_project(study)
    answer = project.segments(["P01"])[1]
    project.apply_span("P01", answer.start, answer.end, "actors", "ann")
    project.set_memo(int(answer.id or 0), "Moscow leads", "ben")
    at = workbench("ann")
    at.selectbox(key="_w_segment").set_value(int(answer.id or 0)).run()
    assert not [d for d in at.dataframe if "actor" in d.value.columns]  # read only when asked
    at.toggle(key="_w_show_history").set_value(True).run()
    no_errors(at)
    (table,) = [d.value for d in at.dataframe if "actor" in d.value.columns]
    assert set(table["actor"]) == {"ann", "ben"}
