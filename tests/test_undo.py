"""Undo, redo and history from the audit log: a person's own last actions, never another person's work."""

from __future__ import annotations

import pandas as pd
import pytest
from backends import BACKENDS, database
from project_factory import make_project, segment_id, write_inputs

from coding.errors import UsageError
from coding.models import Code


def _state(project) -> tuple[list, list, list, list]:  # type: ignore[no-untyped-def]
    """Everything a person's edits change: codings (every status), spans, memos, codes."""
    codings = project.codings("all", include_rejected=True)
    codings = sorted(codings[["coding_id", "segment_id", "code", "coder", "source", "status"]].values.tolist())
    spans = sorted(project.spans()[["id", "document", "start", "end", "code_id", "coder"]].values.tolist())
    memos = sorted(project.memos()[["segment_id", "coder", "memo"]].values.tolist())
    codes = sorted((c.id, c.name, c.parent) for c in project.codebook.codes)
    return codings, spans, memos, codes


def _phrase(project, document: str, phrase: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    text = project.store.document_texts([document])[document]
    start = text.index(phrase)
    return start, start + len(phrase)


def test_undo_and_redo_walk_back_and_forth_through_a_persons_actions(tmp_path):
    project = make_project(tmp_path)
    project.autocode(rules=True)
    moscow, bribe = segment_id(project, "P01", "Moscow"), segment_id(project, "P01", "bribe")
    suggestions = project.codings("auto")
    suggestion = int(suggestions.loc[~suggestions["segment_id"].isin([moscow, bribe]), "coding_id"].iloc[0])
    actions = [
        lambda: project.apply_code(moscow, "actors", "ann"),
        lambda: project.apply_span("P01", *_phrase(project, "P01", "took a bribe"), "money", "ann"),
        lambda: project.set_memo(bribe, "a bribe, plainly", "ann"),
        lambda: project.set_memo(bribe, "a bribe, or a gift?", "ann"),
        lambda: project.decide_suggestion(suggestion, True, "ann"),
        lambda: project.decide_suggestion(suggestion, False, "ann"),
        lambda: project.remove_code(moscow, "actors", "ann"),
        lambda: project.rename_code("money", "Graft", "ann"),
        lambda: project.move_code("money", "actors", "ann"),
    ]
    states = [_state(project)]
    for action in actions:
        action()
        states.append(_state(project))
        assert states[-1] != states[-2], "every action changes something"
    for expected in reversed(states[:-1]):
        assert project.undo("ann") is not None
        assert _state(project) == expected
    assert project.undo("ann") is None  # nothing left
    for expected in states[1:]:
        assert project.redo("ann") is not None
        assert _state(project) == expected
    assert project.redo("ann") is None


def test_undo_describes_what_it_took_back_and_a_new_action_clears_redo(tmp_path):
    project = make_project(tmp_path)
    start, end = _phrase(project, "P01", "took a bribe")
    span_id = project.apply_span("P01", start, end, "money", "ann")
    assert project.undo("ann") == f"undid: applied 'Corruption' on P01 {start}-{end}"
    assert project.spans().empty and project.codings("human").empty
    assert project.redo("ann") == f"redid: applied 'Corruption' on P01 {start}-{end}"
    assert project.spans()["id"].tolist() == [span_id]  # the same span, under its own id
    project.undo("ann")
    project.apply_code(segment_id(project, "P02", "Tehran"), "actors", "ann")  # a new action
    assert project.redo("ann") is None
    assert project.spans()["code_id"].tolist() == ["actors"]


def test_undo_never_touches_another_persons_work(tmp_path):
    project = make_project(tmp_path)
    start, end = _phrase(project, "P01", "took a bribe")
    project.apply_span("P01", start, end, "money", "ann")
    project.apply_span("P01", start, end, "money", "ben")
    project.undo("ann")
    assert project.spans()["coder"].tolist() == ["ben"]
    assert project.codings("human")["coder"].tolist() == ["ben"]
    assert project.undo("carl") is None  # carl did nothing


def test_undo_is_refused_when_someone_else_changed_the_same_thing_since(tmp_path):
    project = make_project(tmp_path)
    project.rename_code("money", "Graft", "ann")
    project.rename_code("money", "Bribery", "ben")
    before = _state(project)
    with pytest.raises(UsageError, match="changed since by ben"):
        project.undo("ann")
    assert _state(project) == before
    assert project.undo("ben") == "undid: renamed the code 'Graft' to 'Bribery'"
    assert project.undo("ann") is not None
    assert project.codebook.by_id()["money"].name == "Corruption"


def test_undoing_a_merge_moves_codings_and_spans_back_and_restores_the_code(tmp_path):
    project = make_project(tmp_path)
    moscow = segment_id(project, "P01", "Moscow")
    russia = segment_id(project, "P03", "Russia")
    project.apply_code(moscow, "actors.russia", "ann")
    project.apply_code(russia, "actors.russia", "ben")
    project.apply_code(russia, "actors", "ben")  # the merge drops ben's duplicate; undo brings it back
    project.add_code(Code("actors.russia.fsb", "FSB", parent="actors.russia"), "ann")
    before = _state(project)
    project.merge_codes("actors.russia", "actors", "ann")
    assert set(project.spans()["code_id"]) == {"actors"}
    assert project.undo("ann") == "undid: merged 'Russia' into 'External actors'"
    assert _state(project) == before
    assert project.codebook.by_id()["actors.russia.fsb"].parent == "actors.russia"


def test_undoing_an_added_code_is_refused_once_it_is_used(tmp_path):
    project = make_project(tmp_path)
    project.add_code(Code("new", "New"), "ann")
    project.apply_code(segment_id(project, "P01", "Moscow"), "new", "ben")
    with pytest.raises(UsageError, match="codings since"):
        project.undo("ann")
    project.undo("ben")
    project.undo("ann")
    assert "new" not in project.codebook.by_id()


def test_search_hits_coded_at_once_are_one_undo_step(tmp_path):
    project = make_project(tmp_path)
    hits = pd.DataFrame(
        [
            {"document": d, "start": s, "end": e, "code_id": "actors", "coder": "ann"}
            for d, phrase in (("P01", "Moscow"), ("P02", "Tehran"), ("P03", "Russia"))
            for s, e in [_phrase(project, d, phrase)]
        ]
    )
    ids = project.code_hits(hits)
    assert len(ids) == 3 and len(project.codings("human")) == 3
    assert project.undo("ann") == "undid: coded 3 search hits with 'External actors'"
    assert project.spans().empty and project.codings("human").empty
    project.redo("ann")
    assert sorted(project.spans()["id"]) == sorted(ids)
    bad = hits.assign(end=hits["start"])  # every hit is checked before any is stored
    with pytest.raises(UsageError):
        project.code_hits(pd.concat([hits.iloc[:1], bad.iloc[1:]]))
    assert len(project.spans()) == 3


def test_history_of_a_segment_says_who_did_what_when(tmp_path):
    project = make_project(tmp_path)
    bribe = segment_id(project, "P01", "bribe")
    project.apply_span("P01", *_phrase(project, "P01", "took a bribe"), "money", "ann")
    project.set_memo(bribe, "plain", "ben")
    project.undo("ann")
    project.apply_code(segment_id(project, "P02", "Tehran"), "actors", "ann")  # elsewhere: not listed
    history = project.history(bribe)
    assert list(history.columns) == ["at", "actor", "action", "code", "description"]
    assert history[["actor", "action", "code"]].values.tolist() == [
        ["ann", "apply_span", "Corruption"],
        ["ben", "memo", ""],
        ["ann", "undo", "Corruption"],
    ]
    assert history["description"].iloc[2].startswith("undid: applied 'Corruption' on P01")


def test_the_app_refreshes_only_the_segments_a_span_or_its_undo_touched(tmp_path):
    project = make_project(tmp_path)
    moscow, bribe = segment_id(project, "P01", "Moscow"), segment_id(project, "P01", "bribe")
    text = project.store.document_texts(["P01"])["P01"]
    first = project.state_token()
    project.apply_span("P01", text.index("most"), text.index("bribe"), "money", "ann")
    second = project.state_token()
    assert project.edited_segments(first, second) == {moscow, bribe}
    project.undo("ann")
    assert project.edited_segments(second, project.state_token()) == {moscow, bribe}
    token = project.state_token()
    project.rename_code("money", "Graft", "ann")
    project.undo("ann")  # a codebook change: the app reloads everything
    assert project.edited_segments(token, project.state_token()) is None


def test_an_action_on_a_document_replaced_since_is_not_undone(tmp_path):
    from coding.errors import ReplacedDocumentError

    project = make_project(tmp_path)
    project.apply_span("P01", *_phrase(project, "P01", "took a bribe"), "money", "ann")
    source = tmp_path / "transcripts" / "P01.txt"
    source.write_text(source.read_text(encoding="utf-8").replace("Who mattered?", "Who mattered then?"))
    project.ingest([source], replace=True)
    before = _state(project)
    with pytest.raises(ReplacedDocumentError, match="replaced or removed since"):
        project.undo("ann")
    assert _state(project) == before


@pytest.mark.parametrize("backend", BACKENDS)
def test_spans_undo_and_redo_on_each_backend(tmp_path, backend):
    from coding.project import create_project

    with database(backend) as url:
        transcripts, codebook = write_inputs(tmp_path)
        project = create_project(tmp_path / "project", codebook=codebook, db=url)
        project.ingest([transcripts])
        project.segment("turn")
        text = project.store.document_texts(["P01"])["P01"]
        moscow, bribe = segment_id(project, "P01", "Moscow"), segment_id(project, "P01", "bribe")
        states = [_state(project)]
        project.apply_span("P01", text.index("mattered"), text.index("bribe") + 5, "money", "ann")
        states.append(_state(project))
        project.remove_code(moscow, "money", "ann")  # trims the span
        states.append(_state(project))
        project.merge_codes("money", "actors", "ann")
        states.append(_state(project))
        assert project.codings("human")["segment_id"].tolist() == [bribe]
        for expected in reversed(states[:-1]):
            project.undo("ann")
            assert _state(project) == expected
        for expected in states[1:]:
            project.redo("ann")
            assert _state(project) == expected


def test_codebook_entries_that_record_the_row_before_are_undone_from_it(tmp_path):
    """The codebook editor's entries (update_code, delete_code, merge) hold `before`, the code's whole row,
    and for a merge the codings moved, the rows dropped and the sub-codes moved: undo works from those."""
    from coding.store import codebook as stored_codebook
    from coding.store import codings as stored_codings
    from coding.store.changes import snapshot
    from coding.store.log import Action, write_log

    project = make_project(tmp_path)
    moscow, russia = segment_id(project, "P01", "Moscow"), segment_id(project, "P03", "Russia")
    project.apply_code(moscow, "actors.russia", "ben")
    project.apply_code(russia, "actors.russia", "ben")
    project.apply_code(russia, "actors", "ben")
    start = _state(project)
    with project.store.transaction(write=True) as session:  # an edit as the codebook editor logs it
        before = snapshot(session, "codes", "money")
        stored_codebook.update_code(session, "money", name="Graft", definition="Taking bribes.")
        write_log(session, "ann", Action.UPDATE_CODE, code_id="money", before=before, changed={"name": "Graft"})
    edited = _state(project)
    with project.store.transaction(write=True) as session:  # a merge as the codebook editor logs it
        before = snapshot(session, "codes", "actors.russia")
        duplicate = stored_codings.find_coding(session, russia, "actors.russia", "ben")
        dropped = [snapshot(session, "codings", duplicate.id)]
        moved = [stored_codings.find_coding(session, moscow, "actors.russia", "ben").id]
        stored_codebook.move_codings(session, "actors.russia", "actors")
        stored_codebook.update_code(session, "actors.russia", merged_into="actors")
        write_log(
            session,
            "ann",
            Action.MERGE_CODES,
            code_id="actors.russia",
            into="actors",
            before=before,
            codings=moved,
            dropped=dropped,
            children=[],
        )
    assert project.undo("ann") == "undid: merged 'Russia' into 'External actors'"
    assert _state(project)[0] == edited[0] and _state(project)[3] == edited[3]
    assert project.undo("ann") == "undid: edited the code 'Corruption'"
    assert _state(project)[0] == start[0] and _state(project)[3] == start[3]
    assert project.codebook.by_id()["money"].definition == "Bribes and stolen funds."
    project.redo("ann")
    assert project.codebook.by_id()["money"].name == "Graft"
    project.apply_code(moscow, "money", "ben")  # ben codes with it: that is no edit of the code
    project.undo("ann")
    assert project.codebook.by_id()["money"].name == "Corruption"
    project.redo("ann")
    with project.store.transaction(write=True) as session:  # ben edits the same code after ann
        before = snapshot(session, "codes", "money")
        stored_codebook.update_code(session, "money", name="Bribery")
        write_log(session, "ben", Action.UPDATE_CODE, code_id="money", before=before, changed={"name": "Bribery"})
    with pytest.raises(UsageError, match="ben"):
        project.undo("ann")
    assert project.codebook.by_id()["money"].name == "Bribery"


def test_undoing_codebook_edits_keeps_codebook_yaml_in_step(tmp_path):
    """The file is the codebook (issue 16): an undo or redo of an edit rewrites it, and a hand edit made
    before the undo is applied first instead of being overwritten."""
    import yaml

    project = make_project(tmp_path)
    path = project.folder / project.config.codebook

    def names() -> dict[str, str]:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found: dict[str, str] = {}

        def walk(codes: list) -> None:  # type: ignore[type-arg]
            for code in codes or []:
                found[code["id"]] = code["name"]
                walk(code.get("children") or code.get("codes") or [])

        walk(data.get("codes", []))
        return found

    original = names()["money"]
    version = project.codebook_version()
    project.update_code("money", "ann", name="Graft", definition="Money changing hands for favours.")
    assert names()["money"] == "Graft"
    assert project.undo("ann") is not None
    assert names()["money"] == original  # the file follows the undo
    assert project.codebook.by_id()["money"].name == original
    assert project.codebook_version() != version  # an undo is a change of the codebook too
    assert project.redo("ann") is not None
    assert names()["money"] == "Graft"
    project.merge_codes("money", "actors", "ann")
    assert "money" not in names()
    assert project.undo("ann") is not None
    assert names()["money"] == "Graft"


def test_merging_into_a_code_the_coder_had_rejected_keeps_their_coding_and_its_span(tmp_path):
    """A person's applied code survives a merge into a code they had rejected on the same segment."""
    project = make_project(tmp_path)
    project.autocode(rules=True)
    moscow = segment_id(project, "P01", "Moscow")
    suggestions = project.codings("auto")
    russia = suggestions[(suggestions["segment_id"] == moscow) & (suggestions["code"] == "actors.russia")]
    project.decide_suggestion(int(russia["coding_id"].iloc[0]), False, "ann")
    project.apply_code(moscow, "money", "ann")
    before = _state(project)
    project.merge_codes("money", "actors.russia", "lead")
    mine = project.codings("human", ["ann"])
    assert ("actors.russia", moscow) in set(zip(mine["code"], mine["segment_id"], strict=True))
    spans = project.spans(coders=["ann"])
    assert spans["code_id"].tolist() == ["actors.russia"]  # the span and the counted coding agree
    assert project.undo("lead") is not None
    assert _state(project) == before  # the rejection is back as it was


def test_undoing_a_code_someone_has_put_a_sub_code_under_is_refused(tmp_path):
    project = make_project(tmp_path)
    project.add_code(Code(id="land", name="Land"), "lea")
    project.add_code(Code(id="land.water", name="Water", parent="land"), "max")
    with pytest.raises(UsageError, match="sub-code"):
        project.undo("lea")
    assert {"land", "land.water"} <= set(project.codebook.by_id())


def test_a_coder_cannot_undo_or_redo_a_codebook_edit(tmp_path):
    """Made while everyone counted as a lead; once accounts exist, only a lead takes codebook edits back."""
    from coding.errors import PermissionDeniedError

    project = make_project(tmp_path)
    project.rename_code("money", "Graft", "cole")
    project.accounts.add("lea", "lead", "lea's long password")
    project.accounts.add("cole", "coder", "cole's long password")
    with pytest.raises(PermissionDeniedError):
        project.undo("cole")
    assert project.codebook.by_id()["money"].name == "Graft"
    with pytest.raises(PermissionDeniedError):
        project.set_min_respondents(0, "cole")  # disclosure control is a lead's setting too
    project.set_min_respondents(3, "lea")
    assert project.min_respondents == 3


def test_a_coding_carried_to_a_new_version_without_its_span_survives_removing_another_span(tmp_path):
    """ingest --replace: a span reaching into changed text stays behind, while its unit's coding is carried;
    the carried coding gets its unit's span, so removing a new phrase span on that unit leaves it."""
    project = make_project(tmp_path, unit="sentence")
    project.apply_span("P01", *_phrase(project, "P01", "Moscow mattered most.\n\nInterviewer: And"), "actors", "ann")
    changed = tmp_path / "changed"
    changed.mkdir()
    from project_factory import TRANSCRIPTS

    (changed / "P01.txt").write_text(TRANSCRIPTS["P01"].replace("And money?", "So, money?"), encoding="utf-8")
    project.ingest([changed], replace=True)
    moscow = segment_id(project, "P01", "Moscow")
    assert ("actors", moscow) in set(
        zip(project.codings("human", ["ann"])["code"], project.codings("human", ["ann"])["segment_id"], strict=True)
    )
    span = project.apply_span("P01", *_phrase(project, "P01", "Moscow"), "actors", "ann")
    project.remove_span(span, "ann")
    coded = project.codings("human", ["ann"])
    assert ("actors", moscow) in set(zip(coded["code"], coded["segment_id"], strict=True))
