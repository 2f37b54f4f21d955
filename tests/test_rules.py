"""Rule-based coder: keywords, lemmas and patterns, implied parents, exact offsets, dev-set floor."""

from __future__ import annotations

import importlib.util
import sys
import warnings
from pathlib import Path

import pytest

from coding.codebook import load_codebook
from coding.coders import rules
from coding.coders.rules import BlankLemmaWarning, RuleCoder
from coding.models import RULE, Code, Codebook, MatchRules, Proposal, Segment
from coding.nlp import BLANK, available_pipeline

REPO = Path(__file__).resolve().parents[1]

# Measured macro F1 of the reference codebook on eval-dev: 0.65 (docs/rules.md). The floor sits a bit
# below, so a careless rule change that costs recall or precision is caught.
DEV_MACRO_F1_FLOOR = 0.60

needs_lemmas = pytest.mark.skipif(available_pipeline() == BLANK, reason="no trained spaCy pipeline installed")


def small_codebook() -> Codebook:
    return Codebook(
        name="small",
        version="1",
        codes=[
            Code("actors", "Actors"),
            Code("actors.russia", "Russia", parent="actors", rules=MatchRules(keywords=["moscow", "border guards"])),
            Code(
                "actors.russia.army",
                "Russian army",
                parent="actors.russia",
                rules=MatchRules(patterns=[[{"LOWER": "201st"}, {"LOWER": "division", "OP": "?"}]]),
            ),
            Code("actors.us", "United States", parent="actors", rules=MatchRules(patterns=[[{"ORTH": "US"}]])),
            Code("corruption", "Corruption", rules=MatchRules(lemmas=["sell", "bribe"])),
            Code("power", "Power sharing", rules=MatchRules(lemmas=["share power"], keywords=["30%"])),
            Code("justice", "Justice", rules=MatchRules(lemmas=["amnesty"])),
        ],
    )


@pytest.fixture(scope="module")
def coder() -> RuleCoder:
    if available_pipeline() == BLANK:
        pytest.skip("no trained spaCy pipeline installed")
    return RuleCoder(small_codebook())


@needs_lemmas
def test_lemma_rule_matches_inflected_forms(coder: RuleCoder) -> None:
    assert coder.match_texts(["They sold the post twice.", "He was bribed.", "We sell nothing."]) == [
        {"corruption"},
        {"corruption"},
        {"corruption"},
    ]


@needs_lemmas
def test_lemma_phrases_and_capitalised_lemmas(coder: RuleCoder) -> None:
    assert coder.match_texts(["They shared power with us.", "Amnesty was declared in 1997."]) == [
        {"power"},
        {"justice"},
    ]


@needs_lemmas
def test_keywords_ignore_case(coder: RuleCoder) -> None:
    found = coder.match_texts(["MOSCOW decided.", "moscow decided.", "The Border Guards stayed.", "30% of posts"])
    assert found == [{"actors.russia", "actors"}] * 3 + [{"power"}]


@needs_lemmas
def test_child_implies_parent_and_every_ancestor(coder: RuleCoder) -> None:
    assert coder.match_texts(["The 201st division stayed."]) == [{"actors.russia.army", "actors.russia", "actors"}]


@needs_lemmas
def test_patterns_respect_context(coder: RuleCoder) -> None:
    assert coder.match_texts(["The US envoy came.", "He told us nothing.", ""]) == [
        {"actors.us", "actors"},
        set(),
        set(),
    ]


@needs_lemmas
def test_spans_recut_the_text_exactly_on_non_ascii(coder: RuleCoder) -> None:
    text = "Ҳукумат — “Moscow” said «no»; the mullahs sold… the 201st Division’s posts in Хоруғ. MOSCOW again."
    spans = coder.match_spans(text)
    assert [(text[start:end], code) for start, end, code in spans] == [
        ("Moscow", "actors.russia"),
        ("sold", "corruption"),
        ("201st Division", "actors.russia.army"),  # not also "201st": the shorter match is inside
        ("MOSCOW", "actors.russia"),
    ]


@needs_lemmas
def test_propose_gives_rule_proposals_per_stored_segment(coder: RuleCoder) -> None:
    segments = [
        Segment("R01", 1, "sentence", 0, 0, 17, "Moscow sold arms.", id=11),
        Segment("R01", 1, "sentence", 1, 18, 30, "Nothing here", id=12),
    ]
    proposals = coder.propose(segments)
    assert proposals == [
        Proposal(11, "actors", RULE, "rules.v1", 1.0),
        Proposal(11, "actors.russia", RULE, "rules.v1", 1.0),
        Proposal(11, "corruption", RULE, "rules.v1", 1.0),
    ]
    assert RuleCoder.NAME == "rules.v1"


@needs_lemmas
def test_propose_refuses_unstored_segments(coder: RuleCoder) -> None:
    with pytest.raises(ValueError, match="stored"):
        coder.propose([Segment("R01", 1, "sentence", 0, 0, 6, "Moscow")])


def test_blank_pipeline_falls_back_to_words_and_warns_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "_warned_blank", False)
    with pytest.warns(BlankLemmaWarning):
        blank = RuleCoder(small_codebook(), BLANK)
    assert not blank.has_lemmas
    found = blank.match_texts(["We sell nothing.", "They sold it.", "Moscow and the US."])
    assert found == [{"corruption"}, set(), {"actors", "actors.russia", "actors.us"}]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        RuleCoder(small_codebook(), BLANK)  # the second coder stays quiet


@needs_lemmas
def test_reference_codebook_on_plain_sentences() -> None:
    coder = RuleCoder(load_codebook(REPO / "codebooks" / "peace_process.yaml"))
    texts = [
        "The Russian border guards stayed on the river until 2005.",
        "Nobody asked us, it was decided behind closed doors.",
        "Tell us what you remember.",
    ]
    found = coder.match_texts(texts)
    assert {"external_actors", "external_actors.russia"} <= found[0]
    assert "exclusivity" in found[1]
    assert found[2] == set()


def load_bench():
    spec = importlib.util.spec_from_file_location("evaluate_rules", REPO / "bench" / "evaluate_rules.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


@needs_lemmas
def test_dev_set_macro_f1_stays_above_floor(eval_dev: Path) -> None:
    result = load_bench().run(eval_dev)
    macro = result.row("macro")
    assert macro.f1 >= DEV_MACRO_F1_FLOOR, macro
    assert result.turns > 0
