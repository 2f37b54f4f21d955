"""A trained model applied: calibrated confidences, suggestions with a short reason, proposals to store.

CodeModel holds per-code linear weights over the features (coding.coders.features), a calibration row
per code (score slope, rule-hit slope, intercept) and a threshold on the calibrated probability; codes
without a classifier can let their keyword rule stand in (`status`, `rule_confidence`). It is made by
coding.coders.estimation.train_model and saved by coding.coders.model_file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coding.coders.features import SegmentFeatures, word_contributions
from coding.coders.metrics import indicator
from coding.errors import QcodeError
from coding.models import MODEL, Proposal, Segment

NAME = "model.v1"
REASON_TERMS = 3  # words named in a suggestion's reason

# A code's status: what stands behind its suggestions.
MODELLED = "model"
RULES_ONLY = "rules only"
NOTHING = "no suggestions"


class ModelError(QcodeError):
    """A model cannot be trained, loaded or applied as asked."""


class ModelCodebookWarning(UserWarning):
    """The codebook gained codes (or changed rules) since the model was trained: retraining helps."""


@dataclass(frozen=True)
class Suggestion:
    """One suggested code for one text: its calibrated confidence and why, in a few words."""

    code: str
    confidence: float
    reason: str
    by: str = MODELLED  # MODELLED, or RULES_ONLY for a code whose rule stands in for the model


@dataclass
class CodeModel:
    """A trained model: per-code linear scores, Platt calibration and thresholds on the probability."""

    code_ids: list[str]  # every code of the codebook it was trained with
    modelled: list[str]  # codes with a classifier, in the column order of predict_proba
    skipped: dict[str, str]  # code id -> why it has no classifier
    features: SegmentFeatures
    weights: np.ndarray  # (n_features, n_modelled)
    bias: np.ndarray  # (n_modelled,)
    calibration: np.ndarray  # (n_modelled, 3): score slope, rule-hit slope, intercept
    thresholds: np.ndarray  # (n_modelled,) on calibrated probability
    parents: dict[str, str] = field(default_factory=dict)  # child -> parent, among modelled codes
    uses_rules: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)
    source_name: str = NAME
    # code -> (status, explanation): MODELLED, RULES_ONLY or NOTHING, and why, for every code
    status: dict[str, tuple[str, str]] = field(default_factory=dict)
    # code -> confidence of a rule hit, for RULES_ONLY codes (the rule's precision on the training texts)
    rule_confidence: dict[str, float] = field(default_factory=dict)

    def scores(
        self, texts: Sequence[str], questions: Sequence[str] | None = None, neighbours: Sequence[str] | None = None
    ) -> np.ndarray:
        """Raw classifier margins, (n_texts, n_modelled)."""
        check_context(len(texts), questions, neighbours)
        features = self.features.transform(list(texts), questions, neighbours)
        return np.asarray(features @ self.weights) + self.bias

    def predict_proba(
        self,
        texts: Sequence[str],
        rule_hits: Sequence[set[str]] | None = None,
        *,
        questions: Sequence[str] | None = None,
        neighbours: Sequence[str] | None = None,
    ) -> np.ndarray:
        """Calibrated confidence of every modelled code, (n_texts, n_modelled) in `modelled` order.

        A child code implies its parent, so a parent is at least as likely as its likeliest child.
        """
        rules = self._rule_matrix(rule_hits, len(texts))
        proba = calibrate(self.scores(texts, questions, neighbours), rules, self.calibration)
        column = {code: j for j, code in enumerate(self.modelled)}
        for child in sorted(self.parents, key=self._depth, reverse=True):  # grandchildren first
            parent = self.parents[child]
            proba[:, column[parent]] = np.maximum(proba[:, column[parent]], _decided(proba, column, child, self))
        return proba

    def _depth(self, code: str) -> int:
        depth, seen = 0, {code}
        while code in self.parents and self.parents[code] not in seen:
            code = self.parents[code]
            seen.add(code)
            depth += 1
        return depth

    def predict(
        self,
        texts: Sequence[str],
        rule_hits: Sequence[set[str]] | None = None,
        *,
        questions: Sequence[str] | None = None,
        neighbours: Sequence[str] | None = None,
        fallback: bool = False,
    ) -> list[dict[str, float]]:
        """Per text, {code id: confidence} for the modelled codes at or above their threshold.

        With `fallback` (and rule hits given), also the RULES_ONLY codes whose rule matched, at the
        rule's confidence.
        """
        proba = self.predict_proba(texts, rule_hits, questions=questions, neighbours=neighbours)
        chosen = proba >= self.thresholds
        found = [
            {self.modelled[j]: round(float(proba[i, j]), 4) for j in np.flatnonzero(chosen[i])}
            for i in range(len(proba))
        ]
        if fallback and rule_hits is not None:
            for row, hits in zip(found, rule_hits, strict=True):
                stand_in = {code: self.rule_confidence[code] for code in hits if code in self.rule_confidence}
                row.update({code: round(value, 4) for code, value in stand_in.items()})
        return found

    def suggest(
        self,
        texts: Sequence[str],
        rule_hits: Sequence[set[str]] | None = None,
        *,
        questions: Sequence[str] | None = None,
        neighbours: Sequence[str] | None = None,
        fallback: bool = True,
    ) -> list[list[Suggestion]]:
        """Per text, its suggestions with calibrated confidence and a short reason, likeliest first.

        Modelled codes come from the classifier. With `fallback` (and rule hits given), a code that has
        no classifier (status RULES_ONLY) is suggested where its keyword rule matched, marked as such.
        """
        proba = self.predict_proba(texts, rule_hits, questions=questions, neighbours=neighbours)
        rules = self._rule_matrix(rule_hits, len(texts))
        found: list[list[Suggestion]] = []
        for i, text in enumerate(texts):
            row: list[Suggestion] = []
            for j in np.flatnonzero(proba[i] >= self.thresholds):
                reason = self._reason(text, int(j), bool(rules[i, j]))
                row.append(Suggestion(self.modelled[j], round(float(proba[i, j]), 4), reason))
            if fallback and rule_hits is not None:
                for code in sorted(rule_hits[i] & set(self.rule_confidence)):
                    why = f"keyword rule only ({self.status[code][1]})"
                    row.append(Suggestion(code, round(self.rule_confidence[code], 4), why, RULES_ONLY))
            found.append(sorted(row, key=lambda s: -s.confidence))
        return found

    def explain(
        self, text: str, code: str, *, rule_hit: bool = False, question: str = "", neighbours: str = ""
    ) -> Suggestion | None:
        """The confidence and reason behind `code` on one text (e.g. for a stored suggestion being shown).

        None when the model says nothing about the code: it has no classifier and no rule stand-in, or
        its rule stands in and did not match.
        """
        if code in self.rule_confidence:
            return (
                Suggestion(
                    code,
                    round(self.rule_confidence[code], 4),
                    f"keyword rule only ({self.status[code][1]})",
                    RULES_ONLY,
                )
                if rule_hit
                else None
            )
        if code not in self.modelled:
            return None
        j = self.modelled.index(code)
        hits = [{code} if rule_hit else set()] if self.uses_rules else None
        proba = self.predict_proba([text], hits, questions=[question], neighbours=[neighbours])
        return Suggestion(code, round(float(proba[0, j]), 4), self._reason(text, j, rule_hit))

    def _reason(self, text: str, j: int, rule_hit: bool) -> str:
        """The matched rule (when the calibration counts it) and the words that weighed most for code j."""
        parts = []
        if rule_hit and self.calibration[j, 1] > 0:
            parts.append("keyword rule matched")
        if self.calibration[j, 0] > 0:
            weights = self.weights[: self.features.text.n_features, j]
            contributions = word_contributions(self.features.text, text, weights)
            top = sorted((v, w) for w, v in contributions.items() if v > 0)[::-1][:REASON_TERMS]
            if top:
                parts.append("words: " + ", ".join(f"'{word}'" for _, word in top))
        child = next((c for c, p in self.parents.items() if p == self.modelled[j]), None)
        if not parts and child is not None:
            parts.append("a sub-code was suggested")
        return "; ".join(parts) or "the model's score"

    def propose(self, segments: Sequence[Segment], rule_hits: Sequence[set[str]] | None = None) -> list[Proposal]:
        """One proposal per (stored segment, suggested code)."""
        if any(segment.id is None for segment in segments):
            raise ModelError("segments must be stored (have an id) before autocoding")
        predicted = self.predict([segment.text for segment in segments], rule_hits)
        return [
            Proposal(int(segment.id or 0), code, MODEL, self.source_name, confidence)
            for segment, codes in zip(segments, predicted, strict=True)
            for code, confidence in codes.items()
        ]

    def _rule_matrix(self, rule_hits: Sequence[set[str]] | None, n_texts: int) -> np.ndarray:
        if not self.uses_rules:
            return np.zeros((n_texts, len(self.modelled)), dtype=np.float32)
        if rule_hits is None:
            raise ModelError("this model was trained with keyword-rule hits; pass rule_hits to predict")
        if len(rule_hits) != n_texts:
            raise ModelError(f"got {len(rule_hits)} rule-hit sets for {n_texts} texts")
        return indicator(rule_hits, self.modelled)


def _decided(proba: np.ndarray, column: dict[str, int], child: str, model: CodeModel) -> np.ndarray:
    """The child's confidence where it passes its own threshold, else 0."""
    j = column[child]
    return np.where(proba[:, j] >= model.thresholds[j], proba[:, j], 0.0)


def check_context(n: int, questions: Sequence[str] | None, neighbours: Sequence[str] | None) -> None:
    """Context given for every text or not at all: one question and one neighbourhood per text."""
    for name, values in (("questions", questions), ("neighbours", neighbours)):
        if values is not None and len(values) != n:
            raise ModelError(f"got {len(values)} {name} for {n} texts")


def calibrate(scores: np.ndarray, rules: np.ndarray, calibration: np.ndarray) -> np.ndarray:
    """Probabilities from scores and rule hits through each code's calibration row (training uses it too)."""
    logits = scores * calibration[:, 0] + rules * calibration[:, 1] + calibration[:, 2]
    return 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))
