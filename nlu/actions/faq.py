"""The knowledge base's answers, buttons and calibrated honesty (issue 12, items 2 and 3).

* ``action_faq`` answers every question the NLU placed (intent ``faq``: the
  ResponseSelector's topic) and every topic chosen with a button,
  ``/faq_topic{"topic": "clares_law"}``.  A leaflet topic keeps the answer its
  question intent had (:data:`nlu.components.topics.ROUTES`): the same response, or
  the same action run here (reporting and the law ask where the person is; "what can
  I do" shows the safety menu); any other topic says ``utter_faq/<topic>``.  "More
  about it", ``/faq_topic{"topic": "clares_law", "detail": "more"}`` or "tell me more"
  in words (the last topic answered), says the topic's longer text.
* ``action_did_you_mean`` (``nlu_fallback``): the NLU was not sure.  Offers the two
  or three likeliest answerable topics as buttons ("Did you mean ..."), or, when
  not even one is likely, says plainly it doesn't know and gives the helpline.
  Never answers a topic itself.

Copy (button titles, the longer texts): ``data/faq_copy.yml``.  No user text is logged.
"""
from __future__ import annotations

import importlib
import json
import pkgutil
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from guidance.advice import elsewhere_note, elsewhere_topics, jurisdictions, place_of
from guidance.copy import SAVE_AS_NOTE
from nlu.components.asked_too import of_the_person
from nlu.components.follow_up import FOLLOW_UP, entity_value
from nlu.components.topics import (
    ABOUT_SOMEONE_ELSE,
    ASKED_IN_ACCOUNT,
    RETRIEVAL,
    ROUTES,
    WHERE_MORE,
    selected_topic,
    topic_ranking,
)

COPY_PATH = Path(__file__).resolve().parents[2] / "data" / "faq_copy.yml"
# A topic worth offering: at least this likely.
MIN_OFFER = 0.08
MAX_OFFERS = 3
# Topics answered with the route of where the person is (guidance.advice.route): their
# "more" is the rest of that place's text, data/facts.yml jurisdictions.<place>.<key>_more.
MORE = "more"


@lru_cache(maxsize=1)
def copy() -> dict[str, Any]:
    return dict(yaml.safe_load(COPY_PATH.read_text("utf-8")))


def titles() -> dict[str, str]:
    return dict(copy()["titles"])


def payload(label: str) -> str:
    """What a "did you mean" button sends: a leaflet topic its intent (as the bot's other
    buttons do), any other topic ``/faq_topic{"topic": ...}``."""
    if label.startswith(RETRIEVAL + "/"):
        topic = label.split("/", 1)[1]
        if topic in ROUTES:
            return "/" + ROUTES[topic][0]
        return "/faq_topic" + json.dumps({"topic": topic})
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


def _entity(tracker: Tracker, name: str) -> Optional[str]:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None


def _last_topic(tracker: Tracker) -> Optional[str]:
    """The topic of the last knowledge-base answer: the parse of the last user message that was one."""
    for event in reversed(tracker.events):
        topic = _topic_of(event.get("parse_data") or {}) if event.get("event") == "user" else None
        if topic:
            return topic
    return None


def _topic_of(parse: dict[str, Any]) -> Optional[str]:
    """The knowledge-base topic a parse chose (the selector's, or a topic button's entity)."""
    return selected_topic(parse) or entity_value(parse, "topic")


def _bare_follow_up(text: str) -> bool:
    """Typed words with nothing in them but question and function words ("how?", "what do i do",
    "why"): they can only be about the answer just given."""
    from nlu.actions.forms import content_words  # forms imports this module's package

    text = text.strip()
    return bool(text) and not text.startswith("/") and any(c.isalpha() for c in text) \
        and not content_words(text)


def _asks_for_more(parse: dict[str, Any]) -> bool:
    """A turn that asked for more of an answer: "what do you mean", "how?", "More about it"."""
    intent = str((parse.get("intent") or {}).get("name") or "")
    details = [e.get("value") for e in parse.get("entities") or [] if e.get("entity") == "detail"]
    follow_up = entity_value(parse, FOLLOW_UP)
    return intent == "explain" or any(str(d or "").startswith(MORE) for d in details) or (
        follow_up is not None and follow_up == _topic_of(parse)) or (
        intent == "nlu_fallback" and _bare_follow_up(str(parse.get("text") or "")))


def _topic_just_answered(tracker: Tracker) -> tuple[Optional[str], bool]:
    """The topic answered in the turns before this one, and whether its "more" has been given
    already (a turn that asked for more came after the answer, or was the answer)."""
    users = [e for e in reversed(tracker.events) if e.get("event") == "user"][1:]
    given = False
    for n, event in enumerate(users):
        parse = event.get("parse_data") or {}
        topic = _topic_of(parse)
        if topic:
            # the same topic asked twice in typed words: the second got the rest (asked_again)
            again = n + 1 < len(users) and not str(event.get("text") or "").startswith("/") \
                and _topic_of(users[n + 1].get("parse_data") or {}) == topic
            return topic, given or _asks_for_more(parse) or again
        if not _asks_for_more(parse):
            return None, False
        given = True
    return None, False


def follow_up_answer(tracker: Tracker, topic: Optional[str]) -> Optional[str]:
    """A short question read with the one just answered, on the same topic ("how would i even
    check" after the answer about trackers, nlu/components/follow_up.py): the rest of that
    answer, or "That is all I have on it" and the helpline; not such a question: None."""
    if not topic or _entity(tracker, FOLLOW_UP) != topic:
        return None
    return more_of_last_answer(tracker) or str(copy()["more_none"])


def asked_again(tracker: Tracker, topic: Optional[str]) -> Optional[str]:
    """The topic just answered, asked again in other typed words ("how much proof" after "do i need
    proof"): the rest of its answer, not the same words again (asked a third time, "That is all I
    have on it" and the helpline), for a topic whose rest is in data/faq_copy.yml (reporting's and
    the law's depend on the place).  None otherwise (the answer is given as usual)."""
    text = str((tracker.latest_message or {}).get("text") or "")
    if not topic or text.startswith("/") or topic not in (copy()["more"] or {}):
        return None
    before, given = _topic_just_answered(tracker)
    if before != topic:
        return None
    return str(copy()["more_none"]) if given else more_text(topic, MORE)


def more_of_last_answer(tracker: Tracker) -> Optional[str]:
    """The rest of the answer given in the turn before this one, when it has more to it; asked
    again, "That is all I have on it" and the helpline; no such answer: None."""
    topic, given = _topic_just_answered(tracker)
    if not topic or (topic not in WHERE_MORE and topic not in (copy()["more"] or {})):
        return None
    return str(copy()["more_none"]) if given else more_text(topic, MORE, tracker.get_slot("where_person"))


class ActionExplain(Action):
    """"What do you mean?" outside a form: right after a knowledge-base answer with more to it,
    the rest of that answer; otherwise what the four warning signs mean (as before)."""

    def name(self) -> str:
        return "action_explain"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        more = more_of_last_answer(tracker)
        if more:
            dispatcher.utter_message(text=more)
        else:
            dispatcher.utter_message(response="utter_four_signs")
        return []


def _walk(cls: type) -> list[type]:
    out: list[type] = []
    subclasses: list[type] = cls.__subclasses__()
    for sub in subclasses:
        out.append(sub)
        out.extend(_walk(sub))
    return out


_ACTIONS: dict[str, type] = {}


def action_named(name: str) -> Optional[Action]:
    """The custom action called ``name`` (found by its name, wherever it is defined)."""
    if name in _ACTIONS:
        return _ACTIONS[name]()
    for attempt in range(2):
        for cls in _walk(Action):
            try:
                action = cls()
                if action.name() == name:
                    _ACTIONS[name] = cls
                    return action
            except Exception:  # noqa: BLE001, S112 - a base class or mixin that can't stand alone
                continue
        if attempt == 0:  # not imported yet (a test, or a fresh process): load the actions package
            package = importlib.import_module("nlu.actions")
            for module in pkgutil.iter_modules(package.__path__):
                importlib.import_module(f"nlu.actions.{module.name}")
    return None


async def answer_topic(topic: str, dispatcher: CollectingDispatcher, tracker: Tracker,
                       domain: dict[str, Any]) -> list[Any]:
    """Say the answer to ``topic``: a leaflet topic's response or action, or ``utter_faq/<topic>``;
    first, for an answer about England and Wales to someone elsewhere, that it is not their law."""
    say_elsewhere_note(dispatcher, tracker, topic)
    if topic in ROUTES:
        answer = ROUTES[topic][1]
        if answer.startswith("utter_"):
            dispatcher.utter_message(response=answer)
            return []
        action = action_named(answer)
        if action is not None:
            events = action.run(dispatcher, tracker, domain)
            if hasattr(events, "__await__"):
                events = await events
            return list(events or [])
    responses = (domain or {}).get("responses") or {}
    if f"utter_{RETRIEVAL}/{topic}" in responses:
        dispatcher.utter_message(response=f"utter_{RETRIEVAL}/{topic}")
    else:
        dispatcher.utter_message(text=copy()["more_none"])
    return []


def _answer_payloads(topic: str, domain: dict[str, Any]) -> set[str]:
    """The payloads of the buttons that come with ``topic``'s answer (its response in the domain)."""
    name = ROUTES[topic][1] if topic in ROUTES else f"utter_{RETRIEVAL}/{topic}"
    found = ((domain or {}).get("responses") or {}).get(name) or []
    return {str(b.get("payload")) for r in found for b in r.get("buttons") or []}


def say_elsewhere_note(dispatcher: CollectingDispatcher, tracker: Tracker, topic: Optional[str]) -> None:
    """"First: the answer below is about England and Wales ..." for someone in Scotland or Northern
    Ireland asking about orders, Clare's Law or the Victims' Code (guidance.advice.elsewhere_note)."""
    known = tracker.get_slot("where_person")
    if known is None and topic in elsewhere_topics():
        # not known in this conversation (after /start): the bot's desk looks in their saved answers
        dispatcher.utter_message(json_message={"diary": {"op": "elsewhere", "topic": topic}})
        return
    note = elsewhere_note(topic, known)
    if note:
        dispatcher.utter_message(text=note["text"], buttons=note["buttons"])


def more_text(topic: Optional[str], detail: str, where: Optional[str] = None) -> str:
    """The rest of ``topic``'s answer: its ``more`` copy, or, for reporting and the law, the
    rest of the text of the place the button named (or where the person said they are)."""
    if topic in WHERE_MORE:
        named = detail[len(MORE) + 1:] if detail.startswith(MORE + "_") else None
        place = place_of(named) or place_of(where)
        rest = jurisdictions()[place].get(f"{WHERE_MORE[topic]}_more") if place else None
        if rest:
            return str(rest)
    return str(copy()["more"].get(topic or "", copy()["more_none"]))


class ActionFaq(Action):
    def name(self) -> str:
        return "action_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list:
        latest = tracker.latest_message or {}
        topic = _entity(tracker, "topic") or selected_topic(latest)
        detail = _entity(tracker, "detail") or ""
        more = detail == MORE or detail.startswith(MORE + "_") or not topic
        follow_up = follow_up_answer(tracker, topic) or asked_again(tracker, topic)
        if follow_up:
            dispatcher.utter_message(text=follow_up)
            return []
        if not more and topic:
            events = await answer_topic(topic, dispatcher, tracker, domain)
            if _entity(tracker, ASKED_IN_ACCOUNT) and topic not in ABOUT_SOMEONE_ELSE:
                # the question came inside an account: the check it would have started, and the
                # account kept as a note if the person wants (bot/core.py remembers the words)
                text = copy()
                keep = [keep_button()] if an_account(tracker) else []
                offered = _answer_payloads(topic, domain)  # the answer's own buttons: not twice
                check = [b for b in text["asked_in_account_buttons"] if b["payload"] not in offered]
                if keep or check:
                    said = text["asked_in_account_keep" if keep else "asked_in_account"]
                    dispatcher.utter_message(text=str(said), buttons=[*check, *keep])
            return events
        topic = topic or _last_topic(tracker)
        dispatcher.utter_message(text=more_text(topic, detail, tracker.get_slot("where_person")))
        return []


def keep_button() -> dict[str, str]:
    """ "📝 Save what I wrote as a note": bot/core.py keeps the words until the next message."""
    return {"title": str(copy()["save_as_note"]), "payload": SAVE_AS_NOTE}


def an_account(tracker: Tracker) -> bool:
    """The message tells what happened (five words or more, about someone: "he", "my", "I"),
    rather than asks or names a subject ("Reporting stalking anonymously")."""
    from nlu.actions import forms  # forms imports this module: not at module load

    text, intent, confidence = forms.latest(tracker)
    return forms.tells_of_someone(text) and not forms.is_question(text, intent, confidence)


def _own_account(tracker: Tracker) -> bool:
    from nlu.actions import forms  # forms imports this module: not at module load

    return of_the_person(forms.latest(tracker)[0])


class ActionDidYouMean(Action):
    def name(self) -> str:
        return "action_did_you_mean"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        text = copy()
        # "how?" after an answer: the rest of it, not "I don't know"
        more = more_of_last_answer(tracker) \
            if _bare_follow_up(str((tracker.latest_message or {}).get("text") or "")) else None
        if more:
            dispatcher.utter_message(text=more)
            return []
        labels = offers(tracker.latest_message or {})
        # An account of what happened ("he followed me home from the station last night"):
        # it can be kept as it is, as a note (the bot remembers the words until the next message).
        keep = [keep_button()] if an_account(tracker) else []
        if not labels:
            dispatcher.utter_message(text=text["dont_know"], buttons=[*keep, *text["dont_know_buttons"]])
            return []
        known = titles()
        buttons = [{"title": known[label], "payload": payload(label)} for label in labels]
        if keep and _own_account(tracker):
            # "theres this boy in year 11 who keeps following me round school": the person's own
            # account offers the check of what is happening to them, whatever topics it was near
            buttons += [b for b in text["asked_in_account_buttons"]
                        if b["payload"] not in {x["payload"] for x in buttons}]
        buttons += keep
        buttons.append({"title": str(text["none"]), "payload": "/ask_questions"})
        dispatcher.utter_message(text=text["did_you_mean"], buttons=buttons)
        return []
