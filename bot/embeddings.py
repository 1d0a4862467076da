"""Sentence embeddings (all-MiniLM-L6-v2, int8 ONNX): re-exported from the neutral :mod:`embedding.minilm`.

The embedder lives outside ``bot`` so that the NLU (``nlu/``) can use the same model
without importing the bot; everything the guard and its tests used from here still is.
"""
from embedding.minilm import (  # noqa: F401
    CACHE_DIR,
    DIMENSIONS,
    MAX_TOKENS,
    MODEL_PACKAGE,
    MODEL_SHA256,
    RUNTIME_SHA256,
    VOCAB_PATH,
    VOCAB_SHA256,
    EmbeddingModelError,
    SentenceEmbedder,
    WordPieceTokenizer,
    build_runtime_model,
    default_embedder,
    runtime_model_path,
)
