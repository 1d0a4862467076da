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


def place_said(place: str, short: bool = False) -> str:
    """How a place is said in a sentence ("England or Wales, outside the West Midlands"), or on
    the 📍 button (``short``: "England or Wales"); its button's title when neither is given."""
    spec = jurisdictions()[place]
    return str(spec.get("short" if short else "said") or spec["title"])


def place_of(value: Any) -> Optional[str]:
    return str(value) if value in PLACES else None


def topic_of(value: Any) -> str:
    return str(value) if value in TOPICS else "report"


SET_WHERE = "/set_where"


def where_payload(topic: str, place: Optional[str] = None, read: Optional[str] = None) -> str:
    """What a "where" button sends, and what a typed place becomes (bot/core.py):
    ``/set_where{"where": ..., "where_topic": ..., "where_read": ...}`` (no place: ask again)."""
    entities: dict[str, str] = {"where": place} if place else {}
    entities["where_topic"] = topic_of(topic)
    if read:
        entities["where_read"] = read
    return SET_WHERE + json.dumps(entities)


def asked_where(payload: str) -> Optional[str]:
    """The topic of a button that answers "Where are you?" with a place; None for any other."""
    if not payload.startswith(SET_WHERE + "{"):
        return None
    try:
        entities = json.loads(payload[len(SET_WHERE):])
    except ValueError:
        return None
    if not isinstance(entities, dict) or place_of(entities.get("where")) is None:
        return None
    return topic_of(entities.get("where_topic"))


def _place_buttons(places: tuple[str, ...], topic: str) -> list[dict[str, Any]]:
    return [{"title": str(spec["title"]), "payload": where_payload(topic, place)}
            for place, spec in jurisdictions().items() if place in places]


def change_where_button(place: str, topic: str) -> dict[str, Any]:
    """"📍 Not in <place>?": the question again."""
    return {"title": copy.text("where_change", place=place_said(place, short=True)),
            "payload": where_payload(topic)}


def elsewhere_topics() -> set[str]:
    """The knowledge-base topics answered for England and Wales only somewhere (data/facts.yml)."""
    return {str(t) for spec in jurisdictions().values() for t in spec.get("england_wales_only") or []}


def elsewhere_note(topic: Optional[str], where: Any) -> Optional[dict[str, Any]]:
    """Said first, before a knowledge-base answer written for England and Wales (orders, Clare's
    Law, the Victims' Code), to someone who told us they are in Scotland or Northern Ireland
    (data/facts.yml ``england_wales_only``): that it is not their law, who can say what is, and
    the buttons for their own place's answer and to change the place; None otherwise."""
    place = place_of(where)
    spec = jurisdictions().get(place or "") or {}
    if not topic or topic not in (spec.get("england_wales_only") or []):
        return None
    assert place is not None
    own = {"title": str(data_file("faq_copy")["titles"]["faq/scotland_ni"]),
           "payload": '/faq_topic{"topic": "scotland_ni"}'}
    return {"text": str(spec["england_wales_only_note"]), "buttons": [own, change_where_button(place, "law")]}


def where_question(topic: str) -> dict[str, Any]:
    """Asked once, when it matters: which of the four places (buttons).  Asked about reporting
    ("should i call the police"), 999 and 101 come first: they hold anywhere in the UK."""
    first = copy.text("where_ask_report_first") + "\n" if topic == "report" else ""
    return {"text": first + copy.text("where_ask"), "buttons": _place_buttons(PLACES, topic)}


def where_choice(name: str, choices: tuple[str, ...], topic: str) -> dict[str, Any]:
    """A typed place that could be more than one of the four ("Bangor", "England"): those
    choices as buttons, never a guess (guidance.places)."""
    return {"text": copy.text("where_which", read=name), "buttons": _place_buttons(choices, topic)}


def route(place: str, topic: str) -> dict[str, Any]:
    """The reporting route or the law of ``place`` (text and buttons, [[key]] placeholders
    unfilled): the configured force's Live Chat only for the West Midlands."""
    spec = jurisdictions()[place]
    buttons: list[dict[str, Any]] = [dict(b) for b in spec.get(f"{topic}_buttons") or []]
    buttons += copy.buttons(f"where_{topic}_more")
    buttons.append(change_where_button(place, topic))
    return {"text": str(spec[topic]), "buttons": buttons}


def plan_report_text(place: Optional[str]) -> Optional[str]:
    """The plan's "report it" step for ``place`` (None: the plan's own text)."""
    return str(jurisdictions()[place]["plan_report"]) if place in PLACES else None
