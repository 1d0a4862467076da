"""Exceptions of the diary.  Their messages never contain what a user wrote."""

from __future__ import annotations


class DiaryError(Exception):
    """Base class for every error the diary raises on purpose."""


class DiaryLimitError(DiaryError):
    """A field, an attachment or an answer is larger than the diary accepts."""


class DiaryValueError(DiaryError, ValueError):
    """A value the diary cannot store: an unknown field or kind, a naive datetime, ..."""


class NoteNotFoundError(DiaryError, LookupError):
    """No such note for this user (it may exist, but belongs to someone else)."""


class DiaryKeyError(DiaryError):
    """The encryption key is malformed, or is not the key the data was written with."""


class DiaryKeyMismatchError(DiaryKeyError):
    """The key does not open the data already in the database (a lost or changed key)."""


class DiaryKeyMissingError(DiaryKeyError):
    """No key is set and the key file is gone, but the database already holds a log."""


class DiaryUnavailableError(DiaryError):
    """The log cannot be opened at all (see ``bot/desk_unavailable.py``): nothing was read or written."""
