"""Run every detector over a corpus, propagate names across it, choose spans and render the output."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from ..transcripts import GENERIC_RESPONDENT_LABELS, LABEL_RE
from .audit import residuals
from .detectors import (
    STOP_WORDS,
    WORD_RE,
    cue_mentions,
    lexicon,
    ner_mentions,
    org_name_mentions,
    unknown_word_mentions,
)
from .file_names import deidentified_name, file_name_names, unique_names
from .keep_list import HONORIFICS, KeepList, normalise
from .life_story import Clause, life_story_flags
from .model import CONTACT, ORG, PERSON, PLACE, SURE, FileReport, Kept, Mention, Replacement, RosterEntry
from .propagate import FOUND, KEY, LABEL, ROSTER, KnownName, NameFinder
from .pseudonyms import Pseudonyms, name_key
from .public import PublicMention
from .quasi import find_quasi
from .review import Rewrite
from .rewrite import Substitute, front_matter_parses, rewrite_body, rewrite_front_matter
from .screen import Screen
from .structured import find_structured
from .words import WordSense

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# Transcripts per nlp.pipe batch: a batch's Docs and model activations are held together (about 20 MB
# per transcript of 7 kB), so spaCy's default batch (hundreds) made memory grow with the number of files.
PIPE_BATCH = 4
# Overlapping mentions merge into one span; its kind comes from the strongest detector.
STRENGTH = {
    "email": 0,
    "url": 0,
    "address": 0,
    "roster": 1,
    "key": 1,
    "speaker-label": 1,
    "numbered-org": 2,
    "phonenumbers": 2,
    "phone-pattern": 3,
    "id-number": 3,
    "private-date": 3,
    "numbered": 4,
}
ROLE_WORDS = frozenset(
    [
        "interviewer",
        "interviewee",
        "respondent",
        "moderator",
        "facilitator",
        "translator",
        "interpreter",
        "researcher",
        "note-taker",
        "notetaker",
        "observer",
        "assistant",
        "speaker",
        "participant",
        "voice",
        "both",
        "all",
        "unknown",
        "other",
        "man",
        "woman",
        "child",
        "unidentified",
        "inaudible",
        "crosstalk",
        "group",
    ]
)
ROLE_ID = re.compile(r"^(?:[A-Za-z]{0,4}\d+[A-Za-z]?|\[[^\]]+\])$")
# Front matter keys whose values are a person's name or another identifier, by kind.
NAME_KEYS = {
    "name": PERSON,
    "full_name": PERSON,
    "respondent_name": PERSON,
    "real_name": PERSON,
    "interviewee": PERSON,
    "interviewee_name": PERSON,
    "participant": PERSON,
    "speakers": PERSON,
    "speaker": PERSON,
    "village": PLACE,
    "hometown": PLACE,
    "birthplace": PLACE,
    "home": PLACE,
    "employer": ORG,
    "organisation": ORG,
    "organization": ORG,
    "phone": CONTACT,
    "email": CONTACT,
    "address": CONTACT,
}


@dataclass
class Source:
    """One input transcript, split as the contract says."""

    path: Path
    relative: PurePath  # the path inside IN (what OUT's file name is made from)
    front: str  # the front matter block with its fences and trailing newline, or ""
    body: str
    attributes: dict[str, str]
    respondent_id: str
    labels: list[tuple[int, int, str]] = field(default_factory=list)
    output: Path = field(default_factory=Path)  # set when the output names are chosen

    def __post_init__(self) -> None:
        self.labels = [(m.start("label"), m.end("label"), m.group("label")) for m in LABEL_RE.finditer(self.body)]


@dataclass
class Corpus:
    """Per-file mentions while the corpus is processed."""

    sources: list[Source]
    # the model's entities per file as (first token, end token, label): a Doc holds far more memory than
    # its text (about 10 MB for a 7 kB transcript), so none is kept; a token-only copy is remade when needed
    ents: list[list[tuple[int, int, str]]] = field(default_factory=list)
    lower: list[list[tuple[int, int]]] = field(default_factory=list)
    found: list[list[Mention]] = field(default_factory=list)
    kept: list[list[Kept]] = field(default_factory=list)
    public: list[list[PublicMention]] = field(default_factory=list)
    clauses: list[list[Clause]] = field(default_factory=list)  # life-story clauses (empty without a parser)


class Deidentifier:
    def __init__(
        self,
        nlp: Language,
        keep: KeepList,
        roster: Sequence[RosterEntry],
        pseudonyms: Pseudonyms,
        interviewer_labels: Sequence[str],
        parser: Language | None = None,
    ) -> None:
        self.nlp = nlp
        # the same model with its parser too: the main pass reads life-story clauses from its parse
        self.parser = parser
        self.keep = keep
        self.lex = lexicon(nlp)
        self.roster = list(roster)
        self.pseudonyms = pseudonyms
        self.interviewer_labels = list(interviewer_labels)
        self.roles = {label.casefold() for label in (*interviewer_labels, *GENERIC_RESPONDENT_LABELS)}
        self.sense = WordSense(self.lex)
        self.screen = Screen(keep, self.sense, self.roster)
        self.rewrites: dict[str, list[Rewrite]] = {}  # file name -> generalisations decided in a review

    # -- detection -------------------------------------------------------------------------------
    def detect(self, sources: list[Source], progress: Callable[[int, int], None] | None = None) -> Corpus:
        corpus = Corpus(sources)
        total = len(sources)
        corpus.lower = [lower_case_lines(source.body) for source in sources]
        for source, lower in zip(sources, corpus.lower, strict=True):
            self.sense.add_text(source.body, lower)
        corpus.public = self.screen.public_office(sources)
        main = self.parser or self.nlp
        for index, doc in enumerate(main.pipe((source.body for source in sources), batch_size=PIPE_BATCH)):
            source = sources[index]
            lower = corpus.lower[index]
            kept: list[Kept] = [
                Kept(source.path.name, p.start, p.end, p.text, "public-office") for p in corpus.public[index]
            ]
            mentions = self.screen.screen(
                source.path.name, source.body, doc, self._first_pass(source, doc, lower), kept
            )
            corpus.ents.append([(ent.start, ent.end, ent.label_) for ent in doc.ents])
            corpus.clauses.append(list(life_story_flags(doc, self.interviewer_labels)))
            corpus.found.append(mentions)
            corpus.kept.append(kept)
            if progress:
                progress(index + 1, total)
        self._propagate(corpus)
        return corpus

    def _first_pass(self, source: Source, doc: Doc, lower: list[tuple[int, int]]) -> list[Mention]:
        body = source.body
        mentions = find_structured(body)
        mentions += ner_mentions(doc, body, self.keep, self.lex)
        mentions += self._recased_ner(body, lower)
        mentions += cue_mentions(body, self.keep)
        mentions += unknown_word_mentions(body, self.keep, self.lex, lower)
        mentions += org_name_mentions(body, self.keep)
        mentions = [m for m in mentions if not _overlaps_label(m, source.labels)]
        mentions += self._label_mentions(source)
        return mentions

    def _recased_ner(self, body: str, lower: list[tuple[int, int]]) -> list[Mention]:
        """NER on a case-normalised copy of lower-case lines only (the model sees no names otherwise)."""
        if not lower:
            return []
        found: list[Mention] = []
        texts = [recase(body[start:end], self.lex) for start, end in lower]
        for (start, _end), text, doc in zip(lower, texts, self.nlp.pipe(texts), strict=True):
            recased = ner_mentions(doc, text, self.keep, self.lex, detector="ner-recased", shift=start)
            cued = [replace(m, start=m.start + start, end=m.end + start) for m in cue_mentions(text, self.keep)]
            for mention in recased + cued:
                found.append(
                    Mention(
                        mention.start,
                        mention.end,
                        body[mention.start : mention.end],
                        mention.kind,
                        mention.detector,
                        0.7,
                    )
                )
        return found

    def _label_mentions(self, source: Source) -> list[Mention]:
        """A speaker label that is a person's name (not 'Interviewer', 'R07' or a pseudonym)."""
        found = []
        for start, end, label in source.labels:
            if self.is_role_label(label, source.respondent_id):
                continue
            words = label.split()
            while len(words) > 1 and words[0].casefold().rstrip(".") in {"mr", "mrs", "ms", "dr", "prof"}:
                start += len(words[0]) + 1
                words = words[1:]
            found.append(Mention(start, end, source.body[start:end], PERSON, "speaker-label", SURE))
        return found

    def is_role_label(self, label: str, respondent_id: str) -> bool:
        folded = label.casefold()
        if folded in self.roles or folded == respondent_id.casefold() or ROLE_ID.match(label):
            return True
        words = folded.split()
        return all(w in ROLE_WORDS or w in self.roles or w.isdigit() for w in words) or self.keep.is_public(label)

    def _known_names(self, corpus: Corpus) -> list[KnownName]:
        names = [KnownName(entry.name, entry.kind, ROSTER) for entry in self.roster]
        # a name the researcher keeps (--keep, or keep in a review) is no longer searched for from the key
        names += [
            KnownName(name, kind, KEY)
            for name, kind in self.pseudonyms.known_names()
            if normalise(name) not in self.keep.extra
        ]
        for source in corpus.sources:
            names += [KnownName(value, kind, LABEL) for value, kind in front_matter_names(source, self)]
        # a name in a file name ('R19_Aziza_Karimova.txt') is most often the respondent's: searched for in
        # every text like a name a detector found (same casing, name-like context)
        private = self._private_words()
        for source in corpus.sources:
            names += [
                KnownName(name, PERSON, FOUND)
                for name in file_name_names(source.relative, source.respondent_id, self.keep, self.sense, private)
            ]
        for source, mentions in zip(corpus.sources, corpus.found, strict=True):
            for mention in resolve(mentions, source.body):
                if mention.kind in (PERSON, PLACE, ORG):
                    origin = LABEL if mention.detector == "speaker-label" else FOUND
                    names.append(KnownName(mention.text, mention.kind, origin))
        return names

    def _propagate(self, corpus: Corpus) -> None:
        finder = NameFinder(self.nlp, self._known_names(corpus), self.keep, self.lex, self.sense)
        self.finder = finder
        for index, ents in enumerate(corpus.ents):
            doc = self.light_doc(corpus.sources[index].body, ents)
            labels = corpus.sources[index].labels
            extra = [
                m
                for m in finder.find(doc, corpus.sources[index].body, corpus.lower[index])
                if not _overlaps_label(m, labels)
            ]
            corpus.found[index].extend(extra)

    def light_doc(self, body: str, ents: list[tuple[int, int, str]]) -> Doc:
        """The tokens of `body` with the model's entities: what propagation and the keep rules read."""
        from spacy.tokens import Span

        doc = self.nlp.make_doc(body)
        doc.ents = [Span(doc, start, end, label=label) for start, end, label in ents]
        return doc

    # -- output ----------------------------------------------------------------------------------
    def render(self, corpus: Corpus, out_dir: Path) -> Iterator[tuple[str, FileReport]]:
        """The de-identified text of every file, one file at a time, with what was replaced and what
        remains to review; each source's output path (under `out_dir`) is its de-identified name."""
        chosen = [resolve(mentions, source.body) for mentions, source in zip(corpus.found, corpus.sources, strict=True)]
        self._plan_pseudonyms(corpus.sources, chosen)
        self._name_outputs(corpus.sources, out_dir)
        substitute = self._front_matter_substitute(chosen)
        for index, (source, mentions, kept) in enumerate(zip(corpus.sources, chosen, corpus.kept, strict=True)):
            doc = self.light_doc(source.body, corpus.ents[index])
            pairs = self._with_rewrites(source, [(m, self.pseudonyms.pseudonym(m.text, m.kind)) for m in mentions])
            body, records = rewrite_body(source.path.name, source.body, pairs)
            front, front_records = self._render_front(source, substitute)
            report = FileReport(source.path, source.output, front_records + records, body=source.body)
            protected = [(r.out_start, r.out_end) for r in records]
            report.residuals = residuals(source.path.name, body, protected, self.keep, self.lex)
            report.kept = self.screen.kept(source.path.name, source.body, doc, mentions, kept)
            report.quasi = find_quasi(source.path.name, source.body, mentions, corpus.clauses[index])
            yield front + body, report

    def _private_words(self) -> set[str]:
        """Words of the roster's and the key's names (after planning: of every name replaced)."""
        names = [name for name, _kind in self.pseudonyms.known_names()] + [entry.name for entry in self.roster]
        private = {word.casefold() for name in names for word in WORD_RE.findall(name)}
        return {word for word in private if not self.keep.is_public(word)}

    def _name_outputs(self, sources: list[Source], out_dir: Path) -> None:
        """De-identified, unique output names; a name in a file name gets the text's pseudonym for it."""
        private = self._private_words()

        def pseudonym_for(name: str) -> str:
            known = self.pseudonyms.find(name)
            return known.pseudonym if known else self.pseudonyms.pseudonym(name, PERSON)

        names = [
            deidentified_name(source.relative, source.respondent_id, pseudonym_for, self.keep, self.sense, private)
            for source in sources
        ]
        for source, name in zip(sources, unique_names(names), strict=True):
            source.output = out_dir / name

    def _with_rewrites(self, source: Source, pairs: list[tuple[Mention, str]]) -> list[tuple[Mention, str]]:
        """A generalisation from the review replaces whatever overlapped it at that place."""
        rewrites = self.rewrites.get(source.path.name, [])
        if not rewrites:
            return pairs
        kept = [(m, text) for m, text in pairs if not any(m.start < r.end and r.start < m.end for r in rewrites)]
        fixed = [
            (Mention(r.start, r.end, r.original, r.kind or "DETAIL", "review-generalise", SURE), r.text)
            for r in rewrites
        ]
        return kept + fixed

    def _plan_pseudonyms(self, sources: list[Source], chosen: list[list[Mention]]) -> None:
        """Number entities in reading order (front matter, then body); a name's kind is the majority's."""
        votes: dict[str, Counter[str]] = {}
        order: list[tuple[str, str]] = []
        for source, mentions in zip(sources, chosen, strict=True):
            listed = [(name, kind, "front-matter") for name, kind in front_matter_names(source, self)]
            for text, kind, detector in listed + [(m.text, m.kind, m.detector) for m in mentions]:
                weight = 3 if detector in ("roster", "key", "speaker-label", "front-matter") else 1
                votes.setdefault(name_key(text), Counter())[kind] += weight
                order.append((text, kind))
        ordered = [(text, votes[name_key(text)].most_common(1)[0][0]) for text, _kind in order]
        self.pseudonyms.plan(ordered)

    def _front_matter_substitute(self, chosen: list[list[Mention]]) -> Substitute:
        names: dict[str, str] = {}
        for mentions in chosen:
            for mention in mentions:
                names.setdefault(mention.text.casefold(), mention.kind)
        for name, kind in self.pseudonyms.known_names():
            names.setdefault(name.casefold(), kind)
        for entry in self.roster:
            names.setdefault(entry.name.casefold(), entry.kind)
        if not names:
            return lambda value: (value, [])
        alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        pattern = re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.I)

        def substitute(value: str) -> tuple[str, list[tuple[int, int, str, str, str]]]:
            changes: list[tuple[int, int, str, str, str]] = []

            def replace(match: re.Match[str]) -> str:
                kind = names[match.group().casefold()]
                pseudonym = self.pseudonyms.pseudonym(match.group(), kind)
                changes.append((match.start(), match.end(), match.group(), pseudonym, kind))
                return pseudonym

            return pattern.sub(replace, value), changes

        return substitute

    def _render_front(self, source: Source, substitute: Substitute) -> tuple[str, list[Replacement]]:
        if not source.front:
            return "", []
        block = source.front[:-1] if source.front.endswith("\n") else source.front
        new_block, records = rewrite_front_matter(source.path.name, block, substitute)
        if not front_matter_parses(new_block):  # never emit a front matter that qcode cannot read
            raise AssertionError(f"rewritten front matter of {source.path} does not parse")
        return new_block + ("\n" if source.front.endswith("\n") else ""), records


def front_matter_names(source: Source, engine: Deidentifier) -> list[tuple[str, str]]:
    """Values of name-like front matter keys ('name', 'speakers', 'village'), minus role labels."""
    found: list[tuple[str, str]] = []
    for key, value in source.attributes.items():
        kind = NAME_KEYS.get(key.casefold())
        if kind is None:
            continue
        for item in value.split(","):
            item = item.strip()
            if item and not engine.is_role_label(item, source.respondent_id):
                found.append((item, kind))
    return found


def _overlaps_label(mention: Mention, labels: list[tuple[int, int, str]]) -> bool:
    return any(mention.start < end and start < mention.end for start, end, _ in labels)


def resolve(mentions: list[Mention], body: str) -> list[Mention]:
    """Merge overlapping mentions into one span each (the union: safer than choosing one)."""
    ordered = sorted(mentions, key=lambda m: (m.start, -m.end))
    merged: list[list[Mention]] = []
    end = -1
    for mention in ordered:
        if merged and mention.start < end:
            merged[-1].append(mention)
            end = max(end, mention.end)
        else:
            merged.append([mention])
            end = mention.end
    result: list[Mention] = []
    for group in merged:
        best = min(group, key=lambda m: (_strength(m.detector), -m.confidence, m.start - m.end))
        start, stop = min(m.start for m in group), max(m.end for m in group)
        text = body[start:stop] if body else best.text
        confidence = max(m.confidence for m in group)
        detectors = "+".join(sorted({m.detector for m in group}, key=lambda d: d != best.detector))
        # never swallow a line break (and with it a speaker label): a name wrapped over two lines is
        # replaced line by line
        offset = start
        for piece in text.split("\n"):
            lead = len(piece) - len(piece.lstrip())
            trimmed = piece.strip()
            if trimmed and (offset == start or any(w[:1].isupper() for w in WORD_RE.findall(trimmed))):
                begin = offset + lead
                result.append(Mention(begin, begin + len(trimmed), trimmed, best.kind, detectors, confidence))
            offset += len(piece) + 1
    return result


def _strength(detector: str) -> int:
    """Whose kind wins in a merged span: listed names, shaped identifiers, cue phrases, then the model."""
    base = detector.removesuffix("-part")
    if base in STRENGTH:
        return STRENGTH[base]
    if base == "cue-village":
        return 4
    return 5 if base.startswith("cue-") else 6 if base.startswith(("ner", "propagated")) else 7


def lower_case_lines(body: str) -> list[tuple[int, int]]:
    """Spans of lines (after any speaker label) written without capitals, where NER finds no names."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for line in body.split("\n"):
        label = LABEL_RE.match(line)
        start = label.end() if label else 0
        words = WORD_RE.findall(line[start:])
        if len(words) >= 4 and sum(w[:1].isupper() for w in words) <= len(words) // 20:
            spans.append((offset + start, offset + len(line)))
        offset += len(line) + 1
    return spans


NAME_CUES = frozenset(HONORIFICS) | frozenset(
    [
        "wife",
        "husband",
        "son",
        "daughter",
        "brother",
        "sister",
        "mother",
        "father",
        "cousin",
        "friend",
        "colleague",
        "neighbour",
        "neighbor",
        "called",
        "named",
    ]
)


def recase(text: str, lex: frozenset[str]) -> str:
    """Capitalise sentence starts, 'i', words the vocabulary does not know and words after a name cue
    ('my brother karim', 'hoji karim'); the copy has the same length as the text."""
    chars = list(text)
    start_of_sentence = True
    after_cue = False
    for match in WORD_RE.finditer(text):
        word = match.group()
        unknown = word not in lex and len(word) > 2
        cued = after_cue and word not in STOP_WORDS
        after_cue = word in NAME_CUES
        if start_of_sentence or word == "i" or unknown or cued:
            first = word[0].upper()
            if len(first) == 1:
                chars[match.start()] = first
        tail = text[match.end() : match.end() + 2]
        start_of_sentence = bool(re.match(r"[.!?]", tail))
    return "".join(chars)
