"""Peak memory of the parts of `import-codings` and of the dashboard's heavy reads, each in a new process, on a
kept project (bench/README.md, seventh round). Run it on a copy: the import part imports the file again
(nothing new is added when it was imported before, but the audit log gets an entry).

    .venv/bin/python bench/memory_parts.py PROJECT --codings CSV [--coder NAME] [--db URL]

Parts: checking the file (document lengths, rows kept as numbers); checking and storing it; the count for the
dashboard at the end of a bulk command (`Project.keep_counts`, counted afresh: the kept counts are moved
aside for it and put back); the frames of every coding and segment (what the dashboard's filters and pages
that need every coding read); the agreement table of the first two coders counted in the database.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("check", "import", "keep_counts", "frames", "agreement")


def run_part(part: str, folder: Path, codings: Path, coder: str, db: str | None) -> dict[str, float]:
    """One part in this process; its seconds and the process's peak MB (after the library's imports)."""
    sys.path.insert(0, str(ROOT))
    warnings.simplefilter("ignore")
    import coding
    from coding import codings_io

    project = coding.open_project(folder, db=db)
    started = time.perf_counter()
    if part in ("check", "import"):
        texts = codings_io.DocumentTexts(project.store.document_lengths(), project.store.document_texts)
        rows = codings_io.read_codings_csv(codings, texts, set(project.codebook.by_id()), coder)
        if part == "import":
            codings_io.import_codings(project.store, codings, rows, project.unit, coder)
    elif part == "keep_counts":
        project.keep_counts()
    elif part == "frames":
        project.decisions()
        project.segments_frame()
    else:
        project.agree(project.coders()[:2])
    return {
        "seconds": time.perf_counter() - started,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", type=Path)
    parser.add_argument("--codings", type=Path, required=True)
    parser.add_argument("--coder", default="gold")
    parser.add_argument("--db", default=None)
    parser.add_argument("--part", choices=PARTS, help=argparse.SUPPRESS)  # the child process's own part
    args = parser.parse_args()
    if args.part:
        print(json.dumps(run_part(args.part, args.project, args.codings, args.coder, args.db)))
        return 0
    from counts_aside import run_part as run_process

    for part in PARTS:
        command = [sys.executable, __file__, str(args.project), "--codings", str(args.codings)]
        command += ["--coder", args.coder, "--part", part] + (["--db", args.db] if args.db else [])
        output = run_process(args.project, command, counts_aside=part in ("keep_counts", "agreement"))
        figures = json.loads(output.strip().splitlines()[-1])
        print(f"{part:<12} {figures['seconds']:8.1f} s {figures['peak_mb']:8.0f} MB", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
