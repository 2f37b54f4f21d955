"""Store suggestions from the rule coder and the trained model. Proposing is pure; this stores."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .models import Codebook, Proposal, Segment
from .store import Action, Store
from .store import codings as stored_codings
from .store.log import write_log

# A suggester's name and what it proposes for the given segments.
Suggestions = tuple[str, list[Proposal]]


def rule_suggestions(codebook: Codebook, pipeline: str | None, segments: Sequence[Segment]) -> Suggestions:
    from .coders.rules import RuleCoder

    coder = RuleCoder(codebook, pipeline)
    return coder.NAME, coder.propose(list(segments))


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
) -> dict[str, dict[str, int]]:
    """Suggest codes for `segments` (the respondents' ones) by rules and/or `model`, and store them:
    new suggestions are added, pending ones refreshed or withdrawn; people's decisions stay as they are."""
    batches: list[Suggestions] = []
    if rules:
        batches.append(rule_suggestions(codebook, pipeline, segments))
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
