"""`kill` (SIGTERM) during a step with worker processes ends it as Ctrl+C does: nothing stored, no worker left
running orphaned (they held the spaCy pipeline and the caller's output pipes)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from coding.resources import demo_corpus


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(child) for child in text.split()]


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def qcode(*args: object) -> list[str]:
    return [sys.executable, "-m", "coding", *map(str, args)]


def test_sigterm_during_segment_leaves_no_workers_and_stores_nothing(tmp_path: Path) -> None:
    if not Path("/proc/self/task").exists():
        import pytest

        pytest.skip("needs Linux's /proc to see the worker processes")
    project = tmp_path / "study"
    subprocess.run(qcode("init", project), check=True, capture_output=True)
    # Enough text that cutting it takes seconds: the signal must come while the workers work, not while the
    # process is already ending (Python gives SIGTERM back its default handling as it exits).
    transcripts = tmp_path / "transcripts"
    transcripts.mkdir()
    for source in sorted((demo_corpus() / "transcripts").glob("*.txt")):
        for copy in range(50):
            (transcripts / f"{source.stem}-{copy}.txt").write_bytes(source.read_bytes())
    subprocess.run(qcode("ingest", transcripts, "--project", project), check=True, capture_output=True)
    step = subprocess.Popen(
        qcode("segment", "--jobs", "2", "--project", project), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    workers: list[int] = []
    deadline = time.monotonic() + 120
    while len(workers) < 2 and step.poll() is None and time.monotonic() < deadline:
        workers = children(step.pid)
        time.sleep(0.005)
    assert len(workers) == 2, "segment ended before its workers could be seen"
    time.sleep(0.1)  # past the fork itself: a signal inside fork's own handlers is not raised (Python ignores it)
    assert step.poll() is None, "segment ended before it could be stopped"
    os.kill(step.pid, signal.SIGTERM)
    _, stderr = step.communicate(timeout=60)  # returns only once every holder of the pipes has gone
    assert step.returncode == 1, (workers, stderr)
    assert b"qcode: aborted" in stderr and b"Traceback" not in stderr
    for _ in range(100):
        if not any(running(worker) for worker in workers):
            break
        time.sleep(0.05)
    assert not any(running(worker) for worker in workers)
    with sqlite3.connect(project / "qcode.sqlite") as connection:
        assert connection.execute("select count(*) from segments").fetchone() == (0,)
