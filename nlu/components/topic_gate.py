# ruff: noqa: UP006, UP019, UP035  (Rasa reads these type hints: typing.List/Dict/Text, as its own components)
"""Calibrated honesty for questions (issue 12, item 3): answer only when sure.

Runs after the intent classifier, Rasa's FallbackClassifier and the
ResponseSelector.  When the message's best guess is a question (the knowledge base's
``faq``, or ``ask_about_bot`` / ``ask_questions``), it looks at the ranking of the answerable topics
(:func:`nlu.components.topics.gate_reading`: for ``faq``, the topic selector's own
p(key | a question); for the others, one ranking of every answerable topic) and predicts
``nlu_fallback`` instead when

* the best topic's probability is under ``threshold``, or
* the second is within ``ambiguity_threshold`` of it.

``nlu_fallback`` then leads to ``action_did_you_mean``: the likeliest topics as
buttons, or a plain "I don't know" with the helpline.  Other intents (yes/no, the
diary's commands, a form's answers) are left to the FallbackClassifier as before.
The two numbers are calibrated on the training data's questions
(``python -m bench.gate_calibration``), never on the external set.

A question asked inside an account of what is happening ("im a guy and my ex gf wont leave
me alone, can men even be stalked": the classifier reads the account, ``start_check``, first
or second to ``faq``, and :mod:`nlu.components.asked_too` the question in it) is answered
when the gate would answer it as a question: the topic selector's own ranking clears both
numbers, and the topic is not one the check itself answers ("is this stalking?",
:data:`nlu.components.topics.CHECK_TOPICS`).
Its intent becomes ``faq`` with the entity ``asked_in_account``, after which ``action_faq``
offers the check the account would have started.  Otherwise the check starts, as before.
An account of what is happening to someone else, with no "me" or "I" in it ("my friends ex
keeps following her round town"), that the topic selector places on helping a friend or a
child as surely as the gate answers a question, is that question: the check asks about the
person's own experience ("Does this person seem fixated on you?").

An identifier (``action_save_note``, ``made_up_command``: words joined by underscores,
nothing else) is an unknown command or a forged payload that the bot passed on as text
(bot/core.py: an unknown command is read as words), never what a person types: it is not
read as any request either; nor is a message of emoji or punctuation alone ("😀😀🔪🏠"),
which has no words to read.  Whether the classifier happened to place one used to depend
on the machine's arithmetic (int8 products differ between CPUs).  Nor is a message written
mostly in another alphabet ("مرحبا، هو يتبعني كل يوم", "שלום, הוא עוקב אחריי"): the NLU
was trained on English alone, and its sentence models give such text vectors that mean
nothing to it (with MPNet's read by the classifier, the Arabic one came out "explain" at 0.6).
Nor is a message none of whose words the training data ever used ("asdfgh" was "yes" at 0.62,
"qwxz plorf" a goodbye): with ``known_words``, the alias of the word-count featurizer, whose
counts are then all zero.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.components.asked_too import asks_too, of_the_person
from nlu.components.topics import (
    ABOUT_SOMEONE_ELSE,
    ACCOUNT_INTENTS,
    ASKED_IN_ACCOUNT,
    CHECK_TOPICS,
    FALLBACK,
    RETRIEVAL,
    gate_reading,
    is_question,
)

# an action's name, as Rasa writes them
IDENTIFIER = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")


def another_alphabet(text: str) -> bool:
    """Most of the letters of ``text`` are not Latin ones (Arabic, Hebrew, Cyrillic, ...).

    A Cyrillic "о" typed inside an English word is one letter of many; accents are Latin."""
    letters = [ch for ch in text if ch.isalpha()]
    latin = sum(1 for ch in letters if unicodedata.name(ch, "").startswith("LATIN"))
    return bool(letters) and latin * 2 < len(letters)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class TopicGate(GraphComponent):
    """Turns an unsure answer to a question into ``nlu_fallback`` ("did you mean" / "I don't know")."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"threshold": 0.5, "ambiguity_threshold": 0.1, "known_words": None}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> TopicGate:
        return cls(config)

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.threshold = float(config.get("threshold", 0.5))
        self.ambiguity = float(config.get("ambiguity_threshold", 0.1))
        self.known_words = config.get("known_words")

    def no_known_word(self, message: Message) -> bool:
        """Words, and none of them one the training data used (the ``known_words`` featurizer's
        word counts are all zero): "asdfgh", "qwxz plorf".  A number, a date, a payload or a
        message without a word of two letters is left to the classifier."""
        text = str(message.get(TEXT) or "")
        if (message.get("intent") or {}).get("name") == FALLBACK:
            return False
        if not self.known_words or text.startswith("/") or any(ch.isdigit() for ch in text) \
                or not re.search(r"[^\W\d_]{2}", text):
            return False
        _, sentence = message.get_sparse_features(TEXT, [str(self.known_words)])
        return sentence is not None and sentence.features.nnz == 0

    def unsure(self, parse: Dict[Text, Any]) -> bool:
        intent = str((parse.get("intent") or {}).get("name") or "")
        if intent == FALLBACK:
            return False
        text = str(parse.get("text") or "").strip()
        if IDENTIFIER.fullmatch(text.lower()):
            return True
        if text and not any(ch.isalnum() for ch in text):
            return True  # emoji or punctuation only: no words to read a request in
        if another_alphabet(text):
            return True  # the NLU reads English: no words it can read
        if not is_question(intent):
            return False
        reading = gate_reading(parse)
        if reading is None:
            return False
        _, best, second = reading
        return best < self.threshold or best - second < self.ambiguity

    def asked_in_account(self, parse: Dict[Text, Any]) -> Optional[float]:
        """The topic's probability when ``parse`` is an account with a question the knowledge
        base answers with confidence (see the module's text); else None."""
        intent = str((parse.get("intent") or {}).get("name") or "")
        if intent == RETRIEVAL:
            # the classifier read the question first and the account second ("im a guy and my
            # ex gf wont leave me alone, can men even be stalked": faq 0.84, start_check 0.16)
            ranking = parse.get("intent_ranking") or []
            intent = str(ranking[1].get("name") or "") if len(ranking) > 1 else ""
        if intent not in ACCOUNT_INTENTS or not asks_too(str(parse.get("text") or "")):
            return None
        # the question weighed as the gate weighs one (the selector's own ranking)
        reading = gate_reading({**parse, "intent": {"name": RETRIEVAL}})
        if reading is None:
            return None
        key, best, second = reading
        if key.split("/", 1)[-1] in CHECK_TOPICS or best < self.threshold or best - second < self.ambiguity:
            return None
        return best

    def about_someone_else(self, parse: Dict[Text, Any]) -> Optional[float]:
        """The topic's probability when ``parse`` is an account of what is happening to someone
        else ("my friends ex keeps following her round town": start_check 0.77) that the topic
        selector places on helping them (a friend, a child) as surely as the gate answers a
        question; else None.  The check asks about the person's own experience ("Does this person
        seem fixated on you?"): an account with no "me" or "I" in it is not theirs to check."""
        intent = str((parse.get("intent") or {}).get("name") or "")
        text = str(parse.get("text") or "")
        if intent not in ACCOUNT_INTENTS or text.startswith("/") or of_the_person(text):
            return None
        reading = gate_reading({**parse, "intent": {"name": RETRIEVAL}})
        if reading is None:
            return None
        key, best, second = reading
        if key.split("/", 1)[-1] not in ABOUT_SOMEONE_ELSE:
            return None
        return None if best < self.threshold or best - second < self.ambiguity else best

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            elsewhere = self.about_someone_else(message.data)
            if elsewhere is not None:  # "my friends ex keeps following her": helping her, not the check
                chosen = {"name": RETRIEVAL, "confidence": elsewhere}
                message.data["intent"] = dict(chosen)
                rest = [e for e in message.data.get("intent_ranking") or [] if e.get("name") != RETRIEVAL]
                message.data["intent_ranking"] = [chosen, *rest]
                continue
            asked = self.asked_in_account(message.data)
            if asked is not None:
                chosen = {"name": RETRIEVAL, "confidence": asked}
                message.data["intent"] = dict(chosen)
                rest = [e for e in message.data.get("intent_ranking") or [] if e.get("name") != RETRIEVAL]
                message.data["intent_ranking"] = [chosen, *rest]
                text = str(message.data.get("text") or "")
                entities = [*(message.get("entities") or []), {
                    "entity": ASKED_IN_ACCOUNT, "value": "yes", "start": 0, "end": len(text),
                    "extractor": type(self).__name__}]
                message.set("entities", entities, add_to_output=True)
                continue
            if self.unsure(message.data) or self.no_known_word(message):
                fallback = {"name": FALLBACK, "confidence": self.threshold}
                message.data["intent"] = fallback
                message.data.setdefault("intent_ranking", []).insert(0, dict(fallback))
        return messages
