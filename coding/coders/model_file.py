"""The learned coder's model file: saved with skops as plain data only, versioned, and checked on load
against the codebook it was trained with. Split from model.py, which fits and applies the model."""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from coding.coders.features import SegmentFeatures
from coding.coders.model import MODELLED, NOTHING, CodeModel, ModelCodebookWarning, ModelError

# -- saving and loading ---------------------------------------------------------------------------

FORMAT = 2  # 2: SegmentFeatures (context blocks, embedding), status and rule confidence per code
READABLE_FORMATS = (1, 2)  # format 1 (text features only) still loads
# Types skops may rebuild from a model file. The file holds plain data only (dicts, lists, str,
# numbers, numpy arrays), which skops treats as safe, so nothing else is trusted: a file that asks for
# any other type (a crafted file, or another tool's model) is refused before anything is built.
TRUSTED_TYPES: tuple[str, ...] = ()


def save_model(
    model: CodeModel, path: str | Path, *, codebook_version: str | None = None, data_hash: str | None = None
) -> None:
    """Write the model as a skops file of plain data (no pickle).

    `codebook_version` and `data_hash` (the caller's own training-data hash) are stored in the metadata
    next to the model's own, when the caller knows them better than the model does.
    """
    import skops.io as sio

    if codebook_version is not None:
        model.metadata["codebook_version"] = codebook_version
    if data_hash is not None:
        model.metadata["caller_data_hash"] = data_hash

    state = {
        "format": FORMAT,
        "source_name": model.source_name,
        "code_ids": list(model.code_ids),
        "modelled": list(model.modelled),
        "skipped": dict(model.skipped),
        "features": model.features.state(),
        "status": {code: list(pair) for code, pair in model.status.items()},
        "rule_confidence": dict(model.rule_confidence),
        "weights": model.weights,
        "bias": model.bias,
        "calibration": model.calibration,
        "thresholds": model.thresholds,
        "parents": dict(model.parents),
        "uses_rules": model.uses_rules,
        "metadata": json.dumps(model.metadata),
    }
    sio.dump(state, Path(path))


def load_model(
    path: str | Path, *, codebook_version: str | None = None, code_ids: Sequence[str] | None = None
) -> CodeModel:
    """Read a model saved by save_model and check it against the current codebook.

    Refuses (ModelError) when a modelled code is missing from `code_ids`; warns when the codebook only
    gained codes or its version changed.
    """
    import skops.io as sio

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no model file")
    try:
        untrusted = sio.get_untrusted_types(file=path)
        unexpected = sorted(set(untrusted) - set(TRUSTED_TYPES))
        if unexpected:
            raise ModelError(f"{path}: refusing to load a model file that contains untrusted types {unexpected}")
        state = sio.load(path, trusted=list(TRUSTED_TYPES))
    except ModelError:
        raise
    except Exception as error:  # a corrupt or foreign file: say so instead of a stack trace
        raise ModelError(f"{path}: not a readable qcode model ({error})") from error
    if not isinstance(state, dict) or state.get("format") not in READABLE_FORMATS or not _plain(state):
        raise ModelError(f"{path}: not a qcode model file of format {' or '.join(map(str, READABLE_FORMATS))}")
    try:
        model = _from_state(state)
    except (KeyError, TypeError, ValueError) as error:
        raise ModelError(f"{path}: not a complete qcode model ({error!r} is missing or malformed)") from error
    _check_codebook(model, path, codebook_version, code_ids)
    return model


def _plain(value: object) -> bool:
    """True when value is built only of dicts, lists, tuples, str, numbers, None and numeric arrays."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_plain(item) for item in value)
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "biuf"
    return value is None or isinstance(value, str | int | float | np.integer | np.floating)


def _from_state(state: dict[str, Any]) -> CodeModel:
    if state["format"] == 1:  # text features only, no status: every skipped code was "too few examples"
        features = SegmentFeatures.from_state(_format1_features(state["features"]))
        status = {code: (MODELLED, "model") for code in state["modelled"]}
        status.update({code: (NOTHING, str(why)) for code, why in state["skipped"].items()})
        rule_confidence: dict[str, float] = {}
    else:
        features = SegmentFeatures.from_state(state["features"], _reopen_embedder(state["features"]["embedding"]))
        status = {code: (str(kind), str(why)) for code, (kind, why) in state["status"].items()}
        rule_confidence = {code: float(value) for code, value in state["rule_confidence"].items()}
    return CodeModel(
        code_ids=list(state["code_ids"]),
        modelled=list(state["modelled"]),
        skipped=dict(state["skipped"]),
        features=features,
        weights=np.asarray(state["weights"], dtype=np.float32),
        bias=np.asarray(state["bias"], dtype=np.float32),
        calibration=np.asarray(state["calibration"], dtype=np.float64),
        thresholds=np.asarray(state["thresholds"], dtype=np.float64),
        parents=dict(state["parents"]),
        uses_rules=bool(state["uses_rules"]),
        metadata=json.loads(state["metadata"]),
        source_name=str(state["source_name"]),
        status=status,
        rule_confidence=rule_confidence,
    )


def _format1_features(text_state: dict[str, Any]) -> dict[str, Any]:
    return {
        "text": text_state,
        "question": None,
        "neighbours": None,
        "question_weight": 0.0,
        "neighbour_weight": 0.0,
        "embedding": None,
        "embedding_weight": 0.0,
    }


def _reopen_embedder(state: dict[str, Any] | None) -> Any:
    """The embedding model a saved model was trained with, from the same folder and unchanged."""
    if state is None:
        return None
    from coding.coders.embedding import reopen_embedder

    return reopen_embedder(state)


def _check_codebook(model: CodeModel, path: Path, codebook_version: str | None, code_ids: Sequence[str] | None) -> None:
    if code_ids is not None:
        missing = [code for code in model.modelled if code not in set(code_ids)]
        if missing:
            raise ModelError(
                f"{path}: the codebook no longer has codes this model suggests ({', '.join(missing)}); "
                "retrain the model on the current codebook"
            )
        added = [code for code in code_ids if code not in set(model.code_ids)]
        if added:
            warnings.warn(
                f"the codebook has codes this model never learned ({', '.join(added)}); "
                "they get no suggestions until the model is retrained",
                ModelCodebookWarning,
                stacklevel=3,
            )
    trained_with = model.metadata.get("codebook_version", "")
    if codebook_version and trained_with and codebook_version != trained_with:
        warnings.warn(
            f"the model was trained with codebook version {trained_with}, the codebook is now "
            f"{codebook_version}; suggestions may drift until the model is retrained",
            ModelCodebookWarning,
            stacklevel=3,
        )


# -- cross-validation -----------------------------------------------------------------------------
