"""Expiry of what the bot keeps: incident notes (optional), and idle conversations (on).

Notes are kept until the user deletes them, by default (a stalking log is
evidence that may need to span many months, and the user can delete everything
at any time with /forget).  Conversations expire after a day idle by default.

* ``NOTE_RETENTION_DAYS``: a note is deleted N days after it was *written*
  (``created_at``), with its attachments, and a saved answer (the FOUR check,
  the risk questions, the plan's ticks, a pending edit or file) N days after it
  last changed.  ``created_at`` rather than ``occurred_at``: an incident from
  last year written down today must not vanish at the next sweep, and "kept N
  days after you wrote it" is a rule a user can be told and can plan around;
* ``CONVERSATION_RETENTION_HOURS`` (default 24; 0 keeps them): a conversation
  (Rasa's tracker: every message and slot of it) whose last event is older than
  N hours is deleted, so what a user said is not kept in the dialogue state
  longer than needed.  24 h because Rasa ends a session after 4 h idle anyway
  (``session_expiration_time: 240``, slots not carried over): a conversation
  idle for a day holds no draft anyone can go back to, only history, and a day
  leaves a margin for a person interrupted mid-note.  This works on the
  tracker store of the embedded engine; a remote Rasa server's
  ``conversations.tracker_store.EncryptedSQLTrackerStore`` expires its own
  conversations (``retention_hours`` in ``deploy/endpoints.scale.yml``).

:class:`RetentionSweeper` runs one sweep at start-up and then every
``interval`` seconds, as an asyncio task that ``Core.close`` cancels.  A failed
sweep is logged (by error type only) and tried again at the next interval.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

from bot.diary.store import DiaryStore
from conversations.stores import concrete_stores

logger = logging.getLogger(__name__)

#: Seconds between two sweeps.
SWEEP_INTERVAL = 3600.0


@dataclass
class SweepResult:
    """What one sweep deleted (counts only, never whose or what)."""

    notes: int = 0
    attachments: int = 0
    answers: int = 0
    conversations: int = 0
    errors: list[str] = field(default_factory=list)


def _enabled(value: Optional[float]) -> Optional[float]:
    return value if value is not None and value > 0 else None


def purge_notes(store: DiaryStore, days: float, now: Optional[datetime] = None) -> dict[str, int]:
    """Delete every note written more than ``days`` days before ``now`` (see the module doc)."""
    now = now or datetime.now(timezone.utc)
    return store.purge_before(now - timedelta(days=days))


def tracker_store_of(engine: Any) -> Any:
    """The tracker store of an embedded Rasa engine, or None (a remote engine has none here)."""
    agent = getattr(engine, "_agent", None)
    return getattr(agent, "tracker_store", None)


async def purge_conversations(engine: Any, hours: float, now: Optional[float] = None) -> int:
    """Forget every conversation whose last event is more than ``hours`` hours before ``now``.

    ``now`` is a Unix time (Rasa's event timestamps are).  The engine's own
    ``forget`` deletes the tracker, so every tracker store it supports works.
    """
    store = tracker_store_of(engine)
    if store is None:
        return 0
    cutoff = (time.time() if now is None else now) - hours * 3600
    # the ids the store holds are the engine's conversation ids (pseudonyms), not user ids
    forget = getattr(engine, "forget_conversation", None) or engine.forget
    sql = [s for s in concrete_stores(store) if hasattr(s, "idle_conversations")]
    if sql:  # one query, not every tracker read and decrypted
        idle = [i for s in sql for i in await asyncio.to_thread(s.idle_conversations, cutoff)]
    else:
        idle = []
        for sender_id in list(await store.keys()):
            tracker = await store.retrieve_full_tracker(sender_id)
            events = list(tracker.events) if tracker is not None else []
            last = max((e.timestamp for e in events if getattr(e, "timestamp", None)), default=None)
            if last is None or last < cutoff:
                idle.append(sender_id)
    for sender_id in idle:
        await forget(sender_id)
    return len(idle)


class RetentionSweeper:
    """Applies the retention settings now and then; off when neither is set."""

    def __init__(self, store: Optional[DiaryStore], engine: Any,
                 note_days: Optional[float] = None, conversation_hours: Optional[float] = None,
                 interval: float = SWEEP_INTERVAL) -> None:
        self.store = store
        self.engine = engine
        self.note_days = _enabled(note_days)
        self.conversation_hours = _enabled(conversation_hours)
        self.interval = interval
        self.sweeps = 0
        self._warned_remote = False

    @property
    def enabled(self) -> bool:
        return self.note_days is not None or self.conversation_hours is not None

    async def sweep(self) -> SweepResult:
        """One pass over the notes and the conversations.  Never raises."""
        result = SweepResult()
        if self.note_days is not None and self.store is not None:
            try:
                counts = await asyncio.to_thread(purge_notes, self.store, self.note_days)
                result.notes, result.attachments, result.answers = (
                    counts["notes"], counts["attachments"], counts["answers"])
            except Exception as error:  # noqa: BLE001 - try again at the next sweep
                result.errors.append(type(error).__name__)
                logger.error("note retention sweep failed: %s", type(error).__name__)
        if self.conversation_hours is not None:
            if tracker_store_of(self.engine) is None and not self._warned_remote:
                self._warned_remote = True
                logger.info("the dialogue engine is remote: its tracker store expires conversations "
                            "(retention_hours in deploy/endpoints.scale.yml)")
            try:
                result.conversations = await purge_conversations(self.engine, self.conversation_hours)
            except Exception as error:  # noqa: BLE001
                result.errors.append(type(error).__name__)
                logger.error("conversation retention sweep failed: %s", type(error).__name__)
        self.sweeps += 1
        if result.notes or result.conversations or result.answers:
            logger.info("retention: deleted %d notes, %d attachments, %d answers, %d conversations",
                        result.notes, result.attachments, result.answers, result.conversations)
        return result

    async def run(self) -> None:
        """Sweep now, then every ``interval`` seconds, until cancelled."""
        while True:
            await self.sweep()
            await asyncio.sleep(self.interval)

    def start(self) -> Optional[asyncio.Task[None]]:
        """The sweeping task (in the running loop), or None when retention is off."""
        if not self.enabled:
            return None
        return asyncio.get_running_loop().create_task(self.run(), name="retention-sweeper")
