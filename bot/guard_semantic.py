"""The safety guard's semantic layer: sentence embeddings + a small classifier.

The rules (``data/safety_guard.yml``) name the phrasings someone thought of.
This layer catches paraphrases no rule names ("he went to get an axe", "I just
want it all to stop"): each message is embedded with all-MiniLM-L6-v2
(:mod:`bot.embeddings`) and a multinomial logistic regression, trained on
``data/guard_semantic.yml``, gives a probability for each route and for
"none".  Raw similarity to examples is not enough (MiniLM puts "I'm not in
danger" at cosine 0.90 from "I am in danger"); a classifier trained WITH the
near misses (negations, the past, hypotheticals, questions) learns where the
line is.

* An alert is raised when ``1 - p(none)`` reaches the threshold stored with the
  model, chosen by 5-fold cross-validation on the training data: the lowest
  threshold whose out-of-fold false-alarm rate on "none" examples is at most
  ``TARGET_FALSE_ALARMS``.  The route is the most probable non-"none" label.
* Long messages: up to ``MAX_WINDOWS`` windows of about ``WINDOW_WORDS`` words
  (whole sentences), embedded in one batch; the highest alert wins.
* The weights live in ``data/guard_semantic_model.json``, built by
  ``python -m bot.guard_semantic build`` (deterministic: same data, same model).
  Loading refuses a model built from another version of the training file or
  for another embedding model.

It never returns or logs any part of a message.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import re
import sys
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bot.embeddings import SentenceEmbedder, default_embedder

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DATA_PATH = ROOT / "data" / "guard_semantic.yml"
MODEL_PATH = ROOT / "data" / "guard_semantic_model.json"
NONE = "none"
LABELS = ("none", "danger", "lethal_risk", "suicide", "sexual_violence", "child", "domestic_abuse")
TARGET_FALSE_ALARMS = 0.02
REGULARISATION_C = 4.0
WINDOW_WORDS = 60
MAX_WINDOWS = 8
_SENTENCE_END = re.compile(r"(?<=[.!?…\n])\s+")


class SemanticModelError(RuntimeError):
    """The classifier file is missing, stale, or made for another embedding model."""


def load_training_data(path: Path = DATA_PATH) -> tuple[list[str], list[str], str]:
    """(texts, labels, sha256 of the file); ``danger_from_nlu`` is danger, ``none_from_nlu`` none."""
    raw = path.read_bytes()
    data = yaml.safe_load(raw) or {}
    texts: list[str] = []
    labels: list[str] = []
    for key, items in data.items():
        label = key.removesuffix("_from_nlu")
        if label not in LABELS:
            raise SemanticModelError(f"{path.name}: unknown label {key!r}")
        for item in items or []:
            texts.append(str(item))
            labels.append(label)
    return texts, labels, hashlib.sha256(raw).hexdigest()


def windows(text: str) -> list[str]:
    """The message itself when short; else whole-sentence windows of about WINDOW_WORDS words."""
    words = text.split()
    if len(words) <= WINDOW_WORDS:
        return [text]
    chunks: list[str] = []
    current: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        sentence_words = sentence.split()
        while len(sentence_words) > WINDOW_WORDS:  # one very long sentence
            if current:
                chunks.append(" ".join(current))
                current = []
            chunks.append(" ".join(sentence_words[:WINDOW_WORDS]))
            sentence_words = sentence_words[WINDOW_WORDS:]
        if current and len(current) + len(sentence_words) > WINDOW_WORDS:
            chunks.append(" ".join(current))
            current = []
        current.extend(sentence_words)
    if current:
        chunks.append(" ".join(current))
    if len(chunks) <= MAX_WINDOWS:
        return chunks
    # Keep the first and the last windows and an even spread between them.
    picks = np.linspace(0, len(chunks) - 1, MAX_WINDOWS).round().astype(int)
    return [chunks[i] for i in sorted(set(picks.tolist()))]


class SemanticGuard:
    """Routes a message by meaning: ``classify(text) -> (route, label) | None``."""

    def __init__(self, embedder: SentenceEmbedder, model: dict[str, Any]) -> None:
        self.embedder = embedder
        self.labels: tuple[str, ...] = tuple(model["labels"])
        self.coef = np.asarray(model["coef"], dtype=np.float32)
        self.intercept = np.asarray(model["intercept"], dtype=np.float32)
        self.threshold = float(model["threshold"])
        self._none = self.labels.index(NONE)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities, one row per text (columns in ``self.labels`` order)."""
        return _softmax(self.embedder.embed(list(texts)) @ self.coef.T + self.intercept)

    def scores(self, text: str) -> tuple[float, str]:
        """(alert score = 1 - p(none), most probable route) for the message's worst window."""
        probs = self.probabilities(windows(text))
        alert = 1.0 - probs[:, self._none]
        row = int(np.argmax(alert))
        ranked = probs[row].copy()
        ranked[self._none] = -1.0
        return float(alert[row]), self.labels[int(np.argmax(ranked))]

    def classify(self, text: str) -> tuple[str, str] | None:
        if not text or not text.strip():
            return None
        return self.classify_many(windows(text))

    def classify_many(self, texts: Sequence[str]) -> tuple[str, str] | None:
        """The alert for the worst of several texts (windows or sentences of one message), batched."""
        pieces = [w for text in texts for w in windows(text)][: MAX_WINDOWS + 6]
        if not pieces:
            return None
        probs = self.probabilities(pieces)
        alert = 1.0 - probs[:, self._none]
        row = int(np.argmax(alert))
        if alert[row] < self.threshold:
            return None
        ranked = probs[row].copy()
        ranked[self._none] = -1.0
        route = self.labels[int(np.argmax(ranked))]
        return route, f"semantic_{route}"


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def train(embedder: SentenceEmbedder, data_path: Path = DATA_PATH) -> dict[str, Any]:
    """Train the classifier and choose its threshold (5-fold cross-validation).  Deterministic."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    texts, labels, data_sha = load_training_data(data_path)
    x = embedder.embed(texts).astype(np.float64)
    y = np.array([LABELS.index(label) for label in labels])

    def fit(features: np.ndarray, targets: np.ndarray) -> LogisticRegression:
        model = LogisticRegression(C=REGULARISATION_C, class_weight="balanced", max_iter=5000)
        return model.fit(features, targets)

    out_of_fold = np.zeros((len(texts), len(LABELS)))
    for train_rows, test_rows in StratifiedKFold(5, shuffle=True, random_state=0).split(x, y):
        out_of_fold[test_rows] = fit(x[train_rows], y[train_rows]).predict_proba(x[test_rows])
    alert = 1.0 - out_of_fold[:, 0]
    none_scores = np.sort(alert[y == 0])
    # The lowest threshold with at most TARGET_FALSE_ALARMS of the "none" examples above it.
    allowed = int(np.floor(TARGET_FALSE_ALARMS * len(none_scores)))
    threshold = 0.5
    if allowed < len(none_scores):
        threshold = max(0.5, float(none_scores[len(none_scores) - allowed - 1]) + 1e-6)
    fired = alert >= threshold
    per_label = {
        label: round(float(fired[y == i].mean()), 4) for i, label in enumerate(LABELS) if (y == i).any()
    }
    final = fit(x, y)
    return {
        "about": "Safety guard semantic layer: logistic regression on all-MiniLM-L6-v2 embeddings. "
                 "Built by: python -m bot.guard_semantic build",
        "labels": list(LABELS),
        "coef": np.round(final.coef_, 6).tolist(),
        "intercept": np.round(final.intercept_, 6).tolist(),
        "threshold": round(threshold, 6),
        "training_data_sha256": data_sha,
        "embedding_model_sha256": embedder.model_sha256,
        "examples": {label: int((y == i).sum()) for i, label in enumerate(LABELS)},
        "cross_validation": {
            "folds": 5,
            "target_false_alarms": TARGET_FALSE_ALARMS,
            "alert_rate_by_label": per_label,
        },
    }


def load(embedder: SentenceEmbedder | None = None, model_path: Path = MODEL_PATH,
         data_path: Path = DATA_PATH) -> SemanticGuard:
    """The semantic layer from the committed model; refuses a stale or mismatched one."""
    if not model_path.is_file():
        raise SemanticModelError(f"{model_path.name} not found: run python -m bot.guard_semantic build")
    model = json.loads(model_path.read_text(encoding="utf-8"))
    data_sha = hashlib.sha256(data_path.read_bytes()).hexdigest()
    if model.get("training_data_sha256") != data_sha:
        raise SemanticModelError(
            f"{model_path.name} was built from another version of {data_path.name}: "
            "run python -m bot.guard_semantic build"
        )
    embedder = embedder or default_embedder()
    if model.get("embedding_model_sha256") != embedder.model_sha256:
        raise SemanticModelError(f"{model_path.name} was built for another embedding model")
    return SemanticGuard(embedder, model)


@lru_cache(maxsize=1)
def load_default() -> SemanticGuard:
    """The process-wide semantic layer (loaded once)."""
    return load()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.guard_semantic")
    parser.add_argument("command", choices=["build"], help="train the classifier and write the model file")
    parser.parse_args(argv)
    model = train(default_embedder())
    MODEL_PATH.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    cv = model["cross_validation"]["alert_rate_by_label"]
    print(f"wrote {MODEL_PATH.relative_to(ROOT)}: threshold {model['threshold']:.3f}; "
          f"out-of-fold alert rate by label: {cv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
