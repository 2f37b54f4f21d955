"""The document portrait: one interview's codes over its respondent turns, against the gold file."""

from __future__ import annotations

import pytest
from analysis_projects import gold_frames, gold_lines

from coding import portrait


@pytest.fixture(scope="module")
def gold(tmp_path_factory):
    return gold_frames(tmp_path_factory.mktemp("portrait"))


@pytest.mark.parametrize("document", ["R01", "R09", "R17"])
def test_each_turn_shows_the_codes_the_gold_file_gives_it(gold, document):
    picture = portrait.portrait(gold.codings, gold.segments, gold.codebook, document, only_used=False)
    parents = {c.id: c.parent for c in gold.codebook.codes}
    expected = set()
    for line in gold_lines():
        if line["doc"] == document:
            for code in line["codes"]:
                while code:
                    expected.add((code, line["turn"]))
                    code = parents[code]
    turns = [c for c in picture.columns if c not in ("name", "level")]
    respondent_turns = gold.turns.loc[gold.turns["document"] == document, "turn_index"].tolist()
    assert turns == respondent_turns, "one column per respondent turn, in order, numbered as stored"
    found = {(code, turn) for code in picture.index for turn in turns if picture.loc[code, turn] > 0}
    assert found == expected
    used = portrait.portrait(gold.codings, gold.segments, gold.codebook, document)
    assert set(used.index) == {code for code, _ in expected}
    cells = portrait.portrait_cells(used)
    assert set(zip(cells["code"], cells["turn_index"], strict=True)) == expected
