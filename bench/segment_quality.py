"""Junk coding units: units without a word, and sentence cuts at a placeholder or an annotation.

    .venv/bin/python bench/segment_quality.py [TRANSCRIPT_DIR ...]

Each folder (default: the demo corpus and ../shared/eval-dev) is segmented into sentences twice: as it is,
and de-identified first (the placeholders "[PERSON_2]" that de-identification writes are where spaCy's
sentence splitter cut units in two). Prints, per folder and form, the units and both problem counts.
The targets are 0 and 0 (issue 12).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

from coding.deidentify import deidentify_folder  # noqa: E402
from coding.nlp import load_pipeline  # noqa: E402
from coding.segment import segment_documents, unit_problems  # noqa: E402
from coding.transcripts import find_transcripts, read_transcript  # noqa: E402

DEFAULT_FOLDERS = [REPO / "corpus" / "transcripts", REPO.parent / "shared" / "eval-dev"]


def measure(folder: Path) -> tuple[int, int, int]:
    nlp = load_pipeline(None, "segment")
    documents = [read_transcript(path) for path in find_transcripts([folder])]
    segments = segment_documents(documents, "sentence", nlp)
    units = wordless = cuts = 0
    for document in documents:
        spans = [(s.start, s.end) for s in segments if s.document == document.name]
        problems = unit_problems(document.text, spans)
        units, wordless, cuts = units + len(spans), wordless + problems[0], cuts + problems[1]
    return units, wordless, cuts


def main(argv: list[str]) -> int:
    folders = [Path(a) for a in argv] or [f for f in DEFAULT_FOLDERS if f.exists()]
    print(f"{'folder':<28} {'form':<15} {'units':>7} {'no word':>8} {'bad cuts':>9}")
    for folder in folders:
        with tempfile.TemporaryDirectory() as scratch:
            deidentified = Path(scratch) / "out"
            deidentify_folder(folder, deidentified, key_path=Path(scratch) / "key.json")
            for form, path in (("as written", folder), ("de-identified", deidentified)):
                units, wordless, cuts = measure(path)
                print(f"{folder.name:<28} {form:<15} {units:>7} {wordless:>8} {cuts:>9}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
