"""The message trail: which Telegram messages of a private chat the bot may delete.

"Clear this chat" deletes every message of the conversation Telegram lets a bot
delete: its own and, in a private chat, the person's, sent in the last 48 hours.
Telegram gives a bot no way to list a chat's messages, so the bot notes each
message's id and time as it passes (the person's on arrival, its own once sent).

What is kept, and nothing else: the diary's pseudonym of the person
(``store.user_key``, the same key as their notes), the message id and when it
was sent.  No content, no chat id (a private chat's id is the person's own id,
known again when they ask).  Rows older than 48 hours are useless (Telegram
refuses to delete such a message) and are swept; ``store.forget`` deletes a
person's rows with everything else (every table with a ``user_key`` column).

A plain synchronous API over the diary's own database; callers use
``asyncio.to_thread``.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bot.diary.models import MessageTrailRow

logger = logging.getLogger(__name__)

#: Telegram: "a message can only be deleted if it was sent less than 48 hours ago".
TELEGRAM_DELETE_WINDOW = timedelta(hours=48)
#: Kept for the whole window; a minute's margin below it when choosing what to delete,
#: so a message does not pass the limit between the choice and the call.
KEEP_FOR = TELEGRAM_DELETE_WINDOW
DELETE_MARGIN = timedelta(minutes=1)
#: Telegram's deleteMessages takes 1 to 100 message ids a call.
BATCH = 100
#: Sweep expired rows at most this often (seconds), from ``record``.
SWEEP_EVERY = 300.0


class _Store(Protocol):
    @property
    def engine(self) -> Engine: ...

    def user_key(self, user_id: str | int) -> str: ...


def _now() -> datetime:
    return datetime.now(timezone.utc)


def batches(ids: Iterable[int], size: int = BATCH) -> list[list[int]]:
    """``ids`` sorted and cut into lists of at most ``size`` (deleteMessages' limit)."""
    ordered = sorted(set(int(i) for i in ids))
    return [ordered[i:i + size] for i in range(0, len(ordered), size)]


class MessageTrail:
    """Message ids and times per person, for 48 hours; thread-safe."""

    def __init__(self, store: _Store) -> None:
        self._store = store
        self._sessions = sessionmaker(store.engine, future=True, expire_on_commit=False)
        self._last_sweep = 0.0

    def record(self, user_id: str | int, message_ids: Iterable[int],
               sent_at: datetime | None = None) -> int:
        """Note messages of the person's chat (theirs or the bot's); how many were new."""
        ids = sorted({int(i) for i in message_ids if i})
        if not ids:
            return 0
        when = sent_at or _now()
        key = self._store.user_key(user_id)
        rows = [{"user_key": key, "message_id": i, "sent_at": when} for i in ids]
        with self._sessions.begin() as session:
            dialect = session.get_bind().dialect.name
            if dialect in ("sqlite", "postgresql"):
                if dialect == "sqlite":
                    from sqlalchemy.dialects.sqlite import insert
                else:
                    from sqlalchemy.dialects.postgresql import insert
                stmt: Any = insert(MessageTrailRow).values(rows).on_conflict_do_nothing()
                result = session.execute(stmt)
                added = int(result.rowcount or 0)
            else:
                known = set(session.scalars(select(MessageTrailRow.message_id).where(
                    MessageTrailRow.user_key == key, MessageTrailRow.message_id.in_(ids))).all())
                fresh = [r for r in rows if r["message_id"] not in known]
                session.add_all(MessageTrailRow(**r) for r in fresh)
                added = len(fresh)
        if time.monotonic() - self._last_sweep > SWEEP_EVERY:
            self.sweep()
        return added

    def record_many(self, message_ids: dict[str, list[int]], sent_at: datetime | None = None) -> int:
        """``record`` for several people in one transaction (the adapter's batched notes)."""
        when = sent_at or _now()
        rows = [{"user_key": self._store.user_key(user), "message_id": i, "sent_at": when}
                for user, ids in message_ids.items() for i in sorted({int(i) for i in ids if i})]
        if not rows:
            return 0
        with self._sessions.begin() as session:
            dialect = session.get_bind().dialect.name
            if dialect in ("sqlite", "postgresql"):
                if dialect == "sqlite":
                    from sqlalchemy.dialects.sqlite import insert
                else:
                    from sqlalchemy.dialects.postgresql import insert
                added = int(session.execute(
                    insert(MessageTrailRow).values(rows).on_conflict_do_nothing()).rowcount or 0)
            else:
                added = 0
                for row in rows:
                    if session.get(MessageTrailRow, (row["user_key"], row["message_id"])) is None:
                        session.add(MessageTrailRow(**row))
                        added += 1
        if time.monotonic() - self._last_sweep > SWEEP_EVERY:
            self.sweep()
        return added

    def deletable(self, user_id: str | int, now: datetime | None = None) -> list[int]:
        """The ids of the person's chat that Telegram still lets the bot delete, oldest first."""
        cutoff = (now or _now()) - TELEGRAM_DELETE_WINDOW + DELETE_MARGIN
        with self._sessions() as session:
            return [int(i) for i in session.scalars(
                select(MessageTrailRow.message_id)
                .where(MessageTrailRow.user_key == self._store.user_key(user_id),
                       MessageTrailRow.sent_at >= cutoff)
                .order_by(MessageTrailRow.message_id)).all()]

    def count(self, user_id: str | int) -> int:
        with self._sessions() as session:
            return int(session.scalar(select(func.count()).select_from(MessageTrailRow).where(
                MessageTrailRow.user_key == self._store.user_key(user_id))) or 0)

    def drop(self, user_id: str | int, message_ids: Iterable[int] | None = None) -> int:
        """Forget the given ids of the person (all of them when None): deleted, or given up."""
        stmt = delete(MessageTrailRow).where(
            MessageTrailRow.user_key == self._store.user_key(user_id))
        if message_ids is not None:
            ids = [int(i) for i in message_ids]
            if not ids:
                return 0
            stmt = stmt.where(MessageTrailRow.message_id.in_(ids))
        with self._sessions.begin() as session:
            return int(session.execute(stmt).rowcount or 0)

    def sweep(self, now: datetime | None = None) -> int:
        """Delete every row older than the 48 hours (for every person); how many."""
        self._last_sweep = time.monotonic()
        cutoff = (now or _now()) - KEEP_FOR
        try:
            with self._sessions.begin() as session:
                removed = int(session.execute(
                    delete(MessageTrailRow).where(MessageTrailRow.sent_at < cutoff)).rowcount or 0)
        except Exception as error:  # noqa: BLE001 - retried at the next sweep
            logger.warning("sweeping the message trail failed: %s", type(error).__name__)
            return 0
        if removed:
            logger.info("message trail: %d expired ids swept", removed)
        return removed
