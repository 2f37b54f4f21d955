"""Crosstabs over two attributes (two column levels) and the code x respondent matrix, checked against the
one-attribute crosstab that the rest of qcode already trusts and against the gold file."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd
import pytest
from analysis_projects import gold_frames, gold_lines

from coding import analysis


@pytest.fixture(scope="module")
def gold(tmp_path_factory):
    return gold_frames(tmp_path_factory.mktemp("matrices"))


def frames(gold):
    return gold.codings, gold.segments, gold.respondents, gold.codebook


@pytest.mark.parametrize("count", analysis.COUNTS)
@pytest.mark.parametrize("percent", analysis.PERCENTS)
def test_one_attribute_gives_exactly_the_existing_crosstab(gold, count, percent):
    for by in ("group", "gender", "side"):
        expected = analysis.crosstab(*frames(gold), by, count, percent)
        pd.testing.assert_frame_equal(analysis.crosstab_by(*frames(gold), [by], count, percent), expected)
    expected_bases = analysis.column_bases(gold.segments, gold.respondents, "group", count)
    pd.testing.assert_series_equal(
        analysis.column_bases_by(gold.segments, gold.respondents, ["group"], count), expected_bases, check_names=False
    )


@pytest.mark.parametrize("count", analysis.COUNTS)
def test_two_attributes_have_two_column_levels_that_add_up_to_the_first(gold, count):
    table = analysis.crosstab_by(*frames(gold), ["group", "gender"], count)
    assert table.columns.names == ["group", "gender"]
    assert table.columns.nlevels == 2 and table.columns[-1] == (analysis.TOTAL, "")
    one = analysis.crosstab(*frames(gold), "group", count)
    values = analysis.value_columns(table)[:-1]
    for group in {g for g, _ in values}:
        inside = [c for c in values if c[0] == group]
        # A respondent has one group and one gender, so the genders within a group add up to it.
        pd.testing.assert_series_equal(table[inside].sum(axis=1), one[group], check_names=False)
    assert (table[(analysis.TOTAL, "")] == one[analysis.TOTAL]).all()
    pairs = set(gold.respondents[["group", "gender"]].itertuples(index=False, name=None))
    assert set(values) == pairs, "exactly the combinations some respondent has"


def test_two_attribute_percentages_and_bases(gold):
    by = ["group", "gender"]
    counts = analysis.crosstab_by(*frames(gold), by, "respondents")
    bases = analysis.column_bases_by(gold.segments, gold.respondents, by, "respondents")
    sizes = gold.respondents.groupby(by).size()
    for column in analysis.value_columns(counts)[:-1]:
        assert bases[column] == sizes[column]
    assert bases[(analysis.TOTAL, "")] == len(gold.respondents)
    column = analysis.crosstab_by(*frames(gold), by, "respondents", "column")
    row = analysis.crosstab_by(*frames(gold), by, "respondents", "row")
    code, cell = "external_actors.russia", ("government", "male")
    assert column.loc[code, cell] == round(counts.loc[code, cell] / bases[cell] * 100, 1)
    assert row.loc[code, cell] == round(counts.loc[code, cell] / counts.loc[code, (analysis.TOTAL, "")] * 100, 1)
    assert (row[(analysis.TOTAL, "")].dropna() == 100.0).all()


def test_code_by_respondent_matrix_matches_the_gold_file(gold):
    matrix = analysis.case_matrix(*frames(gold), order_by="group")
    parents = {c.id: c.parent for c in gold.codebook.codes}
    turns = defaultdict(set)
    for line in gold_lines():
        for code in line["codes"]:
            while code:
                turns[(code, line["doc"])].add(line["turn"])
                code = parents[code]
    for code in parents:
        for group, respondent in analysis.value_columns(matrix):
            assert matrix.loc[code, (group, respondent)] == len(turns.get((code, respondent), ())), (code, respondent)
    groups = [g for g, _ in analysis.value_columns(matrix)]
    assert groups == sorted(groups), "respondents are ordered by the attribute"
    group_of = gold.respondents.set_index("respondent_id")["group"]
    assert all(group_of[r] == g for g, r in analysis.value_columns(matrix))


def test_code_by_respondent_sums_to_the_crosstab(gold):
    segments = analysis.case_matrix(*frames(gold))
    presence = analysis.case_matrix(*frames(gold), values="presence")
    assert segments.columns.name == "respondent_id"
    crosstab = analysis.crosstab(*frames(gold), "group", "segments")
    people = analysis.crosstab(*frames(gold), "group", "respondents")
    people_columns = [c for c in presence.columns if c not in ("name", "level")]
    assert (segments[people_columns].sum(axis=1) == crosstab[analysis.TOTAL]).all()
    assert (presence[people_columns].sum(axis=1) == people[analysis.TOTAL]).all()
    assert set(presence[people_columns].stack().unique()) <= {0, 1}
