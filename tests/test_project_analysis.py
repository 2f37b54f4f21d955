"""The Project facade's analysis methods (issue 13) on the demo corpus with its gold turn codes: each hands
the library the project's own frames, and bad arguments become the project's own errors."""

from __future__ import annotations

import pandas as pd
import pytest
from analysis_projects import gold_frames

from coding import analysis
from coding.errors import UsageError


@pytest.fixture(scope="module")
def gold(tmp_path_factory):
    return gold_frames(tmp_path_factory.mktemp("project_analysis"))


def test_search_hits_are_document_offsets_of_what_respondents_said(gold):
    hits = gold.project.search("peace")
    assert len(hits) > 10
    for row in hits.itertuples(index=False):
        assert gold.texts[row.document][row.start : row.end].lower() == "peace" == row.match.lower()
    assert set(hits["respondent_id"]) <= set(gold.respondents["respondent_id"])


def test_search_filters_by_attribute_and_code(gold):
    project = gold.project
    everyone = project.search("peace")
    group = gold.respondents["group"].iat[0]
    kept = project.search("peace", attributes={"group": [group]})
    members = set(gold.respondents.loc[gold.respondents["group"] == group, "respondent_id"])
    assert 0 < len(kept) < len(everyone) and set(kept["respondent_id"]) <= members
    code = gold.codebook.codes[0].id
    coded = project.search("peace", codes=[code])
    segments = set(analysis.rolled_up(gold.codings, gold.codebook).query("code == @code")["segment_id"])
    assert 0 < len(coded) < len(everyone) and set(coded["segment_id"]) <= segments
    with pytest.raises(UsageError, match="unknown code"):
        project.search("peace", codes=["no.such.code"])
    with pytest.raises(UsageError):
        project.search("peace", attributes={"shoe_size": ["9"]})


def test_lemma_search_finds_inflections_from_an_index_built_once(gold):
    hits = gold.project.search("talk", mode="lemma")
    assert {"talks", "talked"} <= set(hits["match"].str.lower())
    stored = gold.project.folder / ".qcode" / "lemmas.npz"
    made = stored.stat().st_mtime_ns
    again = gold.project.search("talk", mode="lemma")
    assert stored.stat().st_mtime_ns == made  # read, not rebuilt
    pd.testing.assert_frame_equal(hits, again)


def test_crosstab_by_one_attribute_is_unchanged_and_two_give_two_column_levels(gold):
    project = gold.project
    for percent in ("none", "row", "column"):
        pd.testing.assert_frame_equal(
            project.crosstab("group", percent=percent),
            analysis.crosstab(
                gold.codings, gold.segments, gold.respondents, gold.codebook, "group", "segments", percent
            ),
        )
    crossed = project.crosstab(["group", "gender"], count="respondents")
    assert crossed.columns.nlevels == 2 and list(crossed.columns.names) == ["group", "gender"]
    values = [c for c in crossed.columns if c[0] not in ("name", "level", "Total")]
    by_group = project.crosstab("group", count="respondents")
    for group in {c[0] for c in values}:  # respondents split by gender add up to their group
        parts = crossed[[c for c in values if c[0] == group]].sum(axis=1)
        assert (parts == by_group[group]).all()
    with pytest.raises(UsageError):
        project.crosstab(["group", "shoe_size"])


def test_publication_crosstab_cells_read_count_and_column_percent(gold):
    table, about = gold.project.publication_crosstab(["group", "gender"], count="respondents", percent="column")
    counts = gold.project.crosstab(["group", "gender"], count="respondents")
    bases = gold.project.column_bases(["group", "gender"], "respondents")
    column = next(c for c in counts.columns if c[0] not in ("name", "level", "Total"))
    header = f"{column[0]} / {column[1]}"
    for row, (count, base) in enumerate(zip(counts[column], [bases[column]] * len(counts), strict=True)):
        expected = f"{count} ({round(100 * count / base)}%)" if base else f"{count}"
        assert table[header].iat[row] == expected
    assert table["Code"].iat[-1] == "n (respondents)" and int(table[header].iat[-1]) == bases[column]
    assert about["Coding unit"] == "turn" and "group x gender" in about["Counts"]
    assert list(about.values()).count(about["Coders"]) == 1
    with pytest.raises(UsageError, match="percent"):
        gold.project.publication_crosstab("group", percent="share")


def test_case_matrix_relations_portrait_and_words(gold):
    project = gold.project
    matrix = project.case_matrix("group")
    assert set(matrix.columns.get_level_values("respondent_id")) - {"", "Total"} <= set(
        gold.respondents["respondent_id"]
    )
    relations = project.code_relations("turn", measure="jaccard")
    assert relations.shape[0] == relations.shape[1] > 0
    document = gold.segments["document"].iat[0]
    strip = project.portrait(document)
    assert len(strip) > 0
    words = project.word_counts("group")
    assert words["Total"].sum() == words.drop(columns="Total").sum().sum()
    keyness = project.keyness("group", gold.respondents["group"].iat[0])
    assert len(keyness) > 0
    for bad in (
        lambda: project.code_relations("paragraph"),
        lambda: project.portrait("no-such-transcript"),
        lambda: project.case_matrix("shoe_size"),
        lambda: project.keyness("group", "martians"),
    ):
        with pytest.raises(UsageError):
            bad()
