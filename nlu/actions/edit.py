"""Editing one field of a saved note: a one-question form (``edit_note_form``).

/notes, a note opened, "✏️ Edit" and a field: the bot checks that the note is the
person's and sends ``/edit_note{"edit_note_id": "<id>", "edit_field": "<field>"}``.
The form asks for the new value (the field's label from the note schema; the time in
the words of ``edit_prompt_when``), reads it as the note form would (a question is
answered and the value asked again, "stop" or Cancel changes nothing, a time is read
in UK style and a future one refused, text over the schema's limit refused) and ends
in a data request, ``{"diary": {"op": "update_field", ...}}``, that the bot carries
out: actions never touch the database, and the store checks the note is the
person's (a forged id edits nothing).  Danger or a crisis pauses the form like the
others (:mod:`nlu.actions.pause`).  The kind of incident is changed by the bot's own
buttons (``diary:kind:...``), not here.
"""
from __future__ import annotations

import re
from typing import Any, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from guidance import copy
from guidance.dates import names_a_vague_past, names_only_a_time, read_when
from guidance.note_schema import schema
from guidance.when import FutureDate, When
from nlu.actions import domain_copy, forms

# a time said alone is short ("more like half 8"); no more characters than this are sent on
MAX_TIME_CHARS = 100

FORM = "edit_note_form"
NOTE_ID, FIELD, VALUE = "edit_note_id", "edit_field", "edit_value"
PROBLEM, OTHER = "edit_problem", "edit_other"
EDIT_SLOTS = (NOTE_ID, FIELD, VALUE, PROBLEM, OTHER)
#: The fields this form changes: the time and the free-text ones (the kind has buttons).
FIELDS = schema().typed_fields
WHEN_FIELDS = frozenset(f.name for f in schema().fields if f.type == "when")
#: Why an answer was not taken -> the copy that says so (data/diary_copy.yml).
PROBLEMS = {"future": "date_future", "unclear": "date_unclear", "vague": "date_vague",
            "too_long": "field_too_long"}


def diary_copy(key: str, **values: Any) -> str:
    """A text of data/diary_copy.yml (the log's screens share it), its values filled."""
    return copy.fill(str(copy.data_file("diary_copy")[key]), values)


def target(tracker: Tracker) -> Optional[tuple[int, str]]:
    """(note id, field) of the edit, or None when the payload named no editable field."""
    note_id, field = str(tracker.get_slot(NOTE_ID) or ""), str(tracker.get_slot(FIELD) or "")
    if not re.fullmatch(r"\d{1,12}", note_id) or field not in FIELDS:
        return None
    return int(note_id), field


def _switched(tracker: Tracker) -> bool:
    """The bot's "/pause" for a typed command or another button: the person went elsewhere."""
    message = tracker.latest_message or {}
    return bool((message.get("metadata") or {}).get("switch")) and \
        ((message.get("intent") or {}).get("name")) == "pause"


class ActionDeleteHow(Action):
    """"Delete my last note" in words: the note's own 🗑 Delete button does it (with its
    confirmation), so say so and show the log to choose from.  Never "delete everything?"."""

    def name(self) -> str:
        return "action_delete_how"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(text=diary_copy("delete_how"))
        dispatcher.utter_message(json_message={"diary": {"op": "list"}})
        return []


class ActionStartEdit(Action):
    """A fresh edit: no value, no problem, and no pause of an earlier edit left."""

    def name(self) -> str:
        return "action_start_edit"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        return [SlotSet(slot, None) for slot in (VALUE, PROBLEM, OTHER)] + \
            domain_copy.clear_pause_of(tracker, FORM)


class ActionAskEditValue(Action):
    """The question: the new text for the field (or when it happened), with a Cancel button;
    after an answer that was not taken, what was wrong with it instead."""

    def name(self) -> str:
        return "action_ask_edit_value"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        found = target(tracker)
        problem = tracker.get_slot(PROBLEM)
        if problem in PROBLEMS:
            text = diary_copy(PROBLEMS[problem], limit=schema().text_chars)
        elif found and found[1] in WHEN_FIELDS:
            text = diary_copy("edit_prompt_when")
        else:
            text = diary_copy("edit_prompt", label=schema().label(found[1]) if found else "")
        cancel = {"title": str(copy.data_file("diary_copy")["buttons"]["cancel"]), "payload": "/stop"}
        dispatcher.utter_message(text=text, buttons=[cancel])
        return [SlotSet(PROBLEM, None)]


class ValidateEditNoteForm(domain_copy.PauseFirst, FormValidationAction):
    """The new value read: a question answered, stop, a time, a length limit."""

    def name(self) -> str:
        return "validate_edit_note_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        if _switched(tracker) and tracker.active_loop.get("name") == FORM:
            # A typed command or another edit button: this edit ends and nothing is changed
            # (one question: there is nothing to carry on with).
            return [SlotSet(VALUE, None), SlotSet("requested_slot", None)]
        return await super().run(dispatcher, tracker, domain)

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: dict[str, Any]) -> list[str]:
        # No editable field named (a forged payload): nothing to ask, the form ends at once.
        return domain_slots if target(tracker) else []

    async def validate_edit_value(self, value: Any, dispatcher: CollectingDispatcher,
                                  tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        found = target(tracker)
        if value is None or found is None:
            return {VALUE: None}
        text, intent, confidence = forms.latest(tracker)
        if forms.means_stop(text, intent, confidence):  # "stop", "cancel", the Cancel button
            return {VALUE: None, "requested_slot": None}
        if text.startswith("/") or not text.strip():  # another button: the question again
            return {VALUE: None}
        if forms.is_question(text, intent, confidence):
            forms.answer_question(dispatcher, tracker, domain, copy.text("back_to_form"))
            return {VALUE: None}
        if found[1] in WHEN_FIELDS:
            try:
                when = read_when(text)
            except FutureDate:
                return {VALUE: None, PROBLEM: "future"}
            if when is None:
                return {VALUE: None, PROBLEM: "vague" if names_a_vague_past(text) else "unclear"}
            other = (When(when.alternative, when.alternative_precision or when.precision).to_slot()
                     if when.alternative is not None else None)
            return {VALUE: when.to_slot(), OTHER: other}
        if len(text) > schema().text_chars:
            return {VALUE: None, PROBLEM: "too_long"}
        return {VALUE: text}


class ActionUpdateNote(Action):
    """The form is over: hand the new value to the bot (which saves it and shows the note),
    or say that nothing was changed."""

    def name(self) -> str:
        return "action_update_note"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        reset: list[EventType] = [SlotSet(slot, None) for slot in EDIT_SLOTS]
        self._finish(dispatcher, tracker)
        domain_copy.offer_waiting(dispatcher, tracker, "edit_note_form")
        return reset

    @staticmethod
    def _finish(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        found, value = target(tracker), tracker.get_slot(VALUE)
        if found is None and not (tracker.get_slot(NOTE_ID) or tracker.get_slot(FIELD)):
            # Asked for in words ("I want to change a note"): which note is chosen in /notes.
            dispatcher.utter_message(text=diary_copy("edit_how"),
                                     buttons=[{"title": diary_copy("edit_how_button"),
                                               "payload": "/list_notes"}])
            return
        if found is None:  # a payload naming no field this form changes
            dispatcher.utter_message(text=diary_copy("not_found"))
            return
        if value is None:  # stopped, cancelled, or left for something else
            dispatcher.utter_message(text=diary_copy("edit_cancelled"))
            return
        note_id, field = found
        # A time goes as the slot holds it (When.to_slot: "ISO" or "ISO|precision"), with the
        # other reading of an ambiguous one; the desk reads both back with When.from_slot.
        request: dict[str, Any] = {"op": "update_field", "id": note_id, "field": field, "value": str(value)}
        other = tracker.get_slot(OTHER)
        if field in WHEN_FIELDS and other:
            request["alternative"] = str(other)
        said = forms.latest(tracker)[0]
        if field in WHEN_FIELDS and names_only_a_time(said):
            # "more like half 8": a time alone corrects the note's own time (its day kept, the
            # reading nearest it), which only the desk knows; the form's reading is the fallback
            request["time_alone"] = said[:MAX_TIME_CHARS]
        dispatcher.utter_message(json_message={"diary": request})
