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
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import and_, create_engine, delete, event, func, or_, select, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.diary.crypto import Cipher
from bot.diary.errors import DiaryKeyError, DiaryLimitError, DiaryValueError, NoteNotFoundError
from bot.diary.kinds import kind_keys, kind_or_fallback
from bot.diary.models import (
    NOTE_TEXT_FIELDS,
    AnswerRow,
    AttachmentRow,
    NoteRow,
    PendingForgetRow,
    metadata,
    utcnow,
)

log = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = "sqlite:///var/diary.db"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

MAX_FIELD_CHARS = 4000
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024  # what the Telegram Bot API lets a bot download
MAX_ANSWER_BYTES = 64 * 1024
MAX_ANSWER_NAME_CHARS = 64
MAX_FILENAME_CHARS = 255
MAX_FILE_ID_CHARS = 1024
MAX_PAGE_SIZE = 100

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

class _NothingToFile(Exception):
    """No unfiled file was waiting (another message filed them first)."""


_PG_MIGRATION_LOCK = 0x6469617279  # "diary": one migrating replica at a time
# What _attachment_info reads: an attachment's metadata, never its content.
_ATTACHMENT_COLUMNS = (
    AttachmentRow.id,
    AttachmentRow.note_id,
    AttachmentRow.kind,
    AttachmentRow.telegram_file_id_enc,
    AttachmentRow.filename_enc,
    AttachmentRow.mime_type,
    AttachmentRow.size,
    AttachmentRow.created_at,
)


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


# --------------------------------------------------------------------------- engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable enough in WAL mode
        cursor.execute("PRAGMA secure_delete=ON")  # deleted notes are overwritten, not left in free pages
        cursor.execute("PRAGMA busy_timeout=30000")
    finally:
        cursor.close()


def make_engine(database_url: str) -> Engine:
    """A ``future=True`` engine; for SQLite also its folder, a 0600 file, WAL and foreign keys."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database)
            if not path.parent.exists():
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not path.exists():
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))  # SQLite opens an empty file
        engine = create_engine(url, future=True, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


def migrate(database_url: str) -> None:
    """Bring the database to the newest schema (``alembic upgrade head``); safe to repeat."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.attributes["database_url"] = database_url
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- validation


def _check_text(name: str, value: Any) -> str | None:
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


def _check_datetime(name: str, value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise DiaryValueError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise DiaryValueError(f"{name} must be timezone-aware (a naive time is ambiguous)")
    return value.astimezone(timezone.utc)


TIME_PRECISIONS = ("exact", "about", "morning", "afternoon", "evening", "night", "date")


def _check_precision(value: Any) -> str | None:
    if value is None or value == "exact":
        return None
    if value not in TIME_PRECISIONS:
        raise DiaryValueError(f"time_precision must be one of {', '.join(TIME_PRECISIONS)}")
    return str(value)


def _check_kind(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if value not in kind_keys():
        raise DiaryValueError(f"unknown kind {value!r}; one of: {', '.join(kind_keys())}")
    return str(value)


def _check_short(name: str, value: Any, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise DiaryValueError(f"{name} must be text, not {type(value).__name__}")
    if len(value) > limit:
        raise DiaryLimitError(f"{name} is {len(value)} characters long; at most {limit}")
    return value


def _check_page(offset: int, limit: int) -> None:
    if offset < 0 or limit < 1 or limit > MAX_PAGE_SIZE:
        raise DiaryValueError(f"need offset >= 0 and 1 <= limit <= {MAX_PAGE_SIZE}")


# --------------------------------------------------------------------------- the store


class DiaryStore:
    """Encrypted incident notes per user.  Thread-safe; one instance per process."""

    def __init__(self, database_url: str, cipher: Cipher) -> None:
        self._engine = make_engine(database_url)
        self._cipher = cipher
        self._sessions = sessionmaker(self._engine, future=True, expire_on_commit=False)

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> DiaryStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ helpers

    def _uk(self, user_id: str | int) -> str:
        return self._cipher.user_key(user_id)

    @property
    def cipher(self) -> Cipher:
        return self._cipher

    def user_key(self, user_id: str | int) -> str:
        """The user's pseudonym: the HMAC under the database's pseudonym secret (see keyring.py)."""
        return self._uk(user_id)

    def _enc(self, value: str | bytes | None) -> bytes | None:
        return None if value is None else self._cipher.encrypt(value)

    def _dec(self, token: bytes | None) -> str | None:
        return None if token is None else self._cipher.decrypt_text(token)

    def _dec_or_none(self, token: bytes | None, what: str, row_id: int) -> str | None:
        """Decrypted text, or None (logged by row id only) when the value cannot be read."""
        try:
            return self._dec(token)
        except DiaryKeyError:
            log.error("a diary value could not be decrypted (%s of row %d): left out", what, row_id)
            return None

    def _attachment_info(self, row: Any) -> AttachmentInfo:
        return AttachmentInfo(
            id=row.id,
            note_id=row.note_id,
            kind=row.kind,
            telegram_file_id=self._dec_or_none(row.telegram_file_id_enc, "attachment file id", row.id),
            filename=self._dec_or_none(row.filename_enc, "attachment name", row.id),
            mime_type=row.mime_type,
            size=row.size,
            created_at=row.created_at,
        )

    def _attachments(
        self, session: Session, user_key: str, note_ids: Sequence[int] | None
    ) -> dict[int, list[AttachmentInfo]]:
        """Attachment metadata (never the content) per note id: of ``note_ids``, or of every note."""
        if note_ids is not None and not note_ids:
            return {}
        stmt = select(*_ATTACHMENT_COLUMNS).where(AttachmentRow.user_key == user_key)
        if note_ids is not None:
            stmt = stmt.where(AttachmentRow.note_id.in_(list(note_ids)))
        by_note: dict[int, list[AttachmentInfo]] = {}
        for row in session.execute(stmt.order_by(AttachmentRow.id)):
            by_note.setdefault(row.note_id, []).append(self._attachment_info(row))
        return by_note

    def _to_note(self, row: NoteRow, attachments: Iterable[AttachmentInfo] = ()) -> Note:
        """The note of ``row``; a row that cannot be decrypted becomes an ``unreadable`` note
        (one damaged row must not make the whole log unreadable)."""
        attached = tuple(attachments)
        try:
            texts = {name: self._dec(getattr(row, f"{name}_enc")) for name in TEXT_FIELDS}
            unreadable = False
        except DiaryKeyError:
            log.error("note %d could not be decrypted (damaged or altered): shown as unreadable", row.id)
            texts, unreadable = {}, True
        return Note(
            id=row.id,
            occurred_at=row.occurred_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            kind=row.kind,
            **texts,
            time_precision=row.time_precision,
            attachment_count=len(attached),
            attachments=attached,
            unreadable=unreadable,
        )

    def _notes(
        self, session: Session, user_key: str, rows: Sequence[NoteRow], all_of_user: bool
    ) -> list[Note]:
        by_note = self._attachments(session, user_key, None if all_of_user else [r.id for r in rows])
        return [self._to_note(row, by_note.get(row.id, ())) for row in rows]

    def _owned_note(self, session: Session, user_key: str, note_id: int) -> NoteRow | None:
        return session.scalar(select(NoteRow).where(NoteRow.id == note_id, NoteRow.user_key == user_key))

    # ------------------------------------------------------------------ notes

    def _new_note_row(self, user_key: str, fields: NoteFields, now: datetime) -> NoteRow:
        """A checked, encrypted row for a new note (not yet added to a session)."""
        occurred_at = _check_datetime("occurred_at", fields.occurred_at)
        kind = _check_kind(fields.kind)
        texts = {name: _check_text(name, getattr(fields, name)) for name in TEXT_FIELDS}
        return NoteRow(
            user_key=user_key,
            occurred_at=occurred_at,
            created_at=now,
            updated_at=now,
            kind=kind,
            time_precision=_check_precision(fields.time_precision),
            **{f"{name}_enc": self._enc(value) for name, value in texts.items()},
        )

    def add_note(self, user_id: str | int, fields: NoteFields) -> Note:
        """Save a new note, whole or not at all."""
        user_key = self._uk(user_id)
        occurred_at = _check_datetime("occurred_at", fields.occurred_at)
        kind = _check_kind(fields.kind)
        texts = {name: _check_text(name, getattr(fields, name)) for name in TEXT_FIELDS}
        now = utcnow()
        row = self._new_note_row(user_key, fields, now)
        with self._sessions.begin() as session:
            session.add(row)
            session.flush()
            note_id = row.id
        return Note(id=note_id, occurred_at=occurred_at, created_at=now, updated_at=now, kind=kind, **texts,
                    time_precision=row.time_precision)

    def list_notes(self, user_id: str | int, offset: int = 0, limit: int = 5) -> tuple[list[Note], int]:
        """A page of the user's notes, the most recent incident first, and how many there are."""
        _check_page(offset, limit)
        user_key = self._uk(user_id)
        with self._sessions() as session:
            total = session.scalar(
                select(func.count()).select_from(NoteRow).where(NoteRow.user_key == user_key)
            )
            rows = session.scalars(
                select(NoteRow)
                .where(NoteRow.user_key == user_key)
                .order_by(NoteRow.occurred_at.desc(), NoteRow.id.desc())
                .offset(offset)
                .limit(limit)
            ).all()
            return self._notes(session, user_key, rows, all_of_user=False), int(total or 0)

    def get_note(self, user_id: str | int, note_id: int) -> Note | None:
        """The note, or None when there is none of this id for this user."""
        user_key = self._uk(user_id)
        with self._sessions() as session:
            row = self._owned_note(session, user_key, note_id)
            return None if row is None else self._notes(session, user_key, [row], all_of_user=False)[0]

    def update_field(self, user_id: str | int, note_id: int, field_name: str, value: Any,
                     time_precision: str | None = None) -> Note | None:
        """Change one field of a note (``EDITABLE_FIELDS``); None when the user has no such note.

        A new ``occurred_at`` takes ``time_precision`` with it (None: exact)."""
        if field_name not in EDITABLE_FIELDS:
            raise DiaryValueError(f"unknown field {field_name!r}; one of: {', '.join(EDITABLE_FIELDS)}")
        if field_name == "occurred_at":
            column, stored = "occurred_at", _check_datetime(field_name, value)
        elif field_name == "kind":
            column, stored = "kind", _check_kind(value)
        else:
            column, stored = f"{field_name}_enc", self._enc(_check_text(field_name, value))
        user_key = self._uk(user_id)
        with self._sessions.begin() as session:
            row = self._owned_note(session, user_key, note_id)
            if row is None:
                return None
            setattr(row, column, stored)
            if field_name == "occurred_at":
                row.time_precision = _check_precision(time_precision)
            row.updated_at = utcnow()
            session.flush()
            return self._notes(session, user_key, [row], all_of_user=False)[0]

    def delete_note(self, user_id: str | int, note_id: int) -> bool:
        """Delete a note and its attachments; False when the user has no such note."""
        user_key = self._uk(user_id)
        with self._sessions.begin() as session:
            session.execute(
                delete(AttachmentRow)
                .where(AttachmentRow.note_id == note_id, AttachmentRow.user_key == user_key)
                .execution_options(synchronize_session=False)
            )
            result = session.execute(
                delete(NoteRow)
                .where(NoteRow.id == note_id, NoteRow.user_key == user_key)
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount)

    def latest_note(self, user_id: str | int) -> Note | None:
        """The note written most recently (by when it was saved, not when it happened)."""
        user_key = self._uk(user_id)
        with self._sessions() as session:
            row = session.scalar(
                select(NoteRow)
                .where(NoteRow.user_key == user_key)
                .order_by(NoteRow.created_at.desc(), NoteRow.id.desc())
                .limit(1)
            )
            return None if row is None else self._notes(session, user_key, [row], all_of_user=False)[0]

    def all_notes(self, user_id: str | int) -> list[Note]:
        """Every note of the user, the earliest incident first (for export)."""
        user_key = self._uk(user_id)
        with self._sessions() as session:
            rows = session.scalars(
                select(NoteRow)
                .where(NoteRow.user_key == user_key)
                .order_by(NoteRow.occurred_at.asc(), NoteRow.id.asc())
            ).all()
            return self._notes(session, user_key, rows, all_of_user=True)

    # ------------------------------------------------------------------ attachments

    def add_attachment(
        self,
        user_id: str | int,
        note_id: int | None,
        kind: str,
        telegram_file_id: str | None,
        filename: str | None,
        mime_type: str | None,
        content: bytes,
    ) -> int:
        """Keep a file, encrypted, as its own row; its id.

        With a ``note_id`` it is attached to that note of the user's; with None it
        is kept *unfiled* until :meth:`file_unfiled` gives it a note (the person
        chooses which), and is removed by ``forget`` and retention like any row.
        Raises ``DiaryLimitError`` over ``MAX_ATTACHMENT_BYTES`` and
        ``NoteNotFoundError`` when the note is not this user's.
        """
        if kind not in ATTACHMENT_KINDS:
            raise DiaryValueError(f"unknown attachment kind {kind!r}; one of: {', '.join(ATTACHMENT_KINDS)}")
        if not isinstance(content, bytes | bytearray | memoryview):
            raise DiaryValueError(f"content must be bytes, not {type(content).__name__}")
        content = bytes(content)
        if len(content) > MAX_ATTACHMENT_BYTES:
            raise DiaryLimitError(
                f"the file is {len(content) / 1024 / 1024:.1f} MB; "
                f"the diary keeps files of up to {MAX_ATTACHMENT_BYTES // 1024 // 1024} MB"
            )
        file_id = _check_short("telegram_file_id", telegram_file_id, MAX_FILE_ID_CHARS)
        name = _check_short("filename", filename, MAX_FILENAME_CHARS)
        mime = _check_short("mime_type", mime_type, 255)
        user_key = self._uk(user_id)
        now = utcnow()
        row = AttachmentRow(
            note_id=note_id,
            user_key=user_key,
            kind=kind,
            telegram_file_id_enc=self._enc(file_id),
            filename_enc=self._enc(name),
            mime_type=mime,
            size=len(content),
            content_enc=self._cipher.encrypt(content),
            created_at=now,
        )
        with self._sessions.begin() as session:
            if note_id is not None:
                note = self._owned_note(session, user_key, note_id)
                if note is None:
                    raise NoteNotFoundError(f"no note {note_id} for this user")
                note.updated_at = now
            session.add(row)
            session.flush()
            return int(row.id)

    def unfiled_attachments(self, user_id: str | int) -> list[AttachmentInfo]:
        """The user's files not yet filed to a note, oldest first (metadata, never content)."""
        user_key = self._uk(user_id)
        with self._sessions() as session:
            return self._unfiled(session, user_key)

    def _unfiled(self, session: Session, user_key: str) -> list[AttachmentInfo]:
        stmt = (
            select(*_ATTACHMENT_COLUMNS)
            .where(AttachmentRow.user_key == user_key, AttachmentRow.note_id.is_(None))
            .order_by(AttachmentRow.id)
        )
        return [self._attachment_info(row) for row in session.execute(stmt)]

    def file_unfiled(
        self, user_id: str | int, note_id: int | None = None, new_note: NoteFields | None = None
    ) -> tuple[Note | None, int]:
        """File every unfiled file of the user to a note, in one transaction.

        To the user's note ``note_id``, or to a note made from ``new_note`` (saved
        only if there is something to file).  Returns the note (None when nothing
        was waiting) and how many files were filed; ``NoteNotFoundError`` when
        ``note_id`` is not this user's note.
        """
        if (note_id is None) == (new_note is None):
            raise DiaryValueError("give either a note id or the fields of a new note")
        user_key = self._uk(user_id)
        now = utcnow()
        try:
            with self._sessions.begin() as session:
                if new_note is not None:
                    row = self._new_note_row(user_key, new_note, now)
                    session.add(row)
                    session.flush()
                else:
                    row = self._owned_note(session, user_key, note_id)  # type: ignore[arg-type]
                    if row is None:
                        raise NoteNotFoundError(f"no note {note_id} for this user")
                result = session.execute(
                    update(AttachmentRow)
                    .where(AttachmentRow.user_key == user_key, AttachmentRow.note_id.is_(None))
                    .values(note_id=row.id)
                    .execution_options(synchronize_session=False)
                )
                filed = int(result.rowcount or 0)
                if not filed:
                    raise _NothingToFile  # rolls back: a new note is not kept empty-handed
                row.updated_at = now
                session.flush()
                return self._notes(session, user_key, [row], all_of_user=False)[0], filed
        except _NothingToFile:
            return None, 0

    def list_attachments(self, user_id: str | int, note_id: int) -> list[AttachmentInfo]:
        """The note's attachments, oldest first (empty for another user's note)."""
        user_key = self._uk(user_id)
        with self._sessions() as session:
            return self._attachments(session, user_key, [note_id]).get(note_id, [])

    def get_attachment_content(self, user_id: str | int, attachment_id: int) -> bytes | None:
        user_key = self._uk(user_id)
        with self._sessions() as session:
            token = session.scalar(
                select(AttachmentRow.content_enc).where(
                    AttachmentRow.id == attachment_id, AttachmentRow.user_key == user_key
                )
            )
        return None if token is None else self._cipher.decrypt_bytes(token)

    def delete_attachment(self, user_id: str | int, attachment_id: int) -> bool:
        user_key = self._uk(user_id)
        with self._sessions.begin() as session:
            result = session.execute(
                delete(AttachmentRow)
                .where(AttachmentRow.id == attachment_id, AttachmentRow.user_key == user_key)
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount)

    # ------------------------------------------------------------------ pattern

    def pattern(self, user_id: str | int, now: datetime) -> Pattern:
        now = _check_datetime("now", now)
        user_key = self._uk(user_id)
        mine = NoteRow.user_key == user_key

        def window(days: int) -> Any:
            return (NoteRow.occurred_at > now - timedelta(days=days)) & (NoteRow.occurred_at <= now)

        count = func.count(NoteRow.id)
        with self._sessions() as session:
            total = session.scalar(select(count).where(mine)) or 0
            last_7, last_14, last_30 = (
                session.scalar(select(count).where(mine, window(days))) or 0 for days in (7, 14, 30)
            )
            by_kind: dict[str, int] = {}
            for kind, n in session.execute(
                select(NoteRow.kind, count).where(mine, window(30)).group_by(NoteRow.kind)
            ):
                key = kind_or_fallback(kind)
                by_kind[key] = by_kind.get(key, 0) + int(n)
            ordinal = None
            newest = session.scalar(select(func.max(NoteRow.occurred_at)).where(mine, window(14)))
            if newest is not None:
                newest = (
                    newest if newest.tzinfo else newest.replace(tzinfo=timezone.utc)
                )  # max() skips the type
                ordinal = session.scalar(
                    select(count).where(
                        mine,
                        NoteRow.occurred_at > newest - timedelta(days=14),
                        NoteRow.occurred_at <= newest,
                    )
                )
        ordered = {
            k: by_kind[k] for k in (*kind_keys(), *sorted(set(by_kind) - set(kind_keys()))) if k in by_kind
        }
        return Pattern(
            now=now,
            total=int(total),
            last_7_days=int(last_7),
            last_14_days=int(last_14),
            last_30_days=int(last_30),
            by_kind_30_days=ordered,
            newest_ordinal_14_days=None if ordinal is None else int(ordinal),
        )

    # ------------------------------------------------------------------ answers

    def set_answer(self, user_id: str | int, name: str, value: Any) -> None:
        """Store a JSON-serialisable value under ``name`` for the user, replacing any old one."""
        if not isinstance(name, str) or not name or len(name) > MAX_ANSWER_NAME_CHARS:
            raise DiaryValueError(f"an answer name is text of 1 to {MAX_ANSWER_NAME_CHARS} characters")
        try:
            payload = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise DiaryValueError(f"answer {name!r} is not JSON-serialisable: {type(exc).__name__}") from None
        data = payload.encode("utf-8")
        if len(data) > MAX_ANSWER_BYTES:
            raise DiaryLimitError(f"answer {name!r} is {len(data)} bytes; at most {MAX_ANSWER_BYTES}")
        values = {
            "user_key": self._uk(user_id),
            "name": name,
            "value_enc": self._cipher.encrypt(data),
            "updated_at": utcnow(),
        }
        with self._sessions.begin() as session:
            dialect = session.get_bind().dialect.name
            if dialect in ("sqlite", "postgresql"):
                if dialect == "sqlite":
                    from sqlalchemy.dialects.sqlite import insert
                else:
                    from sqlalchemy.dialects.postgresql import insert
                stmt = insert(AnswerRow).values(**values)
                stmt = stmt.on_conflict_do_update(
                    index_elements=[AnswerRow.user_key, AnswerRow.name],
                    set_={"value_enc": stmt.excluded.value_enc, "updated_at": stmt.excluded.updated_at},
                )
                session.execute(stmt)
            else:
                session.merge(AnswerRow(**values))

    def get_answer(self, user_id: str | int, name: str) -> Any | None:
        user_key = self._uk(user_id)
        with self._sessions() as session:
            token = session.scalar(
                select(AnswerRow.value_enc).where(AnswerRow.user_key == user_key, AnswerRow.name == name)
            )
        if token is None:
            return None
        try:
            return json.loads(self._cipher.decrypt_text(token))
        except (DiaryKeyError, ValueError):  # damaged: as if it had never been saved
            log.error("a saved answer could not be decrypted (damaged or altered): ignored")
            return None

    def delete_answer(self, user_id: str | int, name: str) -> bool:
        user_key = self._uk(user_id)
        with self._sessions.begin() as session:
            result = session.execute(
                delete(AnswerRow)
                .where(AnswerRow.user_key == user_key, AnswerRow.name == name)
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount)

    # ------------------------------------------------------------------ forget

    def forget(self, user_id: str | int, conversation_pending: bool = False) -> dict[str, int]:
        """Delete everything of the user, in one transaction; the counts deleted.

        Every table with a ``user_key`` column is emptied of the user's rows (so a
        table added later is covered too), unreadable rows included.  With
        ``conversation_pending`` the same transaction leaves a pending-forget mark
        (the user id, encrypted) until :meth:`forget_done`: the caller deletes the
        dialogue engine's conversation next, and a mark left by a failure there is
        retried (:meth:`pending_forgets`) until it succeeds.
        """
        user_key = self._uk(user_id)
        counts: dict[str, int] = {"notes": 0, "attachments": 0, "answers": 0}
        with self._sessions.begin() as session:
            for table in reversed(metadata.sorted_tables):  # children (attachments) before notes
                if "user_key" not in table.c or table.name == PendingForgetRow.__tablename__:
                    continue
                result = session.execute(delete(table).where(table.c.user_key == user_key))
                counts[table.name] = counts.get(table.name, 0) + int(result.rowcount or 0)
            if conversation_pending:
                mark = PendingForgetRow(user_key=user_key, created_at=utcnow(),
                                        user_id_enc=self._cipher.encrypt(str(user_id)))
                session.merge(mark)
        if self._engine.dialect.name == "sqlite":
            self._checkpoint()
        return counts

    def forget_done(self, user_id: str | int) -> None:
        """The user's conversation is deleted too: remove the pending-forget mark."""
        with self._sessions.begin() as session:
            session.execute(delete(PendingForgetRow).where(PendingForgetRow.user_key == self._uk(user_id)))

    def forget_pending(self, user_id: str | int) -> bool:
        """Whether a forget of this user still waits for its conversation to be deleted."""
        with self._sessions() as session:
            return session.get(PendingForgetRow, self._uk(user_id)) is not None

    def pending_forgets(self) -> list[str]:
        """The user ids whose forget still waits for their conversation to be deleted, oldest first."""
        with self._sessions() as session:
            tokens = session.scalars(
                select(PendingForgetRow.user_id_enc).order_by(PendingForgetRow.created_at)
            ).all()
        users = []
        for token in tokens:
            try:
                users.append(self._cipher.decrypt_text(token))
            except DiaryKeyError:
                log.error("a pending forget could not be decrypted: left for the operator")
        return users

    # ------------------------------------------------------------------ retention

    def purge_before(self, cutoff: datetime) -> dict[str, int]:
        """Retention (``NOTE_RETENTION_DAYS``): delete, for every user, the notes written
        before ``cutoff`` (by ``created_at``) with their attachments, files never filed to a
        note that arrived before ``cutoff``, and the answers not changed since; in one
        transaction.  The counts deleted."""
        cutoff = _check_datetime("cutoff", cutoff)
        old_notes = select(NoteRow.id).where(NoteRow.created_at < cutoff)
        old_unfiled = and_(AttachmentRow.note_id.is_(None), AttachmentRow.created_at < cutoff)
        old_files = or_(AttachmentRow.note_id.in_(old_notes), old_unfiled)
        deletes = {
            "attachments": delete(AttachmentRow).where(old_files),
            "notes": delete(NoteRow).where(NoteRow.created_at < cutoff),
            "answers": delete(AnswerRow).where(AnswerRow.updated_at < cutoff),
        }
        counts: dict[str, int] = {}
        with self._sessions.begin() as session:
            for name, stmt in deletes.items():  # attachments before their notes
                result = session.execute(stmt.execution_options(synchronize_session=False))
                counts[name] = int(result.rowcount or 0)
        if any(counts.values()) and self._engine.dialect.name == "sqlite":
            self._checkpoint()
        return counts

    def _checkpoint(self) -> None:
        """Fold the SQLite write-ahead log into the database (where secure_delete zeroed the rows)."""
        try:
            with self._engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        except Exception:  # best effort: readers may hold the log; the next checkpoint folds it
            log.warning("could not checkpoint the diary's write-ahead log", exc_info=True)
