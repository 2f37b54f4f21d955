"""Measured quality on shared/eval-dev: fails when recall of identifying mentions or retention of
public names drops below the targets in docs/deidentification.md. Skips without shared/."""

from __future__ import annotations

from pathlib import Path

from coding.deidentify.evaluate import evaluate, load_planted, respondent_roster


def test_recall_and_retention_without_roster(eval_dev: Path, tmp_path: Path) -> None:
    result = evaluate(eval_dev, eval_dev / "pii.jsonl", work=tmp_path)
    missed = [f"{m.doc}:{m.text}" for m in result.missed]
    assert result.recall >= 0.98, f"recall {result.recall:.3f}; missed {missed}"
    assert result.retention >= 0.95, f"retention {result.retention:.3f}; lost {[m.text for m in result.lost]}"


def test_recall_with_respondents_roster(eval_dev: Path, tmp_path: Path) -> None:
    roster = respondent_roster(load_planted(eval_dev / "pii.jsonl"))
    result = evaluate(eval_dev, eval_dev / "pii.jsonl", roster=roster, work=tmp_path)
    assert result.recall == 1.0, [f"{m.doc}:{m.text}" for m in result.missed]
    assert result.retention >= 0.95
