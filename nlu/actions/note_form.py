"""The note form's validation: each step's answer read, one step at a time.

Dates read in UK style and shown back, skips, kinds, length limits; a question
inside an answer is answered and the step asked again; a correction goes to the
field it corrects; nothing is thrown away without asking.  The note's slots and
layout: :mod:`nlu.actions.note`.
"""
from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any, Optional

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

from guidance import copy
from guidance.dates import (
    echo,
    names_a_vague_past,
    names_only_a_time,
    read_time_correction,
    read_when,
    saved_as,
)
from guidance.note_schema import FALLBACK_KIND, Field
from guidance.when import FutureDate, When
from nlu.actions import domain_copy, forms
from nlu.actions.answers import extract_behaviours
from nlu.actions.note import (
    LEAVE,
    MAX_FIELD_CHARS,
    NONE_WORDS,
    NOTE,
    NOTE_SLOTS,
    OPTIONAL,
    REVIEW,
    SKIP_WORDS,
    SKIPPED,
    TEXT_SLOTS,
    field_label,
    words_and_intent,
)

# The review's and the steps' own buttons: '/affirm{"note_step": "change"}' and the like.
_STEP_IN_PAYLOAD = re.compile(r'"note_step"\s*:\s*"(\w+)"')

# the step that asks when it happened (a time corrected in passing goes here)
WHEN_SLOT = next(str(f.slot) for f in NOTE.steps if f.type == "when")
# the step that asks where it happened
PLACE_SLOT = "note_where"  # (data/note.yml; without such a step, nothing changes)
# the step that asks what happened (an account typed at the time's step is kept there)
ACCOUNT_SLOT = "note_what"


def _already_read(value: Any, tracker: Tracker) -> bool:
    """A value kept from before (a note carried on after a pause), not this message's words."""
    return value != (tracker.latest_message or {}).get("text")


def _step_payload(text: str) -> Optional[str]:
    found = _STEP_IN_PAYLOAD.search(text) if text.startswith("/") else None
    return found.group(1) if found else None


def _answered(tracker: Tracker, but: str) -> bool:
    return any(tracker.get_slot(slot) not in (None, "") for slot in NOTE_SLOTS if slot != but)


class ValidateNoteForm(domain_copy.PauseFirst, FormValidationAction):
    """One step at a time: dates read in UK style and shown back, skips, kinds, length
    limits; a question inside an answer is answered and the step asked again; a
    correction goes to the field it corrects; nothing is thrown away without asking."""

    def name(self) -> str:
        return "validate_note_form"

    @staticmethod
    def _aside(slot: str, dispatcher: CollectingDispatcher, tracker: Tracker,
               domain: dict[str, Any]) -> tuple[Optional[dict[str, Any]], str]:
        """What every step reads before its own answer: the step's buttons, leaving,
        a question, a correction of another field.  Returns (slots to set, or None to
        read the answer; the words to read as the answer)."""
        text, intent, confidence = forms.latest(tracker)
        step = _step_payload(text)
        if step == "discard":
            return dict(LEAVE), text
        waiting = tracker.get_slot(REVIEW) == "discard"  # "throw this note away?" was asked
        said = forms.read_answer(text) if waiting and not text.startswith("/") else None
        if waiting and (text == "/affirm" or said == "yes"):
            return dict(LEAVE), text
        if step == "keep" or (waiting and (text == "/deny" or said == "no")):
            dispatcher.utter_message(text=copy.text("note_kept"))
            return {slot: None, REVIEW: None}, text
        if step in NOTE_SLOTS:  # "Change the time" and the like: ask that field again
            return {step: None, slot: None, REVIEW: None}, text
        if slot != WHEN_SLOT and not text.startswith("/") and len(forms.clean(text).split()) <= 3 \
                and _asked_change_it(tracker):
            # "Saved as Fri 20 Nov, time not given. Change it?" came with this step's question: a
            # bare "no" or "yes" answers that, never this step ("Where: yes" before).  "yes" could
            # mean "change it" or "that's right": the button says which, never a guess.
            said = forms.read_answer(text)
            if said in ("yes", "no"):
                shown = echo(When.from_slot(tracker.get_slot(WHEN_SLOT)))
                entry = "note_when_kept" if said == "no" else "note_when_yes"
                dispatcher.utter_message(text=copy.text(entry, when=shown),
                                         buttons=copy.buttons("note_when_change") if said == "yes" else [])
                return {slot: None}, text
        if forms.means_stop(text, intent, confidence):
            if not _answered(tracker, but=slot):
                return dict(LEAVE), text
            return {slot: None, REVIEW: "discard"}, text
        reset = {REVIEW: None} if tracker.get_slot(REVIEW) else {}
        # a question, or a question's button pressed here ("did you mean ...")
        # an account with a question in it, at a free-text step: the step's answer (_text_step)
        account = slot in TEXT_SLOTS and forms.asked_in_passing(tracker)
        question = forms.is_question(text, intent, confidence) and not account
        if question or (
                text.startswith("/") and forms.about_a_topic(intent, confidence)):
            forms.answer_question(dispatcher, tracker, domain, copy.text("back_to_note"))
            return {slot: None, **reset}, text
        return ValidateNoteForm._correct(slot, text, dispatcher, tracker, reset)

    @staticmethod
    def _correct(slot: str, text: str, dispatcher: CollectingDispatcher, tracker: Tracker,
                 reset: dict[str, Any]) -> tuple[Optional[dict[str, Any]], str]:
        """A correction of another field: that field changed (or added to), said back;
        this step asked again.  (None, words): not a correction of another field."""
        body = forms.correction_body(text)
        if body is None:
            return None, text
        field = forms.note_field_of(body)
        if field is None and names_only_a_time(body):  # "wait, more like half 10"
            field = WHEN_SLOT
        echoed = False
        if field is None:  # the earlier answer it repeats a word of
            answers = {name: str(tracker.get_slot(name)) for name in TEXT_SLOTS
                       if name != slot and tracker.get_slot(name) not in (None, SKIPPED)}
            field = forms.field_it_echoes(body, answers)
            echoed = field is not None
        if field is None or field == slot or field not in NOTE_SLOTS:
            return None, body if field == slot else text
        kind_of_field = NOTE.by_slot(field).type
        if kind_of_field == "kind":  # chosen with its buttons, not corrected in passing
            return None, text
        if kind_of_field == "when":
            before = tracker.get_slot(field)
            try:  # a time alone keeps the day already given ("more like half 10": 22:30 that night)
                when = (read_time_correction(body, When.from_slot(before)) if before
                        else read_when(body))
            except (FutureDate, ValueError):
                when = None
            if when is None:
                return None, text
            value = when.to_slot()
            shown = echo(when)
        else:
            before = tracker.get_slot(field)
            value = body[:MAX_FIELD_CHARS]
            # an addition, or a correction found by a word it repeats: kept beside the answer
            # it corrects, which may say more than the correction ("tall, black jacket, silver golf")
            if (forms.adds(body) or echoed) and before not in (None, SKIPPED):
                value = f"{before}; {body}"[:MAX_FIELD_CHARS]
            shown = value
        dispatcher.utter_message(text=copy.text(
            "note_corrected", field=field_label(field), value=shown))
        return {field: value, slot: None, **reset}, text

    async def _text_step(self, slot: str, value: Any, dispatcher: CollectingDispatcher,
                         tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        if value is None or value == SKIPPED or _already_read(value, tracker):
            return {slot: value}
        handled, text = self._aside(slot, dispatcher, tracker, domain)
        if handled is not None:
            return handled
        _, intent = words_and_intent(tracker)
        if slot in OPTIONAL and NONE_WORDS.match(text):
            return {slot: text.strip()}
        if slot in OPTIONAL and (text == "/deny" or SKIP_WORDS.match(text)):
            return {slot: SKIPPED}
        if slot not in OPTIONAL and text.strip().lower() in ("skip", "/deny"):
            dispatcher.utter_message(text=copy.text("note_empty"))
            return {slot: None}
        if text.startswith("/") or not text.strip():  # a button of another question, pressed late
            entry = "note_type_or_skip" if slot in OPTIONAL else "note_empty"
            dispatcher.utter_message(text=copy.text(entry))
            return {slot: None}
        if len(text) > MAX_FIELD_CHARS:
            dispatcher.utter_message(text=copy.text("note_too_long", limit=MAX_FIELD_CHARS))
            return {slot: None}
        if slot == PLACE_SLOT and ACCOUNT_SLOT in NOTE_SLOTS and not tracker.get_slot(ACCOUNT_SLOT) \
                and forms.begins_an_account(text) and not forms.asked_in_passing(tracker):
            # "he sat outside in his car for an hour", typed at "Where did it happen?": what
            # happened (asked for next), kept there, and the place asked again, as at the time step
            dispatcher.utter_message(text=copy.text("note_account_kept_for_later",
                                                    field=field_label(ACCOUNT_SLOT)))
            return {slot: None, ACCOUNT_SLOT: text}
        if intent == "emergency" and slot != PLACE_SLOT:
            # The bot's guard catches danger now before this; here the words are
            # kept as written (a note describes what happened) with the 999 line.  Not
            # for the place: "outside my flat" answers "where did it happen?" (the NLU
            # reads it as danger, 0.89); the guard has already read the words.
            dispatcher.utter_message(text=copy.text("note_danger_reminder"))
        if forms.asked_in_passing(tracker):
            # "he followed me home again, is that even illegal?": the account is this step's
            # answer, and the question in it is answered before the next step
            dispatcher.utter_message(text=copy.text("note_kept_and_asked", field=field_label(slot)))
            forms.answer_question(dispatcher, tracker, domain, None)
        return {slot: text}

    async def _when_step(self, slot: str, value: Any, dispatcher: CollectingDispatcher,
                         tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        """The time: read in UK style and shown back ("Saved as Thu 26 Nov, about 23:00")."""
        if value is None:
            return {slot: None}
        if value != tracker.latest_message.get("text"):  # already read: a date set here
            return {slot: value}
        handled, text = self._aside(slot, dispatcher, tracker, domain)
        if handled is not None:
            return handled
        try:
            when = read_when(text)
        except FutureDate:
            dispatcher.utter_message(text=copy.text("note_when_future"))
            return {slot: None}
        if when is None:
            if ACCOUNT_SLOT in NOTE_SLOTS and not tracker.get_slot(ACCOUNT_SLOT) \
                    and forms.tells_of_someone(text) and len(text) <= MAX_FIELD_CHARS:
                # "he was waiting outside my work again and followed me to the bus stop", typed
                # first: kept for what happened (asked for after the time), not lost
                dispatcher.utter_message(text=copy.text("note_account_kept_for_later",
                                                        field=field_label(ACCOUNT_SLOT)))
                return {slot: None, ACCOUNT_SLOT: text}
            if forms.knows_no_date(text):
                # "i dont remember": not a loop of "couldn't read that"; the note says it has no
                # date (kept in order at the time it was written) and a rough one can be given later
                when = When(datetime.now(timezone.utc).replace(microsecond=0), "unknown")
                dispatcher.utter_message(text=f"{saved_as(when)} {copy.text('note_when_unknown')}",
                                         buttons=copy.buttons("note_when_change"))
                return {slot: when.to_slot()}
            unread = "note_when_vague" if names_a_vague_past(text) else "note_when_unclear"
            dispatcher.utter_message(text=copy.text(unread))
            return {slot: None}
        change = "" if when.ambiguous else f" {copy.text('note_when_change')}"
        dispatcher.utter_message(text=f"{saved_as(when)}{change}",
                                 buttons=copy.buttons("note_when_change"))
        return {slot: when.to_slot()}

    async def _kind_step(self, slot: str, value: Any, dispatcher: CollectingDispatcher,
                         tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        """The kind: a button, or words (kept, and filed under the kind they name, else "other");
        the slot holds "kind|words"."""
        if value is None or value == SKIPPED:
            return {slot: value}
        if value != tracker.latest_message.get("text"):  # already read
            return {slot: value}
        picked = [e.get("value") for e in (tracker.latest_message or {}).get("entities", [])
                  if e.get("entity") == "behaviour" and e.get("value") in NOTE.kinds]
        if picked:
            return {slot: f"{picked[0]}|"}
        step = await self._text_step(slot, value, dispatcher, tracker, domain)
        answer = step.get(slot)
        if answer in (None, SKIPPED) or slot not in step or len(step) > 1:
            return step
        kind = next((k for k in extract_behaviours(answer) if k in NOTE.kinds), FALLBACK_KIND)
        return {slot: f"{kind}|{answer}"}

    async def validate_note_confirm(self, value: Any, dispatcher: CollectingDispatcher,
                                    tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        """The review: save, change a field, back, or don't save (asked first)."""
        if value is None or value == "yes":
            return {"note_confirm": value}
        text, intent, confidence = forms.latest(tracker)
        step = _step_payload(text)
        review = tracker.get_slot(REVIEW)
        said = forms.read_answer(text) if review == "discard" and not text.startswith("/") else None
        if step == "discard" or (review == "discard" and (text == "/affirm" or said == "yes")):
            return dict(LEAVE)
        if step == "keep" or (review == "discard" and (text == "/deny" or said == "no")):
            return {"note_confirm": None, REVIEW: None}
        if step == "change":
            return {"note_confirm": None, REVIEW: "choose"}
        if step == "back":  # the last step asked again, every other answer kept
            return {"note_confirm": None, NOTE_SLOTS[-1]: None, REVIEW: None}
        if step in NOTE_SLOTS:
            return {"note_confirm": None, step: None, REVIEW: None}
        question = forms.is_question(text, intent, confidence)
        if question:
            forms.answer_question(dispatcher, tracker, domain, copy.text("back_to_note"))
            return {"note_confirm": None, REVIEW: None}
        corrected, _ = self._correct("note_confirm", text, dispatcher, tracker, {REVIEW: None})
        if corrected:
            return corrected
        words_say = None if text.startswith("/") else forms.read_answer(text)
        affirmed = intent == "affirm" and confidence >= 0.5 and not question
        if text == "/affirm" or words_say == "yes" or affirmed:
            return {"note_confirm": "yes", REVIEW: None}
        if text in ("/deny", "/stop") or words_say == "no" or forms.means_stop(text, intent, confidence) \
                or SKIP_WORDS.match(text) or (intent in ("deny", "stop") and not question):
            return {"note_confirm": None, REVIEW: "discard"}
        dispatcher.utter_message(text=copy.text("note_confirm_unclear"))
        return {"note_confirm": None, REVIEW: None}



def _asked_change_it(tracker: Tracker) -> bool:
    """The bot's last turn asked whether to change the time: "Saved as ... Change it?", or its
    own "To change the time (...), press the button" after a bare "yes"."""
    if forms.said_last_turn(tracker, copy.text("note_when_change"), ending=True):
        return True
    shown = tracker.get_slot(WHEN_SLOT)
    return bool(shown) and forms.said_last_turn(
        tracker, copy.text("note_when_yes", when=echo(When.from_slot(shown))))


def _validator(field: Field) -> Callable[..., Awaitable[dict[str, Any]]]:
    """``validate_note_<step>`` for one step of the note schema, by the field's type."""
    read = {"when": ValidateNoteForm._when_step, "kind": ValidateNoteForm._kind_step,
            "text": ValidateNoteForm._text_step}[field.type]
    slot = str(field.slot)

    async def validate(self: ValidateNoteForm, value: Any, dispatcher: CollectingDispatcher,
                       tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        return await read(self, slot, value, dispatcher, tracker, domain)

    validate.__name__ = f"validate_{slot}"
    return validate


for _field in NOTE.steps:  # rasa_sdk calls validate_<slot> for each slot the form fills
    setattr(ValidateNoteForm, f"validate_{_field.slot}", _validator(_field))
