"""Text features for the learned coder: TF-IDF over words and over character n-grams within words.

Character n-grams carry most of the signal on small training sets (they tie "sold", "selling" and
"sell-out" together without a lemmatiser), but computing them text by text is the slow part of
prediction. Both kinds of term stay inside a whitespace-separated word, so a text's term counts are a
sum over its words: each distinct word is analysed once, and a batch of texts is one sparse product,
counts(texts) = word_counts(texts) @ terms_per_word.

The state is plain data (dicts, lists, numpy arrays), so a saved model holds no Python objects to
rebuild and loading it runs no code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

CHUNK = 4000  # texts per batch in transform: bounds memory on 100,000-segment runs
TOKEN = re.compile(r"\w\w+")  # a word term: two or more word characters
WORD, CHAR = "word", "char"


def _tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear tf (1 + log count) times idf, each row scaled to unit length."""
    weighted = counts.astype(np.float32, copy=True)
    weighted.data = 1.0 + np.log(weighted.data)
    weighted = weighted @ sp.diags(idf.astype(np.float32))
    return normalize(weighted.tocsr(), copy=False)


def _smooth_idf(doc_freq: np.ndarray, n_docs: int) -> np.ndarray:
    return (np.log((1.0 + n_docs) / (1.0 + doc_freq)) + 1.0).astype(np.float32)


def _word_grams(word: str, low: int, high: int) -> list[str]:
    """Character n-grams of one word padded with a space on each side; a short word counts whole."""
    padded = f" {word} "
    grams: list[str] = []
    for n in range(low, high + 1):
        if len(padded) < n:
            break
        grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


def _terms(word: str, kind: str, low: int, high: int) -> list[str]:
    return _word_grams(word, low, high) if kind == CHAR else TOKEN.findall(word)


def _count_words(texts: Sequence[str], index: dict[str, int]) -> tuple[sp.csr_matrix, list[str]]:
    """Word counts per text over `index` extended by unseen words; returns the unseen words in order."""
    local = dict(index)
    unseen: list[str] = []
    indices: list[int] = []
    indptr = [0]
    for text in texts:
        for word in text.lower().split():
            column = local.get(word)
            if column is None:
                column = local[word] = len(local)
                unseen.append(word)
            indices.append(column)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    counts = sp.csr_matrix((data, indices, indptr), shape=(len(texts), len(local)))
    counts.sum_duplicates()
    return counts, unseen


def _term_rows(words: Sequence[str], vocab: dict[str, int], kind: str, low: int, high: int) -> sp.csr_matrix:
    """One row per word: counts of its terms that are in `vocab`."""
    indices: list[int] = []
    indptr = [0]
    for word in words:
        indices.extend(j for j in (vocab.get(t) for t in _terms(word, kind, low, high)) if j is not None)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    rows = sp.csr_matrix((data, indices, indptr), shape=(len(words), len(vocab)))
    rows.sum_duplicates()
    return rows


class TermBlock:
    """TF-IDF over one kind of term (words, or character n-grams of sizes low..high)."""

    def __init__(self, kind: str, ngram_range: tuple[int, int] = (1, 1), min_df: int = 1) -> None:
        self.kind = kind
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.vocab: dict[str, int] = {}
        self.idf = np.zeros(0, dtype=np.float32)
        self.per_word = sp.csr_matrix((0, 0), dtype=np.float32)

    def fit(self, counts: sp.csr_matrix, words: Sequence[str]) -> TermBlock:
        """Learn terms (in at least min_df texts) and idf from word counts over `words`."""
        low, high = self.ngram_range
        every: dict[str, int] = {}
        for word in words:
            for term in _terms(word, self.kind, low, high):
                every.setdefault(term, len(every))
        per_word = _term_rows(words, every, self.kind, low, high)
        doc_freq = np.asarray(((counts @ per_word) > 0).sum(axis=0)).ravel()
        keep = np.flatnonzero(doc_freq >= self.min_df)
        names = list(every)
        self.vocab = {names[j]: i for i, j in enumerate(keep)}
        self.per_word = per_word[:, keep].tocsr()
        self.idf = _smooth_idf(doc_freq[keep], counts.shape[0])
        return self

    def transform(self, counts: sp.csr_matrix, unseen: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF rows for word counts over the fitted words followed by `unseen` words."""
        low, high = self.ngram_range
        per_word = sp.vstack([self.per_word, _term_rows(unseen, self.vocab, self.kind, low, high)]).tocsr()
        return _tfidf((counts @ per_word).tocsr(), self.idf)

    def state(self) -> dict[str, Any]:
        per_word = self.per_word.tocsr()
        return {
            "kind": self.kind,
            "ngram_range": list(self.ngram_range),
            "min_df": self.min_df,
            "vocab": list(self.vocab),
            "idf": self.idf,
            "per_word": [per_word.data, per_word.indices, per_word.indptr, list(per_word.shape)],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> TermBlock:
        low, high = state["ngram_range"]
        block = cls(str(state["kind"]), (int(low), int(high)), int(state["min_df"]))
        block.vocab = {term: i for i, term in enumerate(state["vocab"])}
        block.idf = np.asarray(state["idf"], dtype=np.float32)
        data, indices, indptr, shape = state["per_word"]
        block.per_word = sp.csr_matrix((data, indices, indptr), shape=tuple(shape))
        return block


class TextFeatures:
    """Word TF-IDF and character n-gram TF-IDF side by side, each block scaled to unit length.

    Without `char_ngrams` (None), words only.
    """

    def __init__(self, char_ngrams: tuple[int, int] | None = (3, 5), char_min_df: int = 2) -> None:
        self.words: dict[str, int] = {}
        self.blocks = [TermBlock(WORD)]
        if char_ngrams is not None:
            self.blocks.append(TermBlock(CHAR, char_ngrams, char_min_df))

    @property
    def n_features(self) -> int:
        return sum(len(block.vocab) for block in self.blocks)

    def fit(self, texts: Sequence[str]) -> TextFeatures:
        counts, words = _count_words(texts, {})
        self.words = {word: i for i, word in enumerate(words)}
        for block in self.blocks:
            block.fit(counts, words)
        return self

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        chunks = [self._transform(texts[i : i + CHUNK]) for i in range(0, len(texts), CHUNK)]
        if not chunks:
            return sp.csr_matrix((0, self.n_features), dtype=np.float32)
        return sp.vstack(chunks).tocsr()

    def _transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        counts, unseen = _count_words(texts, self.words)
        return sp.hstack([block.transform(counts, unseen) for block in self.blocks]).tocsr()

    def state(self) -> dict[str, Any]:
        return {"words": list(self.words), "blocks": [block.state() for block in self.blocks]}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> TextFeatures:
        features = cls()
        features.words = {word: i for i, word in enumerate(state["words"])}
        features.blocks = [TermBlock.from_state(block) for block in state["blocks"]]
        return features


def _display_word(word: str) -> str:
    """A whitespace token as a reader would name it: without surrounding punctuation."""
    return word.strip(".,;:!?\"'()[]{}«»“”‘’-–—…")


def word_contributions(features: TextFeatures, text: str, weights: np.ndarray) -> dict[str, float]:
    """How much each word of `text` adds to the linear score `features.transform([text]) @ weights`.

    A term's share of the score is split among the words that produced it, in proportion to how many
    times each produced it; the shares of a word's terms (the word itself and its character n-grams)
    add up to the word's contribution. Summed over words this is the score without the bias.
    """
    counts, unseen = _count_words([text], features.words)
    counts = counts.tocsr()
    columns, times = counts.indices, counts.data.astype(np.float64)
    names = list(features.words)
    total = np.zeros(len(columns))
    offset = 0
    for block in features.blocks:
        low, high = block.ngram_range
        per_word = sp.vstack([block.per_word, _term_rows(unseen, block.vocab, block.kind, low, high)]).tocsr()
        rows = per_word[columns].astype(np.float64)
        term_counts = np.asarray(rows.T @ times).ravel()
        values = _tfidf(sp.csr_matrix(term_counts[None, :]), block.idf).toarray().ravel().astype(np.float64)
        block_weights = weights[offset : offset + len(block.vocab)].astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_count = np.where(term_counts > 0, values * block_weights / term_counts, 0.0)
        total += times * np.asarray(rows @ per_count).ravel()
        offset += len(block.vocab)
    merged: dict[str, float] = {}
    for column, value in zip(columns, total, strict=True):
        word = names[column] if column < len(names) else unseen[column - len(names)]
        shown = _display_word(word)
        if shown:
            merged[shown] = merged.get(shown, 0.0) + float(value)
    return merged


class SegmentFeatures:
    """The features of a segment: its own text, and optionally its context and a sentence embedding.

    Blocks side by side, each scaled to unit length and then by its weight: the segment's words and
    character n-grams; the interviewer's question before it; the neighbouring units; a dense sentence
    embedding (coding.coders.embedding). Context blocks have their own vocabulary, so "corruption" in
    the question is a different feature from "corruption" in the answer.
    """

    def __init__(
        self,
        char_ngrams: tuple[int, int] = (3, 5),
        *,
        context_chars: bool = False,
        question_weight: float = 0.0,
        neighbour_weight: float = 0.0,
        embedder: Any = None,
        embedding_weight: float = 0.0,
    ) -> None:
        self.text = TextFeatures(char_ngrams)
        # Context blocks default to words only: character n-grams of the context would cost as much
        # training time as the segment's own and measured no better (docs/model.md).
        context_ngrams = char_ngrams if context_chars else None
        self.question = TextFeatures(context_ngrams) if question_weight > 0 else None
        self.neighbours = TextFeatures(context_ngrams) if neighbour_weight > 0 else None
        self.question_weight = question_weight
        self.neighbour_weight = neighbour_weight
        self.embedder = embedder if embedding_weight > 0 else None
        self.embedding_weight = embedding_weight if embedder is not None else 0.0

    @property
    def n_sparse(self) -> int:
        """Columns of term features (before the dense embedding columns)."""
        return sum(block.n_features for block in (self.text, self.question, self.neighbours) if block is not None)

    @property
    def n_features(self) -> int:
        return self.n_sparse + (int(self.embedder.dimension) if self.embedder is not None else 0)

    def fit(
        self, texts: Sequence[str], questions: Sequence[str] | None = None, neighbours: Sequence[str] | None = None
    ) -> SegmentFeatures:
        self.text.fit(texts)
        if self.question is not None:
            self.question.fit(_context(questions, len(texts), "questions"))
        if self.neighbours is not None:
            self.neighbours.fit(_context(neighbours, len(texts), "neighbours"))
        return self

    def transform(
        self, texts: Sequence[str], questions: Sequence[str] | None = None, neighbours: Sequence[str] | None = None
    ) -> sp.csr_matrix:
        texts = list(texts)
        parts = [self.text.transform(texts)]
        if self.question is not None:
            parts.append(self.question.transform(_context(questions, len(texts), "questions")) * self.question_weight)
        if self.neighbours is not None:
            context = _context(neighbours, len(texts), "neighbours")
            parts.append(self.neighbours.transform(context) * self.neighbour_weight)
        if self.embedder is not None:
            dense = np.asarray(self.embedder.embed(texts), dtype=np.float32) * self.embedding_weight
            parts.append(sp.csr_matrix(dense))
        return sp.hstack(parts).tocsr().astype(np.float32) if len(parts) > 1 else parts[0]

    def state(self) -> dict[str, Any]:
        return {
            "text": self.text.state(),
            "question": None if self.question is None else self.question.state(),
            "neighbours": None if self.neighbours is None else self.neighbours.state(),
            "question_weight": self.question_weight,
            "neighbour_weight": self.neighbour_weight,
            "embedding": None if self.embedder is None else self.embedder.state(),
            "embedding_weight": self.embedding_weight,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], embedder: Any = None) -> SegmentFeatures:
        """Rebuild from state(); `embedder` is the reopened embedding model when the state names one."""
        features = cls()
        features.text = TextFeatures.from_state(state["text"])
        features.question = None if state["question"] is None else TextFeatures.from_state(state["question"])
        features.neighbours = None if state["neighbours"] is None else TextFeatures.from_state(state["neighbours"])
        features.question_weight = float(state["question_weight"])
        features.neighbour_weight = float(state["neighbour_weight"])
        features.embedder = embedder
        features.embedding_weight = float(state["embedding_weight"]) if embedder is not None else 0.0
        return features


def _context(values: Sequence[str] | None, n: int, name: str) -> list[str]:
    """Context texts, one per segment ('' where there is none); missing entirely means none anywhere."""
    if values is None:
        return [""] * n
    if len(values) != n:
        raise ValueError(f"got {len(values)} {name} for {n} texts")
    return [value or "" for value in values]
