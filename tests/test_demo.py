"""The demo the README promises: de-identified copies in, both coders imported, suggestions, agreement."""

from __future__ import annotations

import json
import re

import pytest

from coding.demo import build_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "demo"
    return folder, build_demo(folder, echo=lambda *_: None)


def test_demo_project_has_both_coders_suggestions_and_a_crosstab(demo):
    _, project = demo
    assert project.counts()["documents"] == 18
    assert {"gold", "second"} <= set(project.coders())
    sources = set(project.codings("auto")["source_name"])
    assert {"rules.v1", "model.v1"} <= sources
    table = project.crosstab(by="group", count="respondents", coders=["gold"])
    assert table.loc["external_actors", "Total"] == 18
    pooled = project.agree(["gold", "second"]).set_index("code").loc["All codes"]
    assert 0.6 < pooled["cohen_kappa"] < 1.0


def test_demo_key_stays_outside_the_transcripts_and_the_project(demo):
    folder, project = demo
    key = folder / "private" / "key.json"
    assert key.exists() and (key.stat().st_mode & 0o777) == 0o600
    inside = [p for p in (folder / "transcripts").rglob("*") if p.is_file()] + list(project.folder.rglob("*"))
    assert not any("key" in p.name for p in inside)


def test_demo_project_never_holds_the_planted_private_names(demo, eval_dev):
    _, project = demo
    text = "\n".join(project.store.document_texts().values())
    attributes = project.respondents().to_string()
    planted = [json.loads(line) for line in (eval_dev / "pii.jsonl").read_text(encoding="utf-8").splitlines()]
    leaked = [
        item["text"]
        for item in planted
        if item["must_remove"] and re.search(rf"\b{re.escape(item['text'])}\b", text + attributes, flags=re.I)
    ]
    assert leaked == []
    assert "[PERSON_" in text


def test_code_next_offers_uncoded_segments_from_several_respondents(demo):
    _, project = demo
    queue = project.code_next(6)
    assert len(queue) == 6
    coded = set(project.codings("human")["segment_id"])
    assert not set(queue["segment_id"]) & coded
    assert queue["respondent_id"].nunique() >= 3  # spread across respondents, not one transcript
    texts = {s.id: s.text for s in project.segments()}
    assert [texts[i] for i in queue["segment_id"]] == list(queue["text"])
