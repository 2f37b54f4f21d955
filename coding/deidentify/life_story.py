"""Life-story details found through the parse: a clause whose subject is the respondent, the
interviewer's "you" or a relative of theirs, that places them somewhere, at some time or in some post.

"My cousin spent almost four years in the camps near Kunduz", "They attached me to the working group",
"I am from Kulob", "Born in Karategin": no word list names these; the grammar does. A clause counts when
its subject (or its object, for what was done to the respondent) is first person or "my/our/your" + a
relative, and the clause itself holds a specific detail: a place (a place entity or a proper noun after
a place preposition), a date with a number or a month, or (for "I" and relatives) a number. Verbs of
saying, thinking and perceiving report the public world ("we heard in 1997") and are left alone, as are
future or hypothetical clauses ("I would go to Moscow") and common experiences ("like half the men").

Without a place, date or count, a clause of the respondent or a relative still counts when it names a post
("I still lead a small group", "as an observer"), a persecution or turning point ("my mother was called
in twice", "I was released") or what the respondent does day by day ("I drive a delivery van").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, NamedTuple

from ..transcripts import DEFAULT_INTERVIEWER_LABELS, LABEL_RE

if TYPE_CHECKING:  # spaCy itself is imported only by coding.nlp
    from spacy.tokens import Doc, Span, Token

LIFE_STORY = "LIFE_STORY"
Detail = tuple[int, int, str]  # character start, end, entity label


class Clause(NamedTuple):
    """A flagged clause: character offsets, kind, rule, proposal, and the details (places, dates,
    counts) that make it identifying, so that a part of it can be flagged on its own."""

    start: int
    end: int
    kind: str
    rule: str
    proposal: str
    details: tuple[Detail, ...] = ()


POSITION = "POSITION"

FIRST_PERSON = {"i", "me", "we", "us", "you", "myself", "ourselves"}
SINGULAR = {"i", "me", "you", "myself"}
POSSESSIVE = {"my", "our", "your"}
KIN_LEMMAS = {
    "wife", "husband", "son", "daughter", "brother", "sister", "mother", "father", "parent", "cousin", "uncle",
    "aunt", "nephew", "niece", "grandson", "granddaughter", "grandfather", "grandmother", "grandchild",
    "family", "child", "fiancé", "fiancée", "relative", "stepfather", "stepmother", "in-law", "mum", "dad",
}  # fmt: skip
# Verbs that report what the speaker knew or said rather than what happened to them.
REPORTING = {
    "think", "know", "say", "tell", "believe", "remember", "hear", "see", "watch", "read", "learn", "feel",
    "want", "hope", "mean", "understand", "like", "love", "hate", "agree", "disagree", "speak", "talk", "ask",
    "answer", "guess", "suppose", "expect", "forget", "wonder", "imagine", "notice", "realise", "realize",
    "explain", "argue", "discuss", "describe", "mention", "admit", "doubt", "fear", "worry", "prefer", "wish",
    "miss", "enjoy", "regret", "appreciate", "care",
}  # fmt: skip
# Everyday verbs that say nothing about the person's life on their own ("I have a question", "I give you
# an example").
LIGHT_VERBS = {
    "be", "have", "do", "need", "get", "go", "come", "give", "take", "make", "let", "try", "use", "call",
    "put", "keep", "find", "show", "bring", "leave", "look", "pay", "mind", "owe", "thank", "apologise",
    "apologize", "promise", "repeat", "recall", "trust", "respect", "accept", "support", "blame", "count",
}  # fmt: skip
# Verbs of holding a post: a clause with one of them (or "as a ...") names a position.
POST_VERBS = {
    "work", "serve", "teach", "lead", "head", "command", "direct", "manage", "edit", "run", "chair", "attach",
    "appoint", "assign", "transfer", "hire", "employ", "recruit", "elect", "promote", "supervise",
}  # fmt: skip
# Events that single a person out even with no place or date: persecution and a life's turning points.
EVENTS = {
    "arrest", "detain", "imprison", "jail", "interrogate", "torture", "beat", "kill", "die", "disappear",
    "deport", "expel", "exile", "flee", "escape", "dismiss", "sack", "fire", "sentence", "threaten", "summon",
    "release", "resign", "retire", "emigrate", "defect", "kidnap", "abduct", "wound", "injure", "convict",
}  # fmt: skip
# ... and in the passive only ("I was called for questioning", "my mother was questioned").
PASSIVE_EVENTS = {"call", "question", "search", "warn", "tell", "follow", "watch", "take", "send", "order"}
# "as a result", "as a child": not a post.
NOT_ROLES = {
    "result", "example", "rule", "whole", "consequence", "part", "matter", "way", "condition", "sign", "gift",
    "punishment", "reward", "child", "boy", "girl", "kid", "teenager", "youth", "baby", "precaution", "favour",
    "favor", "joke", "replacement", "alternative", "friend", "guest", "well",
}  # fmt: skip
OBJECT_POSTS = {"lead", "head", "command", "direct", "manage", "edit", "run", "chair", "supervise"}
UNIT_PREPOSITIONS = {"of", "at", "in", "for", "with"}
MODALS = {"will", "would", "could", "might", "may", "should", "must", "shall", "ca", "can"}
COUNT_LABELS = {"CARDINAL", "QUANTITY", "DURATION"}
PLACE_LABELS = {"GPE", "LOC", "FAC", "ORG"}
PLACE_PREPOSITIONS = {"in", "at", "near", "from", "to", "into", "outside", "across", "through", "via", "towards"}
CLAUSE_DEPS = {"ROOT", "ccomp", "advcl", "relcl", "conj", "parataxis", "csubj", "acl", "pcomp"}
MONTH_OR_SEASON = re.compile(
    r"(?i)\b(?:january|february|march|april|may|june|july|august|september|october|november|december|"
    r"spring|summer|autumn|fall|winter)\b"
)
YEARLIKE = re.compile(
    r"(?i)\b(?:1[89]\d\d|20\d\d|\d0s)\b|['\u2019]\d\d\b|\bnineteen[- ](?:sixty|seventy|eighty|ninety)|\btwo thousand\b|"
    r"\b(?:sixty|seventy|eighty|ninety)-(?:one|two|three|four|five|six|seven|eight|nine)\b(?!\s+(?:years?|days?|months?))|"
    r"\b(?:sixties|seventies|eighties|nineties)\b"
)
PUBLIC_EVENT = re.compile(
    r"(?i)\b(?:elections?|agreement|accord|talks|negotiations|ceasefire|treaty|referendum|banned|ban|"
    r"constitution|coup|offensive|invasion|uprising|siege|troops)\b"
)


def life_story_flags(doc: Doc, interviewer_labels: Iterable[str] = DEFAULT_INTERVIEWER_LABELS) -> Iterator[Clause]:
    """The flagged clauses of a parsed doc (character offsets into its text), one per clause head, and the
    roles after "as".

    "you" is the respondent only in the interviewer's turns; in an answer it is anyone ("you need")."""
    if not doc.has_annotation("DEP"):
        return
    asks = {label.casefold() for label in interviewer_labels}
    for verb in doc:
        if not _is_clause_head(verb) or verb.lemma_.casefold() in REPORTING or _hypothetical(verb):
            continue
        person = _person(verb)
        if person is None and not _fragment_birth(verb):
            continue
        if person is not None and person.lower_ == "you" and not _in_question(doc.text, verb.idx, asks):
            continue
        tokens = _clause_tokens(verb)
        singular = person is None or person.lower_ in SINGULAR or person.lower_ not in FIRST_PERSON
        if _common(tokens):
            continue
        details = _details(tokens, numbers=singular)
        if details:
            text = " ".join(t.text for t in tokens)
            if PUBLIC_EVENT.search(text) and not (person is not None and person.lower_ in SINGULAR):
                continue
            start, end = _extent(verb, person, details)
            if _names_post(verb, tokens):
                yield Clause(start, end, POSITION, "post-clause", "[POSITION]", tuple(details))
            else:
                proposal = generalised(doc.text, start, end, details)
                yield Clause(start, end, LIFE_STORY, "life-clause", proposal, tuple(details))
        elif person is not None and singular and tokens:
            # no place or date, but the clause itself singles the person out: a post held, a persecution
            start, end = _extent(verb, person, [])
            end = max(end, tokens[-1].idx + len(tokens[-1].text))
            if _holds_post(verb) or _post_noun(verb):
                yield Clause(start, end, POSITION, "post-verb", "[POSITION]")
            elif _event(verb):
                yield Clause(start, end, LIFE_STORY, "life-event", "[LIFE EVENT]")
            elif _habit(verb, person):
                yield Clause(start, end, LIFE_STORY, "life-habit", "[LIFE EVENT]")
    yield from _as_posts(doc, asks)


def _holds_post(verb: Token) -> bool:
    """'I lead a small group', 'I worked at the clinic', 'they attached me to the working group': a post
    verb with its complement (an object for the verbs that also mean coping: 'how did you manage')."""
    lemma = verb.lemma_.casefold()
    if lemma not in POST_VERBS:
        return False
    needed = ("dobj",) if lemma in OBJECT_POSTS else ("dobj", "prep")
    return any(c.dep_ in needed for c in verb.children)


def _habit(verb: Token, person: Token) -> bool:
    """'I drive a delivery van', 'I work in a warehouse', 'I grow tomatoes': what the respondent does day
    by day (present simple, "I", an object or a place phrase), which the neighbours know."""
    if person.lower_ != "i" or verb.tag_ != "VBP" or verb.lemma_.casefold() in LIGHT_VERBS:
        return False
    if any(c.dep_ == "neg" for c in verb.children):
        return False
    return any(c.dep_ in ("dobj", "prep") and c.pos_ in ("NOUN", "PROPN", "ADP") for c in verb.children)


def _post_noun(verb: Token) -> bool:
    """'I was deputy head of the water department', 'my sister became a nurse at the clinic': a role
    with the unit it belongs to (a bare 'I am an old man' is not a post)."""
    if verb.lemma_.casefold() not in ("be", "become"):
        return False
    roles = [c for c in verb.children if c.dep_ == "attr" and c.pos_ == "NOUN"]
    return any(c.dep_ == "prep" and c.lower_ in UNIT_PREPOSITIONS for role in roles for c in role.children)


def _event(verb: Token) -> bool:
    """Persecution and the turning points of a life ('I was detained', 'my mother was called in twice')."""
    lemma = verb.lemma_.casefold()
    passive = any(c.dep_ in ("nsubjpass", "auxpass") for c in verb.children)
    return lemma in EVENTS or (passive and lemma in PASSIVE_EVENTS)


def _as_posts(doc: Doc, asks: set[str]) -> Iterator[Clause]:
    """'as an expert', 'took me as an assistant', 'your work as a journalist': a role the person held."""
    for token in doc:
        if token.lower_ != "as" or token.dep_ != "prep":
            continue
        role = next((c for c in token.children if c.dep_ == "pobj" and c.pos_ == "NOUN"), None)
        if role is None or role.lemma_.casefold() in NOT_ROLES or any(c.dep_ == "nummod" for c in role.children):
            continue
        head = token.head
        if head.pos_ in ("VERB", "AUX"):
            person = _person(head)
            if person is None or _hypothetical(head):
                continue
        elif head.pos_ == "NOUN":
            person = next((c for c in head.children if c.dep_ == "poss" and c.lower_ in POSSESSIVE), None)
            if person is None:
                continue
        else:
            continue
        if person.lower_ in ("you", "your") and not _in_question(doc.text, token.idx, asks):
            continue
        last = max(role.subtree, key=lambda t: t.i)
        yield Clause(token.idx, last.idx + len(last.text), POSITION, "post-as", "[POSITION]")


def _extent(verb: Token, person: Token | None, details: list[Detail]) -> tuple[int, int]:
    """From the person (a relative with their possessive) or the verb to the last detail."""
    doc = verb.doc
    edges = [verb.idx, verb.idx + len(verb.text)]
    if person is not None:
        subtree = list(person.subtree) if person.dep_ in ("nsubj", "nsubjpass") else [person]
        if all(t.sent == verb.sent for t in subtree):
            edges += [subtree[0].idx, subtree[-1].idx + len(subtree[-1].text)]
    for d_start, d_end, _label in details:
        edges += [d_start, d_end]
        span = doc.char_span(d_start, d_end, alignment_mode="expand")
        if span is not None and span.root.head.dep_ == "prep" and span.root.head.i < span.start:
            edges.append(span.root.head.idx)  # "in Kunduz", not "Kunduz"
    text = doc.text
    line_start = text.rfind("\n", 0, verb.idx) + 1
    line_end = text.find("\n", verb.idx)
    line_end = len(text) if line_end < 0 else line_end
    return max(min(edges), line_start), min(max(edges), line_end)


def _in_question(text: str, offset: int, asks: set[str]) -> bool:
    line_start = text.rfind("\n", 0, offset) + 1
    label = LABEL_RE.match(text, line_start)
    return label is not None and label.group("label").casefold() in asks


def _is_clause_head(token: Token) -> bool:
    if token.pos_ not in ("VERB", "AUX") or token.dep_ not in CLAUSE_DEPS:
        return False
    return not (token.dep_ == "conj" and token.head.pos_ not in ("VERB", "AUX"))


def _hypothetical(verb: Token) -> bool:
    """'I would go', 'if you were a man from ...': a clause about what might be."""
    return any(
        (child.dep_ == "aux" and child.lower_ in MODALS) or (child.dep_ == "mark" and child.lower_ in ("if", "unless"))
        for child in verb.children
    )


def _subject(verb: Token) -> Token | None:
    for child in verb.children:
        if child.dep_ in ("nsubj", "nsubjpass"):
            return child
    # "I went to Kabul and worked at the hospital": a conjoined verb shares its head's subject
    if verb.dep_ == "conj" and verb.head.pos_ in ("VERB", "AUX"):
        return _subject(verb.head)
    return None


def _person(verb: Token) -> Token | None:
    """The respondent, "you" or a relative as the clause's subject, or the respondent as its object."""
    subject = _subject(verb)
    if subject is not None and _is_person(subject):
        return subject
    for child in verb.children:
        if child.dep_ in ("dobj", "dative") and child.lower_ in ("me", "us"):
            return child
    return None


def _is_person(token: Token) -> bool:
    if token.lower_ in FIRST_PERSON:
        return True
    # "a few of us", "two of my brothers"
    for child in token.children:
        if child.dep_ == "prep" and child.lower_ == "of" and any(_us_or_kin(g) for g in child.children):
            return True
    return _is_relative(token)


def _us_or_kin(token: Token) -> bool:
    return token.lower_ in ("us", "we") or _is_relative(token)


def _is_relative(token: Token) -> bool:
    """'my cousin', "my mother's sister", "our uncle's family"."""
    if token.lemma_.casefold() not in KIN_LEMMAS and token.lower_ not in KIN_LEMMAS:
        return False
    return any(c.dep_ == "poss" and (c.lower_ in POSSESSIVE or _is_relative(c)) for c in token.children)


def _fragment_birth(verb: Token) -> bool:
    """'Born in Karategin.' said as an answer, with no subject."""
    return verb.text == "Born" and _subject(verb) is None


def _clause_tokens(verb: Token) -> list[Token]:
    """The verb's own clause in its sentence: its subtree without clauses that have their own subject
    and without conjoined verbs (each is a clause of its own)."""
    tokens: list[Token] = []
    stack = [verb]
    while stack:
        token = stack.pop()
        tokens.append(token)
        for child in token.children:
            if child.dep_ == "conj" and child.pos_ in ("VERB", "AUX"):
                continue
            if child.dep_ in ("ccomp", "advcl", "relcl", "parataxis", "csubj") and _subject(child) is not None:
                continue
            stack.append(child)
    # the sentence's part on the verb's line: a parse can run a question into the answer below it
    text = verb.doc.text
    line_start = text.rfind("\n", 0, verb.idx) + 1
    line_end = text.find("\n", verb.idx)
    line_end = len(text) if line_end < 0 else line_end
    kept = [t for t in tokens if line_start <= t.idx < line_end and t.sent == verb.sent and t.dep_ != "punct"]
    return sorted(kept, key=lambda t: t.i)


def _details(tokens: list[Token], numbers: bool) -> list[Detail]:
    """Places, dated times and (when `numbers`) counts inside the clause."""
    inside = {t.i for t in tokens}
    doc = tokens[0].doc
    found: list[Detail] = []
    covered: set[int] = set()
    for ent in doc.ents:
        if not all(i in inside for i in range(ent.start, ent.end)):
            continue
        duration = ent.label_ == "DATE" and not _dated(ent) and _has_number(ent)
        count = ent.label_ in ("CARDINAL", "QUANTITY") or duration
        wanted = (
            ent.label_ in PLACE_LABELS
            or (ent.label_ in ("DATE", "TIME") and _dated(ent))
            or (numbers and count and ent[0].lower_ not in ("one", "1"))
        )
        if wanted and not _is_label(ent[0]):
            found.append((ent.start_char, ent.end_char, "DURATION" if duration else ent.label_))
            covered.update(range(ent.start, ent.end))
    for token in tokens:
        if (
            token.pos_ == "PROPN"
            and token.i not in covered
            and token.dep_ == "pobj"
            and token.head.lower_ in PLACE_PREPOSITIONS
            and token.ent_type_ not in ("NORP", "LANGUAGE")
            and not _is_label(token)
        ):
            found.append((token.idx, token.idx + len(token.text), "GPE"))
    return sorted(found)


def _is_label(token: Token) -> bool:
    """A speaker label ('R07:') is not a detail of the clause."""
    text = token.doc.text
    at_line_start = token.idx == 0 or text[token.idx - 1] == "\n"
    return at_line_start and text[token.idx + len(token.text) : token.idx + len(token.text) + 1] == ":"


def _dated(ent: Span) -> bool:
    """A calendar date: a month or season, a year ('1998', 'ninety-eight', "'98"), a decade."""
    return bool(MONTH_OR_SEASON.search(ent.text) or YEARLIKE.search(ent.text))


def _has_number(ent: Span) -> bool:
    """'almost four years', 'eleven days': a duration, which counts like a number."""
    return any(t.like_num for t in ent)


def _common(tokens: list[Token]) -> bool:
    """'like half the young men from our street': an experience shared by many."""
    return any(t.dep_ == "prep" and t.lower_ in ("like", "unlike") for t in tokens)


def _names_post(verb: Token, tokens: list[Token]) -> bool:
    if verb.lemma_.casefold() in POST_VERBS:
        return True
    return any(t.lower_ == "as" and t.dep_ == "prep" and any(c.pos_ == "NOUN" for c in t.children) for t in tokens)


def generalised(text: str, start: int, end: int, details: Iterable[Detail]) -> str:
    """The clause with its places, times and counts replaced by their kind: a proposal, not a decision."""
    pieces: list[str] = []
    cursor = start
    for d_start, d_end, label in details:
        if d_start < cursor:
            continue
        tag = "[TIME]" if label in ("DATE", "TIME", "DURATION") else "[NUMBER]" if label in COUNT_LABELS else "[PLACE]"
        pieces.append(text[cursor:d_start] + tag)
        cursor = d_end
    pieces.append(text[cursor:end])
    return "".join(pieces)
