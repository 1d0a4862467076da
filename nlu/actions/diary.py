"""The incident log's conversation: the guided note form and the data requests.

Actions here never touch the database.  Where a conversation ends in a data
change (save a note, list, export, forget), the action sends a structured custom
message ``{"diary": {...}}`` that the bot core executes against its store, so the
action server needs no database credentials.
"""
from __future__ import annotations

import re
from typing import Any, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from nlu.actions import domain_copy
from nlu.actions.answers import BEHAVIOURS, extract_behaviours
from nlu.dates import FutureDate, local_zone, parse_when

NOTE_SLOTS = ("note_when", "note_where", "note_what", "note_how", "note_appearance",
              "note_witnesses", "note_feelings", "note_evidence", "note_police_ref")
OPTIONAL = {"note_how", "note_appearance", "note_witnesses", "note_feelings", "note_evidence",
            "note_police_ref"}
SKIPPED = "__skipped__"
MAX_FIELD_CHARS = 4000
_SKIP_WORDS = re.compile(
    r"^\s*(skip|none|no|nope|nothing|n/?a|-|no one|nobody|not yet|don'?t know)\s*[.!]?\s*$", re.IGNORECASE)
# Leaving the note: only these exact words (a free-text answer such as "stop at
# the bus stop" or "tomorrow" must not end it).
_STOP_WORDS = re.compile(
    r"^\s*(/stop|stop|cancel|quit|exit|leave|don'?t save|do not save|never ?mind|forget it)\s*[.!]*\s*$",
    re.IGNORECASE)
LEAVE = {"requested_slot": None}
_KIND_IN_PAYLOAD = re.compile(r'"behaviour"\s*:\s*"(\w+)"')


def _latest(tracker: Tracker) -> tuple[str, Optional[str]]:
    """The user's words and intent.  (A message the bot's safety guard fired on
    never gets here: it pauses the note, see nlu/actions/pause.py.)"""
    message = tracker.latest_message or {}
    return str(message.get("text") or ""), (message.get("intent") or {}).get("name")


def _already_read(value: Any, tracker: Tracker) -> bool:
    """A value kept from before (a note carried on after a pause), not this message's words."""
    return value != (tracker.latest_message or {}).get("text")


# Words that ask for data to be removed: such a message goes to "delete everything?"
# (with confirmation), never to an export, whatever the classifier guessed.
_DELETE_WORDS = re.compile(
    r"\b(delet\w*|wip(e|ed|es|ing)|eras\w*|remov\w*|forget|get rid|destroy\w*|clear\w*|"
    r"off my phone|nothing left)\b", re.IGNORECASE)


def mentions_deleting(text: str) -> bool:
    return not text.startswith("/") and bool(_DELETE_WORDS.search(text))


def kind_titles() -> dict[str, str]:
    titles = {}
    for button in domain_copy.buttons("ask_note_how"):
        found = _KIND_IN_PAYLOAD.search(str(button.get("payload", "")))
        if found:
            titles[found.group(1)] = str(button["title"])
    return titles


def note_fields(slots: dict[str, Any]) -> dict[str, Optional[str]]:
    """The note as the store wants it, from the form's slots (skipped steps are None)."""
    def value(slot: str) -> Optional[str]:
        raw = slots.get(slot)
        return None if raw in (None, SKIPPED) else str(raw)

    how = value("note_how")
    kind, how_detail = None, None
    if how:
        kind, _, how_detail = how.partition("|")
        how_detail = how_detail or None
    return {
        "occurred_at": value("note_when"),
        "place": value("note_where"),
        "what_happened": value("note_what"),
        "kind": kind,
        "how_detail": how_detail,
        "appearance": value("note_appearance"),
        "witnesses": value("note_witnesses"),
        "feelings": value("note_feelings"),
        "evidence": value("note_evidence"),
        "police_ref": value("note_police_ref"),
    }


def describe_note(fields: dict[str, Optional[str]]) -> str:
    """The note laid out for the user to check before saving."""
    from datetime import datetime

    labels = domain_copy.copy("note_field_labels")["custom"]
    skipped = labels["skipped"]
    when = fields.get("occurred_at")
    when_text = (datetime.fromisoformat(when).astimezone(local_zone()).strftime("%a %d %b %Y, %H:%M")
                 if when else skipped)
    how = kind_titles().get(fields.get("kind") or "", fields.get("kind") or "")
    if fields.get("how_detail"):
        how = f"{how}: {fields['how_detail']}" if how and how != "other" else str(fields["how_detail"])
    rows = [
        (labels["when"], when_text), (labels["where"], fields.get("place")),
        (labels["what"], fields.get("what_happened")), (labels["how"], how or None),
        (labels["appearance"], fields.get("appearance")), (labels["witnesses"], fields.get("witnesses")),
        (labels["feelings"], fields.get("feelings")), (labels["evidence"], fields.get("evidence")),
        (labels["police_ref"], fields.get("police_ref")),
    ]
    return "\n".join(f"{label}: {value or skipped}" for label, value in rows)


class ActionResetNote(Action):
    def name(self) -> str:
        return "action_reset_note"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        return [SlotSet(slot, None) for slot in (*NOTE_SLOTS, "note_confirm")] + \
            domain_copy.clear_pause_of(tracker, "note_form")


class ValidateNoteForm(domain_copy.PauseFirst, FormValidationAction):
    """One step at a time: dates read in UK style, skips, kinds, length limits."""

    def name(self) -> str:
        return "validate_note_form"

    @staticmethod
    def _text_step(slot: str, value: Any, dispatcher: CollectingDispatcher,
                   tracker: Tracker) -> dict[str, Any]:
        if value is None or value == SKIPPED or _already_read(value, tracker):
            return {slot: value}
        text, intent = _latest(tracker)
        if _STOP_WORDS.match(text):
            return LEAVE
        if slot in OPTIONAL and (text == "/deny" or _SKIP_WORDS.match(text)):
            return {slot: SKIPPED}
        if slot not in OPTIONAL and text.strip().lower() in ("skip", "/deny"):
            dispatcher.utter_message(text=domain_copy.text("note_empty"))
            return {slot: None}
        if text.startswith("/") or not text.strip():
            dispatcher.utter_message(text=domain_copy.text("note_empty"))
            return {slot: None}
        if len(text) > MAX_FIELD_CHARS:
            dispatcher.utter_message(text=domain_copy.text("note_too_long").format(limit=MAX_FIELD_CHARS))
            return {slot: None}
        if intent == "emergency":
            # The bot's guard catches danger now before this; here the words are
            # kept as written (a note describes what happened) with the 999 line.
            dispatcher.utter_message(text=domain_copy.text("note_danger_reminder"))
        return {slot: text}

    async def validate_note_when(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        if value is None:
            return {"note_when": None}
        text, _ = _latest(tracker)
        if value != tracker.latest_message.get("text"):  # already read: an ISO date set here
            return {"note_when": value}
        if _STOP_WORDS.match(text):
            return LEAVE
        try:
            when = parse_when(text)
        except FutureDate:
            dispatcher.utter_message(text=domain_copy.text("note_when_future"))
            return {"note_when": None}
        if when is None:
            dispatcher.utter_message(text=domain_copy.text("note_when_unclear"))
            return {"note_when": None}
        return {"note_when": when.isoformat()}

    async def validate_note_where(self, value: Any, dispatcher: CollectingDispatcher,
                                  tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        return self._text_step("note_where", value, dispatcher, tracker)

    async def validate_note_what(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        return self._text_step("note_what", value, dispatcher, tracker)

    async def validate_note_how(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        if value is None or value == SKIPPED:
            return {"note_how": value}
        text, _ = _latest(tracker)
        if value != tracker.latest_message.get("text"):  # already read
            return {"note_how": value}
        if _STOP_WORDS.match(text):
            return LEAVE
        picked = [e.get("value") for e in (tracker.latest_message or {}).get("entities", [])
                  if e.get("entity") == "behaviour" and e.get("value") in BEHAVIOURS]
        if picked:
            return {"note_how": f"{picked[0]}|"}
        step = self._text_step("note_how", text, dispatcher, tracker)
        answer = step["note_how"]
        if answer in (None, SKIPPED):
            return step
        kinds = extract_behaviours(answer)
        return {"note_how": f"{kinds[0] if kinds else 'other'}|{answer}"}

    async def validate_note_appearance(self, value: Any, dispatcher: CollectingDispatcher,
                                       tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        return self._text_step("note_appearance", value, dispatcher, tracker)

    async def validate_note_witnesses(self, value: Any, dispatcher: CollectingDispatcher,
                                      tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        return self._text_step("note_witnesses", value, dispatcher, tracker)

    async def validate_note_feelings(self, value: Any, dispatcher: CollectingDispatcher,
                                     tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        return self._text_step("note_feelings", value, dispatcher, tracker)

    async def validate_note_evidence(self, value: Any, dispatcher: CollectingDispatcher,
                                     tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        return self._text_step("note_evidence", value, dispatcher, tracker)

    async def validate_note_police_ref(self, value: Any, dispatcher: CollectingDispatcher,
                                       tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        return self._text_step("note_police_ref", value, dispatcher, tracker)

    async def validate_note_confirm(self, value: Any, dispatcher: CollectingDispatcher,
                                    tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        if value is None or value == "yes":
            return {"note_confirm": value}
        text, intent = _latest(tracker)
        if _STOP_WORDS.match(text) or intent in ("deny", "stop"):
            return LEAVE
        if intent == "affirm":
            return {"note_confirm": "yes"}
        dispatcher.utter_message(text=domain_copy.text("note_confirm_unclear"))
        return {"note_confirm": None}


ASK_NOTE_ACTIONS = [domain_copy.make_ask_action(slot) for slot in NOTE_SLOTS]


class ActionAskNoteConfirm(Action):
    def name(self) -> str:
        return "action_ask_note_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        fields = note_fields(tracker.current_slot_values())
        text = domain_copy.text("ask_note_confirm").replace("{note}", describe_note(fields))
        dispatcher.utter_message(text=text, buttons=domain_copy.buttons("ask_note_confirm"))
        return []


class ActionSaveNote(Action):
    """Hand the confirmed note to the bot, which saves it and reports the pattern."""

    def name(self) -> str:
        return "action_save_note"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        reset = [SlotSet(slot, None) for slot in (*NOTE_SLOTS, "note_confirm")]
        if tracker.get_slot("note_confirm") != "yes":  # left before confirming
            domain_copy.utter(dispatcher, "note_stopped")
            return reset
        fields = note_fields(tracker.current_slot_values())
        dispatcher.utter_message(json_message={"diary": {"op": "save_note", "fields": fields}})
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
        text, _ = _latest(tracker)
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
