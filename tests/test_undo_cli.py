"""`qcode undo` / `qcode redo` and `qcode search --apply-code CODE --as NAME` (one undo step)."""

from __future__ import annotations

from click.testing import CliRunner
from project_factory import make_project, segment_id

from coding.cli import main


def qcode(*args: object):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_undo_and_redo_on_the_command_line(tmp_path):
    project = make_project(tmp_path)
    folder = project.folder
    project.apply_code(segment_id(project, "P01", "Moscow"), "actors", "ann")
    result = qcode("undo", "--coder", "ann", "--project", folder)
    assert result.exit_code == 0 and result.output.strip() == "undid: applied 'External actors' on segment 1"
    assert project.codings("human").empty
    assert qcode("undo", "--coder", "ann", "--project", folder).output.strip() == "nothing of ann's to undo"
    result = qcode("redo", "--coder", "ann", "--project", folder)
    assert result.output.strip().startswith("redid: applied 'External actors'")
    assert len(project.codings("human")) == 1


def test_an_undo_refused_is_one_line_and_status_2(tmp_path):
    project = make_project(tmp_path)
    project.rename_code("money", "Graft", "ann")
    project.rename_code("money", "Bribery", "ben")
    result = qcode("undo", "--coder", "ann", "--project", project.folder)
    assert result.exit_code == 2
    assert "changed since by ben" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_search_codes_its_hits_as_one_undo_step(tmp_path):
    project = make_project(tmp_path)
    folder = project.folder
    result = qcode(
        "search", "Moscow|Tehran", "--mode", "regex", "--apply-code", "actors", "--as", "ann", "--project", folder
    )
    assert result.exit_code == 0, result.output
    assert "coded 2 hits with actors as ann" in result.output
    spans = project.spans()
    assert sorted(spans["text"]) == ["Moscow", "Tehran"]
    assert qcode("undo", "--coder", "ann", "--project", folder).output.startswith("undid: coded 2 search hits")
    assert project.spans().empty and project.codings("human").empty
    half = qcode("search", "Moscow", "--apply-code", "actors", "--project", folder)
    assert half.exit_code == 2 and "--as" in half.output
