"""Store suggestions from the rule coder and the trained model. Proposing is pure; this stores."""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

from .models import Codebook, Proposal, Segment
from .store import Action, Store
from .store import codings as stored_codings
from .store.log import write_log

if TYPE_CHECKING:
    from .coders.rules import RuleCoder

# A suggester's name and what it proposes for the given segments.
Suggestions = tuple[str, list[Proposal]]


# Segments one worker process matches at a time; at most two pieces per process are in flight.
SEGMENTS_PER_PIECE = 5_000
_WORKER_CODER: list[RuleCoder] = []  # the rule coder a forked worker inherited from the parent


def rule_suggestions(
    codebook: Codebook, pipeline: str | None, segments: Sequence[Segment], jobs: int = 1
) -> Suggestions:
    """The rule coder's proposals; with jobs > 1 (where processes can be forked) the segments are matched in
    pieces by that many processes, each starting with the parent's compiled coder. Matching is per segment,
    so the proposals are the same, in the same order."""
    from .coders.rules import RuleCoder

    coder = RuleCoder(codebook, pipeline)
    if jobs <= 1 or len(segments) <= SEGMENTS_PER_PIECE or "fork" not in multiprocessing.get_all_start_methods():
        return coder.NAME, coder.propose(list(segments))
    pieces = (list(segments[i : i + SEGMENTS_PER_PIECE]) for i in range(0, len(segments), SEGMENTS_PER_PIECE))
    proposals: list[Proposal] = []
    _WORKER_CODER[:] = [coder]
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            in_flight: deque[Future[list[Proposal]]] = deque()
            for piece in pieces:
                in_flight.append(pool.submit(_propose_in_worker, piece))
                if len(in_flight) >= 2 * jobs:
                    proposals.extend(in_flight.popleft().result())
            while in_flight:
                proposals.extend(in_flight.popleft().result())
    finally:
        _WORKER_CODER.clear()
    return coder.NAME, proposals


def _propose_in_worker(segments: list[Segment]) -> list[Proposal]:
    return _WORKER_CODER[0].propose(segments)


def run_autocode(
    store: Store,
    segments: Sequence[Segment],
    codebook: Codebook,
    *,
    pipeline: str | None,
    rules: bool,
    model: Callable[[Sequence[Segment]], Suggestions] | None,
    min_confidence: float = 0.0,
    progress: Callable[[int], None] | None = None,
    actor: str = "qcode",
    jobs: int = 1,
) -> dict[str, dict[str, int]]:
    """Suggest codes for `segments` (the respondents' ones) by rules and/or `model`, and store them:
    new suggestions are added, pending ones refreshed or withdrawn; people's decisions stay as they are."""
    batches: list[Suggestions] = []
    if rules:
        batches.append(rule_suggestions(codebook, pipeline, segments, jobs))
    if model is not None:
        batches.append(model(segments))
    results: dict[str, dict[str, int]] = {}
    with store.transaction(write=True) as session:
        for name, proposals in batches:
            kept = [p for p in proposals if p.confidence >= min_confidence]
            stats = stored_codings.add_proposals(session, kept)
            stats["withdrawn"] = stored_codings.withdraw_pending(
                session, name, {(p.segment_id, p.code_id) for p in kept}
            )
            stats["proposed"] = len(kept)
            results[name] = stats
        added: dict[str, Any] = {name: stats["added"] for name, stats in results.items()}
        write_log(session, actor, Action.AUTOCODE, ", ".join(results), min_confidence=min_confidence, **added)
    if progress:
        progress(len(segments))
    return results
