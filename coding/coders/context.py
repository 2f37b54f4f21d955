"""The context of a unit for the learned coder: the interviewer's question before it, its neighbours.

Pure: ordered units in, one context string per respondent unit out. A unit is (document, role, text)
in reading order; the question is the last interviewer unit before it in the same document (not
earlier than the respondent's previous turn), the neighbours are the respondent units just before
and after it in the same document.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from coding.models import Segment

INTERVIEWER = "interviewer"


class Unit(NamedTuple):
    document: str
    role: str
    text: str


def unit_contexts(units: Sequence[Unit]) -> tuple[list[str], list[str]]:
    """For every unit: (the interviewer's question before it, its neighbouring respondent units).

    Interviewer units get empty context. Neighbours of a unit are joined by a newline.
    """
    questions = [""] * len(units)
    neighbours = [""] * len(units)
    question = ""
    previous: int | None = None
    for i, unit in enumerate(units):
        if i == 0 or units[i - 1].document != unit.document:
            question, previous = "", None
        if unit.role == INTERVIEWER:
            question = unit.text
            continue
        questions[i] = question
        if previous is not None:
            neighbours[i] = units[previous].text
            neighbours[previous] = "\n".join(part for part in (neighbours[previous], unit.text) if part)
        previous = i
    return questions, neighbours


def segment_contexts(chosen: Sequence[Segment], every: Sequence[Segment]) -> tuple[list[str], list[str]]:
    """For each of `chosen`: the interviewer's turn before it and its neighbouring respondent segments.

    `every` holds the documents' segments of the same unit, interviewers' included; an interviewer turn
    cut into several segments (sentences, paragraphs) counts as one question.
    """
    units: list[Unit] = []
    keys: list[tuple[str, str, int]] = []
    for segment in sorted(every, key=lambda s: (s.document, s.start)):
        key = (segment.role, segment.document, segment.turn_index if segment.role == INTERVIEWER else segment.index)
        if segment.role == INTERVIEWER and keys and keys[-1] == key:
            units[-1] = Unit(segment.document, INTERVIEWER, f"{units[-1].text} {segment.text}")
            continue
        units.append(Unit(segment.document, segment.role, segment.text))
        keys.append(key)
    questions, neighbours = unit_contexts(units)
    found = {key: (q, n) for key, q, n in zip(keys, questions, neighbours, strict=True)}
    pairs = [found.get((s.role, s.document, s.index), ("", "")) for s in chosen]
    return [q for q, _ in pairs], [n for _, n in pairs]
