"""The Rasa side of copy: sending a copy entry, a form's questions, the domain's responses
for questions asked inside a form, and pausing a form.

The copy itself (``data/copy.yml``, one ``[[name]]`` placeholder style) is read by
:mod:`guidance.copy`; actions that rearrange it (reorder buttons, tick chosen options,
fill counts) read it there.
"""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import ActionExecutionRejection

from guidance import copy

QUESTION_RESPONSES = {
    "ask_signposts": "utter_signposts",
    "ask_report": "utter_report",
    "ask_record": "utter_record",
    "ask_tell_someone": "utter_tell_someone",
    "ask_routines": "utter_routines",
    "ask_online_safety": "utter_online_safety",
    "ask_spo": "utter_spo",
    "ask_what_is_stalking": "utter_what_is_stalking",
    "ask_four_signs": "utter_four_signs",
    "ask_behaviours": "utter_behaviours",
    "ask_anyone": "utter_anyone",
    "ask_romcom": "utter_romcom",
    "ask_friend": "utter_friend",
    "ask_law": "utter_law",
    "ask_about_bot": "utter_about_bot",
    "ask_privacy": "utter_privacy",
}
# Questions whose answer depends on where the person is: the topic of guidance.advice.route.
ROUTED = {"ask_report": "report", "ask_law": "law"}


# A paused form (see nlu/actions/pause.py): which form, at which step, and the
# words that paused it.
PAUSE_SLOTS = ("paused_form", "paused_slot", "paused_text")


def clear_pause_of(tracker: Tracker, form: str) -> list[EventType]:
    """Starting ``form`` afresh drops a pause of that same form."""
    if tracker.get_slot("paused_form") == form:
        return [SlotSet(slot, None) for slot in PAUSE_SLOTS]
    return []


# A pause asked for in words, inside a form: only these (a note's own words, such as
# "he came back to my house", are answers even when the classifier guesses "pause").
_PAUSE_WORDS = re.compile(
    r"^\s*(pause( this| please| it| for now)?|(hold|hang) on( a (sec|second|minute|moment))?|"
    r"wait( please| a (sec|second|minute|moment))?|one (sec|second|moment)|"
    r"(just )?a (sec|second|moment|minute)|give me a (sec|second|minute|moment)|brb|"
    r"i need a (minute|break))\s*[.!]*\s*$", re.IGNORECASE)


def form_name(form: str, capital: bool = False) -> str:
    """What a form is called in the copy ("the warning-signs check"; data/copy.yml form_names),
    with a capital letter to begin a sentence when ``capital``."""
    name = str(copy.entry("form_names")["custom"].get(form, form))
    return name[:1].upper() + name[1:] if capital else name


def offer_waiting(dispatcher: CollectingDispatcher, tracker: Tracker, finished: str) -> None:
    """``finished`` is over (saved, done or stopped): a form that waited behind it (put on hold
    when this one started) is offered again, so the person need not remember to say "carry on"."""
    waiting = tracker.get_slot("paused_form")
    names = copy.entry("form_names")["custom"]
    if not waiting or waiting == finished or waiting not in names:
        return
    text = copy.text("form_still_waiting", waiting=form_name(str(waiting), capital=True))
    dispatcher.utter_message(text=text, buttons=copy.buttons("safety_pause"))


def pause_requested(tracker: Tracker) -> bool:
    """The message pauses the form: the bot's safety guard fired on it (it sends
    "/pause"), or the person said "hold on" / "pause" in so many words."""
    message = tracker.latest_message or {}
    if ((message.get("intent") or {}).get("name")) != "pause":
        return False
    text = str(message.get("text") or "")
    return bool((message.get("metadata") or {}).get("via_guard") or text.startswith("/pause")
                or _PAUSE_WORDS.match(text))


# "Carry on" in so many words: short, and read as such with confidence.
GO_ON_CONFIDENCE = 0.8
GO_ON_MAX_WORDS = 4


def go_on(tracker: Tracker) -> bool:
    """The message says "carry on" / "continue" (or is the "Carry on" button, "/resume"),
    not an answer: "he told me to carry on regardless" is longer and stays an answer."""
    message = tracker.latest_message or {}
    text = str(message.get("text") or "")
    if text == "/resume":
        return True
    intent = message.get("intent") or {}
    return (intent.get("name") == "resume" and float(intent.get("confidence") or 0.0) >= GO_ON_CONFIDENCE
            and not text.startswith("/") and len(text.split()) <= GO_ON_MAX_WORDS)


class PauseFirst:
    """Mixin for a form's validator (before ``FormValidationAction`` in the bases): a pause
    goes to the rules instead of being read as an answer.

    Rejecting the form's run (``ActionExecutionRejection``) lets the rules act on
    the "pause" intent (``data/rules/pause.yml``): the words are not kept.  (Not an
    ``Action`` itself, so rasa_sdk does not register it.)
    """

    # A mixin: name() and the run() it hands over to are the FormValidationAction's, after it in
    # the bases, which mypy cannot see from here (hence the two ignores below).
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        if pause_requested(tracker):
            raise ActionExecutionRejection(self.name(), "paused")  # type: ignore[attr-defined]
        active, waiting = (tracker.active_loop or {}).get("name"), tracker.get_slot("paused_form")
        if go_on(tracker):
            # (the bot's "/resume" for a command of this very form, /note in a note: "carrying on")
            same = bool(((tracker.latest_message or {}).get("metadata") or {}).get("same_form"))
            if waiting and waiting != active and not same:
                # "Carry on" for another form that waits behind this one (a check put on hold
                # for a note): it waits until this one is done.
                text = copy.text("other_form_waiting", waiting=form_name(waiting, capital=True),
                                 form=form_name(str(active)))
                dispatcher.utter_message(text=text)
            else:  # "carry on" with nothing else waiting: never an answer ("Police reference: carry on")
                dispatcher.utter_message(text=copy.text("carry_on_in_form", form=form_name(str(active))))
            step = tracker.get_slot("requested_slot")  # this step is asked again
            return [SlotSet(step, None)] if step else []
        return await super().run(dispatcher, tracker, domain)  # type: ignore[misc]


def domain_response(domain: dict[str, Any], name: str) -> dict[str, Any]:
    variations = domain.get("responses", {}).get(name) or [{}]
    return dict(variations[0])


def link_buttons(response: dict[str, Any]) -> list[dict[str, Any]]:
    """Only the buttons that open a link: safe to show in the middle of the check."""
    return [dict(b) for b in response.get("buttons", [])
            if not str(b.get("payload", "")).startswith("/")]


def utter(dispatcher: CollectingDispatcher, name: str) -> None:
    """Send copy entry ``name`` as it is written: its text and its buttons."""
    dispatcher.utter_message(text=copy.text(name), buttons=copy.buttons(name))


def make_ask_action(slot: str) -> type:
    """A form's question for ``slot``: the copy entry ``ask_<slot>``, text and buttons."""

    class ActionAsk(Action):
        def name(self) -> str:
            return f"action_ask_{slot}"

        async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                      domain: dict[str, Any]) -> list[EventType]:
            utter(dispatcher, f"ask_{slot}")
            return []

    ActionAsk.__name__ = f"ActionAsk{slot.title().replace('_', '')}"
    return ActionAsk
