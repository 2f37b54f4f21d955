"""Crosstabs: codes (with their hierarchy) by a respondent attribute, counting segments or respondents."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest
import yaml

import coding
from coding import analysis
from coding.errors import UsageError
from coding.models import Code, Codebook

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
CODEBOOK = REPO / "codebooks" / "peace_process.yaml"

# ----- the pure functions, on a small hand-made example -----------------------------------------

BOOK = Codebook(
    "t",
    "1",
    [
        Code("actors", "Actors"),
        Code("actors.russia", "Russia", parent="actors"),
        Code("actors.russia.army", "Russian army", parent="actors.russia"),
        Code("actors.iran", "Iran", parent="actors"),
        Code("refugees", "Refugees"),
    ],
)
# Respondents a and b are in group x, c in group y, d has no group; d's segment 7 is coded.
RESPONDENTS = pd.DataFrame({"respondent_id": ["a", "b", "c", "d"], "group": ["x", "x", "y", ""]})
SEGMENTS = pd.DataFrame({"segment_id": [1, 2, 3, 4, 5, 6, 7], "respondent_id": ["a", "a", "a", "b", "c", "c", "d"]})
CODINGS = pd.DataFrame(
    {
        "segment_id": [1, 2, 2, 4, 5, 5, 6, 7],
        "code": [
            "actors.russia.army",
            "actors.russia",
            "actors.russia",  # a second coder on the same segment: counted once
            "actors.iran",
            "actors.iran",
            "refugees",
            "refugees",
            "refugees",
        ],
    }
)


def table(count: str = "segments", percent: str = "none") -> pd.DataFrame:
    return analysis.crosstab(CODINGS, SEGMENTS, RESPONDENTS, BOOK, "group", count, percent)


def test_rows_are_codes_in_tree_order_with_name_and_level():
    result = table()
    assert list(result.index) == ["actors", "actors.russia", "actors.russia.army", "actors.iran", "refugees"]
    assert list(result["level"]) == [0, 1, 2, 1, 0]
    assert list(result["name"]) == ["Actors", "Russia", "Russian army", "Iran", "Refugees"]
    assert list(result.columns) == ["name", "level", "x", "y", analysis.MISSING, analysis.TOTAL]


def test_segment_counts_roll_child_codes_up_into_their_parents():
    result = table("segments")
    assert result.loc["actors.russia.army", ["x", "y", analysis.TOTAL]].tolist() == [1, 0, 1]
    assert result.loc["actors.russia", ["x", "y", analysis.TOTAL]].tolist() == [2, 0, 2]  # segments 1 and 2
    assert result.loc["actors", ["x", "y", analysis.TOTAL]].tolist() == [3, 1, 4]  # 1, 2, 4 and 5
    assert result.loc["refugees", ["x", "y", analysis.MISSING, analysis.TOTAL]].tolist() == [0, 2, 1, 3]


def test_respondent_counts_count_each_respondent_once_per_code():
    result = table("respondents")
    assert result.loc["actors", ["x", "y", analysis.TOTAL]].tolist() == [2, 1, 3]  # a (3 segments), b, c
    assert result.loc["actors.russia", ["x", analysis.TOTAL]].tolist() == [1, 1]
    assert result.loc["refugees", ["y", analysis.MISSING, analysis.TOTAL]].tolist() == [1, 1, 2]


def test_row_percentages_divide_by_the_row_total():
    result = table("respondents", "row")
    assert result.loc["actors", ["x", "y", analysis.TOTAL]].tolist() == [66.7, 33.3, 100.0]
    # A code nobody used has no percentage rather than a division by zero.
    empty = analysis.crosstab(CODINGS.iloc[:0], SEGMENTS, RESPONDENTS, BOOK, "group", "segments", "row")
    assert empty[["x", "y", analysis.TOTAL]].isna().all().all()


def test_column_percentages_divide_by_the_column_base():
    bases = analysis.column_bases(SEGMENTS, RESPONDENTS, "group", "respondents")
    assert bases.to_dict() == {"x": 2, "y": 1, analysis.MISSING: 1, analysis.TOTAL: 4}
    result = table("respondents", "column")
    assert result.loc["actors", ["x", "y", analysis.TOTAL]].tolist() == [100.0, 100.0, 75.0]
    assert result.loc["refugees", ["x", "y", analysis.MISSING, analysis.TOTAL]].tolist() == [0.0, 100.0, 100.0, 50.0]
    segments = table("segments", "column")
    assert segments.loc["actors", "x"] == round(3 / 4 * 100, 1)  # group x has four segments


def test_percentages_of_a_counted_table_equal_the_crosstab_asked_for_them():
    # The dashboard counts once and derives both kinds of percentages from the cached counts.
    counts = table("respondents")
    bases = analysis.column_bases(SEGMENTS, RESPONDENTS, "group", "respondents")
    pd.testing.assert_frame_equal(analysis.percentages(counts, "row"), table("respondents", "row"))
    pd.testing.assert_frame_equal(analysis.percentages(counts, "column", bases), table("respondents", "column"))
    with pytest.raises(ValueError):
        analysis.percentages(counts, "column")


def test_an_unknown_attribute_names_the_known_ones():
    with pytest.raises(KeyError, match="unknown respondent attribute 'side' \\(known: group\\)"):
        analysis.crosstab(CODINGS, SEGMENTS, RESPONDENTS, BOOK, "side")


def test_frequencies_and_cooccurrence_use_the_rolled_up_codes():
    freq = analysis.frequencies(CODINGS, SEGMENTS, BOOK)
    assert freq.loc["actors", ["segments", "respondents"]].tolist() == [4, 3]
    assert freq.loc["actors", "% of respondents"] == 75.0
    matrix = analysis.cooccurrence(CODINGS, BOOK)
    assert matrix.loc["actors.iran", "refugees"] == 1  # segment 5
    assert matrix.loc["actors", "actors"] == 4


# ----- a project over the demo corpus, checked against the gold file -------------------------------


@pytest.fixture(scope="module")
def gold_project(tmp_path_factory):
    """The demo corpus with the gold turn codes imported as coder 'gold' (unit: turn, no spaCy needed)."""
    from coding.demo import turn_codings_to_csv

    folder = tmp_path_factory.mktemp("gold")
    project = coding.create_project(folder / "project")
    project.ingest([CORPUS / "transcripts"], metadata=CORPUS / "respondents.csv")
    project.segment("turn")
    turn_codings_to_csv(CORPUS / "gold.jsonl", CORPUS / "transcripts", folder / "gold.csv")
    project.import_codings(folder / "gold.csv", "gold")
    return coding.open_project(folder / "project")


def independent_counts():
    """(code, group) -> respondents and -> turns, straight from the files with plain Python."""
    with (CORPUS / "respondents.csv").open(encoding="utf-8") as handle:
        group = {row["respondent_id"]: row["group"] for row in csv.DictReader(handle)}
    parents = {c["id"]: c.get("parent") for c in yaml.safe_load(CODEBOOK.read_text(encoding="utf-8"))["codes"]}
    respondents: dict[tuple[str, str], set[str]] = defaultdict(set)
    turns: dict[tuple[str, str], set[tuple[str, int]]] = defaultdict(set)
    for line in (CORPUS / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        respondent = item["doc"]  # demo transcripts are named after their respondent
        for code in item["codes"]:
            while code:
                respondents[(code, group[respondent])].add(respondent)
                turns[(code, group[respondent])].add((item["doc"], item["turn"]))
                code = parents[code]
    return group, parents, respondents, turns


def test_public_api_crosstab_returns_a_dataframe(gold_project):
    result = gold_project.crosstab(by="group", count="respondents")
    assert isinstance(result, pd.DataFrame)
    assert result.columns.name == "group"


def test_respondent_crosstab_matches_an_independent_count_from_the_gold_file(gold_project):
    group, parents, respondents, _ = independent_counts()
    result = gold_project.crosstab(by="group", count="respondents", source="human", coders=["gold"])
    groups = sorted(set(group.values()))
    assert list(result.columns) == ["name", "level", *groups, analysis.TOTAL]
    assert set(result.index) == set(parents)
    for code in parents:
        for value in groups:
            assert result.loc[code, value] == len(respondents.get((code, value), set())), (code, value)
        everyone = set().union(*(respondents.get((code, v), set()) for v in groups))
        assert result.loc[code, analysis.TOTAL] == len(everyone), code
    assert result.loc["external_actors", analysis.TOTAL] > result.loc["external_actors.russia", analysis.TOTAL]


def test_turn_crosstab_matches_an_independent_count_of_gold_turns(gold_project):
    group, parents, _, turns = independent_counts()
    result = gold_project.crosstab(by="group", count="segments", coders=["gold"])
    for code in parents:
        for value in sorted(set(group.values())):
            assert result.loc[code, value] == len(turns.get((code, value), set())), (code, value)


def test_column_percentages_of_respondents_use_group_sizes(gold_project):
    group, parents, respondents, _ = independent_counts()
    sizes = defaultdict(int)
    for value in group.values():
        sizes[value] += 1
    result = gold_project.crosstab(by="group", count="respondents", percent="column", coders=["gold"])
    for code in parents:
        for value, size in sizes.items():
            assert result.loc[code, value] == round(len(respondents.get((code, value), set())) / size * 100, 1)


def test_an_unknown_attribute_is_a_usage_error(gold_project):
    with pytest.raises(UsageError, match="unknown respondent attribute 'religion'"):
        gold_project.crosstab(by="religion")


def test_other_sources_and_coders_are_filtered_out(gold_project):
    assert gold_project.crosstab(by="group", source="auto")[analysis.TOTAL].sum() == 0
    assert gold_project.crosstab(by="group", coders=["nobody"])[analysis.TOTAL].sum() == 0
    with pytest.raises(UsageError, match="source must be one of"):
        gold_project.crosstab(by="group", source="robots")
