"""Database tables of the diary (SQLAlchemy 1.4, written the 2.0 way).

What is stored in clear: who (as ``user_key``, an HMAC of the user id, never the id),
when, the kind of incident, a file's MIME type and size.  Everything a person wrote
or sent is a Fernet token in a ``*_enc`` column (see ``crypto.py``).

A change here needs a new Alembic revision in ``migrations/versions``;
``tests/diary/test_diary_migrations.py`` fails while the two disagree.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    TypeDecorator,
)
from sqlalchemy.orm import declarative_base, relationship

USER_KEY_LENGTH = 64  # hex SHA-256

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
# SQLAlchemy 1.4 ships no types (mypy reads it as Any): the base class is typed as such.
Base: Any = declarative_base(metadata=metadata)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL keeps ``timestamptz``; SQLite has no time zones, so the value is
    stored as naive UTC and made aware again on the way out.  Naive datetimes are
    refused: they are ambiguous (UK local time or UTC?).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime: give the diary timezone-aware datetimes")
        value = value.astimezone(timezone.utc)
        if getattr(dialect, "name", "") == "sqlite":
            value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class NoteRow(Base):
    __tablename__ = "notes"

    id = Column(Integer, primary_key=True)
    user_key = Column(String(USER_KEY_LENGTH), nullable=False, index=True)
    occurred_at = Column(UTCDateTime(), nullable=False)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    kind = Column(String(32), nullable=True)
    # How exact occurred_at is (nlu/dates.py): NULL/"exact", "about", a part of the day
    # ("evening": no clock time) or "date" (the time was not given: never shown as 00:00).
    time_precision = Column(String(16), nullable=True)
    # Its text fields (rows of note_texts), written with it; read in bulk by the store.
    texts = relationship("NoteTextRow", cascade="all, delete-orphan", passive_deletes=True, lazy="noload")

    __table_args__ = (Index("ix_notes_user_key_occurred_at", "user_key", "occurred_at"),)


class NoteTextRow(Base):
    """One free-text field of a note (a ``text`` field of ``data/note.yml``), encrypted.

    A row per field that has a value: a field added to the schema needs no migration.
    """

    __tablename__ = "note_texts"

    note_id = Column(Integer, ForeignKey("notes.id", ondelete="CASCADE"), primary_key=True)
    name = Column(String(64), primary_key=True)
    value_enc = Column(LargeBinary, nullable=False)


class AttachmentRow(Base):
    __tablename__ = "attachments"

    id = Column(Integer, primary_key=True)
    # None: "unfiled", kept from the moment it arrived until the person chooses its note.
    note_id = Column(Integer, ForeignKey("notes.id", ondelete="CASCADE"), nullable=True, index=True)
    user_key = Column(String(USER_KEY_LENGTH), nullable=False, index=True)
    kind = Column(String(32), nullable=False)
    telegram_file_id_enc = Column(LargeBinary, nullable=True)
    filename_enc = Column(LargeBinary, nullable=True)
    mime_type = Column(String(255), nullable=True)
    size = Column(Integer, nullable=False)
    content_enc = Column(LargeBinary, nullable=False)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)


class AnswerRow(Base):
    __tablename__ = "answers"

    user_key = Column(String(USER_KEY_LENGTH), primary_key=True)
    name = Column(String(64), primary_key=True)
    value_enc = Column(LargeBinary, nullable=False)
    updated_at = Column(UTCDateTime(), nullable=False, default=utcnow)


class MetaRow(Base):
    """Facts about the diary itself; ``key_check`` holds the key check (``keyring.py``)."""

    __tablename__ = "diary_meta"

    name = Column(String(64), primary_key=True)
    value_enc = Column(LargeBinary, nullable=False)
    updated_at = Column(UTCDateTime(), nullable=False, default=utcnow)


class PendingForgetRow(Base):
    """A "forget me" whose data is deleted but whose conversation is not yet (``DiaryStore.forget``).

    ``user_id_enc`` is the user id, encrypted: the dialogue engine's conversation is
    found by it, and the row is deleted as soon as that conversation is.
    """

    __tablename__ = "pending_forgets"

    user_key = Column(String(USER_KEY_LENGTH), primary_key=True)
    user_id_enc = Column(LargeBinary, nullable=False)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)


class MessageTrailRow(Base):
    """A Telegram message of a private chat the bot may delete ("Clear this chat", ``trail.py``).

    Only the message's id and when it was sent: no content, no chat id (a private
    chat's id is the user's, known again when the person asks).  Kept 48 hours,
    Telegram's limit for a bot deleting a message; ``forget`` deletes them too.
    """

    __tablename__ = "message_trail"

    user_key = Column(String(USER_KEY_LENGTH), primary_key=True)
    message_id = Column(BigInteger, primary_key=True, autoincrement=False)
    sent_at = Column(UTCDateTime(), nullable=False, index=True)
