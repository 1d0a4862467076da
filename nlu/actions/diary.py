"""The incident log's conversation: asking the note's steps, its review, and the data requests.

Actions here never touch the database.  Where a conversation ends in a data
change (save a note, list, export, forget), the action sends a structured custom
message ``{"diary": {...}}`` that the bot core executes against its store, so the
action server needs no database credentials.  The note's slots and layout are in
:mod:`nlu.actions.note`, the form's validation in :mod:`nlu.actions.note_form`.
"""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from guidance import copy
from nlu.actions import domain_copy
from nlu.actions.note import (
    NOTE,
    NOTE_SLOTS,
    REVIEW,
    describe_note,
    field_label,
    kind_buttons,
    note_fields,
    words_and_intent,
)

# Words that ask for data to be removed: such a message goes to "delete everything?"
# (with confirmation), never to an export, whatever the classifier guessed.
_DELETE_WORDS = re.compile(
    r"\b(delet\w*|wip(e|ed|es|ing)|eras\w*|remov\w*|forget|get rid|destroy\w*|clear\w*|"
    r"off my phone|nothing left)\b", re.IGNORECASE)


def mentions_deleting(text: str) -> bool:
    return not text.startswith("/") and bool(_DELETE_WORDS.search(text))


class ActionResetNote(Action):
    def name(self) -> str:
        return "action_reset_note"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        if tracker.get_slot("paused_form") == "note_form" \
                and any(tracker.get_slot(slot) not in (None, "") for slot in NOTE_SLOTS):
            # A note waits with answers (paused by an alert, "hold on" or another form): a new
            # note would throw them away unasked.  Carry on with it, or stop it first.
            domain_copy.utter(dispatcher, "note_unfinished")
            return [FollowupAction("action_listen")]
        return [SlotSet(slot, None) for slot in (*NOTE_SLOTS, "note_confirm", REVIEW)] + \
            domain_copy.clear_pause_of(tracker, "note_form")


KIND_SLOTS = frozenset(str(f.slot) for f in NOTE.steps if f.type == "kind")


def _discard_question(dispatcher: CollectingDispatcher) -> None:
    domain_copy.utter(dispatcher, "note_discard_confirm")


def _make_ask(slot: str) -> type:
    """The step's question, or "throw this note away?" when that is waiting."""

    class ActionAskNote(Action):
        def name(self) -> str:
            return f"action_ask_{slot}"

        async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                      domain: dict[str, Any]) -> list[EventType]:
            if tracker.get_slot(REVIEW) == "discard":
                _discard_question(dispatcher)
            elif slot in KIND_SLOTS:  # a button per kind (data/note.yml), then the copy's own (Skip)
                dispatcher.utter_message(text=copy.text(f"ask_{slot}"),
                                         buttons=[*kind_buttons(), *copy.buttons(f"ask_{slot}")])
            else:
                domain_copy.utter(dispatcher, f"ask_{slot}")
            return []

    ActionAskNote.__name__ = f"ActionAsk{slot.title().replace('_', '')}"
    return ActionAskNote


ASK_NOTE_ACTIONS = [_make_ask(slot) for slot in NOTE_SLOTS]


class ActionAskNoteConfirm(Action):
    """The review: the note, and Save / Change a field / Back / Don't save."""

    def name(self) -> str:
        return "action_ask_note_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        review = tracker.get_slot(REVIEW)
        if review == "discard":
            _discard_question(dispatcher)
            return []
        if review == "choose":
            buttons = [{"title": field_label(slot), "payload": f'/affirm{{"note_step": "{slot}"}}'}
                       for slot in NOTE_SLOTS]
            buttons += copy.buttons("note_choose_field")
            dispatcher.utter_message(text=copy.text("note_choose_field"), buttons=buttons)
            return []
        fields = note_fields(tracker.current_slot_values())
        text = copy.text("ask_note_confirm", note=describe_note(fields))
        dispatcher.utter_message(text=text, buttons=copy.buttons("ask_note_confirm"))
        return []


class ActionSaveNote(Action):
    """Hand the confirmed note to the bot, which saves it and reports the pattern."""

    def name(self) -> str:
        return "action_save_note"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        reset = [SlotSet(slot, None) for slot in (*NOTE_SLOTS, "note_confirm", REVIEW)]
        if tracker.get_slot("note_confirm") != "yes":  # left before confirming
            domain_copy.utter(dispatcher, "note_stopped")
        else:
            fields = note_fields(tracker.current_slot_values())
            dispatcher.utter_message(json_message={"diary": {"op": "save_note", "fields": fields}})
        domain_copy.offer_waiting(dispatcher, tracker, "note_form")
        return reset


class ActionListNotes(Action):
    def name(self) -> str:
        return "action_list_notes"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(json_message={"diary": {"op": "list"}})
        return []


class ActionExportNotes(Action):
    """Ask the bot to show its "send the log as files?" confirmation.

    Nothing is exported here: the files are sent only when the person presses
    the bot's own confirmation button.  A message that mentions deleting or
    wiping asks "delete everything?" instead, whatever the classifier guessed.
    """

    def name(self) -> str:
        return "action_export_notes"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        text, _ = words_and_intent(tracker)
        op = "confirm_forget" if mentions_deleting(text) else "confirm_export"
        dispatcher.utter_message(json_message={"diary": {"op": op}})
        return []


class ActionForget(Action):
    """Ask the bot to show its "delete everything?" confirmation (nothing is deleted here)."""

    def name(self) -> str:
        return "action_forget"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(json_message={"diary": {"op": "confirm_forget"}})
        return []
