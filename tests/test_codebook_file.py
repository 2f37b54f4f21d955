"""The project's codebook.yaml is the codebook: hand edits are applied before use, or refused with every
problem listed and the project unchanged; edits through the library never overwrite a hand edit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from project_factory import make_project, segment_id

from coding.cli import main
from coding.codebook import load_codebook
from coding.errors import CodebookFileError
from coding.project import Project, open_project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = make_project(tmp_path)
    project.apply_code(segment_id(project, "P01", "bribe"), "money", "ann")
    return project


def edit(project: Project, old: str, new: str) -> None:
    path = project.folder / "codebook.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def dump(project: Project) -> list[str]:
    with sqlite3.connect(project.folder / "qcode.sqlite") as connection:
        return list(connection.iterdump())


def test_a_hand_edit_is_used_by_autocode_and_export(project: Project, tmp_path: Path) -> None:
    edit(project, "name: Corruption", "name: Graft")
    edit(project, "lemmas:\n    - bribe", "lemmas:\n    - bribe\n    keywords:\n    - posts")
    project = open_project(project.folder)  # a new command
    project.autocode(rules=True, model=False)
    suggested = project.codings("auto")
    posts = segment_id(project, "P03", "Posts were sold")
    assert ((suggested["segment_id"] == posts) & (suggested["code"] == "money")).any(), "the new keyword is used"
    out = tmp_path / "codings.csv"
    project.export_codings(out)
    assert "Graft" in out.read_text(encoding="utf-8")
    assert project.codebook.version == "1.1"
    entries = project.store.log_frame()
    assert "import_codebook" in set(entries["action"])
    [update] = [row for _, row in entries.iterrows() if row["action"] == "update_code"]
    assert update["code_id"] == "money" and update["details"]["before"]["name"] == "Corruption"


def test_the_bumped_version_is_written_into_the_file_keeping_comments(project: Project) -> None:
    edit(project, "name: Corruption", "name: Graft  # renamed after the team meeting")
    assert open_project(project.folder).codebook.version == "1.1"
    text = (project.folder / "codebook.yaml").read_text(encoding="utf-8")
    assert "# renamed after the team meeting" in text and 'version: "1.1"' in text
    assert load_codebook(project.folder / "codebook.yaml").by_id()["money"].name == "Graft"
    before = dump(project)
    assert open_project(project.folder).codebook.version == "1.1", "an applied file is not applied twice"
    assert dump(project) == before


def test_a_version_set_by_hand_is_kept(project: Project) -> None:
    edit(project, "version: '1.0'", "version: '2.0'")
    edit(project, "name: Corruption", "name: Graft")
    assert open_project(project.folder).codebook.version == "2.0"


def test_only_layout_changed_applies_nothing(project: Project) -> None:
    path = project.folder / "codebook.yaml"
    path.write_text("# our codebook\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    before = dump(project)
    assert open_project(project.folder).codebook.version == "1.0"
    assert [line for line in dump(project) if "codebook_file" not in line] == [
        line for line in before if "codebook_file" not in line
    ]


def test_a_code_removed_by_hand_is_deleted_with_its_codings_kept(project: Project) -> None:
    text = (project.folder / "codebook.yaml").read_text(encoding="utf-8")
    start = text.index("- id: money")
    (project.folder / "codebook.yaml").write_text(text[:start].rstrip() + "\n", encoding="utf-8")
    project = open_project(project.folder)
    assert "money" not in project.codebook.by_id()
    assert "money" not in set(project.codings("human")["code"])
    assert project.restore_code("money", "ann") == 1
    assert "money" in load_codebook(project.folder / "codebook.yaml").by_id()


def test_a_hand_edit_with_errors_is_refused_listing_every_problem(project: Project) -> None:
    edit(project, "parent: actors", "parent: nobody")
    edit(project, "color: '#d62728'", "color: crimson")
    before = dump(project)
    project = open_project(project.folder)
    with pytest.raises(CodebookFileError) as refused:
        project.crosstab()
    problems = refused.value.problems
    assert len(problems) == 2
    assert any("unknown parent 'nobody'" in p for p in problems) and any("bad colour" in p for p in problems)
    assert all(p.startswith(str(project.folder / "codebook.yaml")) for p in problems), "file:line: what"
    with pytest.raises(CodebookFileError):
        project.rename_code("money", "Graft", "ann")  # an edit does not overwrite the file either
    assert dump(project) == before
    assert "nobody" in (project.folder / "codebook.yaml").read_text(encoding="utf-8")


def test_the_cli_refuses_a_broken_hand_edit_with_one_line_per_problem(project: Project, tmp_path: Path) -> None:
    edit(project, "parent: actors", "parent: nobody")
    edit(project, "color: '#d62728'", "color: crimson")
    before = dump(project)
    result = CliRunner().invoke(main, ["--project", str(project.folder), "export", "codings", str(tmp_path / "x.csv")])
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 3 and all(line.startswith("qcode: error: ") for line in lines), result.stderr
    assert "edited by hand and cannot be applied (2 problems)" in lines[0]
    assert "unknown parent 'nobody'" in result.stderr and "bad colour" in result.stderr
    assert "Traceback" not in result.output
    assert dump(project) == before and not (tmp_path / "x.csv").exists()


def test_a_library_rename_after_a_hand_edit_keeps_the_hand_edit(project: Project) -> None:
    app = open_project(project.folder)  # the dashboard's long-lived project
    assert app.codebook.version == "1.0"
    edit(project, "definition: Bribes and stolen funds.", "definition: Money that went where it should not.")
    app.rename_code("actors", "Foreign actors", "ann")
    book = load_codebook(project.folder / "codebook.yaml")
    assert book.by_id()["money"].definition == "Money that went where it should not."
    assert book.by_id()["actors"].name == "Foreign actors"
    assert open_project(project.folder).codebook == app.codebook
    assert app.codebook.version == "1.2"  # the hand edit, then the rename


def test_the_state_token_changes_when_the_file_is_edited(project: Project) -> None:
    app = open_project(project.folder)
    token = app.state_token()
    edit(project, "name: Corruption", "name: Graft")
    assert app.state_token() != token
    assert app.codebook.by_id()["money"].name == "Graft"


def test_a_missing_file_is_written_again_from_the_database(project: Project) -> None:
    (project.folder / "codebook.yaml").unlink()
    project = open_project(project.folder)
    assert len(project.codebook.codes) == 3
    assert load_codebook(project.folder / "codebook.yaml") == project.codebook


def test_a_failed_edit_leaves_the_file_as_it_was(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    from coding.store import codebook as stored_codebook

    before = (project.folder / "codebook.yaml").read_bytes()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk went away")

    monkeypatch.setattr(stored_codebook, "delete_code", broken)
    with pytest.raises(RuntimeError):
        project.delete_code("money", "ann")
    assert (project.folder / "codebook.yaml").read_bytes() == before
    assert project.codebook.version == "1.0"


def test_an_earlier_copy_written_by_qcode_is_brought_up_to_date_not_applied(project: Project) -> None:
    """A second folder on a shared database holds the file as qcode wrote it before: not a hand edit."""
    path = project.folder / "codebook.yaml"
    earlier = path.read_bytes()
    project.rename_code("money", "Graft", "ann")
    path.write_bytes(earlier)
    reopened = open_project(project.folder)
    assert reopened.codebook.by_id()["money"].name == "Graft"
    assert reopened.codebook.version == "1.1"
    assert load_codebook(path).by_id()["money"].name == "Graft"
