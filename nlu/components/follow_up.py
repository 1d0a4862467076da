# ruff: noqa: UP006, UP019, UP035  (Rasa reads these type hints: typing.List/Dict/Text, as its own components)
"""A short question right after an answer, read with the question it follows (issue 12).

"i think someone put a tracker on my car" got the answer about trackers; then "how would i
even check" started the warning-signs check (read alone it is "check what is happening to
me"), and "how do i find it" or, after the answer about orders, "how do i get one" got "I'm
not sure".  People ask the next question in few words and leave out what the conversation
already says.  A list of such phrasings would not generalise; reading the message with the
question just answered does, with the same NLU.

:class:`FollowUpReader`, first in the pipeline: when the message before this one got a
knowledge-base answer (its topic chosen, not "not sure") and this one is a short question
(:data:`MAX_WORDS` words at most, in question form: the patterns the forms already use), a
second message goes down the pipeline beside it: the question just answered and this one,
as one text ("i think someone put a tracker on my car. how would i even check").
:class:`FollowUpMerge`, just before the last component, keeps the message's own reading when it
is sure of it (a topic the honesty gate let through, or another intent at
:data:`SURE` or more: "can I save this as a note?" stays a request), and otherwise takes the
reading in context when the gate lets its topic through and the message alone could be about
that topic: one of its three likeliest, or it reads as a question that points at no topic
("Who can apply?"; the conversation chooses, it never brings a topic to a message that asks
about something else), marked with the entity
``follow_up`` (the topic just answered), so the actions can tell a follow-up on the same
topic (the rest of that answer, not the same words again) from a question on another.  A
reading on the same topic whose answer has no more to it is not taken ("can i get in trouble for
blocking him" after the answer on what stalkers do: that answer said all it has, and the
question is not about it): the message's own reading stands.
Neither reading sure: the message's own stays ("did you mean", as before).

The tracker is Rasa's, given to ``process`` by the graph (the default recipe passes it to a
``tracker`` parameter); without one (``rasa test nlu``, an empty conversation) nothing
changes.  Training data is never changed.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Tuple

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.components.asked_too import asks
from nlu.components.topics import (
    FALLBACK,
    RETRIEVAL,
    TOPIC_OF_INTENT,
    WHERE_MORE,
    selected_topic,
    selector_ranking,
)

FAQ_COPY = Path(__file__).resolve().parents[2] / "data" / "faq_copy.yml"

#: the entity that marks a reading in context: its value is the topic answered just before
FOLLOW_UP = "follow_up"
#: a follow-up is short: longer messages say what they are about
MAX_WORDS = 8
#: the message's own reading is kept when its intent is at least this sure (a topic the
#: honesty gate let through is always kept)
SURE = 0.8
#: the topic read in context must be among this many likeliest topics of the message alone
AMONG = 3
#: a question whose likeliest topic, alone, is under this points at none: it leaves it out
POINTS_AT = 0.5
# where the extra message keeps the topic it follows
_CONTEXT_OF = "follow_up_of"
_WORD = re.compile(r"[a-z0-9']+", re.IGNORECASE)


def answered_before(tracker: Optional[DialogueStateTracker]) -> Optional[Tuple[str, str]]:
    """(topic, the words it was asked in) when the message before this one got a knowledge-base
    answer; a topic button's payload gives the topic's name, and a follow-up the words of the
    question it followed ("how would i even check" asked twice is still about trackers).
    None otherwise."""
    if tracker is None:
        return None
    topic = None
    for event in reversed(tracker.events):
        if not isinstance(event, UserUttered):
            continue
        parse: Dict[str, Any] = dict(event.parse_data or {})
        found = _topic_of(parse)
        if found is None or (topic is not None and found != topic):
            return None
        topic = found
        if entity_value(parse, FOLLOW_UP) == found:
            continue  # a follow-up itself: the words of the question it followed
        text = str(event.text or "")
        if text.startswith("/"):  # a button: the topic's name, as its buttons say it
            text = _titles().get(f"{RETRIEVAL}/{topic}", topic.replace("_", " "))
        return topic, text
    return None


def entity_value(parse: Dict[str, Any], name: str) -> Optional[str]:
    """The value of the entity ``name`` in a parse, if it has one."""
    found = (e["value"] for e in parse.get("entities") or [] if e.get("entity") == name and e.get("value"))
    return next((str(v) for v in found), None)


def _topic_of(parse: Dict[str, Any]) -> Optional[str]:
    """The knowledge-base topic a message was answered with: the selector's, a leaflet topic's
    intent (a button), or a topic button's entity; "not sure": None."""
    intent = str((parse.get("intent") or {}).get("name") or "")
    if intent == FALLBACK:
        return None
    return selected_topic(parse) or TOPIC_OF_INTENT.get(intent) or entity_value(parse, "topic")


@lru_cache(maxsize=1)
def _faq_copy() -> Dict[str, Any]:
    return dict(yaml.safe_load(FAQ_COPY.read_text("utf-8")))


def _titles() -> Dict[str, str]:
    return dict(_faq_copy()["titles"])


def has_more(topic: Optional[str]) -> bool:
    """The topic's answer has a rest ("More about it"): data/faq_copy.yml's ``more``, or the rest
    of the place's text for reporting and the law."""
    return bool(topic) and (topic in WHERE_MORE or topic in (_faq_copy().get("more") or {}))


def could_follow(text: str) -> bool:
    """A short typed question ("how would i even check", "how do i get one?")."""
    text = text.strip()
    return bool(text) and not text.startswith("/") and len(_WORD.findall(text)) <= MAX_WORDS and asks(text)


def sure(parse: Dict[str, Any]) -> bool:
    """The message's own reading stands: a topic the gate let through, or another intent at
    :data:`SURE` or more."""
    intent = parse.get("intent") or {}
    name = str(intent.get("name") or "")
    if name == RETRIEVAL:
        return selected_topic(parse) is not None
    return name != FALLBACK and float(intent.get("confidence") or 0.0) >= SURE


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class FollowUpReader(GraphComponent):
    """First in the pipeline: a short question after a knowledge-base answer gets a second
    reading, with the question it follows."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> FollowUpReader:
        return cls()

    def process(self, messages: List[Message],
                tracker: Optional[DialogueStateTracker] = None) -> List[Message]:
        if len(messages) != 1:
            return messages
        text = str(messages[0].get(TEXT) or "")
        if not could_follow(text):
            return messages
        before = answered_before(tracker)
        if before is None:
            return messages
        topic, asked = before
        joined = f"{asked.strip().rstrip('?.!,;:')}. {text.strip()}"
        extra = Message(data={TEXT: joined, "metadata": messages[0].get("metadata")})
        extra.set(_CONTEXT_OF, topic)
        return [messages[0], extra]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class FollowUpMerge(GraphComponent):
    """Near the end of the pipeline: the reading in context, when the message's own is unsure
    and the gate lets the other's topic through; the extra message is dropped either way."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> FollowUpMerge:
        return cls()

    @staticmethod
    def among_its_own(parse: Dict[str, Any], topic: Optional[str]) -> bool:
        """The topic read in context is one the message alone could be about: one of its
        :data:`AMONG` likeliest topics, or the message alone reads as a question (``faq`` its
        likeliest intent) that points at no topic (the likeliest under :data:`POINTS_AT`: "Who can
        apply?", "When does it come into effect?").  The conversation chooses; it never brings a
        topic to a message that asks about something else ("can i save this as a note?" after
        the answer about reporting asks to keep a note, however the two read together)."""
        if topic is None:
            return False
        ranked = selector_ranking(parse)
        if f"{RETRIEVAL}/{topic}" in [k for k, _ in ranked[:AMONG]]:
            return True
        intents = [str(i.get("name")) for i in parse.get("intent_ranking") or [] if i.get("name") != FALLBACK]
        return bool(intents) and intents[0] == RETRIEVAL and (not ranked or ranked[0][1] < POINTS_AT)

    def process(self, messages: List[Message]) -> List[Message]:
        if len(messages) != 2 or not messages[1].get(_CONTEXT_OF):
            return messages
        own, context = messages
        topic = selected_topic(context.data)
        if sure(own.data) or not self.among_its_own(own.data, topic):
            return [own]
        if topic == context.get(_CONTEXT_OF) and not has_more(topic):
            return [own]  # the same topic, with nothing more to say: the message's own reading
        for key in ("intent", "intent_ranking", "response_selector"):
            if key in context.data:
                own.data[key] = context.data[key]
        text = str(own.get(TEXT) or "")
        entities = [*(own.get("entities") or []), {
            "entity": FOLLOW_UP, "value": str(context.get(_CONTEXT_OF)), "start": 0, "end": len(text),
            "extractor": type(self).__name__}]
        own.set("entities", entities, add_to_output=True)
        return [own]
