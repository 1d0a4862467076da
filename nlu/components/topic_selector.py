# ruff: noqa: UP006, UP035  (Rasa reads these type hints: typing.List/Dict/Text, as its own components)
"""The knowledge base's topic selector: which ``faq/<topic>`` answers a question (issue 12).

A drop-in for Rasa's ResponseSelector on one retrieval intent (``faq``): the same
output (``response_selector.faq.response`` with the chosen ``intent_response_key``,
its responses and confidence, and a ``ranking``), from a multinomial logistic
regression over the sentence vectors of the named dense featurizers (the MiniLM
vectors, each scaled to unit length so the featurizer's ``scale`` does not change the
fit).  Compared on a validation split of the training data, the external set and the
held-out file (docs/nlu-evaluation.md), it ranked topics better than the
ResponseSelector and trains in seconds instead of a minute and a half.

The trained weights are stored as plain arrays (``.npz``) and the labels as JSON: no
pickle is read at load time.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

SELECTOR = "response_selector"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TopicSelector(GraphComponent):
    """Logistic regression over sentence vectors: the retrieval intent's topic, ranked."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"retrieval_intent": "faq", "featurizers": [], "C": 16.0, "max_iter": 2000,
                "ranking_length": 10, "random_state": 42}

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> TopicSelector:
        return cls({**cls.get_default_config(), **config}, model_storage, resource)

    def __init__(self, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 weights: Optional[np.ndarray] = None, bias: Optional[np.ndarray] = None,
                 labels: Optional[List[str]] = None,
                 responses: Optional[Dict[str, List[Dict[str, Any]]]] = None) -> None:
        self.config = config
        self.retrieval_intent = str(config["retrieval_intent"])
        self._model_storage = model_storage
        self._resource = resource
        self.weights, self.bias = weights, bias
        self.labels = labels or []
        self.responses = responses or {}

    # -- features -------------------------------------------------------------------------
    def _vectors(self, messages: List[Message]) -> np.ndarray:
        featurizers = list(self.config.get("featurizers") or []) or None
        rows = []
        for message in messages:
            _, sentence = message.get_dense_features(TEXT, featurizers)
            vector = np.asarray(sentence.features, dtype=np.float64).reshape(-1) if sentence else np.zeros(1)
            norm = float(np.linalg.norm(vector))
            rows.append(vector / norm if norm > 0 else vector)
        return np.vstack(rows)

    # -- training -------------------------------------------------------------------------
    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.linear_model import LogisticRegression

        examples = [m for m in training_data.intent_examples
                    if m.get(INTENT) == self.retrieval_intent and m.get(INTENT_RESPONSE_KEY) and m.get(TEXT)]
        if not examples:
            logger.debug("TopicSelector: no examples of '%s'; nothing trained.", self.retrieval_intent)
            return self._resource
        keys = [str(m.get(INTENT_RESPONSE_KEY)) for m in examples]
        model = LogisticRegression(C=float(self.config["C"]), max_iter=int(self.config["max_iter"]),
                                   random_state=int(self.config["random_state"]))
        model.fit(self._vectors(examples), keys)
        self.labels = [str(label) for label in model.classes_]
        self.weights, self.bias = np.asarray(model.coef_), np.asarray(model.intercept_)
        prefix = f"utter_{self.retrieval_intent}/"
        found = training_data.responses or {}
        self.responses = {name: list(found[name]) for name in found if name.startswith(prefix)}
        self.persist()
        return self._resource

    def persist(self) -> None:
        assert self.weights is not None and self.bias is not None
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / "weights.npz", weights=self.weights, bias=self.bias)
            (directory / "labels.json").write_text(
                json.dumps({"labels": self.labels, "responses": self.responses}), "utf-8")

    @classmethod
    def load(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> TopicSelector:
        config = {**cls.get_default_config(), **config}
        try:
            with model_storage.read_from(resource) as directory:
                arrays = np.load(directory / "weights.npz", allow_pickle=False)
                meta = json.loads((directory / "labels.json").read_text("utf-8"))
            return cls(config, model_storage, resource, arrays["weights"], arrays["bias"],
                       meta["labels"], meta["responses"])
        except (ValueError, FileNotFoundError, KeyError):
            logger.debug("TopicSelector: nothing stored for %s; an untrained selector.", resource.name)
            return cls(config, model_storage, resource)

    # -- prediction -----------------------------------------------------------------------
    def probabilities(self, messages: List[Message]) -> np.ndarray:
        assert self.weights is not None and self.bias is not None
        logits = self._vectors(messages) @ self.weights.T + self.bias
        if logits.shape[1] == 1:  # two labels: sklearn keeps one row of weights
            logits = np.hstack([-logits, logits])
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def process(self, messages: List[Message]) -> List[Message]:
        if self.weights is None or not self.labels or not messages:
            return messages
        probabilities = self.probabilities(messages)
        length = int(self.config["ranking_length"])
        for message, row in zip(messages, probabilities, strict=False):
            order = np.argsort(-row)
            ranking = [{"id": None, "confidence": float(row[i]), INTENT_RESPONSE_KEY: self.labels[i]}
                       for i in (order[:length] if length > 0 else order)]
            best = ranking[0]
            key = str(best[INTENT_RESPONSE_KEY])
            utter = "utter_" + key
            prediction = {
                "response": {"responses": self.responses.get(utter) or [{TEXT: key}],
                             "confidence": best["confidence"], INTENT_RESPONSE_KEY: key,
                             "utter_action": utter},
                "ranking": ranking,
            }
            selector = dict(message.get(SELECTOR) or {})
            selector["all_retrieval_intents"] = [self.retrieval_intent]
            selector[self.retrieval_intent] = prediction
            message.set(SELECTOR, selector, add_to_output=True)
        return messages
