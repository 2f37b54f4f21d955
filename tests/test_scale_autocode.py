"""Scale: `autocode` reads segments a batch of documents at a time and matches rules in worker processes;
it stores exactly the suggestions of one batch in one process, withdraws the same stale ones, and a run
over no segments at all still withdraws pending suggestions."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

import coding
from coding import autocode
from coding import project as project_module
from coding.store.schema import CodingRow

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def suggestions(project) -> list[tuple]:  # type: ignore[no-untyped-def]
    """Stored suggestions in the order they were stored (coding id), without the ids themselves."""
    query = select(CodingRow.segment_id, CodingRow.code_id, CodingRow.coder, CodingRow.status, CodingRow.confidence)
    with project.store.transaction() as session:
        return [tuple(row) for row in session.execute(query.where(CodingRow.source != "human").order_by(CodingRow.id))]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("autocode-batches")
    project = coding.create_project(base / "project")
    project.ingest([CORPUS / "transcripts"], metadata=CORPUS / "respondents.csv")
    project.segment()
    return base


def test_batches_and_processes_store_what_one_pass_stores(folder: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import shutil

    stored = {}
    for label, per_batch, piece, jobs, write in (("one pass", 10_000, 10**9, 1, 10**9), ("batches", 4, 60, 2, 7)):
        monkeypatch.setattr(project_module, "DOCUMENTS_PER_BATCH", per_batch)
        monkeypatch.setattr(autocode, "SEGMENTS_PER_PIECE", piece)
        monkeypatch.setattr(autocode, "PROPOSALS_PER_WRITE", write)  # stored 7 proposals per INSERT
        shutil.copytree(folder / "project", tmp_path / label)
        project = coding.open_project(tmp_path / label)
        result = project.autocode(rules=True, jobs=jobs)
        stored[label] = (result, suggestions(project))
    result, rows = stored["one pass"]
    assert stored["batches"] == stored["one pass"]
    name = next(iter(result))
    assert result[name]["added"] == len(rows) > 100


def test_a_second_run_withdraws_what_the_rules_no_longer_propose(folder: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import shutil

    monkeypatch.setattr(project_module, "DOCUMENTS_PER_BATCH", 3)
    monkeypatch.setattr(autocode, "PROPOSALS_PER_WRITE", 5)  # rows already stored read 5 proposals at a time
    shutil.copytree(folder / "project", tmp_path / "p")
    project = coding.open_project(tmp_path / "p")
    first = project.autocode(rules=True, jobs=1)
    name = next(iter(first))
    assert first[name]["added"] > 100
    segments = project.segments_frame()
    for document in sorted(segments["document"].unique())[:-1]:
        project.remove_document(document)
    left = set(project.segments_frame()["segment_id"])
    second = project.autocode(rules=True, jobs=1)
    assert second[name]["added"] == 0 and 0 < second[name]["proposed"] < first[name]["proposed"]
    assert second[name]["withdrawn"] == first[name]["proposed"] - second[name]["proposed"]
    assert {row[0] for row in suggestions(project)} <= left
    third = project.autocode(rules=True, jobs=1)  # nothing changed: every suggestion refreshed, none withdrawn
    assert (third[name]["added"], third[name]["withdrawn"]) == (0, 0)
    assert third[name]["refreshed"] == second[name]["proposed"] == len(suggestions(project))


def test_no_segments_still_withdraws_pending_suggestions(tmp_path: Path) -> None:
    """run_autocode over no batch at all: the rules propose nothing, so every pending one is withdrawn."""
    project = coding.create_project(tmp_path / "p")
    project.ingest([CORPUS / "transcripts"], metadata=CORPUS / "respondents.csv")
    project.segment("turn")
    project.autocode(rules=True, jobs=1)
    assert suggestions(project)
    result = autocode.run_autocode(project.store, iter([]), project.codebook, pipeline=None, rules=True, model=None)
    name = next(iter(result))
    assert result[name]["proposed"] == 0 and result[name]["withdrawn"] > 0


def test_documents_ingested_in_waves_are_stored_piece_by_piece(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Segment ids follow the order of ingesting, autocode the order of names: two interleaved waves mix
    low and high ids in every piece. Each piece reads the rows already stored for its own segments only
    (by id, never a range between its lowest and highest, which would read most of the table each time)."""
    import shutil

    from sqlalchemy import event

    first_wave, second_wave = tmp_path / "first", tmp_path / "second"
    for number, path in enumerate(sorted((CORPUS / "transcripts").glob("*.txt"))):
        wave = first_wave if number % 2 == 0 else second_wave
        wave.mkdir(exist_ok=True)
        shutil.copy(path, wave / path.name)
    project = coding.create_project(tmp_path / "p")
    for wave in (first_wave, second_wave):
        project.ingest([wave], metadata=CORPUS / "respondents.csv")
        project.segment("turn")
    monkeypatch.setattr(autocode, "PROPOSALS_PER_WRITE", 20)
    first = project.autocode(rules=True, jobs=1)
    name = next(iter(first))
    ids_asked: list[int] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and "codings.segment_id IN" in statement:
            ids_asked.append(len(parameters) if isinstance(parameters, (list, tuple)) else len(parameters or {}))
        assert " BETWEEN " not in statement.upper() or "codings" not in statement

    event.listen(project.store.engine, "before_cursor_execute", record)
    try:
        again = project.autocode(rules=True, jobs=1)
    finally:
        event.remove(project.store.engine, "before_cursor_execute", record)
    assert (again[name]["added"], again[name]["withdrawn"]) == (0, 0)
    assert again[name]["refreshed"] == first[name]["proposed"] == len(suggestions(project)) > 100
    assert ids_asked and max(ids_asked) <= 20 + 1  # a piece's own segments (and the suggester's name)
