"""Incident notes: save, page through, read, change one field, delete."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select

from bot.diary.errors import DiaryValueError
from bot.diary.models import AttachmentRow, NoteRow, NoteTextRow, utcnow
from bot.diary.store.base import StoreBase
from bot.diary.store.checks import check_datetime, check_kind, check_page, check_precision, check_text
from bot.diary.store.records import EDITABLE_FIELDS, Note, NoteFields


class NotesMixin(StoreBase):
    """The notes part of ``DiaryStore``."""

    def add_note(self, user_id: str | int, fields: NoteFields) -> Note:
        """Save a new note, whole or not at all."""
        user_key = self._uk(user_id)
        now = utcnow()
        row, texts = self._new_note_row(user_key, fields, now)  # checked once, there
        with self._sessions.begin() as session:
            session.add(row)
            session.flush()
            note_id = row.id
        return Note(id=note_id, occurred_at=row.occurred_at, created_at=now, updated_at=now, kind=row.kind,
                    **texts, time_precision=row.time_precision)

    def list_notes(self, user_id: str | int, offset: int = 0, limit: int = 5) -> tuple[list[Note], int]:
        """A page of the user's notes, the most recent incident first, and how many there are."""
        check_page(offset, limit)
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
        stored: Any = None
        if field_name == "occurred_at":
            stored = check_datetime(field_name, value)
        elif field_name == "kind":
            stored = check_kind(value)
        else:
            stored = check_text(field_name, value)
        user_key = self._uk(user_id)
        with self._sessions.begin() as session:
            row = self._owned_note(session, user_key, note_id)
            if row is None:
                return None
            if field_name in ("occurred_at", "kind"):
                setattr(row, field_name, stored)
            else:
                text = session.get(NoteTextRow, (note_id, field_name))
                if stored is None and text is not None:
                    session.delete(text)
                elif stored is not None and text is None:
                    session.add(NoteTextRow(note_id=note_id, name=field_name, value_enc=self._enc(stored)))
                elif stored is not None and text is not None:
                    text.value_enc = self._enc(stored)
            if field_name == "occurred_at":
                row.time_precision = check_precision(time_precision)
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
            session.execute(
                delete(NoteTextRow)
                .where(NoteTextRow.note_id.in_(
                    select(NoteRow.id).where(NoteRow.id == note_id, NoteRow.user_key == user_key)))
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
