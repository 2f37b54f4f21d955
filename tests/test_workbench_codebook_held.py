"""The workbench keeps the codebook it read while only segments are edited, and reads it again after a
codebook change (its own undo included): a renamed code shows under its new name at once."""

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


def labels(at: AppTest) -> list[str]:
    return [t.label.replace("\u00a0", " ").strip() for t in at.toggle if t.key and t.key.startswith("tg_")]


def test_a_renamed_code_shows_at_once_and_coding_keeps_the_codebook_read(study: Path) -> None:
    from coding.project import open_project

    project = open_project(study)
    at = AppTest.from_file(str(MAIN), default_timeout=60)
    at.session_state["coder"] = "ann"
    at.run()
    at.switch_page("views/transcripts.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Corruption" in labels(at)
    held = at.session_state["_workbench_codebook"][0]

    first = project.segments(["P01"])[1]
    project.apply_span("P01", first.start, first.end, "money", "ben")  # someone's coding: a segment edit
    at.run()
    assert at.session_state["_workbench_codebook"][0] is held  # not read again
    assert at.session_state["_workbench_codebook"][1] == project.state_token()

    project.rename_code("money", "Graft", "ben")  # a codebook edit: read again
    at.run()
    assert "Graft" in labels(at) and "Corruption" not in labels(at)
    project.undo("ben")  # the rename undone: an undo of a codebook edit names no segment, so read again
    at.run()
    assert "Corruption" in labels(at) and "Graft" not in labels(at)
