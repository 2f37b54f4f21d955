"""Project.respondents() is kept between calls while nothing changes (a warm crosstab re-read it every time),
and is read again after any change: new metadata, another process's ingest, a removed document."""

from __future__ import annotations

from project_factory import make_project

from coding.project import open_project


def test_respondents_are_read_again_after_metadata_changes_them(tmp_path):
    project = make_project(tmp_path)
    first = project.respondents()
    first.loc[:, "group"] = "changed by a caller"  # a caller's change does not reach the kept frame
    assert sorted(project.respondents()["group"]) == ["a", "b", "b"]
    metadata = tmp_path / "respondents.csv"
    metadata.write_text("respondent_id,group,gender\nP02,c,male\n", encoding="utf-8")
    other = open_project(project.folder)  # another process's ingest of new metadata only
    other.ingest([], metadata=metadata)
    assert sorted(project.respondents()["group"]) == ["a", "b", "c"]
    assert "c" in project.crosstab(by="group", count="respondents").columns.tolist()


def test_a_removed_document_leaves_the_respondents(tmp_path):
    project = make_project(tmp_path)
    assert sorted(project.respondents()["respondent_id"]) == ["P01", "P02", "P03"]
    project.remove_document("P03")
    assert sorted(project.respondents()["respondent_id"]) == ["P01", "P02"]
