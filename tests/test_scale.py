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


def ingested(folder: Path, url: str | None) -> coding.Project:
    project = coding.create_project(folder, db=url)
    project.ingest([CORPUS / "transcripts"], metadata=CORPUS / "respondents.csv")
    return project


def stored_rows(project: coding.Project):  # type: ignore[no-untyped-def]
    return project.store.segments_frame("sentence").drop(columns="segment_id")


@pytest.mark.skipif(not POSTGRES, reason="QCODE_TEST_POSTGRES is not set")
def test_postgresql_stores_pieces_while_the_workers_cut(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """On PostgreSQL segment stores pieces of INSERT_ROWS while later documents are still being read and cut,
    in the one transaction: the rows, and the order of their ids, are those SQLite stores after cutting
    everything."""
    from coding.store import segments as stored_segments

    monkeypatch.setattr(stored_segments, "INSERT_ROWS", 97)  # pieces cutting through documents and turns
    monkeypatch.setattr(project_module, "DOCUMENTS_PER_BATCH", 3)
    monkeypatch.setattr(segment, "CHUNK_CHARS", 5_000)
    read_when_stored: list[int] = []
    store_piece = stored_segments.add_segment_spans

    def watched(session, spans, unit, versions=None, judged=None):  # type: ignore[no-untyped-def]
        read_when_stored.append(len(versions or {}))
        return store_piece(session, spans, unit, versions, judged)

    frames = []
    for backend in ("sqlite", "postgresql"):
        with database(backend) as url:
            project = ingested(tmp_path / backend, url)
            monkeypatch.setattr(stored_segments, "add_segment_spans", watched)
            read_when_stored.clear()
            result = project.segment("sentence", jobs=2)
            monkeypatch.setattr(stored_segments, "add_segment_spans", store_piece)
            frame = project.store.segments_frame("sentence")  # in (document, position) order
            assert result["documents"] == 18 and result["segments"] == len(frame)
            assert frame["segment_id"].is_monotonic_increasing  # stored in that order, piece after piece
            frames.append(frame.drop(columns="segment_id"))
            if backend == "postgresql":
                assert len(read_when_stored) > 10 and read_when_stored[0] < 18  # stored before the last was read
            else:
                assert read_when_stored == [18]  # SQLite: once, after cutting everything
    assert len(frames[0]) > 1000 and frames[0].equals(frames[1])


@pytest.mark.skipif(not POSTGRES, reason="QCODE_TEST_POSTGRES is not set")
def test_segments_another_run_stored_meanwhile_leave_this_run_stored_nothing(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A piece the database refuses midway (a segment another run stored meanwhile, a real duplicate key)
    rolls back the pieces stored before it: no segment of this run, no log entry, one clear BusyError."""
    import threading

    from sqlalchemy import insert, select

    from coding.errors import BusyError
    from coding.store import segments as stored_segments
    from coding.store.schema import DocumentRow, SegmentRow, TurnRow

    monkeypatch.setattr(stored_segments, "INSERT_ROWS", 200)
    monkeypatch.setattr(project_module, "DOCUMENTS_PER_BATCH", 3)
    store_piece = stored_segments.add_segment_spans
    with database("postgresql") as url:
        project = ingested(tmp_path / "p", url)
        last = sorted(project.store.documents_frame()["document"])[-1]

        def another_run_first(session, spans, unit, versions=None, judged=None):  # type: ignore[no-untyped-def]
            if not judged:  # before the first piece: another transaction stores a segment of the last document
                with project.store.transaction(write=True) as other:
                    doc = other.scalar(select(DocumentRow.id).where(DocumentRow.name == last))
                    turn = other.scalar(select(TurnRow.id).where(TurnRow.document_id == doc).order_by(TurnRow.index))
                    row = {"document_id": doc, "turn_id": turn, "unit": "sentence", "index": 0, "start": 0, "end": 1}
                    other.execute(insert(SegmentRow), [row])
            return store_piece(session, spans, unit, versions, judged)

        threads = threading.active_count()
        monkeypatch.setattr(stored_segments, "add_segment_spans", another_run_first)
        with pytest.raises(BusyError, match="nothing was stored by this one"):
            project.segment("sentence", jobs=1)
        assert threading.active_count() == threads  # the writer thread is gone
        stored = project.store.segments_frame("sentence")
        assert stored["document"].tolist() == [last]  # only the other run's segment
        assert "segment" not in set(project.store.log_frame()["action"])


@pytest.mark.skipif(not POSTGRES, reason="QCODE_TEST_POSTGRES is not set")
def test_a_document_removed_between_pieces_is_stored_whole_or_not_at_all(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A document whose segments two pieces store, removed after the first (remove does not wait for the
    segment run), keeps every segment: restored, it is whole, not a part no later run would finish."""
    from coding.store import segments as stored_segments

    monkeypatch.setattr(stored_segments, "INSERT_ROWS", 150)
    monkeypatch.setattr(project_module, "DOCUMENTS_PER_BATCH", 3)
    reference = ingested(tmp_path / "whole", None)
    reference.segment("sentence", jobs=1)
    whole = stored_rows(reference)
    store_piece = stored_segments.add_segment_spans
    removed: list[str] = []
    with database("postgresql") as url:
        project = ingested(tmp_path / "p", url)

        def remove_after_first(session, spans, unit, versions=None, judged=None):  # type: ignore[no-untyped-def]
            stored = store_piece(session, spans, unit, versions, judged)
            if not removed:  # the document the first piece ended in: its rest comes in the next piece
                removed.append(spans[len(spans) - 1].document)
                project.remove_document(removed[0])
            elif len(removed) == 1:
                removed.append(spans[0].document)  # the second piece's first document
            return stored

        monkeypatch.setattr(stored_segments, "add_segment_spans", remove_after_first)
        project.segment("sentence", jobs=1)
        monkeypatch.setattr(stored_segments, "add_segment_spans", store_piece)
        assert removed[1] == removed[0]  # the removed document's segments were in both pieces
        project.restore_document(removed[0])
        assert project.store.unsegmented_documents("sentence") == []
        assert stored_rows(project).equals(whole)


@pytest.mark.skipif(not POSTGRES, reason="QCODE_TEST_POSTGRES is not set")
@pytest.mark.parametrize("when", ["twice, the first while cutting", "once, a piece waiting in the queue"])
def test_an_interrupt_waits_for_the_piece_being_stored(tmp_path, monkeypatch, when) -> None:  # type: ignore[no-untyped-def]
    """Ctrl-C (or SIGTERM, which the CLI makes a KeyboardInterrupt) while a piece is stored: the run waits for
    the writer thread before the session closes (through a second interrupt too), a piece still queued is
    never stored, and the run ends with nothing stored and no connection left checked out. Each case once
    hung or returned early; faulthandler ends a hang here instead of the test run waiting forever."""
    import faulthandler
    import signal
    import threading
    import time

    from coding.store import segments as stored_segments

    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("Ctrl-C is not Python's KeyboardInterrupt in this test run")
    monkeypatch.setattr(stored_segments, "INSERT_ROWS", 300)
    store_piece = stored_segments.add_segment_spans
    finished: list[str] = []
    pieces: list[int] = []

    class Counted(stored_segments.CompactSpans):  # a new piece begins once the one before is handed over
        def __init__(self) -> None:
            super().__init__()
            pieces.append(1)

    def interrupt() -> None:
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    def interrupted(session, spans, unit, versions=None, judged=None):  # type: ignore[no-untyped-def]
        if when.startswith("twice") and judged:  # the second piece: two interrupts while it is stored
            for _ in range(2):
                interrupt()
                time.sleep(0.5)
        if when.startswith("once") and not judged:  # the first piece: stored while the second waits
            deadline = time.monotonic() + 20
            while len(pieces) < 3 and time.monotonic() < deadline:  # the second handed over
                time.sleep(0.05)
            time.sleep(0.3)  # the caller now waits for this piece's result
            interrupt()
            time.sleep(0.3)
        stored = store_piece(session, spans, unit, versions, judged)
        finished.append(threading.current_thread().name)
        return stored

    with database("postgresql") as url:
        project = ingested(tmp_path / "p", url)
        monkeypatch.setattr(stored_segments, "CompactSpans", Counted)
        monkeypatch.setattr(stored_segments, "add_segment_spans", interrupted)
        faulthandler.dump_traceback_later(60, exit=True)
        try:
            with pytest.raises(KeyboardInterrupt):
                project.segment("sentence", jobs=1)
        finally:
            faulthandler.cancel_dump_traceback_later()
        assert len(finished) == (2 if when.startswith("twice") else 1)  # a queued piece was never stored
        assert not any(t.name.startswith("qcode-store") for t in threading.enumerate())
        assert project.store.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        monkeypatch.setattr(stored_segments, "add_segment_spans", store_piece)
        assert project.store.segments_frame("sentence").empty
