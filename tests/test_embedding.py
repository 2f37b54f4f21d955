"""The optional embedding backend, run on a tiny ONNX sentence-embedding model the test builds itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_model import CODES, TOPICS, make_corpus

from coding.coders.model import ModelConfig, train_model
from coding.coders.model_file import load_model, save_model
from coding.errors import QcodeError

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
tokenizers = pytest.importorskip("tokenizers")

from coding.coders.embedding import EmbeddingError, open_embedder  # noqa: E402

DIM = 3


def build_tiny_model(folder: Path) -> Path:
    """A word-level tokenizer and a one-node ONNX graph (token vector lookup): every topic word points
    along its topic's axis, so mean-pooled sentence vectors separate the topics."""
    from onnx import TensorProto, helper, numpy_helper

    words = ["[UNK]", "[PAD]"] + [w for topic in TOPICS.values() for w in topic]
    tokenizer = tokenizers.Tokenizer(
        tokenizers.models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]")
    )
    tokenizer.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    tokenizer.enable_padding(pad_id=1, pad_token="[PAD]")
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(folder / "tokenizer.json"))
    table = np.full((len(words), DIM), 0.05, dtype=np.float32)
    for axis, topic in enumerate(TOPICS.values()):
        for word in topic:
            table[words.index(word), axis] = 1.0
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "input_ids"], ["last_hidden_state"], axis=0)],
        "tiny",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"]),
        ],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "seq", DIM])],
        [numpy_helper.from_array(table, "table")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(folder / "model.onnx"))
    return folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("embedder"))


def test_embeddings_are_mean_pooled_unit_vectors(tiny: Path) -> None:
    embedder = open_embedder(tiny)
    vectors = embedder.embed(["rain storm", "rain storm bread", "", "nothing known here"])
    assert vectors.shape == (4, DIM)
    assert np.allclose(np.linalg.norm(vectors[[0, 1, 3]], axis=1), 1.0)
    assert np.argmax(vectors[0]) == 0 and vectors[1, 1] > vectors[0, 1]  # bread pulls towards food
    assert not vectors[2].any()  # empty text: zeros


def test_model_with_embedding_trains_saves_and_reloads(tiny: Path, tmp_path: Path) -> None:
    texts, labels, groups = make_corpus()
    config = ModelConfig(embedding=str(tiny), embedding_weight=1.0, codebook_text=False)
    model = train_model(texts, labels, groups, CODES, config=config, min_positives=8)
    assert model.features.n_features == model.features.n_sparse + DIM
    assert model.weights.shape[0] == model.features.n_features
    # the embedding columns carry weight: scores change when they are zeroed
    dense = model.weights[model.features.n_sparse :]
    assert np.abs(dense).sum() > 0
    path = tmp_path / "m.skops"
    save_model(model, path)
    loaded = load_model(path)
    assert np.allclose(loaded.predict_proba(texts[:20]), model.predict_proba(texts[:20]))
    assert loaded.predict(["the storm and the thunder mattered"])[0].keys() >= {"weather"}


def test_a_changed_or_missing_embedding_model_is_refused(tiny: Path, tmp_path: Path) -> None:
    texts, labels, groups = make_corpus()
    copy = build_tiny_model(tmp_path / "copy")
    model = train_model(
        texts, labels, groups, CODES, config=ModelConfig(embedding=str(copy), codebook_text=False), min_positives=8
    )
    save_model(model, tmp_path / "m.skops")
    (copy / "model.onnx").write_bytes((tiny / "model.onnx").read_bytes() + b"")  # same bytes: still fine
    load_model(tmp_path / "m.skops")
    (copy / "tokenizer.json").write_text((copy / "tokenizer.json").read_text().replace("rain", "rainy"))
    with pytest.raises(EmbeddingError, match="changed since"):
        load_model(tmp_path / "m.skops")
    with pytest.raises(QcodeError, match="no model.onnx"):
        open_embedder(tmp_path / "nowhere")
