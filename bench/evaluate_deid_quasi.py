"""Quasi-identifiers flagged, direct recall, public names kept and ordinary words kept, with no roster.

    .venv/bin/python bench/evaluate_deid_quasi.py [--corpus ../shared/eval-dev] [--show]

Reads CORPUS/pii.jsonl (direct identifiers and public names) and CORPUS/quasi.jsonl (quasi-identifiers
to flag and look-alikes not to flag, by kind); definitions in coding/deidentify/evaluate.py and
docs/deidentification.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from coding.deidentify.evaluate import load_planted, load_quasi, run, score, score_quasi, score_words  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "eval-dev")
    parser.add_argument("--pipeline", default=None)
    parser.add_argument("--show", action="store_true", help="list misses, false alarms and lost words")
    args = parser.parse_args()
    pii, quasi = args.corpus / "pii.jsonl", args.corpus / "quasi.jsonl"
    if not pii.exists() or not quasi.exists():
        print(f"no labelled mentions at {pii} / {quasi}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    report, outputs = run(args.corpus, pipeline=args.pipeline)
    seconds = time.perf_counter() - started
    direct = score(load_planted(pii), outputs)
    flags = score_quasi(load_quasi(quasi), report)
    words = score_words(report)
    print(f"de-identified {len(report.files)} files in {seconds:.1f}s, no roster")
    print(f"direct identifiers removed   {direct.recall:.3f} ({direct.removed}/{direct.must_remove})")
    print(f"public names kept            {direct.retention:.3f} ({direct.retained}/{direct.public})")
    survived = words.lowercase - len(words.lowercase_lost) - len(words.inside_names)
    print(
        f"ordinary words kept          {words.kept:.4f} ({survived}/{words.lowercase} lower-case words); "
        f"lost alone {len(words.lowercase_lost)}, inside a replaced capitalised name {len(words.inside_names)}; "
        f"capitalised ordinary words replaced {len(words.capitalised_ordinary_replaced)}"
    )
    flagged, to_flag = sum(flags.flagged.values()), sum(flags.to_flag.values())
    alarms, look_alikes = sum(flags.false_alarms.values()), sum(flags.look_alikes.values())
    print(
        f"quasi-identifiers flagged    {flags.recall:.3f} ({flagged}/{to_flag}); "
        f"look-alikes flagged {alarms}/{look_alikes}"
    )
    print(f"  {'kind':20s} {'flagged':>10s} {'false alarms':>14s}")
    for kind in sorted(set(flags.to_flag) | set(flags.look_alikes)):
        got, total = flags.flagged.get(kind, 0), flags.to_flag.get(kind, 0)
        bad, near = flags.false_alarms.get(kind, 0), flags.look_alikes.get(kind, 0)
        print(f"  {kind:20s} {got:>4d}/{total:<5d} {bad:>7d}/{near:<6d}")
    if args.show:
        for item in direct.missed:
            print(f"    missed direct {item.doc} {item.kind:8s} {item.text!r}")
        for item in direct.lost:
            print(f"    lost public   {item.doc} {item.kind:8s} {item.text!r}")
        for item in flags.missed:
            print(f"    not flagged   {item.doc} {item.kind:18s} {item.text!r}")
        for item in flags.alarms:
            print(f"    false alarm   {item.doc} {item.kind:18s} {item.text!r}")
        print(f"    lower-case words lost: {Counter(words.lowercase_lost).most_common()}")
        print(f"    lower-case words inside replaced names: {Counter(words.inside_names).most_common()}")
        print(f"    capitalised ordinary words replaced: {Counter(words.capitalised_ordinary_replaced).most_common()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
