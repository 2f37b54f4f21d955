"""De-identified file names: 'R19_Aziza_Karimova.txt' becomes 'R19_[PERSON_3].txt'.

A file name becomes the document name in a project, and from there reaches the log and every export,
so a name in it is replaced like a name in the text. Each part of the name between separators ('_',
'-', '.', spaces) is kept only when it cannot be a private name: the respondent id, a part with digits
('R19', 'v2', '2020'), a public name, or a word the transcripts use in lower case ('interview',
'Final') that no file of the corpus uses as a private name. Every other run of parts is one name, with the pseudonym the
text gives it (a new PERSON pseudonym when the text never mentions it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import PurePath

from .detectors import STOP_WORDS
from .keep_list import KeepList
from .words import WordSense

SEPARATOR = re.compile(r"[_\-.\s]+")
NOT_IN_FILE_NAMES = re.compile(r"[/\\\x00:]")  # a pseudonym style could hold these; never in a name


def name_runs(
    stem: str, respondent_id: str, keep: KeepList, sense: WordSense, private: set[str]
) -> list[tuple[int, int]]:
    """Spans of `stem` that may be names: consecutive name parts with their separators form one name."""
    runs: list[tuple[int, int]] = []
    previous_was_name = False
    for match in re.finditer(r"[^_\-.\s]+", stem):
        if _plain(match.group(), respondent_id, keep, sense, private):
            previous_was_name = False
        elif previous_was_name:
            runs[-1] = (runs[-1][0], match.end())
        else:
            runs.append((match.start(), match.end()))
            previous_was_name = True
    return runs


def _plain(part: str, respondent_id: str, keep: KeepList, sense: WordSense, private: set[str]) -> bool:
    folded = part.casefold()
    if folded == respondent_id.casefold() or any(c.isdigit() for c in part) or not any(c.isalpha() for c in part):
        return True
    if folded in private:
        return False
    # a word the transcripts use in lower case ('interview', 'notes'): the same test the text's
    # propagation uses; the case in the file name proves nothing ('r19_john_smith')
    return folded in STOP_WORDS or sense.seen_lowercase(part) or keep.is_public(part)


def deidentified_name(
    relative: PurePath,
    respondent_id: str,
    pseudonym_for: Callable[[str], str],
    keep: KeepList,
    sense: WordSense,
    private: set[str],
) -> PurePath:
    """`relative` (a path inside IN) with every name in its folder and file names replaced."""
    out_parts = []
    for index, part in enumerate(relative.parts):
        last = index == len(relative.parts) - 1
        stem, suffix = (PurePath(part).stem, PurePath(part).suffix) if last else (part, "")
        pieces, cursor = [], 0
        for start, end in name_runs(stem, respondent_id, keep, sense, private):
            name = " ".join(SEPARATOR.split(stem[start:end]))
            pieces += [stem[cursor:start], NOT_IN_FILE_NAMES.sub("_", pseudonym_for(name))]
            cursor = end
        pieces.append(stem[cursor:])
        out_parts.append("".join(pieces) + suffix)
    return PurePath(*out_parts)


def file_name_names(
    relative: PurePath, respondent_id: str, keep: KeepList, sense: WordSense, private: set[str]
) -> list[str]:
    """The names in a path's folder and file names ('Aziza Karimova' from 'R19_Aziza_Karimova.txt')."""
    found = []
    for index, part in enumerate(relative.parts):
        stem = PurePath(part).stem if index == len(relative.parts) - 1 else part
        for start, end in name_runs(stem, respondent_id, keep, sense, private):
            found.append(" ".join(SEPARATOR.split(stem[start:end])))
    return found


def unique_names(names: Iterable[PurePath]) -> list[PurePath]:
    """Names made unique (case-insensitively, as on many file systems): a repeat gets '_2', '_3'."""
    seen: set[str] = set()
    result = []
    for name in names:
        candidate, n = name, 1
        while str(candidate).casefold() in seen:
            n += 1
            candidate = name.with_name(f"{name.stem}_{n}{name.suffix}")
        seen.add(str(candidate).casefold())
        result.append(candidate)
    return result
