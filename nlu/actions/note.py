"""The incident note as the note form's actions share it: its slots, limits, review
state and how it is laid out for the person to check before saving.  Every list of
fields, label and limit comes from the note schema (``data/note.yml``).

The form's step-by-step reading is in :mod:`nlu.actions.note_form`; asking the
steps, saving and the log's other requests in :mod:`nlu.actions.diary`.
"""
from __future__ import annotations

import re
from typing import Any, Optional

from rasa_sdk import Tracker

from guidance import copy
from guidance.dates import echo_slot
from guidance.note_schema import FALLBACK_KIND, SKIPPED, schema

NOTE = schema()
#: The note form's steps, in order (data/note.yml); the review (note_confirm) comes after.
NOTE_SLOTS = NOTE.slots
OPTIONAL = NOTE.optional_slots
#: Steps whose answer is free text (the safety pause can keep the paused words there).
TEXT_SLOTS = tuple(str(f.slot) for f in NOTE.steps if f.type == "text")
MAX_FIELD_CHARS = NOTE.text_chars
LEAVE = {"requested_slot": None, "note_review": None}
#: An optional step's "skip" in words.
SKIP_WORDS = re.compile(
    r"^\s*(skip|none|no|nope|nothing|n/?a|-|no one|nobody|not yet|don'?t know)\s*[.!]?\s*$", re.IGNORECASE)
# "No one" to "did anyone see it?", "nothing" to "what evidence have you kept?": an answer the
# police can read (kept as written), not a skipped step.
NONE_WORDS = re.compile(r"^\s*(no ?one|no-one|nobody|none|nothing|no witnesses|no evidence)\s*[.!]?\s*$",
                        re.IGNORECASE)
REVIEW = "note_review"  # None, "choose" (which field to change?) or "discard" (throw it away?)


def words_and_intent(tracker: Tracker) -> tuple[str, Optional[str]]:
    """The user's words and intent.  (A message the bot's safety guard fired on
    never gets here: it pauses the note, see nlu/actions/pause.py.)"""
    message = tracker.latest_message or {}
    return str(message.get("text") or ""), (message.get("intent") or {}).get("name")


def kind_buttons() -> list[dict[str, str]]:
    """The "how" step's buttons: one per kind of incident but "other" (described in words)."""
    return [{"title": label, "payload": f'/affirm{{"behaviour": "{key}"}}'}
            for key, label in NOTE.kinds.items() if key != FALLBACK_KIND]


def note_fields(slots: dict[str, Any]) -> dict[str, Optional[str]]:
    """The note as the store wants it (field name -> value), from the form's slots; skipped
    steps are None.  A kind step's slot holds "kind|the person's words" (its detail field)."""
    fields: dict[str, Optional[str]] = {name: None for name in NOTE.names}
    for field in NOTE.steps:
        raw = slots.get(str(field.slot))
        value = None if raw in (None, SKIPPED) else str(raw)
        if field.type == "kind" and value:
            kind, _, detail = value.partition("|")
            fields[field.name] = kind or None
            if field.detail:
                fields[field.detail] = detail or None
        else:
            fields[field.name] = value
    return fields


def describe_note(fields: dict[str, Optional[str]]) -> str:
    """The note laid out for the person to check before saving: every step, in order."""
    skipped = copy.text("note_field_skipped")
    rows = []
    for field in NOTE.steps:
        value = fields.get(field.name)
        if field.type == "when":
            value = echo_slot(value) if value else None
        elif field.type == "kind":
            detail = fields.get(field.detail) if field.detail else None
            label = NOTE.kind_label(value) if value else None
            value = f"{label}: {detail}" if label and detail and value != FALLBACK_KIND else (detail or label)
        rows.append(f"{field.label}: {value or skipped}")
    return "\n".join(rows)


def field_label(slot: str) -> str:
    """The label of the field a step's slot fills ("note_witnesses" -> "Witnesses")."""
    try:
        return NOTE.by_slot(slot).label
    except KeyError:
        return slot
