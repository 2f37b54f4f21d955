"""Speed of the learned coder: train on 5,000 segments, predict 100,000, against a floor from the same run.

    .venv/bin/python bench/model_speed.py [EVAL_DEV_DIR] [--train 5000] [--predict 100000] [--unit sentence|turn]

Segments are made from the dev-set turns: one to three consecutive sentences of a turn (unit
'sentence', the default coding unit) or a whole turn (unit 'turn'), each carrying its turn's codes,
with about one word in ten altered so the model keeps meeting words it has not seen. The floor is
scikit-learn's plain TfidfVectorizer (word unigrams) fitted and applied to the same texts: what any
bag-of-words model must pay. Training has a second floor: one plain LinearSVC per code on that TF-IDF,
no cross-validation (what a one-vs-rest model without tuned thresholds costs). Machines here are
noisy, so the ratios are the figures to compare.

Training uses the default configuration as `qcode train` does: the codebook's texts as extra
positives, and each segment's interviewer question (that of its source turn) as context.
Rule hits are an input the caller computes (coding.coders.rules); the model's timings take them as
given, and the rules' own cost is measured on a sample and printed separately.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from coding.coders.context import Unit, unit_contexts  # noqa: E402
from coding.coders.model import train_model  # noqa: E402

SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def read_turns(folder: Path) -> list[dict]:
    with (folder / "gold.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _alter(word: str, rng: random.Random) -> str:
    return word + rng.choice("aeiou") + rng.choice("nrst") if rng.random() < 0.1 else word


def questions_of(folder: Path, turns: list[dict]) -> None:
    """Adds each gold turn's interviewer question (from its transcript) as turn["question"]."""
    from coding.transcripts import read_transcript

    found: dict[tuple[str, int], str] = {}
    for doc in sorted({turn["doc"] for turn in turns}):
        document = read_transcript(folder / f"{doc}.txt")
        units = [Unit(doc, t.role, document.text[t.start : t.end]) for t in document.turns]
        for t, question in zip(document.turns, unit_contexts(units)[0], strict=True):
            found[(doc, t.index)] = question
    for turn in turns:
        turn["question"] = found.get((turn["doc"], turn["turn"]), "")


def make_segments(
    turns: list[dict], n: int, unit: str, seed: int, questions: list[str] | None = None
) -> tuple[list[str], list[set[str]], list[str]]:
    """n perturbed segments with their turn's codes; groups are 40 pseudo-respondents.

    When `questions` is a list, each segment's source-turn question is appended to it."""
    rng = random.Random(seed)
    texts, labels, groups = [], [], []
    for i in range(n):
        turn = rng.choice(turns)
        if unit == "turn":
            piece = turn["text"]
        else:
            sentences = SENTENCE_END.split(turn["text"])
            start = rng.randrange(len(sentences))
            piece = " ".join(sentences[start : start + rng.randint(1, 3)])
        texts.append(" ".join(_alter(word, rng) for word in piece.split()))
        labels.append(set(turn["codes"]))
        groups.append(f"{turn['doc']}-{i % 40}")
        if questions is not None:
            questions.append(turn.get("question", ""))
    return texts, labels, groups


def floor_seconds(texts: list[str]) -> float:
    started = time.perf_counter()
    TfidfVectorizer(sublinear_tf=True).fit_transform(texts)
    return time.perf_counter() - started


def one_vs_rest_seconds(texts: list[str], labels: list[set[str]], codes: list[str]) -> float:
    started = time.perf_counter()
    features = TfidfVectorizer(sublinear_tf=True).fit_transform(texts)
    for code in codes:
        LinearSVC().fit(features, [code in codes_of_text for codes_of_text in labels])
    return time.perf_counter() - started


def rule_hits(texts: list[str]) -> tuple[list[set[str]] | None, str]:
    """Rule hits for the texts, and a note on what the rules cost per 1,000 texts."""
    try:
        from coding.codebook import load_codebook
        from coding.coders.rules import RuleCoder
    except ImportError:
        return None, "rules module not available: model trained without rule hits"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        coder = RuleCoder(load_codebook(REPO / "codebooks" / "peace_process.yaml"))
        started = time.perf_counter()
        hits = coder.match_texts(texts)
    per_thousand = (time.perf_counter() - started) / len(texts) * 1000
    return hits, f"rules (spaCy lemma pipeline) cost {per_thousand:.2f} s per 1,000 segments, not counted above"


def compare_cpu(texts, labels, groups, codes, hits, codebook, questions) -> None:  # type: ignore[no-untyped-def]
    """CPU seconds of the previous and the current default training, one worker process each."""
    from coding.coders.model import ModelConfig

    previous = ModelConfig(nb_scaling=True, codebook_text=False, question_weight=0.0, n_jobs=1)
    runs = {
        "previous default": (previous, {"min_positives": 8}),
        "current default": (ModelConfig(n_jobs=1), {"codebook": codebook, "questions": questions}),
    }
    repeat = 4  # predict the training texts four times over: 20,000 from 5,000
    for name, (config, extra) in runs.items():
        started = time.process_time()
        model = train_model(texts, labels, groups, codes, rule_hits=hits, config=config, **extra)
        train = time.process_time() - started
        context = {"questions": questions * repeat} if "questions" in extra else {}
        started = time.process_time()
        model.predict(texts * repeat, rule_hits=None if hits is None else hits * repeat, **context)
        predict = time.process_time() - started
        print(f"  {name}: train {train:6.2f} CPU s, predict {len(texts) * repeat} {predict:5.2f} CPU s (one process)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("eval_dev", nargs="?", default=str(REPO.parent / "shared" / "eval-dev"))
    parser.add_argument("--train", type=int, default=5000)
    parser.add_argument("--predict", type=int, default=100_000)
    parser.add_argument("--unit", choices=("sentence", "turn"), default="sentence")
    parser.add_argument(
        "--previous",
        action="store_true",
        help="also train the previous default (NB-SVM, no codebook text or question, 8 examples a code) and "
        "print both models' training and prediction CPU seconds in one process (steadier than wall time)",
    )
    args = parser.parse_args(argv)

    turns = read_turns(Path(args.eval_dev))
    questions_of(Path(args.eval_dev), turns)
    from coding.codebook import load_codebook

    codebook = load_codebook(REPO / "codebooks" / "peace_process.yaml")
    codes = [code.id for code in codebook.tree_order()]
    questions: list[str] = []
    texts, labels, groups = make_segments(turns, args.train, args.unit, seed=1, questions=questions)
    hits, rules_note = rule_hits(texts)
    words = sum(len(text.split()) for text in texts) / len(texts)
    print(f"unit {args.unit}: {args.train} training segments ({words:.0f} words each on average)")

    floor = floor_seconds(texts)
    plain = one_vs_rest_seconds(texts, labels, codes)
    started = time.perf_counter()
    model = train_model(texts, labels, groups, codes, rule_hits=hits, codebook=codebook, questions=questions)
    train = time.perf_counter() - started
    print(f"train {args.train:>7}: {train:6.2f} s  floor {floor:5.2f} s  ratio {train / floor:6.1f}x  (target < 10 s)")
    print(f"  vs plain one-vs-rest LinearSVC {plain:5.2f} s: ratio {train / plain:4.1f}x")

    if args.previous:
        compare_cpu(texts, labels, groups, codes, hits, codebook, questions)

    new_questions: list[str] = []
    new_texts, _, _ = make_segments(turns, args.predict, args.unit, seed=2, questions=new_questions)
    # Rule hits are the caller's input; reuse a training set's pattern so the model pays only its own way.
    new_hits = None if hits is None else [hits[i % len(hits)] for i in range(len(new_texts))]
    floor = floor_seconds(new_texts)
    started = time.perf_counter()
    model.predict(new_texts, rule_hits=new_hits, questions=new_questions)
    predict = time.perf_counter() - started
    ratio = predict / floor
    print(f"predict {args.predict:>5}: {predict:6.2f} s  floor {floor:5.2f} s  ratio {ratio:6.1f}x  (target < 30 s)")
    print(f"{len(model.modelled)} codes modelled, {model.features.n_features} features; {rules_note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
