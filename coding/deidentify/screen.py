"""What is left in place on purpose, and why: people named with a public office, the researcher's keep
list, public multi-word names, ordinary words, contractions and office titles. Every span a detector
proposed and this screen held back is recorded with its rule, for the audit and the review file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from .detectors import WORD_RE, starts_sentence
from .keep_list import KeepList, normalise
from .model import ORG, PERSON, PLACE, Kept, Mention, RosterEntry
from .pseudonyms import name_key
from .public import PublicMention, is_office_title, public_office_mentions
from .words import WordSense, is_contraction, title_case_line

if TYPE_CHECKING:
    from spacy.tokens import Doc


class HasBody(Protocol):
    body: str


# Detectors whose single-word finds are dropped when the word is an ordinary word in context; a name
# after an honorific or a kinship word ("my brother Hope") is a name whatever the word.
CONTEXT_FREE = (
    "ner",
    "unknown-word",
    "cue-greeting",
    "cue-self-name",
    "cue-called",
    "cue-apposition",
    "cue-employer",
    "cue-residence",
    "cue-title",
)


class Screen:
    """The keep decisions of one run, sharing the keep list and the corpus's word sense."""

    def __init__(self, keep: KeepList, sense: WordSense, roster: Sequence[RosterEntry]) -> None:
        self.keep = keep
        self.sense = sense
        self.roster = list(roster)

    def public_office(self, sources: Sequence[HasBody]) -> list[list[PublicMention]]:
        """People named with a public office are public for the whole corpus (the roster still wins)."""
        private = {name_key(entry.name) for entry in self.roster}
        names: set[str] = set()
        found: list[list[PublicMention]] = []
        for source in sources:
            mentions = [
                p
                for p in public_office_mentions(source.body)
                if name_key(p.text) not in private
                and not all(self.sense.is_ordinary(word, False) for word in p.text.split())
            ]
            found.append(mentions)
            for mention in mentions:
                names.add(mention.text)
                surname = mention.text.split()[-1]
                if " " in mention.text and name_key(surname) not in private and not self.sense.is_common_part(surname):
                    names.add(surname)
        self.keep.add(names)
        return found

    def _public_entities(self, body: str, doc: Doc) -> list[tuple[int, int]]:
        """The model's multi-word entities that are public as a whole ('Moro Islamic Liberation Front'):
        a detector's find inside one ('Moro') is part of a public name."""
        spans = []
        for ent in doc.ents:
            text = body[ent.start_char : ent.end_char]
            if " " in text.strip() and self.keep.is_public(text):
                spans.append((ent.start_char, ent.end_char))
        return spans

    def screen(self, file: str, body: str, doc: Doc, mentions: list[Mention], kept: list[Kept]) -> list[Mention]:
        """Drop what is not a name in context: contractions, office titles, ordinary words at a sentence
        start or in a heading; each dropped span is recorded with the rule that kept it."""
        screened: list[Mention] = []
        offices = [(k.start, k.end) for k in kept if k.rule == "public-office"]
        entities = self._public_entities(body, doc)
        for mention in mentions:
            rule = self._kept_by(mention, offices, entities) or self._not_a_name(mention, body)
            if rule is None:
                screened.append(mention)
            else:
                kept.append(Kept(file, mention.start, mention.end, mention.text, rule))
        return screened

    def _kept_by(self, mention: Mention, offices: list[tuple[int, int]], entities: list[tuple[int, int]]) -> str | None:
        """The researcher's keep-list wins over every detector but the roster; a find inside the name of
        a person with a public office, or inside a public multi-word name, is part of that name."""
        if normalise(mention.text) in self.keep.extra and mention.detector not in ("roster", "speaker-label"):
            return "keep-file"
        if any(s <= mention.start and mention.end <= e for s, e in offices):
            return "public-office"
        if any(s <= mention.start and mention.end <= e for s, e in entities):
            return self.keep.rule(mention.text) if self.keep.is_public(mention.text) else "inside-public-name"
        return None

    def _not_a_name(self, mention: Mention, body: str) -> str | None:
        if mention.kind not in (PERSON, PLACE, ORG) or not mention.detector.startswith(CONTEXT_FREE):
            return None
        words = WORD_RE.findall(mention.text)
        if not words:
            return None
        if is_contraction(words[0]):
            return "contraction"
        if is_office_title(mention.text):
            return "office-title"
        if len(words) == 1:
            at_start = starts_sentence(body, mention.start) or title_case_line(body, mention.start)
            if self.sense.is_ordinary(words[0], at_start):
                return "ordinary-word"
        elif self.sense.is_public_title(words):
            return "public-title"
        return None

    def kept(self, file: str, body: str, doc: Doc, chosen: list[Mention], screened: list[Kept]) -> list[Kept]:
        """Every name-like span left in place, with its rule: screened words, public-office names, and
        the model's entities that a keep rule held back (listed once per span)."""
        taken = [(m.start, m.end) for m in chosen]
        kept: dict[tuple[int, int], Kept] = {}
        for item in sorted(screened, key=lambda k: k.start - k.end):  # longest first
            if any(item.start < end and start < item.end for start, end in taken):
                continue
            if not any(k.start <= item.start and item.end <= k.end for k in kept.values()):
                kept.setdefault((item.start, item.end), item)
        for ent in doc.ents:
            if ent.label_ not in ("PERSON", "GPE", "LOC", "ORG", "FAC", "NORP"):
                continue
            start, end = ent.start_char, ent.end_char
            text = body[start:end]
            if any(start < stop and begin < end for begin, stop in taken) or not text[:1].isupper():
                continue
            if any(k.start <= start and end <= k.end for k in kept.values()) or not self.keep.is_public(text):
                continue
            kept[(start, end)] = Kept(file, start, end, text, self.keep.rule(text))
        return sorted(kept.values(), key=lambda k: k.start)
