"""Word frequencies by group and keyness, against a plain count and the published log-likelihood formula."""

from __future__ import annotations

import math
import re
from collections import Counter

import pytest
from analysis_projects import gold_frames

from coding import analysis, search, words
from coding.errors import UsageError


@pytest.fixture(scope="module")
def gold(tmp_path_factory):
    return gold_frames(tmp_path_factory.mktemp("words"))


@pytest.fixture(scope="module")
def corpus(gold):
    return search.build_corpus(gold.segments, gold.texts)


def plain_counts(gold) -> dict[str, Counter]:
    """Words per group, turn by turn, with the same definition of a word (the reference)."""
    group = gold.respondents.set_index("respondent_id")["group"]
    found: dict[str, Counter] = {}
    for row in gold.segments.itertuples(index=False):
        text = re.sub(r"\[[^\]\n]{0,60}\]", " ", gold.texts[row.document][row.start : row.end]).lower()
        tokens = [t.replace("\u2019", "'") for t in re.findall(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*", text)]
        found.setdefault(group[row.respondent_id], Counter()).update(t for t in tokens if len(t) > 1)
    return found


def test_counts_by_group_equal_a_count_turn_by_turn(gold, corpus):
    counts = words.word_counts(corpus, gold.respondents, "group")
    expected = plain_counts(gold)
    assert [c for c in counts.columns if c != analysis.TOTAL] == sorted(expected)
    for value, counter in expected.items():
        assert counts[value][counts[value] > 0].to_dict() == dict(counter), value
    assert (counts[analysis.TOTAL] == counts.drop(columns=analysis.TOTAL).sum(axis=1)).all()
    assert "laughs" not in counts.index or counts.loc["laughs", analysis.TOTAL] < 3, "[laughs] is not a word said"


def test_frequencies_leave_out_spacy_stop_words_but_keep_them_in_the_base(gold, corpus):
    counts = words.word_counts(corpus, gold.respondents, "group")
    table = words.frequencies(counts, top=20)
    stops = words.stop_words()
    assert {"the", "and", "of"} <= stops and not (set(table.index) & {"the", "and", "of", "didn't", "there's"})
    size = counts[analysis.TOTAL].sum()
    top = table.index[0]
    assert table.loc[top, "Total per 10k"] == round(counts.loc[top, analysis.TOTAL] / size * 10_000, 2)


def test_log_likelihood_and_log_ratio_by_their_formulas():
    a, b, c, d = 30.0, 20.0, 10_000.0, 40_000.0
    e1, e2 = c * (a + b) / (c + d), d * (a + b) / (c + d)
    expected = 2 * (a * math.log(a / e1) + b * math.log(b / e2))
    assert words.log_likelihood([a], [b], c, d)[0] == pytest.approx(expected)
    assert words.log_ratio([a], [b], c, d)[0] == pytest.approx(math.log2((a / c) / (b / d)))
    assert words.log_likelihood([0.0], [5.0], c, d)[0] == pytest.approx(2 * 5 * math.log(5 / (d * 5 / (c + d))))
    assert words.log_ratio([0.0], [5.0], c, d)[0] == pytest.approx(math.log2((0.5 / c) / (5 / d)))


def test_keyness_of_one_group_against_the_rest(gold, corpus):
    counts = words.word_counts(corpus, gold.respondents, "group")
    key = words.keyness(counts, "afghan", min_count=3)
    rest = [c for c in counts.columns if c not in ("afghan", analysis.TOTAL)]
    word = key.index[0]
    assert key.loc[word, "afghan"] == counts.loc[word, "afghan"]
    assert key.loc[word, "rest"] == counts.loc[word, rest].sum()
    c, d = counts["afghan"].sum(), counts[rest].sum().sum()
    assert key.loc[word, "log_likelihood"] == round(
        float(words.log_likelihood([key.loc[word, "afghan"]], [key.loc[word, "rest"]], c, d)[0]), 2
    )
    over = key[key["more_in"] == "afghan"]
    assert (over["log_ratio"] >= 0).all() and (key[key["more_in"] == "rest"]["log_ratio"] < 0).all()
    assert over["log_likelihood"].is_monotonic_decreasing
    assert (key["afghan"] + key["rest"] >= 3).all()
    with pytest.raises(UsageError, match="unknown group 'martians'"):
        words.keyness(counts, "martians")


def test_the_quotes_behind_a_word(gold, corpus):
    counts = words.word_counts(corpus, gold.respondents, "group")
    word = "refugees"
    hits = words.word_quotes(corpus, word)
    assert len(hits) == counts.loc[word, analysis.TOTAL]
    assert set(hits["match"].str.lower()) == {word}
    afghan = words.word_quotes(corpus, word, gold.respondents, "group", "afghan")
    assert len(afghan) == counts.loc[word, "afghan"]
    with pytest.raises(UsageError):
        words.word_quotes(corpus, "two words")


def test_a_subset_of_respondents_counts_only_their_words(gold, corpus):
    # The word index sums respondents' rows: a subset must equal a plain count over their turns alone.
    some = sorted(gold.respondents["respondent_id"])[::3]
    counts = words.word_counts(corpus, gold.respondents, "gender", some)
    expected: Counter = Counter()
    for counter_of_group in plain_counts_of(gold, some).values():
        expected.update(counter_of_group)
    assert counts[analysis.TOTAL].to_dict() == dict(expected)
    assert (counts[analysis.TOTAL] > 0).all(), "no word nobody in the subset said"


def plain_counts_of(gold, respondent_ids) -> dict[str, Counter]:
    segments = gold.segments[gold.segments["respondent_id"].isin(respondent_ids)]
    found: dict[str, Counter] = {}
    for row in segments.itertuples(index=False):
        text = re.sub(r"\[[^\]\n]{0,60}\]", " ", gold.texts[row.document][row.start : row.end]).lower()
        tokens = [t.replace("\u2019", "'") for t in re.findall(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*", text)]
        found.setdefault(row.respondent_id, Counter()).update(t for t in tokens if len(t) > 1)
    return found


def test_the_word_index_is_kept_on_disk_for_its_corpus_only(gold, corpus, tmp_path):
    path = tmp_path / "words.npz"
    built = words.load_word_index(corpus, path)
    assert path.exists()
    again = words.load_word_index(corpus, path)
    assert (again.counts != built.counts).nnz == 0
    assert list(again.words) == list(built.words) and list(again.respondents) == list(built.respondents)
    by_group = words.counts_from_index(again, gold.respondents, "group")
    assert by_group.equals(words.word_counts(corpus, gold.respondents, "group"))
    # Another corpus (one respondent fewer) is not served the old file: it is built and kept afresh.
    fewer = search.build_corpus(gold.segments[gold.segments["respondent_id"] != "R01"], gold.texts)
    other = words.load_word_index(fewer, path)
    assert "R01" not in set(other.respondents) and "R01" in set(built.respondents)
    assert words.corpus_fingerprint(fewer) != words.corpus_fingerprint(corpus)
    # A damaged file is built again, not an error.
    path.write_bytes(b"not an npz")
    assert (words.load_word_index(corpus, path).counts != built.counts).nnz == 0


def test_a_word_index_that_cannot_be_kept_still_counts(gold, corpus, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    index = words.load_word_index(corpus, blocked / "words.npz")  # its folder cannot be made
    assert words.counts_from_index(index, gold.respondents, "group").equals(
        words.word_counts(corpus, gold.respondents, "group")
    )
