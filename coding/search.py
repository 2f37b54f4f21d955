"""Text search over what respondents said: words, phrases, regular expressions and lemmas, as keyword in context.

Search runs once over the whole corpus, not turn by turn: every respondent turn is cut from its document
and the turns are joined into one string, so a query is one regular-expression scan in C. Hits are mapped
back to their turn, document offsets and segment with binary searches over sorted integer keys.

Inputs are the frames a project already produces: the segments frame (SEGMENT_COLUMNS: segment_id,
document, respondent_id, turn_index, start, end, ...; respondents' segments only) and the documents' texts.
A lemma search reads a lemma index (build_lemma_index): spaCy's lemma for every token of the respondent
turns, computed once per document and kept (see LemmaCache), never per query.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .errors import UsageError
from .models import Codebook

if TYPE_CHECKING:
    from spacy.language import Language

MODES = ("text", "regex", "lemma")
HIT_COLUMNS = [
    "document",
    "respondent_id",
    "turn_index",
    "segment_id",
    "start",
    "end",
    "left",
    "match",
    "right",
]
LEMMA_COLUMNS = ["document", "start", "end", "lemma"]
# Between turns in the joined corpus: no word, space or phrase pattern crosses it.
SEPARATOR = "\x00\n\x00"
CONTEXT = 60  # characters of context on each side of a hit


@dataclass(frozen=True)
class Corpus:
    """Respondent turns joined into one text.

    turns: document, respondent_id, turn_index, start, end (document offsets), offset (where the turn
    starts in `text`), in document and offset order. segments: segment_id, document, start, end, sorted.
    """

    text: str
    turns: pd.DataFrame
    segments: pd.DataFrame
    documents: tuple[str, ...]  # sorted; a document's position is its number in the integer keys
    stride: int  # key = document number * stride + document offset
    lower: str | None = None  # text.lower() when that keeps every offset (case-blind search scans it)
    turn_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # sorted, one per turn
    segment_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # sorted, one per segment

    def turn_text(self, row: int) -> str:
        offset = int(self.turns["offset"].iat[row])
        return self.text[offset : offset + int(self.turns["end"].iat[row] - self.turns["start"].iat[row])]

    def keys(self, documents: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """Integer keys of (document, offset) pairs, ordered as the documents and offsets are."""
        number = pd.Index(self.documents).get_indexer(documents).astype(np.int64)
        return number * self.stride + offsets.astype(np.int64)


def build_corpus(segments: pd.DataFrame, texts: Mapping[str, str]) -> Corpus:
    """Respondent turns (as spanned by their segments) of every document in `segments`, joined."""
    frame = segments[["segment_id", "document", "respondent_id", "turn_index", "start", "end"]]
    frame = frame[frame["document"].isin(list(texts))]
    turns = (
        frame.groupby(["document", "turn_index"], sort=True)
        .agg(respondent_id=("respondent_id", "first"), start=("start", "min"), end=("end", "max"))
        .reset_index()
        .sort_values(["document", "start"], kind="stable")
        .reset_index(drop=True)
    )
    spans = zip(turns["document"], turns["start"], turns["end"], strict=True)
    pieces = [texts[d][int(s) : int(e)] for d, s, e in spans]
    lengths = np.fromiter((len(p) for p in pieces), dtype=np.int64, count=len(pieces))
    offsets = np.concatenate([[0], np.cumsum(lengths + len(SEPARATOR))[:-1]]) if len(pieces) else lengths
    turns = turns[["document", "respondent_id", "turn_index", "start", "end"]].assign(offset=offsets)
    documents = tuple(sorted(texts))
    stride = max((len(t) for t in texts.values()), default=0) + 1
    ordered = frame[["segment_id", "document", "start", "end"]].sort_values(["document", "start"], kind="stable")
    ordered = ordered.reset_index(drop=True)
    text = SEPARATOR.join(pieces)
    lower = text.lower()
    corpus = Corpus(text, turns, ordered, documents, stride, lower if len(lower) == len(text) else None)
    return replace(
        corpus,
        turn_keys=corpus.keys(turns["document"].to_numpy(), turns["start"].to_numpy()),
        segment_keys=corpus.keys(ordered["document"].to_numpy(), ordered["start"].to_numpy()),
    )


def search(
    corpus: Corpus,
    query: str,
    mode: str = "text",
    *,
    lemmas: pd.DataFrame | None = None,
    lemmatize: Callable[[str], list[str]] | None = None,
    respondent_ids: Iterable[str] | None = None,
    segment_ids: Iterable[int] | None = None,
    context: int = CONTEXT,
    case_sensitive: bool = False,
) -> pd.DataFrame:
    """One row per hit (HIT_COLUMNS), in document order.

    mode text: a word or a phrase matched as whole words, any spacing between them; `*` at the end of a
    word matches any ending (negotiat* finds negotiation, negotiating). regex: a Python regular expression.
    lemma: every inflection of the query's words (talk finds talks, talked), from the `lemmas` index; the
    query is lemmatised by `lemmatize` (the pipeline's lemmatiser) when given.
    respondent_ids / segment_ids: keep only hits of these respondents / inside these segments (for filters
    by attribute and by code: see respondents_where and coded_segments).
    """
    if mode not in MODES:
        raise UsageError(f"search mode must be one of {', '.join(MODES)}, not {mode!r}")
    if not query.strip():
        raise UsageError("the search query is empty")
    if mode == "lemma":
        if lemmas is None:
            raise UsageError("a lemma search needs the project's lemma index")
        words = lemmatize(query) if lemmatize is not None else query.lower().split()
        starts, ends = _lemma_matches(lemmas, words)
        rows = _rows_from_document_offsets(
            corpus, starts["document"].to_numpy(), starts["start"].to_numpy(dtype=np.int64), ends
        )
    else:
        rows = _rows_from_corpus_positions(corpus, _scan(corpus, query, mode, case_sensitive))
    hits = _with_segments_and_context(corpus, rows, context)
    if respondent_ids is not None:
        hits = hits[hits["respondent_id"].isin(list(respondent_ids))]
    if segment_ids is not None:
        hits = hits[hits["segment_id"].isin(list(segment_ids))]
    return hits.reset_index(drop=True)


def compile_query(query: str, mode: str, case_sensitive: bool = False) -> re.Pattern[str]:
    """The pattern a query scans for. In text mode the pattern leaves out the check that no letter comes
    just before the first word: a pattern that starts with its words is found by a fast literal search,
    one that starts with a look-behind is tried at every position (twenty times slower); _scan checks it."""
    flags = 0 if case_sensitive else re.IGNORECASE
    if mode == "regex":
        try:
            return re.compile(query, flags)
        except re.error as exc:
            raise UsageError(f"search: {query!r} is not a valid regular expression ({exc})") from None
    words = query.split()
    parts = [re.escape(w[:-1]) + r"\w*" if w.endswith("*") and len(w) > 1 else re.escape(w) for w in words]
    # Whole words: no letter or digit may follow (\b fails beside punctuation such as "U.N.").
    return re.compile(r"[^\S\x00]+".join(parts) + r"(?!\w)", flags)


_WORD_CHARACTER = re.compile(r"\w")


def _scan(corpus: Corpus, query: str, mode: str, case_sensitive: bool) -> np.ndarray:
    """(start, end) in the joined text of every match. Case-blind text queries scan the lowercased text
    for the lowercased words: IGNORECASE would make the regular-expression engine give up its fast
    literal search."""
    text = corpus.text
    if mode == "text" and not case_sensitive and corpus.lower is not None:
        pattern, text = compile_query(query.lower(), mode, case_sensitive=True), corpus.lower
    else:
        pattern = compile_query(query, mode, case_sensitive)
    found = [(m.start(), m.end()) for m in pattern.finditer(text) if m.end() > m.start()]
    if mode == "text":  # whole words: nothing word-like just before the match either
        found = [(s, e) for s, e in found if s == 0 or not _WORD_CHARACTER.match(text, s - 1)]
    return np.array(found, dtype=np.int64).reshape(-1, 2)


# ----- filters ------------------------------------------------------------------------------------
def respondents_where(respondents: pd.DataFrame, attributes: Mapping[str, Sequence[str]]) -> list[str]:
    """Respondent ids whose attributes take one of the given values (an empty choice keeps everyone)."""
    from .analysis import attribute_values

    keep = pd.Series(True, index=respondents["respondent_id"])
    for attribute, values in attributes.items():
        if values:
            try:
                found = attribute_values(respondents, attribute)
            except KeyError as exc:
                raise UsageError(str(exc.args[0])) from None
            keep &= found.reindex(keep.index).isin([str(v) for v in values])
    return keep[keep].index.tolist()


def coded_segments(codings: pd.DataFrame, codebook: Codebook, codes: Sequence[str]) -> set[int]:
    """Segments coded with any of `codes` or a code below one of them."""
    from .analysis import rolled_up

    known = {code.id for code in codebook.codes}
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise UsageError(f"unknown code {unknown[0]!r}")
    pairs = rolled_up(codings, codebook)
    return set(pairs.loc[pairs["code"].isin(list(codes)), "segment_id"].astype(int))


# ----- mapping hits back to documents -------------------------------------------------------------
def _rows_from_corpus_positions(corpus: Corpus, positions: np.ndarray) -> pd.DataFrame:
    """Hits as (turn row, document offsets), dropping any that cross from one turn into the next."""
    offsets = corpus.turns["offset"].to_numpy(dtype=np.int64)
    lengths = (corpus.turns["end"] - corpus.turns["start"]).to_numpy(dtype=np.int64)
    row = np.searchsorted(offsets, positions[:, 0], side="right") - 1 if len(positions) else np.zeros(0, np.int64)
    inside = (row >= 0) & (positions[:, 1] <= offsets[row] + lengths[row]) if len(row) else np.zeros(0, bool)
    row, positions = row[inside], positions[inside]
    base = corpus.turns["start"].to_numpy(dtype=np.int64)[row] - offsets[row]
    return pd.DataFrame({"row": row, "start": positions[:, 0] + base, "end": positions[:, 1] + base})


def _rows_from_document_offsets(
    corpus: Corpus, documents: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> pd.DataFrame:
    """Hits given in document offsets (lemma search), placed in their respondent turn."""
    row = np.searchsorted(corpus.turn_keys, corpus.keys(documents, starts), side="right") - 1
    known = pd.Index(corpus.documents).get_indexer(documents) >= 0
    row = np.where(known, row, -1)
    valid = row >= 0
    safe = np.where(valid, row, 0)
    same_document = corpus.turns["document"].to_numpy()[safe] == documents
    within = ends <= corpus.turns["end"].to_numpy(dtype=np.int64)[safe]
    keep = valid & same_document & within
    return pd.DataFrame({"row": row[keep], "start": starts[keep], "end": ends[keep]})


def _with_segments_and_context(corpus: Corpus, rows: pd.DataFrame, context: int) -> pd.DataFrame:
    if not len(rows):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in HIT_COLUMNS}).astype(
            {"turn_index": "int64", "segment_id": "int64", "start": "int64", "end": "int64"}
        )
    rows = rows.sort_values(["row", "start"], kind="stable")
    turns = corpus.turns.iloc[rows["row"].to_numpy()]
    documents = turns["document"].to_numpy()
    starts, ends = rows["start"].to_numpy(dtype=np.int64), rows["end"].to_numpy(dtype=np.int64)
    # The segment that holds each hit's first character.
    # A hit's key from its turn's key: the same document number, the turn's start moved to the hit's.
    hit_keys = corpus.turn_keys[rows["row"].to_numpy()] - turns["start"].to_numpy(dtype=np.int64) + starts
    found = np.searchsorted(corpus.segment_keys, hit_keys, side="right") - 1
    safe = np.clip(found, 0, None)
    holds = (found >= 0) & (corpus.segments["end"].to_numpy(dtype=np.int64)[safe] > starts)
    holds &= corpus.segments["document"].to_numpy()[safe] == documents
    segment_ids = np.where(holds, corpus.segments["segment_id"].to_numpy(dtype=np.int64)[safe], -1)
    # Context is cut from the joined text, within the hit's own turn.
    shift = turns["offset"].to_numpy(dtype=np.int64) - turns["start"].to_numpy(dtype=np.int64)
    first, last = turns["offset"].to_numpy(dtype=np.int64), shift + turns["end"].to_numpy(dtype=np.int64)
    at, to = starts + shift, ends + shift
    text = corpus.text
    left = [_flat(text[max(f, a - context) : a]) for f, a in zip(first, at, strict=True)]
    match = [_flat(text[a:t]) for a, t in zip(at, to, strict=True)]
    right = [_flat(text[t : min(e, t + context)]) for t, e in zip(to, last, strict=True)]
    return pd.DataFrame(
        {
            "document": documents,
            "respondent_id": turns["respondent_id"].to_numpy(),
            "turn_index": turns["turn_index"].to_numpy(dtype=np.int64),
            "segment_id": segment_ids,
            "start": starts,
            "end": ends,
            "left": left,
            "match": match,
            "right": right,
        }
    )


def _flat(text: str) -> str:
    """One line: keyword-in-context rows are read across, so line breaks become spaces."""
    return " ".join(text.split("\n")) if "\n" in text else text


# ----- lemmas -------------------------------------------------------------------------------------
def _lemma_matches(lemmas: pd.DataFrame, words: Sequence[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Runs of consecutive index tokens whose lemmas are `words`; the start rows and the runs' ends."""
    words = [w.lower() for w in words if w.strip()]
    if not words:
        raise UsageError("the search query has no word to look up")
    lemma = lemmas["lemma"].to_numpy()
    document = lemmas["document"].to_numpy()
    hit = lemma == words[0]
    for step, word in enumerate(words[1:], start=1):
        following = np.zeros(len(lemma), dtype=bool)
        if len(lemma) > step:
            following[:-step] = (lemma[step:] == word) & (document[step:] == document[:-step])
        hit &= following
    at = np.flatnonzero(hit)
    ends = lemmas["end"].to_numpy(dtype=np.int64)[at + len(words) - 1] if len(at) else np.zeros(0, np.int64)
    return lemmas.iloc[at][["document", "start"]], ends


def build_lemma_index(
    texts: Mapping[str, str], turns: pd.DataFrame, nlp: Language, batch_size: int = 64
) -> pd.DataFrame:
    """Every token of the given turns (document, start, end) with its lowercased lemma, in document
    offsets. Spaces are left out; punctuation stays, so a phrase never matches across it."""
    spans = turns[turns["document"].isin(list(texts))].sort_values(["document", "start"])
    documents = spans["document"].tolist()
    starts = spans["start"].astype(int).tolist()
    pieces = (texts[d][s:e] for d, s, e in zip(documents, starts, spans["end"].astype(int), strict=True))
    out_doc: list[str] = []
    out_start: list[int] = []
    out_end: list[int] = []
    out_lemma: list[str] = []
    for document, start, doc in zip(documents, starts, nlp.pipe(pieces, batch_size=batch_size), strict=True):
        for token in doc:
            if token.is_space:
                continue
            out_doc.append(document)
            out_start.append(start + token.idx)
            out_end.append(start + token.idx + len(token.text))
            out_lemma.append((token.lemma_ or token.text).lower())
    return pd.DataFrame(
        {
            "document": pd.Series(out_doc, dtype=object),
            "start": np.array(out_start, dtype=np.int64),
            "end": np.array(out_end, dtype=np.int64),
            "lemma": pd.Series(out_lemma, dtype=object),
        }
    )


def query_lemmatizer(nlp: Language) -> Callable[[str], list[str]]:
    """Lemmatise a query with the same pipeline as the index (a query word alone has little context, but
    nouns and verbs in their common forms come out as the index has them)."""

    def lemmatize(query: str) -> list[str]:
        return [(t.lemma_ or t.text).lower() for t in nlp(query) if not t.is_space]

    return lemmatize


def fingerprint(text: str, pipeline: str) -> str:
    """What a document's lemmas depend on: its text and the pipeline (name and version)."""
    return hashlib.sha256(f"{pipeline}\n{text}".encode()).hexdigest()[:32]


class LemmaCache:
    """The lemma index kept in one file (an .npz of plain arrays), each document keyed by its fingerprint.

    update() computes lemmas only for documents not yet in the file (new or changed texts, another
    pipeline) and drops those no longer asked for, so the spaCy pass runs once per document. A project
    keeps it beside its database; the lead may move it into a table without changing the frame.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def load(self) -> tuple[pd.DataFrame, dict[str, str]]:
        if not self.path.exists():
            return _empty_lemmas(), {}
        with np.load(self.path, allow_pickle=False) as saved:
            names, keys = saved["names"].tolist(), saved["keys"].tolist()
            vocabulary = saved["vocabulary"]
            frame = pd.DataFrame(
                {
                    "document": pd.Series(np.array(names, dtype=object)[saved["document"]], dtype=object),
                    "start": saved["start"].astype(np.int64),
                    "end": saved["end"].astype(np.int64),
                    "lemma": pd.Series(vocabulary.astype(object)[saved["lemma"]], dtype=object),
                }
            )
        return frame, dict(zip(names, keys, strict=True))

    def update(
        self, texts: Mapping[str, str], turns: pd.DataFrame, nlp: Language, pipeline: str
    ) -> tuple[pd.DataFrame, int]:
        """The index for exactly the documents in `texts`; returns it and how many documents were lemmatised."""
        frame, keys = self.load()
        wanted = {name: fingerprint(text, pipeline) for name, text in texts.items()}
        fresh = [name for name, key in wanted.items() if keys.get(name) != key]
        kept = frame[frame["document"].isin([n for n in wanted if n not in fresh])]
        if not fresh and len(keys) == len(wanted):
            return kept.reset_index(drop=True), 0
        added = build_lemma_index({n: texts[n] for n in fresh}, turns, nlp) if fresh else _empty_lemmas()
        merged = pd.concat([kept, added], ignore_index=True).sort_values(["document", "start"], kind="stable")
        merged = merged.reset_index(drop=True)
        self._save(merged, wanted)
        return merged, len(fresh)

    def _save(self, frame: pd.DataFrame, keys: Mapping[str, str]) -> None:
        names = sorted(keys)
        lemma_codes, vocabulary = pd.factorize(frame["lemma"])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp.npz")
        np.savez_compressed(
            temporary,
            names=np.array(names, dtype=str),
            keys=np.array([keys[n] for n in names], dtype=str),
            document=pd.Index(names).get_indexer(frame["document"]).astype(np.int32),
            start=frame["start"].to_numpy(dtype=np.int64),
            end=frame["end"].to_numpy(dtype=np.int64),
            lemma=lemma_codes.astype(np.int32),
            vocabulary=np.array(list(vocabulary), dtype=str),
        )
        temporary.replace(self.path)


def _empty_lemmas() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "document": pd.Series(dtype=object),
            "start": pd.Series(dtype=np.int64),
            "end": pd.Series(dtype=np.int64),
            "lemma": pd.Series(dtype=object),
        }
    )
