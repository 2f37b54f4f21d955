"""Find known private names everywhere: the roster, the key of an earlier run, and every name a
detector found in any file, with the first names and surnames of multi-word names.

Matching uses spaCy's PhraseMatcher on the lower-case form, then checks each match with care:
- a name a detector found is replaced elsewhere only with the same casing ('Said' never removes 'said');
  in a line written all in lower case only where the word is no dictionary word;
- a single word is replaced only in a name-like context: not where it is an ordinary word at a sentence
  start or in a heading ('Women respondents ...'), nor where the corpus uses it in lower case;
- a part of a multi-word name is searched alone only when it is a given name or surname, never a common
  word of the language ('Peace' of 'Youth Peace Circle' stays; 'Sharipova' of 'Gulnora Sharipova' goes);
- names from the roster, a key or a speaker label match in any case, except their parts that are common
  words, which need the same casing as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from spacy.matcher import PhraseMatcher

from .detectors import STOP_WORDS, WORD_RE, starts_sentence
from .keep_list import HONORIFICS, KeepList
from .model import LIKELY, ORG, PERSON, PLACE, SURE, Mention
from .words import WordSense, title_case_line, zipf

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# Sources of names, strongest first: the strongest wins when two give the same variant.
ROSTER = "roster"
KEY = "key"
LABEL = "speaker-label"
FOUND = "propagated"
SOURCE_RANK = {ROSTER: 0, KEY: 1, LABEL: 2, FOUND: 3}


@dataclass
class Variant:
    kind: str
    source: str
    anycase: bool
    whole: bool  # the full name, not a part of it
    forms: frozenset[str] = frozenset()  # the spellings found, for same-casing matches
    needs_ner: bool = False  # a part that is also a common word: only where the model sees a person


@dataclass(frozen=True)
class KnownName:
    text: str
    kind: str
    source: str


class NameFinder:
    """All variants of the known private names, matched across every document."""

    def __init__(
        self, nlp: Language, names: Iterable[KnownName], keep: KeepList, lex: frozenset[str], sense: WordSense
    ) -> None:
        self.sense = sense
        self.variants: dict[str, Variant] = {}
        for name in names:
            self._add_name(name, keep, lex)
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        for text in self.variants:
            self.matcher.add(text, [nlp.make_doc(text)])

    def _add_name(self, name: KnownName, keep: KeepList, lex: frozenset[str]) -> None:
        text = " ".join(name.text.split())
        if len(text) < 2:
            return
        words = WORD_RE.findall(text)
        listed = name.source in (ROSTER, KEY, LABEL)
        self._add(text, Variant(name.kind, name.source, anycase=listed, whole=True, forms=frozenset([text])))
        if len(words) < 2 or name.kind not in (PERSON, PLACE, ORG):
            return
        for word in words:
            common = self.sense.is_common_part(word)
            if not _usable_part(word, name.kind, keep, lex, listed) or (common and name.kind != PERSON and not listed):
                continue
            anycase = listed and name.kind == PERSON and not common
            needs_ner = common and not listed
            variant = Variant(name.kind, name.source, anycase, False, frozenset([word]), needs_ner)
            self._add(word, variant)

    def _add(self, text: str, variant: Variant) -> None:
        key = text.casefold()
        old = self.variants.get(key)
        if old is None or SOURCE_RANK[variant.source] < SOURCE_RANK[old.source] or (variant.whole and not old.whole):
            if old is not None:
                variant.forms |= old.forms
            self.variants[key] = variant
        else:
            old.forms |= variant.forms

    def find(self, doc: Doc, text: str, lower_lines: list[tuple[int, int]]) -> list[Mention]:
        """Matches in a doc made from `text` (passed in: doc.text would rebuild it token by token)."""
        found: list[Mention] = []
        persons = [(ent.start_char, ent.end_char) for ent in doc.ents if ent.label_ == "PERSON"]
        for match_id, start, end in self.matcher(doc):
            span = doc[start:end]
            variant = self.variants[doc.vocab.strings[match_id]]
            begin, finish = span.start_char, span.end_char
            seen_as_person = any(s <= begin and finish <= e for s, e in persons)
            if not self._fits(variant, text, begin, finish, lower_lines, seen_as_person):
                continue
            confidence = SURE if variant.source != FOUND or variant.whole else LIKELY
            detector = variant.source if variant.whole else variant.source + "-part"
            found.append(Mention(begin, finish, text[begin:finish], variant.kind, detector, confidence))
        return found

    def _fits(
        self,
        variant: Variant,
        text: str,
        begin: int,
        finish: int,
        lower_lines: list[tuple[int, int]],
        seen_as_person: bool,
    ) -> bool:
        """Same casing (or a listed name), and a name-like context for a single word: not an ordinary
        word there, unless the model labels this very word a person ('Said said that ...')."""
        found = text[begin:finish]
        if variant.needs_ner and not seen_as_person:
            return False
        words = WORD_RE.findall(found)
        if not variant.anycase:
            if _inside(begin, lower_lines):
                if found.islower() and any(w in self.sense.lex and zipf(w) >= 3.0 for w in words):
                    return False  # a dictionary word in a lower-case line
            elif found not in variant.forms:
                return False
        if len(words) == 1 and variant.source not in (ROSTER, KEY) and found[:1].isupper():
            at_start = starts_sentence(text, begin) or title_case_line(text, begin)
            if self.sense.is_ordinary(words[0], at_start) and not (seen_as_person and variant.kind == PERSON):
                return False
        return True


def _usable_part(word: str, kind: str, keep: KeepList, lex: frozenset[str], listed: bool) -> bool:
    """A first name or surname worth finding alone: a capitalised name word, not a public name."""
    folded = word.casefold()
    if len(word) < 3 or not word[:1].isupper() or folded in HONORIFICS or folded in STOP_WORDS:
        return False
    if keep.is_public(word) or keep.is_common_word(word):
        return False
    if kind == ORG or (kind == PLACE and not listed):
        return word not in lex and folded not in lex  # only the distinctive word of 'Navbahor Weekly'
    return True


def _inside(offset: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= offset < end for start, end in spans)
