"""People named with a public office: "President X", "the Russian foreign minister X", "UN envoy X",
"X, the foreign minister of Iran". Such people are public actors and are kept (and listed for review as
kept as public); a local post ("the district governor X", "our village chairman X") is not public.

Also: capitalised office titles alone ("Deputy Prime Minister", "Special Envoy") are never names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .keep_list import data_list

_NAME = r"[^\W\d_a-z][\w'\u2019]+(?:-[\w'\u2019]+)*"
_NAMES = rf"{_NAME}(?:[ ](?:{_NAME}|al-{_NAME}|bin|ibn|de|van|von)){{0,3}}"
# A national or international office (the words are data: data/public_offices.txt).
_OFFICE = "|".join(sorted((re.escape(o).replace(r"\ ", r"[\s-]+") for o in data_list("public_offices")), key=len)[::-1])
_QUALIFIER = r"(?:(?:former|then|late|acting|interim|new|current|first|(?-i:[A-Z][\w-]+))\s+){0,3}"
# A post in a small unit names one person in a small place: not a public office.
LOCAL = re.compile(
    r"(?i)\b(?:district|village|local|town|city|regional|province|provincial|mahalla|jamoat|"
    r"our|my|his|her|their|school|farm|kolkhoz|factory|company|club)\b[\w\s-]*$"
)

BEFORE = re.compile(rf"(?i:\b{_QUALIFIER}(?P<office>{_OFFICE}))(?:,)?[ \t]+(?P<name>{_NAMES})")
AFTER = re.compile(rf"(?P<name>{_NAMES}),\s+(?i:(?:the|a)\s+)?(?i:{_QUALIFIER}(?P<office>{_OFFICE}))\b")
OFFICE_TITLE = re.compile(rf"(?i:^(?:{_QUALIFIER})?(?:{_OFFICE})(?:\s+(?:of|for)\s+[\w\s-]+)?$)")


@dataclass(frozen=True)
class PublicMention:
    start: int
    end: int
    text: str
    office: str


def public_office_mentions(text: str) -> list[PublicMention]:
    """Names introduced by a national or international office, with where they stand."""
    found: list[PublicMention] = []
    for pattern in (BEFORE, AFTER):
        for match in pattern.finditer(text):
            office_start = match.start("office")
            if pattern is BEFORE and LOCAL.search(text[max(0, office_start - 30) : office_start]):
                continue
            if pattern is AFTER and LOCAL.search(text[match.end("name") : office_start]):
                continue
            name = _trim_name(match.group("name"))
            if not name:
                continue
            start = match.start("name")
            found.append(PublicMention(start, start + len(name), name, match.group("office")))
    return found


def _trim_name(name: str) -> str:
    """Drop trailing capitalised words that begin the next sentence part ('Ghani The ...')."""
    words = name.split()
    while words and words[-1].casefold() in {"the", "and", "of", "said", "was", "in", "who"}:
        words.pop()
    return " ".join(words) if words and len(words[0]) > 1 else ""


def is_office_title(text: str) -> bool:
    """'Deputy Prime Minister', 'Special Envoy', 'Foreign Minister of Russia': a title, not a person."""
    return bool(OFFICE_TITLE.match(" ".join(text.split())))
