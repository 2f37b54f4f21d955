"""Text search as keyword in context: every hit is where it says in the document, nothing is missed that
a plain per-turn scan finds, and filters by attribute and code keep only their hits."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from analysis_projects import gold_frames
from project_factory import make_project

from coding import search
from coding.errors import UsageError


@pytest.fixture(scope="module")
def gold(tmp_path_factory):
    return gold_frames(tmp_path_factory.mktemp("search"))


@pytest.fixture(scope="module")
def corpus(gold):
    return search.build_corpus(gold.segments, gold.texts)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("tiny"))
    return project, search.build_corpus(project.segments_frame(), project.store.document_texts())


def per_turn(gold, pattern: re.Pattern[str]) -> set[tuple[str, int, int]]:
    """(document, start, end) of every match, turn by turn, with plain Python: the reference."""
    found = set()
    for row in gold.turns.itertuples(index=False):
        text = gold.texts[row.document][row.start : row.end]
        for match in pattern.finditer(text):
            found.add((row.document, row.start + match.start(), row.start + match.end()))
    return found


@pytest.mark.parametrize(
    ("query", "mode", "reference"),
    [
        ("Dushanbe", "text", r"(?<!\w)Dushanbe(?!\w)"),
        ("the war", "text", r"(?<!\w)the\s+war(?!\w)"),
        ("negotiat*", "text", r"(?<!\w)negotiat\w*"),
        (r"\b(19|20)\d\d\b", "regex", r"\b(19|20)\d\d\b"),
    ],
)
def test_hits_are_exactly_those_a_scan_of_each_respondent_turn_finds(gold, corpus, query, mode, reference):
    hits = search.search(corpus, query, mode)
    expected = per_turn(gold, re.compile(reference, re.IGNORECASE))
    assert len(expected) > 0
    assert set(zip(hits["document"], hits["start"], hits["end"], strict=True)) == expected
    assert list(hits.columns) == search.HIT_COLUMNS


def test_each_hit_names_its_text_turn_segment_and_context(gold, corpus):
    hits = search.search(corpus, "refugees", "text", context=30)
    segments = gold.segments.set_index("segment_id")
    for hit in hits.itertuples(index=False):
        text = gold.texts[hit.document]
        assert text[hit.start : hit.end].lower() == hit.match.lower() == "refugees"
        assert text[: hit.start].replace("\n", " ").endswith(hit.left)
        assert text[hit.end :].replace("\n", " ").startswith(hit.right)
        assert len(hit.left) <= 30 and len(hit.right) <= 30
        segment = segments.loc[hit.segment_id]
        assert segment["document"] == hit.document and segment["start"] <= hit.start < segment["end"]
        assert segment["turn_index"] == hit.turn_index and segment["respondent_id"] == hit.respondent_id
    assert hits[["document", "start"]].apply(tuple, axis=1).is_monotonic_increasing


def test_interviewer_turns_are_not_searched_and_no_hit_crosses_turns(tiny):
    _, corpus = tiny
    assert search.search(corpus, "Who mattered", "text").empty
    assert search.search(corpus, "And money", "text").empty
    # "most." ends one respondent turn and "Everyone" begins the next: a pattern through the gap finds nothing.
    assert search.search(corpus, r"most\.[\s\S]*Everyone", "regex").empty
    assert len(search.search(corpus, r"Everyone[\s\S]*said", "regex")) == 1


def test_case_sensitivity_and_whole_words(tiny):
    _, corpus = tiny
    assert len(search.search(corpus, "moscow", "text")) == 1
    assert search.search(corpus, "moscow", "text", case_sensitive=True).empty
    assert search.search(corpus, "Mosc", "text").empty, "plain words match whole words only"
    assert len(search.search(corpus, "Mosc*", "text")) == 1


def test_filters_by_respondent_attribute_and_by_code(tiny, tmp_path):
    project, corpus = tiny
    group_b = search.respondents_where(project.respondents(), {"group": ["b"]})
    assert group_b == ["P02", "P03"]
    hits = search.search(corpus, r"\w+", "regex", respondent_ids=group_b)
    assert set(hits["respondent_id"]) == {"P02", "P03"}
    path = tmp_path / "codes.csv"
    path.write_text("document,code,text\nP03,actors.russia,Russia and its border guards.\n", encoding="utf-8")
    project.import_codings(path, "ann")
    coded = search.coded_segments(project.codings("human"), project.codebook, ["actors"])  # a parent: rolled up
    hits = search.search(corpus, r"\w+", "regex", segment_ids=coded)
    assert set(hits["document"]) == {"P03"} and " ".join(hits["match"]) == "Russia and its border guards"
    with pytest.raises(UsageError, match="unknown code 'nothing'"):
        search.coded_segments(project.codings("human"), project.codebook, ["nothing"])
    with pytest.raises(UsageError, match="unknown respondent attribute 'religion'"):
        search.respondents_where(project.respondents(), {"religion": ["x"]})


def test_bad_queries_are_usage_errors(tiny):
    _, corpus = tiny
    with pytest.raises(UsageError, match="not a valid regular expression"):
        search.search(corpus, "(unclosed", "regex")
    with pytest.raises(UsageError, match="empty"):
        search.search(corpus, "  ", "text")
    with pytest.raises(UsageError, match="search mode"):
        search.search(corpus, "x", "fuzzy")
    with pytest.raises(UsageError, match="lemma index"):
        search.search(corpus, "x", "lemma")


@pytest.fixture(scope="module")
def lemma_nlp():
    from coding.nlp import available_pipeline, load_pipeline

    if available_pipeline() == "blank":
        pytest.skip("no trained spaCy pipeline installed")
    return load_pipeline(None, "lemma")


def test_lemma_search_finds_inflections_from_the_stored_index(tiny, lemma_nlp, tmp_path):
    project, corpus = tiny
    turns = project.store.turns_frame()
    turns = turns[turns["role"] == "respondent"]
    texts = project.store.document_texts()
    cache = search.LemmaCache(tmp_path / "lemmas.npz")
    index, computed = cache.update(texts, turns, lemma_nlp, "test-pipeline")
    assert computed == 3
    lemmatize = search.query_lemmatizer(lemma_nlp)
    stole = search.search(corpus, "steal", "lemma", lemmas=index, lemmatize=lemmatize)
    assert stole["match"].tolist() == ["stole"] and stole["document"].tolist() == ["P02"]
    sold = search.search(corpus, "were sold", "lemma", lemmas=index, lemmatize=lemmatize)  # a phrase: be + sell
    assert sold["match"].tolist() == ["were sold"]
    assert search.search(corpus, "sold twice", "lemma", lemmas=index, lemmatize=lemmatize)["match"].tolist() == [
        "sold twice"
    ]
    # Read back, not recomputed; a changed text recomputes that document only.
    again, computed = search.LemmaCache(tmp_path / "lemmas.npz").update(texts, turns, lemma_nlp, "test-pipeline")
    assert computed == 0
    pd.testing.assert_frame_equal(again, index)
    changed = {**texts, "P01": texts["P01"].replace("Moscow", "Moskva")}
    _, computed = cache.update(changed, turns, lemma_nlp, "test-pipeline")
    assert computed == 1


def test_a_search_over_the_whole_corpus_is_one_scan(gold, corpus):
    """The joined text holds every respondent turn once, separated so that no word spans two."""
    lengths = (corpus.turns["end"] - corpus.turns["start"]).sum()
    assert len(corpus.text) == lengths + len(search.SEPARATOR) * (len(corpus.turns) - 1)
    assert len(corpus.turns) == len(gold.segments)  # unit turn: one segment per respondent turn
    assert np.all(np.diff(corpus.turns["offset"].to_numpy()) > 0)
