"""Learned coder: code suggestions learned from the researcher's own coding and codebook.

One linear SVM per code over word and character n-gram TF-IDF (coding.coders.features), optionally
with the features scaled by the code's naive-Bayes log-count ratios (NB-SVM), the codebook's own
definitions, include notes and examples as extra positive texts, the interviewer's question and the
neighbouring units as separate feature blocks, and a sentence embedding (coding.coders.embedding).
Each code's decision threshold and its confidence calibration come from out-of-fold scores of an
inner cross-validation grouped by respondent, so a respondent's own turns never vouch for themselves.
When the caller supplies keyword-rule hits, the code's own rule hit enters the calibration as a
second input next to the classifier's score: the data decide how much a rule match is worth.
Codes with too few coded examples get no classifier and say so (`CodeModel.status`); their keyword
rule stands in, with the rule's precision on the training texts as its confidence.

Pure: texts in, confidences out. This module is the learned coder's public face; its parts have one job
each: training_set.py (what a model learns from, each code's status), estimation.py (ModelConfig,
train_model: fits, folds, thresholds, calibration), suggester.py (CodeModel: the trained model applied)
and cross_validation.py (cross-validated estimates). Saving and loading live in model_file.py (skops,
plain data only).
"""

from __future__ import annotations

from coding.coders.cross_validation import cross_validate_model, cross_validated_predictions, evaluation_table
from coding.coders.estimation import ModelConfig, grouped_folds, train_model, training_hash
from coding.coders.metrics import code_metrics
from coding.coders.suggester import (
    MODELLED,
    NAME,
    NOTHING,
    RULES_ONLY,
    CodeModel,
    ModelCodebookWarning,
    ModelError,
    Suggestion,
)
from coding.coders.training_set import MIN_POSITIVES, codebook_texts

__all__ = [
    "MIN_POSITIVES",
    "MODELLED",
    "NAME",
    "NOTHING",
    "RULES_ONLY",
    "CodeModel",
    "ModelCodebookWarning",
    "ModelConfig",
    "ModelError",
    "Suggestion",
    "code_metrics",
    "codebook_texts",
    "cross_validate_model",
    "cross_validated_predictions",
    "evaluation_table",
    "grouped_folds",
    "train_model",
    "training_hash",
]
