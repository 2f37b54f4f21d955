"""The disagreement review on the Agreement page in Streamlit's AppTest: one item at a time in its turn,
parent and child as one decision, filters, keys on the buttons, the position kept across visits."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_app import app, markdown_text, no_errors, page, project_dir  # noqa: F401  (a fixture, used by name)

from coding.intercoder import CONSENSUS
from coding.project import open_project

AGREEMENT = "views/agreement.py"
# test_app's project: ann and ben coded three short interviews in paragraphs; QCODE_PROJECT names it.
pytestmark = pytest.mark.usefixtures("project_dir")


def study() -> Path:
    return Path(os.environ["QCODE_PROJECT"])


def review(coder: str = "cara") -> AppTest:
    at = page(app(coder), AGREEMENT)
    at.toggle(key="_w_agree_review").set_value(True).run()
    no_errors(at)
    return at


def button(at: AppTest, key: str):  # type: ignore[no-untyped-def]
    found = [b for b in at.button if b.key == key]
    assert found, [b.key for b in at.button]
    return found[0]


def heading(at: AppTest) -> str:
    found = [m.value for m in at.markdown if m.value.startswith("**Item ")]
    assert found, markdown_text(at)
    return found[0]


def consensus() -> dict[tuple[int, str], str]:
    rows = open_project(study()).codings("all", coders=[CONSENSUS], include_rejected=True)
    return {(int(s), str(c)): str(v) for s, c, v in zip(rows["segment_id"], rows["code"], rows["status"], strict=True)}


def items() -> list[str]:
    return open_project(study()).review_items("ann", "ben")["item"].tolist()


def test_an_item_shows_its_turn_with_the_sentence_marked_and_both_codes() -> None:
    at = review()
    first = items()[0]
    assert first.endswith(":fear"), "R01's first paragraph: ann coded Violence, ben its parent Fear"
    assert heading(at).startswith(f"**Item 1 of {len(items())}** · R01")
    turn = [m.value for m in at.markdown if "qc-review-mark" in m.value]
    assert turn and "<mark" in turn[0] and "I was afraid when the soldiers came." in turn[0]
    assert "My mother hid us in the cellar." in turn[0], "the rest of the turn is there to read"
    assert "Does **Fear › Violence** apply" in markdown_text(at)
    table = [d.value for d in at.dataframe if "Consensus" in d.value.columns][0]
    assert table["Code"].tolist() == ["Fear", "Violence"]
    assert table["ann"].tolist() == ["not applied", "applied"] and table["ben"].tolist() == ["applied", "not applied"]
    assert at.query_params["review"] == [first] or at.query_params["review"] == first


def test_buttons_answer_to_keys() -> None:
    at = review()
    shortcuts = {b.key: b.proto.shortcut.upper() for b in at.button if b.key and b.key.startswith("review_")}
    assert shortcuts["review_yes"] == "A" and shortcuts["review_no"] == "D"
    assert shortcuts["review_next"] == "N" and shortcuts["review_prev"] == "P"
    assert shortcuts["review_open"] == "T"


def test_applies_settles_parent_and_child_and_moves_on() -> None:
    keys = items()
    at = review()
    button(at, "review_yes").click().run()
    no_errors(at)
    segment = int(keys[0].split(":")[0])
    assert consensus() == {(segment, "fear"): "accepted", (segment, "fear.violence"): "accepted"}
    assert heading(at).startswith(f"**Item 1 of {len(keys) - 1}**"), "the settled item left the open list"
    assert at.session_state["review_item"] == keys[1]
    button(at, "review_no").click().run()
    second = int(keys[1].split(":")[0])
    family = keys[1].split(":")[1]
    assert consensus()[(second, family)] == "rejected"


def test_next_previous_and_the_place_kept_across_a_visit_to_the_transcript() -> None:
    keys = items()
    at = review()
    button(at, "review_next").click().run()
    button(at, "review_next").click().run()
    assert heading(at).startswith("**Item 3 of")
    button(at, "review_prev").click().run()
    assert heading(at).startswith("**Item 2 of") and at.session_state["review_item"] == keys[1]
    button(at, "review_open").click().run()
    assert at.title[0].value != "Agreement", "the transcript opened"
    at = page(at, AGREEMENT)
    no_errors(at)
    assert heading(at).startswith("**Item 2 of"), "back on the same item"


def test_the_address_brings_a_new_session_to_the_same_item() -> None:
    keys = items()
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app" / "main.py"), default_timeout=60)
    at.session_state["coder"] = "cara"
    at.query_params["review"] = keys[2]
    at.run()
    at = page(at, AGREEMENT)
    no_errors(at)
    assert at.toggle(key="_w_agree_review").value, "an address naming an item opens the review"
    assert heading(at).startswith("**Item 3 of")


def test_filter_by_code_and_code_by_code_decisions() -> None:
    at = review()
    at.selectbox(key="_w_review_code").set_value("family").run()
    no_errors(at)
    assert "Does **Family** apply" in markdown_text(at)
    assert heading(at).startswith("**Item 1 of 2**"), "ann coded Family in R01 and R03, ben did not"
    at.selectbox(key="_w_review_code").set_value("fear").run()
    assert "Fear › Violence" in markdown_text(at)
    # Code by code: the parent does not apply, so neither does its child.
    button(at, "review_no_fear").click().run()
    no_errors(at)
    segment = int(items()[0].split(":")[0])
    decided = consensus()
    assert decided[(segment, "fear")] == "rejected" and decided[(segment, "fear.violence")] == "rejected"


def test_without_a_coder_name_the_review_can_be_read_not_decided() -> None:
    at = review(coder="")
    assert button(at, "review_yes").disabled and not button(at, "review_next").disabled
    assert any("coder name" in i.value for i in at.info)
