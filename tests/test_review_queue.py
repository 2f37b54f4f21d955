"""The disagreement review queue (coding/review_queue.py) on a real project: SQLite, the blank sentence
pipeline, two coders who differ on a parent and its children."""

from __future__ import annotations

from pathlib import Path

import pytest

from coding import review_queue
from coding.errors import UsageError
from coding.intercoder import CONSENSUS, consensus_decisions
from coding.project import Project, create_project, open_project

CODEBOOK = """\
name: review
version: "1"
codes:
  - id: actors
    name: External actors
    definition: Foreign states.
  - id: actors.russia
    name: Russia
    parent: actors
    definition: Russia acting.
  - id: actors.iran
    name: Iran
    parent: actors
    definition: Iran acting.
  - id: money
    name: Corruption
    definition: Bribes.
"""

TRANSCRIPTS = {
    "P01": "Moscow pressed both sides. Tehran hosted the talks. Everyone took a bribe.",
    "P02": "Nobody came from abroad. The talks were ours.",
}


def make(folder: Path) -> Project:
    codebook = folder.parent / "codebook.yaml"
    codebook.write_text(CODEBOOK, encoding="utf-8")
    create_project(folder, codebook=codebook, name="Review")
    config = folder / "qcode.toml"
    config.write_text(config.read_text().replace('pipeline = ""', 'pipeline = "blank"'), encoding="utf-8")
    transcripts = folder.parent / "transcripts"
    transcripts.mkdir()
    for name, answer in TRANSCRIPTS.items():
        text = f"---\nrespondent_id: {name}\n---\nInterviewer: Who mattered?\n\n{name}: {answer}\n"
        (transcripts / f"{name}.txt").write_text(text, encoding="utf-8")
    project = open_project(folder)
    project.ingest([transcripts])
    project.segment("sentence")
    return project


def sentence(project: Project, document: str, contains: str) -> int:
    frame = project.quotes(project.segments_frame()["segment_id"].tolist())
    found = frame[(frame["document"] == document) & frame["text"].str.contains(contains, regex=False)]
    assert len(found) == 1, f"one sentence of {document} holds {contains!r}"
    return int(found["segment_id"].iloc[0])


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = make(tmp_path / "study")
    moscow, tehran = sentence(project, "P01", "Moscow"), sentence(project, "P01", "Tehran")
    bribe, abroad = sentence(project, "P01", "bribe"), sentence(project, "P02", "abroad")
    # ann codes the family with parent and children; bob misses Russia on one sentence and codes Iran
    # where ann coded nothing of the family. They agree on the bribe and on P02.
    for segment, code in [(moscow, "actors"), (moscow, "actors.russia"), (moscow, "money"), (tehran, "actors")]:
        project.apply_code(segment, code, "ann")
    for segment, code in [(tehran, "actors.iran"), (bribe, "money"), (abroad, "money")]:
        project.apply_code(segment, code, "bob")
    project.apply_code(bribe, "money", "ann")
    project.apply_code(abroad, "money", "ann")
    return project


def items_of(project: Project) -> dict[str, dict[str, object]]:
    items = project.review_items("ann", "bob")
    return {str(row["item"]): row for row in items.to_dict("records")}


def test_parent_and_child_are_one_item_with_the_turn_and_the_sentence_marked(project: Project) -> None:
    moscow, tehran = sentence(project, "P01", "Moscow"), sentence(project, "P01", "Tehran")
    listed = project.disagreements("ann", "bob")
    assert len(listed) == 5, "the pair list has actors and Russia apart on Moscow, money, actors and Iran on Tehran"
    items = project.review_items("ann", "bob")
    assert items["item"].tolist() == [f"{moscow}:actors", f"{moscow}:money", f"{tehran}:actors"]
    first = items.iloc[0]
    assert first["codes"] == ("actors", "actors.russia")
    assert first["applied_a"] == ("actors", "actors.russia") and first["applied_b"] == ()
    assert items.iloc[2]["applied_a"] == ("actors",) and items.iloc[2]["applied_b"] == ("actors.iran",)
    # The whole turn, with the sentence's place in it: the reviewer reads it in context.
    turn = str(first["turn_text"])
    assert turn.startswith("Moscow pressed") and "Everyone took a bribe." in turn
    assert turn[int(first["mark_start"]) : int(first["mark_end"])] == "Moscow pressed both sides."
    third = items.iloc[2]
    assert turn == third["turn_text"]
    assert str(third["turn_text"])[int(third["mark_start"]) : int(third["mark_end"])] == "Tehran hosted the talks."
    assert review_queue.names(first["codes"], project.codebook) == "External actors › Russia"


def test_one_key_settles_parent_and_child(project: Project) -> None:
    moscow = sentence(project, "P01", "Moscow")
    item = items_of(project)[f"{moscow}:actors"]
    project.settle(moscow, review_queue.decide_item(item["codes"], True), "cara")  # type: ignore[arg-type]
    rows = project.codings("human", coders=[CONSENSUS])
    assert set(zip(rows["segment_id"], rows["code"], strict=True)) == {(moscow, "actors"), (moscow, "actors.russia")}
    consensus = consensus_decisions(project.decisions())
    items = project.review_items("ann", "bob")
    still = review_queue.open_mask(items, consensus)
    assert dict(zip(items["item"], still, strict=True)) == {
        f"{moscow}:actors": False,
        f"{moscow}:money": True,
        f"{sentence(project, 'P01', 'Tehran')}:actors": True,
    }
    assert review_queue.settled_codes(item, consensus) == {"actors": "applied", "actors.russia": "applied"}


def test_does_not_apply_settles_the_whole_item_as_absent(project: Project) -> None:
    tehran = sentence(project, "P01", "Tehran")
    item = items_of(project)[f"{tehran}:actors"]
    project.settle(tehran, review_queue.decide_item(item["codes"], False), "cara")  # type: ignore[arg-type]
    every = project.codings("all", coders=[CONSENSUS], include_rejected=True)
    assert sorted(every["code"]) == ["actors", "actors.iran"] and set(every["status"]) == {"rejected"}


def test_a_code_decided_alone_keeps_the_hierarchy(project: Project) -> None:
    book = project.codebook
    codes = ("actors", "actors.russia", "actors.iran")
    # A child that applies brings its parent; a parent that does not apply takes its children.
    assert review_queue.decide_code(codes, book, "actors.iran", True) == [("actors", True), ("actors.iran", True)]
    assert review_queue.decide_code(codes, book, "actors", False) == [
        ("actors", False),
        ("actors.russia", False),
        ("actors.iran", False),
    ]
    # A parent that applies, or a child that does not, decides that code only.
    assert review_queue.decide_code(codes, book, "actors", True) == [("actors", True)]
    assert review_queue.decide_code(codes, book, "actors.russia", False) == [("actors.russia", False)]
    with pytest.raises(UsageError, match="not disputed"):
        review_queue.decide_code(("money",), book, "actors", True)


def test_a_partly_decided_item_stays_open(project: Project) -> None:
    tehran = sentence(project, "P01", "Tehran")
    item = items_of(project)[f"{tehran}:actors"]
    project.settle(tehran, review_queue.decide_code(item["codes"], project.codebook, "actors", True), "cara")  # type: ignore[arg-type]
    consensus = consensus_decisions(project.decisions())
    assert review_queue.settled_codes(item, consensus) == {"actors": "applied"}
    items = project.review_items("ann", "bob")
    mask = dict(zip(items["item"], review_queue.open_mask(items, consensus), strict=True))
    assert mask[f"{tehran}:actors"], "Iran is still to be decided"


def test_filter_by_code_takes_a_parent_with_its_children(project: Project) -> None:
    items = project.review_items("ann", "bob")
    book = project.codebook
    assert len(review_queue.with_code(items, book, None)) == 3
    assert [i.split(":")[1] for i in review_queue.with_code(items, book, "actors")["item"]] == ["actors", "actors"]
    assert len(review_queue.with_code(items, book, "actors.iran")) == 1
    assert review_queue.with_code(items, book, "money")["codes"].tolist() == [("money",)]
    with pytest.raises(UsageError, match="unknown code"):
        review_queue.with_code(items, book, "nope")


def test_a_failed_decision_writes_nothing(project: Project) -> None:
    moscow = sentence(project, "P01", "Moscow")
    with pytest.raises(UsageError):
        project.settle(moscow, [("actors", True), ("nope", True)], "cara")
    assert CONSENSUS not in project.coders()


def test_position_is_kept_by_item_and_moves_on_when_settled() -> None:
    keys = ["1:a", "1:b", "2:a"]
    assert review_queue.position(keys, "1:b") == 1
    assert review_queue.position(keys, "9:z", fallback=7) == 2, "a position past the end stands on the last"
    assert review_queue.position([], "1:a") == 0
    assert review_queue.after(keys, "1:b") == "2:a"
    assert review_queue.after(keys, "2:a") == "1:b", "at the end: the one before"
    assert review_queue.after(["1:a"], "1:a") is None


def test_no_disagreement_is_an_empty_queue(tmp_path: Path) -> None:
    project = make(tmp_path / "calm")
    segment = sentence(project, "P02", "abroad")
    project.apply_code(segment, "money", "ann")
    project.apply_code(segment, "money", "bob")
    items = project.review_items("ann", "bob")
    assert items.empty and list(items.columns) == review_queue.ITEM_COLUMNS
