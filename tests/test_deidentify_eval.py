"""Measured quality on shared/eval-dev: fails when recall of identifying mentions or retention of
public names drops below the targets in docs/deidentification.md. Skips without shared/."""

from __future__ import annotations

from pathlib import Path

from coding.deidentify.evaluate import (
    evaluate,
    load_planted,
    load_quasi,
    respondent_roster,
    run,
    score,
    score_quasi,
    score_words,
)


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


def test_quasi_identifiers_ordinary_words_and_public_names(eval_dev: Path) -> None:
    """Issue 15/18 figures on eval-dev (docs/deidentification.md): no ordinary word lost or replaced,
    public names kept, quasi-identifiers flagged with few false alarms."""
    report, outputs = run(eval_dev)
    words = score_words(report)
    assert words.lowercase_lost == [], words.lowercase_lost
    assert words.capitalised_ordinary_replaced == [], words.capitalised_ordinary_replaced
    assert words.kept >= 0.995
    direct = score(load_planted(eval_dev / "pii.jsonl"), outputs)
    assert direct.recall == 1.0 and direct.retention >= 0.98
    flags = score_quasi(load_quasi(eval_dev / "quasi.jsonl"), report)
    assert flags.recall >= 0.45, [f"{m.doc}:{m.text}" for m in flags.missed]
    assert flags.false_alarm_rate <= 0.05, [f"{m.doc}:{m.text}" for m in flags.alarms]
