"""Several codes applied to one range at once (the workbench's ticked codes + Enter) are one action: one log
entry, one undo step, and a redo puts every one of them back."""

from __future__ import annotations

import pytest
from project_factory import make_project

from coding.errors import UsageError


def _phrase(project, document: str, phrase: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    text = project.store.document_texts([document])[document]
    start = text.index(phrase)
    return start, start + len(phrase)


def _coded(project) -> tuple[list, list]:  # type: ignore[no-untyped-def]
    spans = sorted(project.spans()[["start", "end", "code_id", "coder"]].values.tolist())
    rows = project.codings("human")
    return spans, sorted(rows[["segment_id", "code", "coder"]].values.tolist())


def test_codes_applied_together_are_undone_and_redone_in_one_step(tmp_path):
    project = make_project(tmp_path)
    start, end = _phrase(project, "P01", "took a bribe")
    project.apply_span("P01", start, end, "actors", "ann")  # an earlier action of ann's, kept by the undo
    before = _coded(project)

    ids = project.apply_spans("P01", start, end, ["money", "actors", "money"], "ann")

    spans, rows = _coded(project)
    assert sorted(code for *_, code, coder in spans if coder == "ann") == ["actors", "money"]
    assert len(ids) == 2 and ids[1] == project.spans(coders=["ann"]).query("code_id == 'actors'")["id"].item()
    entries = project.history(int(project.codings("human").query("code == 'money'")["segment_id"].iloc[0]))
    assert entries["description"].tolist()[-1] == f"applied 'Corruption' on P01 {start}-{end}"  # actors was there

    said = project.undo("ann")
    assert said == f"undid: applied 'Corruption' on P01 {start}-{end}"
    assert _coded(project) == before  # the new code gone, the earlier span kept
    assert project.redo("ann") is not None
    assert _coded(project) == (spans, rows)
    project.undo("ann")
    project.undo("ann")  # the next step back is the earlier single apply
    assert _coded(project) == ([], [])


def test_codes_applied_together_again_log_nothing_and_bad_input_stores_nothing(tmp_path):
    project = make_project(tmp_path)
    start, end = _phrase(project, "P01", "took a bribe")
    project.apply_spans("P01", start, end, ["money", "actors"], "ann")
    entries = project.state_token().log_entries
    state = _coded(project)
    project.apply_spans("P01", start, end, ["actors", "money"], "ann")  # the same again, from another tab
    assert _coded(project) == state
    assert project.state_token().log_entries == entries
    with pytest.raises(UsageError, match="nosuch"):
        project.apply_spans("P01", start, end, ["money", "nosuch"], "ann")
    with pytest.raises(UsageError, match="no code"):
        project.apply_spans("P01", start, end, [], "ann")
    with pytest.raises(UsageError, match="outside"):
        project.apply_spans("P01", start, 10**7, ["money"], "ann")
    assert _coded(project) == state
    project.undo("ann")
    assert _coded(project) == ([], [])


def test_the_entry_names_only_the_codes_that_added_something(tmp_path):
    """A code the coder had on the range already is not part of the step: undo says and takes only the other."""
    project = make_project(tmp_path)
    start, end = _phrase(project, "P01", "took a bribe")
    project.apply_spans("P01", start, end, ["actors"], "ann")
    project.apply_spans("P01", start, end, ["actors", "money"], "ann")
    money = int(project.codings("human").query("code == 'money'")["segment_id"].iloc[0])
    assert project.history(money)["description"].tolist()[-1] == f"applied 'Corruption' on P01 {start}-{end}"

    assert project.undo("ann") == f"undid: applied 'Corruption' on P01 {start}-{end}"
    spans, rows = _coded(project)
    assert spans == [[start, end, "actors", "ann"]]
    assert {code for _, code, _ in rows} == {"actors"}
    assert project.undo("ann") == f"undid: applied 'External actors' on P01 {start}-{end}"
    assert _coded(project) == ([], [])
