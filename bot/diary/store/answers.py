"""Answers: a small encrypted key/value per user (the plan's done steps, where the person is...).

A value is anything JSON can hold, up to ``MAX_ANSWER_BYTES``; a damaged one reads
back as if it had never been saved.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import delete, select

from bot.diary.errors import DiaryKeyError, DiaryLimitError, DiaryValueError
from bot.diary.models import AnswerRow, utcnow
from bot.diary.store.base import StoreBase
from bot.diary.store.checks import MAX_ANSWER_BYTES, MAX_ANSWER_NAME_CHARS

log = logging.getLogger("bot.diary.store")


class AnswersMixin(StoreBase):
    """The answers part of ``DiaryStore``."""

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
