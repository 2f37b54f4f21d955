"""What a model learns from: the coded texts (checked to line up), the codebook's own words about each
code as extra positive texts, and which codes have enough examples for a classifier, with why for the
others (their status: a keyword rule standing in, or nothing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from coding.coders.metrics import indicator
from coding.coders.suggester import MODELLED, NOTHING, RULES_ONLY, ModelError
from coding.models import Codebook

MIN_POSITIVES = 3  # coded examples a code needs for a classifier (with fewer, calibration has nothing to fit)


def codebook_texts(codebook: Codebook) -> dict[str, list[str]]:
    """Per code, what the researcher wrote about it: definition, include note and examples.

    These enter training as extra positive texts of the code (and of its ancestors, as a coded
    child implies its parent). Exclude notes are left out: they describe what the code is not, often
    in the words of the neighbouring codes.
    """
    return {
        code.id: [text for text in (code.definition, code.include, *code.examples) if text and text.strip()]
        for code in codebook.codes
    }


def codes_with_rules(codebook: Codebook) -> set[str]:
    return {code.id for code in codebook.codes if code.rules.keywords or code.rules.lemmas or code.rules.patterns}


def code_status(
    targets: np.ndarray,
    code_ids: list[str],
    min_positives: int,
    written: Mapping[str, list[str]],
    codebook: Codebook | None,
    rule_hits: Sequence[set[str]] | None,
) -> tuple[list[str], dict[str, tuple[str, str]]]:
    """Which codes get a classifier, and for every code what stands behind its suggestions and why."""
    positives = targets.sum(axis=0).astype(int)
    negatives = len(targets) - positives
    with_rules = codes_with_rules(codebook) if codebook is not None else set(code_ids)
    modelled: list[str] = []
    status: dict[str, tuple[str, str]] = {}
    for code, n_pos, n_neg in zip(code_ids, positives, negatives, strict=True):
        if n_pos >= min_positives and n_neg >= min_positives:
            modelled.append(code)
            source = " + codebook text" if written.get(code) else ""
            status[code] = (MODELLED, f"{n_pos} coded examples{source}")
            continue
        if n_pos < min_positives:
            why = f"too few coded examples (n={n_pos}, needs {min_positives})"
        else:
            why = f"too few texts without this code (n={n_neg})"
        if rule_hits is not None and code in with_rules:
            status[code] = (RULES_ONLY, why)
        else:
            status[code] = (NOTHING, why + "; no keyword rules to fall back on")
    return modelled, status


def written_examples(
    written: Mapping[str, list[str]], parents: Mapping[str, str | None], modelled: Sequence[str]
) -> tuple[list[str], list[set[str]]]:
    """The codebook's texts as training texts, each positive for its code and the code's ancestors."""
    texts: list[str] = []
    labels: list[set[str]] = []
    for code in modelled:
        for text in written.get(code, []):
            codes, current = {code}, parents.get(code)
            while current and current not in codes:
                codes.add(current)
                current = parents.get(current)
            texts.append(text)
            labels.append(codes)
    return texts, labels


def rule_precision(
    targets: np.ndarray, code_ids: list[str], rule_hits: Sequence[set[str]] | None, status: dict[str, tuple[str, str]]
) -> dict[str, float]:
    """For codes whose rule stands in: how often a rule hit was right on the training texts (add-one smoothed)."""
    if rule_hits is None:
        return {}
    hits = indicator(rule_hits, code_ids)
    found: dict[str, float] = {}
    for j, code in enumerate(code_ids):
        if status[code][0] == RULES_ONLY:
            right = float((hits[:, j] * targets[:, j]).sum())
            found[code] = (right + 1.0) / (float(hits[:, j].sum()) + 2.0)
    return found


def check_lengths(
    texts: Sequence[str], labels: Sequence[set[str]], groups: Sequence[str], rule_hits: Sequence[set[str]] | None
) -> None:
    sizes = {"texts": len(texts), "labels": len(labels), "groups": len(groups)}
    if rule_hits is not None:
        sizes["rule_hits"] = len(rule_hits)
    if len(set(sizes.values())) != 1:
        raise ModelError(f"inputs differ in length: {sizes}")
