"""Attachments: files kept encrypted as rows of their own, filed to a note or waiting unfiled."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.diary.errors import DiaryLimitError, DiaryValueError, NoteNotFoundError
from bot.diary.models import AttachmentRow, utcnow
from bot.diary.store.base import ATTACHMENT_COLUMNS, StoreBase
from bot.diary.store.checks import (
    MAX_ATTACHMENT_BYTES,
    MAX_FILE_ID_CHARS,
    MAX_FILENAME_CHARS,
    check_short,
)
from bot.diary.store.records import ATTACHMENT_KINDS, AttachmentInfo, Note, NoteFields


class _NothingToFile(Exception):
    """No unfiled file was waiting (another message filed them first)."""


class AttachmentsMixin(StoreBase):
    """The attachments part of ``DiaryStore``."""

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
        file_id = check_short("telegram_file_id", telegram_file_id, MAX_FILE_ID_CHARS)
        name = check_short("filename", filename, MAX_FILENAME_CHARS)
        mime = check_short("mime_type", mime_type, 255)
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
            select(*ATTACHMENT_COLUMNS)
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
                    row, _ = self._new_note_row(user_key, new_note, now)
                    session.add(row)
                    session.flush()
                else:
                    # note_id is not None here: exactly one of note_id and new_note is given (checked above).
                    owned = self._owned_note(session, user_key, note_id)  # type: ignore[arg-type]
                    if owned is None:
                        raise NoteNotFoundError(f"no note {note_id} for this user")
                    row = owned
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
        """The file's content, decrypted; None when the user has no such attachment."""
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
