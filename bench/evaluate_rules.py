"""Measure the rule-based coder against the gold codes of the dev set, turn by turn.

    .venv/bin/python bench/evaluate_rules.py [DEV_DIR] [--codebook FILE] [--pipeline NAME] [--markdown]

DEV_DIR holds gold.jsonl: one line per respondent turn, {"doc", "turn", "speaker", "text", "codes"}.
Gold codes include a parent whenever a child is coded, and the coder implies parents the same way.
Prints, per code: support (gold turns), predicted turns, precision, recall, F1 and Cohen's kappa;
then micro (pooled over codes) and macro (mean over codes with support) rows. This is the baseline a
learned model has to beat; it is not a test.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sklearn.metrics import cohen_kappa_score

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

from coding.codebook import load_codebook  # noqa: E402
from coding.coders.rules import RuleCoder  # noqa: E402

DEFAULT_DEV = REPO.parent / "shared" / "eval-dev"
DEFAULT_CODEBOOK = REPO / "codebooks" / "peace_process.yaml"


@dataclass(frozen=True)
class Row:
    code: str
    support: int  # gold turns with the code
    predicted: int  # turns the rules gave the code
    precision: float
    recall: float
    f1: float
    kappa: float  # nan when undefined (a code absent from both gold and predictions)


def load_gold(dev_dir: Path) -> list[dict]:
    with (dev_dir / "gold.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def score_code(code: str, gold: list[set[str]], predicted: list[set[str]]) -> Row:
    truth = [code in codes for codes in gold]
    guess = [code in codes for codes in predicted]
    hits = sum(t and g for t, g in zip(truth, guess, strict=True))
    precision, recall = _ratio(hits, sum(guess)), _ratio(hits, sum(truth))
    kappa = float(cohen_kappa_score(truth, guess)) if any(truth) or any(guess) else math.nan
    return Row(code, sum(truth), sum(guess), precision, recall, _f1(precision, recall), kappa)


def evaluate(codes: list[str], gold: list[set[str]], predicted: list[set[str]]) -> list[Row]:
    """Per-code rows, then 'micro' and 'macro' (macro over codes with gold support)."""
    rows = [score_code(code, gold, predicted) for code in codes]
    hits = sum(len(g & (p & set(codes))) for g, p in zip(gold, predicted, strict=True))
    support = sum(row.support for row in rows)
    guessed = sum(row.predicted for row in rows)
    micro_p, micro_r = _ratio(hits, guessed), _ratio(hits, support)
    micro = Row("micro", support, guessed, micro_p, micro_r, _f1(micro_p, micro_r), math.nan)
    scored = [row for row in rows if row.support]
    means = {field: _mean(scored, field) for field in ("precision", "recall", "f1", "kappa")}
    macro = Row("macro", support, guessed, **means)
    return [*rows, micro, macro]


def _mean(rows: list[Row], field: str) -> float:
    values = [getattr(row, field) for row in rows if not math.isnan(getattr(row, field))]
    return sum(values) / len(values) if values else math.nan


@dataclass(frozen=True)
class Result:
    rows: list[Row]
    turns: int
    seconds: float  # matching only, without loading the pipeline
    pipeline: str

    def row(self, code: str) -> Row:
        return next(row for row in self.rows if row.code == code)


def run(dev_dir: Path, codebook_path: Path = DEFAULT_CODEBOOK, pipeline: str | None = None) -> Result:
    """Code every gold turn with the rules and score them."""
    records = load_gold(dev_dir)
    coder = RuleCoder(load_codebook(codebook_path), pipeline)
    started = time.perf_counter()
    predicted = coder.match_texts([record["text"] for record in records])
    elapsed = time.perf_counter() - started
    gold = [set(record["codes"]) for record in records]
    codes = [code.id for code in coder.codebook.tree_order()]
    return Result(evaluate(codes, gold, predicted), len(records), elapsed, coder.pipeline)


def _fmt(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}"


def format_plain(rows: list[Row]) -> str:
    width = max(len(row.code) for row in rows)
    lines = [f"{'code':<{width}}  support  predicted  precision  recall    f1  kappa"]
    for row in rows:
        lines.append(
            f"{row.code:<{width}}  {row.support:>7}  {row.predicted:>9}  {_fmt(row.precision):>9}  "
            f"{_fmt(row.recall):>6}  {_fmt(row.f1):>4}  {_fmt(row.kappa):>5}"
        )
    return "\n".join(lines)


def format_markdown(rows: list[Row]) -> str:
    lines = [
        "| code | support | predicted | precision | recall | F1 | kappa |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        name = f"**{row.code}**" if row.code in ("micro", "macro") else f"`{row.code}`"
        lines.append(
            f"| {name} | {row.support} | {row.predicted} | {_fmt(row.precision)} | {_fmt(row.recall)} "
            f"| {_fmt(row.f1)} | {_fmt(row.kappa)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dev_dir", nargs="?", type=Path, default=DEFAULT_DEV, help="folder with gold.jsonl")
    parser.add_argument("--codebook", type=Path, default=DEFAULT_CODEBOOK)
    parser.add_argument("--pipeline", default=None, help="spaCy pipeline name (default: best installed)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table for docs")
    args = parser.parse_args(argv)
    if not (args.dev_dir / "gold.jsonl").exists():
        print(f"error: {args.dev_dir / 'gold.jsonl'} not found", file=sys.stderr)
        return 2
    result = run(args.dev_dir, args.codebook, args.pipeline)
    print(format_markdown(result.rows) if args.markdown else format_plain(result.rows))
    print(
        f"\n{result.turns} turns, {RuleCoder.NAME} with pipeline {result.pipeline}, "
        f"matched in {result.seconds:.2f} s ({result.turns / max(result.seconds, 1e-9):.0f} turns/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
