"""Every knowledge-base answer's first message is short, and its "More" gives the rest (issue 12).

Issue 12: an answer is about 600 characters at most, with a button for more.  Measured as
the person reads it: the contacts of data/facts.yml filled in, for every topic typed as a
question, for every leaflet response its button gives, and for reporting and the law in each
of the four places.  Each "More" button, pressed, must say the rest of that answer: text of
its own, not "that is all I have", not a line the first message already said, and a payload
that fits Telegram's 64 bytes of callback data (or the button would send its title instead).
"""
from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 600
TELEGRAM_CALLBACK_BYTES = 64
PAYLOAD = re.compile(r"^/(\w+)(\{.*\})?$")


def _responses() -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((ROOT / "domain").glob("*.yml")):
        out.update((yaml.safe_load(path.read_text("utf-8")) or {}).get("responses") or {})
    return out


RESPONSES = _responses()


def _render(text: str) -> str:
    from guidance.facts import Facts

    return Facts.load().render(text)


def _unbrace(payload: str) -> str:
    """A domain response's payload as Rasa gives it back: doubled braces become single."""
    return payload.replace("{{", "{").replace("}}", "}")


class _Tracker:
    def __init__(self, latest: dict, slots: dict | None = None) -> None:
        self.latest_message = latest
        self.events: list = []
        self.slots = slots or {}

    def get_slot(self, name: str) -> Any:
        return self.slots.get(name)


def _run_faq(latest: dict, slots: dict | None = None) -> list[dict[str, Any]]:
    """What action_faq says, each message as the person gets it (a response looked up)."""
    from rasa_sdk.executor import CollectingDispatcher

    from nlu.actions.faq import ActionFaq

    dispatcher = CollectingDispatcher()
    asyncio.run(ActionFaq().run(dispatcher, _Tracker(latest, slots), {"responses": RESPONSES}))
    out = []
    for message in dispatcher.messages:
        if message.get("response"):
            first = RESPONSES[message["response"]][0]
            buttons = [dict(b, payload=_unbrace(str(b["payload"]))) for b in first.get("buttons") or []]
            out.append({"name": message["response"], "text": first.get("text", ""), "buttons": buttons})
        elif message.get("text"):
            out.append({"name": "text", "text": message["text"], "buttons": message.get("buttons") or []})
    return out


def _typed(topic: str) -> dict:
    return {"intent": {"name": "faq", "confidence": 0.9},
            "response_selector": {"faq": {"response": {"intent_response_key": f"faq/{topic}"}}}}


def _first_answers() -> list[tuple[str, dict[str, Any]]]:
    """(where it comes from, message) for every first answer a knowledge-base topic can give."""
    from guidance.advice import PLACES, route
    from nlu.components.topics import ROUTES

    out: list[tuple[str, dict[str, Any]]] = []
    native = {name.split("/", 1)[1] for name in RESPONSES if name.startswith("utter_faq/")}
    topics = sorted(native | set(ROUTES))
    for topic in topics:
        for place in [None, *PLACES]:
            for message in _run_faq(_typed(topic), {"where_person": place, "behaviours": []}):
                out.append((f"{topic} typed ({place})", message))
    for name, variations in RESPONSES.items():  # the responses themselves (buttons, rules, forms)
        if name.startswith("utter_faq/") or name in {answer for _, answer in ROUTES.values()}:
            for variation in variations:
                buttons = [dict(b, payload=_unbrace(str(b["payload"])))
                           for b in variation.get("buttons") or []]
                out.append((name, {"name": name, "text": variation.get("text", ""), "buttons": buttons}))
    for place in PLACES:
        for key in ("report", "law"):
            out.append((f"{key} in {place}", {"name": key, **route(place, key)}))
    return out


ANSWERS = _first_answers()


def _more_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in message.get("buttons") or []
            if str(b.get("payload", "")).startswith("/faq_topic") and '"detail"' in str(b["payload"])]


def test_the_answers_cover_every_topic_and_place() -> None:
    assert len(ANSWERS) > 150
    assert any("scotland" in where for where, _ in ANSWERS)


@pytest.mark.parametrize("where,message", ANSWERS, ids=[where for where, _ in ANSWERS])
def test_every_first_answer_is_at_most_600_characters(where: str, message: dict[str, Any]) -> None:
    text = _render(message["text"])
    assert len(text) <= LIMIT, f"{where}: {len(text)} characters"


def test_the_answers_that_were_split_have_a_more_button() -> None:
    """The answers that were over 600 characters say the rest behind "More"."""
    from guidance.advice import route

    for name in ("utter_record", "utter_online_safety", "utter_signposts", "utter_faq/evidence_log",
                 "utter_faq/online_safety", "utter_faq/helplines", "utter_faq/reporting"):
        buttons = [dict(b, payload=_unbrace(str(b["payload"]))) for b in RESPONSES[name][0]["buttons"]]
        assert _more_buttons({"buttons": buttons}), name
    for place, key in (("england_wales", "report"), ("scotland", "report"), ("west_midlands", "law"),
                       ("england_wales", "law"), ("northern_ireland", "law")):
        assert _more_buttons(route(place, key)), (place, key)


@pytest.mark.parametrize("where,message", ANSWERS, ids=[where for where, _ in ANSWERS])
def test_each_more_button_says_the_rest_of_its_answer(where: str, message: dict[str, Any]) -> None:
    from nlu.actions.faq import copy

    none = _render(copy()["more_none"])
    first_lines = {line.strip() for line in _render(message["text"]).splitlines() if line.strip()}
    for button in _more_buttons(message):
        payload = str(button["payload"])
        assert len(payload.encode("utf-8")) <= TELEGRAM_CALLBACK_BYTES, (where, payload)
        match = PAYLOAD.match(payload)
        assert match and match.group(1) == "faq_topic", payload
        entities = [{"entity": k, "value": v} for k, v in json.loads(match.group(2)).items()]
        # pressed later, when the conversation no longer knows where the person is
        [more] = _run_faq({"intent": {"name": "faq_topic"}, "entities": entities})
        rest = _render(more["text"])
        assert rest.strip() and rest != none, (where, payload)
        assert len(rest) <= LIMIT, (where, len(rest))
        repeated = [line for line in rest.splitlines()[1:] if line.strip() in first_lines]
        assert not repeated, (where, repeated)


def test_more_in_words_after_reporting_gives_the_rest_for_where_the_person_is() -> None:
    from guidance.advice import jurisdictions

    words = {"intent": {"name": "faq_topic"},
             "entities": [{"entity": "topic", "value": "reporting"}, {"entity": "detail", "value": "more"}]}
    [more] = _run_faq(words, {"where_person": "scotland"})
    assert more["text"] == jurisdictions()["scotland"]["report_more"]
    [more] = _run_faq(words, {"where_person": "west_midlands"})  # nothing more there: said so
    assert "That is all I have" in more["text"]
