"""The crosstab's roll-up in a new process on a kept project: code sets rolled up to their parents and summed
per respondent, first call and later ones (bench/README.md, fifth round).

    .venv/bin/python bench/rollup.py PROJECT [--db URL] [--repeat 3]

Prints the rows the database gives (respondent, code set), how many distinct code sets they hold, and the
seconds of `analysis.rolled_code_sets` and `analysis.per_respondent` on them, then of a warm crosstab.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", type=Path)
    parser.add_argument("--db", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import coding
    from coding import analysis

    project = coding.open_project(args.project, db=args.db)
    codebook = project.codebook
    codes = [code.id for code in codebook.tree_order()]
    with project.store.transaction() as session:
        counted = project._counts.mask_counts(session, project.unit, codes, "human", None)
    for call in range(args.repeat):
        started = time.perf_counter()
        sets, row_set = analysis.rolled_code_sets(counted.masks, codes, codebook)
        rolled = time.perf_counter()
        analysis.per_respondent(counted.respondents or [], sets, row_set, counted.segments)
        summed = time.perf_counter()
        if call == 0:
            print(f"{len(counted.masks):,} (respondent, code set) rows, {len(sets):,} distinct code sets")
        print(f"call {call + 1}: roll-up {rolled - started:.3f} s, per-respondent sums {summed - rolled:.3f} s")
    for _ in range(args.repeat):
        started = time.perf_counter()
        project.crosstab("group", "segments")
        print(f"warm crosstab by group {time.perf_counter() - started:.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
