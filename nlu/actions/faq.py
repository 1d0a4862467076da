"""The knowledge base's buttons and calibrated honesty (issue 12, items 2 and 3).

* ``action_faq`` (intent ``faq_topic``): a topic chosen with a button,
  ``/faq_topic{"topic": "clares_law"}``, says ``utter_faq/clares_law``; "more about
  it", ``/faq_topic{"topic": "clares_law", "detail": "more"}`` or "tell me more" in
  words (the last topic answered), says the topic's longer text.
* ``action_did_you_mean`` (``nlu_fallback``): the NLU was not sure.  Offers the two
  or three likeliest answerable topics as buttons ("Did you mean ..."), or, when
  not even one is likely, says plainly it doesn't know and gives the helpline.
  Never answers a topic itself.

Copy (button titles, the longer texts): ``data/faq_copy.yml``.  No user text is logged.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from nlu.components.topics import topic_ranking

COPY_PATH = Path(__file__).resolve().parents[2] / "data" / "faq_copy.yml"
# A topic worth offering: at least this likely.
MIN_OFFER = 0.08
MAX_OFFERS = 3


@lru_cache(maxsize=1)
def copy() -> dict[str, Any]:
    return dict(yaml.safe_load(COPY_PATH.read_text("utf-8")))


def titles() -> dict[str, str]:
    return dict(copy()["titles"])


def payload(label: str) -> str:
    if label.startswith("faq/"):
        return "/faq_topic" + json.dumps({"topic": label.split("/", 1)[1]})
    return "/" + label


def offers(parse: dict[str, Any], min_offer: float = MIN_OFFER, most: int = MAX_OFFERS) -> list[str]:
    """The likeliest labels that can be offered as buttons, best first."""
    known = titles()
    out: list[str] = []
    for label, p in topic_ranking(parse):
        if p < min_offer or len(out) >= most:
            break
        if label in known and label not in out:
            out.append(label)
    return out


def _entity(tracker: Tracker, name: str) -> str | None:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None


def _last_topic(tracker: Tracker) -> str | None:
    """The topic of the last knowledge-base answer: the parse of the last user message that was one."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        parse = event.get("parse_data") or {}
        if (parse.get("intent") or {}).get("name") == "faq":
            key = ((parse.get("response_selector") or {}).get("faq") or {}).get("response") or {}
            name = str(key.get("intent_response_key") or "")
            if name.startswith("faq/"):
                return name.split("/", 1)[1]
        for entity in parse.get("entities") or []:
            if entity.get("entity") == "topic" and entity.get("value"):
                return str(entity["value"])
    return None


class ActionFaq(Action):
    def name(self) -> str:
        return "action_faq"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        topic = _entity(tracker, "topic")
        responses = (domain or {}).get("responses") or {}
        if topic and _entity(tracker, "detail") != "more" and f"utter_faq/{topic}" in responses:
            dispatcher.utter_message(response=f"utter_faq/{topic}")
            return []
        topic = topic or _last_topic(tracker)
        more = copy()["more"]
        dispatcher.utter_message(text=more.get(topic or "", copy()["more_none"]))
        return []


class ActionDidYouMean(Action):
    def name(self) -> str:
        return "action_did_you_mean"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        labels = offers(tracker.latest_message or {})
        text = copy()
        if not labels:
            dispatcher.utter_message(text=text["dont_know"], buttons=text["dont_know_buttons"])
            return []
        known = titles()
        buttons = [{"title": known[label], "payload": payload(label)} for label in labels]
        buttons.append({"title": str(text["none"]), "payload": "/ask_questions"})
        dispatcher.utter_message(text=text["did_you_mean"], buttons=buttons)
        return []
