"""A team on one project: two runs of a step at once, and many coders writing at once, store nothing twice
and lose nothing. Real processes and threads on real databases: SQLite, and PostgreSQL when
QCODE_TEST_POSTGRES is set (tests/backends.py)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from backends import BACKENDS, database
from project_factory import CODEBOOK

REPO = Path(__file__).resolve().parents[1]
STEPS_ON_SCREEN = ("segment", "ingest", "autocode", "train")

SENTENCES = [
    "Moscow pressed both sides to sign.",
    "Tehran hosted the first round of talks.",
    "Everyone took a bribe at the border.",
    "Russia sent observers in the spring.",
    "The farmers wanted their land back.",
    "Nobody trusted the committee after that.",
    "We waited for months without news.",
    "The bribe was paid in dollars, they said.",
]


def write_corpus(folder: Path, documents: int, seed: int = 7) -> tuple[Path, Path, Path]:
    """Transcripts (several respondent turns of several sentences), respondents.csv and the codebook."""
    rng = random.Random(seed)
    transcripts = folder / "transcripts"
    transcripts.mkdir(parents=True)
    rows = ["respondent_id,group"]
    for number in range(1, documents + 1):
        name = f"R{number:03d}"
        turns = []
        for _ in range(4):
            turns.append("Interviewer: What happened then?")
            turns.append(f"{name}: " + " ".join(rng.choice(SENTENCES) for _ in range(4)))
        (transcripts / f"{name}.txt").write_text("\n\n".join(turns) + "\n", encoding="utf-8")
        rows.append(f"{name},{'ab'[number % 2]}")
    metadata = folder / "respondents.csv"
    metadata.write_text("\n".join(rows) + "\n", encoding="utf-8")
    codebook = folder / "codebook.yaml"
    codebook.write_text(CODEBOOK, encoding="utf-8")
    return transcripts, metadata, codebook


def start(project: Path, db: str | None, *args: object) -> subprocess.Popen[str]:
    """`qcode ARGS --project PROJECT [--db DB]` as a process of its own (as two people would run it)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    database = ["--db", db] if db else []
    command = [sys.executable, "-m", "coding", "--project", str(project), *database, *map(str, args)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_pair(project: Path, db: str | None, step: str, *args: object) -> list[int]:
    """Two runs of one step started together; each finishes (exit 0) or is refused in one line (exit 2)."""
    processes = [start(project, db, step, *args) for _ in range(2)]
    codes = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode in (0, 2), (step, process.returncode, out, err)
        if process.returncode == 2:
            assert err.count("\n") == 1 and "Traceback" not in err, err
            assert f"another {step} run is in progress" in err, err
        codes.append(process.returncode)
    assert 0 in codes, f"neither {step} run finished"
    return codes


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_runs_of_each_step_at_once_store_nothing_twice(tmp_path, backend):
    import dataclasses

    from sqlalchemy import func, select

    from coding.config import write_config
    from coding.project import create_project, open_project
    from coding.segment import segment_documents
    from coding.store.log import Action
    from coding.store.schema import LogRow

    transcripts, metadata, codebook = write_corpus(tmp_path, documents=12)
    with database(backend) as db:
        folder = tmp_path / "project"
        created = create_project(folder, codebook=codebook, db=db)
        # spaCy's blank English pipeline: the same steps and locks, without loading a trained model 8 times.
        write_config(folder, dataclasses.replace(created.config, pipeline="blank"))

        # --wait: the second run waits for the first, then finds every file unchanged.
        assert run_pair(folder, db, "ingest", transcripts, "--metadata", metadata, "--wait", 240) == [0, 0]
        project = open_project(folder, db)
        assert project.counts()["documents"] == 12 and project.counts()["respondents"] == 12

        run_pair(folder, db, "segment", "--unit", "sentence")
        from coding.nlp import load_pipeline

        expected = segment_documents(project.documents(), "sentence", load_pipeline("blank", "segment"))
        project = open_project(folder, db)
        assert project.counts()["segments"] == len(expected)
        assert project.segment("sentence")["segments"] == 0  # nothing left undone either

        # A person's codings to train on: segments naming Moscow or a bribe, in the first documents.
        for segment in project.segments(["R001", "R002", "R003", "R004"]):
            for word, code in (("Moscow", "actors.russia"), ("bribe", "money")):
                if word in segment.text and segment.role == "respondent":
                    project.apply_code(int(segment.id or 0), code, "ann")

        run_pair(folder, db, "autocode", "--rules")
        again = project.autocode(rules=True)["rules.v1"]
        assert again["added"] == 0 and again["withdrawn"] == 0  # both runs together stored each suggestion once
        suggestions = project.codings("auto")
        assert not suggestions.duplicated(["segment_id", "code", "coder"]).any()

        codes = run_pair(folder, db, "train")
        project._model()  # the model file one of them wrote is whole
        with project.store.transaction() as session:
            trained = session.scalar(select(func.count(LogRow.id)).where(LogRow.action == Action.TRAIN.value))
        assert trained == codes.count(0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_run_in_progress_refuses_a_second_in_one_line_and_can_be_waited_for(tmp_path, backend):
    import threading
    import time

    from click.testing import CliRunner

    from coding.cli import main
    from coding.errors import BusyError
    from coding.project import create_project

    transcripts, metadata, codebook = write_corpus(tmp_path, documents=3)
    with database(backend) as db:
        project = create_project(tmp_path / "project", codebook=codebook, db=db)
        project.ingest([transcripts])
        with project.store.step_lock("segment"):
            with pytest.raises(BusyError, match=r"another segment run is in progress \(pid \d+ on "):
                project.segment("turn")
            args = ["--project", str(project.folder), *(["--db", db] if db else []), "segment", "--unit", "turn"]
            result = CliRunner().invoke(main, args)
            assert result.exit_code == 2
            assert result.output.count("\n") == 1 and "another segment run is in progress" in result.output
            assert project.counts()["segments"] == 0
            with project.store.step_lock("autocode"):  # another step's lock is another's: not held up
                pass

        released = threading.Event()

        def hold() -> None:
            with project.store.step_lock("segment"):
                released.wait(5)
                time.sleep(0.3)

        holder = threading.Thread(target=hold)
        holder.start()
        time.sleep(0.2)
        released.set()
        assert project.segment("turn", wait=20)["segments"] > 0  # waited for the other run, then did the work
        holder.join()


def test_a_lock_left_by_a_killed_run_does_not_block_the_project(tmp_path):
    import datetime as dt
    import socket

    from coding.project import create_project
    from coding.store.schema import StepLock

    transcripts, metadata, codebook = write_corpus(tmp_path, documents=2)
    project = create_project(tmp_path / "project", codebook=codebook)
    project.ingest([transcripts])
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    with project.store.transaction(write=True) as session:  # what a run killed with SIGKILL leaves behind
        session.add(
            StepLock(
                step="segment",
                token="x" * 32,
                pid=int(gone.stdout),
                host=socket.gethostname(),
                started_at=dt.datetime(2026, 1, 1),
            )
        )
    assert project.segment("turn")["segments"] > 0
    with project.store.transaction() as session:
        assert session.query(StepLock).count() == 0


def test_two_ingest_runs_of_a_folder_with_new_respondents_in_one_process(tmp_path):
    """The library (not only the command) takes the lock: threads of one process (the dashboard) too."""
    import threading

    from coding.errors import BusyError
    from coding.project import create_project

    transcripts, metadata, codebook = write_corpus(tmp_path, documents=30)
    project = create_project(tmp_path / "project", codebook=codebook)
    outcomes: list[object] = []

    def ingest() -> None:
        try:
            outcomes.append(project.ingest([transcripts], metadata=metadata))
        except BusyError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=ingest) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 2 and any(not isinstance(o, BusyError) for o in outcomes)
    assert project.counts()["documents"] == 30 and project.counts()["respondents"] == 30


def test_segments_cut_from_a_text_replaced_meanwhile_are_not_stored_on_the_new_one(tmp_path):
    """A segment run that read a document just before `ingest --replace` changed it stores nothing for it."""
    from coding.project import create_project
    from coding.store import segments as stored_segments

    transcripts, metadata, codebook = write_corpus(tmp_path, documents=2)
    project = create_project(tmp_path / "project", codebook=codebook)
    project.ingest([transcripts])
    documents = project.documents()  # what a segment run read
    cut = project._segment(documents, "paragraph")
    path = transcripts / "R001.txt"
    path.write_text("Interviewer: Again?\n\nR001: A different answer altogether.\n", encoding="utf-8")
    project.ingest([path], replace=True)
    with project.store.transaction(write=True) as session:
        added = stored_segments.add_segments(session, cut, "paragraph", {d.name: d.sha256 for d in documents})
    assert added == len([s for s in cut if s.document == "R002"])
    assert project.segment("paragraph")["documents"] == 1  # R001's new text is segmented from itself
    texts = {s.document: s.text for s in project.segments(["R001"])}
    assert texts == {"R001": "A different answer altogether."}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_run_killed_while_it_holds_the_lock_does_not_block_the_next(tmp_path, backend):
    """SIGKILL mid-run: no release, no cleanup. The next run finds the lock stale (its process is gone, or
    PostgreSQL ended its session) and does the whole work once."""
    import dataclasses
    import signal
    import time

    from coding.config import write_config
    from coding.project import create_project, open_project
    from coding.store.locks import holder

    # Enough documents that the run still holds its lock when the kill comes, on a fast machine too.
    transcripts, metadata, codebook = write_corpus(tmp_path, documents=600)
    with database(backend) as db:
        folder = tmp_path / "project"
        created = create_project(folder, codebook=codebook, db=db)
        write_config(folder, dataclasses.replace(created.config, pipeline="blank"))
        created.ingest([transcripts])
        process = start(folder, db, "segment", "--unit", "sentence")
        deadline = time.monotonic() + 120
        while holder(created.store.engine, "segment") is None and process.poll() is None:
            assert time.monotonic() < deadline, "the segment run never took its lock"
            time.sleep(0.02)
        assert process.poll() is None, "the segment run ended before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        project = open_project(folder, db)
        assert process.returncode == -signal.SIGKILL
        assert holder(project.store.engine, "segment") is not None  # left behind: a killed run cleans nothing
        result = project.segment("sentence")
        assert result["documents"] == 600 or project.counts()["segments"] > 0
        assert holder(project.store.engine, "segment") is None
        frame = project.segments_frame()
        assert not frame.duplicated(["document", "position"]).any()
        assert set(frame["document"]) == {f"R{n:03d}" for n in range(1, 601)}
