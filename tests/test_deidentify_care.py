"""Propagation with care and fewer false alarms, with the private names that must still go.

Invented Kyrgyz-context transcripts, written for these tests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coding.deidentify import KeepList, deidentify_folder
from coding.deidentify.keep_list import data_list

ONE = """---
respondent_id: K01
---
Interviewer: Tell me about your work.

K01: I founded the Osh Youth Peace Circle with my friend Said Toktogulov. Peace was our word, and
youth work was our method. Said said that women should lead. Women did lead, in the end.

K01: My wife works at the district maternity clinic in Uzgen. We live in the fourth microdistrict.
Didn't you meet her? Don't worry. Deputy Prime Minister spoke at the opening, and the Special Envoy too.
"""

TWO = """---
respondent_id: K02
---
Interviewer: Did you know the Circle?

K02: Yes. Toktogulov came to us often. Peace, he said, starts at home. The women agreed; peace is work.
Said is his first name, but nobody said it aloud. The Ombudsman was there. Bishkek was far.
"""


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, object]:
    base = tmp_path_factory.mktemp("care")
    raw = base / "raw"
    raw.mkdir()
    (raw / "K01.txt").write_text(ONE, encoding="utf-8")
    (raw / "K02.txt").write_text(TWO, encoding="utf-8")
    report = deidentify_folder(raw, base / "out", key_path=base / "key.json")
    one = (base / "out" / "K01.txt").read_text(encoding="utf-8")
    two = (base / "out" / "K02.txt").read_text(encoding="utf-8")
    return one, two, report


def _count(word: str, text: str) -> int:
    return len(re.findall(rf"(?<!\w){re.escape(word)}(?!\w)", text))


def test_private_names_and_small_places_go(outputs) -> None:
    one, two, _report = outputs
    both = one + two
    for name in ("Toktogulov", "Osh Youth Peace Circle", "Uzgen", "fourth microdistrict"):
        assert name not in both, name
    assert _count("Said", both) == 0  # the first name alone goes where it is a name...


def test_lowercase_and_ordinary_words_stay(outputs) -> None:
    one, two, _report = outputs
    both = one + two
    assert _count("said", both) == 3  # ...and the verb stays
    assert _count("women", both) == 2 and _count("Women", both) == 1
    assert _count("peace", both) == 1 and _count("Peace", both) == 2  # 'Peace' of the Circle is no name
    assert _count("youth", both) == 1
    for word in ("Didn't", "Don't", "Deputy Prime Minister", "Special Envoy", "Ombudsman", "Bishkek"):
        assert word in both, word


def test_the_audit_names_the_rule_that_kept_each_word(outputs) -> None:
    _one, _two, report = outputs
    rules = {(k.text, k.rule) for k in report.kept()}
    assert ("Bishkek", "keep-list") in rules or ("Bishkek", "gazetteer") in rules
    detectors = {r.original: r.detector for f in report.files for r in f.replacements}
    assert "workplace-town" in detectors["Uzgen"]
    assert "neighbourhood" in detectors["fourth microdistrict"]


def test_keep_lists_are_data_files_and_extend_per_study(tmp_path: Path) -> None:
    assert "Dushanbe" in data_list("places") and "United Nations" in data_list("organisations")
    keep = KeepList(["Toktogulov"])
    assert keep.is_public("Toktogulov") and keep.rule("Toktogulov") == "keep-file"
    assert keep.is_public("Khatlon") and keep.is_public("Ohio")  # from the gazetteer packages
    assert not keep.is_public("Osh Youth Peace Circle")
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "K02.txt").write_text(TWO, encoding="utf-8")
    study = tmp_path / "keep.txt"
    study.write_text("# public in this study\nToktogulov\n", encoding="utf-8")
    deidentify_folder(raw, tmp_path / "out", keep=study, key_path=tmp_path / "key.json")
    assert "Toktogulov" in (tmp_path / "out" / "K02.txt").read_text(encoding="utf-8")
