"""Is a capitalised word an ordinary word of the language or a name? Decided per corpus.

Three signals, as a reader would use them: how common the word is in English (wordfreq's Zipf scale,
data shipped in its wheel), whether the pipeline's vocabulary knows its lower-case form, and whether
the same corpus uses it in lower case in running text ("women" somewhere makes "Women" at a sentence
start an ordinary word). Names of people are never written in lower case in ordinary prose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from .detectors import STOP_WORDS, WORD_RE

# Zipf frequency (log10 per billion words) above which a word known to the vocabulary counts as an
# everyday English word even where the corpus never writes it in lower case ("Therefore", "Photo").
EVERYDAY_ZIPF = 4.0
# Below this a word is too rare in English to count as ordinary from frequency alone.
WORD_ZIPF = 3.0
# The last word of a title of a public document or event.
PUBLIC_TITLE_HEADS = frozenset(
    [
        "agreement",
        "accord",
        "accords",
        "treaty",
        "conference",
        "summit",
        "protocol",
        "protocols",
        "declaration",
        "resolution",
        "convention",
        "charter",
        "act",
        "law",
        "process",
        "talks",
        "plan",
        "programme",
        "program",
        "strategy",
        "report",
        "constitution",
    ]
)
CONTRACTION = re.compile(r"(?i)\w['\u2019](?:t|s|re|ve|ll|d|m)$")


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word.casefold(), "en"))


def is_contraction(word: str) -> bool:
    """ "Didn't", "It's", "We're": never a name."""
    return bool(CONTRACTION.search(word))


class WordSense:
    """Lower-case usage of one corpus, with the vocabulary, to tell ordinary words from names."""

    def __init__(self, lex: frozenset[str], texts: Iterable[tuple[str, list[tuple[int, int]]]] = ()) -> None:
        self.lex = lex
        self.lowercase: set[str] = set()
        for text, lower_lines in texts:
            self.add_text(text, lower_lines)

    def add_text(self, text: str, lower_lines: list[tuple[int, int]]) -> None:
        """Record the lower-case words of running text (lines written all in lower case do not count)."""
        cursor = 0
        for start, end in [*lower_lines, (len(text), len(text))]:
            self.lowercase.update(w for w in WORD_RE.findall(text, cursor, start) if w[:1].islower())
            cursor = end

    def seen_lowercase(self, word: str) -> bool:
        return word.casefold() in self.lowercase

    def known(self, word: str) -> bool:
        return word.casefold() in self.lex

    def is_ordinary(self, word: str, at_start: bool) -> bool:
        """An ordinary word, not a name: used in lower case in this corpus, or an everyday English word
        at a sentence start or in a title. Contractions and stop words always are."""
        folded = word.casefold()
        if is_contraction(word) or folded in STOP_WORDS:
            return True
        frequency = zipf(word)
        if self.seen_lowercase(word) and (frequency >= WORD_ZIPF - 1 or self.known(word)):
            return True
        if not at_start:
            return False
        return (self.known(word) and frequency >= EVERYDAY_ZIPF) or self.is_compound(word)

    def is_compound(self, word: str) -> bool:
        """'Peacebuilding', 'Statebuilding': two everyday words run together, an English coinage."""
        folded = word.casefold()
        if len(folded) < 8 or "-" in folded:
            return False
        for cut in range(4, len(folded) - 3):
            head, tail = folded[:cut], folded[cut:]
            if zipf(head) >= EVERYDAY_ZIPF and zipf(tail) >= EVERYDAY_ZIPF and head in self.lex and tail in self.lex:
                return True
        return False

    def is_public_title(self, words: list[str]) -> bool:
        """'Comprehensive Peace Agreement', 'Peace Conference': everyday words ending in a word for a
        public document or event. A private group ('Youth Peace Circle') ends otherwise and stays a name."""
        if words[-1].casefold() not in PUBLIC_TITLE_HEADS:
            return False
        return all(w.casefold() in STOP_WORDS or (self.known(w) and zipf(w) >= WORD_ZIPF + 0.5) for w in words)

    def is_common_part(self, word: str) -> bool:
        """A part of a multi-word name that must not be searched alone: a common word of the language.

        Given names and surnames of the region are rare in English ('Karim' 3.2, 'Sharipova' 0); words
        such as 'Peace', 'Youth' or 'Women' are frequent and used in lower case."""
        if self.seen_lowercase(word) or is_contraction(word):
            return True
        return self.known(word) and zipf(word) >= EVERYDAY_ZIPF


def title_case_line(text: str, offset: int) -> bool:
    """Whether the line holding offset is a heading: most of its longer words are capitalised."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    words = [w for w in WORD_RE.findall(text[start : end if end >= 0 else len(text)]) if len(w) > 3]
    return len(words) >= 2 and sum(w[:1].isupper() for w in words) >= 0.7 * len(words)
