"""The Codebook page edits every field of a code, deletes (with a confirm and the count), restores, merges,
shows the version, and says what is wrong with a hand-edited codebook.yaml it cannot apply."""

from __future__ import annotations

from pathlib import Path

from test_app import app, no_errors, page, project_dir  # noqa: F401  (project_dir is a fixture)

from coding.codebook import load_codebook
from coding.project import open_project

PAGE = "views/codebook.py"


def caption_text(at) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(c.value for c in at.caption)


def button(at, label: str):  # type: ignore[no-untyped-def]
    found = [b for b in at.button if b.label == label]
    assert found, [b.label for b in at.button]
    return found[0]


def test_edit_every_field_of_a_code(project_dir: Path) -> None:  # noqa: F811
    at = page(app("ann"), PAGE)
    assert "version 1" in caption_text(at)
    at.selectbox(key="edit_which").set_value("hope").run()
    suffix = "hope@1"
    at.text_input(key=f"edit_name_{suffix}").input("Hopes")
    at.text_area(key=f"edit_definition_{suffix}").input("Expecting better days.")
    at.text_area(key=f"edit_include_{suffix}").input("Plans.")
    at.text_area(key=f"edit_exclude_{suffix}").input("Regret.")
    at.text_area(key=f"edit_examples_{suffix}").input("We will rebuild.\n\nNext year is better.")
    at.selectbox(key=f"edit_parent_{suffix}").set_value("family")
    at.color_picker(key=f"edit_color_{suffix}").pick("#123456")
    at.text_area(key=f"edit_keywords_{suffix}").input("rebuild\nsoon")
    at.text_area(key=f"edit_lemmas_{suffix}").input("hope")
    at.text_area(key=f"edit_patterns_{suffix}").input('[{"LOWER": "next"}, {"LOWER": "year"}]')
    button(at, "Save changes").click().run()
    no_errors(at)
    project = open_project(project_dir)
    hope = project.codebook.by_id()["hope"]
    assert (hope.name, hope.definition, hope.include, hope.exclude) == (
        "Hopes",
        "Expecting better days.",
        "Plans.",
        "Regret.",
    )
    assert hope.examples == ["We will rebuild.", "Next year is better."]
    assert (hope.parent, hope.color) == ("family", "#123456")
    assert hope.rules.keywords == ["rebuild", "soon"] and hope.rules.lemmas == ["hope"]
    assert hope.rules.patterns == [[{"LOWER": "next"}, {"LOWER": "year"}]]
    assert load_codebook(project_dir / "codebook.yaml").by_id()["hope"] == hope
    assert project.codebook.version == "1.1"
    assert "version 1.1" in caption_text(at)
    assert any("Saved Hopes" in t.value for t in at.toast)


def test_an_edit_the_library_refuses_is_explained(project_dir: Path) -> None:  # noqa: F811
    at = page(app("ann"), PAGE)
    at.selectbox(key="edit_which").set_value("fear.violence").run()
    at.text_input(key="edit_name_fear.violence@1").input("Hope")  # fine: not a sibling of Hope
    at.text_area(key="edit_patterns_fear.violence@1").input('[{"LOWER": {"REGEX": "("}}]')
    button(at, "Save changes").click().run()
    assert any("regular expression" in e.value for e in at.error), [e.value for e in at.error]
    assert open_project(project_dir).codebook.by_id()["fear.violence"].name == "Violence"


def test_delete_with_confirm_and_count_then_restore(project_dir: Path) -> None:  # noqa: F811
    project = open_project(project_dir)
    affected = project.code_codings("family")
    assert affected >= 2
    at = page(app("ann"), PAGE)
    at.selectbox(key="delete_which").set_value("family").run()
    assert f"{affected:,} codings" in caption_text(at)
    button(at, "Delete").click().run()
    assert any("Tick the box" in w.value for w in at.warning)
    assert "family" in open_project(project_dir).codebook.by_id()
    [c for c in at.checkbox if c.label.startswith("I want to delete Family")][0].check()
    button(at, "Delete").click().run()
    no_errors(at)
    project = open_project(project_dir)
    assert "family" not in project.codebook.by_id()
    assert "family" not in set(project.codings("all", include_rejected=True)["code"])
    assert project.codebook.version == "1.1"
    at.selectbox(key="restore_which").set_value("family")
    button(at, "Restore with its codings").click().run()
    no_errors(at)
    project = open_project(project_dir)
    assert "family" in project.codebook.by_id() and project.code_codings("family") == affected
    assert (project.codings("human")["code"] == "family").sum() == 2


def test_delete_of_a_code_with_sub_codes_says_what_to_do(project_dir: Path) -> None:  # noqa: F811
    at = page(app("ann"), PAGE)
    at.selectbox(key="delete_which").set_value("fear").run()
    assert any("move or delete them first" in w.value for w in at.warning)
    assert not [b for b in at.button if b.label == "Delete"]


def test_merge_shows_the_codings_that_move(project_dir: Path) -> None:  # noqa: F811
    moving = open_project(project_dir).code_codings("fear.violence")
    at = page(app("ann"), PAGE)
    at.selectbox(key="merge_source").set_value("fear.violence").run()
    at.selectbox(key="merge_into").set_value("fear").run()
    assert f"{moving:,} codings" in caption_text(at)
    [c for c in at.checkbox if c.label.startswith("I want to merge")][0].check()
    button(at, "Merge").click().run()
    no_errors(at)
    project = open_project(project_dir)
    assert "fear.violence" not in project.codebook.by_id()
    assert project.codebook.version == "1.1"
    merge = project.store.log_frame().query("action == 'merge_codes'").iloc[0]
    assert merge["details"]["before"]["name"] == "Violence" and merge["actor"] == "ann"


def test_a_broken_hand_edit_is_listed_on_the_page_and_a_fixed_one_shown(project_dir: Path) -> None:  # noqa: F811
    path = project_dir / "codebook.yaml"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("parent: fear", "parent: dread").replace("'#c0392b'", "reddish"), encoding="utf-8")
    at = page(app("ann"), PAGE)
    [error] = [e.value for e in at.error]
    assert "cannot be applied (2 problems)" in error
    assert "unknown parent 'dread'" in error and "bad colour" in error
    path.write_text(good.replace("name: Hope", "name: Hopeful"), encoding="utf-8")
    at.run()
    no_errors(at)
    assert "Hopeful" in "\n".join(at.selectbox(key="edit_which").options)
    assert "version 1.1" in caption_text(at)
