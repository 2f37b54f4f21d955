"""Quasi-identifiers: the forms to flag (with a proposed generalisation) and look-alikes to leave alone.

Sentences written for these tests (not taken from eval-dev)."""

from __future__ import annotations

import pytest

from coding.deidentify.quasi import age_band, find_quasi, number_value, year_value


def _flags(text: str) -> list[tuple[str, str, str]]:
    return [(q.kind, q.text, q.proposal) for q in find_quasi("t.txt", text)]


@pytest.mark.parametrize(
    ("text", "kind", "proposal"),
    [
        ("I am forty-two and tired of this.", "AGE", "[AGE: 40s]"),
        ("He took the job at sixty years old, imagine.", "AGE", "[AGE: 60s]"),
        ("My mother is eighty-one now.", "AGE", "[AGE: 80s]"),
        ("I was nine when the soldiers came.", "AGE", "[AGE: child]"),
        ("When I was 17 I left home.", "AGE", "[AGE: teens]"),
        ("I'm 35 now, so I remember little.", "AGE", "[AGE: 30s]"),
        ("I turned fifty last year.", "AGE", "[AGE: 50s]"),
        ("My father died in 1993, in the spring.", "BIRTH_YEAR", "[YEAR: 1990s]"),
        ("He made me deputy head of the tax inspection in Vahdat.", "POSITION", "[POSITION]"),
        ("I work as an accountant at the cotton ginnery.", "POSITION", "[POSITION]"),
        ("My son works as a police officer in Khujand.", "KINSHIP_ROLE", "[RELATIVE'S ROLE]"),
        ("I was born in 1971 in the hospital.", "BIRTH_YEAR", "[YEAR: 1970s]"),
        ("My brother was detained in May 2015 for a week.", "PRIVATE_DATE", "2015"),
        ("I applied for asylum in June 2010.", "PRIVATE_DATE", "2010"),
        ("In 2011 I moved to Riga with my family.", "BIRTH_YEAR", "[YEAR: 2010s]"),
        ("My son got married last month.", "PRIVATE_DATE", "[DATE]"),
        ("Later I was deputy head of the tax inspection in Vahdat.", "POSITION", "[POSITION]"),
        ("She was deputy head of the water department in Osh for years.", "POSITION", "[POSITION]"),
        ("I am Uzbek, my wife is Tajik.", "ETHNICITY_RELIGION", "[GROUP]"),
        ("We are Ismailis, all of us.", "ETHNICITY_RELIGION", "[GROUP]"),
        ("In those years I was a member of the Democratic Party.", "ETHNICITY_RELIGION", "[PARTY]"),
        ("My daughter is studying medicine in Almaty.", "KINSHIP_ROLE", "[RELATIVE'S ROLE]"),
    ],
)
def test_forms_are_flagged_with_a_generalisation(text: str, kind: str, proposal: str) -> None:
    flags = _flags(text)
    assert flags, text
    assert (kind, proposal) in [(k, p) for k, _t, p in flags], flags


@pytest.mark.parametrize(
    "text",
    [
        "The agreement was signed in 1997 in Moscow.",
        "In 2015 the party was banned by the court.",
        "Twenty years ago nobody talked about it.",
        "He got twelve years in prison.",
        "A typical project lasts six months.",
        "There were forty guests instead of four hundred.",
        "Maybe when I am sixty I will write about it.",
        "If he is forty, he is too old for the army.",
        "We were twenty men in the unit.",
        "Some of them were just boys who grew up in the war.",
        "The minister came to the district in June.",
        "A teacher from the next valley told the story.",
    ],
)
def test_look_alikes_are_not_flagged(text: str) -> None:
    assert _flags(text) == []


def test_numbers_years_and_bands() -> None:
    assert number_value("twenty-six") == 26 and number_value("61") == 61 and number_value("forty") == 40
    assert number_value("tomato") is None
    assert year_value("ninety-three") == 1993 and year_value("'05") == 2005 and year_value("1971") == 1971
    assert age_band(14) == "[AGE: teens]" and age_band(35) == "[AGE: 30s]"


def test_a_replaced_private_date_is_not_flagged_again() -> None:
    from coding.deidentify.model import DATE, Mention

    text = "My father died on 5 November 1992 in the hospital."
    start = text.index("5 November 1992")
    replaced = [Mention(start, start + len("5 November 1992"), "5 November 1992", DATE, "private-date")]
    assert all(q.start < start or q.end > start + 15 for q in find_quasi("t.txt", text, replaced))


def test_an_age_given_alone_in_a_self_introduction_is_flagged() -> None:
    intro = "Interviewer: Tell me a little about yourself?\n\nR3: Nodira Azizova. Forty-one years. A teacher.\n"
    assert ("AGE", "Forty-one years", "[AGE: 40s]") in _flags(intro)
    span = "Interviewer: How did the war change things?\n\nR3: Twenty years. Nothing changed since.\n"
    assert _flags(span) == []


def test_a_rank_before_a_name_is_flagged_but_not_a_general_assembly() -> None:
    flags = _flags("The General Assembly met in autumn. Colonel Haidarov came with his staff.")
    assert [(kind, text) for kind, text, _p in flags] == [("POSITION", "Colonel")]
