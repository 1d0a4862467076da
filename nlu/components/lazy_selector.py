"""Rasa's ResponseSelector, run only on messages that may be a question for the knowledge base.

The selector ranks the knowledge base's topics inside the retrieval intent ``faq``
(a TensorFlow model: about 4 ms a message, the largest single part of a turn's NLU).
Most messages are not questions ("yes", "he follows me home", a date, a button), and
a topic's probability is p(faq) x p(topic | faq) (:mod:`nlu.components.topics`): when
the intent classifier, which runs first, gives ``faq`` less than ``min_retrieval``,
no topic can reach the smallest probability the bot ever acts on (a "did you mean"
button needs 0.08, :data:`nlu.actions.faq.MIN_OFFER`), so the selector is skipped and
the parse carries no ``response_selector`` (which every reader of it allows).

Loading is quicker too.  Rasa rebuilds a saved model's weights by running one
training step as a traced TensorFlow function (about 5 s of tracing at every start,
the largest part of a cold start), then traces the prediction function.  Here the
one step runs eagerly (the same weights, in a fraction of a second), and prediction
is switched back to a traced function and traced once, as Rasa does, so each
question costs what it cost before.

Training, the weights and the output are Rasa's own.
"""
from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.tensorflow.constants import RUN_EAGERLY
from rasa.utils.tensorflow.model_data import RasaModelData

#: Below this p(faq) the selector does not run (must stay under nlu.actions.faq.MIN_OFFER).
DEFAULT_MIN_RETRIEVAL = 0.04


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LazyResponseSelector(ResponseSelector):
    """``ResponseSelector`` that skips messages the classifier says are not questions."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**ResponseSelector.get_default_config(), "min_retrieval": DEFAULT_MIN_RETRIEVAL}

    @classmethod
    def _load_model_class(cls, tf_model_file: str, model_data_example: RasaModelData,
                          label_data: RasaModelData, entity_tag_specs: list[Any],
                          config: dict[str, Any], finetune_mode: bool = False) -> Any:
        traced = not config.get(RUN_EAGERLY) and not finetune_mode
        model = super()._load_model_class(tf_model_file, model_data_example, label_data,
                                          entity_tag_specs, {**config, RUN_EAGERLY: True},
                                          finetune_mode)
        if traced:
            model.run_eagerly = False  # predict through a traced function, as Rasa would
            model._tf_predict_step = None
            model.run_inference(RasaModelData(
                label_key=model_data_example.label_key,
                data={name: features for name, features in model_data_example.items()
                      if TEXT in name}))
        return model

    def _may_be_retrieval(self, message: Message) -> bool:
        ranking = message.get(INTENT_RANKING_KEY)
        if not ranking:  # no ranking to go by (a payload): Rasa's behaviour
            return True
        intents = set(self.all_retrieval_intents) or {str(self.retrieval_intent)}
        best = max((float(r.get("confidence") or 0.0) for r in ranking if r.get("name") in intents),
                   default=0.0)
        top = (message.get(INTENT) or {}).get("name")
        return top in intents or best >= float(self.component_config.get("min_retrieval", 0.0))

    def process(self, messages: list[Message]) -> list[Message]:
        wanted = [m for m in messages if self._may_be_retrieval(m)]
        if wanted:
            super().process(wanted)
        return messages
