"""Safety advice, ordered by what the FOUR check found, and the danger follow-up."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from nlu.actions import domain_copy

# Which advice comes first for which behaviour (leaflet step payloads).
FIRST_FOR = {
    "following": "/ask_routines",
    "turning_up": "/ask_routines",
    "monitoring": "/ask_online_safety",
}


def order_advice(buttons: list[dict[str, Any]], behaviours: list[str]) -> list[dict[str, Any]]:
    """Move the advice that fits the reported behaviours to the front, keeping the rest."""
    first: list[str] = []
    for behaviour in behaviours:
        payload = FIRST_FOR.get(behaviour)
        if payload and payload not in first:
            first.append(payload)
    ranked = [b for p in first for b in buttons if b.get("payload") == p]
    return ranked + [b for b in buttons if b not in ranked]


class ActionSafetyAdvice(Action):
    def name(self) -> str:
        return "action_safety_advice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        behaviours = list(tracker.get_slot("behaviours") or [])
        buttons = domain_copy.buttons("safety_menu")
        ordered = order_advice(buttons, behaviours)
        fits = domain_copy.text("safety_fits") if ordered != buttons else ""
        text = domain_copy.text("safety_menu").format(fits=fits)
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
            domain_copy.utter(dispatcher, "danger_check")
        return []


class ActionCoreFallback(Action):
    """When no rule fits the conversation: say so honestly and offer the main paths."""

    def name(self) -> str:
        return "action_core_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        domain_copy.utter(dispatcher, "default")
        return [UserUtteranceReverted()]


# -- where the person is (issue 12 item 6) -------------------------------------------------
PLACES = ("west_midlands", "england_wales", "scotland", "northern_ireland")
TOPICS = ("report", "law", "plan")
# Questions whose answer depends on where the person is.
ROUTED = {"ask_report": "report", "ask_law": "law"}
DEFAULT_PLACE = "england_wales"  # not told yet (inside a form): 101 works anywhere in the UK
ROOT = Path(__file__).resolve().parents[2]


@lru_cache(maxsize=1)
def jurisdictions() -> dict[str, dict[str, Any]]:
    return dict(yaml.safe_load((ROOT / "data" / "facts.yml").read_text("utf-8"))["jurisdictions"])


def place_of(value: Any) -> Optional[str]:
    return str(value) if value in PLACES else None


def _topic(value: Any) -> str:
    return str(value) if value in TOPICS else "report"


def where_question(topic: str) -> dict[str, Any]:
    """Asked once, when it matters: which of the four places (buttons)."""
    buttons = [{"title": str(spec["title"]),
                "payload": "/set_where" + json.dumps({"where": place, "where_topic": _topic(topic)})}
               for place, spec in jurisdictions().items()]
    return {"text": domain_copy.text("where_ask"), "buttons": buttons}


def route(place: str, topic: str) -> dict[str, Any]:
    """The reporting route or the law of ``place`` (text and buttons, [[key]] placeholders
    unfilled): the configured force's Live Chat only for the West Midlands."""
    spec = jurisdictions()[place]
    response = {"text": str(spec[topic]), "buttons": [dict(b) for b in spec.get(f"{topic}_buttons") or []]}
    response["buttons"] += domain_copy.buttons(f"where_{topic}_more")
    response["buttons"].append({
        "title": domain_copy.text("where_change").format(place=spec["title"]),
        "payload": "/set_where" + json.dumps({"where_topic": topic})})
    return response


def plan_report_text(place: Optional[str]) -> Optional[str]:
    """The plan's "report it" step for ``place`` (None: the plan's own text)."""
    return str(jurisdictions()[place]["plan_report"]) if place in PLACES else None


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


class ActionSetWhere(Action):
    """The answer to "where are you?": kept in the conversation and with the person's data
    (removed by /forget), then the route they asked for.  Without a place: asked again."""

    def name(self) -> str:
        return "action_set_where"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        found = (tracker.latest_message or {}).get("entities") or []
        entities = {e.get("entity"): e.get("value") for e in found}
        topic = _topic(entities.get("where_topic"))
        place = place_of(entities.get("where"))
        if place is None:
            dispatcher.utter_message(**where_question(topic))
            return [SlotSet("where_person", None)]
        dispatcher.utter_message(json_message={"diary": {
            "op": "save_answers", "name": "where", "value": place}})
        dispatcher.utter_message(text=domain_copy.text("where_saved").format(
            place=jurisdictions()[place]["title"]))
        if topic == "plan":
            dispatcher.utter_message(json_message={"diary": {"op": "plan"}})
        else:
            dispatcher.utter_message(**route(place, topic))
        return [SlotSet("where_person", place)]
