"""Store suggestions from the rule coder and the trained model. Proposing is pure; this stores."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .models import RESPONDENT, Proposal

if TYPE_CHECKING:
    from .project import Project


def run_autocode(
    project: Project,
    *,
    rules: bool,
    model: bool,
    min_confidence: float = 0.0,
    progress: Callable[[int], None] | None = None,
    actor: str = "qcode",
) -> dict[str, dict[str, int]]:
    segments = [s for s in project.segments() if s.role == RESPONDENT]
    results: dict[str, dict[str, int]] = {}
    batches: list[tuple[str, list[Proposal]]] = []
    if rules:
        from .coders.rules import RuleCoder

        coder = RuleCoder(project.codebook, project.config.pipeline or None)
        batches.append((coder.NAME, coder.propose(segments)))
    if model:
        from .training import suggest

        name, proposals = suggest(project, segments)
        batches.append((name, proposals))
    with project.store.transaction() as session:
        for name, proposals in batches:
            kept = [p for p in proposals if p.confidence >= min_confidence]
            stats = project.store.add_proposals(session, kept)
            stats["withdrawn"] = project.store.withdraw_pending(
                session, name, {(p.segment_id, p.code_id) for p in kept}
            )
            stats["proposed"] = len(kept)
            results[name] = stats
        project.store.log(
            session,
            actor,
            "autocode",
            ", ".join(results),
            min_confidence=min_confidence,
            **{name: stats["added"] for name, stats in results.items()},
        )
    if progress:
        progress(len(segments))
    return results
