"""Safety advice ordered by what the FOUR check found, and where the person is: the
reporting route, the law and the plan's "report it" step of each of the four places.

The places' words are the ``jurisdictions`` of ``data/facts.yml``; contacts in them stay
``[[key]]`` placeholders for the bot to fill (see :mod:`guidance.facts`).
"""
from __future__ import annotations

import json
from typing import Any, Optional

from guidance import copy
from guidance.copy import data_file

# Which advice comes first for which behaviour (leaflet step payloads).
FIRST_FOR = {
    "following": "/ask_routines",
    "turning_up": "/ask_routines",
    "monitoring": "/ask_online_safety",
}

PLACES = ("west_midlands", "england_wales", "scotland", "northern_ireland")
TOPICS = ("report", "law", "plan")
DEFAULT_PLACE = "england_wales"  # not told yet (inside a form): 101 works anywhere in the UK


def order_advice(buttons: list[dict[str, Any]], behaviours: list[str]) -> list[dict[str, Any]]:
    """Move the advice that fits the reported behaviours to the front, keeping the rest."""
    first: list[str] = []
    for behaviour in behaviours:
        payload = FIRST_FOR.get(behaviour)
        if payload and payload not in first:
            first.append(payload)
    ranked = [b for p in first for b in buttons if b.get("payload") == p]
    return ranked + [b for b in buttons if b not in ranked]


def jurisdictions() -> dict[str, dict[str, Any]]:
    return dict(data_file("facts")["jurisdictions"])


def place_of(value: Any) -> Optional[str]:
    return str(value) if value in PLACES else None


def topic_of(value: Any) -> str:
    return str(value) if value in TOPICS else "report"


def where_question(topic: str) -> dict[str, Any]:
    """Asked once, when it matters: which of the four places (buttons)."""
    buttons = [{"title": str(spec["title"]),
                "payload": "/set_where" + json.dumps({"where": place, "where_topic": topic_of(topic)})}
               for place, spec in jurisdictions().items()]
    return {"text": copy.text("where_ask"), "buttons": buttons}


def where_choice(name: str, choices: tuple[str, ...], topic: str) -> dict[str, Any]:
    """A typed place that could be more than one of the four ("Bangor", "England"): those
    choices as buttons, never a guess (guidance.places)."""
    spec = jurisdictions()
    buttons = [{"title": str(spec[place]["title"]),
                "payload": "/set_where" + json.dumps({"where": place, "where_topic": topic_of(topic)})}
               for place in PLACES if place in choices]
    return {"text": copy.text("where_which", read=name), "buttons": buttons}


def route(place: str, topic: str) -> dict[str, Any]:
    """The reporting route or the law of ``place`` (text and buttons, [[key]] placeholders
    unfilled): the configured force's Live Chat only for the West Midlands."""
    spec = jurisdictions()[place]
    buttons: list[dict[str, Any]] = [dict(b) for b in spec.get(f"{topic}_buttons") or []]
    buttons += copy.buttons(f"where_{topic}_more")
    buttons.append({
        "title": copy.text("where_change", place=spec["title"]),
        "payload": "/set_where" + json.dumps({"where_topic": topic})})
    return {"text": str(spec[topic]), "buttons": buttons}


def plan_report_text(place: Optional[str]) -> Optional[str]:
    """The plan's "report it" step for ``place`` (None: the plan's own text)."""
    return str(jurisdictions()[place]["plan_report"]) if place in PLACES else None
