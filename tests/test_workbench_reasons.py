"""Why a suggestion was made, in the workbench: shown under each suggestion, kept when one is decided, and
worked out ahead in the background for the next segments (app/reasons.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from project_factory import make_project
from streamlit.testing.v1 import AppTest

MAIN = Path(__file__).resolve().parents[1] / "app" / "main.py"


@pytest.fixture
def study(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = make_project(tmp_path)
    project.autocode(rules=True)
    monkeypatch.setenv("QCODE_PROJECT", str(tmp_path / "project"))
    return tmp_path / "project"


def whys(at: AppTest) -> list[str]:
    return [str(c.value) for c in at.caption if str(c.value).startswith("Why:")]


def test_reasons_show_stay_after_a_decision_and_follow_the_segment(study: Path) -> None:
    at = AppTest.from_file(str(MAIN), default_timeout=60)
    at.session_state["coder"] = "ann"
    at.run()
    at.switch_page("views/transcripts.py")
    at.run()
    at.selectbox(key="_w_document").set_value("P01").run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Moscow mattered most." in m.value for m in at.markdown)
    assert whys(at) and all("moscow" in why for why in whys(at)), whys(at)
    suggested = len(whys(at))
    assert suggested == 2  # External actors and Russia, both on the word Moscow

    [b for b in at.button if b.label == "Accept"][0].click().run()
    assert whys(at) == [why for why in whys(at) if "moscow" in why] and len(whys(at)) == suggested - 1

    [b for b in at.button if (b.help or "").startswith("Next segment")][0].click().run()
    assert any("bribe" in why for why in whys(at)), whys(at)


def test_reasons_are_worked_out_ahead_on_one_thread_and_equal_the_librarys(study: Path) -> None:
    import threading

    from coding.project import open_project
    from qcode_app import reasons, state

    project = open_project(study)
    key = state.project_key()
    assert key is not None
    texts = {s.text: s for s in project.segments(["P01", "P02"]) if s.role == "respondent"}
    explainer = reasons.Explainer(key)
    threads: set[str] = set()
    real = explainer._work

    def watched(item):  # type: ignore[no-untyped-def]
        threads.add(threading.current_thread().name)
        return real(item)

    explainer._work = watched  # type: ignore[method-assign]
    ahead = [(text, ("actors", "actors.russia", "money")) for text in texts]
    explainer.ahead("rules", ahead)
    deadline = time.monotonic() + 60
    while len(explainer.done) < len(ahead) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(explainer.done) == len(ahead)
    assert len(threads) == 1 and next(iter(threads)).startswith("qcode-reasons")
    for text, codes in ahead:
        assert explainer.reasons("rules", text, codes) == project.suggestion_reasons(text, list(codes))
    explainer.ahead("rules", ahead)  # done already: nothing new to work out
    assert not explainer.running


def test_the_persons_request_waits_a_few_seconds_at_most_and_goes_before_look_ahead(study: Path) -> None:
    import threading

    from coding.project import open_project
    from qcode_app import reasons, state

    project = open_project(study)
    key = state.project_key()
    assert key is not None
    texts = [s.text for s in project.segments(["P01", "P02"]) if s.role == "respondent"][:4]
    explainer = reasons.Explainer(key)
    gate = threading.Event()
    ran: list[str] = []
    real = explainer._work

    def held(item):  # type: ignore[no-untyped-def]
        gate.wait(30)  # the worker is busy with look-ahead that takes its time
        ran.append(item[2])
        return real(item)

    explainer._work = held  # type: ignore[method-assign]
    codes = ("actors", "money")
    explainer.ahead("rules", [(text, codes) for text in texts[:3]])
    deadline = time.monotonic() + 30
    while not explainer.running[(key, "rules", texts[0], codes)].running():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    started = time.monotonic()
    assert explainer.reasons("rules", texts[3], codes, wait=0.3) is None  # no "Why" rather than a page that hangs
    assert time.monotonic() - started < 5
    # the look-ahead not yet started gave way: after the one under way, the person's segment is next
    assert set(explainer.running) == {(key, "rules", texts[0], codes), (key, "rules", texts[3], codes)}
    gate.set()
    assert explainer.reasons("rules", texts[3], codes) == project.suggestion_reasons(texts[3], list(codes))
    assert ran == [texts[0], texts[3]]


def test_moving_a_code_changes_what_its_reasons_are_kept_under(study: Path) -> None:
    from coding.project import open_project
    from qcode_app.workbench import _explainers

    project = open_project(study)
    before = _explainers(project, project.codebook)
    project.move_code("money", "actors", "ann")
    assert _explainers(project, project.codebook) != before
