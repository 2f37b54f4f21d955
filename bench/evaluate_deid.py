"""Recall of identifying mentions and retention of public names on a labelled corpus.

    .venv/bin/python bench/evaluate_deid.py [--corpus ../shared/eval-dev] [--pii PII.jsonl] [--show-misses]

Runs de-identification with no roster, with a roster holding only the respondents' own names and (with
--lowercase) on a copy whose body lines are all lower-cased, and prints recall and retention as defined
in coding/deidentify/evaluate.py and docs/deidentification.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from coding.deidentify.evaluate import evaluate, load_planted, respondent_roster  # noqa: E402
from coding.transcripts import LABEL_RE  # noqa: E402


def lowercased_copy(corpus: Path, target: Path) -> Path:
    """The corpus with every body line lower-cased after its speaker label (front matter unchanged)."""
    target.mkdir(parents=True)
    for path in sorted(corpus.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        head, body = ("", text)
        if text.startswith("---\n"):
            end = text.index("\n---\n", 4) + 5
            head, body = text[:end], text[end:]
        lines = []
        for line in body.split("\n"):
            label = LABEL_RE.match(line)
            cut = label.end() if label else 0
            lines.append(line[:cut] + line[cut:].lower())
        (target / path.name).write_text(head + "\n".join(lines), encoding="utf-8")
    return target


TARGETS = {"recall_no_roster": 0.98, "recall_roster": 1.0, "retention": 0.95}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "eval-dev")
    parser.add_argument("--pii", type=Path, default=None, help="default: CORPUS/pii.jsonl")
    parser.add_argument("--pipeline", default=None)
    parser.add_argument("--show-misses", action="store_true", help="list missed and lost mentions")
    parser.add_argument("--lowercase", action="store_true", help="also run on a lower-cased copy (recall only)")
    args = parser.parse_args()
    pii = args.pii or args.corpus / "pii.jsonl"
    if not pii.exists():
        print(f"no labelled mentions at {pii}", file=sys.stderr)
        return 2
    planted = load_planted(pii)
    ok = True
    for label, roster in (("no roster", None), ("respondents' names as roster", respondent_roster(planted))):
        started = time.perf_counter()
        result = evaluate(args.corpus, pii, roster=roster, pipeline=args.pipeline)
        seconds = time.perf_counter() - started
        print(
            f"{label:30s} recall {result.recall:.3f} ({result.removed}/{result.must_remove})  "
            f"retention {result.retention:.3f} ({result.retained}/{result.public})  {seconds:.1f}s"
        )
        target = TARGETS["recall_roster" if roster else "recall_no_roster"]
        ok = ok and result.recall >= target and result.retention >= TARGETS["retention"]
        if args.show_misses:
            for item in result.missed:
                print(f"    missed {item.doc} {item.kind:8s} {item.text!r}")
            for item in result.lost:
                print(f"    lost   {item.doc} {item.kind:8s} {item.text!r}")
    if args.lowercase:
        with tempfile.TemporaryDirectory() as tmp:
            lowered = lowercased_copy(args.corpus, Path(tmp) / "lower")
            result = evaluate(lowered, pii, pipeline=args.pipeline)
        print(f"{'lower-cased body, no roster':30s} recall {result.recall:.3f} ({result.removed}/{result.must_remove})")
        if args.show_misses:
            for item in result.missed:
                print(f"    missed {item.doc} {item.kind:8s} {item.text!r}")
    print("targets met" if ok else "below target (recall >= 0.98 / 1.0 with roster, retention >= 0.95)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
