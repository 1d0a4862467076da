"""The incident diary: encrypted notes, attachments and answers per user, and their export.

The bot core builds one ``DiaryStore`` at start-up, after ``migrate(url)``, and calls
it through ``asyncio.to_thread``; the export functions take the notes it returns.
"""

from bot.diary.crypto import Cipher
from bot.diary.errors import DiaryError, DiaryKeyError, DiaryLimitError, DiaryValueError, NoteNotFoundError
from bot.diary.store import (
    ATTACHMENT_KINDS,
    DEFAULT_DATABASE_URL,
    EDITABLE_FIELDS,
    MAX_ATTACHMENT_BYTES,
    MAX_FIELD_CHARS,
    TEXT_FIELDS,
    AttachmentInfo,
    DiaryStore,
    Note,
    NoteFields,
    Pattern,
    migrate,
)

__all__ = [
    "ATTACHMENT_KINDS",
    "DEFAULT_DATABASE_URL",
    "EDITABLE_FIELDS",
    "MAX_ATTACHMENT_BYTES",
    "MAX_FIELD_CHARS",
    "TEXT_FIELDS",
    "AttachmentInfo",
    "Cipher",
    "DiaryError",
    "DiaryKeyError",
    "DiaryLimitError",
    "DiaryStore",
    "DiaryValueError",
    "Note",
    "NoteFields",
    "NoteNotFoundError",
    "Pattern",
    "migrate",
]
