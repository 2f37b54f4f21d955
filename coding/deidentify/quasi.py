"""Quasi-identifiers: details that are harmless alone and name the person together.

Ages ("I was twenty-six", "at sixty years old"), years and dates of the respondent's or the family's
own life ("I was born in 1971", "my brother was detained in May 2015") as opposed to the public history
of the country ("the 1997 General Agreement"), posts tied to a unit or a place ("deputy head of the tax
inspection in Vahdat"), a relative with a distinguishing role ("my daughter is studying medicine") and
self-described ethnicity, religion or party ("I am Uzbek", "I had left the party").

Each is flagged for review with a proposed generalisation and left in place: the researcher decides
(keep, replace, generalise) in the review file. The rules look for the grammatical tie to a person: a
first-person (or interviewer's "you") subject, a family member, or a private life event near the detail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from ..transcripts import DEFAULT_INTERVIEWER_LABELS, LABEL_RE
from .keep_list import data_list
from .life_story import COUNT_LABELS, LIFE_STORY, Clause, generalised
from .model import DATE, Mention, Quasi

AGE = "AGE"
BIRTH_YEAR = "BIRTH_YEAR"
PRIVATE_DATE = "PRIVATE_DATE"
POSITION = "POSITION"
KINSHIP_ROLE = "KINSHIP_ROLE"
ETHNICITY_RELIGION = "ETHNICITY_RELIGION"

UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_UNIT = "|".join(UNITS)
_TEN = "|".join(TENS)
NUMBER = rf"(?:\d{{1,3}}|(?:{_TEN})(?:[- ](?:{'|'.join(list(UNITS)[:9])}))?|{_UNIT})"
# A year: 1971, '93, or spoken "ninety-three" (a decade word alone is a year only after "in").
YEAR = rf"(?:(?:19|20)\d\d|['\u2019]\d\d|(?:sixty|seventy|eighty|ninety)[- ](?:{'|'.join(list(UNITS)[:9])}))"
MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"spring|summer|autumn|fall|winter)"
)
KIN = (
    r"(?:wife|husband|son|sons|daughter|daughters|brother|brothers|sister|sisters|mother|father|parents|"
    r"cousin|uncle|aunt|nephew|niece|grandson|granddaughter|grandfather|grandmother|grandchild|"
    r"[a-z]+-in-law|family|child|children|fianc[ée]e?)"
)
SELF = r"(?:I|I'm|I\u2019m|we|you)"
PERSON_SUBJECT = rf"(?:{SELF}|[Hh]e|[Ss]he|(?i:my|our|your)\s+(?:\w+\s+)?{KIN})"
# Verbs of a private life event, in the forms they take after a subject.
LIFE_EVENTS = (
    r"born|married|divorced|died|buried|killed|arrested|detained|imprisoned|jailed|released|charged|tried|"
    r"sentenced|deported|expelled|fled|escaped|emigrated|left|returned|came back|came home|came down|"
    r"came to|went to|moved|crossed|applied|graduated|enrolled|studied|retired|resigned|dismissed|fired|"
    r"appointed|elected|joined|founded|started|stopped|opened|closed|attended|recruited|hired|promoted|"
    r"transferred|posted|sent|put me|made me|gave me|took me|visited|settled|worked|served|taught|"
    r"was a student|was a teacher|got married|got a job|lost my|lost his|lost her|searched|came for"
)
# Public history: a year next to these words dates the country's events, not a person's life.
PUBLIC_EVENT = re.compile(
    r"(?i)\b(?:elections?|agreement|accord|talks|negotiations|ceasefire|treaty|protocol|referendum|"
    r"banned|ban|war\b|mission|government|parliament|constitution|independence day|coup|offensive|fighting|"
    r"attacks?|bombing|invasion|uprising|riots?|siege|troops|"
    r"taliban|donors|programmes?|the party was|declared)\b"
)


def number_value(text: str) -> int | None:
    """'twenty-six' -> 26, '61' -> 61; None when the text is not a number."""
    folded = text.casefold().replace(" ", "-")
    if folded.isdigit():
        return int(folded)
    parts = folded.split("-")
    if parts[0] in UNITS and len(parts) == 1:
        return UNITS[parts[0]]
    if parts[0] in TENS:
        rest = UNITS.get(parts[1]) if len(parts) == 2 else 0
        return None if rest is None else TENS[parts[0]] + rest
    return None


def year_value(text: str) -> int | None:
    """'1993' -> 1993, 'ninety-three' -> 1993, "'93" -> 1993."""
    digits = re.sub(r"\D", "", text)
    if len(digits) == 4:
        return int(digits)
    value = int(digits) if len(digits) == 2 else number_value(text)
    if value is None or not (len(digits) == 2 or 10 <= value <= 99):
        return None
    return 1900 + value if value > 30 else 2000 + value


def age_band(age: int) -> str:
    if age < 13:
        return "[AGE: child]"
    if age < 20:
        return "[AGE: teens]"
    return f"[AGE: {age // 10 * 10}s]"


def _rule(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern, flags)


# (kind, rule name, pattern); group "q" is the span flagged, group "n" a number, "y" a year.
AGE_RULES = (
    (
        "age-of-person",
        _rule(
            rf"(?P<q>\b(?:{PERSON_SUBJECT}\s+(?:was|am|is|are|were|turned|had just turned|will be|would be)|"
            rf"I['\u2019]m)\s+(?:only\s+|just\s+|barely\s+|almost\s+|nearly\s+|about\s+|already\s+)?"
            rf"(?P<n>{NUMBER})(?:\s+years?\s+old|\s+years?\b(?!\s+(?:ago|later|in|of|before|after)))?)"
            rf"(?=\s*(?:[.,;!?)]|then|now|when|at the time|years|and|last|this|in|at|(?:I|we|he|she|my)\b|$))"
        ),
    ),
    (
        "age-phrase",
        _rule(rf"(?i)(?P<q>\b(?:at|aged|age of|at the age of)\s+(?P<n>{NUMBER})(?:\s+years?\s+old)?)(?=[\s.,;])"),
    ),
    ("age-phrase", _rule(rf"(?i)(?P<q>\b(?P<n>{NUMBER})[- ]years?[- ]old\b)")),
    (
        "age-phrase",
        _rule(
            r"(?i)(?P<q>\b(?:in|into) (?:my|his|her|our) "
            r"(?P<n>twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties)\b)"
        ),
    ),
    # a sentence of its own in an answer about the respondent: "R12: Kholov. Fifty-four years. Born in ..."
    (
        "age-answer",
        _rule(rf"(?i)(?:^|(?<=[.!?:])\s+)(?P<q>(?P<n>{NUMBER})\s+years?(?:\s+old)?)\s*(?:[.!]|$)", re.M),
    ),
)
AT_AGE_MIN = 15  # "at sixty-one" is an age; "at two" is a time of day


def _age_flags(text: str) -> Iterator[tuple[int, int, str, str, str]]:
    for rule, pattern in AGE_RULES:
        for match in pattern.finditer(text):
            raw = match.group("n")
            value = number_value(raw) if not raw.endswith("ies") else TENS.get(raw[:-3] + "y")
            if value is None or not 1 <= value <= 110:
                continue
            if rule == "age-answer" and (value < AT_AGE_MIN or not _in_answer_about_you(text, match.start("q"))):
                continue
            if rule == "age-phrase" and match.group("q").casefold().startswith("at ") and value < AT_AGE_MIN:
                continue
            if rule == "age-phrase" and match.group("q").casefold().startswith("at ") and _is_time(text, match.end()):
                continue
            if rule == "age-of-person" and (_age_of_object(text, match.end()) or _hypothetical(text, match.start())):
                continue
            yield match.start("q"), match.end("q"), AGE, rule, age_band(value)


def _hypothetical(text: str, start: int) -> bool:
    """'when I am sixty', 'if he is forty': an age to come, not the person's age ('when I was 17' is)."""
    before = text[max(0, start - 6) : start].casefold()
    after = text[start : start + 12].casefold()
    return bool(re.search(r"\b(?:when|if)\s+$", before)) and not re.search(r"\b(?:was|were)\b", after)


def _is_time(text: str, end: int) -> bool:
    return bool(re.match(r"\s*(?:o'clock|am\b|pm\b|in the (?:morning|evening|afternoon)|hours|minutes)", text[end:]))


def _age_of_object(text: str, end: int) -> bool:
    """'I was two [years in prison]', 'we were twenty [men]': counts, not ages."""
    return bool(re.match(r"\s+(?:of us|of them|men|people|women|days|weeks|months|times|kilometres|km)\b", text[end:]))


def _sentences(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    for match in re.finditer(r"(?<=[.!?])\s+|\n+", text):
        yield start, match.start()
        start = match.end()
    yield start, len(text)


# A life event with its person: "I crossed", "my brother was detained", "they came to my house".
PERSONAL_EVENT = re.compile(
    rf"(?:\b(?:I|we|We|you|You|he|He|she|She)|(?i:\b(?:my|our|your)\s+(?:\w+\s+)?{KIN}))\s+"
    rf"(?:[\w']+\s+){{0,3}}?(?i:{LIFE_EVENTS})\b"
    rf"|(?i:\b(?:{LIFE_EVENTS})\s+(?:me|us|to my|to our|my|our)\b)"
)
HE_SHE_EVENT = re.compile(
    r"(?i)\b(?:he|she)\s+(?:was\s+|got\s+)?(?:died|born|married|arrested|detained|killed|imprisoned)\b"
)
YEAR_RE = re.compile(
    rf"(?i)(?P<q>\b(?:(?:in|since|from|by|until|around|after|before|of)\s+(?:the\s+)?)?"
    rf"(?:(?P<m>{MONTH})\s+(?:of\s+)?)?(?P<y>{YEAR})(?:\s*(?:,|and|to|-)\s*(?:{YEAR}))?)\b"
)
DECADE_RE = re.compile(r"(?i)(?P<q>\bin the (?P<y>sixties|seventies|eighties|nineties|(?:19|20)\d0s))\b")
RELATIVE_DATE = re.compile(
    r"(?i)(?P<q>\b(?:last (?:month|year|week|spring|summer|autumn|winter)|(?:a|one|two|three|four|five|six|"
    r"several|few) (?:days?|weeks?|months?|years?) (?:ago|before|after|later)|a week before \w+)\b)"
)


def _date_flags(text: str) -> Iterator[tuple[int, int, str, str, str]]:
    """Years and dates in a sentence about the respondent's or a relative's own life."""
    for start, end in _sentences(text):
        sentence = text[start:end]
        for pattern in (YEAR_RE, DECADE_RE, RELATIVE_DATE):
            for match in pattern.finditer(sentence):
                q_start, q_end = match.span("q")
                window = sentence[max(0, q_start - 70) : q_end + 70]
                private = PERSONAL_EVENT.search(window) or HE_SHE_EVENT.search(window)
                answer = _answers_question_about_you(text, start + q_start)
                # the first words of an answer to "when did you ..." date the respondent's life, even when
                # they place it by public history ("In the summer of ninety-seven, just after the agreement")
                opening = _answers_question_about_you(text, start + q_start, reach=OPENING_REACH)
                if not (private or answer) or (_public_history(sentence, q_start, q_end) and not opening):
                    continue
                if pattern is YEAR_RE and not (_is_year(match) or (opening and year_value(match.group("y")))):
                    continue
                kind, rule, proposal = _date_kind(match, sentence, pattern)
                yield start + q_start, start + q_end, kind, rule, proposal


ANSWER_REACH = 80  # characters into an answer where a bare year still answers the question
OPENING_REACH = 10  # "It was ninety-three", "Once, in 2001": the answer's opening words


def _in_answer_about_you(text: str, offset: int) -> bool:
    """Anywhere in a respondent's turn that answers a question about the respondent."""
    line_start = text.rfind("\n", 0, offset) + 1
    return _answers_question_about_you(text, text.find(":", line_start) + 1, reach=len(text))


def _answers_question_about_you(text: str, offset: int, reach: int = ANSWER_REACH) -> bool:
    """A year at the start of an answer to a question about the respondent ('When did you return?' -
    'In the spring of ninety-eight.') dates the respondent's life."""
    line_start = text.rfind("\n", 0, offset) + 1
    label = LABEL_RE.match(text, line_start)
    if not label or offset - label.end() > reach or _asks(label.group("label")):
        return False
    previous = text[:line_start].rstrip("\n")
    question = previous[previous.rfind("\n") + 1 :]
    asker = LABEL_RE.match(question)
    if not asker or not _asks(asker.group("label")):
        return False
    return "?" in question and bool(re.search(r"(?i)\b(?:you|your|yourself)\b", question))


def _asks(label: str) -> bool:
    return label.casefold() in {name.casefold() for name in DEFAULT_INTERVIEWER_LABELS}


def _is_year(match: re.Match[str]) -> bool:
    """A spoken two-word number is a year only after a preposition or a month ('in ninety-three')."""
    raw = match.group("y")
    if raw[:1].isdigit() or raw[:1] in "'\u2019":
        return year_value(raw) is not None
    return match.group("q").casefold() != raw.casefold() and year_value(raw) is not None


def _public_history(sentence: str, start: int, end: int) -> bool:
    """The year dates a public event: an election, an agreement, a ban, the war ('in 1997 we heard')."""
    near = sentence[max(0, start - 60) : end + 60]
    if PUBLIC_EVENT.search(near) and not re.search(r"(?i)\b(?:I|me|my)\b", near):
        return True
    return bool(re.search(r"(?i)\bwe\s+(?:heard|saw|learned|read|watched|knew)\b", near))


def _date_kind(match: re.Match[str], sentence: str, pattern: re.Pattern[str]) -> tuple[str, str, str]:
    if pattern is RELATIVE_DATE:
        return PRIVATE_DATE, "relative-date", "[DATE]"
    if pattern is DECADE_RE:
        return BIRTH_YEAR, "life-decade", match.group("q")
    year = year_value(match.group("y"))
    if re.search(r"(?i)\bborn\b", sentence):
        return BIRTH_YEAR, "birth-year", f"[YEAR: {year // 10 * 10}s]" if year else "[YEAR]"
    if match.group("m"):
        return PRIVATE_DATE, "private-month", str(year) if year else "[DATE]"
    return BIRTH_YEAR, "life-year", f"[YEAR: {year // 10 * 10}s]" if year else "[YEAR]"


POSTS = "|".join(sorted(data_list("positions"), key=len, reverse=True))
UNIT_WORDS = (
    r"district|region|province|oblast|city|town|village|jamoat|mahalla|ministry|department|committee|"
    r"inspection|office|administration|school|university|institute|hospital|clinic|faculty|brigade|"
    r"battalion|regiment|unit|staff|section|branch|bank|company|factory|newspaper|radio|mosque|party|"
    r"commission|subcommission|secretariat|delegation|embassy|apparatus|council|team|group|club|organisation|"
    r"organization|ngo|centre|center|station|post|customs|police|militia|army|front"
)
POSITION_RULES = (
    (
        "self-post",
        _rule(
            rf"(?P<q>\b{SELF}\s+(?:was|am|were|are|had been|have been|became|become|worked as|work as|"
            rf"served as|serve as|started as|was made|was appointed|was elected|was working as|am working as|"
            rf"'m)\s+(?:(?:a|an|the|one of the)\s+)?(?:[\w-]+\s+){{0,3}}?(?:{POSTS})\b"
            rf"(?:\s+(?:of|at|in|for)\s+(?:the\s+|our\s+|my\s+|a\s+)?[\w'-]+(?:\s+[\w'-]+){{0,4}})?)"
        ),
    ),
    (
        "self-unit",
        _rule(
            rf"(?P<q>\b{SELF}\s+(?:was|am|were|worked|work|served|(?:was|am|were)\s+(?:working|serving|employed|"
            rf"teaching))\s+(?:in|at|with|for)\s+(?:the\s+|a\s+|our\s+)?(?:[\w'\u2019-]+\s+){{0,4}}?(?:{UNIT_WORDS})\b"
            rf"(?:,?\s+(?:[\w-]+\s*){{0,3}})?)"
        ),
    ),
    (
        "self-post",
        _rule(
            r"(?P<q>\bI\s+(?:teach|taught|direct|directed|lead|led|head|headed|run|ran|manage|managed|"
            r"edit|edited|command|commanded|chair|chaired)\b(?:\s+(?:the\s+|a\s+)?[\w-]+){0,3})"
        ),
    ),
    ("rank", _rule(rf"(?i)(?P<q>\b(?:the\s+)?rank of\s+(?:{POSTS}|[\w-]+))")),
    ("rank", _rule(r"(?P<q>\b(?:Colonel|Major|Captain|Lieutenant|Sergeant)(?=\s+[A-Z\[][\w\]-]))")),
    (
        "self-post",
        _rule(r"(?P<q>\b(?:I|you|You)\s+(?:had|got)\s+a\s+(?:posting|post|job|position)\s+(?:abroad|in|at)\b)"),
    ),
    (
        "self-post",
        _rule(
            rf"(?P<q>\b{SELF}\s+(?:was|am|were)\s+(?:teaching|lecturing|directing|editing|heading|running)\s+"
            rf"[\w-]+(?:\s+[\w-]+)?)"
        ),
    ),
    ("rank", _rule(r"(?i)(?P<q>\b(?:colonel|major|captain|lieutenant|general|sergeant),?\s+retired\b)")),
    (
        "post-of-unit",
        _rule(
            rf"(?P<q>\b(?i:(?:deputy|first deputy|acting|former)\s+)?(?i:head|chief|chairman|chairwoman|chair|"
            rf"director|commander|rector|principal|secretary|manager|editor)\s+of\s+(?:the\s+|our\s+|my\s+)"
            rf"(?:[\w-]+\s+){{0,4}}?(?i:{UNIT_WORDS})\b(?:\s+(?:in|of)\s+[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)*)?)"
        ),
    ),
    (
        "post-in-place",
        _rule(
            rf"(?P<q>\b(?:{POSTS})\s+(?:of|at)\s+(?:the\s+)?(?:[\w-]+\s+){{0,3}}?(?i:{UNIT_WORDS})\s+in\s+"
            rf"[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)*)"
        ),
    ),
)
KIN_ROLE = _rule(
    rf"(?P<q>\b(?i:my|our)\s+(?:\w+\s+)?{KIN}(?:,?\s+[A-Z\[][\w\]\[_-]*)?,?\s+(?:is|was|has been|became|works as|"
    rf"worked as)\s+(?:(?:studying|a student of|the|a|an|now|still|one of the)\s+)+(?:[\w-]+\s+){{0,3}}?"
    rf"(?:[\w-]+)(?:\s+(?:in|at|of)\s+[\w-]+(?:,\s*[\w-]+)?)?)"
)
KIN_STUDY = _rule(
    r"(?P<q>\b(?:is|was)\s+(?:studying|a student of|training as|working as)\s+(?:[\w-]+)(?:\s+(?:in|at)\s+[\w-]+)?"
    r"(?:,\s*[\w-]+)?)"
)
KIN_POST = _rule(
    rf"(?P<q>\b(?:he|she)\s+(?:is|was)\s+(?:now\s+)?(?:a|an|the)\s+(?:[\w-]+\s+)?(?:{POSTS})\b[^.!?\n]{{0,60}})"
)
GROUPS = "|".join(sorted(data_list("groups"), key=len, reverse=True))
FAITHS = (
    r"Muslims?|Ismailis?|Sunnis?|Shias?|Shiites?|Christians?|Baptists?|Jews?|Jewish|Catholics?|Orthodox|"
    r"Buddhists?|Hindus?|Baha'is?|atheists?|Sufis?|Salafis?"
)
SELF_GROUP = (
    (
        "self-ethnicity",
        _rule(
            rf"(?P<q>\b(?i:I am|I'm|I\u2019m|we are|we're|we were|I was|my family is|my family are|our family is|"
            rf"my mother is|my father is|my mother was|my father was|as an?|we,)\s+(?:the\s+|an?\s+|also\s+|half\s+)?"
            rf"(?:{GROUPS}|{FAITHS})\b)"
        ),
    ),
    (
        "self-party",
        _rule(
            r"(?i)(?P<q>\b(?:I|we|you)\s+(?:was|were|am|are|had been|have been)?\s*(?:a\s+)?"
            r"(?:members?|part|active|activists?)\s+(?:of|in)\s+(?:the\s+)?(?:[\w-]+\s+){0,3}?(?:party|movement|wing|front|opposition)\b)"
        ),
    ),
    ("self-party", _rule(r"(?i)(?P<q>\bI\s+(?:had\s+)?(?:left|joined|quit)\s+the\s+(?:[\w-]+\s+){0,2}?party\b)")),
    ("self-party", _rule(r"(?P<q>\b[Ww]e,\s+the\s+(?:democrats|communists|Islamists|nationalists|opposition))\b")),
    (
        "self-party",
        _rule(
            r"(?i)(?P<q>\b(?:I am|I'm|I was|we are|we were)\s+(?:a\s+)?"
            r"(?:democrats?|communists?|Islamists?|nationalists?|liberals?)\b)"
        ),
    ),
)


def _other_flags(text: str) -> Iterator[tuple[int, int, str, str, str]]:
    for rule, pattern in POSITION_RULES:
        for match in pattern.finditer(text):
            yield match.start("q"), match.end("q"), POSITION, rule, "[POSITION]"
    for match in KIN_ROLE.finditer(text):
        yield match.start("q"), match.end("q"), KINSHIP_ROLE, "kin-role", "[RELATIVE'S ROLE]"
    for match in KIN_POST.finditer(text):
        before = text[max(0, match.start() - 80) : match.start()]
        if re.search(rf"(?i)\b(?:my|our)\s+(?:\w+\s+)?{KIN}\b[^.!?]*$", before):
            yield match.start("q"), match.end("q"), KINSHIP_ROLE, "kin-role", "[RELATIVE'S ROLE]"
    for match in KIN_STUDY.finditer(text):
        before = text[max(0, match.start() - 60) : match.start()]
        if re.search(rf"(?i)\b(?:my|our)\s+(?:\w+\s+)?{KIN}\b[^.!?]*$", before):
            yield match.start("q"), match.end("q"), KINSHIP_ROLE, "kin-role", "[RELATIVE'S ROLE]"
    for rule, pattern in SELF_GROUP:
        for match in pattern.finditer(text):
            proposal = "[PARTY]" if rule == "self-party" else "[GROUP]"
            yield match.start("q"), match.end("q"), ETHNICITY_RELIGION, rule, proposal


Flag = tuple[int, int, str, str, str]  # start, end, kind, rule, proposal

# When two flags start at the same place, the more specific kind names the flag.
PRIORITY = {AGE: 0, PRIVATE_DATE: 1, BIRTH_YEAR: 2, ETHNICITY_RELIGION: 3, KINSHIP_ROLE: 4, POSITION: 5, LIFE_STORY: 6}


def find_quasi(file: str, body: str, replaced: Sequence[Mention] = (), clauses: Sequence[Clause] = ()) -> list[Quasi]:
    """Quasi-identifiers of one body, overlaps merged (the first rule found names the flag), minus spans
    that are already replaced as a whole (a day-precise private date is a [DATE_n] already).

    `clauses` are the life-story clauses found in the body's parse (life_story.life_story_flags): a clause
    overlapping a more specific flag, an age or a year, is left to that flag's review row."""
    flags = sorted(
        [*_age_flags(body), *_date_flags(body), *_other_flags(body)], key=lambda f: (f[0], -f[1], PRIORITY[f[2]])
    )
    if clauses:
        specific = [(f[0], f[1]) for f in flags]
        wider = [trimmed for f in clauses if (trimmed := _outside(body, f, specific)) is not None]
        flags = sorted([*flags, *wider], key=lambda f: (f[0], -f[1], PRIORITY[f[2]]))
    taken = [(m.start, m.end) for m in replaced if m.kind == DATE]
    result: list[Quasi] = []
    for start, end, kind, rule, proposal in flags:
        start, end = _strip(body, start, end)
        if end <= start or any(s <= start and end <= e for s, e in taken):
            continue
        if result and start < result[-1].end:
            last = result[-1]
            if end > last.end:
                result[-1] = Quasi(file, last.start, end, body[last.start : end], last.kind, last.rule, last.proposal)
            continue
        result.append(Quasi(file, start, end, body[start:end], kind, rule, proposal))
    return result


def _outside(body: str, clause: Clause, specific: list[tuple[int, int]]) -> Flag | None:
    """The clause, or its longest part beside the more specific flags inside it that still holds one of
    its details ('In the nineties I was with the mujahideen, in the political office in Taloqan' keeps
    the office once the decade is flagged)."""
    inside = sorted((s, e) for s, e in specific if s < clause.end and clause.start < e)
    if not inside:
        return clause[:5]
    pieces, cursor = [], clause.start
    for s, e in inside:
        pieces.append((cursor, s))
        cursor = max(cursor, e)
    pieces.append((cursor, clause.end))
    pieces = [piece for piece in pieces if _holds_detail(body, piece, clause)]
    if not pieces:
        return None
    start, end = _strip(body, *max(pieces, key=lambda p: p[1] - p[0]))
    proposal = generalised(body, start, end, clause.details) if clause.kind == LIFE_STORY else clause.proposal
    return start, end, clause.kind, clause.rule, proposal


def _holds_detail(body: str, piece: tuple[int, int], clause: Clause) -> bool:
    """A place or a date of the clause, with words of the clause around it (not a count, not a bare name)."""
    start, end = piece
    inner = [(s, e) for s, e, label in clause.details if start <= s and e <= end and label not in COUNT_LABELS]
    if not inner:
        return False
    rest = body[start:end]
    for s, e in sorted(inner, reverse=True):
        rest = rest[: s - start] + rest[e - start :]
    return bool(re.search(r"[a-z]{3,}", rest))


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while end > start and text[end - 1] in " ,;:\n":
        end -= 1
    while start < end and text[start] in " \n":
        start += 1
    return start, end
