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

Beside the sentence vectors, TF-IDF word (1-2) and character (2-4, within words)
n-grams of the question, fitted on the knowledge base's examples, each scaled by its
weight (``word_weight``, ``char_weight``; 0 leaves it out): names the sentence model
reads loosely ("Clare's Law", "non-molestation", "AirTag") and misspellings then count
too.  On five folds of the training questions and on the held-out file they ranked the
right topic first more often (docs/nlu-evaluation.md, "Topic features").

Each named dense featurizer's sentence vector is scaled to unit length on its own (so a
featurizer's ``scale`` does not change the fit): all-MiniLM-L6-v2's (``minilm``) and
all-mpnet-base-v2's (``mpnet``, :class:`nlu.components.minilm_featurizer.MPNetFeaturizer`).
With MPNet the right topic came first for 0.919 of the training questions on five folds
against 0.905 without (docs/nlu-evaluation.md, "A second sentence model").

Questions quoted from real pages (data/nlu/faq_real*.yml, whose intent blocks say ``metadata:
source: real``) weigh more in the fit than the ones written here (``source_weights``): people
ask in their words, and the written ones outnumber them four to one.  On five folds of the
training questions the real ones held out were ranked right 0.893 -> 0.903 at weight 3, the
written ones 0.925 -> 0.925, our held-out file unchanged (docs/nlu-evaluation.md, "A fifth
batch").

The trained weights are stored as plain arrays (``.npz``) and the labels and n-gram
vocabularies as JSON: no pickle is read at load time.
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
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, METADATA, METADATA_INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy import sparse

logger = logging.getLogger(__name__)

SELECTOR = "response_selector"


def source_of(message: Message) -> str:
    """The ``source`` named in the metadata of an example's intent block ("real"), or ""."""
    metadata = message.get(METADATA) or {}
    intent = metadata.get(METADATA_INTENT) if isinstance(metadata, dict) else None
    return str(intent.get("source") or "") if isinstance(intent, dict) else ""


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TopicSelector(GraphComponent):
    """Logistic regression over sentence vectors: the retrieval intent's topic, ranked."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"retrieval_intent": "faq", "featurizers": [], "C": 16.0, "max_iter": 2000,
                "ranking_length": 10, "random_state": 42, "word_weight": 0.0, "char_weight": 0.0,
                "source_weights": {}}

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> TopicSelector:
        return cls({**cls.get_default_config(), **config}, model_storage, resource)

    def __init__(self, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 weights: Optional[np.ndarray] = None, bias: Optional[np.ndarray] = None,
                 labels: Optional[List[str]] = None,
                 responses: Optional[Dict[str, List[Dict[str, Any]]]] = None,
                 ngrams: Optional[Dict[str, Any]] = None) -> None:
        self.config = config
        self.retrieval_intent = str(config["retrieval_intent"])
        self._model_storage = model_storage
        self._resource = resource
        self.weights, self.bias = weights, bias
        self.labels = labels or []
        self.responses = responses or {}
        # analyzer name -> fitted TfidfVectorizer (only those with a weight above 0)
        self.ngrams: Dict[str, Any] = ngrams or {}

    # -- features -------------------------------------------------------------------------
    @staticmethod
    def _vectorizer(analyzer: str, vocabulary: Optional[Dict[str, int]] = None) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer

        if analyzer == "word":
            return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, vocabulary=vocabulary)
        return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2,
                               vocabulary=vocabulary)

    def _weights_of(self) -> Dict[str, float]:
        return {name: float(self.config.get(f"{name}_weight") or 0.0) for name in ("word", "char")}

    @staticmethod
    def _sentence_vectors(messages: List[Message], featurizer: str) -> np.ndarray:
        """One featurizer's sentence vectors, each scaled to unit length (its ``scale`` aside)."""
        rows = []
        for message in messages:
            _, sentence = message.get_dense_features(TEXT, [featurizer])
            vector = np.asarray(sentence.features, dtype=np.float64).reshape(-1) if sentence else np.zeros(1)
            norm = float(np.linalg.norm(vector))
            rows.append(vector / norm if norm > 0 else vector)
        return np.vstack(rows)

    def _vectors(self, messages: List[Message]) -> Any:
        parts = [self._sentence_vectors(messages, name) for name in self.config.get("featurizers") or []]
        dense = np.hstack(parts) if parts else np.zeros((len(messages), 1))
        if not self.ngrams:
            return dense
        texts = [str(m.get(TEXT) or "") for m in messages]
        weights = self._weights_of()
        parts = [sparse.csr_matrix(dense)] + [vectorizer.transform(texts) * weights[name]
                                               for name, vectorizer in sorted(self.ngrams.items())]
        return sparse.hstack(parts).tocsr()

    # -- training -------------------------------------------------------------------------
    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.linear_model import LogisticRegression

        examples = [m for m in training_data.intent_examples
                    if m.get(INTENT) == self.retrieval_intent and m.get(INTENT_RESPONSE_KEY) and m.get(TEXT)]
        if not examples:
            logger.debug("TopicSelector: no examples of '%s'; nothing trained.", self.retrieval_intent)
            return self._resource
        keys = [str(m.get(INTENT_RESPONSE_KEY)) for m in examples]
        texts = [str(m.get(TEXT)) for m in examples]
        self.ngrams = {name: self._vectorizer(name).fit(texts)
                       for name, weight in self._weights_of().items() if weight > 0}
        model = LogisticRegression(C=float(self.config["C"]), max_iter=int(self.config["max_iter"]),
                                   random_state=int(self.config["random_state"]))
        model.fit(self._vectors(examples), keys, sample_weight=self._sample_weights(examples))
        self.labels = [str(label) for label in model.classes_]
        self.weights, self.bias = np.asarray(model.coef_), np.asarray(model.intercept_)
        prefix = f"utter_{self.retrieval_intent}/"
        found = training_data.responses or {}
        self.responses = {name: list(found[name]) for name in found if name.startswith(prefix)}
        self.persist()
        return self._resource

    def _sample_weights(self, examples: List[Message]) -> np.ndarray:
        """Each example's weight in the fit: ``source_weights`` by the ``source`` its intent block
        names in its metadata (``real``: quoted from a real page), 1 for the rest."""
        weights = {str(k): float(v) for k, v in (self.config.get("source_weights") or {}).items()}
        return np.array([weights.get(source_of(m), 1.0) for m in examples])

    def persist(self) -> None:
        assert self.weights is not None and self.bias is not None
        with self._model_storage.write_to(self._resource) as directory:
            idf = {f"idf_{name}": vectorizer.idf_ for name, vectorizer in self.ngrams.items()}
            np.savez(directory / "weights.npz", weights=self.weights, bias=self.bias, **idf)
            vocabularies = {name: {term: int(i) for term, i in vectorizer.vocabulary_.items()}
                            for name, vectorizer in self.ngrams.items()}
            (directory / "labels.json").write_text(
                json.dumps({"labels": self.labels, "responses": self.responses,
                            "ngrams": vocabularies}), "utf-8")

    @classmethod
    def load(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> TopicSelector:
        config = {**cls.get_default_config(), **config}
        try:
            with model_storage.read_from(resource) as directory:
                arrays = np.load(directory / "weights.npz", allow_pickle=False)
                meta = json.loads((directory / "labels.json").read_text("utf-8"))
            ngrams = {}
            for name, vocabulary in (meta.get("ngrams") or {}).items():
                vectorizer = cls._vectorizer(name, vocabulary)
                vectorizer.idf_ = arrays[f"idf_{name}"]
                ngrams[name] = vectorizer
            selector = cls(config, model_storage, resource, arrays["weights"], arrays["bias"],
                           meta["labels"], meta["responses"], ngrams)
        except (ValueError, FileNotFoundError, KeyError):
            logger.debug("TopicSelector: nothing stored for %s; an untrained selector.", resource.name)
            return cls(config, model_storage, resource)
        return selector

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
