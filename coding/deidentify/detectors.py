"""Name detectors over a document body: the trained NER, cue phrases, and unknown capitalised words.

Each detector proposes Mentions; none decides alone. The keep list removes public names afterwards
(decide.py), the roster and corpus-wide propagation add what these miss (propagate.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .keep_list import HONORIFICS, PUBLIC_INSTITUTION_WORDS, KeepList, normalise
from .model import GUESS, LIKELY, ORG, PERSON, PLACE, SURE, Mention

if TYPE_CHECKING:  # spaCy itself is imported only by coding.nlp
    from spacy.language import Language
    from spacy.tokens import Doc

NER_KINDS = {"PERSON": PERSON, "GPE": PLACE, "LOC": PLACE, "FAC": PLACE, "ORG": ORG, "NORP": PLACE}

# One capitalised name word (hyphenated parts and apostrophes allowed) and a run of up to three.
_NAME = r"(?-i:[^\W\d_a-z][\w'\u2019]+(?:-[\w'\u2019]+)*)"
_NAMES = rf"{_NAME}(?:[ ]{_NAME}){{0,2}}"
WORD_RE = re.compile(r"[^\W\d_][\w'\u2019]*(?:-[^\W\d_][\w'\u2019]*)*")

RELATIONS = (
    r"wife|husband|son|daughter|brother|sister|mother|father|cousin|uncle|aunt|nephew|niece|grandson|"
    r"granddaughter|grandfather|grandmother|grandchild|friend|colleague|neighbou?r|driver|teacher|student|"
    r"pupil|boss|partner|fianc[ée]e?|assistant|relative|[a-z]+-in-law|classmate|comrade|deputy|commander|"
    r"mentor|doctor|lawyer|director|chief|guard|bodyguard|secretary|interpreter|translator|host|landlord|"
    r"brother-in-arms|kinsman|kinswoman|mullah|imam|elder|officer|soldier|cook|nurse"
)
ROLE_NOUNS = rf"{RELATIONS}|[a-z]*man|[a-z]*woman|girl|boy|lieutenant|colonel|captain|major|trader|merchant"
PLACE_NOUNS = r"village|mahalla|kishlak|qishloq|jamoat|settlement|hamlet|neighbou?rhood|quarter|kolkhoz|sovkhoz"
STRONG_HONORIFICS = (
    r"Mr|Mrs|Ms|Miss|Dr|Prof|Mullo|Mullah|Mulla|Domla|Haji|Hoji|Hajji|Ustod|Ustad|Ustoz|Bibi|Agha-ye|Aghaye|"
    r"Agha|Sayid|Sayyid|Eshon|Qori|Qozi|Shaykh|Sheikh|Khoja|Khwaja"
)
WEAK_HONORIFICS = r"Colonel|Major|Captain|Lieutenant|Sergeant|General|Commander|Comrade|Judge|Professor|Doctor"

# Small workplaces: their town names the person ("the district maternity clinic in Kulob").
SMALL_WORKPLACES = (
    r"clinic|polyclinic|hospital|maternity(?: ward| home| hospital)?|school|kindergarten|lyceum|gymnasium|"
    r"shop|store|bakery|pharmacy|factory|plant|workshop|garage|ginnery|mill|library|canteen|cafe|hotel|"
    r"kolkhoz|sovkhoz|farm|depot|station|post office|branch|office"
)
PERSONAL_SUBJECT = (
    r"I|I'm|we|he|she|(?:my|our|his|her)\s+(?:[a-z\-]+\s+)?(?:wife|husband|son|daughter|brother|sister|mother|"
    r"father|cousin|uncle|aunt|nephew|niece)"
)

# (pattern, kind, detector, confidence, overrides_keep_list); group "name" is the mention.
CUE_PATTERNS: tuple[tuple[re.Pattern[str], str, str, float, bool], ...] = (
    (
        re.compile(
            rf"(?i:\b(?:{PERSONAL_SUBJECT})\s+(?:still\s+|now\s+|also\s+)?(?:work(?:s|ed)?|am working|is working|"
            rf"was working|worked as [a-z ]{{1,30}}?|(?:am|is|was) (?:a |an )?(?:nurse|doctor|teacher|cook|driver|"
            rf"cleaner|guard|accountant|director|head))\s+(?:at|in)\s+(?:the|a|an|our)\s+(?:[a-z'\-]+\s+){{0,4}}?"
            rf"(?:{SMALL_WORKPLACES})\s+(?:in|of|at)\s+)(?P<name>{_NAMES})"
        ),
        PLACE,
        "workplace-town",
        SURE,
        True,
    ),
    (re.compile(rf"\b(?:{STRONG_HONORIFICS})\.?\s+(?P<name>{_NAMES})"), PERSON, "honorific", SURE, False),
    (re.compile(rf"\b(?:{WEAK_HONORIFICS})\.?\s+(?P<name>{_NAMES})"), PERSON, "title", LIKELY, False),
    (
        re.compile(rf"(?P<name>{_NAME})(?:-|\s)(?i:aka|jon|jan|opa|apa|sahib|saheb|khon|bobo|domla|hon)\b"),
        PERSON,
        "honorific",
        SURE,
        False,
    ),
    (
        re.compile(
            rf"(?i:\b(?:my|our|his|her|their|your)\s+(?:[a-z\-]+\s+){{0,2}}?(?:{RELATIONS}))"
            rf"(?:\s+(?i:in|from|at)\s+{_NAMES})?,?\s+(?P<name>{_NAMES})"
        ),
        PERSON,
        "relation",
        SURE,
        False,
    ),
    (
        re.compile(rf"(?i:\b(?:a|an|one)\s+(?:[a-z\-]+\s+){{0,2}}?(?:{ROLE_NOUNS}))\s*,\s+(?P<name>{_NAMES})"),
        PERSON,
        "apposition",
        LIKELY,
        False,
    ),
    (re.compile(rf"(?i:\bone of (?:them|us|those|these)),\s+(?P<name>{_NAMES})"), PERSON, "apposition", LIKELY, False),
    (
        re.compile(rf"(?P<name>{_NAMES}),\s+(?i:my|our|his|her)\s+(?:[a-z\-]+\s+){{0,2}}?(?i:{RELATIONS})\b"),
        PERSON,
        "apposition",
        SURE,
        False,
    ),
    (
        re.compile(
            rf"(?i:\b(?:my name is|i am called|i'm called|call me|they call me|i am|i'm|this is))\s+(?P<name>{_NAMES})"
        ),
        PERSON,
        "self-name",
        LIKELY,
        False,
    ),
    (
        re.compile(rf"(?i:\b(?:called|named|nicknamed|known as))\s+(?P<name>{_NAMES})"),
        PERSON,
        "called",
        LIKELY,
        False,
    ),
    (
        re.compile(
            rf"(?i:\b(?:thank you|thanks|hello|hi|dear|salaam|salom|assalomu alaykum|good morning|"
            rf"good afternoon|good evening|welcome|goodbye|bye))[,!]?\s+(?P<name>{_NAME})"
        ),
        PERSON,
        "greeting",
        LIKELY,
        False,
    ),
    (
        re.compile(rf"^(?:[^\n:]{{1,40}}:\s+)?(?P<name>{_NAME}),\s+(?i:thanks?|thank you)\b", re.M),
        PERSON,
        "greeting",
        LIKELY,
        False,
    ),
    (re.compile(rf"(?i:\b(?:{PLACE_NOUNS})\s+(?:of|called|named)\s+)(?P<name>{_NAMES})"), PLACE, "village", SURE, True),
    (re.compile(rf"(?i:\b(?:{PLACE_NOUNS}),?\s+)(?P<name>{_NAMES})"), PLACE, "village", LIKELY, False),
    (re.compile(rf"(?P<name>{_NAMES})\s+(?i:{PLACE_NOUNS})\b"), PLACE, "village", SURE, True),
    (
        re.compile(rf"(?P<name>{_NAMES}),\s+(?i:my|our|his|her)\s+(?:[a-z']+\s+){{0,2}}?(?i:{PLACE_NOUNS}|home)\b"),
        PLACE,
        "village",
        SURE,
        True,
    ),
    (
        re.compile(rf"(?i:\b(?:my|our|his|her)\s+(?:[a-z']+\s+){{0,2}}?(?:{PLACE_NOUNS})),?\s+(?P<name>{_NAMES})"),
        PLACE,
        "village",
        SURE,
        True,
    ),
    (
        re.compile(
            rf"(?i:\b(?:grew up in|born in|live in|lives in|living in|lived in|settled in|moved to|"
            rf"home is in|house is in|here in|studying (?:\w+ )?in|works? in|working in))\s+(?P<name>{_NAMES})"
        ),
        PLACE,
        "residence",
        LIKELY,
        False,
    ),
    (
        re.compile(
            rf"(?i:\b(?:work(?:ed|s)? (?:at|for)|employed (?:at|by)|job at|teach(?:es)? (?:\w+ )?at|"
            rf"studying (?:\w+ )?at|direct|run|founded|started|joined)\s+(?:the\s+)?)(?P<name>{_NAMES})"
        ),
        ORG,
        "employer",
        LIKELY,
        False,
    ),
)

# Words that begin a sentence but never a name (spaCy's English stop words are not imported here).
STOP_WORDS = frozenset(
    [
        "i",
        "me",
        "my",
        "we",
        "our",
        "us",
        "you",
        "your",
        "he",
        "him",
        "his",
        "she",
        "her",
        "it",
        "its",
        "they",
        "them",
        "their",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "the",
        "a",
        "an",
        "and",
        "or",
        "but",
        "if",
        "then",
        "so",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "of",
        "on",
        "to",
        "with",
        "without",
        "what",
        "which",
        "who",
        "whom",
        "when",
        "where",
        "why",
        "how",
        "all",
        "any",
        "both",
        "each",
        "few",
        "more",
        "most",
        "other",
        "some",
        "such",
        "no",
        "nor",
        "not",
        "only",
        "own",
        "same",
        "than",
        "too",
        "very",
        "can",
        "will",
        "just",
        "should",
        "now",
        "yes",
        "well",
        "oh",
        "ok",
        "okay",
        "please",
        "sorry",
        "also",
        "still",
        "even",
        "maybe",
        "perhaps",
        "because",
        "after",
        "before",
        "during",
        "since",
        "until",
        "while",
        "once",
        "again",
        "later",
        "first",
        "last",
        "one",
        "two",
        "three",
    ]
)

PLACE_SUFFIXES = (
    "obod",
    "abad",
    "dara",
    "darra",
    "kent",
    "qala",
    "kala",
    "deh",
    "dih",
    "kalon",
    "ston",
    "istan",
    "shahr",
)
PERSON_SUFFIXES = (
    "ov",
    "ova",
    "ev",
    "eva",
    "zoda",
    "zada",
    "jon",
    "ullo",
    "ullah",
    "iddin",
    "uddin",
    "bek",
    "sho",
    "bibi",
    "gul",
)
PLACE_PREPOSITIONS = frozenset({"in", "from", "near", "to", "at", "around", "village", "of", "towards", "outside"})


@lru_cache(maxsize=4)
def _lexicon_at(path: str) -> frozenset[str]:
    file = Path(path) / "vocab" / "strings.json"
    if not file.is_file():
        return frozenset()
    return frozenset(json.loads(file.read_text(encoding="utf-8")))


def lexicon(nlp: Language) -> frozenset[str]:
    """Words the trained pipeline's vocabulary knows, read from disk so that texts already processed
    (which add strings to the live vocabulary) never change what counts as 'unknown'."""
    path = getattr(nlp, "path", None)
    return _lexicon_at(str(path)) if path else frozenset()


def guess_kind(text: str, before: str) -> str:
    """PLACE or PERSON for a bare name, from the word before it and Central Asian name endings."""
    previous = before.rstrip().rsplit(None, 1)[-1].casefold() if before.strip() else ""
    word = normalise(text).split(" ")[-1] if normalise(text) else ""
    if previous in PLACE_PREPOSITIONS or word.endswith(PLACE_SUFFIXES):
        return PLACE
    return PERSON


ORG_WORDS = frozenset(
    [
        "institute",
        "university",
        "school",
        "college",
        "academy",
        "association",
        "forum",
        "initiative",
        "weekly",
        "daily",
        "newspaper",
        "department",
        "company",
        "firm",
        "foundation",
        "centre",
        "center",
        "fund",
        "bank",
        "factory",
        "plant",
        "ginnery",
        "hospital",
        "clinic",
        "cooperative",
        "union",
        "society",
        "club",
        "network",
        "group",
        "agency",
        "bureau",
        "office",
        "radio",
        "magazine",
        "press",
        "circle",
        "network",
        "collective",
        "cooperative",
        "brigade",
        "team",
    ]
)
# The head words that end the name of a small organisation ("Dushanbe Youth Peace Circle").
ORG_HEADS = ORG_WORDS - {"school", "radio", "press", "office", "department", "plant", "bank", "daily", "weekly"}
ORG_NAME = re.compile(
    rf"(?P<name>{_NAME}(?:[ ](?:of[ ]|for[ ]|and[ ])?{_NAME}){{1,5}})",
)


def org_name_mentions(text: str, keep: KeepList) -> list[Mention]:
    """Runs of capitalised words that end in an organisation word: a small organisation's name can be
    made of public words and ordinary words ('Dushanbe Youth Peace Circle'), so no word of it is
    unknown; its head word gives it away. Public bodies on the keep-list stay."""
    found: list[Mention] = []
    for match in ORG_NAME.finditer(text):
        start, end = match.span("name")
        words = WORD_RE.findall(match.group("name"))
        while words and words[0].casefold() in STOP_WORDS:
            start = text.index(words[1], start) if len(words) > 1 else end
            words = words[1:]
        if len(words) < 2 or words[-1].casefold() not in ORG_HEADS:
            continue
        span = text[start:end]
        if keep.is_public(span):
            continue
        found.append(Mention(start, end, span, ORG, "org-name", LIKELY))
    return found


def refine_kind(span: str, before: str, kind: str) -> str:
    """Correct the model's label from the name's shape: 'Haitov' is a person, 'in Navobod' a place."""
    words = normalise(span).split(" ")
    previous = before.rstrip().rsplit(None, 1)[-1].casefold() if before.strip() else ""
    if any(w in ORG_WORDS for w in words):
        return ORG
    if words[-1].endswith(PERSON_SUFFIXES) and len(words[-1]) > 4:
        return PERSON
    if words[-1].endswith(PLACE_SUFFIXES) or (previous in PLACE_PREPOSITIONS and kind != ORG):
        return PLACE
    return kind


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop a leading article, a trailing possessive and punctuation from a span."""
    span = text[start:end]
    lead = re.match(r"(?i:the|a|an)\s+", span)
    if lead:
        start += lead.end()
    tail = re.search(r"(?:['\u2019]s|[\s.,;:'\"\u2019\-]+)$", text[start:end])
    if tail:
        end = start + tail.start()
    return start, end


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow a span to whole hyphenated words: the tokenizer cuts 'Kurgan-Tyube' in three."""
    while start > 1 and text[start - 1] in "-'\u2019" and text[start - 2].isalpha():
        start -= 2
        while start > 0 and text[start - 1].isalpha():
            start -= 1
    while end < len(text) - 1 and text[end] == "-" and text[end + 1].isalpha():
        end += 1
        while end < len(text) and text[end].isalpha():
            end += 1
    return start, end


def _has_name_word(text: str) -> bool:
    return any(word[:1].isupper() for word in WORD_RE.findall(text))


def _strip_honorific(text: str) -> str:
    words = text.split()
    while len(words) > 1 and words[0].casefold().rstrip(".") in HONORIFICS:
        words = words[1:]
    return " ".join(words)


def ner_mentions(
    doc: Doc, text: str, keep: KeepList, lex: frozenset[str], detector: str = "ner", shift: int = 0
) -> list[Mention]:
    """Named entities of name-like labels, whatever label the model chose (labels are unreliable).

    `text` is the text the doc was made from (doc.text would rebuild it token by token)."""
    found: list[Mention] = []
    for ent in doc.ents:
        kind = NER_KINDS.get(ent.label_)
        if kind is None:
            continue
        start, end = _trim(text, *_whole_words(text, ent.start_char, ent.end_char))
        span = text[start:end]
        if end <= start or not _has_name_word(span) or _is_generic(span, keep) or keep.is_public(span):
            continue
        if ent.label_ == "NORP" and all(w.casefold() in lex for w in WORD_RE.findall(span)):
            continue  # a nationality or faith the model knows; only unknown small communities go
        kind = refine_kind(span, text[max(0, start - 20) : start], kind)
        found.append(Mention(start + shift, end + shift, span, kind, detector, SURE))
    return found


def _is_generic(span: str, keep: KeepList) -> bool:
    """One capitalised common word ('Commission', 'Monday'): not a name."""
    words = WORD_RE.findall(span)
    return len(words) == 1 and (normalise(words[0]) in PUBLIC_INSTITUTION_WORDS or keep.is_common_word(words[0]))


def cue_mentions(text: str, keep: KeepList) -> list[Mention]:
    """Names in name-like contexts: honorifics, kinship, greetings, villages, employers."""
    found: list[Mention] = []
    for pattern, kind, detector, confidence, overrides in CUE_PATTERNS:
        for match in pattern.finditer(text):
            start, end = _trim(text, match.start("name"), match.end("name"))
            span = text[start:end]
            if end <= start or not span[:1].isupper():
                continue
            name = _strip_honorific(span)
            if name != span:
                start = end - len(name)
            if _is_generic(name, keep) or (not overrides and keep.is_public(name)):
                continue
            first = name.split()[0]
            if len(name) < 3 or keep.is_common_word(first) or first.casefold() in HONORIFICS | STOP_WORDS:
                continue
            found.append(Mention(start, end, name, kind, "cue-" + detector, confidence))
    return found


def unknown_word_mentions(
    text: str, keep: KeepList, lex: frozenset[str], lower_lines: Iterable[tuple[int, int]] = ()
) -> list[Mention]:
    """Capitalised words the pipeline's vocabulary has never seen: in English transcripts these are
    almost always transliterated names. In lower-case lines every unknown word is a candidate."""
    if not lex:
        return []
    found: list[Mention] = []
    for start, end in [(0, len(text))]:
        found.extend(_unknown_in(text, start, end, keep, lex, need_capital=True))
    for start, end in lower_lines:
        found.extend(_unknown_in(text, start, end, keep, lex, need_capital=False))
    return found


def _unknown_in(
    text: str, start: int, end: int, keep: KeepList, lex: frozenset[str], need_capital: bool
) -> Iterator[Mention]:
    for match in WORD_RE.finditer(text, start, end):
        word = re.sub(r"['\u2019]s$", "", match.group())
        if len(word) < 3 or (need_capital and not word[:1].isupper()) or word.isupper():
            continue
        if not is_unknown(word, lex) or keep.is_public(word) or word.casefold() in HONORIFICS:
            continue
        begin, finish = _with_neighbours(text, match.start(), match.start() + len(word), keep, lex)
        kind = guess_kind(text[begin:finish], text[max(0, begin - 20) : begin])
        yield Mention(begin, finish, text[begin:finish], kind, "unknown-word", LIKELY if need_capital else GUESS)


def _with_neighbours(text: str, start: int, end: int, keep: KeepList, lex: frozenset[str]) -> tuple[int, int]:
    """Take in capitalised words right next to an unknown one: 'Obi Safed', 'Dehi Kalon'.

    A known English word joins only inside a sentence ('Hello Umed' stays 'Hello [PERSON_1]')."""
    while True:
        before = re.search(r"([^\W\d_][\w'\u2019-]*) $", text[max(0, start - 40) : start])
        if not before:
            break
        word_start = start - len(before.group(0))
        if not _joins_name(before.group(1), keep, lex, starts_sentence(text, word_start)):
            break
        start = word_start
    while True:
        after = WORD_RE.match(text, end + 1) if text[end : end + 1] == " " else None
        if not after or not _joins_name(after.group(), keep, lex, False):
            break
        end = after.end()
    return start, end


def starts_sentence(text: str, offset: int) -> bool:
    """True at the start of the text, a line, or after sentence punctuation or a bracketed aside."""
    before = text[max(0, offset - 6) : offset].rstrip(" \t")
    return not before or before[-1] in '\n.!?:;"\u201c\u201d([]\u2014\u2013-\u2026'


def _joins_name(word: str, keep: KeepList, lex: frozenset[str], at_start: bool) -> bool:
    folded = word.casefold()
    if not word[:1].isupper() or len(word) < 2 or "'" in word or folded in STOP_WORDS or folded in HONORIFICS:
        return False
    if at_start and not is_unknown(word, lex):
        return False
    return not (keep.is_public(word) or keep.is_common_word(word) or folded in PUBLIC_INSTITUTION_WORDS)


def is_unknown(word: str, lex: frozenset[str]) -> bool:
    parts = [p for p in word.split("-") if len(p) >= 3]
    if word in lex or word.casefold() in lex:
        return False
    return any(p not in lex and p.casefold() not in lex for p in parts) if parts else False
