"""The current session of recent conversations, decrypted, kept in memory by the tracker store.

:class:`conversations.tracker_store.EncryptedSQLTrackerStore` keeps, per conversation,
the JSON of each event of its current session and the ids of the session's first and
last rows, so that a turn reads no row (the store checks the database still holds
exactly that session with one count query).  Bounded (``size`` conversations) and
short-lived (``idle_seconds`` without a message and the copy is dropped).
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Optional

from rasa.shared.core.trackers import DialogueStateTracker


@dataclass
class _Session:
    """The decrypted events (JSON) of a conversation's current session, and their row ids."""

    first_id: int
    last_id: int
    texts: list[str]
    #: The timestamp of the last event: a tracker to save must end the session with it.
    last_stamp: Any = None

    def continued_by(self, tracker: DialogueStateTracker) -> bool:
        """Whether ``tracker`` is this session plus new events (not a full history, not another)."""
        n = len(self.texts)
        return len(tracker.events) >= n > 0 and tracker.events[n - 1].timestamp == self.last_stamp


class _Sessions:
    """At most ``size`` recent conversations' current sessions, each dropped after
    ``idle_seconds`` without a message (what people wrote is not kept in memory longer)."""

    def __init__(self, size: int, idle_seconds: float) -> None:
        self.size, self.idle_seconds = max(0, size), idle_seconds
        self._items: OrderedDict[str, tuple[float, _Session]] = OrderedDict()
        self._lock = threading.Lock()  # the bot's store calls also run in worker threads

    def get(self, sender_id: str) -> Optional[_Session]:
        with self._lock:
            self._expire(time.monotonic())
            item = self._items.get(sender_id)
            return item[1] if item else None

    def put(self, sender_id: str, session: _Session) -> None:
        if not self.size:
            return
        with self._lock:
            now = time.monotonic()
            self._items[sender_id] = (now, session)
            self._items.move_to_end(sender_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
            self._expire(now)

    def drop(self, sender_id: str) -> None:
        with self._lock:
            self._items.pop(sender_id, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def _expire(self, now: float) -> None:
        while self._items:
            oldest = next(iter(self._items))
            if now - self._items[oldest][0] <= self.idle_seconds:
                return
            del self._items[oldest]
