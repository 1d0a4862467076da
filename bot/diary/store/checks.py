"""The store's limits and the checks every value passes before it is written.

Too-large input is refused with ``DiaryLimitError``, never cut short silently; a
value of the wrong shape with ``DiaryValueError``.  No message quotes what a user wrote.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from bot.diary.errors import DiaryLimitError, DiaryValueError
from bot.diary.kinds import kind_keys
from bot.diary.store.records import TIME_PRECISIONS
from guidance.note_schema import schema

MAX_FIELD_CHARS = schema().text_chars  # data/note.yml
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024  # what the Telegram Bot API lets a bot download
MAX_ANSWER_BYTES = 64 * 1024
MAX_ANSWER_NAME_CHARS = 64
MAX_FILENAME_CHARS = 255
MAX_FILE_ID_CHARS = 1024
MAX_PAGE_SIZE = 100


def check_text(name: str, value: Any) -> str | None:
    """A note's free text: None when empty, at most ``MAX_FIELD_CHARS``, valid Unicode."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise DiaryValueError(f"{name} must be text, not {type(value).__name__}")
    if not value.strip():
        return None
    if len(value) > MAX_FIELD_CHARS:
        raise DiaryLimitError(
            f"{name} is {len(value)} characters long; a field can hold at most {MAX_FIELD_CHARS}"
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise DiaryValueError(f"{name} is not valid Unicode text") from None
    return value


def check_datetime(name: str, value: Any) -> datetime:
    """A timezone-aware datetime, in UTC."""
    if not isinstance(value, datetime):
        raise DiaryValueError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise DiaryValueError(f"{name} must be timezone-aware (a naive time is ambiguous)")
    return value.astimezone(timezone.utc)


def check_precision(value: Any) -> str | None:
    """One of ``TIME_PRECISIONS``; "exact" is stored as None."""
    if value is None or value == "exact":
        return None
    if value not in TIME_PRECISIONS:
        raise DiaryValueError(f"time_precision must be one of {', '.join(TIME_PRECISIONS)}")
    return str(value)


def check_kind(value: Any) -> str | None:
    """A key of the note schema's kinds, or None."""
    if value is None or value == "":
        return None
    if value not in kind_keys():
        raise DiaryValueError(f"unknown kind {value!r}; one of: {', '.join(kind_keys())}")
    return str(value)


def check_short(name: str, value: Any, limit: int) -> str | None:
    """Short text (a file name, a MIME type) of at most ``limit`` characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise DiaryValueError(f"{name} must be text, not {type(value).__name__}")
    if len(value) > limit:
        raise DiaryLimitError(f"{name} is {len(value)} characters long; at most {limit}")
    return value


def check_page(offset: int, limit: int) -> None:
    if offset < 0 or limit < 1 or limit > MAX_PAGE_SIZE:
        raise DiaryValueError(f"need offset >= 0 and 1 <= limit <= {MAX_PAGE_SIZE}")
