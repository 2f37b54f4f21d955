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
    """Word TF-IDF and character n-gram TF-IDF side by side, each block scaled to unit length."""

    def __init__(self, char_ngrams: tuple[int, int] = (3, 5), char_min_df: int = 2) -> None:
        self.words: dict[str, int] = {}
        self.blocks = [TermBlock(WORD), TermBlock(CHAR, char_ngrams, char_min_df)]

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
