"""Life-story clauses found through the parse: the respondent's or a relative's life with a place, a
date, a count, a post or a persecution; and the look-alikes that must stay unflagged.

Sentences written for these tests (other countries, names and phrasings than eval-dev), run through the
real trained pipeline."""

from __future__ import annotations

import pytest

from coding.deidentify.life_story import LIFE_STORY, life_story_flags
from coding.deidentify.quasi import POSITION, find_quasi
from coding.nlp import BLANK, available_pipeline, load_pipeline

pytestmark = pytest.mark.skipif(available_pipeline() == BLANK, reason="needs a trained spaCy pipeline")


def _flags(text: str) -> list[tuple[str, str, str]]:
    clauses = list(life_story_flags(load_pipeline(None, "full")(text)))
    return [(q.kind, q.text, q.proposal) for q in find_quasi("t.txt", text, (), clauses)]


@pytest.mark.parametrize(
    ("text", "kind", "flagged"),
    [
        ("R: My uncle spent three years in the detention centre near Pokhara.", LIFE_STORY, "Pokhara"),
        ("R: I grew up in Medellín, in a small house by the river.", LIFE_STORY, "Medellín"),
        ("R: I come from Jaffna originally.", LIFE_STORY, "Jaffna"),
        ("R: The commander assigned me to the logistics cell of the northern front.", POSITION, "assigned me"),
        ("R: I still run a small cooperative, but we call it a savings circle now.", POSITION, "run a small"),
        ("R: They invited me as an observer for the church.", POSITION, "as an observer"),
        ("R: My grandmother was arrested twice by the army.", LIFE_STORY, "arrested"),
        ("R: My sister was questioned at the police station for a whole day.", LIFE_STORY, "questioned"),
        ("R: Born in Trincomalee.", LIFE_STORY, "Trincomalee"),
        ("Interviewer: You taught at the seminary in Kandy, didn't you?", POSITION, "taught"),
        ("R: These days I repair sewing machines for the whole street.", LIFE_STORY, "repair sewing machines"),
    ],
)
def test_life_story_clauses_are_flagged(text: str, kind: str, flagged: str) -> None:
    flags = _flags(text)
    assert any(k == kind and flagged in t for k, t, _p in flags), flags


@pytest.mark.parametrize(
    "text",
    [
        # public history, reported speech and what a generic "you" does
        "R: In 2006 we heard that the king had given up power.",
        "R: I think the elections in Lima were fair.",
        "R: In the villages you need a permit from the army for everything.",
        # hypothetical, future and common experiences
        "R: If you were a young man from Ayacucho, the army took you.",
        "R: Maybe one day I will go back to Colombo.",
        "R: My nephew went to Qatar for work, like half the boys from our lane.",
        # third persons and vague descriptions
        "R: A teacher from Butwal told the story at the market.",
        "R: I am an old woman now, nobody listens to me.",
        "R: The minister travelled to Geneva in March.",
        # feelings and everyday verbs say nothing about a life on their own
        "R: I miss the sea, honestly.",
        "R: I have a question for you first.",
        "R: I do not repair anything any more.",
    ],
)
def test_look_alikes_are_not_flagged_as_life_story(text: str) -> None:
    flags = [f for f in _flags(text) if f[0] in (LIFE_STORY, POSITION)]
    assert not flags, flags


def test_a_life_clause_proposes_its_places_and_times_generalised() -> None:
    flags = _flags("R: My father worked for nine years at the brick kiln in Bhaktapur.")
    assert flags, "the clause should be flagged"
    kind, _text, proposal = flags[0]
    assert kind == POSITION
    flags = _flags("R: My brother spent the winter of 1999 in a camp outside Tumaco.")
    life = [f for f in flags if f[0] == LIFE_STORY]
    assert life, flags
    assert "Tumaco" not in life[0][2] and "[PLACE]" in life[0][2], life


def test_a_clause_beside_a_year_keeps_its_place_in_a_row_of_its_own() -> None:
    text = "R: In 1988, when I left school, I was with the rebels, in the press office in Rolpa."
    flags = _flags(text)
    kinds = {k for k, _t, _p in flags}
    assert "BIRTH_YEAR" in kinds, flags
    assert any("Rolpa" in t for _k, t, _p in flags), flags
    # flags never overlap: each is one row of the review file
    spans = sorted((text.index(t), text.index(t) + len(t)) for _k, t, _p in flags)
    assert all(a_end <= b_start for (_s, a_end), (b_start, _e) in zip(spans, spans[1:], strict=False))


def test_speaker_labels_are_not_details() -> None:
    text = "Interviewer: And after the ban?\n\nR07: We stayed at home, quietly."
    assert not [f for f in _flags(text) if f[0] == LIFE_STORY]


def test_a_folder_run_lists_life_story_clauses_in_the_review_file(tmp_path) -> None:
    import csv

    from coding.deidentify import deidentify_folder

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "int01.txt").write_text(
        "Interviewer: Where did the war find you?\n\n"
        "R: My cousin spent two winters in the camp near Pokhara. I still run a small cooperative.\n",
        encoding="utf-8",
    )
    report = deidentify_folder(raw, tmp_path / "out", key_path=tmp_path / "keys" / "key.json", review_path=True)
    kinds = {q.kind for f in report.files for q in f.quasi}
    assert {LIFE_STORY, POSITION} <= kinds
    review = tmp_path / "keys" / "key.review.csv"
    rows = list(csv.DictReader(review.open(encoding="utf-8-sig")))
    life = [r for r in rows if r["category"] == "quasi-identifier" and r["kind"] == LIFE_STORY]
    assert life and "[PLACE]" in life[0]["proposed"], rows
    # flagged, not replaced: the output keeps the sentence until the researcher decides
    assert "cooperative" in (tmp_path / "out" / "int01.txt").read_text(encoding="utf-8")


def test_a_life_story_row_marked_generalise_rewrites_the_clause(tmp_path) -> None:
    import csv

    from click.testing import CliRunner

    from coding.cli_deidentify import deidentify_command

    raw, out, key = tmp_path / "raw", tmp_path / "out", tmp_path / "secret" / "key.json"
    raw.mkdir()
    (raw / "int02.txt").write_text(
        "Interviewer: And your family?\n\nR: My cousin spent two winters in the camp near Pokhara. That was hard.\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    assert runner.invoke(deidentify_command, [str(raw), str(out), "--key", str(key), "--review"]).exit_code == 0
    review = tmp_path / "secret" / "key.review.csv"
    with review.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    life = next(r for r in rows if r["kind"] == LIFE_STORY)
    assert "Pokhara" in life["original"] and "[PLACE]" in life["proposed"]
    life["decision"] = "generalise"
    with review.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = runner.invoke(deidentify_command, [str(raw), str(out), "--key", str(key), "--apply-review", str(review)])
    assert result.exit_code == 0, result.output
    text = (out / "int02.txt").read_text(encoding="utf-8")
    assert "Pokhara" not in text and "[PLACE]" in text and "That was hard." in text
