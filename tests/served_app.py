"""A Streamlit server for browser tests: started in its own process group, answered on its health endpoint,
and stopped (with every child) when the test is done."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(
    command_for: Callable[[int], list[str]], log_path: Path, env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """Run command_for(port) until its /_stcore/health answers; yield the server's URL."""
    port = free_port()
    with log_path.open("w") as log:
        # Its own process group: `qcode app` starts Streamlit as a child, and both must stop at the end.
        process = subprocess.Popen(
            command_for(port),
            cwd=REPO,
            env=dict(env) if env is not None else None,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    raise RuntimeError(log_path.read_text())
                time.sleep(0.5)
            yield url
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
