"""Safety advice, ordered by what the FOUR check found, and the danger follow-up."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, UserUtteranceReverted
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
