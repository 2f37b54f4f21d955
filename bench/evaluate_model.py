"""Quality of the learned coder on the dev set, by cross-validation grouped by respondent.

    .venv/bin/python bench/evaluate_model.py [EVAL_DEV_DIR] [--splits 6] [--codebook PATH] [--no-rules]

Reads gold.jsonl (one respondent turn per line: doc, turn, speaker, text, codes), trains on the turns
of some respondents and predicts the turns of the others, fold by fold, so no respondent is on both
sides. Prints per-code precision, recall, F1 and Cohen's kappa, the macro kappa over codes with at
least --min-positives positive turns, and the keyword-rule baseline on the same turns.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from coding.coders.model import ModelConfig, cross_validate_model  # noqa: E402


def read_gold(folder: Path) -> tuple[list[str], list[set[str]], list[str]]:
    texts, labels, groups = [], [], []
    with (folder / "gold.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                texts.append(row["text"])
                labels.append(set(row["codes"]))
                groups.append(row["doc"])
    return texts, labels, groups


def codebook_parts(path: Path) -> tuple[list[str], dict[str, str | None], object]:
    """Code ids (tree order), each code's parent, and the codebook itself."""
    from coding.codebook import load_codebook

    codebook = load_codebook(path)
    codes = [code.id for code in codebook.tree_order()]
    parents = {code.id: code.parent for code in codebook.codes}
    return codes, parents, codebook


def rule_hits(codebook: object, texts: list[str]) -> list[set[str]] | None:
    try:
        from coding.coders.rules import RuleCoder
    except ImportError:
        print("coding.coders.rules not available: no rule features, no baseline")
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return RuleCoder(codebook).match_texts(texts)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("eval_dev", nargs="?", default=str(REPO.parent / "shared" / "eval-dev"))
    parser.add_argument("--codebook", default=str(REPO / "codebooks" / "peace_process.yaml"))
    parser.add_argument("--splits", type=int, default=6, help="respondent-grouped folds (default 6)")
    parser.add_argument("--min-positives", type=int, default=8)
    parser.add_argument("--no-rules", action="store_true", help="train without rule hits (ablation)")
    parser.add_argument("--ablation", action="store_true", help="also cross-validate without rule hits")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown (for docs)")
    parser.add_argument("--csv", help="also write the per-code table here")
    args = parser.parse_args(argv)

    texts, labels, groups = read_gold(Path(args.eval_dev))
    codes, parents, codebook = codebook_parts(Path(args.codebook))
    hits = rule_hits(codebook, texts)

    def run(use_rules: bool) -> pd.DataFrame:
        config = ModelConfig(use_rules=use_rules)
        return cross_validate_model(
            texts,
            labels,
            groups,
            codes,
            rule_hits=hits,
            parents=parents,
            min_positives=args.min_positives,
            n_splits=args.splits,
            config=config,
        )

    started = time.perf_counter()
    table = run(not args.no_rules)
    seconds = time.perf_counter() - started
    if args.ablation:
        table["kappa_without_rules"] = run(False)["kappa"]
    print(f"{len(texts)} turns, {len(set(groups))} respondents, {args.splits} grouped folds, {seconds:.1f} s")
    print(f"model: {'without' if args.no_rules or hits is None else 'with'} rule hits as calibration input")
    print(_markdown(table) if args.markdown else _format(table))
    _summary(table, args.min_positives)
    if args.csv:
        table.to_csv(args.csv)
    return 0


def _format(table: pd.DataFrame) -> str:
    shown = table.drop(columns=["status"]).copy()
    if "rules_kappa" in shown:
        shown["beats_rules"] = (shown["kappa"] > shown["rules_kappa"]).where(shown["kappa"].notna())
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.3f}".format):
        return shown.to_string()


def _markdown(table: pd.DataFrame) -> str:
    columns = ["n_positives", "precision", "recall", "f1", "kappa"]
    columns += [c for c in ("kappa_without_rules", "rules_kappa") if c in table]
    lines = ["| code | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for code, row in table.iterrows():
        cells = [str(int(row["n_positives"]))] + ["" if pd.isna(row[c]) else f"{row[c]:.3f}" for c in columns[1:]]
        lines.append(f"| {code} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _summary(table: pd.DataFrame, min_positives: int) -> None:
    codes = table.drop(index="macro")
    modelled = codes[codes["n_positives"] >= min_positives]
    print(
        f"\nmacro kappa over {len(modelled)} codes with >= {min_positives} positives: {table.loc['macro', 'kappa']:.3f}"
    )
    if "rules_kappa" in table:
        print(f"keyword rules, same codes: {table.loc['macro', 'rules_kappa']:.3f}")
        behind = modelled[modelled["kappa"] <= modelled["rules_kappa"]]
        verdict = ", ".join(f"{c} ({r.kappa:.2f} vs {r.rules_kappa:.2f})" for c, r in behind.iterrows()) or "none"
        print(f"codes where the model does not beat the rules: {verdict}")
    too_few = codes[codes["n_positives"] < min_positives]
    for code, row in too_few.iterrows():
        print(f"not modelled: {code}: too few examples (n={int(row['n_positives'])})")


if __name__ == "__main__":
    raise SystemExit(main())
