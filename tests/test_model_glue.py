"""The learned coder inside a project: trained with the codebook's text and the interviewer's questions,
its report carries intervals and a status per code, its suggestions fall back to rules where it has too few
examples, and every suggestion can say why it was made (the workbench shows it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from coding.demo import turn_codings_to_csv
from coding.models import MODEL, RESPONDENT, RULE
from coding.project import Project, create_project
from coding.training import questions_for

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, object]:
    root = tmp_path_factory.mktemp("glue")
    project = create_project(root / "study", codebook=REPO / "codebooks" / "peace_process.yaml")
    project.ingest([CORPUS / "transcripts"], metadata=CORPUS / "respondents.csv")
    project.segment("turn")
    gold = root / "gold.csv"
    turn_codings_to_csv(CORPUS / "gold.jsonl", CORPUS / "transcripts", gold)
    project.import_codings(gold, "gold")
    report = project.train(coders=["gold"])
    return project, report


def test_questions_are_the_interviewer_turns_before_each_answer(trained) -> None:
    project, _ = trained
    segments = [s for s in project.segments(["R01"]) if s.role == RESPONDENT]
    questions = questions_for(project.store, segments)
    document = project.documents(["R01"])[0]
    for segment, question in zip(segments, questions, strict=True):
        before = [t for t in document.turns if t.index < segment.turn_index and t.role != RESPONDENT]
        assert question == (document.text[before[-1].start : before[-1].end] if before else "")
    assert sum(bool(q) for q in questions) >= len(segments) - 1


def test_the_training_report_has_intervals_and_a_status_per_code(trained) -> None:
    _, report = trained
    assert {"kappa_low", "kappa_high", "status"} <= set(report.columns)
    rows = report.dropna(subset=["kappa_low", "kappa_high"])
    assert len(rows) and (rows["kappa_low"] <= rows["kappa_high"]).all()


def test_suggestions_explain_themselves(trained) -> None:
    project, _ = trained
    project.autocode(rules=True, model=True)
    suggested = project.codings("auto")
    assert set(suggested["source"]) >= {RULE, MODEL}
    text = "The guarantor states sat in the back of the hall and the international community paid for it."
    reasons = project.suggestion_reasons(text, ["external_actors", "corruption"])
    assert reasons[(RULE, "external_actors")].startswith("matched ")
    assert "guarantor states" in reasons[(RULE, "external_actors")]
    assert (RULE, "corruption") not in reasons
    assert "% sure; " in reasons[(MODEL, "external_actors")]


def test_every_code_says_what_stands_behind_its_suggestions(trained) -> None:
    from coding.coders.model import MODELLED, NOTHING, RULES_ONLY

    project, _ = trained
    status = project.model_status()
    assert set(status) == {code.id for code in project.codebook.codes}
    assert {kind for kind, _ in status.values()} <= {MODELLED, RULES_ONLY, NOTHING}
    assert all(why for _, why in status.values())
