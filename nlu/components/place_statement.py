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
the place is read the same way, clause by clause (:func:`nlu.components.asked_too.clauses`), by
:class:`PlaceInPassing`, first in the pipeline: the message gets the entities ``where`` (the
place's key) and ``where_read`` (the name read), the rest of the pipeline reads the message
without that clause ("can i report him online": before, the place pulled it to the topic
"Scotland and Northern Ireland"), and :class:`PlaceInPassingRestore`, last, gives the actions the
words as typed.  ``action_validate_slot_mappings`` (:class:`nlu.actions.advice.ValidateSlotMappings`)
keeps the place, says so, and the question is answered for that place.  Before, "Where are
you?" came at the next question about reporting.
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
    found = _in_passing(text)
    return (found[0], found[1]) if found else None


def _in_passing(text: str) -> tuple[str, str, str] | None:
    """:func:`said_in_passing`, and the rest of the message without the place's clause."""
    if text.startswith("/") or says_where(text) is not None:
        return None
    parts = clauses(text)
    if len(parts) < 2 or not asks_too(text):
        return None
    read = [(part, asked, says_where(part)) for part, asked in parts]
    places = {r.place for _, _, r in read if r is not None}
    if len(places) != 1 or None in places:
        return None
    reading = next(r for _, _, r in read if r is not None)
    rest = ", ".join(part + ("?" if asked else "") for part, asked, r in read if r is None)
    return str(reading.place), str(reading.name), rest


# where PlaceInPassing keeps a message's own words while the rest of the pipeline reads it without
# the place's clause (PlaceInPassingRestore puts them back)
ORIGINAL = "place_in_passing_original"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class PlaceInPassing(GraphComponent):
    """First in the pipeline: a place said in passing ("im in glasgow, can i report him online")
    becomes the entities ``where`` and ``where_read``, and every later component reads the message
    without that clause ("can i report him online"), so the place does not pull the question
    towards another topic (it read "Scotland and Northern Ireland" before, and "we live in belfast,
    what can i do" the same).  Training data is never changed (none of the 3,326 training
    messages has a place said in passing)."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> PlaceInPassing:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = str(message.get(TEXT) or "")
            found = _in_passing(text)
            if found is None:
                continue
            place, name, rest = found
            said = ((PLACE_ENTITY, place), (READ_ENTITY, name))
            entities = [*(message.get("entities") or []), *(
                {"entity": entity, "value": value, "start": 0, "end": len(text), "extractor": EXTRACTOR}
                for entity, value in said)]
            message.set("entities", entities, add_to_output=True)
            message.set(ORIGINAL, text)
            message.set(TEXT, rest)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class PlaceInPassingRestore(GraphComponent):
    """Last in the pipeline: the message's own words back, for the actions (a note's answer is
    saved as it was typed)."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> PlaceInPassingRestore:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            original = message.get(ORIGINAL)
            if original:
                message.set(TEXT, original)
        return messages


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
                continue
            chosen = {"name": INTENT, "confidence": self.confidence}
            rest = [dict(i) for i in message.data.get("intent_ranking") or [] if i.get("name") != INTENT]
            for entry in rest:  # the others keep their order, scaled to what is left
                entry["confidence"] = float(entry.get("confidence") or 0.0) * (1.0 - self.confidence)
            message.data["intent"] = dict(chosen)
            message.data["intent_ranking"] = [chosen, *rest]
        return messages
