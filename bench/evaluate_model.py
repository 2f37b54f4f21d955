"""Honest quality of the learned coder on the dev set: nested and leave-one-group-out estimates.

    .venv/bin/python bench/evaluate_model.py [EVAL_DEV_DIR] [--splits 6] [--codebook PATH]
        [--candidates baseline,rules,codebook,nbsvm,question,neighbours,default] [--against NAME] [--show NAME]
        [--nested] [--no-rules] [--markdown]

Reads gold.jsonl (one respondent turn per line: doc, turn, speaker, text, codes), the transcripts
(for each turn's interviewer question and neighbouring turns) and respondents.csv (each respondent's
group). For every candidate configuration it prints the macro kappa with its 95% bootstrap interval
over respondents, from respondent-grouped CV and from leave-one-group-out (train without one group of
respondents, test on it). With --nested it also runs nested CV: each outer fold chooses among the
candidates by inner respondent-grouped CV on its training part only. The per-code table of the
default configuration shows each code's kappa and interval next to the plain baseline's.
Suggestions include the rule fallback of codes without a classifier (what a person is shown).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from coding.coders.context import Unit, unit_contexts  # noqa: E402
from coding.coders.evaluation import Inputs, group_folds, nested_estimate, predictions  # noqa: E402
from coding.coders.metrics import bootstrap_difference, indicator  # noqa: E402
from coding.coders.model import ModelConfig, evaluation_table, grouped_folds  # noqa: E402

BASELINE = ModelConfig(
    nb_scaling=False, codebook_text=False, use_rules=False, question_weight=0.0, neighbour_weight=0.0
)
CANDIDATES = {  # simplest first: nested selection prefers the earlier of near-equals
    "baseline": BASELINE,
    "rules": replace(BASELINE, use_rules=True),
    "codebook": replace(BASELINE, use_rules=True, codebook_text=True),
    "nbsvm": replace(BASELINE, nb_scaling=True, codebook_text=True, use_rules=True),
    "question": replace(BASELINE, use_rules=True, codebook_text=True, question_weight=0.5),
    "question_chars": replace(BASELINE, use_rules=True, codebook_text=True, question_weight=0.5, context_chars=True),
    "neighbours": replace(BASELINE, use_rules=True, codebook_text=True, neighbour_weight=0.3),
}
DEFAULT = "default"


def read_gold(folder: Path) -> tuple[list[str], list[set[str]], list[str], list[int]]:
    texts, labels, groups, turns = [], [], [], []
    with (folder / "gold.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                texts.append(row["text"])
                labels.append(set(row["codes"]))
                groups.append(row["doc"])
                turns.append(int(row["turn"]))
    return texts, labels, groups, turns


def contexts(folder: Path, docs: list[str], turns: list[int]) -> tuple[list[str], list[str]]:
    """Each gold turn's interviewer question and neighbouring respondent turns, from the transcripts."""
    from coding.transcripts import read_transcript

    found: dict[tuple[str, int], tuple[str, str]] = {}
    for doc in sorted(set(docs)):
        document = read_transcript(folder / f"{doc}.txt")
        units = [Unit(doc, turn.role, document.text[turn.start : turn.end]) for turn in document.turns]
        questions, neighbours = unit_contexts(units)
        for turn, question, neighbour in zip(document.turns, questions, neighbours, strict=True):
            found[(doc, turn.index)] = (question, neighbour)
    pairs = [found.get((doc, turn), ("", "")) for doc, turn in zip(docs, turns, strict=True)]
    return [q for q, _ in pairs], [n for _, n in pairs]


def respondent_groups(folder: Path) -> dict[str, str]:
    with (folder / "respondents.csv").open(encoding="utf-8") as handle:
        return {row["respondent_id"]: row["group"] for row in csv.DictReader(handle)}


def load_inputs(folder: Path, codebook_path: Path) -> tuple[Inputs, list[str]]:
    from coding.codebook import load_codebook
    from coding.coders.rules import RuleCoder

    texts, labels, docs, turns = read_gold(folder)
    codebook = load_codebook(codebook_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hits = RuleCoder(codebook).match_texts(texts)
    questions, neighbours = contexts(folder, docs, turns)
    group_of = respondent_groups(folder)
    data = Inputs(texts, labels, docs, [c.id for c in codebook.tree_order()], hits, codebook, questions, neighbours)
    return data, [group_of.get(doc, doc) for doc in docs]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("eval_dev", nargs="?", default=str(REPO.parent / "shared" / "eval-dev"))
    parser.add_argument("--codebook", default=str(REPO / "codebooks" / "peace_process.yaml"))
    parser.add_argument("--splits", type=int, default=6, help="respondent-grouped outer folds (default 6)")
    parser.add_argument("--inner", type=int, default=5, help="inner folds of the nested selection (default 5)")
    parser.add_argument("--candidates", default=",".join(CANDIDATES), help="comma-separated candidate names")
    parser.add_argument("--min-positives", type=int, default=3, help="codes in the macro need this many positives")
    parser.add_argument("--against", default="baseline", help="paired differences against this candidate")
    parser.add_argument("--show", default=DEFAULT, help="candidate whose per-code table is printed")
    parser.add_argument("--nested", action="store_true", help="also run nested selection among the candidates")
    parser.add_argument(
        "--no-rules", action="store_true", help="give the model no rule hits (no blending, no fallback)"
    )
    parser.add_argument("--markdown", action="store_true", help="print the per-code table as Markdown")
    parser.add_argument("--csv", help="also write the per-code table here")
    args = parser.parse_args(argv)

    folder = Path(args.eval_dev)
    data, group_names = load_inputs(folder, Path(args.codebook))
    rule_table_hits = data.rule_hits
    if args.no_rules:
        data.rule_hits = None
    asked = args.candidates.split(",")
    # In the order of CANDIDATES (simplest first), whatever the order asked: nested selection depends on it.
    candidates = {name: config for name, config in {**CANDIDATES, DEFAULT: ModelConfig()}.items() if name in asked}
    if candidates.get(DEFAULT) in [c for n, c in candidates.items() if n != DEFAULT]:
        print(
            "note: the default configuration equals candidate",
            next(n for n, c in candidates.items() if n != DEFAULT and c == candidates[DEFAULT]),
        )
    grouped = grouped_folds(data.groups, args.splits, indicator(data.labels, data.code_ids))
    by_group = group_folds(group_names)
    print(
        f"{len(data.texts)} turns, {len(set(data.groups))} respondents in {len(set(group_names))} groups; "
        f"{args.splits} grouped folds; leave-one-group-out: {len(by_group)} folds"
    )
    tables: dict[str, pd.DataFrame] = {}
    found: dict[tuple[str, str], list[set[str]]] = {}
    evaluated = [code for code in data.code_ids if sum(code in s for s in data.labels) >= args.min_positives]
    for name, config in candidates.items():
        row = []
        for label, folds in (("grouped", grouped), ("leave-group-out", by_group)):
            started = time.perf_counter()
            found[name, label] = predictions(data, config, folds)
            table = evaluation_table(
                data.labels, found[name, label], data.groups, data.code_ids, rule_hits=rule_table_hits
            )
            tables.setdefault(name, table)
            macro = table.loc["macro"]
            seconds = time.perf_counter() - started
            row.append(f"{label} {macro.kappa:.3f} [{macro.kappa_low:.3f}, {macro.kappa_high:.3f}] ({seconds:.0f} s)")
            if args.against in candidates and name != args.against and (args.against, label) in found:
                gain = bootstrap_difference(
                    data.labels, found[args.against, label], found[name, label], data.groups, evaluated
                )
                row[-1] += f" vs {args.against} {gain[0]:+.3f} [{gain[1]:+.3f}, {gain[2]:+.3f}]"
        print(f"{name:>11}: " + "; ".join(row))
    if args.nested:
        for label, folds in (("grouped", grouped), ("leave-group-out", by_group)):
            started = time.perf_counter()
            estimate = nested_estimate(data, candidates, folds, inner_splits=args.inner)
            macro = estimate.table.loc["macro"]
            print(
                f"nested ({label} outer, {args.inner} grouped inner folds): {macro.kappa:.3f} "
                f"[{macro.kappa_low:.3f}, {macro.kappa_high:.3f}] chosen per outer fold: {', '.join(estimate.chosen)} "
                f"({time.perf_counter() - started:.0f} s)"
            )
    first = args.show if args.show in tables else next(iter(tables))
    shown = tables[first].copy()
    if "baseline" in tables and first != "baseline":
        base = tables["baseline"]
        shown["baseline_kappa"] = base["kappa"]
        shown["baseline_low"] = base["kappa_low"]
        shown["baseline_high"] = base["kappa_high"]
    print(f"\nper code, {first} (grouped folds):")
    print(_markdown(shown) if args.markdown else _format(shown))
    if args.csv:
        shown.to_csv(args.csv)
    return 0


def _format(table: pd.DataFrame) -> str:
    shown = table.drop(columns=["status"]).copy()
    with pd.option_context("display.width", 220, "display.max_columns", 30, "display.float_format", "{:.3f}".format):
        return shown.to_string()


def _markdown(table: pd.DataFrame) -> str:
    columns = ["n_positives", "precision", "recall", "kappa", "kappa_low", "kappa_high"]
    columns += [c for c in ("baseline_kappa", "baseline_low", "baseline_high", "rules_kappa") if c in table]
    lines = ["| code | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for code, row in table.iterrows():
        cells = [str(int(row["n_positives"]))] + ["" if pd.isna(row[c]) else f"{row[c]:.2f}" for c in columns[1:]]
        lines.append(f"| {code} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
