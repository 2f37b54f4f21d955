"""k-anonymity over respondent attributes: rare combinations, minimal reporting, missing values."""

from __future__ import annotations

import pandas as pd
import pytest

from coding.disclosure import risky_combinations, smallest_group


def _study() -> pd.DataFrame:
    rows = []
    for i in range(12):
        rows.append({"respondent_id": f"R{i:02d}", "group": "government", "gender": "male", "region": "north"})
    for i in range(12, 20):
        rows.append({"respondent_id": f"R{i:02d}", "group": "opposition", "gender": "female", "region": "south"})
    rows.append({"respondent_id": "R20", "group": "government", "gender": "female", "region": "north"})
    rows.append({"respondent_id": "R21", "group": "opposition", "gender": "male", "region": None})
    return pd.DataFrame(rows)


def test_the_one_woman_among_government_respondents_is_reported() -> None:
    risky = risky_combinations(_study(), ["group", "gender"], k=3)
    found = {(row.attributes, row.values): row.respondents for row in risky.itertuples()}
    assert found[(("group", "gender"), ("government", "female"))] == ("R20",)
    assert found[(("group", "gender"), ("opposition", "male"))] == ("R21",)
    assert all(size < 3 for size in risky["size"])


def test_a_combination_is_not_repeated_when_a_smaller_part_is_already_rare() -> None:
    risky = risky_combinations(_study(), ["group", "gender", "region"], k=3)
    pairs = list(zip(risky["attributes"], risky["values"], strict=True))
    # region missing is rare on its own (one respondent): no longer combination with it is listed
    assert (("region",), ("(missing)",)) in pairs
    assert not any("region" in cols and "(missing)" in vals and len(cols) > 1 for cols, vals in pairs)


def test_nothing_is_reported_when_every_group_is_large_enough() -> None:
    frame = _study()
    assert risky_combinations(frame, ["group"], k=3).empty
    assert smallest_group(frame, ["group", "gender"]) == 1
    assert smallest_group(frame, ["group"]) == 9  # 8 + R21 in opposition


def test_bad_arguments() -> None:
    with pytest.raises(KeyError, match="religion"):
        risky_combinations(_study(), ["religion"])
    with pytest.raises(ValueError):
        risky_combinations(_study(), ["group"], k=1)
