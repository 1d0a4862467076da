"""Forgetting: "delete everything of me" (with its pending-forget mark) and retention."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import and_, delete, or_, select

from bot.diary.errors import DiaryKeyError
from bot.diary.models import (
    AnswerRow,
    AttachmentRow,
    NoteRow,
    NoteTextRow,
    PendingForgetRow,
    metadata,
    utcnow,
)
from bot.diary.store.base import StoreBase
from bot.diary.store.checks import check_datetime

log = logging.getLogger("bot.diary.store")


class ForgetMixin(StoreBase):
    """The forget and retention part of ``DiaryStore``."""

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
            # A note's texts have no user_key of their own: they go with the user's notes.
            session.execute(delete(NoteTextRow).where(
                NoteTextRow.note_id.in_(select(NoteRow.id).where(NoteRow.user_key == user_key)))
                .execution_options(synchronize_session=False))
            for table in reversed(metadata.sorted_tables):  # children (attachments) before notes
                if "user_key" not in table.c or table.name == PendingForgetRow.__tablename__:
                    continue
                result = session.execute(delete(table).where(table.c.user_key == user_key))
                counts[table.name] = counts.get(table.name, 0) + int(result.rowcount or 0)
            if conversation_pending:
                mark = PendingForgetRow(user_key=user_key, created_at=utcnow(),
                                        user_id_enc=self._cipher.encrypt(str(user_id)))
                session.merge(mark)
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

    def purge_before(self, cutoff: datetime) -> dict[str, int]:
        """Retention (``NOTE_RETENTION_DAYS``): delete, for every user, the notes written
        before ``cutoff`` (by ``created_at``) with their attachments, files never filed to a
        note that arrived before ``cutoff``, and the answers not changed since; in one
        transaction.  The counts deleted."""
        cutoff = check_datetime("cutoff", cutoff)
        old_notes = select(NoteRow.id).where(NoteRow.created_at < cutoff)
        old_unfiled = and_(AttachmentRow.note_id.is_(None), AttachmentRow.created_at < cutoff)
        old_files = or_(AttachmentRow.note_id.in_(old_notes), old_unfiled)
        deletes = {
            "attachments": delete(AttachmentRow).where(old_files),
            "note_texts": delete(NoteTextRow).where(NoteTextRow.note_id.in_(old_notes)),
            "notes": delete(NoteRow).where(NoteRow.created_at < cutoff),
            "answers": delete(AnswerRow).where(AnswerRow.updated_at < cutoff),
        }
        counts: dict[str, int] = {}
        with self._sessions.begin() as session:
            for name, stmt in deletes.items():  # attachments before their notes
                result = session.execute(stmt.execution_options(synchronize_session=False))
                counts[name] = int(result.rowcount or 0)
        counts.pop("note_texts")  # parts of the notes counted
        if any(counts.values()):
            self._checkpoint()
        return counts
