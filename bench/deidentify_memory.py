"""Peak memory of `deidentify_folder` as the number of files grows (target: under 1 GB for 300 files).

    .venv/bin/python bench/deidentify_memory.py [--corpus ../shared/eval-dev] [--files 30 300]

Builds each corpus by copying the eval-dev transcripts under varied names (R001_Firstname_Lastname.txt,
with the respondent_id in the front matter changed to match), then runs, each in a fresh child process:
the floor (the pipeline loaded and run over one transcript) and the full de-identification of the
folder. Peak RSS is the child's ru_maxrss. Memory is flat when the full run's peak minus the floor
barely grows from the small corpus to the large one.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Invented names for the file names (not in the transcripts): the file names must not reach OUT.
FIRST = ["Aziza", "Farrukh", "Malika", "Rustam", "Shirin", "Dilshod", "Nodira", "Jamshed", "Gulbahor", "Timur"]
LAST = ["Karimova", "Nazarov", "Rahimova", "Saidov", "Yusupova", "Ergashev", "Mirzoeva", "Holov", "Qodirova"]

FLOOR = """
import sys
sys.path.insert(0, {repo!r})
from pathlib import Path
from coding.nlp import load_pipeline
nlp = load_pipeline(None, "ner")
text = Path({sample!r}).read_text(encoding="utf-8")
list(nlp.pipe([text]))
"""

FULL = """
import sys
sys.path.insert(0, {repo!r})
from coding.deidentify import deidentify_folder
report = deidentify_folder({raw!r}, {out!r}, key_path={key!r})
print(len(report.files))
"""


def make_corpus(corpus: Path, folder: Path, count: int) -> int:
    """`count` transcripts copied round-robin from `corpus`; returns the total size in bytes."""
    sources = sorted(corpus.glob("R*.txt"))
    folder.mkdir(parents=True)
    total = 0
    for index in range(count):
        source = sources[index % len(sources)]
        rid = f"R{index + 1:03d}"
        name = f"{rid}_{FIRST[index % len(FIRST)]}_{LAST[index % len(LAST)]}.txt"
        text = source.read_text(encoding="utf-8")
        text = re.sub(r"(?m)^respondent_id: .*$", f"respondent_id: {rid}", text, count=1)
        (folder / name).write_text(text, encoding="utf-8")
        total += len(text.encode("utf-8"))
    return total


def peak_rss_mb(code: str) -> float:
    """Peak RSS of a fresh child process running `code` (its own ru_maxrss, from wait4)."""
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"child failed with status {child.returncode}")
    return usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "eval-dev")
    parser.add_argument("--files", type=int, nargs="+", default=[30, 300])
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"{args.corpus}: no such corpus", file=sys.stderr)
        return 2
    sample = sorted(args.corpus.glob("R*.txt"))[0]
    floor = peak_rss_mb(FLOOR.format(repo=str(REPO), sample=str(sample)))
    print(f"floor (pipeline loaded, one transcript): peak RSS {floor:.0f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        for count in sorted(args.files):
            raw = Path(tmp) / f"raw{count}"
            size = make_corpus(args.corpus, raw, count)
            out, key = Path(tmp) / f"out{count}", Path(tmp) / f"out{count}.key.json"
            peak = peak_rss_mb(FULL.format(repo=str(REPO), raw=str(raw), out=str(out), key=str(key)))
            print(f"{count} files ({size / 1e6:.1f} MB): peak RSS {peak:.0f} MB, {peak - floor:.0f} MB above the floor")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
