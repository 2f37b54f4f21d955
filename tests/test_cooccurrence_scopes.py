"""Co-occurrence in the same unit, the same turn, or within N sentences, with coefficients, the parent/child
cells left out, a code's profile by group, and the segments behind a cell."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from analysis_projects import gold_frames

from coding import analysis, cooccurrence
from coding.models import Code, Codebook

BOOK = Codebook("t", "1", [Code("a", "A"), Code("a.x", "X", parent="a"), Code("b", "B"), Code("c", "C")])
# One document of sentences at positions 0..6 in two respondent turns (0: positions 0-3, 2: positions 4-6),
# and a second document with one sentence.
SEGMENTS = pd.DataFrame(
    {
        "segment_id": [1, 2, 3, 4, 5, 6, 7, 8],
        "document": ["d1"] * 7 + ["d2"],
        "respondent_id": ["r1"] * 7 + ["r2"],
        "turn_index": [0, 0, 0, 0, 2, 2, 2, 0],
        "position": [0, 1, 2, 3, 4, 5, 6, 0],
    }
)
RESPONDENTS = pd.DataFrame({"respondent_id": ["r1", "r2"], "group": ["g", "h"]})
CODINGS = pd.DataFrame(
    {
        "segment_id": [1, 1, 2, 4, 5, 7, 8, 8],
        "code": ["a.x", "b", "c", "b", "c", "a", "a", "c"],
    }
)


def matrix(scope, window=1, measure="count", lineage=False):
    return cooccurrence.cooccurrence_matrix(CODINGS, SEGMENTS, BOOK, scope, window, measure, include_lineage=lineage)


def test_same_unit_counts_segments_with_both_codes():
    found = matrix("unit")
    assert found.loc["a", "b"] == 1 and found.loc["a.x", "b"] == 1  # segment 1, parent counted through its child
    assert found.loc["a", "c"] == 1  # segment 8
    assert found.loc["b", "c"] == 0
    assert found.loc["a", "a"] == 3 and found.loc["c", "c"] == 3  # the diagonal: segments with the code
    assert np.isnan(found.loc["a", "a.x"]) and np.isnan(found.loc["a.x", "a"]), "a parent is not compared to its child"
    assert matrix("unit", lineage=True).loc["a", "a.x"] == 1


def test_same_turn_counts_turns():
    found = matrix("turn")
    assert found.loc["b", "c"] == 1  # turn 0 of d1 (b on segments 1 and 4, c on 2); b is nowhere else
    assert found.loc["a", "c"] == 3  # d1 turn 0 (a.x, c), d1 turn 2 (c, a), d2 (a, c)
    assert found.loc["b", "b"] == 1 and found.loc["c", "c"] == 3


def test_within_n_sentences_is_a_window_of_n_plus_one_segments():
    one, two, zero = matrix("window", 1), matrix("window", 2), matrix("window", 0)
    assert one.loc["a", "c"] > 0  # positions 0 and 1
    assert one.loc["b", "c"] == 2  # windows [0, 1] and [3, 4], the second across the turn boundary
    # b at 0 and 3, a at 0 and 6: (0, 0) within any window; nothing else within 2.
    assert one.loc["a", "b"] == 1
    # Windows never join two documents: d2's a and c share its only window.
    pd.testing.assert_frame_equal(zero, matrix("unit").astype(float), check_dtype=False)
    assert two.loc["b", "c"] >= one.loc["b", "c"]
    with pytest.raises(ValueError):
        matrix("window", -1)


def test_coefficients_follow_their_formulas():
    counts = matrix("turn", lineage=True)
    jaccard = matrix("turn", measure="jaccard", lineage=True)
    overlap = matrix("turn", measure="overlap", lineage=True)
    share = matrix("turn", measure="share", lineage=True)
    n_a, n_c, n_ac = counts.loc["a", "a"], counts.loc["c", "c"], counts.loc["a", "c"]
    assert jaccard.loc["a", "c"] == round(n_ac / (n_a + n_c - n_ac), 3)  # ATLAS.ti's c-coefficient
    assert overlap.loc["a", "c"] == round(n_ac / min(n_a, n_c), 3)
    assert share.loc["b", "c"] == round(counts.loc["b", "c"] / counts.loc["b", "b"], 3)
    assert np.isnan(jaccard.loc["a", "a"]), "a code with itself says nothing"
    pairs = cooccurrence.cooccurrence_pairs(CODINGS, SEGMENTS, BOOK, "turn")
    row = pairs[(pairs["code_a"] == "a") & (pairs["code_b"] == "c")].iloc[0]
    assert (row["n_a"], row["n_b"], row["n_ab"], row["jaccard"]) == (n_a, n_c, n_ac, jaccard.loc["a", "c"])
    assert not ((pairs["code_a"] == "a") & (pairs["code_b"] == "a.x")).any()


def test_profile_by_group_splits_the_pairs_by_the_respondents_attribute():
    table, bases = cooccurrence.profile(CODINGS, SEGMENTS, RESPONDENTS, BOOK, "c", "group", "turn")
    assert list(table.index) == ["a", "a.x", "b"]
    assert table.loc["a", ["g", "h", analysis.TOTAL]].tolist() == [2, 1, 3]
    assert table.loc["b", ["g", "h", analysis.TOTAL]].tolist() == [1, 0, 1]
    assert bases.to_dict() == {"g": 2, "h": 1, analysis.TOTAL: 3}
    own, _ = cooccurrence.profile(CODINGS, SEGMENTS, RESPONDENTS, BOOK, "a", "group", "turn")
    assert "a.x" not in own.index, "a parent's profile leaves out its own children"


def test_the_segments_behind_a_cell_carry_one_code_or_both():
    cell = cooccurrence.cell_segments(CODINGS, SEGMENTS, BOOK, "b", "c", "turn")
    assert set(cell["segment_id"]) == {1, 2, 4}
    flags = cell.set_index("segment_id")[["has_a", "has_b"]]
    assert flags.loc[1].tolist() == [True, False] and flags.loc[2].tolist() == [False, True]
    unit = cooccurrence.cell_segments(CODINGS, SEGMENTS, BOOK, "a", "c", "unit")
    assert unit["segment_id"].tolist() == [8] and unit[["has_a", "has_b"]].all().all()


@pytest.fixture(scope="module")
def gold(tmp_path_factory):
    return gold_frames(tmp_path_factory.mktemp("cooc"))


def test_on_the_gold_project_same_unit_equals_the_existing_table(gold):
    expected = analysis.cooccurrence(gold.codings, gold.codebook)
    found = cooccurrence.cooccurrence_matrix(gold.codings, gold.segments, gold.codebook, "unit", include_lineage=True)
    assert (found.to_numpy() == expected.to_numpy()).all()
    zero = cooccurrence.cooccurrence_matrix(
        gold.codings, gold.segments, gold.codebook, "window", 0, include_lineage=True
    )
    assert (zero.to_numpy() == expected.to_numpy()).all()
    wide = cooccurrence.cooccurrence_matrix(
        gold.codings, gold.segments, gold.codebook, "window", 2, include_lineage=True
    )
    assert (wide.to_numpy() >= 0).all() and (np.diag(wide.to_numpy()) >= np.diag(expected.to_numpy())).all()
    table, bases = cooccurrence.profile(
        gold.codings, gold.segments, gold.respondents, gold.codebook, "external_actors.russia", "group"
    )
    groups = [c for c in table.columns if c not in ("name", "level", analysis.TOTAL)]
    assert (table[groups].sum(axis=1) == table[analysis.TOTAL]).all()
    strict = cooccurrence.cooccurrence_matrix(gold.codings, gold.segments, gold.codebook, "unit")
    for other in table.index:
        assert table.loc[other, analysis.TOTAL] == strict.loc["external_actors.russia", other]
    assert bases[analysis.TOTAL] == expected.loc["external_actors.russia", "external_actors.russia"]
