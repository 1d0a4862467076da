# ruff: noqa: UP006, UP019, UP035  (Rasa reads these type hints: typing.List/Dict/Text, as its own components)
""""I'm in Glasgow btw": where the person is, read against the gazetteer (issue 12, item 6).

The intent classifier reads short first-person statements of place poorly: on this model
"im in glasgow btw" came out as ``goodbye`` ("Take care"), "we are in belfast" and "im
from leeds" as "not sure", and in the middle of the check "im in scotland btw" as an
answer it couldn't read; the place was lost each time and "Where are you?" came back at
the next question about reporting.  A list of example sentences per town would not
generalise; the gazetteer does (:func:`guidance.places.says_where`: a first-person subject
and a place word, and nothing but a UK place after them).

Runs after the classifier and Rasa's FallbackClassifier, before the topic selector: such a
message's intent becomes ``set_where`` (what a "📍" button sends), which the bot already
answers everywhere: outside a form the place is kept and said back (``action_set_where``),
in the check or the risk self-check too, and the step asked again (``forms.told_where``).
A name that could be two places (Bangor) is still asked about.  Anything else is left as
the classifier read it.

Said in passing, in one clause of a longer message ("im in glasgow, can i report him online"),
the place is read the same way, clause by clause (:func:`nlu.components.asked_too.clauses`),
and the intent is left alone: the message gets the entities ``where`` (the place's key) and
``where_read`` (the name read), and ``action_validate_slot_mappings``
(:class:`nlu.actions.advice.ValidateSlotMappings`) keeps the place, says so, and the question is
answered for that place.  Before, "Where are you?" came at the next question about reporting.
Only in a message that asks something, one place, and a clause that says nothing else: "he
lives in leeds, im in york, who do i call" is York ("he lives in" has no first-person subject);
two places, a name of two places, or an account with no question ("im in leeds and he followed
me home") are not read.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from guidance.places import says_where
from nlu.components.asked_too import asks_too, clauses

INTENT = "set_where"
# the entities of a place said in passing (the names the "📍" buttons' payloads use)
PLACE_ENTITY, READ_ENTITY = "where", "where_read"
EXTRACTOR = "PlaceStatement"


def said_in_passing(text: str) -> tuple[str, str] | None:
    """(place key, the name read) of the one place a clause of ``text`` says the person is in,
    in a message that asks something too (the place matters to the answer; "im in leeds and he
    followed me home" tells where it happened as much as where they live, and is not read)."""
    parts = clauses(text)
    if len(parts) < 2 or not asks_too(text):
        return None
    readings = [r for r in (says_where(part) for part, _ in parts) if r is not None]
    places = {r.place for r in readings}
    if len(places) != 1 or None in places:
        return None
    return str(readings[0].place), str(readings[0].name)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class PlaceStatement(GraphComponent):
    """A message that only says where the person is: the intent ``set_where``."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"confidence": 0.95}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> PlaceStatement:
        return cls({**cls.get_default_config(), **config})

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.confidence = float(config["confidence"])

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = str(message.get(TEXT) or "")
            if text.startswith("/"):
                continue
            if says_where(text) is None:
                passing = said_in_passing(text)
                if passing is not None:
                    place, name = passing
                    said = ((PLACE_ENTITY, place), (READ_ENTITY, name))
                    entities = [*(message.get("entities") or []), *(
                        {"entity": entity, "value": value, "start": 0, "end": len(text),
                         "extractor": EXTRACTOR} for entity, value in said)]
                    message.set("entities", entities, add_to_output=True)
                continue
            chosen = {"name": INTENT, "confidence": self.confidence}
            rest = [dict(i) for i in message.data.get("intent_ranking") or [] if i.get("name") != INTENT]
            for entry in rest:  # the others keep their order, scaled to what is left
                entry["confidence"] = float(entry.get("confidence") or 0.0) * (1.0 - self.confidence)
            message.data["intent"] = dict(chosen)
            message.data["intent_ranking"] = [chosen, *rest]
        return messages
