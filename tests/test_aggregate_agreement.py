"""Agreement counted in the database (Project.agree without frames: coding.store.presence)
against today's pandas path over every decision (intercoder.agreement_table over Project.decisions() and the
segments frame): the demo with two coders, suggestions decided by two more people and a removed document,
and random projects (hypothesis) with random codings on real SQLite, both ways of choosing segments."""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest
from backends import POSTGRES, database
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select

import coding
from coding import intercoder
from coding.demo import turn_codings_to_csv
from coding.errors import UsageError
from coding.store import Action
from coding.store.log import write_log
from coding.store.schema import CodingRow, SegmentRow

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
UNITS = ("documents", "touched")


def reference(project, coders, units) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """Today's path: every decision read as a row, presence matrices built in numpy."""
    every = intercoder.decisions(project.decisions())
    return intercoder.agreement_table(every, project.segments_frame(), project.codebook, coders, units)


def same_outcome(project, coders, units) -> None:  # type: ignore[no-untyped-def]
    """Both paths give the same table, or both refuse with the same message."""
    try:
        expected = reference(project, coders, units)
    except UsageError as refused:
        with pytest.raises(UsageError) as ours:
            project.agree(coders, units)
        assert str(ours.value) == str(refused)
        return
    pd.testing.assert_frame_equal(project.agree(coders, units), expected)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The demo corpus in sentences, gold and second coder, rule suggestions decided by third and fourth
    (some accepted, some rejected), one document removed."""
    folder = tmp_path_factory.mktemp("agreement-demo")
    project = coding.create_project(folder / "project")
    project.ingest([CORPUS / "transcripts"], metadata=CORPUS / "respondents.csv")
    project.segment()
    for coder, name in (("gold", "gold.jsonl"), ("second", "second_coder.jsonl")):
        turn_codings_to_csv(CORPUS / name, CORPUS / "transcripts", folder / f"{coder}.csv")
        project.import_codings(folder / f"{coder}.csv", coder)
    project.autocode(rules=True, model=False)
    for i, row in enumerate(project.codings("auto").head(300).itertuples()):
        project.decide_suggestion(int(row.coding_id), accept=i % 4 != 0, coder="third" if i % 2 else "fourth")
    project.remove_document(sorted(project.segments_frame()["document"].unique())[-1])
    return project


@pytest.mark.parametrize("units", UNITS)
@pytest.mark.parametrize(
    "coders", [["gold", "second"], ["second", "gold"], ["third", "fourth"], ["gold", "second", "third"]]
)
def test_the_demo_agreement_counted_in_the_database_is_the_pandas_table(demo, coders, units) -> None:  # type: ignore[no-untyped-def]
    same_outcome(demo, coders, units)
    table = demo.agree(coders, units)
    assert table["n_segments"].iloc[0] > 0 and table.iloc[-1]["code"] == "All codes"


def test_the_pandas_path_is_kept_for_callers_that_hold_the_frames(demo) -> None:  # type: ignore[no-untyped-def]
    """The dashboard passes its own decisions and segments: they are what gets counted."""
    every = intercoder.decisions(demo.decisions())
    segments = demo.segments_frame()
    half = segments.iloc[: len(segments) // 2]
    theirs = demo.agree(["gold", "second"], "documents", every, half)
    assert theirs["n_segments"].iloc[0] < demo.agree(["gold", "second"])["n_segments"].iloc[0]


def test_a_new_coding_changes_the_counted_table(demo) -> None:  # type: ignore[no-untyped-def]
    before = demo.agree(["gold", "second"])
    segments = demo.segments_frame()
    coded = set(demo.codings("human", ["gold"])["segment_id"]) | set(demo.codings("human", ["second"])["segment_id"])
    free = segments[~segments["segment_id"].isin(coded) & segments["document"].isin(segments["document"])].iloc[0]
    code = before["code"].iloc[0]
    demo.apply_code(int(free.segment_id), code, "gold")
    after = demo.agree(["gold", "second"])
    assert after.loc[0, "positives_gold"] == before.loc[0, "positives_gold"] + 1
    same_outcome(demo, ["gold", "second"], "documents")


@pytest.mark.parametrize(
    ("coders", "units", "message"),
    [
        (["gold"], "documents", "at least two coders"),
        (["gold", "gold"], "documents", "names one twice"),
        (["gold", "nobody"], "documents", "unknown coder"),
        (["gold", "second"], "sentences", "units must be one of"),
    ],
)
def test_bad_requests_are_refused_as_before(demo, coders, units, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match=message):
        demo.agree(coders, units)


# ----- random projects --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The corpus by turns (interviewer turns too), one document removed; codings are drawn per example."""
    folder = tmp_path_factory.mktemp("agreement-random")
    project = coding.create_project(folder / "project")
    project.ingest([CORPUS / "transcripts"], metadata=CORPUS / "respondents.csv")
    project.segment("turn")
    project.remove_document("R02")
    with project.store.transaction() as session:
        segment_ids = [int(s) for s in session.scalars(select(SegmentRow.id))]
    return project, segment_ids


PEOPLE = ("ana", "ben", "cy")
SUGGESTERS = ("rules.v1", "model.v1")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 500),
    spread=st.sampled_from([1.0, 0.2, 0.02]),
    coders=st.sampled_from([["ana", "ben"], ["ben", "ana"], ["ana", "ben", "cy"]]),
)
def test_random_projects_agree_the_same_in_the_database_and_in_pandas(sandbox, seed, n, spread, coders) -> None:  # type: ignore[no-untyped-def]
    """spread: the share of segments codings fall on (small: few documents shared by every coder)."""
    project, segment_ids = sandbox
    draw_codings(project, segment_ids, seed, n, spread)
    for units in UNITS:
        same_outcome(project, coders, units)


def draw_codings(project, segment_ids, seed, n, spread) -> None:  # type: ignore[no-untyped-def]
    """Replace every coding by n random ones: people's codes, suggestions pending, accepted or rejected."""
    chance = random.Random(seed)
    pool = chance.sample(segment_ids, max(1, int(len(segment_ids) * spread)))
    codes = [c.id for c in project.codebook.codes]
    rows = {}
    for _ in range(n):
        segment, code, coder = chance.choice(pool), chance.choice(codes), chance.choice(PEOPLE + SUGGESTERS)
        person = coder in PEOPLE
        statuses = ["accepted", "accepted", "rejected"] if person else ["suggested", "accepted", "rejected"]
        status = chance.choice(statuses)
        rows[(segment, code, coder)] = {
            "segment_id": segment,
            "code_id": code,
            "coder": coder,
            "source": "human" if person else coder.split(".")[0],
            "source_name": "" if person else coder,
            "status": status,
            "decided_by": None if status == "suggested" or person else chance.choice(PEOPLE),
            "confidence": None,
        }
    with project.store.transaction(write=True) as session:
        session.execute(delete(CodingRow))
        if rows:
            session.execute(insert(CodingRow.__table__), list(rows.values()))
        write_log(session, "test", Action.IMPORT_CODINGS, "random", rows=len(rows))


@pytest.mark.skipif(not POSTGRES, reason="QCODE_TEST_POSTGRES is not set")
def test_postgresql_counts_the_same_table(tmp_path: Path) -> None:
    """The same statement on PostgreSQL (its SUM is NUMERIC, its planner other): random projects and refusals."""
    with database("postgresql") as url:
        project = coding.create_project(tmp_path / "project", db=url)
        project.ingest([CORPUS / "transcripts"], metadata=CORPUS / "respondents.csv")
        project.segment("turn")
        project.remove_document("R02")
        with project.store.transaction() as session:
            segment_ids = [int(s) for s in session.scalars(select(SegmentRow.id))]
        for seed, spread in ((1, 1.0), (2, 0.2), (3, 0.02)):
            draw_codings(project, segment_ids, seed, 400, spread)
            for coders in (["ana", "ben"], ["ana", "ben", "cy"], ["ana", "nobody"]):
                for units in UNITS:
                    same_outcome(project, coders, units)
        project.store.engine.dispose()


def test_counts_are_kept_until_something_changes(demo) -> None:  # type: ignore[no-untyped-def]
    """The second call reuses the counts (the cache holds them); an edit in between is seen at once."""
    first = demo.agree(["gold", "second"], "touched")
    again = demo.agree(["gold", "second"], "touched")
    pd.testing.assert_frame_equal(first, again)
    kept = [key for key in demo._counts._entries if key[0] == "coder presence"]
    assert kept
    segment = int(demo.segments_frame()["segment_id"].iloc[-1])
    code = first["code"].iloc[1]
    demo.apply_code(segment, code, "second")
    same_outcome(demo, ["gold", "second"], "touched")


def test_one_count_serves_every_choice_of_coders_and_units(demo) -> None:  # type: ignore[no-untyped-def]
    """The codings are read once for every coder: other coders and the other units read nothing again."""
    demo.agree(["gold", "second"], "documents")
    entries = demo._counts._entries
    (key,) = [key for key in entries if key[0] == "coder presence"]
    counted = entries[key][1]
    for coders in (["third", "fourth"], ["gold", "second", "third"], ["second", "gold"]):
        for units in UNITS:
            same_outcome(demo, coders, units)
    assert [k for k in entries if k[0] == "coder presence"] == [key] and entries[key][1] is counted


def test_more_people_than_bits_are_counted_for_the_chosen_coders_alone(sandbox, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Past one word of coder bits the project's people cannot share one count: the chosen coders get theirs."""
    from coding.store import presence

    project, segment_ids = sandbox
    draw_codings(project, segment_ids, 7, 400, 0.2)
    monkeypatch.setattr(presence, "MAX_AGREEMENT_CODERS", 2)  # ana, ben and cy: more people than bits
    for coders in (["ana", "ben"], ["cy", "ana"]):
        for units in UNITS:
            same_outcome(project, coders, units)
    with pytest.raises(UsageError, match="at most 2 coders"):
        project.agree(["ana", "ben", "cy"])


@pytest.mark.skipif(not POSTGRES, reason="QCODE_TEST_POSTGRES is not set")
def test_a_person_who_codes_while_the_people_are_listed_is_counted_next_time(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL reads each statement in its own snapshot: a coding committed between the list of people and
    the count must not leave its coder out of counts kept under the newer state (found by a review)."""
    from coding.store import presence

    with database("postgresql") as url:
        project = coding.create_project(tmp_path / "project", db=url)
        project.ingest([CORPUS / "transcripts"], metadata=CORPUS / "respondents.csv")
        project.segment("turn")
        ids = [int(s) for s in project.segments_frame()["segment_id"]]
        draw_codings(project, ids, 1, 200, 0.2)
        listed = presence.people

        def people_then_zed_codes(session):  # type: ignore[no-untyped-def]
            found = listed(session)
            monkeypatch.setattr(presence, "people", listed)
            for segment in ids[:5]:  # committed by another transaction after the list was read
                project.apply_code(segment, project.codebook.codes[0].id, "zed")
            return found

        monkeypatch.setattr(presence, "people", people_then_zed_codes)
        project.agree(["ana", "ben"])
        same_outcome(project, ["zed", "ana"], "touched")
        project.store.engine.dispose()


def test_another_process_reads_the_counts_from_disk(demo, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The counts go to .qcode/counts/ with the state they answer: a project opened again (the dashboard
    started after a command) gives the same tables without counting."""
    from coding.store import presence

    expected = {units: demo.agree(["gold", "second", "third"], units) for units in UNITS}

    def counted_again(*args: object) -> None:
        raise AssertionError("counted again instead of read from disk")

    monkeypatch.setattr(presence, "count_coder_presence", counted_again)
    again = coding.open_project(demo.folder)
    for units, table in expected.items():
        pd.testing.assert_frame_equal(again.agree(["gold", "second", "third"], units), table)
