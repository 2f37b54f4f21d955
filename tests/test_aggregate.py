"""Tables counted in the database (coding.store.aggregate) against the pandas implementation over every coding
(coding.analysis.crosstab, frequencies, cooccurrence, column_bases): the demo corpus with two coders, rule
suggestions, decisions and a removed document, and random projects (hypothesis) with random codings and
attributes on real SQLite. Co-occurrence counts every segment of the unit; the others respondent segments."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select, update

import coding
from coding import analysis
from coding.demo import turn_codings_to_csv
from coding.store import Action, aggregate
from coding.store.log import write_log
from coding.store.schema import CodingRow, Respondent

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
SOURCES = ("human", "auto", "all")


def reference_crosstab(project, by, count, percent, source, coders):  # type: ignore[no-untyped-def]
    """Today's pandas path: every coding read as a row, filtered, rolled up and counted in pandas."""
    codings, segments, respondents = project.codings(source, coders), project.segments_frame(), project.respondents()
    if isinstance(by, str):
        return analysis.crosstab(codings, segments, respondents, project.codebook, by, count, percent)
    return analysis.crosstab_by(codings, segments, respondents, project.codebook, list(by), count, percent)


def reference_bases(project, by, count):  # type: ignore[no-untyped-def]
    segments, respondents = project.segments_frame(), project.respondents()
    if isinstance(by, str):
        return analysis.column_bases(segments, respondents, by, count)
    return analysis.column_bases_by(segments, respondents, list(by), count)


def reference_frequencies(project, source, coders):  # type: ignore[no-untyped-def]
    segments = project.segments_frame()
    return analysis.frequencies(
        project.codings(source, coders), segments, project.codebook, segments["respondent_id"].nunique()
    )


def assert_same_tables(project, source, coders, attributes) -> None:  # type: ignore[no-untyped-def]
    for by in attributes:
        for count in ("segments", "respondents"):
            pd.testing.assert_series_equal(project.column_bases(by, count), reference_bases(project, by, count))
            for percent in ("none", "row", "column"):
                ours = project.crosstab(by, count, percent, source, coders)
                pd.testing.assert_frame_equal(ours, reference_crosstab(project, by, count, percent, source, coders))
    pd.testing.assert_frame_equal(project.frequencies(source, coders), reference_frequencies(project, source, coders))
    reference = analysis.cooccurrence(project.codings(source, coders), project.codebook)
    pd.testing.assert_frame_equal(project.cooccurrence(source, coders), reference)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The demo corpus by turns: gold and second coder, rule suggestions, some accepted or rejected by a
    person, one document removed."""
    folder = tmp_path_factory.mktemp("aggregate-demo")
    project = coding.create_project(folder / "project")
    project.ingest([CORPUS / "transcripts"], metadata=CORPUS / "respondents.csv")
    project.segment("turn")
    for coder, name in (("gold", "gold.jsonl"), ("second", "second_coder.jsonl")):
        turn_codings_to_csv(CORPUS / name, CORPUS / "transcripts", folder / f"{coder}.csv")
        project.import_codings(folder / f"{coder}.csv", coder)
    project.autocode(rules=True, model=False)
    suggested = project.codings("auto")
    for i, row in enumerate(suggested.head(40).itertuples()):
        project.decide_suggestion(int(row.coding_id), accept=i % 3 != 0, coder="third" if i % 2 else "fourth")
    project.remove_document(sorted(project.segments_frame()["document"].unique())[-1])
    return project


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("coders", [None, ["gold"], ["third", "gold"], ["rules.v1"]])
def test_the_demo_tables_counted_in_the_database_are_the_pandas_tables(demo, source, coders) -> None:  # type: ignore[no-untyped-def]
    assert_same_tables(demo, source, coders, ["group", ("group", "gender")])


def test_the_tables_follow_an_edit_made_after_they_were_counted(demo) -> None:  # type: ignore[no-untyped-def]
    before = demo.crosstab("group", "segments")
    segments = demo.segments_frame()
    uncoded = segments[~segments["segment_id"].isin(demo.codings("human")["segment_id"])].iloc[0]
    code = next(c.id for c in demo.codebook.codes if c.parent is not None)
    demo.apply_code(int(uncoded.segment_id), code, "gold")
    after = demo.crosstab("group", "segments")
    assert after.loc[code, "Total"] == before.loc[code, "Total"] + 1
    pd.testing.assert_frame_equal(after, reference_crosstab(demo, "group", "segments", "none", "human", None))


def test_more_codes_than_one_word_holds(demo) -> None:  # type: ignore[no-untyped-def]
    """Codes past bit 62 go to a second word: padding the code list moves the real codes there."""
    codebook = demo.codebook
    codes = [c.id for c in codebook.tree_order()]
    padded = [f"unused-{i}" for i in range(70)] + codes
    with demo.store.transaction() as session:
        plain = aggregate.mask_counts(session, demo.unit, codes)
        wide = aggregate.mask_counts(session, demo.unit, padded)
    assert wide.masks.shape[1] == len(padded) and not wide.masks[:, :70].any()
    for counted, order in ((plain, codes), (wide, padded)):
        sets, row_set = analysis.rolled_code_sets(counted.masks, order, codebook)
        people, counts = analysis.per_respondent(counted.respondents or [], sets, row_set, counted.segments)
        totals = pd.Series(counts.sum(axis=0), index=order)[codes]
        if counted is plain:
            expected = totals
    pd.testing.assert_series_equal(totals, expected)
    assert expected.sum() > 0


def test_an_unknown_source_is_a_usage_error(demo) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(coding.errors.UsageError, match="source must be one of"):
        demo.crosstab("group", source="robots")


# ----- random projects --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The corpus by turns (interviewer turns too), one document removed; codings are drawn per example."""
    folder = tmp_path_factory.mktemp("aggregate-random")
    project = coding.create_project(folder / "project")
    project.ingest([CORPUS / "transcripts"], metadata=CORPUS / "respondents.csv")
    project.segment("turn")
    project.remove_document("R02")
    with project.store.transaction() as session:
        segment_ids = [int(s) for s in session.scalars(select(coding.store.schema.SegmentRow.id))]
    return project, segment_ids


CODERS = ("ana", "ben", "rules.v1", "model.v1")
VALUES = ("north", "south", "", None)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 400),
    source=st.sampled_from(SOURCES),
    coders=st.sampled_from([None, ["ana"], ["ben", "ana"], ["rules.v1"]]),
    count=st.sampled_from(["segments", "respondents"]),
)
def test_random_projects_count_the_same_in_the_database_and_in_pandas(sandbox, seed, n, source, coders, count) -> None:  # type: ignore[no-untyped-def]
    project, segment_ids = sandbox
    chance = random.Random(seed)
    codes = [c.id for c in project.codebook.codes]
    rows = {}
    for _ in range(n):
        segment, code, coder = chance.choice(segment_ids), chance.choice(codes), chance.choice(CODERS)
        person = coder in ("ana", "ben")
        status = chance.choice(["accepted", "rejected"] if person else ["suggested", "accepted", "rejected"])
        rows[(segment, code, coder)] = {
            "segment_id": segment,
            "code_id": code,
            "coder": coder,
            "source": "human" if person else coder.split(".")[0],
            "source_name": "" if person else chance.choice([coder, "rules.v0"]),
            "status": status,
            "decided_by": None if status == "suggested" else chance.choice([None, "ana", "ben"]),
            "confidence": None,
        }
    with project.store.transaction(write=True) as session:
        session.execute(delete(CodingRow))
        if rows:
            session.execute(insert(CodingRow.__table__), list(rows.values()))
        for pk in session.scalars(select(Respondent.id)).all():
            attributes = {"group": chance.choice(VALUES), "gender": chance.choice(VALUES)}
            attributes = {k: v for k, v in attributes.items() if v is not None or chance.random() < 0.5}
            session.execute(update(Respondent).where(Respondent.id == pk).values(attributes=attributes))
        write_log(session, "test", Action.IMPORT_CODINGS, "random", rows=len(rows))  # as every command does
    respondents = project.respondents()
    attributes = [a for a in ("group", "gender") if a in respondents.columns]
    for by in [*attributes, *([tuple(attributes)] if len(attributes) == 2 else [])]:
        for percent in ("none", "row", "column"):
            ours = project.crosstab(by, count, percent, source, coders)
            pd.testing.assert_frame_equal(ours, reference_crosstab(project, by, count, percent, source, coders))
    pd.testing.assert_frame_equal(project.frequencies(source, coders), reference_frequencies(project, source, coders))
    reference = analysis.cooccurrence(project.codings(source, coders), project.codebook)
    pd.testing.assert_frame_equal(project.cooccurrence(source, coders), reference)
    assert np.all(project.cooccurrence(source, coders).to_numpy() >= 0)


@pytest.mark.parametrize("n_codes", [0, 3, 64, 65, 130])
def test_rolled_masks_and_per_respondent_match_a_row_by_row_count(n_codes: int) -> None:
    """Code sets are rolled up once per distinct set (hashed up to 64 codes, compared as bytes beyond) and
    summed per respondent as one sparse product: the same numbers as rolling and adding each row on its own."""
    rng = np.random.default_rng(n_codes)
    codes = [f"c{i}" for i in range(n_codes)]
    parents = {
        code: (codes[int(rng.integers(i))] if i and rng.random() < 0.6 else None) for i, code in enumerate(codes)
    }
    book = coding.models.Codebook(
        name="random", version="1", codes=[coding.models.Code(id=c, name=c, parent=parents[c]) for c in codes]
    )
    rows = 400
    masks = rng.random((rows, n_codes)) < rng.choice([0.02, 0.3], size=(rows, 1))  # many repeated sets
    people = [f"r{int(i)}" for i in rng.integers(0, 25, size=rows)]
    segments = rng.integers(1, 9, size=rows)
    rolled = analysis.rolled_masks(masks, codes, book)
    for row in range(rows):
        expected = set(np.flatnonzero(masks[row]))
        expected |= {codes.index(a) for i in list(expected) for a in book.ancestors(codes[i])}
        assert set(np.flatnonzero(rolled[row])) == expected
    index, counts = analysis.per_respondent(people, *analysis.rolled_code_sets(masks, codes, book), segments)
    for person in set(people):
        mine = [row for row in range(rows) if people[row] == person]
        total = (rolled[mine].astype(np.int64) * segments[mine, None]).sum(axis=0)
        assert (counts[index.get_loc(person)] == total).all()
    assert len(index) == len(set(people))
