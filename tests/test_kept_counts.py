"""Counts kept on disk between processes (coding.store.kept_files behind aggregate.CountsCache).

A second Project on the same folder stands for another process (the dashboard started after an import): it
must find the kept counts without reading a coding, and must never be answered by a file that does not
belong to the database's current state: a change made elsewhere, a database made again with the same ids, a
damaged or hostile file, a folder that cannot be written. Every table is checked against the pandas tables
over every coding (tests/test_aggregate.py's reference)."""

from __future__ import annotations

import contextlib
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import event
from test_aggregate import reference_bases, reference_crosstab, reference_frequencies

import coding
from coding import analysis
from coding.cli import main
from coding.demo import turn_codings_to_csv
from coding.store import aggregate
from coding.store.kept_files import KeptFiles

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"


def _build(folder: Path, codings_csv: Path) -> coding.Project:
    project = coding.create_project(folder)
    project.ingest([CORPUS / "transcripts"], metadata=CORPUS / "respondents.csv")
    project.segment("turn")
    project.import_codings(codings_csv, "gold")
    return project


@pytest.fixture()
def gold_csv(tmp_path: Path) -> Path:
    path = tmp_path / "gold.csv"
    turn_codings_to_csv(CORPUS / "gold.jsonl", CORPUS / "transcripts", path)
    return path


@pytest.fixture()
def project(tmp_path: Path, gold_csv: Path) -> coding.Project:
    return _build(tmp_path / "project", gold_csv)


@contextlib.contextmanager
def statements(project: coding.Project) -> Iterator[list[str]]:
    """The SQL the project's database runs inside the block (engines are shared per URL: any Project's)."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split()))

    event.listen(project.store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(project.store.engine, "before_cursor_execute", record)


def reading_codings(seen: list[str]) -> list[str]:
    """Statements that read codings beyond the change token's newest id (an index lookup)."""
    return [s for s in seen if "codings" in s and not s.startswith("SELECT max(codings.id)")]


def assert_tables_are_the_pandas_tables(project: coding.Project) -> None:
    for count in ("segments", "respondents"):
        pd.testing.assert_frame_equal(
            project.crosstab("group", count), reference_crosstab(project, "group", count, "none", "human", None)
        )
        pd.testing.assert_series_equal(project.column_bases("group", count), reference_bases(project, "group", count))
    pd.testing.assert_frame_equal(project.frequencies(), reference_frequencies(project, "human", None))
    pd.testing.assert_frame_equal(
        project.cooccurrence(), analysis.cooccurrence(project.codings("human"), project.codebook)
    )


def test_another_process_finds_the_kept_counts_without_reading_a_coding(project: coding.Project) -> None:
    project.keep_counts()
    expected = {
        "crosstab": project.crosstab("group", "segments"),
        "respondents": project.crosstab("group", "respondents"),
        "frequencies": project.frequencies(),
        "cooccurrence": project.cooccurrence(),
        "bases": project.column_bases("group", "segments"),
    }
    busiest = str(expected["crosstab"][analysis.TOTAL].idxmax())
    cell, counts, coders = project.cell_segments(busiest), project.counts(), project.coders()
    token = project.state_token()
    other = coding.open_project(project.folder)
    with statements(other) as seen:
        assert other.state_token() == token  # the dashboard's cache key, kept beside the counts
        found = {
            "crosstab": other.crosstab("group", "segments"),
            "respondents": other.crosstab("group", "respondents"),
            "frequencies": other.frequencies(),
            "cooccurrence": other.cooccurrence(),
            "bases": other.column_bases("group", "segments"),
        }
        assert (other.cell_segments(busiest), other.counts(), other.coders()) == (cell, counts, coders)
        attributes = other.respondents()
    assert seen and reading_codings(seen) == []
    assert not [s for s in seen if "respondents.attributes" in s]  # the respondents frame came from disk too
    pd.testing.assert_frame_equal(attributes, project.store.respondents_frame())
    for name, table in expected.items():
        (pd.testing.assert_series_equal if name == "bases" else pd.testing.assert_frame_equal)(found[name], table)
    assert_tables_are_the_pandas_tables(other)
    assert counts["codings"] > 0 and coders == ["gold"] and cell


def test_a_change_made_by_another_process_is_counted_again(project: coding.Project) -> None:
    project.keep_counts()
    before, counted = project.crosstab("group", "segments"), project.counts()["codings"]
    editor = coding.open_project(project.folder)
    segments = editor.segments_frame()
    uncoded = segments[~segments["segment_id"].isin(editor.codings("human")["segment_id"])].iloc[0]
    code = next(c.id for c in editor.codebook.codes if c.parent is not None)
    editor.apply_code(int(uncoded.segment_id), code, "second")
    reader = coding.open_project(project.folder)
    token = reader.state_token()
    assert token.codings == counted + 1 and token == editor.state_token() == project.state_token()
    after = reader.crosstab("group", "segments")
    assert after.loc[code, analysis.TOTAL] == before.loc[code, analysis.TOTAL] + 1
    assert reader.coders() == ["gold", "second"]
    assert reader.counts()["codings"] == project.counts()["codings"] == counted + 1  # the first one's moved on too
    assert_tables_are_the_pandas_tables(reader)


def test_a_database_made_again_with_the_same_ids_is_not_answered_by_the_old_files(
    tmp_path: Path, gold_csv: Path
) -> None:
    """The same commands on the same corpus with other codes give the same ids and counts; only the moment
    of the newest log entry tells the two databases apart."""
    first = _build(tmp_path / "first", gold_csv)
    first.keep_counts()
    rows = pd.read_csv(gold_csv, dtype=str)
    codes = sorted(rows["code"].unique())
    other = codes[:]
    random.Random(7).shuffle(other)
    rows["code"] = rows["code"].map(dict(zip(codes, other, strict=True)))  # one code for another: as many rows
    shuffled = tmp_path / "shuffled.csv"
    rows.to_csv(shuffled, index=False)
    second = _build(tmp_path / "second", shuffled)
    with first.store.transaction() as a, second.store.transaction() as b:
        assert aggregate.change_token(a) == aggregate.change_token(b)
    before = first.crosstab("group", "segments")
    token = first.state_token()
    first.store.engine.dispose()
    second.store.engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            (first.folder / f"qcode.sqlite{suffix}").unlink()
    shutil.copy(second.folder / "qcode.sqlite", first.folder / "qcode.sqlite")
    # The running process (its counts kept in memory) and a new one (the files on disk) both count again.
    assert first.state_token() != token
    assert not first.crosstab("group", "segments").equals(before)
    assert_tables_are_the_pandas_tables(first)
    assert_tables_are_the_pandas_tables(coding.open_project(first.folder))


def every_kept_read(project: coding.Project) -> None:
    """Every result the library keeps on disk, read once (and checked against pandas where it has a twin)."""
    assert_tables_are_the_pandas_tables(project)
    table = project.crosstab("group", "segments")
    busiest = str(table[analysis.TOTAL].idxmax())
    reference = analysis.segments_in_cell(
        project.codings("human"), project.segments_frame(), project.respondents(), project.codebook, busiest
    )
    assert project.cell_segments(busiest) == [int(s) for s in reference["segment_id"]]
    assert project.counts()["codings"] == len(project.codings("all")) and project.coders() == ["gold"]


def test_damaged_and_hostile_files_are_counted_again(project: coding.Project) -> None:
    project.keep_counts()
    files = KeptFiles(project.folder / ".qcode" / "counts", "")
    kept = sorted(files.folder.glob("*.npz"))
    assert len(kept) >= 6
    damaged = {}
    for number, path in enumerate(kept):
        with np.load(path, allow_pickle=False) as found:
            key, token = str(found["key"]), tuple(int(v) for v in found["token"])
        damage = number % 4
        if damage == 0:
            path.write_bytes(b"not a zip file")
        elif damage == 1:
            path.write_bytes(path.read_bytes()[:100])  # cut short
        elif damage == 2:  # the right key and state, with an array only pickle can read: never unpickled
            np.savez(path, key=np.array(key), token=np.array(token), codes=np.array([{"a": 1}], dtype=object))
        else:  # an older layout: the arrays a codec needs are missing
            np.savez(path, key=np.array(key), token=np.array(token))
        damaged[path] = (key, token, damage)
    for path, (key, token, damage) in damaged.items():
        found = KeptFiles(path.parent, "").load_path(path, key, token)
        assert found is None if damage < 3 else found == {}
    every_kept_read(coding.open_project(project.folder))


def test_respondents_with_missing_or_non_text_attributes_read_back_as_they_were(
    project: coding.Project, tmp_path: Path
) -> None:
    metadata = pd.read_csv(CORPUS / "respondents.csv", dtype=str).head(3)[["respondent_id"]]
    metadata.assign(region=["north", "south", "north"]).to_csv(tmp_path / "respondents.csv", index=False)
    project.ingest([], metadata=tmp_path / "respondents.csv")  # a new attribute for three respondents only
    expected = project.store.respondents_frame()
    assert expected["region"].isna().sum() == len(expected) - 3
    project.respondents()
    pd.testing.assert_frame_equal(coding.open_project(project.folder).respondents(), expected)
    frame = pd.DataFrame.from_records([{"respondent_id": "P1", "age": 45}, {"respondent_id": "P2"}])
    assert aggregate.TEXT_FRAME.encode(frame) is None  # a number: kept in memory only, never guessed back


def test_a_folder_that_cannot_hold_the_files_still_counts(project: coding.Project) -> None:
    shutil.rmtree(project.folder / ".qcode", ignore_errors=True)
    (project.folder / ".qcode").mkdir()
    (project.folder / ".qcode" / "counts").write_text("a file where the folder would go")
    reader = coding.open_project(project.folder)
    reader.keep_counts()
    every_kept_read(reader)


def test_the_state_token_follows_changes_made_elsewhere_and_is_not_recounted_otherwise(
    project: coding.Project,
) -> None:
    token = project.state_token()
    with statements(project) as seen:
        assert project.state_token() == token
    assert reading_codings(seen) == []  # nothing changed: not one count of codings or segments
    editor = coding.open_project(project.folder)
    coded = editor.codings("human").iloc[0]
    editor.remove_code(int(coded.segment_id), str(coded.code), "gold")
    moved = project.state_token()
    assert moved.codings == token.codings - 1 and moved.newest_log_id > token.newest_log_id


def test_the_bulk_commands_count_the_dashboards_tables_ahead(tmp_path: Path, gold_csv: Path) -> None:
    folder = tmp_path / "project"
    runner = CliRunner()
    metadata = str(CORPUS / "respondents.csv")
    for args in (
        ["init", str(folder)],
        ["--project", str(folder), "ingest", str(CORPUS / "transcripts"), "--metadata", metadata],
        ["--project", str(folder), "segment", "--unit", "turn"],
        ["--project", str(folder), "import-codings", str(gold_csv), "--coder", "gold"],
    ):
        done = runner.invoke(main, args, catch_exceptions=False)
        assert done.exit_code == 0, done.output
    dashboard = coding.open_project(folder)
    with statements(dashboard) as seen:
        table = dashboard.crosstab("group", "segments")
        dashboard.column_bases("group", "segments")
        dashboard.cell_segments(str(table[analysis.TOTAL].idxmax()))
        dashboard.counts(), dashboard.coders(), dashboard.cooccurrence()
    assert reading_codings(seen) == []
    assert_tables_are_the_pandas_tables(dashboard)


def test_without_count_ahead_the_tables_are_counted_when_first_shown(tmp_path: Path, gold_csv: Path) -> None:
    project = _build(tmp_path / "project", gold_csv)
    shutil.rmtree(project.folder / ".qcode", ignore_errors=True)
    args = ["--no-count-ahead", "--project", str(project.folder), "import-codings", str(gold_csv), "--coder", "second"]
    done = CliRunner().invoke(main, args, catch_exceptions=False)
    assert done.exit_code == 0, done.output
    reader = coding.open_project(project.folder)
    with statements(reader) as seen:
        reader.crosstab("group", "segments")
    assert reading_codings(seen)  # counted now, not ahead
    assert_tables_are_the_pandas_tables(reader)


def test_a_count_ahead_that_is_stopped_leaves_the_stored_change_and_exit_status_zero(
    tmp_path: Path, gold_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl+C during the counting that follows a committed import: one line, the import kept, exit 0."""
    project = _build(tmp_path / "project", gold_csv)

    def interrupted(self: coding.Project) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(coding.Project, "keep_counts", interrupted)
    args = ["--project", str(project.folder), "import-codings", str(gold_csv), "--coder", "second"]
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output
    assert "not counted ahead" in done.output
    assert "second" in coding.open_project(project.folder).coders()
