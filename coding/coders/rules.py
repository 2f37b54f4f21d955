"""Rule-based coder: a codebook's match rules (keywords, lemmas, token patterns) run with spaCy matchers.

Pure: texts or segments in, code ids or proposals out; storing proposals is another step.

- keywords: phrases matched case-insensitively on token LOWER ("Moscow", "MOSCOW", "moscow").
- lemmas: lemma phrases matched on LEMMA, so "sold" hits "sell". Lemmas are compared in lower case on
  both sides, because the tagger sometimes reads a capitalised common noun ("Amnesty was ...") as a
  proper noun and keeps its capital. Token patterns should therefore give LEMMA values in lower case.
- patterns: spaCy Matcher token patterns, for words that only count in context ("US" but not "us").

A child code implies its parent and every ancestor. Implied parents get the same confidence as the
child (1.0): "Russia is an external actor" is a fact of the codebook, not a second guess.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Sequence

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from coding.models import RULE, Codebook, Proposal, Segment
from coding.nlp import load_pipeline, pipeline_label

Match = tuple[int, int, str]  # start, end (tokens or characters), code id


class BlankLemmaWarning(UserWarning):
    """The pipeline has no lemmatizer: lemma rules are matched as plain lower-case words."""


_warned_blank = False


def _warn_blank_once() -> None:
    global _warned_blank
    if not _warned_blank:
        _warned_blank = True
        warnings.warn(
            "the spaCy pipeline has no lemmatizer: codebook lemma rules (and LEMMA in token patterns) "
            "match only the word as written, and patterns using POS/TAG/MORPH are skipped",
            BlankLemmaWarning,
            stacklevel=4,  # point at the code that built the RuleCoder
        )


class RuleCoder:
    """Suggest codes from a codebook's match rules."""

    NAME = "rules.v1"

    def __init__(self, codebook: Codebook, pipeline: str | None = None) -> None:
        self.codebook = codebook
        self.nlp: Language = load_pipeline(pipeline, "lemma")
        self.pipeline = pipeline_label(self.nlp)
        self.has_lemmas = "lemmatizer" in self.nlp.pipe_names
        self._ancestors = {code.id: tuple(codebook.ancestors(code.id)) for code in codebook.codes}
        self._order = {code.id: i for i, code in enumerate(codebook.tree_order())}
        self._ids = {self.nlp.vocab.strings.add(code.id): code.id for code in codebook.codes}
        self._keywords = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self._lemmas = PhraseMatcher(self.nlp.vocab, attr="LEMMA")
        self._patterns = Matcher(self.nlp.vocab, validate=True)
        self._compile()

    # -- building -------------------------------------------------------------------------------

    def _compile(self) -> None:
        uses_lemmas = False
        for code in self.codebook.codes:
            rules = code.rules
            if rules.keywords:
                self._keywords.add(code.id, [self.nlp.make_doc(phrase) for phrase in rules.keywords])
            if rules.lemmas:
                uses_lemmas = True
                self._add_lemmas(code.id, rules.lemmas)
            if rules.patterns:
                uses_lemmas = uses_lemmas or any(_needs_tagger(pattern) for pattern in rules.patterns)
                self._add_patterns(code.id, rules.patterns)
        if uses_lemmas and not self.has_lemmas:
            _warn_blank_once()

    def _add_patterns(self, code_id: str, patterns: list[list[dict]]) -> None:
        if not self.has_lemmas:  # spaCy refuses LEMMA patterns on untagged docs: degrade them
            patterns = [p for p in (_without_tagger(pattern) for pattern in patterns) if p is not None]
        if patterns:
            self._patterns.add(code_id, patterns)

    def _add_lemmas(self, code_id: str, phrases: list[str]) -> None:
        if not self.has_lemmas:  # fall back to the lemma's own spelling, in lower case
            self._keywords.add(code_id, [self.nlp.make_doc(phrase) for phrase in phrases])
            return
        # Lemmatise the phrases with the same pipeline as the texts, so both sides agree.
        docs = [_lower_lemmas(doc) for doc in self.nlp.pipe(phrases)]
        self._lemmas.add(code_id, docs)

    # -- matching -------------------------------------------------------------------------------

    def _docs(self, texts: Iterable[str], batch_size: int) -> Iterator[Doc]:
        for doc in self.nlp.pipe(texts, batch_size=batch_size):
            yield _lower_lemmas(doc) if self.has_lemmas else doc

    def _direct(self, doc: Doc) -> list[Match]:
        """Token spans matched by the rules of each code (no implied parents)."""
        found: list[Match] = []
        for matcher in (self._keywords, self._lemmas, self._patterns):
            if len(matcher) == 0:  # an empty LEMMA matcher would still demand a lemmatizer
                continue
            found.extend((start, end, self._ids[key]) for key, start, end in matcher(doc))
        return found

    def _with_ancestors(self, codes: set[str]) -> set[str]:
        implied = set(codes)
        for code in codes:
            implied.update(self._ancestors.get(code, ()))
        return implied

    def match_texts(self, texts: Sequence[str], batch_size: int = 256) -> list[set[str]]:
        """Code ids matched in each text, each child with its parent and ancestors."""
        return [
            self._with_ancestors({code for _, _, code in self._direct(doc)}) for doc in self._docs(texts, batch_size)
        ]

    def match_spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start_char, end_char, code_id) of each direct match, for highlighting: text[start:end] is the hit.

        A span inside a longer span of the same code is dropped ("201st" within "201st division").
        """
        doc = next(self._docs([text], batch_size=1))
        spans = {(doc[start:end].start_char, doc[start:end].end_char, code) for start, end, code in self._direct(doc)}
        kept = [span for span in spans if not any(_inside(span, other) for other in spans)]
        return sorted(kept, key=lambda span: (span[0], span[1], self._order.get(span[2], 0)))

    def propose(self, segments: Sequence[Segment], batch_size: int = 256) -> list[Proposal]:
        """One proposal per (stored segment, matched code), codes in codebook tree order."""
        missing = [segment.index for segment in segments if segment.id is None]
        if missing:
            raise ValueError(f"segments must be stored (have an id) before autocoding; {len(missing)} have none")
        matched = self.match_texts([segment.text for segment in segments], batch_size=batch_size)
        proposals: list[Proposal] = []
        for segment, codes in zip(segments, matched, strict=True):
            assert segment.id is not None  # checked above; narrows the type
            for code in sorted(codes, key=lambda c: self._order.get(c, 0)):
                proposals.append(Proposal(segment.id, code, RULE, self.NAME, 1.0))
        return proposals


def _inside(span: Match, other: Match) -> bool:
    """True if `span` lies within a different, longer `other` span of the same code."""
    return span != other and span[2] == other[2] and other[0] <= span[0] and span[1] <= other[1]


def _lower_lemmas(doc: Doc) -> Doc:
    """Lower-case every lemma in place, so lemma matching ignores capitalisation."""
    for token in doc:
        lemma = token.lemma_
        lowered = lemma.lower()
        if lowered != lemma:
            token.lemma_ = lowered
    return doc


_TAGGER_KEYS = frozenset({"LEMMA", "POS", "TAG", "MORPH"})


def _needs_tagger(pattern: list[dict]) -> bool:
    return any(key in _TAGGER_KEYS for token in pattern for key in token)


def _without_tagger(pattern: list[dict]) -> list[dict] | None:
    """For a pipeline without lemmas: LEMMA becomes LOWER (as lemma rules do); POS-like keys drop the pattern."""
    degraded = []
    for token in pattern:
        if any(key in _TAGGER_KEYS - {"LEMMA"} for key in token):
            return None
        degraded.append({("LOWER" if key == "LEMMA" else key): value for key, value in token.items()})
    return degraded
