"""Run a part of a benchmark in a new process with the project's kept counts moved aside, so that it counts
afresh instead of reading them from disk; the kept counts are put back afterwards, whatever happens."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path


def run_part(project: Path, command: list[str], counts_aside: bool) -> str:
    """The standard output of command, run with project/.qcode/counts moved aside when counts_aside is true."""
    kept = project / ".qcode" / "counts"
    aside = Path(tempfile.mkdtemp(prefix="qcode-counts-"))
    if counts_aside and kept.is_dir():
        shutil.move(str(kept), str(aside / "counts"))
    try:
        return subprocess.run(command, check=True, capture_output=True, text=True).stdout
    finally:
        if (aside / "counts").is_dir():
            shutil.rmtree(kept, ignore_errors=True)
            shutil.move(str(aside / "counts"), str(kept))
        shutil.rmtree(aside, ignore_errors=True)
