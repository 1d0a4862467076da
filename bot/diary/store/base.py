"""What every part of the store shares: the engine, the sessions, the cipher, and rows as records.

``StoreBase`` owns the connection and the encryption; it turns database rows into
``Note`` and ``AttachmentInfo`` records (decrypting what a user wrote) and a new
note's fields into a checked, encrypted row.  The parts of ``DiaryStore`` (notes,
attachments, answers, statistics, forget and retention) are mixins of it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.diary.crypto import Cipher
from bot.diary.errors import DiaryKeyError
from bot.diary.models import AttachmentRow, NoteRow, NoteTextRow
from bot.diary.store.checks import check_datetime, check_kind, check_precision, check_text
from bot.diary.store.database import checkpoint, make_engine
from bot.diary.store.records import TEXT_FIELDS, AttachmentInfo, Note, NoteFields

log = logging.getLogger("bot.diary.store")

_S = TypeVar("_S", bound="StoreBase")

# What _attachment_info reads: an attachment's metadata, never its content.
ATTACHMENT_COLUMNS = (
    AttachmentRow.id,
    AttachmentRow.note_id,
    AttachmentRow.kind,
    AttachmentRow.telegram_file_id_enc,
    AttachmentRow.filename_enc,
    AttachmentRow.mime_type,
    AttachmentRow.size,
    AttachmentRow.created_at,
)


class StoreBase:
    """The engine, sessions and cipher of one diary database; rows read back as records."""

    def __init__(self, database_url: str, cipher: Cipher) -> None:
        self._engine = make_engine(database_url)
        self._cipher = cipher
        self._sessions = sessionmaker(self._engine, future=True, expire_on_commit=False)

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def cipher(self) -> Cipher:
        return self._cipher

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self: _S) -> _S:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def user_key(self, user_id: str | int) -> str:
        """The user's pseudonym: the HMAC under the database's pseudonym secret (see keyring.py)."""
        return self._uk(user_id)

    def _uk(self, user_id: str | int) -> str:
        return self._cipher.user_key(user_id)

    def _checkpoint(self) -> None:
        checkpoint(self._engine)

    # ------------------------------------------------------------------ encryption

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

    # ------------------------------------------------------------------ rows as records

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
        stmt = select(*ATTACHMENT_COLUMNS).where(AttachmentRow.user_key == user_key)
        if note_ids is not None:
            stmt = stmt.where(AttachmentRow.note_id.in_(list(note_ids)))
        by_note: dict[int, list[AttachmentInfo]] = {}
        for row in session.execute(stmt.order_by(AttachmentRow.id)):
            by_note.setdefault(row.note_id, []).append(self._attachment_info(row))
        return by_note

    def _texts(self, session: Session, user_key: str, note_ids: Sequence[int] | None
               ) -> dict[int, dict[str, bytes]]:
        """The encrypted text fields per note id: of ``note_ids``, or of every note of the user."""
        if note_ids is not None and not note_ids:
            return {}
        stmt = select(NoteTextRow.note_id, NoteTextRow.name, NoteTextRow.value_enc)
        if note_ids is not None:
            stmt = stmt.where(NoteTextRow.note_id.in_(list(note_ids)))
        else:
            stmt = stmt.join(NoteRow, NoteRow.id == NoteTextRow.note_id).where(NoteRow.user_key == user_key)
        by_note: dict[int, dict[str, bytes]] = {}
        for note_id, name, token in session.execute(stmt):
            by_note.setdefault(note_id, {})[name] = token
        return by_note

    def _to_note(self, row: NoteRow, tokens: dict[str, bytes],
                 attachments: Iterable[AttachmentInfo] = ()) -> Note:
        """The note of ``row`` and its encrypted texts; a row that cannot be decrypted becomes an
        ``unreadable`` note (one damaged row must not make the whole log unreadable).  A stored
        field no longer in the schema is kept in the database but not shown."""
        attached = tuple(attachments)
        try:
            texts = {name: self._dec(tokens.get(name)) for name in TEXT_FIELDS}
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
        ids = None if all_of_user else [r.id for r in rows]
        by_note = self._attachments(session, user_key, ids)
        texts = self._texts(session, user_key, ids)
        return [self._to_note(row, texts.get(row.id, {}), by_note.get(row.id, ())) for row in rows]

    def _owned_note(self, session: Session, user_key: str, note_id: int) -> NoteRow | None:
        return session.scalar(select(NoteRow).where(NoteRow.id == note_id, NoteRow.user_key == user_key))

    def _new_note_row(self, user_key: str, fields: NoteFields, now: datetime
                      ) -> tuple[NoteRow, dict[str, Any]]:
        """A checked, encrypted row for a new note, with its text rows (not yet added to a
        session), and the checked texts in clear (what the caller may give back)."""
        occurred_at = check_datetime("occurred_at", fields.occurred_at)
        kind = check_kind(fields.kind)
        texts = {name: check_text(name, getattr(fields, name)) for name in TEXT_FIELDS}
        row = NoteRow(
            user_key=user_key,
            occurred_at=occurred_at,
            created_at=now,
            updated_at=now,
            kind=kind,
            time_precision=check_precision(fields.time_precision),
        )
        row.texts = [NoteTextRow(name=name, value_enc=self._enc(value))
                     for name, value in texts.items() if value is not None]
        return row, texts
