"""The learned coder: training, thresholds, prediction, saving, grouped CV, active learning."""

from __future__ import annotations

import json
import random
import warnings
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from coding.coders.active import rank_for_coding, uncertainty
from coding.coders.features import TextFeatures
from coding.coders.model import (
    NAME,
    CodeModel,
    ModelCodebookWarning,
    ModelConfig,
    ModelError,
    cross_validate_model,
    grouped_folds,
    train_model,
    training_hash,
)
from coding.coders.model_file import load_model, save_model
from coding.errors import QcodeError
from coding.models import Segment

TOPICS = {
    "weather": ["rain", "storm", "sunshine", "clouds", "snowfall", "forecast", "thunder", "drizzle", "frost"],
    "food": ["bread", "soup", "rice", "dinner", "spices", "kitchen", "noodles", "dumplings", "apricots"],
    "sport": ["football", "match", "goalkeeper", "runners", "stadium", "team", "coach", "tennis", "wrestling"],
}
FILLERS = ["yesterday", "in our village", "as always", "I think", "my neighbour said", "every spring", "honestly"]
CODES = ["weather", "food", "sport", "music"]


def _sentence(rng: random.Random, topics: list[str]) -> str:
    parts = [
        f"{rng.choice(FILLERS)} the {rng.choice(TOPICS[t])} and the {rng.choice(TOPICS[t])} mattered" for t in topics
    ]
    if not topics:
        parts = [f"{rng.choice(FILLERS)} we talked about nothing much with the family"]
    return ". ".join(parts) + "."


def make_corpus(seed: int = 0, respondents: int = 8, per_respondent: int = 10):
    """Texts about one or two topics (or none), a rare 'music' code, respondent groups R1..Rn."""
    rng = random.Random(seed)
    texts, labels, groups = [], [], []
    for r in range(respondents):
        for i in range(per_respondent):
            topics = rng.sample(list(TOPICS), rng.choice([0, 1, 1, 2]))
            text, codes = _sentence(rng, topics), set(topics)
            if r < 3 and i == 0:
                text, codes = text + " Then the choir sang.", codes | {"music"}
            texts.append(text)
            labels.append(codes)
            groups.append(f"R{r + 1}")
    return texts, labels, groups


@pytest.fixture(scope="module")
def corpus():
    return make_corpus()


@pytest.fixture(scope="module")
def model(corpus) -> CodeModel:
    texts, labels, groups = corpus
    return train_model(texts, labels, groups, CODES, codebook_version="cb-1", min_positives=8)


# -- training, thresholds, prediction -------------------------------------------------------------


def test_model_learns_topics_it_was_shown(model: CodeModel) -> None:
    predicted = model.predict(
        [
            "the thunder and the drizzle kept us inside",
            "she cooked noodles and dumplings with spices",
            "the goalkeeper and the coach left the stadium",
        ]
    )
    assert [set(p) for p in predicted] == [{"weather"}, {"food"}, {"sport"}]
    assert model.source_name == NAME == "model.v1"


def test_training_is_reproducible(corpus, model: CodeModel) -> None:
    again = train_model(*corpus, CODES, codebook_version="cb-1", min_positives=8)
    assert np.array_equal(again.weights, model.weights)
    assert np.array_equal(again.thresholds, model.thresholds)


def test_fits_in_worker_processes_equal_fits_in_one(corpus, model: CodeModel) -> None:
    # Large inputs are fitted in two processes; each fit is seeded alone, so the model is the same.
    parallel = train_model(*corpus, CODES, codebook_version="cb-1", min_positives=8, config=ModelConfig(n_jobs=2))
    assert np.array_equal(parallel.weights, model.weights)
    assert np.array_equal(parallel.calibration, model.calibration)
    assert np.array_equal(parallel.thresholds, model.thresholds)


def test_rare_code_is_reported_not_guessed(model: CodeModel) -> None:
    assert model.modelled == ["weather", "food", "sport"]
    assert model.skipped == {"music": "too few coded examples (n=3, needs 8); no keyword rules to fall back on"}
    assert model.status["music"][0] == "no suggestions"
    assert all("music" not in p for p in model.predict(["the choir sang and the choir sang again"]))


def test_thresholds_and_confidences_are_probabilities(model: CodeModel, corpus) -> None:
    proba = model.predict_proba(corpus[0])
    assert proba.shape == (len(corpus[0]), 3)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert ((model.thresholds > 0) & (model.thresholds < 1)).all()
    for row, suggestion in zip(proba, model.predict(corpus[0]), strict=True):
        expected = {code for code, p, t in zip(model.modelled, row, model.thresholds, strict=True) if p >= t}
        assert set(suggestion) == expected


def test_confidence_is_higher_on_topic_than_off_topic(model: CodeModel) -> None:
    proba = model.predict_proba(["the storm and the snowfall and the frost", "the stadium and the tennis team"])
    weather = model.modelled.index("weather")
    assert proba[0, weather] > 0.5 > proba[1, weather]


def test_child_code_implies_parent_and_grandparent() -> None:
    texts, labels, groups = make_corpus(seed=3)
    labels = [codes | ({"outdoors"} if codes & {"weather", "sport"} else set()) for codes in labels]
    labels = [codes | ({"anything"} if codes else set()) for codes in labels]
    parents = {"weather": "outdoors", "outdoors": "anything", "food": None}
    fitted = train_model(texts, labels, groups, [*CODES, "outdoors", "anything"], parents=parents)
    assert fitted.parents == {"weather": "outdoors", "outdoors": "anything"}
    suggestions = fitted.predict(["rain and storm and thunder and drizzle", "bread and soup"])
    assert "weather" in suggestions[0]
    assert suggestions[0]["anything"] >= suggestions[0]["outdoors"] >= suggestions[0]["weather"]


def test_bad_inputs_raise_model_errors(corpus) -> None:
    texts, labels, groups = corpus
    with pytest.raises(ModelError, match="differ in length"):
        train_model(texts, labels[:-1], groups, CODES)
    with pytest.raises(ModelError, match="at least 2 respondents"):
        train_model(texts, labels, ["R1"] * len(texts), CODES)
    with pytest.raises(ModelError, match="no code has"):
        train_model(texts, labels, groups, CODES, min_positives=1000)
    assert issubclass(ModelError, QcodeError)


def test_rule_hits_feed_calibration_and_are_then_required(corpus) -> None:
    texts, labels, groups = corpus
    hits = [{"food"} if "soup" in text else set() for text in texts]
    fitted = train_model(texts, labels, groups, CODES, rule_hits=hits)
    assert fitted.uses_rules
    with pytest.raises(ModelError, match="rule_hits"):
        fitted.predict(["soup"])
    with_hit, without = fitted.predict_proba(["the soup", "the soup"], rule_hits=[{"food"}, set()])
    assert with_hit[fitted.modelled.index("food")] >= without[fitted.modelled.index("food")]


def test_propose_needs_stored_segments(model: CodeModel) -> None:
    segment = Segment("R1", 0, "sentence", 0, 0, 24, "the storm and the thunder", id=7)
    proposals = model.propose([segment])
    assert [(p.segment_id, p.code_id, p.source, p.source_name) for p in proposals] == [
        (7, "weather", "model", "model.v1")
    ]
    with pytest.raises(ModelError):
        model.propose([Segment("R1", 0, "sentence", 0, 0, 5, "storm")])


# -- features ---------------------------------------------------------------------------------------


def test_features_equal_scikit_learn_tfidf(corpus) -> None:
    """Analysing each distinct word once gives exactly scikit-learn's word and char_wb TF-IDF."""
    texts = [*corpus[0], "Ünïcode wörds, naïve café! Tea-time"]
    features = TextFeatures((2, 5)).fit(texts[:60])
    ours = features.transform(texts[60:]).toarray()
    words = TfidfVectorizer(sublinear_tf=True).fit(texts[:60])
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2).fit(texts[:60])
    word_block, char_block = features.blocks
    order = [word_block.vocab[t] for t in words.get_feature_names_out()]
    assert np.allclose(ours[:, order], words.transform(texts[60:]).toarray(), atol=1e-6)
    offset = len(word_block.vocab)
    order = [offset + char_block.vocab[t] for t in chars.get_feature_names_out()]
    assert np.allclose(ours[:, order], chars.transform(texts[60:]).toarray(), atol=1e-6)


# -- saving and loading ---------------------------------------------------------------------------


def test_save_load_round_trip(model: CodeModel, corpus, tmp_path: Path) -> None:
    path = tmp_path / "codes.skops"
    save_model(model, path)
    assert sio.get_untrusted_types(file=path) == []
    loaded = load_model(path, codebook_version="cb-1", code_ids=CODES)
    assert np.allclose(loaded.predict_proba(corpus[0]), model.predict_proba(corpus[0]))
    assert loaded.predict(corpus[0]) == model.predict(corpus[0])
    assert loaded.modelled == model.modelled and loaded.skipped == model.skipped
    meta = loaded.metadata
    assert meta["training_sha256"] == training_hash(corpus[0], corpus[1])
    assert meta["codebook_version"] == "cb-1"
    assert {"scikit-learn", "numpy", "skops"} <= set(meta["versions"])
    assert meta["trained_at"]
    assert np.allclose(loaded.thresholds, model.thresholds)
    assert meta["code_ids"] == CODES and set(meta["thresholds"]) == set(model.modelled)


def test_load_refuses_a_codebook_without_a_modelled_code(model: CodeModel, tmp_path: Path) -> None:
    path = tmp_path / "codes.skops"
    save_model(model, path)
    with pytest.raises(ModelError, match="no longer has codes.*sport"):
        load_model(path, code_ids=["weather", "food", "music"])


def test_load_accepts_new_codes_and_changed_version_with_warnings(model: CodeModel, tmp_path: Path) -> None:
    path = tmp_path / "codes.skops"
    save_model(model, path)
    with pytest.warns(ModelCodebookWarning, match="never learned \\(travel\\)"):
        load_model(path, code_ids=[*CODES, "travel"])
    with pytest.warns(ModelCodebookWarning, match="codebook version cb-1"):
        load_model(path, codebook_version="cb-2")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_model(path, codebook_version="cb-1", code_ids=CODES)  # unchanged: silent


class Crafted:
    """Stands for any class a crafted model file might ask skops to build."""


def test_load_refuses_files_with_untrusted_types(tmp_path: Path) -> None:
    path = tmp_path / "crafted.skops"
    sio.dump({"format": 1, "payload": Crafted()}, path)
    with pytest.raises(ModelError, match="untrusted types.*Crafted"):
        load_model(path)
    # skops trusts scikit-learn estimators, but a qcode model holds plain data only.
    sio.dump({"format": 1, "payload": LogisticRegression()}, path)
    with pytest.raises(ModelError, match="not a qcode model"):
        load_model(path)
    sio.dump({"format": 1, "weights": np.zeros(2)}, path)
    with pytest.raises(ModelError, match="not a complete qcode model"):
        load_model(path)
    (tmp_path / "junk.skops").write_bytes(b"not a zip file")
    with pytest.raises(ModelError, match="not a readable"):
        load_model(tmp_path / "junk.skops")
    with pytest.raises(ModelError, match="no model file"):
        load_model(tmp_path / "missing.skops")


def test_training_hash_depends_on_texts_labels_and_order() -> None:
    base = training_hash(["a", "b"], [{"x"}, set()])
    assert base == training_hash(["a", "b"], [{"x"}, set()])
    assert base != training_hash(["b", "a"], [set(), {"x"}])
    assert base != training_hash(["a", "b"], [{"y"}, set()])


# -- cross-validation -----------------------------------------------------------------------------


def test_grouped_folds_never_split_a_group() -> None:
    rng = np.random.default_rng(1)
    groups = [f"R{g}" for g in rng.integers(0, 11, size=300)]
    targets = (rng.random((300, 4)) < 0.1).astype(float)
    folds = grouped_folds(groups, 5, targets)
    assert len(folds) == 5
    seen = np.concatenate([test for _, test in folds])
    assert sorted(seen) == list(range(300))  # every text tested exactly once
    for train, test in folds:
        assert not {groups[i] for i in train} & {groups[i] for i in test}
        assert len(set(train) | set(test)) == 300
    assert len(grouped_folds(["a", "a", "b"], 5)) == 2  # never more folds than groups
    with pytest.raises(ModelError):
        grouped_folds(["a", "a"], 5)


def test_grouped_folds_spread_a_concentrated_code() -> None:
    """A code voiced by only three respondents lands in three different test folds."""
    groups = [f"R{r}" for r in range(9) for _ in range(10)]
    targets = np.array([[1.0 if r in (0, 1, 2) and i < 5 else 0.0] for r in range(9) for i in range(10)])
    folds = grouped_folds(groups, 3, targets)
    assert sorted(int(targets[test].sum()) for _, test in folds) == [5, 5, 5]


def test_cross_validate_model_table(corpus) -> None:
    texts, labels, groups = corpus
    hits = [{"sport"} if "football" in text else set() for text in texts]
    table = cross_validate_model(texts, labels, groups, CODES, rule_hits=hits, n_splits=4, min_positives=8)
    assert list(table.index) == [*CODES, "macro"]
    assert {
        "n_positives",
        "precision",
        "recall",
        "f1",
        "kappa",
        "kappa_low",
        "kappa_high",
        "rules_kappa",
        "status",
    } <= set(table.columns)
    assert table.loc["music", "status"] == "not evaluated (n=3); rules only: too few coded examples (n=3, needs 8)"
    assert np.isnan(table.loc["music", "kappa"])
    assert table.loc["weather", "kappa"] > 0.8
    assert table.loc["macro", "kappa"] == pytest.approx(table.loc[["weather", "food", "sport"], "kappa"].mean())
    assert "3 codes" in table.loc["macro", "status"]


# -- active learning --------------------------------------------------------------------------------


def test_uncertainty_peaks_at_the_threshold() -> None:
    proba = np.array([[0.3, 0.0], [1.0, 0.0], [0.0, 0.0], [0.65, 0.0]])
    score = uncertainty(proba, np.array([0.3, 0.5]))
    assert score[0] == pytest.approx(1.0 + 0.01 * 0.5)
    assert score[1] == pytest.approx(0.0) and score[2] == pytest.approx(0.0)  # sure either way
    assert score[0] > score[3] > score[1]


def test_rank_for_coding_puts_uncertain_texts_first_across_respondents(model: CodeModel) -> None:
    sure = "the storm and the thunder and the drizzle and the frost and the snowfall"
    vague = ["we talked about the rain dinner", "the coach had soup", "a forecast of noodles", "thunder at the match"]
    texts = [sure, sure + " again", *vague, sure + " today"]
    groups = ["A", "A", "A", "A", "B", "B", "C"]
    order = rank_for_coding(model, texts, groups, k=7)
    assert sorted(order) == list(range(7))  # every text once
    score = uncertainty(model.predict_proba(texts), model.thresholds)
    assert score[order[0]] == score.max()
    assert {groups[i] for i in order[:3]} == {"A", "B", "C"}  # one per respondent before any repeats
    assert order.index(1) > order.index(0) or order.index(0) > order.index(1)
    assert rank_for_coding(model, texts, groups, k=2) == order[:2]
    assert rank_for_coding(model, [], [], k=3) == []


def test_rank_for_coding_defers_near_duplicates(model: CodeModel) -> None:
    texts = ["the rain dinner", "the rain dinner", "the coach had soup", "snow and soup at the match"]
    order = rank_for_coding(model, texts, ["A", "B", "C", "D"], k=4)
    assert order[-1] in (0, 1)  # the second copy comes last, whatever its uncertainty


# -- quality on the dev set ---------------------------------------------------------------------------

DEV_KAPPA_FLOOR = 0.72  # measured 0.758 (default configuration, 6 grouped folds); docs/model.md
DEV_KAPPA_FLOOR_WITHOUT_RULES = 0.64  # measured 0.67 (no rule hits given)


def dev_inputs(eval_dev: Path):
    """The dev set as the model sees it: turns, codes, respondents, rule hits, codebook, questions, groups."""
    import csv

    from coding.codebook import load_codebook
    from coding.coders.context import Unit, unit_contexts
    from coding.coders.rules import RuleCoder
    from coding.transcripts import read_transcript

    rows = [json.loads(line) for line in (eval_dev / "gold.jsonl").read_text(encoding="utf-8").splitlines() if line]
    texts = [row["text"] for row in rows]
    codebook = load_codebook(Path(__file__).resolve().parents[1] / "codebooks" / "peace_process.yaml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hits = RuleCoder(codebook).match_texts(texts)
    question_of: dict[tuple[str, int], str] = {}
    for doc in sorted({row["doc"] for row in rows}):
        document = read_transcript(eval_dev / f"{doc}.txt")
        units = [Unit(doc, t.role, document.text[t.start : t.end]) for t in document.turns]
        for turn, question in zip(document.turns, unit_contexts(units)[0], strict=True):
            question_of[(doc, turn.index)] = question
    with (eval_dev / "respondents.csv").open(encoding="utf-8") as handle:
        group_of = {row["respondent_id"]: row["group"] for row in csv.DictReader(handle)}
    return {
        "texts": texts,
        "labels": [set(row["codes"]) for row in rows],
        "groups": [row["doc"] for row in rows],
        "hits": hits,
        "codebook": codebook,
        "questions": [question_of[(row["doc"], row["turn"])] for row in rows],
        "respondent_groups": [group_of[row["doc"]] for row in rows],
    }


def test_dev_set_macro_kappa_stays_above_floor_and_holds_on_unseen_groups(eval_dev: Path) -> None:
    from coding.coders.evaluation import group_folds

    dev = dev_inputs(eval_dev)
    codes = [code.id for code in dev["codebook"].tree_order()]
    common = {"rule_hits": dev["hits"], "codebook": dev["codebook"], "questions": dev["questions"]}
    table = cross_validate_model(dev["texts"], dev["labels"], dev["groups"], codes, n_splits=6, **common)
    macro = table.loc["macro"]
    assert macro["kappa"] >= DEV_KAPPA_FLOOR
    assert macro["kappa"] > macro["rules_kappa"]
    assert macro["kappa_low"] < macro["kappa"] < macro["kappa_high"]
    # leave one respondent group out: within 0.05 of the grouped estimate (issue 14's target)
    unseen = cross_validate_model(
        dev["texts"], dev["labels"], dev["groups"], codes, folds=group_folds(dev["respondent_groups"]), **common
    )
    assert abs(unseen.loc["macro", "kappa"] - macro["kappa"]) <= 0.05
    alone = cross_validate_model(
        dev["texts"],
        dev["labels"],
        dev["groups"],
        codes,
        n_splits=6,
        codebook=dev["codebook"],
        questions=dev["questions"],
    )
    assert alone.loc["macro", "kappa"] >= DEV_KAPPA_FLOOR_WITHOUT_RULES
