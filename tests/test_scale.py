"""Scale: sentence cutting spread over processes gives exactly the segments of one process, for the pure
segmenter and for a project's `qcode segment --jobs`; the segment run reads documents in batches."""

from __future__ import annotations

from pathlib import Path

import pytest
from backends import POSTGRES, database
from click.testing import CliRunner

import coding
from coding import project as project_module
from coding import segment
from coding.cli import main
from coding.nlp import load_pipeline
from coding.transcripts import find_transcripts, read_transcript

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
BACKENDS_HERE = ("sqlite", "postgresql")


def spans(segments):  # type: ignore[no-untyped-def]
    return [(s.document, s.turn_index, s.index, s.start, s.end, s.text) for s in segments]


def test_sentences_cut_in_worker_processes_are_those_of_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(segment, "CHUNK_CHARS", 3_000)  # many chunks in flight, out of step with documents
    documents = [read_transcript(path) for path in find_transcripts([CORPUS / "transcripts"])][:8]
    nlp = load_pipeline(None, "segment")
    alone = segment.segment_documents(documents, "sentence", nlp)
    with segment.SentenceWorkers(nlp, jobs=2) as workers:
        assert workers.jobs == 2
        spread = segment.segment_documents(documents, "sentence", nlp, workers=workers)
    assert len(alone) > 300
    assert spans(spread) == spans(alone)


def test_qcode_segment_with_jobs_stores_the_same_segments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(segment, "CHUNK_CHARS", 20_000)
    monkeypatch.setattr(project_module, "DOCUMENTS_PER_BATCH", 5)  # several batches of documents
    frames = []
    for jobs in ("1", "2"):
        folder = tmp_path / f"jobs{jobs}"
        coding.create_project(folder).ingest([CORPUS / "transcripts"], metadata=CORPUS / "respondents.csv")
        result = CliRunner().invoke(main, ["--project", str(folder), "segment", "--jobs", jobs])
        assert result.exit_code == 0, result.output
        frame = coding.open_project(folder).store.segments_frame("sentence")
        frames.append(frame.drop(columns=["segment_id"]).reset_index(drop=True))
    assert len(frames[0]) > 1000 and frames[0]["document"].nunique() == 18
    assert frames[0].equals(frames[1])


def test_jobs_below_one_is_refused(tmp_path: Path) -> None:
    coding.create_project(tmp_path / "p")
    result = CliRunner().invoke(main, ["--project", str(tmp_path / "p"), "segment", "--jobs", "0"])
    assert result.exit_code == 2 and "--jobs" in result.output


def test_small_corpora_stay_in_one_process_and_large_ones_use_the_cpus() -> None:
    assert project_module.parallel_jobs(None, 10) == 1
    assert project_module.parallel_jobs(None, 5000) == project_module.available_cpus()
    assert project_module.parallel_jobs(3, 10) == 3


def test_rule_suggestions_in_worker_processes_are_those_of_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from coding import autocode
    from coding.codebook import load_codebook
    from coding.resources import default_codebook

    monkeypatch.setattr(autocode, "SEGMENTS_PER_PIECE", 20)
    documents = [read_transcript(path) for path in find_transcripts([CORPUS / "transcripts"])][:6]
    segments = [replace(s, id=i) for i, s in enumerate(segment.segment_documents(documents, "turn"))]
    codebook = load_codebook(default_codebook())
    name, alone = autocode.rule_suggestions(codebook, None, segments, jobs=1)
    _, spread = autocode.rule_suggestions(codebook, None, segments, jobs=2)
    assert len(segments) > 3 * 20 and len(alone) > 10
    assert spread == alone and name == "rules.v1"


def test_the_long_export_written_in_pieces_is_the_whole_export(tmp_path: Path) -> None:
    from coding.demo import turn_codings_to_csv
    from coding.tables import write_table

    project = coding.create_project(tmp_path / "p")
    project.ingest([CORPUS / "transcripts"], metadata=CORPUS / "respondents.csv")
    project.segment("turn")
    turn_codings_to_csv(CORPUS / "gold.jsonl", CORPUS / "transcripts", tmp_path / "gold.csv")
    project.import_codings(tmp_path / "gold.csv", "gold")
    project.remove_document("R03")
    whole = write_table(project.long_codings(), tmp_path / "whole.csv", bom=False)
    pieces = coding.codings_io.long_coding_pieces(
        project.store, project.unit, project.codebook, project.respondents(), 4
    )
    rows = coding.tables.write_csv_pieces(pieces, tmp_path / "pieces.csv", bom=False)
    assert rows == len(project.long_codings()) > 400
    assert (tmp_path / "pieces.csv").read_bytes() == whole.read_bytes()
    assert project.export_codings(tmp_path / "export.csv") == rows


def test_segments_stored_in_small_pieces_are_those_stored_at_once(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """add_segment_spans looks up each piece's own documents and turns: pieces of 7 rows, cutting through
    documents and turns, store the very rows one piece stores; CompactSpans gives back what it was given."""
    import coding
    from coding.store import segments as stored_segments

    corpus = Path(__file__).resolve().parents[1] / "corpus"
    stored = {}
    for label, rows in (("at once", 10**9), ("pieces", 7)):
        monkeypatch.setattr(stored_segments, "INSERT_ROWS", rows)
        project = coding.create_project(tmp_path / label)
        project.ingest([corpus / "transcripts"])
        project.segment("sentence", jobs=1)
        frame = project.store.segments_frame("sentence")
        stored[label] = frame.drop(columns="segment_id").to_dict("records")
    assert stored["pieces"] == stored["at once"] and len(stored["at once"]) > 500

    spans = [stored_segments.SegmentSpan(f"d{i % 3}", i % 5, i, 10 * i, 10 * i + 2**40) for i in range(50)]
    compact = stored_segments.CompactSpans()
    for span in spans:
        compact.append(span)
    assert len(compact) == 50 and list(compact) == spans and compact[3:9] == spans[3:9] and compact[-1] == spans[-1]


@pytest.mark.skipif(not POSTGRES, reason="QCODE_TEST_POSTGRES is not set")
def test_postgresql_stores_pieces_while_the_workers_cut(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """On PostgreSQL segment stores pieces of INSERT_ROWS while later documents are still being read and cut,
    in the one transaction: the rows are those SQLite stores after cutting everything."""
    from coding.store import segments as stored_segments

    monkeypatch.setattr(stored_segments, "INSERT_ROWS", 97)  # pieces cutting through documents and turns
    monkeypatch.setattr(project_module, "DOCUMENTS_PER_BATCH", 3)
    monkeypatch.setattr(segment, "CHUNK_CHARS", 5_000)
    read_when_stored: list[int] = []
    store_piece = stored_segments.add_segment_spans

    def watched(session, spans, unit, versions=None):  # type: ignore[no-untyped-def]
        read_when_stored.append(len(versions or {}))
        return store_piece(session, spans, unit, versions)

    frames = []
    for backend in BACKENDS_HERE:
        with database(backend) as url:
            folder = tmp_path / backend
            project = coding.create_project(folder, db=url)
            project.ingest([CORPUS / "transcripts"], metadata=CORPUS / "respondents.csv")
            monkeypatch.setattr(stored_segments, "add_segment_spans", watched)
            read_when_stored.clear()
            assert project.segment("sentence", jobs=2)["documents"] == 18
            monkeypatch.setattr(stored_segments, "add_segment_spans", store_piece)
            frames.append(project.store.segments_frame("sentence").drop(columns="segment_id"))
            if backend == "postgresql":
                assert len(read_when_stored) > 10 and read_when_stored[0] < 18  # stored before the last was read
                assert read_when_stored == sorted(read_when_stored)
            else:
                assert read_when_stored == [18]  # SQLite: once, after cutting everything
    assert len(frames[0]) > 1000 and frames[0].equals(frames[1])


@pytest.mark.skipif(not POSTGRES, reason="QCODE_TEST_POSTGRES is not set")
def test_a_piece_refused_on_postgresql_leaves_nothing_stored(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A piece the database refuses midway (another run's rows) rolls back the pieces stored before it: no
    segment, no log entry, one clear BusyError; the next run stores everything."""
    import threading

    from sqlalchemy.exc import IntegrityError

    from coding.errors import BusyError
    from coding.store import segments as stored_segments

    monkeypatch.setattr(stored_segments, "INSERT_ROWS", 200)
    monkeypatch.setattr(project_module, "DOCUMENTS_PER_BATCH", 3)
    store_piece = stored_segments.add_segment_spans
    calls = []

    def third_refused(session, spans, unit, versions=None):  # type: ignore[no-untyped-def]
        calls.append(len(spans))
        if len(calls) == 3:
            raise IntegrityError("INSERT", {}, Exception("duplicate key value violates unique constraint"))
        return store_piece(session, spans, unit, versions)

    with database("postgresql") as url:
        project = coding.create_project(tmp_path / "p", db=url)
        project.ingest([CORPUS / "transcripts"])
        threads = threading.active_count()
        monkeypatch.setattr(stored_segments, "add_segment_spans", third_refused)
        with pytest.raises(BusyError, match="nothing was stored"):
            project.segment("sentence", jobs=1)
        assert len(calls) == 3 and threading.active_count() == threads  # the writer thread is gone
        assert project.store.segments_frame("sentence").empty
        assert "segment" not in set(project.store.log_frame()["action"])
        monkeypatch.setattr(stored_segments, "add_segment_spans", store_piece)
        assert project.segment("sentence")["segments"] == len(project.store.segments_frame("sentence")) > 1000
