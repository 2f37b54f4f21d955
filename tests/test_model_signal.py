"""The learned coder's extra signal and honesty: codebook text, status and rule fallback, reasons,
context features, nested and leave-one-group-out estimates with intervals over respondents."""

from __future__ import annotations

import random

import numpy as np
import pytest
import skops.io as sio
from sklearn.metrics import cohen_kappa_score
from test_model import CODES, make_corpus

from coding.coders.context import Unit, segment_contexts, unit_contexts
from coding.coders.evaluation import Inputs, choose, group_folds, nested_estimate
from coding.coders.features import word_contributions
from coding.coders.metrics import bootstrap_kappas, code_metrics, kappa_from_counts
from coding.coders.model import (
    MODELLED,
    NOTHING,
    RULES_ONLY,
    ModelConfig,
    ModelError,
    cross_validate_model,
    train_model,
)
from coding.coders.model_file import load_model, save_model
from coding.models import Code, Codebook, MatchRules

PLAIN = ModelConfig(nb_scaling=False, codebook_text=False)


def codebook(with_music_text: bool = True, music_rules: bool = True) -> Codebook:
    music = Code(
        "music",
        "Music",
        definition="Singing, the orchestra, concerts and instruments." if with_music_text else "",
        examples=["The orchestra played a concert with violins and drums."] if with_music_text else [],
        rules=MatchRules(keywords=["choir"]) if music_rules else MatchRules(),
    )
    return Codebook(
        "test",
        "1",
        [
            Code("weather", "Weather", definition="Rain, storms and the forecast."),
            Code("food", "Food", definition="Meals, bread and cooking."),
            Code("sport", "Sport", definition="Games, teams and matches."),
            music,
        ],
    )


@pytest.fixture(scope="module")
def corpus():
    return make_corpus()


# -- codebook text, status, fallback --------------------------------------------------------------


def test_codebook_text_teaches_words_no_coded_example_has(corpus) -> None:
    texts, labels, groups = corpus
    config = ModelConfig(nb_scaling=False)  # codebook text on
    with_text = train_model(texts, labels, groups, CODES, codebook=codebook(), config=config)
    without = train_model(texts, labels, groups, CODES, codebook=codebook(False), config=config)
    assert "music" in with_text.modelled and "music" in without.modelled  # 3 coded examples: enough
    column = with_text.modelled.index("music")
    probe = ["the orchestra played violins at the concert"]  # words only the codebook has
    assert with_text.predict_proba(probe)[0, column] > without.predict_proba(probe)[0, column]
    assert "codebook" in with_text.status["music"][1]
    assert with_text.metadata["codebook_texts"] == 5  # 3 definitions, music's definition and example


def test_codes_without_enough_examples_say_so_and_fall_back_to_their_rule(corpus) -> None:
    texts, labels, groups = corpus
    hits = [{"music"} if "choir" in text else set() for text in texts]
    model = train_model(texts, labels, groups, CODES, rule_hits=hits, min_positives=4, codebook=codebook())
    assert model.status["music"] == (RULES_ONLY, "too few coded examples (n=3, needs 4)")
    assert model.status["weather"][0] == MODELLED
    # the rule hit 3 texts, all coded music: (3 + 1) / (3 + 2)
    assert model.rule_confidence == {"music": pytest.approx(0.8)}
    [found] = model.suggest(["then the choir sang"], [{"music"}])
    assert [(s.code, s.confidence, s.by) for s in found] == [("music", 0.8, RULES_ONLY)]
    assert found[0].reason.startswith("keyword rule only (too few coded examples")
    assert model.predict(["then the choir sang"], [{"music"}]) == [{}]  # fallback only when asked
    assert model.suggest(["then the choir sang"], [{"music"}], fallback=False) == [[]]
    no_rules = train_model(
        texts, labels, groups, CODES, rule_hits=hits, min_positives=4, codebook=codebook(True, False)
    )
    assert no_rules.status["music"][0] == NOTHING and no_rules.rule_confidence == {}


def test_status_survives_saving(tmp_path, corpus) -> None:
    texts, labels, groups = corpus
    hits = [{"music"} if "choir" in text else set() for text in texts]
    model = train_model(texts, labels, groups, CODES, rule_hits=hits, min_positives=4, codebook=codebook())
    save_model(model, tmp_path / "m.skops")
    loaded = load_model(tmp_path / "m.skops")
    assert loaded.status == model.status and loaded.rule_confidence == model.rule_confidence
    assert np.array_equal(loaded.predict_proba(texts, hits), model.predict_proba(texts, hits))


def test_format_1_files_still_load(tmp_path, corpus) -> None:
    texts, labels, groups = corpus
    model = train_model(texts, labels, groups, CODES, min_positives=8)
    save_model(model, tmp_path / "m.skops")
    state = sio.load(tmp_path / "m.skops", trusted=[])
    state["format"] = 1
    state["features"] = state["features"]["text"]
    del state["status"], state["rule_confidence"]
    sio.dump(state, tmp_path / "old.skops")
    old = load_model(tmp_path / "old.skops")
    assert np.array_equal(old.predict_proba(texts), model.predict_proba(texts))
    assert old.status["music"] == (NOTHING, model.skipped["music"])


# -- reasons ---------------------------------------------------------------------------------------


def test_word_contributions_add_up_to_the_score(corpus) -> None:
    texts, labels, groups = corpus
    model = train_model(texts, labels, groups, CODES, min_positives=8)
    text = "Yesterday the storm, the storm and the bread mattered!"
    for j in range(len(model.modelled)):
        parts = word_contributions(model.features.text, text, model.weights[:, j])
        assert sum(parts.values()) == pytest.approx(model.scores([text])[0, j] - model.bias[j], abs=1e-4)
    weather = word_contributions(model.features.text, text, model.weights[:, model.modelled.index("weather")])
    assert max(weather, key=weather.__getitem__) == "storm"  # punctuation stripped, repeats merged


def test_each_suggestion_carries_confidence_and_the_words_behind_it(corpus) -> None:
    texts, labels, groups = corpus
    hits = [{"weather"} if "rain" in text else set() for text in texts]
    model = train_model(texts, labels, groups, CODES, rule_hits=hits, min_positives=8)
    [found] = model.suggest(["in our village the thunder and the drizzle mattered"], [set()])
    weather = next(s for s in found if s.code == "weather")
    column = model.modelled.index("weather")
    proba = model.predict_proba(["in our village the thunder and the drizzle mattered"], [set()])
    assert weather.confidence == pytest.approx(proba[0, column], abs=1e-4)
    assert weather.by == MODELLED
    assert "words:" in weather.reason and ("'thunder'" in weather.reason or "'drizzle'" in weather.reason)
    assert "village" not in weather.reason.split("words:")[1].split(",")[0]
    [ruled] = model.suggest(["the rain and the rain mattered"], [{"weather"}])
    suggested = next(s for s in ruled if s.code == "weather")
    assert ("keyword rule matched" in suggested.reason) == (model.calibration[column, 1] > 0)
    # one stored suggestion explained on its own gives the same confidence and reason
    assert model.explain("the rain and the rain mattered", "weather", rule_hit=True) == suggested
    assert model.explain("the rain", "music") is None  # no classifier, no rule stand-in


# -- context ---------------------------------------------------------------------------------------


def test_unit_contexts_pair_each_answer_with_its_question_and_neighbours() -> None:
    units = [
        Unit("a", "interviewer", "Q1?"),
        Unit("a", "respondent", "A1"),
        Unit("a", "respondent", "A2"),
        Unit("a", "interviewer", "Q2?"),
        Unit("a", "respondent", "A3"),
        Unit("b", "respondent", "B1"),
    ]
    questions, neighbours = unit_contexts(units)
    assert questions == ["", "Q1?", "Q1?", "", "Q2?", ""]
    assert neighbours == ["", "A2", "A1\nA3", "", "A2", ""]


def test_segment_contexts_join_an_interviewer_turn_cut_into_sentences() -> None:
    from coding.models import Segment

    def seg(index: int, turn: int, role: str, start: int, text: str) -> Segment:
        return Segment("d", turn, "sentence", index, start, start + len(text), text, role=role)

    every = [
        seg(0, 0, "interviewer", 0, "Thanks."),
        seg(1, 0, "interviewer", 10, "What about the talks?"),
        seg(2, 1, "respondent", 40, "They were slow."),
        seg(3, 1, "respondent", 60, "Very slow."),
    ]
    chosen = [every[3], every[2]]  # any order
    questions, neighbours = segment_contexts(chosen, list(reversed(every)))
    assert questions == ["Thanks. What about the talks?"] * 2
    assert neighbours == ["They were slow.", "Very slow."]


def test_the_question_block_carries_what_only_the_question_says() -> None:
    rng = random.Random(3)
    texts, labels, groups, questions = [], [], [], []
    for r in range(8):
        for i in range(12):
            about_home = i % 3 == 0
            questions.append("And what about your home town?" if about_home else "What happened next?")
            texts.append(f"{rng.choice(['yes', 'well', 'it was hard', 'we managed'])} {rng.choice(['then', 'so'])}")
            labels.append({"home"} if about_home else set())
            groups.append(f"R{r}")
    config = ModelConfig(question_weight=1.0, codebook_text=False)
    model = train_model(texts, labels, groups, ["home"], config=config, questions=questions)
    proba = model.predict_proba(
        ["well then", "well then"], questions=["Tell me about your home town", "What happened then?"]
    )
    assert proba[0, 0] > 0.5 > proba[1, 0]
    with pytest.raises(ModelError, match="questions"):
        model.predict(["well"], questions=["a", "b"])


# -- estimates -------------------------------------------------------------------------------------


def test_kappa_from_counts_matches_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    truth, guess = rng.integers(0, 2, 50), rng.integers(0, 2, 50)
    tp, fp = ((truth == 1) & (guess == 1)).sum(), ((truth == 0) & (guess == 1)).sum()
    fn, tn = ((truth == 1) & (guess == 0)).sum(), ((truth == 0) & (guess == 0)).sum()
    assert float(kappa_from_counts(tp, fp, fn, tn)) == pytest.approx(cohen_kappa_score(truth, guess))


def test_bootstrap_intervals_resample_respondents() -> None:
    truth = [{"a"} if i % 2 else set() for i in range(40)]
    groups = [f"R{i // 10}" for i in range(40)]
    perfect = bootstrap_kappas(truth, truth, groups, ["a"], macro_over=["a"])
    assert perfect.loc["a"].tolist() == [1.0, 1.0] and perfect.loc["macro"].tolist() == [1.0, 1.0]
    # one respondent's turns all wrong: the interval spans the draws with and without that respondent
    wrong = [set() if g == "R0" and t else ({"a"} if g == "R0" else t) for t, g in zip(truth, groups, strict=True)]
    interval = bootstrap_kappas(truth, wrong, groups, ["a"])
    point = code_metrics(truth, wrong, ["a"]).loc["a", "kappa"]
    assert interval.loc["a", "kappa_low"] < point < interval.loc["a", "kappa_high"] == 1.0


def test_cross_validation_reports_intervals_and_status(corpus) -> None:
    texts, labels, groups = corpus
    table = cross_validate_model(texts, labels, groups, CODES, n_splits=4, codebook=codebook(), min_positives=4)
    for code in ("weather", "food", "sport", "macro"):
        low, kappa, high = table.loc[code, ["kappa_low", "kappa", "kappa_high"]]
        assert 0 < low <= kappa <= high <= 1
    assert table.loc["music", "status"].startswith("not evaluated (n=3)")
    assert (
        table.loc["weather", "status"] == f"model: {sum('weather' in s for s in labels)} coded examples + codebook text"
    )


def test_nested_and_leave_one_group_out_estimates(corpus) -> None:
    texts, labels, groups = corpus
    data = Inputs(texts, labels, groups, CODES, codebook=codebook())
    candidates = {"plain": PLAIN, "codebook": ModelConfig(nb_scaling=False)}
    name, scores = choose(data, candidates, inner_splits=3)
    assert set(scores) == {"plain", "codebook"} and name in scores
    best = max(scores.values())
    assert name == next(n for n, s in scores.items() if s >= best - 0.01)  # simplest among near-equals
    region = ["north" if int(g[1:]) <= 4 else "south" for g in groups]
    folds = group_folds(region)
    assert [len(test) for _, test in folds] == [40, 40]
    estimate = nested_estimate(data, candidates, folds, inner_splits=3)
    assert len(estimate.chosen) == 2 and set(estimate.chosen) <= set(candidates)
    assert estimate.table.loc[["weather", "food", "sport"], "kappa"].min() > 0.8
    assert estimate.table.loc["macro", "kappa_low"] <= estimate.table.loc["macro", "kappa"]
