"""Sentence embeddings from a model folder on disk, for the learned coder's optional semantic features.

The folder holds an ONNX export of a sentence-embedding model (`model.onnx`) and its Hugging Face
tokenizer (`tokenizer.json`), e.g. what `optimum-cli export onnx` writes for a sentence-transformers
model. ONNX Runtime runs it on the CPU; token vectors are mean-pooled over the attention mask and
scaled to unit length. Nothing is ever downloaded: a missing file is an error.

ONNX Runtime and tokenizers are an optional extra (`pip install qcode[embeddings]`); nothing else in
qcode imports this module, so the default install needs neither.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from coding.errors import QcodeError

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
MAX_TOKENS = 256  # longer units are cut: sentence-embedding models are trained on short passages
BATCH = 32
BACKEND = "onnx"


class EmbeddingError(QcodeError):
    """The embedding model folder cannot be used as asked."""


def _fingerprint(folder: Path) -> str:
    digest = hashlib.sha256()
    for name in (MODEL_FILE, TOKENIZER_FILE):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()


class OnnxEmbedder:
    """Embeds texts with an ONNX sentence-embedding model; remembers texts it has embedded."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder).expanduser().resolve()
        missing = [name for name in (MODEL_FILE, TOKENIZER_FILE) if not (self.folder / name).is_file()]
        if missing:
            raise EmbeddingError(f"{self.folder}: no {' or '.join(missing)} (an ONNX sentence-embedding model folder)")
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as error:
            raise EmbeddingError(
                "the embedding option needs ONNX Runtime and tokenizers: pip install 'qcode[embeddings]'"
            ) from error
        try:
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1  # the machine's other cores run the SVM fits
            self.session = onnxruntime.InferenceSession(
                str(self.folder / MODEL_FILE), options, providers=["CPUExecutionProvider"]
            )
            self.tokenizer = Tokenizer.from_file(str(self.folder / TOKENIZER_FILE))
        except Exception as error:  # a corrupt or foreign file: one line, not a stack trace
            raise EmbeddingError(f"{self.folder}: not a usable ONNX model and tokenizer ({error})") from error
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding()
        self.inputs = [node.name for node in self.session.get_inputs()]
        self.fingerprint = _fingerprint(self.folder)
        self._cache: dict[str, np.ndarray] = {}
        self.dimension = int(self._run(["a"]).shape[1])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(n_texts, dimension) unit-length vectors; an empty text gets zeros."""
        todo = sorted({text for text in texts if text and text not in self._cache})
        for start in range(0, len(todo), BATCH):
            batch = todo[start : start + BATCH]
            self._cache.update(zip(batch, self._run(batch), strict=True))
        zeros = np.zeros(self.dimension, dtype=np.float32)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack([self._cache[text] if text else zeros for text in texts])

    def _run(self, texts: list[str]) -> np.ndarray:
        encoded = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        available = {
            "input_ids": ids,
            "attention_mask": mask,
            "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
        }
        unknown = [name for name in self.inputs if name not in available]
        if unknown:
            raise EmbeddingError(f"{self.folder}: the model asks for inputs qcode cannot give ({', '.join(unknown)})")
        output = np.asarray(
            self.session.run(None, {name: available[name] for name in self.inputs})[0], dtype=np.float32
        )
        if output.ndim == 3:  # token vectors: mean over the real tokens
            weights = mask[:, :, None].astype(np.float32)
            output = (output * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
        norms = np.linalg.norm(output, axis=1, keepdims=True)
        return (output / np.maximum(norms, 1e-12)).astype(np.float32)

    def state(self) -> dict[str, Any]:
        """Plain data saved with a model: which folder, and a fingerprint to check it is unchanged."""
        return {"backend": BACKEND, "folder": str(self.folder), "sha256": self.fingerprint, "dimension": self.dimension}


def open_embedder(folder: str | Path) -> OnnxEmbedder:
    return OnnxEmbedder(folder)


def reopen_embedder(state: dict[str, Any]) -> OnnxEmbedder:
    """The embedding model a saved qcode model used: the same folder with the same files, or an error."""
    if state.get("backend") != BACKEND:
        raise EmbeddingError(f"unknown embedding backend {state.get('backend')!r} in the model file")
    embedder = OnnxEmbedder(str(state["folder"]))
    if embedder.fingerprint != state["sha256"] or embedder.dimension != int(state["dimension"]):
        raise EmbeddingError(
            f"{embedder.folder}: the embedding model changed since the code model was trained; retrain it"
        )
    return embedder
