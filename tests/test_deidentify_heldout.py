"""A held-out check written for this test, away from eval-dev: other countries, names and phrasings.

Two respondents of an invented study of the Nepali and Colombian peace processes. The planted private
names, ages, years and dates must go or be flagged; ordinary words (at sentence starts and in titles
too), public people named with their office, international bodies, countries and regions must stay.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coding.deidentify import deidentify_folder

NEPAL = """---
respondent_id: H01
---
Interviewer: Thank you for meeting me. Could you tell me about yourself?

H01: I am forty-seven. I was born in 1977 in a small village called Thulopokhari. My father, Bishnu
Adhikari, was a schoolteacher there. Women respondents in our survey said the same thing. Therefore
the women of our ward formed a savings group, and the women decided everything.

H01: In 2003 I joined the movement as a student. My brother Ramesh was arrested in March 2004 and held
for two months. I was deputy secretary of the district committee in Gorkha until 2008.

H01: The Conference in Kathmandu was opened by President Ram Baran Yadav. The United Nations sent a
mission, and UN envoy Ian Martin spoke with our commanders. Prime Minister Girija Prasad Koirala
signed the Comprehensive Peace Agreement in 2006. Peacebuilding was slow; returnees waited for years
and the psychosocial support was neglectful. My daughter Sunita is studying nursing in Pokhara.

Interviewer: Did you meet Koirala?

H01: Only once. My wife, Sabitri, came with me. My neighbour Dil Bahadur Thapa drove us. We're still
friends. Didn't you know him? Yadav was there too, and Adhikari came late.
"""

COLOMBIA = """---
respondent_id: H02
---
Interviewer: How did the talks in Havana look from your municipality?

H02: Photo: the returnees at the bus station. Law and order came back slowly. Foundation work for the
new school started in 2017, after the agreement. Colombia changed; Antioquia changed less.

H02: I was twelve when my cousin Yesenia Carvajal disappeared. She was detained in August 2002 near
Granizal, and my aunt Marleny looked for her for years. I worked as a nurse at the health post in
Vereda La Esperanza. We are Catholics, and my mother is Embera, from the mountains.

H02: President Juan Manuel Santos and the FARC commander Rodrigo Londono signed in Bogota. The UN
Verification Mission counted the weapons; the European Union paid for the school. Carvajal is a common
name, but Yesenia is not.
"""

PRIVATE = [
    "Thulopokhari",
    "Bishnu",
    "Adhikari",
    "Ramesh",
    "Sunita",
    "Sabitri",
    "Dil Bahadur Thapa",
    "Yesenia",
    "Carvajal",
    "Marleny",
    "Granizal",
]
PUBLIC = [
    "President Ram Baran Yadav",
    "Yadav",
    "Ian Martin",
    "Girija Prasad Koirala",
    "Koirala",
    "United Nations",
    "Kathmandu",
    "President Juan Manuel Santos",
    "European Union",
    "Bogota",
    "Colombia",
    "Antioquia",
    "Havana",
]
ORDINARY = [
    "Women",
    "women",
    "Therefore",
    "Conference",
    "Peacebuilding",
    "returnees",
    "psychosocial",
    "neglectful",
    "Photo",
    "Law",
    "Foundation",
    "We're",
    "Didn't",
    "Comprehensive Peace Agreement",
]


@pytest.fixture(scope="module")
def held_out(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("heldout")
    raw = base / "raw"
    raw.mkdir()
    (raw / "H01.txt").write_text(NEPAL, encoding="utf-8")
    (raw / "H02.txt").write_text(COLOMBIA, encoding="utf-8")
    report = deidentify_folder(raw, base / "out", key_path=base / "key.json", review_path=True)
    texts = "\n".join(p.read_text(encoding="utf-8") for p in sorted((base / "out").iterdir()))
    return report, texts


def _present(text: str, output: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(text)}(?!\w)", output) is not None


@pytest.mark.parametrize("name", PRIVATE)
def test_planted_private_names_are_removed(held_out, name: str) -> None:
    _report, texts = held_out
    assert not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", texts, re.I), name


@pytest.mark.parametrize("name", PUBLIC)
def test_public_people_bodies_and_places_stay(held_out, name: str) -> None:
    assert _present(name, held_out[1]), name


@pytest.mark.parametrize("word", ORDINARY)
def test_ordinary_words_stay(held_out, word: str) -> None:
    assert _present(word, held_out[1]), word


def test_every_lowercase_word_survives_outside_replaced_names(held_out) -> None:
    report, _texts = held_out
    for file in report.files:
        for rep in file.replacements:
            words = re.findall(r"[^\W\d_]+", rep.original)
            assert any(w[:1].isupper() for w in words) or rep.kind in ("CONTACT", "ID", "DATE"), rep.original


def test_public_office_holders_are_listed_as_kept_as_public(held_out) -> None:
    report, _texts = held_out
    kept = {(k.text, k.rule) for k in report.kept()}
    assert ("Ram Baran Yadav", "public-office") in kept
    assert ("Juan Manuel Santos", "public-office") in kept


@pytest.mark.parametrize(
    ("planted", "kind"),
    [
        ("I am forty-seven", "AGE"),
        ("born in 1977", "BIRTH_YEAR"),
        ("March 2004", "PRIVATE_DATE"),
        ("deputy secretary of the district committee in Gorkha", "POSITION"),
        ("studying nursing", "KINSHIP_ROLE"),
        ("I was twelve", "AGE"),
        ("August 2002", "PRIVATE_DATE"),
        ("nurse at the health post", "POSITION"),
        ("We are Catholics", "ETHNICITY_RELIGION"),
    ],
)
def test_quasi_identifiers_are_flagged(held_out, planted: str, kind: str) -> None:
    report, _texts = held_out
    body = "".join(f.body for f in report.files)
    assert planted in body
    flagged = [q for q in report.quasi() if planted in q.text or q.text in planted]
    assert flagged, f"{planted!r} not flagged; flags: {[q.text for q in report.quasi()]}"


def test_an_unknown_self_described_people_is_removed_or_flagged(held_out) -> None:
    report, texts = held_out
    assert "Embera" not in texts or any("Embera" in q.text for q in report.quasi())


def test_public_history_is_not_flagged(held_out) -> None:
    report, _texts = held_out
    texts = [q.text for q in report.quasi()]
    assert not any("2006" in t or "2017" in t for t in texts), texts


def test_review_file_lists_everything_with_context(held_out) -> None:
    report, _texts = held_out
    assert report.review_path is not None and report.review_path.exists()
    text = Path(report.review_path).read_text(encoding="utf-8")
    for category in ("replaced", "kept-as-public", "quasi-identifier"):
        assert f",{category}," in text
    assert "[[Sabitri]]" in text  # the context marks the mention
