"""The library calls the dashboard's first page makes, each timed once in a new process on a kept project.

    .venv/bin/python bench/first_calls.py PROJECT [--db URL]

In the order Themes makes them: project counts, coders, respondents, the crosstab by group (segments,
then respondents), its column bases, the segments behind the largest total and the state token. A call the
last bulk command counted ahead (`Project.keep_counts`) is read from .qcode/counts/; run with
`--no-count-ahead` imports or after deleting that folder to see what counting costs.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", type=Path)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import coding
    from coding.analysis import TOTAL

    project = coding.open_project(args.project, db=args.db)
    table = {}

    def crosstab() -> None:
        table["segments"] = project.crosstab("group", "segments")

    calls: list[tuple[str, Callable[[], object]]] = [
        ("counts()", project.counts),
        ("coders()", project.coders),
        ("respondents()", project.respondents),
        ("crosstab by group, segments", crosstab),
        ("crosstab by group, respondents", lambda: project.crosstab("group", "respondents")),
        ("column bases, segments", lambda: project.column_bases("group", "segments")),
        ("segments behind the largest total", lambda: project.cell_segments(str(table["segments"][TOTAL].idxmax()))),
        ("state token", project.state_token),
    ]
    for name, call in calls:
        started = time.perf_counter()
        call()
        print(f"{name:<36} {time.perf_counter() - started:7.3f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
