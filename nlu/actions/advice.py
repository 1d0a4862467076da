"""Safety advice, ordered by what the FOUR check found, the danger follow-up, and where the
person is; the rules are :mod:`guidance.advice`, these are the Rasa actions that use them."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker, ValidationAction
from rasa_sdk.events import EventType, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from guidance import copy
from guidance.advice import (
    change_where_button,
    jurisdictions,
    order_advice,
    place_of,
    place_said,
    route,
    topic_of,
    where_choice,
    where_question,
)
from guidance.places import read_place
from nlu.actions import domain_copy
from nlu.components.place_statement import EXTRACTOR, PLACE_ENTITY, READ_ENTITY


class ActionSafetyAdvice(Action):
    def name(self) -> str:
        return "action_safety_advice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        behaviours = list(tracker.get_slot("behaviours") or [])
        buttons = copy.buttons("safety_menu")
        ordered = order_advice(buttons, behaviours)
        fits = copy.text("safety_fits") if ordered != buttons else ""
        text = copy.text("safety_menu", fits=fits)
        dispatcher.utter_message(text=text, buttons=ordered)
        return []


class ActionEmergency(Action):
    """Rasa read danger now where the bot's safety guard did not fire.

    The guard decides (it reads negation, past events and hypotheticals: "I'm
    not in danger, just asking" is not an alert), so this is a gentle net, not
    the alarm: "if you are in danger now, call 999 now", then what I can do.
    A message the guard fired on arrives as "/pause" instead (see pause.py).
    """

    def name(self) -> str:
        return "action_emergency"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        metadata = (tracker.latest_message or {}).get("metadata") or {}
        if not metadata.get("via_guard"):
            from nlu.actions import faq  # faq imports the actions package: not at module load

            buttons = copy.buttons("danger_check")
            if faq.an_account(tracker):
                # "he followed me home from the station last night about 11, i'm ok now": if it
                # was misread, the account can still be kept as it is, as a note
                buttons = [*buttons, faq.keep_button()]
            dispatcher.utter_message(text=copy.text("danger_check"), buttons=buttons)
        return []


class ActionCoreFallback(Action):
    """When no rule fits the conversation: say so honestly and offer the main paths."""

    def name(self) -> str:
        return "action_core_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        domain_copy.utter(dispatcher, "default")
        return [UserUtteranceReverted()]


# -- where the person is (issue 12 item 6): the routes are guidance.advice ---------------
class ActionWhereRoute(Action):
    """Reporting and the law (and the plan, see risk.ActionPlan): the route of the place
    the person told us; not known in this conversation, the bot looks in their saved
    answers and asks only if it has never been told."""

    topic = "report"

    def name(self) -> str:
        return "action_report"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        place = place_of(tracker.get_slot("where_person"))
        if place is None:
            dispatcher.utter_message(json_message={"diary": {"op": "where", "topic": self.topic}})
            return []
        dispatcher.utter_message(**route(place, self.topic))
        return []


class ActionLaw(ActionWhereRoute):
    topic = "law"

    def name(self) -> str:
        return "action_law"


def keep_where(dispatcher: CollectingDispatcher, place: str) -> None:
    """Where the person is, kept with their data (the desk's saved answers; /forget removes it)."""
    dispatcher.utter_message(json_message={"diary": {"op": "save_answers", "name": "where", "value": place}})


class ActionSetWhere(Action):
    """The answer to "where are you?": kept in the conversation and with the person's data
    (removed by /forget), then the route they asked for.  Without a place: asked again."""

    def name(self) -> str:
        return "action_set_where"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        found = (tracker.latest_message or {}).get("entities") or []
        entities = {e.get("entity"): e.get("value") for e in found}
        topic = topic_of(entities.get("where_topic"))
        place = place_of(entities.get("where"))
        read = entities.get("where_read")
        text = str((tracker.latest_message or {}).get("text") or "")
        if place is None and not text.startswith("/"):
            # typed: "im in manchester", "actually i live in glasgow now" (guidance.places)
            reading = read_place(text)
            if reading is not None and reading.place is None:
                dispatcher.utter_message(**where_choice(reading.name, reading.choices, topic))
                return []
            if reading is not None:
                place, read = reading.place, reading.name
        if place is None:
            dispatcher.utter_message(**where_question(topic))
            return [SlotSet("where_person", None)]
        keep_where(dispatcher, place)
        title = jurisdictions()[place]["title"]
        if read:
            # the route's answer carries "📍 Not in ...?"; the plan does not: the button comes here
            change = [change_where_button(place, topic)] if topic == "plan" else []
            said = copy.text("where_saved_read", read=str(read), place=place_said(place))
            dispatcher.utter_message(text=said,
                                     buttons=change)
        else:
            dispatcher.utter_message(text=copy.text("where_saved", place=title))
        if topic == "plan":
            dispatcher.utter_message(json_message={"diary": {"op": "plan"}})
        else:
            dispatcher.utter_message(**route(place, topic))
        return [SlotSet("where_person", place)]


class ValidateSlotMappings(ValidationAction):
    """Where the person is, said in passing ("im in glasgow, can i report him online"): the NLU
    marks the place (nlu/components/place_statement.py); here, at the start of the turn, before
    the question is answered, it is kept with their data and said back (with the 📍 button to
    change it), so the answer, and every later one, is for that place and "Where are you?" is not
    asked.  Not in a note: a place there is where something happened.  Already known: nothing said.
    """

    async def extract_where_person(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: dict[str, Any]) -> dict[str, Any]:
        found = [e for e in (tracker.latest_message or {}).get("entities") or []
                 if e.get("extractor") == EXTRACTOR]
        values = {str(e.get("entity")): str(e.get("value")) for e in found}
        place = place_of(values.get(PLACE_ENTITY))
        if place is None or tracker.active_loop_name == "note_form" \
                or place == tracker.get_slot("where_person"):
            return {}
        keep_where(dispatcher, place)
        said = place_said(place)
        dispatcher.utter_message(text=copy.text("where_saved_in_passing", read=values.get(READ_ENTITY, said),
                                                place=said),
                                 buttons=[change_where_button(place, "report")])
        return {"where_person": place}
