"""Word frequencies by group and keyness: which words one group uses more than the rest.

Words are counted over what respondents said (the joined respondent turns of search.Corpus): runs of
letters, with inner apostrophes ("don't"), lowercased. Counting goes group by group over one joined text
each, so it is a few regular-expression scans and a value count, not a loop over turns.

Keyness compares a word's frequency in one group (a of c words) with the rest (b of d words):
- log-likelihood G2 = 2 * (a ln(a/E1) + b ln(b/E2)), E1 = c(a+b)/(c+d), E2 = d(a+b)/(c+d) (Rayson and Garside
  2000, as in AntConc and the Lancaster log-likelihood calculator); 3.84 is p < 0.05, 6.63 p < 0.01 and
  10.83 p < 0.001 at one degree of freedom;
- log ratio = log2((a/c) / (b/d)), the effect size (Hardie 2014): +1 means twice as frequent in the group;
  a zero count is taken as 0.5 so that words only one side uses keep a finite size.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .analysis import MISSING, TOTAL, _value_order, attribute_values
from .errors import UsageError
from .search import Corpus, search

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


def _counts(text: str) -> pd.Series:
    """How often each word of two letters or more occurs (single letters are mostly initials and list
    markers). Text-wide string operations first, then one value count: no string work per token."""
    clean = ANNOTATION.sub(" ", text).lower().replace("\u2019", "'")
    # \w runs scan faster than letter runs; the few that hold a digit or "_" are split into words after
    # counting, once per distinct run, which gives exactly the counts of WORD over the text.
    counted = pd.Series(_RUN.findall(clean), dtype=object).value_counts()
    mixed = ~counted.index.str.fullmatch(WORD.pattern)
    if mixed.any():
        extra = pd.Series([(word, n) for run, n in counted[mixed].items() for word in WORD.findall(run)], dtype=object)
        counted = counted[~mixed]
        if len(extra):
            pieces = pd.DataFrame(extra.tolist(), columns=["word", "n"]).groupby("word")["n"].sum()
            counted = counted.add(pieces, fill_value=0).astype(int)
    return counted[counted.index.str.len() > 1]


def word_counts(
    corpus: Corpus, respondents: pd.DataFrame, by: str | None = None, respondent_ids: Iterable[str] | None = None
) -> pd.DataFrame:
    """Words (index) by the values of attribute `by` (columns, plus Total), counting every occurrence
    in respondents' turns (only those of `respondent_ids`, if given). Without `by`, one Total column. Stop
    words are kept: word totals are the size of each group's text, which keyness needs (drop them for
    display with without_stop_words)."""
    turns = corpus.turns
    if respondent_ids is not None:
        turns = turns[turns["respondent_id"].isin(list(respondent_ids))]
    if by is None:
        groups = pd.Series(TOTAL, index=turns.index)
        order: list[str] = []
    else:
        values = attribute_values(respondents, by)
        groups = turns["respondent_id"].map(values).fillna(MISSING)
        order = _value_order(values)
    offsets = turns["offset"].to_numpy(dtype=np.int64)
    lengths = (turns["end"] - turns["start"]).to_numpy(dtype=np.int64)
    counted = {}
    for value in order or [TOTAL]:
        rows = np.flatnonzero((groups == value).to_numpy())
        text = "\n".join(corpus.text[o : o + n] for o, n in zip(offsets[rows], lengths[rows], strict=True))
        counted[value] = _counts(text)
    table = pd.DataFrame(counted).fillna(0).astype(int)
    if by is not None:
        table = table.reindex(columns=order, fill_value=0)
        table[TOTAL] = table.sum(axis=1)
        table.columns.name = by
    table.index.name = "word"
    return table.sort_values([TOTAL], ascending=False, kind="stable")


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
