"""Editing the codebook through the library: every field, checked; delete with codings kept; versions."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from project_factory import make_project, segment_id

from coding.codebook import load_codebook
from coding.codebook_edit import bump_version, changes
from coding.errors import UsageError
from coding.models import Code, MatchRules
from coding.project import Project, open_project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = make_project(tmp_path)
    project.apply_code(segment_id(project, "P01", "bribe"), "money", "ann")
    project.apply_code(segment_id(project, "P03", "Posts were sold"), "money", "ann")
    project.apply_code(segment_id(project, "P03", "Posts were sold"), "money", "ben")
    project.apply_code(segment_id(project, "P01", "Moscow"), "actors.russia", "ann")
    return project


def file_book(project: Project):  # type: ignore[no-untyped-def]
    return load_codebook(project.folder / "codebook.yaml")


def log(project: Project, action: str) -> list[dict]:
    frame = project.store.log_frame()
    return [dict(row) for _, row in frame[frame["action"] == action].iterrows()]


def test_bump_version() -> None:
    assert bump_version("1.0") == "1.1"
    assert bump_version("1.9") == "1.10"
    assert bump_version("2") == "2.1"
    assert bump_version("v2.3.4") == "v2.3.5"
    assert bump_version("draft") == "draft.1"


def test_update_changes_every_field_in_database_and_file(project: Project) -> None:
    rules = {"keywords": ["bribe", "kickback"], "lemmas": ["steal"], "patterns": [[{"LOWER": "posts"}]]}
    project.update_code(
        "money",
        "ann",
        name="Graft",
        definition="Money taken.",
        include="Bribes.",
        exclude="Wages.",
        examples=["He paid for the post.", "  ", "They stole aid."],
        color="#112233",
        parent="actors",
        rules=rules,
    )
    expected = Code(
        id="money",
        name="Graft",
        parent="actors",
        definition="Money taken.",
        include="Bribes.",
        exclude="Wages.",
        examples=["He paid for the post.", "They stole aid."],
        color="#112233",
        rules=MatchRules(**rules),
    )
    reopened = open_project(project.folder)
    assert reopened.codebook.by_id()["money"] == expected
    assert file_book(project).by_id()["money"] == expected
    assert reopened.codebook.version == file_book(project).version == "1.1"
    [entry] = log(project, "update_code")
    before = entry["details"]["before"]
    assert before["name"] == "Corruption" and before["parent_id"] is None and before["color"] == "#d62728"
    assert before["rules"]["lemmas"] == ["bribe"] and before["merged_into"] is None
    assert entry["actor"] == "ann" and entry["code_id"] == "money"
    assert entry["details"]["changed"]["name"] == "Graft"
    assert (project.codings("human")["code"] == "money").sum() == 3, "codings stay with the code's id"


def test_an_update_that_changes_nothing_makes_no_version(project: Project) -> None:
    project.update_code("money", "ann", name="Corruption")
    assert project.codebook.version == "1.0"
    assert not log(project, "update_code")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"color": "red"}, "bad colour"),
        ({"color": "#12345g"}, "bad colour"),
        ({"color": "#abc"}, "bad colour"),
        ({"name": "  "}, "name must not be empty"),
        ({"name": "russia"}, "taken by 'actors.russia'"),  # sibling names are unique, ignoring case
        ({"parent": "actors.russia"}, "sub-codes"),  # actors under its own child: a cycle
        ({"parent": "actors"}, "its own parent"),
        ({"parent": "nowhere"}, "unknown parent"),
        ({"rules": {"patterns": [[{"LOWER": {"REGEX": "("}}]]}}, "regular expression"),
        ({"rules": {"keywords": [""]}}, "must not be empty"),
        ({"rules": {"words": ["x"]}}, "unknown words"),
        ({"examples": "one"}, "list of text"),
        ({"id": "other"}, "cannot edit id"),
    ],
)
def test_bad_updates_are_refused_and_change_nothing(project: Project, fields: dict, message: str) -> None:
    code = "actors" if fields.get("parent") in ("actors", "actors.russia") else "money"
    if fields.get("name") == "russia":
        project.move_code("money", "actors", "ann")  # money and actors.russia are siblings now
    before = (project.folder / "codebook.yaml").read_bytes()
    book = project.codebook
    entries = len(project.store.log_frame())
    with pytest.raises(UsageError, match=message):
        project.update_code(code, "ann", **fields)
    assert project.codebook == book
    assert (project.folder / "codebook.yaml").read_bytes() == before
    assert len(project.store.log_frame()) == entries


def test_delete_hides_codings_everywhere_and_restore_brings_them_back(project: Project, tmp_path: Path) -> None:
    assert project.code_codings("money") == 3
    counted = project.frequencies()
    hidden = project.delete_code("money", "ann")
    assert hidden == 3
    assert "money" not in project.codebook.by_id()
    assert "money" not in set(project.codings("all", include_rejected=True)["code"])
    assert "money" not in set(project.decisions()["code"])
    assert "money" not in project.frequencies().index
    assert "money" not in set(project.long_codings()["code"])
    assert "money" not in file_book(project).by_id()
    assert [c.id for c in project.deleted_codes()] == ["money"]
    with pytest.raises(UsageError, match="unknown code"):
        project.apply_code(segment_id(project, "P02", "Tehran"), "money", "ann")
    [entry] = log(project, "delete_code")
    assert entry["details"]["before"]["name"] == "Corruption"
    assert len(entry["details"]["codings"]) == 3
    with project.store.transaction() as session:  # the rows are all still there
        from coding.store.schema import CodingRow

        assert session.query(CodingRow).filter(CodingRow.code_id == "money").count() == 3

    assert project.restore_code("money", "ann") == 3
    assert project.frequencies().loc["money", "segments"] == counted.loc["money", "segments"]
    assert "money" in file_book(project).by_id()
    assert project.codebook.version == "1.2"


def test_delete_refuses_a_code_with_sub_codes(project: Project) -> None:
    with pytest.raises(UsageError, match="sub-codes \\(Russia\\)"):
        project.delete_code("actors", "ann")
    assert "actors" in project.codebook.by_id()


def test_a_deleted_code_cannot_be_added_again_by_accident(project: Project) -> None:
    project.delete_code("money", "ann")
    with pytest.raises(UsageError, match="restore it"):
        project.add_code(Code(id="money", name="Money"), "ann")


def test_merge_logs_what_an_undo_needs(project: Project) -> None:
    # ann has money and actors.russia on different segments; give her money where she has russia too
    moscow = segment_id(project, "P01", "Moscow")
    project.apply_code(moscow, "money", "ann")
    moved = project.merge_codes("money", "actors.russia", "ann")
    assert moved == 4
    [entry] = log(project, "merge_codes")
    details = entry["details"]
    assert details["before"]["id"] == "money" and details["before"]["merged_into"] is None
    assert len(details["codings"]) == 3  # moved
    [dropped] = details["dropped"]  # ann had russia on Moscow already: her money there was a duplicate
    assert dropped["segment_id"] == moscow and dropped["coder"] == "ann" and dropped["code_id"] == "money"
    assert project.codebook.version == "1.1"


def test_every_codebook_change_bumps_the_version_in_database_file_and_provenance(
    project: Project, tmp_path: Path
) -> None:
    versions = [project.codebook.version]
    hashes = [project.codebook_version()]

    def record() -> None:
        versions.append(project.codebook.version)
        hashes.append(project.codebook_version())
        assert file_book(project).version == versions[-1]

    project.add_code(Code(id="hope", name="Hope", color="#00aa00"), "ann")
    record()
    project.rename_code("hope", "Hopes", "ann")
    record()
    project.move_code("hope", "actors", "ann")
    record()
    project.update_code("hope", "ann", definition="Looking forward.")
    record()
    project.merge_codes("hope", "money", "ann")
    record()
    project.delete_code("money", "ann")
    record()
    qdc = tmp_path / "more.yaml"
    qdc.write_text('name: more\nversion: "1"\ncodes:\n  - id: peace\n    name: Peace\n', encoding="utf-8")
    project.import_qdc(qdc, "ann")
    record()
    assert versions == ["1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7"]
    assert len(set(hashes)) == len(hashes), "models and exports record a different version after each change"
    assert "version 1.7" in project.provenance("all", None)["codebook"]
    out = tmp_path / "codings.csv"
    project.export_codings(out)
    about = "\n".join(path.read_text(encoding="utf-8") for path in tmp_path.glob("codings*") if path != out)
    assert "version 1.7" in about


def test_changes_between_codebooks() -> None:
    from coding.models import Codebook

    old = Codebook("b", "1", [Code("a", "A"), Code("b", "B"), Code("c", "C")])
    new = Codebook("b", "1", [Code("b", "B"), Code("a", "A2"), Code("d", "D")])
    found = changes(old, new)
    assert [c.id for c in found.added] == ["d"]
    assert [c.id for c in found.removed] == ["c"]
    assert [c.id for c in found.changed] == ["a"]
    assert found.reordered
    assert not changes(old, dataclasses.replace(old))
