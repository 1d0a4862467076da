"""The incident note as the note form's actions share it: its slots, limits, review
state and how it is laid out for the person to check before saving.

The form's step-by-step reading is in :mod:`nlu.actions.note_form`; asking the
steps, saving and the log's other requests in :mod:`nlu.actions.diary`.
"""
from __future__ import annotations

import re
from typing import Any, Optional

from rasa_sdk import Tracker

from guidance import copy
from guidance.dates import echo_slot

NOTE_SLOTS = ("note_when", "note_where", "note_what", "note_how", "note_appearance",
              "note_witnesses", "note_feelings", "note_evidence", "note_police_ref")
OPTIONAL = {"note_how", "note_appearance", "note_witnesses", "note_feelings", "note_evidence",
            "note_police_ref"}
SKIPPED = "__skipped__"
MAX_FIELD_CHARS = 4000
LEAVE = {"requested_slot": None, "note_review": None}
_KIND_IN_PAYLOAD = re.compile(r'"behaviour"\s*:\s*"(\w+)"')
REVIEW = "note_review"  # None, "choose" (which field to change?) or "discard" (throw it away?)


def words_and_intent(tracker: Tracker) -> tuple[str, Optional[str]]:
    """The user's words and intent.  (A message the bot's safety guard fired on
    never gets here: it pauses the note, see nlu/actions/pause.py.)"""
    message = tracker.latest_message or {}
    return str(message.get("text") or ""), (message.get("intent") or {}).get("name")


def kind_titles() -> dict[str, str]:
    titles = {}
    for button in copy.buttons("ask_note_how"):
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
    labels = copy.entry("note_field_labels")["custom"]
    skipped = labels["skipped"]
    when = fields.get("occurred_at")
    when_text = echo_slot(when) if when else skipped
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


def field_label(slot: str) -> str:
    return str(copy.entry("note_field_labels")["custom"].get(slot.removeprefix("note_"), slot))

