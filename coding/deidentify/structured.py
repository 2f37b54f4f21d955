"""Detectors for identifiers with a shape: e-mails, URLs, phone numbers, ID numbers, addresses, dates.

Phone numbers come from the phonenumbers library (several regions, VALID leniency) with a lenient
fallback for digit runs that look like a phone number but are not valid in any region tried.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers

from .model import CONTACT, DATE, ID, LIKELY, ORG, PLACE, SURE, Mention

# Regions whose national formats respondents in this field dictate: Central Asia, Afghanistan, Russia,
# and the countries where exiles live. Numbers with a leading + are found in any region.
PHONE_REGIONS = ("TJ", "AF", "RU", "UZ", "KG", "KZ", "TM", "IR", "PK", "DE", "AT", "SE", "PL", "GB", "US")

EMAIL_RE = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
URL_RE = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+[^\s<>\"').,;:!?\]]", re.I)
# Runs of digit groups (7 to 15 digits) that could be a phone number; years are filtered below.
DIGIT_RUN_RE = re.compile(r"(?<![\w/])\+?\(?\d[\d \t().\-]{5,22}\d(?![\w/])")
# Mixed letters and digits or slashed serials: passport, case, registration numbers.
ID_RE = re.compile(
    r"(?<![\w/])(?:[A-Z]{1,4}[\- ]?\d{5,}|\d{2,}(?:/[A-Za-z0-9]{2,}){1,4}|[A-Z0-9]{2,}(?:-[A-Z0-9]{2,}){2,}"
    r"|\d{6,}[A-Z]{1,3})(?![\w/])"
)
NUMBERED_RE = re.compile(r"\b(?:number|No\.?|Nr\.?|#)\s?\d+[A-Za-z]?\b")
NUMBERED_ORG_RE = re.compile(
    r"\b(?:School|Hospital|Clinic|Polyclinic|Kindergarten|Lyceum|Gymnasium|Factory|Plant|Camp|Prison|"
    r"Colony|Kolkhoz|Sovkhoz|Farm|Brigade|Unit|Regiment|Battalion|Section|Mine|Depot)\s+(?:No\.?|Nr\.?|Number|#)"
    r"\s?\d+[A-Za-z]?\b",
    re.I,
)
STREET_WORDS = (
    r"Street|St\.|Avenue|Ave\.?|Road|Rd\.?|Lane|Prospect|Prospekt|Boulevard|Blvd\.?|Square|Drive|Kucha|"
    r"Ko'chasi|Ulitsa|Alley|Passage|Highway"
)
UNIT = r"(?:,?\s+(?:flat|apartment|apt\.?|house|building|block|room|entrance|floor|kv\.?|dom)\s+\d+[A-Za-z]?)*"
ADDRESS_RES = (
    # 14 Bokhtar Street, flat 9
    re.compile(rf"\b\d+[A-Za-z]?,?\s+(?:[^\W\d_][\w'\-]*\s+){{1,3}}(?:{STREET_WORDS})\b{UNIT}", re.I),
    # Rudaki Avenue 45 / ulitsa Lenina 5
    re.compile(rf"\b(?:[A-Z][\w'\-]*\s+){{1,3}}(?:{STREET_WORDS})\s+\d+[A-Za-z]?\b{UNIT}"),
    # Lindenstraße 23, Hagen / Storgatan 5 / ulica Lipowa 3
    re.compile(
        r"\b[A-ZÄÖÜ][\w\-]*(?:stra(?:ß|ss)e|str\.|weg|gasse|platz|allee|ring|damm|gatan|vägen|väg|ulica|"
        r"ulitsa)\s+\d+[A-Za-z]?(?:,\s+(?:\d{4,5}\s+)?[A-ZÄÖÜ][\w\-]+)?" + UNIT
    ),
)
MONTHS = (
    r"January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
DAY_DATE_RES = (
    re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?i:{MONTHS})\.?,?(?:\s+\d{{4}})?\b"),
    re.compile(rf"\b(?i:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b"),
    re.compile(r"\b\d{1,2}[./]\d{1,2}[./](?:\d{4}|\d{2})\b"),
    re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
)
# A dated private event: told in the first person, or a birth, death, arrest or wedding.
PRIVATE_EVENT_RE = re.compile(
    r"\b(?:I|my|me|we|our|us|mine)\b|\b(?:born|died|killed|arrested|detained|married|wedding|funeral|"
    r"disappeared|taken|released|birthday)\b",
    re.I,
)


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def find_emails_urls(text: str) -> Iterator[Mention]:
    for match in EMAIL_RE.finditer(text):
        yield Mention(match.start(), match.end(), match.group(), CONTACT, "email")
    for match in URL_RE.finditer(text):
        yield Mention(match.start(), match.end(), match.group(), CONTACT, "url")


def find_phones(text: str) -> Iterator[Mention]:
    """Phone numbers: phonenumbers on each digit run, else a lenient guess for long digit groups."""
    for run in DIGIT_RUN_RE.finditer(text):
        chunk = run.group()
        count = _digits(chunk)
        if count < 7 or count > 15 or _looks_like_years(chunk):
            continue
        found = _library_phone(chunk)
        if found is not None:
            start, end = found
            yield Mention(run.start() + start, run.start() + end, chunk[start:end], CONTACT, "phonenumbers")
        elif count >= 7 and (" " in chunk.strip() or "-" in chunk or chunk.startswith("+") or count >= 9):
            yield Mention(run.start(), run.end(), chunk, CONTACT, "phone-pattern", LIKELY)


def _library_phone(chunk: str) -> tuple[int, int] | None:
    for region in PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(chunk, region, leniency=phonenumbers.Leniency.VALID):
            return match.start, match.end
    return None


def _looks_like_years(chunk: str) -> bool:
    groups = re.findall(r"\d+", chunk)
    return all(len(g) == 4 and g[:2] in ("19", "20") for g in groups)


def find_ids(text: str) -> Iterator[Mention]:
    for match in NUMBERED_ORG_RE.finditer(text):
        yield Mention(match.start(), match.end(), match.group(), ORG, "numbered-org")
    for match in ID_RE.finditer(text):
        if not _looks_like_years(match.group()):
            yield Mention(match.start(), match.end(), match.group(), ID, "id-number")
    for match in NUMBERED_RE.finditer(text):
        yield Mention(match.start(), match.end(), match.group(), ID, "numbered", LIKELY)


def find_addresses(text: str) -> Iterator[Mention]:
    for pattern in ADDRESS_RES:
        for match in pattern.finditer(text):
            yield Mention(match.start(), match.end(), match.group(), CONTACT, "address")


def find_private_dates(text: str) -> Iterator[Mention]:
    """Dates precise to the day, when the sentence tells a private event."""
    for pattern in DAY_DATE_RES:
        for match in pattern.finditer(text):
            sentence = _sentence_around(text, match.start(), match.end())
            if PRIVATE_EVENT_RE.search(sentence):  # public dates (a treaty's signing) stay
                yield Mention(match.start(), match.end(), match.group(), DATE, "private-date", SURE)


def _sentence_around(text: str, start: int, end: int) -> str:
    left = max(text.rfind(mark, 0, start) for mark in (". ", "? ", "! ", "\n\n"))  # lines may be wrapped
    rights = [i for i in (text.find(mark, end) for mark in (". ", "? ", "! ", "\n\n")) if i >= 0]
    return text[left + 1 : min(rights) if rights else len(text)]


# A numbered neighbourhood is an address even in lower case: "the fourth microdistrict", "block 12".
ORDINALS = (
    r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|"
    r"fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|\d{1,3}(?:st|nd|rd|th)"
)
NEIGHBOURHOOD_RE = re.compile(
    rf"(?i)\b(?:(?:{ORDINALS})[ -](?:micro-?district|mikrorayon|microrayon|residential block|housing block|"
    rf"block|quarter|sector|district of the city)|(?:micro-?district|mikrorayon|microrayon|block|sector|"
    rf"kvartal|quarter)[ ](?:no\.?[ ]?)?\d{{1,3}}[a-z]?)\b"
)


def find_neighbourhoods(text: str) -> Iterator[Mention]:
    for match in NEIGHBOURHOOD_RE.finditer(text):
        yield Mention(match.start(), match.end(), match.group(), PLACE, "neighbourhood", LIKELY)


def find_structured(text: str) -> list[Mention]:
    """Every shaped identifier in a text; overlaps are resolved later."""
    mentions: list[Mention] = list(find_neighbourhoods(text))
    mentions.extend(find_emails_urls(text))
    mentions.extend(find_addresses(text))
    mentions.extend(find_phones(text))
    mentions.extend(find_ids(text))
    mentions.extend(find_private_dates(text))
    return mentions
