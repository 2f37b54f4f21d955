"""Store suggestions from the rule coder and the trained model. Proposing is pure; this stores."""

from __future__ import annotations

import contextlib
import multiprocessing
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

from .models import Codebook, Proposal, Segment
from .store import Action, Store
from .store import codings as stored_codings
from .store.log import write_log
from .store.schema import utcnow

if TYPE_CHECKING:
    from .coders.rules import RuleCoder

# A suggester's name and what it proposes for the given segments.
Suggestions = tuple[str, list[Proposal]]


# Segments one worker process matches at a time; at most two pieces per process are in flight.
SEGMENTS_PER_PIECE = 5_000
_WORKER_CODER: list[RuleCoder] = []  # the rule coder a forked worker inherited from the parent


class RuleMatcher:
    """The rule coder, compiled once, matching batch after batch of segments; with jobs > 1 (where processes
    can be forked) a batch larger than one piece is matched in pieces by that many processes, each starting
    with the parent's compiled coder, the pool kept across batches. Matching is per segment, so the proposals
    are the same, in the same order, however the segments are cut. Use as a context manager."""

    def __init__(self, codebook: Codebook, pipeline: str | None, jobs: int = 1) -> None:
        from .coders.rules import RuleCoder

        self.coder = RuleCoder(codebook, pipeline)
        self.name = self.coder.NAME
        self.jobs = jobs if "fork" in multiprocessing.get_all_start_methods() else 1
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> RuleMatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        _WORKER_CODER.clear()

    def propose(self, segments: Sequence[Segment]) -> list[Proposal]:
        if self.jobs <= 1 or len(segments) <= SEGMENTS_PER_PIECE:
            return self.coder.propose(list(segments))
        if self._pool is None:  # forked once, after the coder is compiled: every worker starts with it
            _WORKER_CODER[:] = [self.coder]
            self._pool = ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context("fork"))
        proposals: list[Proposal] = []
        in_flight: deque[Future[list[Proposal]]] = deque()
        for first in range(0, len(segments), SEGMENTS_PER_PIECE):
            in_flight.append(self._pool.submit(_propose_in_worker, list(segments[first : first + SEGMENTS_PER_PIECE])))
            if len(in_flight) >= 2 * self.jobs:
                proposals.extend(in_flight.popleft().result())
        while in_flight:
            proposals.extend(in_flight.popleft().result())
        return proposals


def rule_suggestions(
    codebook: Codebook, pipeline: str | None, segments: Sequence[Segment], jobs: int = 1
) -> Suggestions:
    """The rule coder's proposals for the segments (see RuleMatcher)."""
    with RuleMatcher(codebook, pipeline, jobs) as matcher:
        return matcher.name, matcher.propose(segments)


def _propose_in_worker(segments: list[Segment]) -> list[Proposal]:
    return _WORKER_CODER[0].propose(segments)


def run_autocode(
    store: Store,
    batches: Iterable[Sequence[Segment]],
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
    """Suggest codes for the segments (the respondents' ones, in batches of documents: only one batch's
    texts are held at a time) by rules and/or `model`, and store them: new suggestions are added, pending
    ones refreshed or withdrawn; people's decisions stay as they are. Proposals of every batch are stored
    together at the end, in one transaction (withdrawing needs all of them; a failure stores nothing)."""
    suggested: dict[str, KeptProposals] = {}
    done = 0
    with RuleMatcher(codebook, pipeline, jobs) if rules else contextlib.nullcontext() as matcher:
        for batch in _at_least_one(batches):
            found: list[Suggestions] = []
            if matcher is not None:
                found.append((matcher.name, matcher.propose(batch)))
            if model is not None:
                found.append(model(batch))
            for name, proposals in found:
                kept = suggested.setdefault(name, KeptProposals())
                kept.extend(p for p in proposals if p.confidence >= min_confidence)
            done += len(batch)
    results: dict[str, dict[str, int]] = {}
    run = utcnow()
    with store.transaction(write=True) as session:
        for name, kept in suggested.items():
            stats = {"added": 0, "refreshed": 0}
            for piece in kept.pieces(PROPOSALS_PER_WRITE):
                for key, number in stored_codings.add_proposals(session, piece, run).items():
                    stats[key] += number
            stats["withdrawn"] = stored_codings.withdraw_pending(session, name, run)
            stats["proposed"] = len(kept)
            results[name] = stats
        added: dict[str, Any] = {name: stats["added"] for name, stats in results.items()}
        write_log(session, actor, Action.AUTOCODE, ", ".join(results), min_confidence=min_confidence, **added)
    if progress:
        progress(done)
    return results


# Proposals written per INSERT (and rows already stored read per piece): bounded, whatever the corpus.
PROPOSALS_PER_WRITE = 20_000


class KeptProposals:
    """A suggester's proposals of a whole run, kept until they are stored together at the end: as arrays of
    segment ids, code numbers and confidences (20 bytes a proposal, not a 200-byte object plus its row),
    so that a run over 20,000 transcripts holds tens of megabytes, not gigabytes."""

    def __init__(self) -> None:
        self.segments = array("q")
        self.codes = array("i")
        self.confidences = array("d")
        self.kinds: list[tuple[str, str, str]] = []  # (code, source, source name) per code number
        self._numbers: dict[tuple[str, str, str], int] = {}

    def __len__(self) -> int:
        return len(self.segments)

    def extend(self, proposals: Iterable[Proposal]) -> None:
        for p in proposals:
            kind = (p.code_id, p.source, p.source_name)
            number = self._numbers.get(kind)
            if number is None:
                number = self._numbers[kind] = len(self.kinds)
                self.kinds.append(kind)
            self.segments.append(p.segment_id)
            self.codes.append(number)
            self.confidences.append(p.confidence)

    def pieces(self, size: int) -> Iterator[list[Proposal]]:
        """The proposals again, in the order they came, `size` at a time."""
        for first in range(0, len(self), size):
            last = min(first + size, len(self))
            yield [
                Proposal(self.segments[i], *self.kinds[self.codes[i]], self.confidences[i]) for i in range(first, last)
            ]


def _at_least_one(batches: Iterable[Sequence[Segment]]) -> Iterator[Sequence[Segment]]:
    """The batches, or one empty batch: a run over no segments still withdraws every pending suggestion."""
    empty = True
    for batch in batches:
        empty = False
        yield batch
    if empty:
        yield []
