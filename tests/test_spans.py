"""Span codings: a person's code on any character range, projected onto the coding units it touches."""

from __future__ import annotations

import sqlite3

import pytest
from backends import BACKENDS, database
from project_factory import make_project, segment_id
from test_store import at_revision

from coding.errors import ReplacedDocumentError, UsageError


def _text(project, document: str) -> str:  # type: ignore[no-untyped-def]
    return project.store.document_texts([document])[document]


def _rows(project, coder: str, code: str) -> set[int]:  # type: ignore[no-untyped-def]
    """Segments where `coder` has `code` accepted (what every analysis counts)."""
    frame = project.codings("all", [coder])
    return set(frame.loc[frame["code"] == code, "segment_id"].astype(int))


def _across_two_turns(project):  # type: ignore[no-untyped-def]
    """[start, end) from 'mattered' in P01's first answer to 'bribe' in its second (the question between)."""
    text = _text(project, "P01")
    start = text.index("mattered most")
    end = text.index("bribe") + len("bribe")
    return start, end


def test_a_span_across_two_units_codes_both_and_is_listed_with_its_text(tmp_path):
    project = make_project(tmp_path)
    start, end = _across_two_turns(project)
    span_id = project.apply_span("P01", start, end, "money", "ann")
    moscow, bribe = segment_id(project, "P01", "Moscow"), segment_id(project, "P01", "bribe")
    assert _rows(project, "ann", "money") == {moscow, bribe}
    spans = project.spans("P01")
    assert spans[["id", "document", "start", "end", "code_id", "code_name", "coder"]].values.tolist() == [
        [span_id, "P01", start, end, "money", "Corruption", "ann"]
    ]
    assert spans["text"].iloc[0].startswith("mattered most.") and spans["text"].iloc[0].endswith("took a bribe")
    # counting stays per coding unit: one respondent, two segments
    freq = project.frequencies(source="human")
    assert freq.loc["money", ["segments", "respondents"]].tolist() == [2, 1]


def test_applying_the_same_span_again_is_the_same_span_and_undo_takes_back_the_first(tmp_path):
    project = make_project(tmp_path)
    start, end = _across_two_turns(project)
    first = project.apply_span("P01", start, end, "money", "ann")
    assert project.apply_span("P01", start, end, "money", "ann") == first  # a double click, a second tab
    assert len(project.spans()) == 1 and len(project.codings("human")) == 2
    assert project.undo("ann") is not None
    assert project.spans().empty and project.codings("human").empty


def test_a_span_reuses_a_row_already_there_and_a_phrase_inside_one_unit_codes_that_unit(tmp_path):
    project = make_project(tmp_path)
    bribe = segment_id(project, "P01", "bribe")
    project.apply_code(bribe, "money", "ann")
    text = _text(project, "P01")
    at = text.index("bribe")
    project.apply_span("P01", at, at + 5, "money", "ann")
    frame = project.codings("all", ["ann"])
    assert len(frame) == 1 and _rows(project, "ann", "money") == {bribe}
    assert len(project.spans(coders=["ann"])) == 2  # the unit's span (apply_code) and the phrase


@pytest.mark.parametrize(
    ("document", "start", "end", "code", "message"),
    [
        ("P01", 10, 10, "money", "outside|empty"),
        ("P01", 5, 10_000, "money", "outside"),
        ("P01", -1, 4, "money", "outside"),
        ("P01", 0, 5, "nope", "unknown code"),
        ("P99", 0, 5, "money", "no document named"),
    ],
)
def test_bad_spans_are_refused_and_nothing_is_stored(tmp_path, document, start, end, code, message):
    project = make_project(tmp_path)
    with pytest.raises(UsageError, match=message):
        project.apply_span(document, start, end, code, "ann")
    assert project.spans().empty and project.codings("human").empty


def test_a_span_of_white_space_and_a_span_on_a_replaced_document_are_refused(tmp_path):
    project = make_project(tmp_path)
    text = _text(project, "P01")
    gap = text.index("\n\n")
    with pytest.raises(UsageError, match="white space"):
        project.apply_span("P01", gap, gap + 2, "money", "ann")
    start, end = _across_two_turns(project)
    span_id = project.apply_span("P01", start, end, "money", "ann")
    source = tmp_path / "transcripts" / "P01.txt"
    source.write_text(source.read_text(encoding="utf-8").replace("Who mattered?", "Who mattered then?"))
    project.ingest([source], replace=True)
    with pytest.raises(ReplacedDocumentError):
        project.remove_span(span_id, "ann")  # the old version's span
    # the span was carried to the new version by its text, with its units' rows
    carried = project.spans("P01")
    new_text = _text(project, "P01")
    assert len(carried) == 1 and new_text[int(carried["start"][0]) : int(carried["end"][0])] == text[start:end]
    assert _rows(project, "ann", "money") == {segment_id(project, "P01", "Moscow"), segment_id(project, "P01", "bribe")}


def test_removing_a_span_keeps_rows_another_span_of_the_coder_still_touches(tmp_path):
    project = make_project(tmp_path)
    start, end = _across_two_turns(project)
    moscow, bribe = segment_id(project, "P01", "Moscow"), segment_id(project, "P01", "bribe")
    wide = project.apply_span("P01", start, end, "money", "ann")
    unit = project.segments_frame().set_index("segment_id").loc[bribe]
    project.apply_span("P01", int(unit["start"]), int(unit["end"]), "money", "ann")  # a second span: one unit
    project.apply_span("P01", start, end, "money", "ben")  # ben's own, untouched by ann's removal
    with pytest.raises(UsageError, match="ben's coding|ann's coding"):
        project.remove_span(wide, "ben")
    project.remove_span(wide, "ann")
    assert _rows(project, "ann", "money") == {bribe}
    assert _rows(project, "ben", "money") == {moscow, bribe}
    with pytest.raises(UsageError, match="no span"):
        project.remove_span(wide, "ann")


def test_remove_code_trims_a_span_that_crosses_into_other_units(tmp_path):
    project = make_project(tmp_path)
    start, end = _across_two_turns(project)
    moscow, bribe = segment_id(project, "P01", "Moscow"), segment_id(project, "P01", "bribe")
    project.apply_span("P01", start, end, "money", "ann")
    project.remove_code(moscow, "money", "ann")
    assert _rows(project, "ann", "money") == {bribe}
    spans = project.spans("P01")
    text = _text(project, "P01")
    assert len(spans) == 1
    # what is left starts after the first unit (at the next text, the question) and still ends at "bribe"
    assert int(spans["end"][0]) == end and int(spans["start"][0]) > start
    assert not text[int(spans["start"][0])].isspace()
    project.remove_code(bribe, "money", "ann")
    assert project.spans("P01").empty and _rows(project, "ann", "money") == set()


def test_accepting_a_suggestion_is_a_span_of_the_unit_and_rejecting_it_again_takes_it_off(tmp_path):
    project = make_project(tmp_path)
    project.autocode(rules=True)
    suggestions = project.codings("auto")
    row = suggestions[suggestions["status"] == "suggested"].iloc[0]
    project.decide_suggestion(int(row["coding_id"]), True, "ann")
    spans = project.spans(coders=["ann"])
    segments = project.segments_frame().set_index("segment_id")
    seg = segments.loc[int(row["segment_id"])]
    assert spans[["start", "end", "code_id"]].values.tolist() == [[int(seg["start"]), int(seg["end"]), row["code"]]]
    project.decide_suggestion(int(row["coding_id"]), False, "ann")
    assert project.spans(coders=["ann"]).empty


def test_segmenting_in_another_unit_puts_every_span_on_that_unit(tmp_path):
    project = make_project(tmp_path)
    start, end = _across_two_turns(project)
    project.apply_span("P01", start, end, "money", "ann")
    project.segment("sentence")
    sentences = project.segments_frame()
    touched = sentences[(sentences["document"] == "P01") & (sentences["start"] < end) & (sentences["end"] > start)]
    assert len(touched) >= 2
    assert _rows(project, "ann", "money") == set(touched["segment_id"].astype(int))


def test_migration_0005_gives_every_persons_accepted_coding_its_units_span(tmp_path):
    from coding.project import open_project

    project = make_project(tmp_path)
    project.autocode(rules=True)
    moscow, bribe = segment_id(project, "P01", "Moscow"), segment_id(project, "P01", "bribe")
    project.apply_code(moscow, "actors", "ann")
    project.apply_code(bribe, "money", "ben")
    suggestions = project.codings("auto")
    suggestions = suggestions[~suggestions["segment_id"].isin([moscow, bribe])]
    suggestion, other = suggestions.iloc[0], suggestions.iloc[1]
    project.decide_suggestion(int(suggestion["coding_id"]), True, "ann")
    project.decide_suggestion(int(other["coding_id"]), False, "ben")  # a rejection: no span
    before = project.codings("human")
    database = project.folder / "qcode.sqlite"
    at_revision(database, "0004")
    with sqlite3.connect(database) as db:
        assert "spans" not in {r[0] for r in db.execute("select name from sqlite_master where type = 'table'")}
    reopened = open_project(project.folder)
    spans = reopened.spans()
    segments = reopened.segments_frame().set_index("segment_id")
    expected = sorted(
        (str(segments.loc[s, "document"]), int(segments.loc[s, "start"]), int(segments.loc[s, "end"]), c, p)
        for s, c, p in zip(before["segment_id"], before["code"], before["coder"], strict=True)
    )
    assert len(before) == 3
    found = spans[["document", "start", "end", "code_id", "coder"]].itertuples(index=False, name=None)
    assert sorted(found) == expected
    assert reopened.codings("human").equals(before)  # no coding lost or changed


@pytest.mark.parametrize("backend", BACKENDS)
def test_migration_0005_on_each_backend(tmp_path, backend):
    from alembic import command

    from coding.project import create_project, open_project
    from coding.store.database import alembic_config, migrate

    with database(backend) as url:
        if url is None:
            project = make_project(tmp_path)
        else:
            from project_factory import write_inputs

            transcripts, codebook = write_inputs(tmp_path)
            project = create_project(tmp_path / "project", codebook=codebook, db=url)
            project.ingest([transcripts])
            project.segment("turn")
        moscow = segment_id(project, "P01", "Moscow")
        project.apply_code(moscow, "actors", "ann")
        engine_url = project.store.url
        command.downgrade(alembic_config(engine_url), "0004")
        migrate(project.store.engine)
        reopened = open_project(project.folder, db=url)
        assert reopened.spans()[["code_id", "coder"]].values.tolist() == [["actors", "ann"]]
        assert len(reopened.codings("human")) == 1


def test_migration_0005_gives_units_of_two_kinds_with_the_same_bounds_one_span(tmp_path):
    from coding.project import open_project

    project = make_project(tmp_path)
    project.apply_code(segment_id(project, "P01", "Moscow"), "actors", "ann")  # a one-sentence turn
    project.segment("sentence")  # the span puts the code on the sentence too: two rows, one range
    assert sum(project.store.coding_counts_by_unit().values()) == 2
    database = project.folder / "qcode.sqlite"
    at_revision(database, "0004")
    reopened = open_project(project.folder)
    assert reopened.spans()[["document", "code_id", "coder"]].values.tolist() == [["P01", "actors", "ann"]]
    assert sum(reopened.store.coding_counts_by_unit().values()) == 2


def test_a_span_on_a_unit_whose_text_changed_stays_on_the_previous_version_as_its_coding_does(tmp_path):
    project = make_project(tmp_path)
    text = _text(project, "P01")
    project.apply_span("P01", text.index("took a bribe"), text.index("took a bribe") + 12, "money", "ann")
    project.apply_span("P01", text.index("Moscow"), text.index("Moscow") + 6, "actors", "ann")
    source = tmp_path / "transcripts" / "P01.txt"
    source.write_text(source.read_text(encoding="utf-8").replace("Zoë said", "Zoe said"))
    report = project.ingest([source], replace=True)
    assert (report.codings_carried, report.codings_left_on_previous) == (1, 1)
    new_text = _text(project, "P01")
    assert project.spans("P01")[["code_id", "start"]].values.tolist() == [["actors", new_text.index("Moscow")]]
    assert project.codings("human")["code"].tolist() == ["actors"]
