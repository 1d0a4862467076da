"""What the store takes and gives back: plain frozen dataclasses, no database types.

``NoteFields`` is what a person records about one incident; ``Note`` is a saved
one (with its attachments' metadata); ``AttachmentInfo`` describes a kept file
(never its content); ``Pattern`` counts incidents over recent windows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime

from bot.diary.models import NOTE_TEXT_FIELDS

TEXT_FIELDS: tuple[str, ...] = NOTE_TEXT_FIELDS
EDITABLE_FIELDS: tuple[str, ...] = ("occurred_at", "kind", *NOTE_TEXT_FIELDS)
ATTACHMENT_KINDS: tuple[str, ...] = (
    "photo",
    "document",
    "voice",
    "video",
    "audio",
    "video_note",
    "animation",
)
TIME_PRECISIONS = ("exact", "about", "morning", "afternoon", "evening", "night", "date")


@dataclass(frozen=True)
class NoteFields:
    """What a person records about one incident (see domain-facts: a good incident log)."""

    occurred_at: datetime  # timezone-aware
    kind: str | None = None  # a key of kinds.yml
    place: str | None = None
    what_happened: str | None = None
    how_detail: str | None = None  # call, text, email, social media, in person, gift, damage...
    appearance: str | None = None  # what they looked like and wore; any vehicle, colour, plate
    witnesses: str | None = None  # who saw it and how to reach them
    feelings: str | None = None  # how it made you feel, what it stopped you doing
    evidence: str | None = None  # screenshots, photos, recordings, gifts, letters kept
    police_ref: str | None = None  # crime reference number, officer's name
    # How exact occurred_at is: None/"exact", "about", "morning"/"afternoon"/"evening"/"night"
    # (no clock time), "date" (time not given); see nlu/dates.py.
    time_precision: str | None = None


@dataclass(frozen=True)
class AttachmentInfo:
    id: int
    note_id: int | None  # None: unfiled (the person has not chosen its note yet)
    kind: str
    telegram_file_id: str | None
    filename: str | None
    mime_type: str | None
    size: int
    created_at: datetime


@dataclass(frozen=True)
class Note:
    id: int
    occurred_at: datetime
    created_at: datetime
    updated_at: datetime
    kind: str | None = None
    place: str | None = None
    what_happened: str | None = None
    how_detail: str | None = None
    appearance: str | None = None
    witnesses: str | None = None
    feelings: str | None = None
    evidence: str | None = None
    police_ref: str | None = None
    time_precision: str | None = None
    attachment_count: int = 0
    attachments: tuple[AttachmentInfo, ...] = field(default=(), repr=False)
    # True: the row could not be decrypted (damaged, or altered); only its clear-text
    # columns (when, kind, attachments) are filled in, and it is left out of exports.
    unreadable: bool = False

    def fields(self) -> NoteFields:
        """The note's editable content, e.g. to copy it."""
        return NoteFields(**{f.name: getattr(self, f.name) for f in _NOTE_FIELDS})


_NOTE_FIELDS = dataclasses.fields(NoteFields)


@dataclass(frozen=True)
class Pattern:
    """How often things happened, for copy like "that is the 5th time in 14 days".

    Windows end at ``now`` and reach back 7, 14 or 30 days: ``now - N days <
    occurred_at <= now``; notes dated in the future are not counted.
    ``newest_ordinal_14_days``: the newest note of the last 14 days is the Nth
    incident in the 14 days up to and including it (None when the last 14 days are
    empty).  Notes without a kind, or with a kind no longer listed, count as "other".
    """

    now: datetime
    total: int
    last_7_days: int
    last_14_days: int
    last_30_days: int
    by_kind_30_days: dict[str, int]
    newest_ordinal_14_days: int | None
