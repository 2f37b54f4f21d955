"""Active learning: which uncoded segments a person should code next to teach the model most.

A segment is informative when some code's calibrated confidence sits near that code's threshold: the
model cannot tell, and either human answer moves the boundary. Taking only the most uncertain
segments picks near-copies from one talkative respondent, so the ranking deals segments out
round-robin over respondents and passes over texts nearly identical to one already chosen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from sklearn.preprocessing import normalize

if TYPE_CHECKING:
    from coding.coders.model import CodeModel

NEAR_DUPLICATE = 0.9  # cosine similarity of feature vectors above which a text adds little new


def uncertainty(proba: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Per text, how close its least certain code is to the decision (1 = on the threshold, 0 = sure).

    Distance to the threshold is measured as a fraction of the room on that side of it, so a code with
    a threshold of 0.2 is as 'sure' at 0.0 as a code with threshold 0.5. Ties are broken by the mean
    over codes: texts uncertain about several codes teach more.
    """
    room = np.where(proba >= thresholds, 1.0 - thresholds, thresholds)
    closeness = 1.0 - np.abs(proba - thresholds) / np.maximum(room, 1e-9)
    if closeness.shape[1] == 0:
        return np.zeros(len(proba))
    return closeness.max(axis=1) + 0.01 * closeness.mean(axis=1)


def rank_for_coding(
    model: CodeModel,
    texts: Sequence[str],
    groups: Sequence[str],
    k: int,
    *,
    rule_hits: Sequence[set[str]] | None = None,
) -> list[int]:
    """Indices of up to `k` texts to code next, most informative first, spread across respondents."""
    if len(texts) != len(groups):
        raise ValueError(f"got {len(groups)} groups for {len(texts)} texts")
    if k <= 0 or not texts:
        return []
    score = uncertainty(model.predict_proba(texts, rule_hits), model.thresholds)
    vectors = normalize(model.features.transform(list(texts)))
    return _round_robin(score, np.asarray(groups), vectors, k)


def _round_robin(score: np.ndarray, groups: np.ndarray, vectors, k: int) -> list[int]:  # type: ignore[no-untyped-def]
    """Each round takes every respondent's best remaining text (best rounds' picks first)."""
    queues = {g: list(np.flatnonzero(groups == g)[np.argsort(-score[groups == g], kind="stable")]) for g in set(groups)}
    chosen: list[int] = []
    skipped: list[int] = []
    while len(chosen) < k and any(queues.values()):
        picks = [queue.pop(0) for queue in queues.values() if queue]
        for i in sorted(picks, key=lambda i: -score[i]):
            if len(chosen) >= k:
                break
            if chosen and (vectors[chosen] @ vectors[i].T).max() >= NEAR_DUPLICATE:
                skipped.append(i)  # near-copy of a chosen text: only if nothing else is left
            else:
                chosen.append(i)
    return [int(i) for i in (chosen + sorted(skipped, key=lambda i: -score[i]))[:k]]
