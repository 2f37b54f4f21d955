"""De-identification speed against the bare NER pipeline over the same text (target: ratio <= 1.3).

    .venv/bin/python bench/deidentify_speed.py [--corpus ../shared/eval-dev] [--repeat 3]

The floor is `nlp.pipe` over the transcript bodies with the pipeline loaded for the "ner" purpose
(tok2vec + ner); the full run is deidentify_folder on the same files (reading, every detector,
propagation, pseudonyms, writing the output, key and audit). Both are timed after one warm-up run,
alternately, best of --repeat each.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from coding.deidentify import deidentify_folder  # noqa: E402
from coding.nlp import load_pipeline  # noqa: E402
from coding.transcripts import find_transcripts, read_text_file, split_front_matter  # noqa: E402


def best_of(repeat: int, run: Callable[[], None]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "eval-dev")
    parser.add_argument("--copies", type=int, default=3, help="copies of the corpus to time (more text)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pipeline", default=None)
    args = parser.parse_args()
    files = find_transcripts([args.corpus])
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "in"
        for copy in range(args.copies):
            for path in files:
                target = corpus / f"{path.stem}_{copy}{path.suffix}"
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
        bodies = [split_front_matter(read_text_file(p)).body for p in find_transcripts([corpus])]
        words = sum(len(body.split()) for body in bodies)
        nlp = load_pipeline(args.pipeline, "ner")
        runs = iter(range(10_000))

        def full() -> None:
            n = next(runs)
            deidentify_folder(
                corpus, Path(tmp) / f"out{n}", key_path=Path(tmp) / f"key{n}.json", pipeline=args.pipeline
            )

        def bare() -> None:
            for _doc in nlp.pipe(bodies):
                pass

        bare()  # warm-up: model load and caches
        full()
        # alternate the two so that other jobs on a shared machine slow both alike; best of each
        bare_times, full_times = [], []
        for _ in range(args.repeat):
            bare_times.append(best_of(1, bare))
            full_times.append(best_of(1, full))
        bare_s, full_s = min(bare_times), min(full_times)
    print(f"text: {len(bodies)} files, {words} words; pipes: {', '.join(nlp.pipe_names)}")
    print(f"bare NER         {bare_s:7.2f} s  {words / bare_s:8.0f} words/s")
    print(f"de-identify      {full_s:7.2f} s  {words / full_s:8.0f} words/s")
    print(f"ratio            {full_s / bare_s:7.2f}  (target <= 1.30)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
