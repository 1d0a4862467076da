"""The diary store: incident notes, their attachments and a small key/value of answers.

A plain synchronous API (the bot calls it through ``asyncio.to_thread``) over
SQLAlchemy 1.4 in 2.0 style, on SQLite (default) or PostgreSQL.

Rules every method keeps:
- every query is scoped by the caller's ``user_key`` (an HMAC of the user id), so a
  note id alone never reaches another user's data: another user's note is "not found";
- every write is one transaction: a note is saved whole or not at all;
- what a user wrote is encrypted before it is written (``crypto.Cipher``), and no
  exception message or log line contains it;
- too-large input is refused with ``DiaryLimitError``, never cut short silently.

The schema is owned by Alembic (``migrations/``): call ``migrate(url)`` once at
start-up, before the first ``DiaryStore`` call.

One module per reason to change:

=================  ======================================================
``database``       the engine (SQLite pragmas, PostgreSQL pool), migrations
``records``        the dataclasses the store takes and gives back
``checks``         limits and the validation of every value written
``base``           engine, sessions and cipher; rows read back as records
``notes``          save, page, read, edit and delete notes
``attachments``    files kept encrypted, filed to a note or unfiled
``answers``        the per-user key/value of saved answers
``stats``          ``pattern``: counts over the last 7, 14 and 30 days
``forget``         "delete everything of me" and retention
=================  ======================================================
"""

from __future__ import annotations

from bot.diary.errors import DiaryLimitError, DiaryValueError, NoteNotFoundError
from bot.diary.store.answers import AnswersMixin
from bot.diary.store.attachments import AttachmentsMixin
from bot.diary.store.checks import (
    MAX_ANSWER_BYTES,
    MAX_ANSWER_NAME_CHARS,
    MAX_ATTACHMENT_BYTES,
    MAX_FIELD_CHARS,
    MAX_FILE_ID_CHARS,
    MAX_FILENAME_CHARS,
    MAX_PAGE_SIZE,
)
from bot.diary.store.database import DEFAULT_DATABASE_URL, MIGRATIONS_DIR, make_engine, migrate
from bot.diary.store.forget import ForgetMixin
from bot.diary.store.notes import NotesMixin
from bot.diary.store.records import (
    ATTACHMENT_KINDS,
    EDITABLE_FIELDS,
    TEXT_FIELDS,
    TIME_PRECISIONS,
    AttachmentInfo,
    Note,
    NoteFields,
    Pattern,
)
from bot.diary.store.stats import PatternMixin


class DiaryStore(NotesMixin, AttachmentsMixin, AnswersMixin, PatternMixin, ForgetMixin):
    """Encrypted incident notes per user.  Thread-safe; one instance per process.

    ``DiaryStore(database_url, cipher)``; its methods come from the parts above
    (``engine``, ``cipher``, ``user_key`` and ``close`` from ``base.StoreBase``).
    """


__all__ = [
    "ATTACHMENT_KINDS",
    "DEFAULT_DATABASE_URL",
    "EDITABLE_FIELDS",
    "MAX_ANSWER_BYTES",
    "MAX_ANSWER_NAME_CHARS",
    "MAX_ATTACHMENT_BYTES",
    "MAX_FIELD_CHARS",
    "MAX_FILENAME_CHARS",
    "MAX_FILE_ID_CHARS",
    "MAX_PAGE_SIZE",
    "MIGRATIONS_DIR",
    "TEXT_FIELDS",
    "TIME_PRECISIONS",
    "AttachmentInfo",
    "DiaryLimitError",
    "DiaryStore",
    "DiaryValueError",
    "Note",
    "NoteFields",
    "NoteNotFoundError",
    "Pattern",
    "make_engine",
    "migrate",
]
