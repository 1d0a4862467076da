# ruff: noqa: UP006, UP019, UP035  (Rasa reads these type hints: typing.List/Dict/Text, as its own components)
"""Calibrated honesty for questions (issue 12, item 3): answer only when sure.

Runs after the intent classifier, Rasa's FallbackClassifier and the
ResponseSelector.  When the message's best guess is a question (the knowledge base's
``faq``, or ``ask_about_bot`` / ``ask_questions``), it looks at one ranking of all the
answerable topics (:func:`nlu.components.topics.topic_ranking`: a knowledge-base
key scores p(faq) x p(key | faq)) and predicts ``nlu_fallback`` instead when

* the best topic's probability is under ``threshold``, or
* the second is within ``ambiguity_threshold`` of it.

``nlu_fallback`` then leads to ``action_did_you_mean``: the likeliest topics as
buttons, or a plain "I don't know" with the helpline.  Other intents (yes/no, the
diary's commands, a form's answers) are left to the FallbackClassifier as before.
The two numbers are calibrated on the training data's questions
(``python -m bench.gate_calibration``), never on the external set.

An identifier (``action_save_note``, ``made_up_command``: words joined by underscores,
nothing else) is an unknown command or a forged payload that the bot passed on as text
(bot/core.py: an unknown command is read as words), never what a person types: it is not
read as any request either; nor is a message of emoji or punctuation alone ("😀😀🔪🏠"),
which has no words to read.  Whether the classifier happened to place one used to depend
on the machine's arithmetic (int8 products differ between CPUs).
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message

from nlu.components.topics import FALLBACK, is_question, topic_ranking

# an action's name, as Rasa writes them
IDENTIFIER = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class TopicGate(GraphComponent):
    """Turns an unsure answer to a question into ``nlu_fallback`` ("did you mean" / "I don't know")."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"threshold": 0.5, "ambiguity_threshold": 0.1}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> TopicGate:
        return cls(config)

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.threshold = float(config.get("threshold", 0.5))
        self.ambiguity = float(config.get("ambiguity_threshold", 0.1))

    def unsure(self, parse: Dict[Text, Any]) -> bool:
        intent = str((parse.get("intent") or {}).get("name") or "")
        if intent == FALLBACK:
            return False
        text = str(parse.get("text") or "").strip()
        if IDENTIFIER.fullmatch(text.lower()):
            return True
        if text and not any(ch.isalnum() for ch in text):
            return True  # emoji or punctuation only: no words to read a request in
        if not is_question(intent):
            return False
        ranking = topic_ranking(parse)
        if not ranking:
            return False
        best = ranking[0][1]
        second = ranking[1][1] if len(ranking) > 1 else 0.0
        return best < self.threshold or best - second < self.ambiguity

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if self.unsure(message.data):
                fallback = {"name": FALLBACK, "confidence": self.threshold}
                message.data["intent"] = fallback
                message.data.setdefault("intent_ranking", []).insert(0, dict(fallback))
        return messages
