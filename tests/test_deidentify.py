"""De-identification: detectors, pseudonyms, key, front matter and labels, on small invented texts."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from coding.deidentify import KeepList, RosterEntry, deidentify_folder, load_roster
from coding.deidentify.engine import lower_case_lines, recase
from coding.deidentify.pseudonyms import Pseudonyms, check_style
from coding.deidentify.structured import find_structured
from coding.errors import IngestError, UsageError
from coding.transcripts import read_transcript

FIRST = """---
respondent_id: T01
name: Gulnora Sharipova
group: teacher
gender: female
---
Interviewer: Good morning, Gulnora-opa. May I record?

T01: Yes. I was born in Chorbogh, a small village above Vahdat. My father Nosir Sharipov kept the books.
My uncle Davron disappeared near Obigarm in 1992. Nuri came later, and we heard Rahmon on the radio.

Interviewer: And afterwards?

T01: I taught at the Friendship Lyceum in Dushanbe with my colleague Firuza Boboeva. On 17 April 1994
my brother Jamshed was arrested. Call me on +992 93 777 12 34 or write to g.sharipova@mail.tj.
"""

SECOND = """---
respondent_id: T02
---
Interviewer: Did you know the teacher from the lyceum?

Farhod Qodirov: Yes, Gulnora Sharipova taught my son. Firuza too. I drove for the UN in Gharm.
Qodirov is a common name in Rasht, so do not worry. Domla Ubaidullo lived in Kalai-Dasht village.
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("raw")
    (folder / "T01.txt").write_text(FIRST, encoding="utf-8")
    (folder / "T02.txt").write_text(SECOND, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def result(corpus: Path, tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("work")
    report = deidentify_folder(corpus, base / "out", key_path=base / "secret" / "key.json")
    texts = {path.stem: path.read_text(encoding="utf-8") for path in (base / "out").iterdir()}
    return report, texts, base


PRIVATE = [
    "Gulnora",
    "Sharipova",
    "Sharipov",
    "Chorbogh",
    "Davron",
    "Firuza",
    "Boboeva",
    "Jamshed",
    "Friendship",
    "17 April 1994",
    "777 12 34",
    "g.sharipova",
    "Qodirov",
    "Farhod",
    "Ubaidullo",
    "Kalai-Dasht",
]
PUBLIC = ["Vahdat", "Obigarm", "Nuri", "Rahmon", "Dushanbe", "UN", "Gharm", "Rasht", "1992"]


@pytest.mark.parametrize("name", PRIVATE)
def test_private_names_are_removed_everywhere(result, name: str) -> None:
    _report, texts, _base = result
    assert all(name.casefold() not in text.casefold() for text in texts.values())


@pytest.mark.parametrize("name", PUBLIC)
def test_public_names_stay(result, name: str) -> None:
    _report, texts, _base = result
    assert any(name in text for text in texts.values())


def test_same_person_same_pseudonym_across_files_and_variants(result) -> None:
    report, texts, _base = result
    by_original = {}
    for file_report in report.files:
        for rep in file_report.replacements:
            by_original.setdefault(rep.original, set()).add(rep.pseudonym)
    gulnora = by_original["Gulnora Sharipova"]
    assert len(gulnora) == 1
    assert by_original["Gulnora-opa"] == gulnora  # first name with an honorific links to the full name
    assert by_original["Firuza"] == by_original["Firuza Boboeva"]  # first name only, in the other file
    assert by_original["Qodirov"] == by_original["Farhod Qodirov"]  # surname only, and the speaker label


def test_outputs_are_valid_transcripts_with_pseudonym_labels(result, tmp_path: Path) -> None:
    report, _texts, _base = result
    for file_report in report.files:
        document = read_transcript(file_report.output)
        assert document.turns
    second = read_transcript(next(f.output for f in report.files if f.output.stem == "T02"))
    assert second.turns[1].speaker.startswith("[PERSON_")
    first = read_transcript(next(f.output for f in report.files if f.output.stem == "T01"))
    assert first.respondent_id == "T01" and first.attributes["group"] == "teacher"
    assert first.attributes["name"].startswith("[PERSON_")


def test_key_file_is_private_and_maps_offsets(result, corpus: Path) -> None:
    report, texts, base = result
    assert report.key_path == base / "secret" / "key.json"
    assert stat.S_IMODE(report.key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(report.audit_path.stat().st_mode) == 0o600
    key = json.loads(report.key_path.read_text(encoding="utf-8"))
    body_in = (corpus / "T01.txt").read_text(encoding="utf-8").split("---\n", 2)[2]
    body_out = texts["T01"].split("---\n", 2)[2]
    for record in key["files"]["T01.txt"]:
        if record["part"] == "body":
            assert body_in[record["start"] : record["end"]] == record["original"]
            assert body_out[record["out_start"] : record["out_end"]] == record["pseudonym"]


def test_rerun_with_the_same_key_reuses_pseudonyms(result, corpus: Path) -> None:
    report, _texts, base = result
    again = deidentify_folder(corpus, base / "out2", key_path=report.key_path)
    first = {r.original: r.pseudonym for f in report.files for r in f.replacements}
    second = {r.original: r.pseudonym for f in again.files for r in f.replacements}
    assert second == first


def test_roster_names_are_removed_even_where_nothing_else_sees_them(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "R1.txt").write_text("Interviewer: Who helped?\n\nR1: Rose did. Rose and the hope of peace.\n")
    report = deidentify_folder(raw, tmp_path / "out", roster=[RosterEntry("Rose")])
    text = (tmp_path / "out" / "R1.txt").read_text()
    assert "Rose" not in text and report.replacement_count == 2
    assert report.key_path == tmp_path / "out.key.json"


def test_keep_list_rules() -> None:
    keep = KeepList(["Mercy Corps"])
    for name in (
        "Dushanbe",
        "Kulobis",
        "Tajik Badakhshan",
        "Ministry of Emergency Situations",
        "the UN",
        "Kurgan-Tyube",
        "Mercy Corps",
        "Massoud's",
    ):
        assert keep.is_public(name), name
    for name in ("Kabul University", "Institute of History", "Chorbogh", "Mullo Abdurahim", "Linz"):
        assert not keep.is_public(name), name


def test_structured_identifiers() -> None:
    text = (
        "My mobile is +992 93 418 27 61 and my son's is 918 64 30 27. Mail a.b@example.tj or see "
        "www.example.org. Case 2016/BIA/4471. I live at 14 Rudaki Street, flat 9. I was detained on "
        "14 February 1993. The agreement was signed on 27 June 1997 in Moscow."
    )
    found = {m.text: m.kind for m in find_structured(text)}
    assert found["+992 93 418 27 61"] == "CONTACT"
    assert found["918 64 30 27"] == "CONTACT"
    assert found["a.b@example.tj"] == "CONTACT"
    assert found["2016/BIA/4471"] == "ID"
    assert found["14 Rudaki Street, flat 9"] == "CONTACT"
    assert found["14 February 1993"] == "DATE"
    assert "27 June 1997" not in found  # a public event's date stays


def test_lower_case_lines_are_found_and_recased() -> None:
    body = "Interviewer: Hello.\n\nR1: my brother karomat lives in kulob with his wife zarina now.\n"
    spans = lower_case_lines(body)
    assert len(spans) == 1 and body[spans[0][0] :].startswith("my brother")
    recased = recase(body[spans[0][0] : spans[0][1]], frozenset({"my", "brother", "lives", "in", "with", "his"}))
    assert recased.startswith("My brother Karomat") and len(recased) == spans[0][1] - spans[0][0]


def test_pseudonym_styles() -> None:
    names = Pseudonyms("Person-{n}")
    names.plan([("Tolib Ashurov", "PERSON"), ("Tolib", "PERSON"), ("Ashurov", "PERSON"), ("Munisa", "PERSON")])
    assert names.pseudonym("Ashurov", "PERSON") == names.pseudonym("Tolib", "PERSON") == "Person-1"
    assert names.pseudonym("Munisa", "PERSON") == "Person-2"
    for bad in ("{kind}", "{name}_{n}", "{n}\n"):
        with pytest.raises(UsageError):
            check_style(bad)


def test_roster_files(tmp_path: Path) -> None:
    good = tmp_path / "roster.csv"
    good.write_text("respondent_id,name,kind\nR1,Bahodur Qosimov,person\nR1,Qaroqum,place\n", encoding="utf-8")
    assert load_roster(good) == [RosterEntry("Bahodur Qosimov", "PERSON"), RosterEntry("Qaroqum", "PLACE")]
    plain = tmp_path / "plain.csv"
    plain.write_text("Bahodur Qosimov\nMunisa\n", encoding="utf-8")
    assert [e.name for e in load_roster(plain)] == ["Bahodur Qosimov", "Munisa"]
    for name, content in {
        "nocol.csv": b"id,group\nR1,x\n",
        "ragged.csv": b"name,kind\nA,person,extra\n",
        "kind.csv": b"name,kind\nA,planet\n",
        "latin1.csv": "name\nJos\xe9\n".encode("latin-1"),
    }.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(IngestError, match=name):
            load_roster(tmp_path / name)


def _raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "R1.txt").write_text("Interviewer: Hi.\n\nR1: My brother Jamshed lives here.\n", encoding="utf-8")
    return raw


def test_bad_input_writes_nothing(tmp_path: Path) -> None:
    raw = _raw(tmp_path)
    (raw / "R2.txt").write_bytes("Interviewer: Salom\n\nR2: Jos\xe9\n".encode("latin-1"))
    with pytest.raises(IngestError, match="R2.txt"):
        deidentify_folder(raw, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.key.json").exists()


def test_bad_paths_are_refused(tmp_path: Path) -> None:
    raw = _raw(tmp_path)
    with pytest.raises(IngestError, match="no such folder"):
        deidentify_folder(tmp_path / "missing", tmp_path / "out")
    with pytest.raises(UsageError, match="inside IN"):
        deidentify_folder(raw, raw / "out")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x.txt").write_text("x")
    with pytest.raises(UsageError, match="not an empty folder"):
        deidentify_folder(raw, busy)
    with pytest.raises(UsageError, match="inside OUT"):
        deidentify_folder(raw, tmp_path / "out", key_path=tmp_path / "out" / "key.json")
    bad_roster = tmp_path / "roster.csv"
    bad_roster.write_text("id,group\nR1,x\n")
    with pytest.raises(IngestError, match="roster.csv"):
        deidentify_folder(raw, tmp_path / "out", roster=bad_roster)
    assert not (tmp_path / "out").exists()
