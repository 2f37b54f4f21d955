"""Agreement statistics against published worked examples (the general reference forms and the product's
Fleiss' kappa from counts), and per-code agreement on segment presence checked against the references."""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from reference_agreement import (
    PRESENCE,
    brennan_prediger,
    category_counts,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
    ratings_from_contingency,
    ratings_from_counts,
    scott_pi,
)

from coding.agreement import (
    POOLED,
    Statistic,
    agreement_by_code,
    disagreements,
    fleiss_kappa_from_counts,
    presence,
)
from coding.errors import UsageError

REFERENCES_PATH = Path(__file__).parent / "fixtures" / "reliability" / "reference_values.json"
REFERENCES: list[dict[str, Any]] = json.loads(REFERENCES_PATH.read_text(encoding="utf-8"))

Compute = Callable[[pd.DataFrame, str, Sequence[Hashable] | None], Statistic]

# measure -> how to compute it from a ratings table, the entry's level and its categories (if known)
COVERED: dict[str, Compute] = {
    "percent_agreement": lambda ratings, level, categories: percent_agreement(ratings),
    "cohen_kappa": lambda ratings, level, categories: cohen_kappa(ratings),
    "scott_pi": lambda ratings, level, categories: scott_pi(ratings),
    "fleiss_kappa": lambda ratings, level, categories: fleiss_kappa(ratings),
    "krippendorff_alpha": lambda ratings, level, categories: krippendorff_alpha(ratings, level),  # type: ignore[arg-type]
    "gwet_ac1": lambda ratings, level, categories: gwet_ac1(ratings, categories),
    "brennan_prediger": lambda ratings, level, categories: brennan_prediger(ratings, categories),
}
NOT_COVERED = {
    "fleiss_kappa_gwet_missing": "Gwet's extension of Fleiss' kappa to missing ratings is not implemented: "
    "fleiss_kappa needs complete data and returns None otherwise (use Krippendorff's alpha)",
    "conger_kappa": "Conger's multi-rater kappa is not implemented",
    "bangdiwala_b": "Bangdiwala's B (agreement chart statistic) is not implemented",
}


def to_ratings(entry: dict[str, Any]) -> tuple[pd.DataFrame, list[int] | None]:
    """The entry's data as a units x coders table, and its category list when the layout fixes it."""
    layout, data = entry["data_format"], entry["data"]
    if layout.startswith("coders x units"):
        return pd.DataFrame(data).T, None
    if layout.startswith("units x raters"):
        return pd.DataFrame(data), None
    if "contingency table" in layout:  # "2-rater contingency table" and "2x2 contingency table"
        return ratings_from_contingency(data), list(range(len(data)))
    if layout.startswith("subjects x categories COUNT table"):
        return ratings_from_counts(data), list(range(len(data[0])))
    raise AssertionError(f"{entry['name']}: unknown data_format {layout!r}")


def test_reference_file_is_complete() -> None:
    assert len(REFERENCES) == 28
    assert len({entry["name"] for entry in REFERENCES}) == len(REFERENCES)
    for entry in REFERENCES:
        assert entry["measure"] in COVERED or entry["measure"] in NOT_COVERED, entry["name"]


@pytest.mark.parametrize("entry", REFERENCES, ids=[entry["name"] for entry in REFERENCES])
def test_reference_value(entry: dict[str, Any]) -> None:
    measure, level = entry["measure"], entry["level"]
    if measure in NOT_COVERED:
        pytest.skip(NOT_COVERED[measure])
    if measure != "krippendorff_alpha" and level != "nominal":
        pytest.skip(f"{measure} is implemented for nominal data only")
    ratings, categories = to_ratings(entry)
    result = COVERED[measure](ratings, level, categories)
    assert result.value == pytest.approx(entry["expected"], abs=entry["tolerance"]), result


FLEISS_COUNT_TABLES = [
    entry for entry in REFERENCES if entry["measure"] == "fleiss_kappa" and "COUNT" in entry["data_format"]
]


@pytest.mark.parametrize("entry", FLEISS_COUNT_TABLES, ids=[entry["name"] for entry in FLEISS_COUNT_TABLES])
def test_fleiss_kappa_straight_from_count_table(entry: dict[str, Any]) -> None:
    result = fleiss_kappa_from_counts(entry["data"])
    assert result.value == pytest.approx(entry["expected"], abs=entry["tolerance"])


def test_fleiss_kappa_is_undefined_with_missing_ratings() -> None:
    # Krippendorff's 4 x 12 data: units carry 1 to 4 ratings, so the textbook formula does not apply.
    entry = next(e for e in REFERENCES if e["name"] == "irrCAC_cac.raw4raters_fleiss_kappa_gwet_missing")
    ratings, _ = to_ratings(entry)
    result = fleiss_kappa(ratings)
    assert result.value is None
    assert result.reason is not None and "same number of coders" in result.reason


# --- the statistics on small hand-made data ---------------------------------------------------------

ALL_STATISTICS: dict[str, Callable[[pd.DataFrame], Statistic]] = {
    "percent_agreement": percent_agreement,
    "cohen_kappa": cohen_kappa,
    "scott_pi": scott_pi,
    "fleiss_kappa": fleiss_kappa,
    "krippendorff_alpha": krippendorff_alpha,
    "gwet_ac1": gwet_ac1,
    "brennan_prediger": brennan_prediger,
}


@pytest.mark.parametrize("name", ALL_STATISTICS)
def test_perfect_agreement_scores_one(name: str) -> None:
    ratings = pd.DataFrame({"ann": ["a", "b", "c", "a"], "ben": ["a", "b", "c", "a"]})
    assert ALL_STATISTICS[name](ratings) == Statistic(1.0)


@pytest.mark.parametrize("name", ["cohen_kappa", "scott_pi", "fleiss_kappa", "krippendorff_alpha"])
def test_no_variation_is_undefined_with_a_reason(name: str) -> None:
    everyone_said_absent = pd.DataFrame({"ann": [False] * 5, "ben": [False] * 5})
    result = ALL_STATISTICS[name](everyone_said_absent)
    assert result.value is None
    assert result.reason is not None and "no variation" in result.reason


def test_no_variation_still_has_percent_agreement_and_ac1() -> None:
    everyone_said_absent = pd.DataFrame({"ann": [False] * 5, "ben": [False] * 5})
    assert percent_agreement(everyone_said_absent).value == 1.0
    # AC1 needs to know that "present" was possible; with only one observed category it is undefined.
    assert gwet_ac1(everyone_said_absent, PRESENCE).value == 1.0
    assert gwet_ac1(everyone_said_absent).value is None


def test_units_without_a_second_rating_give_no_pairs() -> None:
    ratings = pd.DataFrame({"ann": ["a", None], "ben": [None, "b"]})
    for statistic in (percent_agreement, cohen_kappa, krippendorff_alpha):
        result = statistic(ratings)
        assert result.value is None and result.reason == "no unit was rated by two or more coders"


def test_cohen_kappa_uses_only_units_both_coders_rated() -> None:
    with_gap = pd.DataFrame({"ann": ["a", "b", "a", "b", "a"], "ben": ["a", "b", "b", None, "a"]})
    assert cohen_kappa(with_gap) == cohen_kappa(with_gap.drop(index=3))


def test_two_coder_statistics_refuse_three_coders() -> None:
    with pytest.raises(ValueError, match="exactly two coders"):
        cohen_kappa(pd.DataFrame({"a": [1], "b": [1], "c": [1]}))


def test_statistic_holds_a_value_or_a_reason() -> None:
    with pytest.raises(ValueError):
        Statistic(None)
    with pytest.raises(ValueError):
        Statistic(0.5, "both")
    assert not Statistic(None, "why").defined


def test_ordinal_alpha_follows_the_given_category_order() -> None:
    # Same data as Krippendorff (2011) section D with words for numbers: ordinal alpha is 0.815.
    words = {1: "very low", 2: "low", 3: "mid", 4: "high", 5: "very high"}
    entry = next(e for e in REFERENCES if e["name"] == "krippendorff2011_4coders_12units_ordinal")
    ratings = pd.DataFrame(entry["data"]).T.map(lambda v: words.get(v) if pd.notna(v) else None)
    result = krippendorff_alpha(ratings, "ordinal", categories=list(words.values()))
    assert result.value == pytest.approx(0.815, abs=0.0005)


def test_krippendorff_alpha_rejects_bad_level_and_text_intervals() -> None:
    ratings = pd.DataFrame({"ann": ["a", "b"], "ben": ["a", "a"]})
    with pytest.raises(ValueError, match="level"):
        krippendorff_alpha(ratings, "cardinal")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="numeric"):
        krippendorff_alpha(ratings, "interval")


def test_category_counts_lists_unused_categories() -> None:
    counts = category_counts(pd.DataFrame({"ann": ["x", None], "ben": ["x", "y"]}), categories=["x", "y", "z"])
    assert counts.columns.tolist() == ["x", "y", "z"]
    assert counts.to_numpy().tolist() == [[2, 0, 0], [0, 1, 0]]


# --- agreement on segment-level presence ------------------------------------------------------------

UNITS = list(range(1, 11))
CODES = ["cost", "trust", "rare"]


@pytest.fixture
def two_coder_codings() -> pd.DataFrame:
    rows = [(s, "cost", "ann") for s in (1, 2, 3, 4)] + [(s, "cost", "ben") for s in (1, 2, 3, 5)]
    rows += [(6, "trust", "ann"), (7, "trust", "ann")]
    rows += [(1, "cost", "ann")]  # a second span of the same code in segment 1 counts once
    rows += [(99, "cost", "ben"), (2, "other", "ben"), (3, "cost", "cat")]  # outside units/codes/coders
    return pd.DataFrame(rows, columns=["segment_id", "code", "coder"])


def test_agreement_by_code_two_coders(two_coder_codings: pd.DataFrame) -> None:
    # cost over 10 segments: both 1-3, ann only 4, ben only 5, neither 6-10.
    #   agreement 8/10; chance .4*.4 + .6*.6 = .52; kappa (.8-.52)/.48 = 7/12.
    #   alpha: 20 values, 8 present, 12 absent, 2 disagreeing units: 1 - 19*2/(8*12) = 29/48.
    # trust: ann only on 6 and 7. agreement .8; chance .2*0 + .8*1 = .8, kappa 0.
    #   alpha: 2 present, 18 absent: 1 - 19*2/(2*18) = -1/18.
    # rare: nobody applied it: agreement 1, kappa and alpha undefined.
    # All codes, 30 (segment, code) pairs: agreement 26/30; ann 6/30 present, ben 4/30;
    #   chance .2*4/30 + .8*26/30 = .72, kappa (26/30-.72)/.28 = 11/21;
    #   alpha: 10 present, 50 absent, 4 disagreeing pairs: 1 - 59*4/(10*50) = .528.
    table = agreement_by_code(two_coder_codings, UNITS, ["ann", "ben"], CODES).set_index("code")
    assert table.columns.tolist() == [
        "n_segments",
        "positives_ann",
        "positives_ben",
        "percent_agreement",
        "cohen_kappa",
        "krippendorff_alpha",
        "note",
    ]
    assert table.index.tolist() == [*CODES, POOLED]
    assert table["n_segments"].tolist() == [10, 10, 10, 10]
    assert table["positives_ann"].tolist() == [4, 2, 0, 6]
    assert table["positives_ben"].tolist() == [4, 0, 0, 4]
    assert table.loc["cost", "percent_agreement"] == pytest.approx(0.8)
    assert table.loc["cost", "cohen_kappa"] == pytest.approx(7 / 12)
    assert table.loc["cost", "krippendorff_alpha"] == pytest.approx(29 / 48)
    assert table.loc["trust", "cohen_kappa"] == pytest.approx(0.0)
    assert table.loc["trust", "krippendorff_alpha"] == pytest.approx(-1 / 18)
    assert table.loc["cost", "note"] == "" and table.loc["trust", "note"] == ""


def test_undefined_code_has_no_number_and_a_note(two_coder_codings: pd.DataFrame) -> None:
    rare = agreement_by_code(two_coder_codings, UNITS, ["ann", "ben"], CODES).set_index("code").loc["rare"]
    assert rare["percent_agreement"] == 1.0
    assert rare["cohen_kappa"] is pd.NA and rare["krippendorff_alpha"] is pd.NA
    assert rare["note"] == (
        "Cohen's kappa and Krippendorff's alpha undefined: "
        "no coder applied this code to any segment, so there is no variation"
    )


def test_pooled_row_covers_every_segment_and_code(two_coder_codings: pd.DataFrame) -> None:
    pooled = agreement_by_code(two_coder_codings, UNITS, ["ann", "ben"], CODES).iloc[-1]
    assert pooled["code"] == POOLED
    assert pooled["percent_agreement"] == pytest.approx(26 / 30)
    assert pooled["cohen_kappa"] == pytest.approx(11 / 21)
    assert pooled["krippendorff_alpha"] == pytest.approx(0.528)


def test_agreement_by_code_three_coders() -> None:
    # cost over segments 1-4: ann and ben on 1 and 2, cat on 1 and 3.
    #   present counts per segment: 3, 2, 1, 0 of 3 coders.
    #   agreeing pairs per segment: 1, 1/3, 1/3, 1 -> percent agreement 2/3.
    #   Fleiss: 6 of 12 ratings present, chance .5, kappa (2/3 - .5)/.5 = 1/3.
    #   alpha: 12 values, 6/6; segments 2 and 3 each add 2*1/(3-1) = 1 present-absent coincidence:
    #   1 - 11*2/(6*6) = 7/18.
    codings = pd.DataFrame(
        [(1, "cost", "ann"), (2, "cost", "ann"), (1, "cost", "ben"), (2, "cost", "ben")]
        + [(1, "cost", "cat"), (3, "cost", "cat")],
        columns=["segment_id", "code", "coder"],
    )
    table = agreement_by_code(codings, [1, 2, 3, 4], ["ann", "ben", "cat"], ["cost"])
    assert "cohen_kappa" not in table.columns
    cost = table.set_index("code").loc["cost"]
    assert [cost[f"positives_{coder}"] for coder in ("ann", "ben", "cat")] == [2, 2, 2]
    assert cost["percent_agreement"] == pytest.approx(2 / 3)
    assert cost["fleiss_kappa"] == pytest.approx(1 / 3)
    assert cost["krippendorff_alpha"] == pytest.approx(7 / 18)
    # With a single code the pooled row is the same computation.
    assert table.iloc[-1]["fleiss_kappa"] == pytest.approx(1 / 3)


@pytest.mark.parametrize("coders", [2, 3, 5, 70])
def test_per_code_statistics_equal_the_general_functions(coders: int) -> None:
    # agreement_by_code computes from presence counts directly; the general functions are the reference.
    # 70 coders: more than the 62 bits of a word (the database path's limit); patterns are rows, not integers.
    rng = np.random.default_rng(coders)
    names = [f"c{i}" for i in range(coders)]
    units = list(range(60))
    rows = []
    for code, share in (("common", 0.5), ("rare", 0.05), ("never", 0.0), ("always", 1.0)):
        truth = rng.random(len(units)) < share
        for name in names:
            decided = truth ^ (rng.random(len(units)) < 0.1) if 0 < share < 1 else truth
            rows += [(unit, code, name) for unit, applied in zip(units, decided, strict=True) if applied]
    codings = pd.DataFrame(rows, columns=["segment_id", "code", "coder"])
    codes = ["common", "rare", "never", "always"]
    table = agreement_by_code(codings, units, names, codes).set_index("code")
    full = presence(codings, units, names, codes)
    for code in codes:
        ratings = full.xs(code, level="code")
        expected = {"percent_agreement": percent_agreement(ratings), "krippendorff_alpha": krippendorff_alpha(ratings)}
        if coders == 2:
            expected["cohen_kappa"] = cohen_kappa(ratings)
        else:
            expected["fleiss_kappa"] = fleiss_kappa(ratings)
        for name, statistic in expected.items():
            got = table.loc[code, name]
            if statistic.defined:
                assert got == pytest.approx(statistic.value), (code, name)
            else:
                assert got is pd.NA, (code, name)
    pooled = {"percent_agreement": percent_agreement(full), "krippendorff_alpha": krippendorff_alpha(full)}
    for name, statistic in pooled.items():
        assert table.loc[POOLED, name] == pytest.approx(statistic.value)


def test_no_segments_to_compare() -> None:
    empty = pd.DataFrame(columns=["segment_id", "code", "coder"])
    row = agreement_by_code(empty, [], ["ann", "ben"], ["cost"]).iloc[0]
    assert row["n_segments"] == 0 and row["percent_agreement"] is pd.NA
    assert row["note"].endswith("undefined: no segments to compare")


def test_disagreements_lists_each_differing_pair(two_coder_codings: pd.DataFrame) -> None:
    found = disagreements(two_coder_codings, UNITS, ["ann", "ben"], CODES)
    assert found.columns.tolist() == ["segment_id", "code", "ann", "ben"]
    assert found.to_dict("records") == [
        {"segment_id": 4, "code": "cost", "ann": True, "ben": False},
        {"segment_id": 5, "code": "cost", "ann": False, "ben": True},
        {"segment_id": 6, "code": "trust", "ann": True, "ben": False},
        {"segment_id": 7, "code": "trust", "ann": True, "ben": False},
    ]


def test_presence_counts_untouched_segments_as_absent(two_coder_codings: pd.DataFrame) -> None:
    table = presence(two_coder_codings, UNITS, ["ann", "ben"], CODES)
    assert len(table) == len(UNITS) * len(CODES)
    assert not table.loc[(10, "cost")].any()


def test_bad_coder_lists_are_user_errors(two_coder_codings: pd.DataFrame) -> None:
    with pytest.raises(UsageError, match="at least two coders"):
        agreement_by_code(two_coder_codings, UNITS, ["ann"], CODES)
    with pytest.raises(UsageError, match="only once"):
        agreement_by_code(two_coder_codings, UNITS, ["ann", "ann"], CODES)


def test_missing_columns_are_reported() -> None:
    with pytest.raises(ValueError, match="coder"):
        agreement_by_code(pd.DataFrame({"segment_id": [1], "code": ["x"]}), [1], ["ann", "ben"], ["x"])


MANY = [f"c{i:02d}" for i in range(65)]  # more coders than bits in an int64 (found by a review)


def test_the_sixty_fifth_coder_is_counted() -> None:
    codings = pd.DataFrame({"segment_id": [1], "code": ["a"], "coder": ["c64"]})
    row = agreement_by_code(codings, [1, 2], MANY, ["a"]).iloc[0]
    assert row["positives_c64"] == 1
    assert row["krippendorff_alpha"] == 0.0


def test_no_coder_is_credited_with_another_coders_code() -> None:
    codings = pd.DataFrame({"segment_id": [1], "code": ["a"], "coder": ["c63"]})
    row = agreement_by_code(codings, [1, 2], MANY, ["a"]).iloc[0]
    assert row["positives_c63"] == 1
    assert row["positives_c64"] == 0
