"""Word frequencies by group and keyness: which words one group uses more than the rest.

Words are counted over what respondents said (the joined respondent turns of search.Corpus): runs of
letters, with inner apostrophes ("don't"), lowercased. The text is scanned once into a respondents x words
count matrix (WordIndex, one regular-expression pass and a sparse matrix, not a loop over turns); counts by
any attribute or subset of respondents are then sums of its rows.

Keyness compares a word's frequency in one group (a of c words) with the rest (b of d words):
- log-likelihood G2 = 2 * (a ln(a/E1) + b ln(b/E2)), E1 = c(a+b)/(c+d), E2 = d(a+b)/(c+d) (Rayson and Garside
  2000, as in AntConc and the Lancaster log-likelihood calculator); 3.84 is p < 0.05, 6.63 p < 0.01 and
  10.83 p < 0.001 at one degree of freedom;
- log ratio = log2((a/c) / (b/d)), the effect size (Hardie 2014): +1 means twice as frequent in the group;
  a zero count is taken as 0.5 so that words only one side uses keep a finite size.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import sparse

from .analysis import MISSING, TOTAL, _value_order, attribute_values
from .errors import UsageError
from .search import SEPARATOR, Corpus, search

WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
_RUN = re.compile(r"\w+(?:'\w+)*")
# Transcribers' notes such as [laughs] or [inaudible] are not the respondent's words.
ANNOTATION = re.compile(r"\[[^\]\n]{0,60}\]")
PER = 10_000  # relative frequencies are given per 10,000 words


def stop_words() -> frozenset[str]:
    """spaCy's English stop words (through coding.nlp, the one module that imports spaCy)."""
    from .nlp import blank_pipeline

    words = blank_pipeline().Defaults.stop_words
    # spaCy lists contractions' parts ("n't", "'s"); our tokens keep the apostrophe inside the word.
    return frozenset(w.lower().replace("\u2019", "'") for w in words)


@dataclass(frozen=True)
class WordIndex:
    """How often each respondent says each word: a respondents x words count matrix built in one pass over
    the corpus. Word counts by any attribute, for any subset of respondents, are sums of its rows, so the
    text is tokenised once per segmentation instead of once per grouping, filter or edit."""

    respondents: pd.Index  # row labels: respondent ids
    words: pd.Index  # column labels
    counts: sparse.csr_matrix  # int64


_BREAK = "QCODETURNBREAK"


def word_index(corpus: Corpus) -> WordIndex:
    """Every word of two letters or more (single letters are mostly initials and list markers) per respondent.

    A word never crosses turns. \\w runs scan faster than letter runs; the few distinct runs that hold a digit
    or "_" are split into words afterwards, through a runs x words matrix, which gives exactly the counts of
    WORD over the text."""
    turns = corpus.turns
    rows, respondents = pd.factorize(turns["respondent_id"].astype(str))
    # One scan of the whole text: cleaning keeps the turn separators, which become a break marker in
    # capitals (cleaned text is lowercase, so no word can equal it); the markers say whose each word is.
    # corpus.lower is the text lowercased at the same length (so the annotations sit where they were).
    if corpus.lower is not None:
        cleaned = ANNOTATION.sub(" ", corpus.lower)
    else:
        cleaned = ANNOTATION.sub(" ", corpus.text).lower()
    cleaned = cleaned.replace("\u2019", "'").replace(SEPARATOR, f" {_BREAK} ")
    run_codes, found = pd.factorize(np.array(_RUN.findall(cleaned), dtype=object))
    vocabulary = pd.Index(found, dtype=object)
    where = int(vocabulary.get_indexer([_BREAK])[0]) if len(vocabulary) else -1
    breaks = run_codes == where
    turn_of = np.cumsum(breaks)[~breaks]  # the turn each word is in (turns are in corpus.turns order)
    run_codes = run_codes[~breaks]  # the marker's column stays in the matrix and maps to no word below
    by_run = sparse.csr_matrix(
        (np.ones(len(run_codes), dtype=np.int64), (rows[turn_of].astype(np.int64), run_codes)),
        shape=(len(respondents), len(vocabulary)),
    )  # duplicates are summed
    pure = np.asarray(vocabulary.str.fullmatch(WORD.pattern), dtype=bool) if len(vocabulary) else np.zeros(0, bool)
    pieces = [(i, w) for i in np.flatnonzero(~pure).tolist() for w in WORD.findall(vocabulary[i])]
    pairs = [(i, str(vocabulary[i])) for i in np.flatnonzero(pure).tolist()] + pieces
    pairs = [(i, w) for i, w in pairs if len(w) > 1 and w != _BREAK]
    word_codes, words = pd.factorize(pd.Series([w for _, w in pairs], dtype=object))
    to_words = sparse.csr_matrix(
        (np.ones(len(pairs), dtype=np.int64), ([i for i, _ in pairs], word_codes)),
        shape=(len(vocabulary), len(words)),
    )
    counts = (by_run @ to_words).tocsr()
    return WordIndex(pd.Index(respondents, dtype=object), pd.Index(words, dtype=object), counts)


INDEX_FORMAT = "1"  # bump when what word_index counts changes: older files are then rebuilt


def corpus_fingerprint(corpus: Corpus) -> str:
    """What a word index depends on: the text and whose each turn is."""
    digest = hashlib.sha256(f"{INDEX_FORMAT}\n".encode())
    digest.update(corpus.text.encode("utf-8", "surrogatepass"))
    digest.update("\n".join(corpus.turns["respondent_id"].astype(str)).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


def load_word_index(corpus: Corpus, path: str | Path) -> WordIndex:
    """The corpus's word index from its file if that was made from the same corpus, else built and kept there
    (the one text scan then happens once per segmentation, not once per process)."""
    path = Path(path)
    key = corpus_fingerprint(corpus)
    try:
        with np.load(path, allow_pickle=False) as saved:
            if str(saved["key"]) == key:
                shape = tuple(int(n) for n in saved["shape"])
                matrix = sparse.csr_matrix((saved["data"], saved["indices"], saved["indptr"]), shape=shape)
                return WordIndex(
                    pd.Index(saved["respondents"].astype(object), dtype=object),
                    pd.Index(saved["words"].astype(object), dtype=object),
                    matrix,
                )
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        pass  # no file yet, another corpus's, or damaged: build it again
    index = word_index(corpus)
    with contextlib.suppress(OSError):  # a read-only project folder: counting works, the scan is not kept
        _save_word_index(index, key, path)
    return index


def _save_word_index(index: WordIndex, key: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp.npz")
    np.savez(
        temporary,
        key=np.array(key),
        shape=np.array(index.counts.shape, dtype=np.int64),
        data=index.counts.data,
        indices=index.counts.indices,
        indptr=index.counts.indptr,
        respondents=np.array(list(index.respondents), dtype=str),
        words=np.array(list(index.words), dtype=str),
    )
    temporary.replace(path)


def counts_from_index(
    index: WordIndex, respondents: pd.DataFrame, by: str | None = None, respondent_ids: Iterable[str] | None = None
) -> pd.DataFrame:
    """word_counts from a WordIndex (the same table, without reading the text again)."""
    rows = index.respondents
    keep = np.ones(len(rows), dtype=bool) if respondent_ids is None else rows.isin(list(respondent_ids))
    if by is None:
        groups = pd.Series(TOTAL, index=rows)
        order: list[str] = []
    else:
        values = attribute_values(respondents, by)
        groups = pd.Series(rows, index=rows).map(values).fillna(MISSING)
        order = _value_order(values)
    columns = order or [TOTAL]
    # A groups x respondents indicator times the respondents x words counts: one sparse product.
    group_of = pd.Index(columns).get_indexer(groups.to_numpy())
    chosen = np.flatnonzero(keep & (group_of >= 0))
    indicator = sparse.csr_matrix(
        (np.ones(len(chosen), dtype=np.int64), (group_of[chosen], chosen)), shape=(len(columns), len(rows))
    )
    summed = np.asarray((indicator @ index.counts).todense()).T  # words x groups
    used = summed.sum(axis=1) > 0
    table = pd.DataFrame(summed[used], index=index.words[used], columns=columns).astype(int)
    if by is not None:
        table[TOTAL] = table.sum(axis=1)
        table.columns.name = by
    table.index.name = "word"
    # Most frequent first; words of equal count in alphabetical order (a stable, reproducible order).
    return table.sort_index().sort_values([TOTAL], ascending=False, kind="stable")


def word_counts(
    corpus: Corpus, respondents: pd.DataFrame, by: str | None = None, respondent_ids: Iterable[str] | None = None
) -> pd.DataFrame:
    """Words (index) by the values of attribute `by` (columns, plus Total), counting every occurrence
    in respondents' turns (only those of `respondent_ids`, if given). Without `by`, one Total column. Stop
    words are kept: word totals are the size of each group's text, which keyness needs (drop them for
    display with without_stop_words). Callers that count more than once keep a word_index and use
    counts_from_index."""
    return counts_from_index(word_index(corpus), respondents, by, respondent_ids)


def without_stop_words(table: pd.DataFrame, extra: Iterable[str] = ()) -> pd.DataFrame:
    """Rows whose word is not a stop word. A contraction is one when its first part is ("there's",
    "didn't": spaCy lists "there" and "did", and splits the contraction off as a token of its own)."""
    drop = stop_words() | {w.lower() for w in extra}
    words = pd.Series(table.index.astype(str), index=table.index)
    head = words.str.split("'", n=1).str[0]
    negated = words.str.endswith("n't") & head.str[:-1].isin(list(drop))
    stop = words.isin(list(drop)) | (words.str.contains("'", regex=False) & head.isin(list(drop))) | negated
    return table[~stop.to_numpy()]


def frequencies(counts: pd.DataFrame, top: int | None = None, stop: bool = True) -> pd.DataFrame:
    """Counts with each column's words per 10,000 beside them (per 10k of *all* that group's words,
    stop words included), most frequent first."""
    sizes = counts.sum()
    shown = without_stop_words(counts) if stop else counts
    if top is not None:
        shown = shown.head(top)
    result = pd.DataFrame(index=shown.index)
    for column in counts.columns:
        result[column] = shown[column]
        result[f"{column} per 10k"] = (shown[column] / sizes[column] * PER).round(2) if sizes[column] else np.nan
    return result


def keyness(counts: pd.DataFrame, group: str, stop: bool = True, min_count: int = 3) -> pd.DataFrame:
    """Every word used at least `min_count` times in all, group against the rest: a (in group), b (rest),
    per 10k in each, log_likelihood, log_ratio and `more_in` (the group or "rest"); words most over-used
    in the group first, then by log-likelihood."""
    values = [c for c in counts.columns if c != TOTAL]
    if group not in values:
        raise UsageError(f"unknown group {group!r} (known: {', '.join(map(str, values))})")
    a = counts[group].astype(float)
    b = counts[[v for v in values if v != group]].sum(axis=1).astype(float)
    c, d = float(a.sum()), float(b.sum())
    table = pd.DataFrame({"a": a, "b": b})
    table["log_likelihood"] = log_likelihood(a.to_numpy(), b.to_numpy(), c, d).round(2)
    table["log_ratio"] = log_ratio(a.to_numpy(), b.to_numpy(), c, d).round(2)
    table[f"{group} per 10k"] = (a / c * PER).round(2) if c else np.nan
    table["rest per 10k"] = (b / d * PER).round(2) if d else np.nan
    table["more_in"] = np.where(table["log_ratio"] >= 0, group, "rest")
    table = table[(table["a"] + table["b"]) >= min_count]
    if stop:
        table = without_stop_words(table)
    table[["a", "b"]] = table[["a", "b"]].astype(int)
    table = table.rename(columns={"a": group, "b": "rest"})
    over = table["more_in"] == group
    ordered = pd.concat(
        [
            table[over].sort_values("log_likelihood", ascending=False, kind="stable"),
            table[~over].sort_values("log_likelihood", ascending=False, kind="stable"),
        ]
    )
    ordered.index.name = "word"
    return ordered


def log_likelihood(a: ArrayLike, b: ArrayLike, c: float, d: float) -> np.ndarray:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    expected_a = c * (a + b) / (c + d)
    expected_b = d * (a + b) / (c + d)
    with np.errstate(divide="ignore", invalid="ignore"):
        part_a = np.where(a > 0, a * np.log(a / expected_a), 0.0)
        part_b = np.where(b > 0, b * np.log(b / expected_b), 0.0)
    return 2 * (part_a + part_b)


def log_ratio(a: ArrayLike, b: ArrayLike, c: float, d: float) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = np.where(a > 0, a, 0.5), np.where(b > 0, b, 0.5)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log2((a / c) / (b / d))


def word_quotes(
    corpus: Corpus,
    word: str,
    respondents: pd.DataFrame | None = None,
    by: str | None = None,
    value: str | None = None,
    context: int = 80,
) -> pd.DataFrame:
    """The places a counted word occurs (search hits), optionally only those of one group."""
    if not WORD.fullmatch(word):
        raise UsageError(f"{word!r} is not a single word")
    hits = search(corpus, word, "text", context=context)
    if by is not None and value is not None and value != TOTAL and respondents is not None:
        values = attribute_values(respondents, by)
        hits = hits[hits["respondent_id"].map(values).fillna(MISSING) == value].reset_index(drop=True)
    return hits


def group_sizes(counts: pd.DataFrame) -> Mapping[str, int]:
    """Words in each column's text (stop words included): the n of every frequency."""
    return {str(k): int(v) for k, v in counts.sum().items()}
