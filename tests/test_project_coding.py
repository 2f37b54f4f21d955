"""A person's decisions are never lost: suggestions, accept/reject, re-autocoding, merge, rename, log."""

from __future__ import annotations

import pandas as pd
import pytest
from project_factory import make_project, own_decision, segment_id

from coding.errors import UsageError


@pytest.fixture()
def project(tmp_path):
    return make_project(tmp_path)


def _suggestion(project, document, contains, code):
    seg = segment_id(project, document, contains)
    frame = project.codings("auto")
    row = frame[(frame["segment_id"] == seg) & (frame["code"] == code)]
    assert len(row) == 1, f"expected one suggestion of {code} on {contains!r}"
    return int(row.iloc[0]["coding_id"])


def test_rules_suggest_child_and_parent(project):
    project.autocode(rules=True)
    auto = project.codings("auto")
    seg = segment_id(project, "P01", "Moscow")
    assert {"actors", "actors.russia"} <= set(auto.loc[auto["segment_id"] == seg, "code"])
    assert set(auto["status"]) == {"suggested"}
    assert set(auto["source_name"]) == {"rules.v1"}


def test_rejected_suggestion_stays_rejected_after_autocoding_again(project):
    project.autocode(rules=True)
    coding_id = _suggestion(project, "P01", "Moscow", "actors.russia")
    project.decide_suggestion(coding_id, accept=False, coder="anna")
    project.autocode(rules=True)
    decision = own_decision(project, coding_id, "anna")
    assert decision["status"] == "rejected" and decision["decided_by"] == "anna"
    assert decision["source"] == "rule" and decision["source_name"] == "rules.v1"
    assert decision["coding_id"] not in set(project.codings("all")["coding_id"])


def test_accepted_suggestion_counts_as_human_and_survives_autocoding(project):
    project.autocode(rules=True)
    coding_id = _suggestion(project, "P02", "Tehran", "actors")
    project.decide_suggestion(coding_id, accept=True, coder="anna")
    project.autocode(rules=True)
    human = project.codings("human", coders=["anna"])
    assert list(human["coding_id"]) == [own_decision(project, coding_id, "anna")["coding_id"]]
    assert project.crosstab(by="group", source="human").loc["actors", "b"] == 1


def test_each_coder_decides_a_suggestion_for_themselves(project):
    # Blind coding: one coder's decision neither hides the suggestion from another nor replaces theirs.
    project.autocode(rules=True)
    coding_id = _suggestion(project, "P02", "Tehran", "actors")
    project.decide_suggestion(coding_id, accept=True, coder="anna")
    suggestion = project.codings("all", include_rejected=True).set_index("coding_id").loc[coding_id]
    assert suggestion["status"] == "suggested", "still waiting for everyone else"
    project.decide_suggestion(coding_id, accept=False, coder="ben")
    assert own_decision(project, coding_id, "anna")["status"] == "accepted"
    assert own_decision(project, coding_id, "ben")["status"] == "rejected"
    project.decide_suggestion(coding_id, accept=True, coder="ben")  # ben changes his mind: his row changes
    assert own_decision(project, coding_id, "ben")["status"] == "accepted"
    with pytest.raises(UsageError, match="anna's decision"):
        project.decide_suggestion(int(own_decision(project, coding_id, "anna")["coding_id"]), False, "ben")
    project.remove_code(int(suggestion["segment_id"]), "actors", "anna")  # taking it off says no
    assert own_decision(project, coding_id, "anna")["status"] == "rejected"


def test_apply_and_remove_code_change_the_crosstab_and_are_logged(project):
    seg = segment_id(project, "P03", "sold")
    project.apply_code(seg, "money", "anna")
    assert project.crosstab(by="group").loc["money", "b"] == 1
    project.remove_code(seg, "money", "anna")
    assert project.crosstab(by="group").loc["money", "b"] == 0
    actions = list(project.store.log_frame()["action"])
    assert actions[:2] == ["remove_code", "apply_code"]


def test_blind_coding_filters_by_coder(project):
    seg = segment_id(project, "P03", "sold")
    project.apply_code(seg, "money", "anna")
    assert project.codings("human", coders=["ben"]).empty
    assert len(project.codings("human", coders=["anna"])) == 1


def test_merge_moves_codings_and_rename_keeps_ids(project):
    seg = segment_id(project, "P03", "Russia")
    project.apply_code(seg, "actors.russia", "anna")
    project.rename_code("actors", "Foreign states", "anna")
    assert project.codebook.by_id()["actors"].name == "Foreign states"
    moved = project.merge_codes("actors.russia", "actors", "anna")
    assert moved == 1
    codes = set(project.codings("human")["code"])
    assert codes == {"actors"}
    assert "actors.russia" not in project.codebook.by_id()


def test_move_code_refuses_a_cycle(project):
    with pytest.raises(UsageError):
        project.move_code("actors", "actors.russia", "anna")


def test_memo_is_kept_and_logged_with_previous_text(project):
    seg = segment_id(project, "P01", "bribe")
    project.set_memo(seg, "first thought", "anna")
    project.set_memo(seg, "second thought", "anna")
    memos = project.memos()
    assert list(memos["memo"]) == ["second thought"]
    log = project.store.log_frame()
    assert log.iloc[0]["details"]["previous"] == "first thought"


def test_edited_segments_names_each_edit_since_a_state(project):
    project.autocode(rules=True)
    start = project.state_token()
    moscow, sold, bribe = (segment_id(project, d, t) for d, t in (("P01", "Moscow"), ("P03", "sold"), ("P01", "bribe")))
    project.apply_code(sold, "money", "anna")
    project.decide_suggestion(_suggestion(project, "P01", "Moscow", "actors.russia"), accept=False, coder="anna")
    project.set_memo(bribe, "a thought", "anna")
    now = project.state_token()
    assert project.edited_segments(start, now) == {moscow, sold, bribe}
    assert project.edited_segments(now, now) == set()
    fresh = project.codings("all", include_rejected=True, segment_ids=[sold, moscow])
    every = project.codings("all", include_rejected=True)
    assert set(fresh["coding_id"]) == set(every.loc[every["segment_id"].isin([sold, moscow]), "coding_id"])


def test_edited_segments_is_none_after_anything_but_single_edits(project):
    start = project.state_token()
    project.apply_code(segment_id(project, "P03", "sold"), "money", "anna")
    project.autocode(rules=True)  # many segments at once: a reader must reload everything
    assert project.edited_segments(start, project.state_token()) is None
    after = project.state_token()
    project.rename_code("actors", "Foreign states", "anna")
    assert project.edited_segments(after, project.state_token()) is None
    assert project.edited_segments(project.state_token(), start) is None  # going back in time: reload


def test_decisions_say_whose_each_coding_is(project):
    project.autocode(rules=True)
    accepted = _suggestion(project, "P02", "Tehran", "actors")
    rejected = _suggestion(project, "P01", "Moscow", "actors.russia")
    project.decide_suggestion(accepted, accept=True, coder="anna")
    project.decide_suggestion(rejected, accept=False, coder="ben")
    project.apply_code(segment_id(project, "P03", "sold"), "money", "cara")
    decisions = project.decisions().set_index("coding_id")
    assert decisions.columns.tolist() == ["segment_id", "code", "source", "status", "person"]
    anna, ben = (
        own_decision(project, accepted, "anna")["coding_id"],
        own_decision(project, rejected, "ben")["coding_id"],
    )
    assert decisions.at[anna, "person"] == "anna" and decisions.at[ben, "person"] == "ben"
    assert decisions.at[anna, "source"] == "rule" and decisions.at[ben, "status"] == "rejected"
    assert set(decisions.loc[decisions["source"] == "human", "person"]) == {"cara"}
    assert decisions.loc[decisions["status"] == "suggested", "person"].isna().all()
    assert len(decisions) == len(project.codings("all", include_rejected=True))


def test_an_edit_committed_late_under_a_lower_log_id_forces_a_full_reload(project):
    # On PostgreSQL a transaction can commit after one holding a higher log id: the id range alone would
    # say nothing changed, the count of log entries does not.
    from coding.store.schema import LogRow

    sold = segment_id(project, "P03", "sold")
    project.apply_code(sold, "money", "anna")
    start = project.state_token()
    newest = start.newest_log_id
    with project.store.transaction() as session:
        session.add(LogRow(id=newest + 10, actor="ben", action="memo", target="", details={}, segment_id=sold))
    seen = project.state_token()
    assert project.edited_segments(start, seen) == {sold}
    with project.store.transaction() as session:  # committed after, under a lower id
        session.add(LogRow(id=newest + 5, actor="cara", action="apply_code", details={}, segment_id=sold))
    assert project.state_token().newest_log_id == seen.newest_log_id
    assert project.edited_segments(seen, project.state_token()) is None


def test_log_entries_name_their_segment_coding_and_code_in_typed_columns(project):
    from coding.store import StateToken

    sold = segment_id(project, "P03", "sold")
    project.apply_code(sold, "money", "anna")
    project.set_memo(sold, "about money", "anna")
    project.rename_code("money", "Money matters", "anna")
    project.autocode(rules=True)
    suggestion = project.codings("auto").iloc[0]
    project.decide_suggestion(int(suggestion["coding_id"]), True, "ben")
    log = project.store.log_frame().set_index("action")
    assert log.loc["apply_code", ["target", "segment_id", "code_id"]].tolist() == [f"segment {sold}", sold, "money"]
    assert log.loc["memo", "segment_id"] == sold and pd.isna(log.loc["memo", "code_id"])
    assert log.loc["rename_code", ["target", "code_id"]].tolist() == ["money", "money"]
    assert pd.isna(log.loc["rename_code", "segment_id"])
    accepted = log.loc["accept"]
    assert accepted["target"] == f"coding {suggestion['coding_id']}"
    assert [accepted["coding_id"], accepted["segment_id"], accepted["code_id"]] == [
        suggestion["coding_id"],
        suggestion["segment_id"],
        suggestion["code"],
    ]
    assert pd.isna(log.loc["autocode", "segment_id"])
    token = project.state_token()
    assert isinstance(token, StateToken) and token.log_entries == len(log)


def test_the_one_log_writer_refuses_an_unknown_action(project):
    from coding.store.log import write_log

    with pytest.raises(ValueError), project.store.transaction() as session:
        write_log(session, "anna", "aply_code", segment_id=1)  # type: ignore[arg-type]
    assert "aply_code" not in set(project.store.log_frame()["action"])


def test_auto_codings_are_the_suggestions_not_peoples_decisions(project):
    project.autocode(rules=True)
    before = project.codings("auto")
    project.decide_suggestion(_suggestion(project, "P02", "Tehran", "actors"), accept=True, coder="anna")
    after = project.codings("auto")
    assert set(after["coding_id"]) == set(before["coding_id"]) and set(after["coder"]) == {"rules.v1"}


def test_rejecting_a_suggestion_never_touches_ones_own_code(project):
    project.autocode(rules=True)
    suggestion = _suggestion(project, "P02", "Tehran", "actors")
    seg = segment_id(project, "P02", "Tehran")
    project.apply_code(seg, "actors", "bob")
    with pytest.raises(UsageError, match="remove it instead"):
        project.decide_suggestion(suggestion, accept=False, coder="bob")
    assert project.codings("human", coders=["bob"])["code"].tolist() == ["actors"]
