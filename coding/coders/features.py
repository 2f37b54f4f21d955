"""Text features for the learned coder: TF-IDF over word n-grams and over character n-grams.

Character n-grams carry most of the signal on small training sets (they tie "sold", "selling" and
"sell-out" together without a lemmatiser), but computing them text by text is the slow part of
prediction. Character n-grams that never cross a word boundary are a sum over the text's words, so
here they are computed once per distinct word and a text's counts are one sparse product:
counts(texts) = word_counts(texts) @ grams_per_word.

The state is plain data (dicts, lists, numpy arrays), so a saved model holds no Python objects to
rebuild and loading it runs no code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

CHUNK = 4000  # texts per batch in transform: bounds memory on 100,000-segment runs


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


def _gram_rows(words: Sequence[str], vocab: dict[str, int], low: int, high: int) -> sp.csr_matrix:
    """One row per word: counts of its character n-grams that are in `vocab`."""
    indices: list[int] = []
    indptr = [0]
    for word in words:
        indices.extend(j for j in (vocab.get(g) for g in _word_grams(word, low, high)) if j is not None)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    rows = sp.csr_matrix((data, indices, indptr), shape=(len(words), len(vocab)))
    rows.sum_duplicates()
    return rows


class CharGrams:
    """TF-IDF over character n-grams inside word boundaries, computed once per distinct word."""

    def __init__(self, ngram_range: tuple[int, int] = (2, 5), min_df: int = 2) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.words: dict[str, int] = {}
        self.vocab: dict[str, int] = {}
        self.idf = np.zeros(0, dtype=np.float32)
        self.per_word = sp.csr_matrix((0, 0), dtype=np.float32)

    def fit(self, texts: Sequence[str]) -> CharGrams:
        low, high = self.ngram_range
        counts, words = _count_words(texts, {})
        every: dict[str, int] = {}
        for word in words:
            for gram in _word_grams(word, low, high):
                every.setdefault(gram, len(every))
        per_word = _gram_rows(words, every, low, high)
        doc_freq = np.asarray(((counts @ per_word) > 0).sum(axis=0)).ravel()
        keep = np.flatnonzero(doc_freq >= self.min_df)
        names = list(every)
        self.vocab = {names[j]: i for i, j in enumerate(keep)}
        self.words = {word: i for i, word in enumerate(words)}
        self.per_word = per_word[:, keep].tocsr()
        self.idf = _smooth_idf(doc_freq[keep], len(texts))
        return self

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        low, high = self.ngram_range
        counts, unseen = _count_words(texts, self.words)
        per_word = sp.vstack([self.per_word, _gram_rows(unseen, self.vocab, low, high)]).tocsr()
        return _tfidf((counts @ per_word).tocsr(), self.idf)

    def state(self) -> dict[str, Any]:
        per_word = self.per_word.tocsr()
        return {
            "ngram_range": list(self.ngram_range),
            "min_df": self.min_df,
            "words": list(self.words),
            "vocab": list(self.vocab),
            "idf": self.idf,
            "per_word": [per_word.data, per_word.indices, per_word.indptr, list(per_word.shape)],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> CharGrams:
        low, high = state["ngram_range"]
        grams = cls((int(low), int(high)), int(state["min_df"]))
        grams.words = {word: i for i, word in enumerate(state["words"])}
        grams.vocab = {gram: i for i, gram in enumerate(state["vocab"])}
        grams.idf = np.asarray(state["idf"], dtype=np.float32)
        data, indices, indptr, shape = state["per_word"]
        grams.per_word = sp.csr_matrix((data, indices, indptr), shape=tuple(shape))
        return grams


class TextFeatures:
    """Word n-gram TF-IDF and character n-gram TF-IDF side by side (each block unit length)."""

    def __init__(self, word_ngrams: tuple[int, int] = (1, 2), char_ngrams: tuple[int, int] = (2, 5)) -> None:
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.words = self._word_vectorizer(None)
        self.chars = CharGrams(char_ngrams)

    def _word_vectorizer(self, vocabulary: dict[str, int] | None) -> TfidfVectorizer:
        return TfidfVectorizer(ngram_range=self.word_ngrams, sublinear_tf=True, vocabulary=vocabulary, dtype=np.float32)

    @property
    def n_features(self) -> int:
        return len(self.words.vocabulary_) + len(self.chars.vocab)

    def fit(self, texts: Sequence[str]) -> TextFeatures:
        self.words.fit(texts)
        self.chars.fit(texts)
        return self

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        blocks = [
            sp.hstack([self.words.transform(texts[i : i + CHUNK]), self.chars.transform(texts[i : i + CHUNK])])
            for i in range(0, len(texts), CHUNK)
        ]
        if not blocks:
            return sp.csr_matrix((0, self.n_features), dtype=np.float32)
        return sp.vstack(blocks).tocsr()

    def state(self) -> dict[str, Any]:
        vocabulary = self.words.vocabulary_
        return {
            "word_ngrams": list(self.word_ngrams),
            "word_vocab": sorted(vocabulary, key=vocabulary.__getitem__),
            "word_idf": np.asarray(self.words.idf_, dtype=np.float32),
            "chars": self.chars.state(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> TextFeatures:
        word_low, word_high = state["word_ngrams"]
        chars = CharGrams.from_state(state["chars"])
        features = cls((int(word_low), int(word_high)), chars.ngram_range)
        vocabulary = {term: i for i, term in enumerate(state["word_vocab"])}
        features.words = features._word_vectorizer(vocabulary)
        features.words.idf_ = np.asarray(state["word_idf"], dtype=np.float32)
        features.chars = chars
        return features
