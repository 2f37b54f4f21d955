"""The agreement table's speed and peak memory on a kept project (bench/README.md, eighth round).

    .venv/bin/python bench/agreement_speed.py PROJECT [--coders gold,second] [--db URL]

Two parts, each in a new process:
- database: `Project.agree` counted in the database with the kept counts moved aside (put back afterwards):
  the first table ("documents"), then the other units and the coders in the other order, which the count
  made once for every coder answers;
- frames: what the Agreement page does once it holds every coding: the decisions and segments frames read,
  the accepted rows taken from them, then the table from them for both units.
Seconds for each call and the process's peak MB are printed.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("database", "frames")
T = TypeVar("T")


def run_part(part: str, folder: Path, coders: list[str], db: str | None) -> list[tuple[str, float]]:
    """(what, seconds) for each call of one part, in this process."""
    sys.path.insert(0, str(ROOT))
    warnings.simplefilter("ignore")
    import coding
    from coding.intercoder import accepted

    project = coding.open_project(folder, db=db)
    timed: list[tuple[str, float]] = []

    def timing(what: str, call: Callable[[], T]) -> T:
        started = time.perf_counter()
        result = call()
        timed.append((what, time.perf_counter() - started))
        return result

    if part == "database":
        timing("first table (documents)", lambda: project.agree(coders, "documents"))
        timing("the other units (touched)", lambda: project.agree(coders, "touched"))
        timing("the coders in the other order", lambda: project.agree(coders[::-1], "documents"))
    else:
        decided, segments = timing("frames read", lambda: (project.decisions(), project.segments_frame()))
        chosen = timing("accepted rows", lambda: accepted(decided))
        for units in ("documents", "touched"):
            timing(f"table from frames ({units})", partial(project.agree, coders, units, chosen, segments))
    return timed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", type=Path)
    parser.add_argument("--coders", default="gold,second")
    parser.add_argument("--db", default=None)
    parser.add_argument("--part", choices=PARTS, help=argparse.SUPPRESS)  # the child process's own part
    args = parser.parse_args()
    coders = args.coders.split(",")
    if args.part:
        timed = run_part(args.part, args.project, coders, args.db)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"timed": timed, "peak_mb": peak}))
        return 0
    from counts_aside import run_part as run_process

    for part in PARTS:
        command = [sys.executable, __file__, str(args.project), "--coders", args.coders, "--part", part]
        command += ["--db", args.db] if args.db else []
        output = run_process(args.project, command, counts_aside=part == "database")  # counted afresh
        figures = json.loads(output.strip().splitlines()[-1])
        for what, seconds in figures["timed"]:
            print(f"{part:<9} {what:<32} {seconds:8.2f} s", flush=True)
        print(f"{part:<9} {'peak of the process':<32} {figures['peak_mb']:8.0f} MB", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
