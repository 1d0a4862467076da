"""What the store takes and gives back: plain frozen dataclasses, no database types.

``NoteFields`` is what a person records about one incident; ``Note`` is a saved
one (with its attachments' metadata); both have one attribute per field of the note
schema (``data/note.yml``), so a new field needs no change here; ``AttachmentInfo`` describes a kept file
(never its content); ``Pattern`` counts incidents over recent windows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, make_dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Optional

from guidance.note_schema import schema
from guidance.when import PRECISIONS

TEXT_FIELDS: tuple[str, ...] = schema().text_fields
EDITABLE_FIELDS: tuple[str, ...] = schema().names
ATTACHMENT_KINDS: tuple[str, ...] = (
    "photo",
    "document",
    "voice",
    "video",
    "audio",
    "video_note",
    "animation",
)
# how precisely a note's time was said: the one list, the readers' (guidance.when)
TIME_PRECISIONS = PRECISIONS


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


_TEXTS = [(name, Optional[str], field(default=None)) for name in TEXT_FIELDS]

if TYPE_CHECKING:  # the text fields come from data/note.yml: a type checker sees them as attributes

    class NoteFields:
        __dataclass_fields__: ClassVar[dict[str, Any]]
        occurred_at: datetime
        kind: str | None
        time_precision: str | None

        def __init__(self, occurred_at: datetime, kind: str | None = None, time_precision: str | None = None,
                     **texts: str | None) -> None: ...

        def __getattr__(self, name: str) -> str | None: ...

    class Note:
        __dataclass_fields__: ClassVar[dict[str, Any]]
        id: int
        occurred_at: datetime
        created_at: datetime
        updated_at: datetime
        kind: str | None
        time_precision: str | None
        attachment_count: int
        attachments: tuple[AttachmentInfo, ...]
        unreadable: bool

        def __init__(self, id: int, occurred_at: datetime, created_at: datetime, updated_at: datetime,
                     kind: str | None = None, time_precision: str | None = None, attachment_count: int = 0,
                     attachments: tuple[AttachmentInfo, ...] = (), unreadable: bool = False,
                     **texts: str | None) -> None: ...

        def __getattr__(self, name: str) -> str | None: ...

        def fields(self) -> NoteFields: ...
else:
    #: What a person records about one incident: the time (timezone-aware), the kind (a key
    #: of the schema's kinds), one ``str | None`` per text field of data/note.yml, and how
    #: exact the time is (None/"exact", "about", a part of the day, "date": see guidance/dates.py).
    NoteFields = make_dataclass("NoteFields", [
        ("occurred_at", datetime),
        ("kind", Optional[str], field(default=None)),
        *_TEXTS,
        ("time_precision", Optional[str], field(default=None)),
    ], frozen=True)
    NoteFields.__module__ = __name__

    def _fields(self: Any) -> Any:
        """The note's editable content, e.g. to copy it."""
        return NoteFields(**{f.name: getattr(self, f.name) for f in dataclasses.fields(NoteFields)})

    #: A saved note: its content (as NoteFields), when it was written and changed, its
    #: attachments' metadata; ``unreadable``: the row could not be decrypted (damaged or
    #: altered), so only its clear-text columns (when, kind, attachments) are filled in,
    #: and it is left out of exports.
    Note = make_dataclass("Note", [
        ("id", int), ("occurred_at", datetime), ("created_at", datetime), ("updated_at", datetime),
        ("kind", Optional[str], field(default=None)),
        *_TEXTS,
        ("time_precision", Optional[str], field(default=None)),
        ("attachment_count", int, field(default=0)),
        ("attachments", tuple, field(default=(), repr=False)),
        ("unreadable", bool, field(default=False)),
    ], frozen=True, namespace={"fields": _fields})
    Note.__module__ = __name__


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
