"""Rasa's SQL tracker store with every event encrypted: what people write stays out of the database.

Rasa's ``SQLTrackerStore`` keeps each event of a conversation as a row of the
``events`` table, with the whole event as JSON in ``data``: the text of every
user message (``user`` events), every slot value (the note being written),
every bot message (which echoes the note back for confirmation) and the
message metadata.  :class:`EncryptedSQLTrackerStore` is the same store with
``data`` encrypted (Fernet, from the ``cryptography`` package, which Rasa
already depends on), so a copy of the database shows only:

* ``sender_id``: the conversation id, which the bot makes a keyed pseudonym of
  the Telegram user id before anything reaches Rasa (``bot.engine.PseudonymousEngine``);
* ``type_name``, ``timestamp``, ``action_name`` (names from the domain) and
  ``intent_name`` (kept only when it is an intent of the domain, so a forged
  ``/anything`` payload cannot put words into it).

The key: ``key`` in the endpoint configuration, else the ``TRACKER_KEY``
environment variable: one or more urlsafe-base64 Fernet keys separated by
commas.  The first encrypts; all of them decrypt (``MultiFernet``), so a key is
rotated by putting the new one first, and the old one is dropped once every
conversation written with it has expired.  Without a key the store refuses to
start: it never writes text in the clear.

At start the newest stored event must decrypt with the key given; when it does
not (the wrong key), the store refuses to start with a clear message, unless
``discard_unreadable`` is set (the embedded bot's freshly made key file: no key
can read those rows any more, so they are deleted).  A single row that does not
decrypt later (altered in the database) is deleted and logged by count, and the
conversation goes on from the rest: Rasa counts stored rows to know which
events are new, so an unreadable row left in place would swallow later ones.

With ``retention_hours`` set, conversations idle for longer are deleted (at most
one pass every ``expire_every`` seconds, after a save): the scaled deployment's
expiry, where the bot cannot see the tracker store.  The embedded bot leaves it
unset and expires conversations itself (``bot.retention``), under the locks.

In an endpoints file (the scaled deployment: ``deploy/endpoints.scale.yml``)::

    tracker_store:
      type: conversations.tracker_store.EncryptedSQLTrackerStore
      dialect: postgresql
      url: ${TRACKER_DB_HOST}
      db: ${TRACKER_DB_NAME}
      ...                       # as for type: SQL; the key comes from TRACKER_KEY
      retention_hours: ${CONVERSATION_RETENTION_HOURS}

The current session of each recent conversation is also kept in memory, decrypted
(``cache_conversations``, default 256 conversations; ``cache_idle_seconds``, default
900: a conversation with no message for 15 minutes leaves memory), so a turn reads
no row: one aggregate query (how many rows from the session's first, the newest id)
checks that the database still holds exactly that session, and anything else (rows
written or deleted by another process) reads it afresh.  "Delete everything" drops the
copy with the rows.  About 12 KB a conversation of three messages
(``scripts/measure_conversation_memory.py``); 0 turns the copy off.

No log line of this module holds an event, a key or a conversation id.
"""
from __future__ import annotations

import itertools
import json
import logging
import os
import time
from collections.abc import Iterable
from typing import Any, Optional

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

from conversations.session_cache import _Session, _Sessions

logger = logging.getLogger(__name__)

KEY_ENV = "TRACKER_KEY"
_PREFIX = "fernet:"  # marks an encrypted ``data`` value


class TrackerKeyError(RuntimeError):
    """The tracker store has no usable key, or a key that reads none of the stored events."""

    #: What the embedded engine looks for (it does not import this module's classes).
    tracker_store_key_error = True


def parse_keys(value: Optional[str]) -> MultiFernet:
    """``"k1,k2"`` -> a MultiFernet encrypting with k1 and decrypting with both."""
    keys = [k.strip() for k in (value or "").split(",") if k.strip()]
    if not keys:
        raise TrackerKeyError(
            f"no tracker-store key: set {KEY_ENV} to a Fernet key, made by: python -c "
            "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'")
    try:
        return MultiFernet([Fernet(k.encode("ascii")) for k in keys])
    except (ValueError, UnicodeEncodeError):
        raise TrackerKeyError(
            f"{KEY_ENV} must hold urlsafe-base64 Fernet keys (44 characters each), separated by "
            "commas") from None


class EncryptedSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose ``events.data`` is encrypted (see the module doc)."""

    #: ``conversations.stores.encrypts_events`` reads this.
    encrypts_events = True

    #: Seconds between two expiry passes of a store with ``retention_hours``.
    expire_every = 600.0
    #: The SQLAlchemy engine SQLTrackerStore opens (replaced by a pooled one for SQLite).
    engine: sa.engine.Engine

    def __init__(self, domain: Any = None, key: Optional[str] = None,
                 discard_unreadable: bool = False, sqlite_wal: bool = True,
                 retention_hours: Any = None, cache_conversations: Any = 256,
                 cache_idle_seconds: Any = 900, **kwargs: Any) -> None:
        self._fernet = parse_keys(key if key else os.environ.get(KEY_ENV))
        self._sessions = _Sessions(int(cache_conversations), float(cache_idle_seconds))
        self.retention_hours = _hours(retention_hours)
        self._next_expiry = 0.0
        super().__init__(domain, **kwargs)
        if self.engine.dialect.name == "sqlite" and sqlite_wal:
            self._pool_sqlite()
        self._check_key(discard_unreadable)

    def _pool_sqlite(self) -> None:
        """A SQLite file in WAL mode, its connections pooled (Rasa opens one per call)."""
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, poolclass=sa.pool.QueuePool, pool_size=2, max_overflow=4,
                                       connect_args={"check_same_thread": False})
        sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        with self.engine.connect() as connection:  # kept by the file from now on
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    # -- encryption --------------------------------------------------------------------

    def _seal_text(self, text: str) -> str:
        return _PREFIX + self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def _open(self, value: Optional[str]) -> tuple[str, dict[str, Any]]:
        """The event of a stored ``data`` value, as JSON text and as a dict; InvalidToken when
        it does not decrypt, ValueError when what it holds is not an event."""
        text = self._open_text(value)
        event = json.loads(text)
        if not isinstance(event, dict):
            raise ValueError("not an event")
        return text, event

    def _open_text(self, value: Optional[str]) -> str:
        """The decrypted text of a stored ``data`` value; InvalidToken when it does not decrypt."""
        if not value or not value.startswith(_PREFIX):
            raise InvalidToken  # plain JSON (or nothing) is never accepted as an event
        return self._fernet.decrypt(value[len(_PREFIX):].encode("ascii")).decode("utf-8")

    def _remember(self, sender_id: str, cached: Optional[_Session], new_events: list[Any],
                  last_id: Optional[int], texts: list[str]) -> None:
        """Keep the session just written in memory, so the next message reads no row."""
        if any(event.type_name == SessionStarted.type_name for event in new_events):
            self._sessions.drop(sender_id)  # a new session: the next read starts it afresh
        elif cached is not None:
            if texts:
                cached.texts.extend(texts)
                # Not None: texts were written, so save() read the new highest id.
                cached.last_id = int(last_id)  # type: ignore[arg-type]
                cached.last_stamp = new_events[-1].timestamp
            self._sessions.put(sender_id, cached)

    def _check_key(self, discard_unreadable: bool) -> None:
        with self.session_scope() as session:
            newest = session.query(self.SQLEvent).order_by(self.SQLEvent.id.desc()).first()
            if newest is None:
                return
            try:
                self._open(newest.data)
                return
            except (InvalidToken, ValueError):
                pass
            if not discard_unreadable:
                raise TrackerKeyError(
                    f"the tracker-store key ({KEY_ENV}) does not decrypt the stored conversations: "
                    "set the key they were written with (a new key goes first, the old one after "
                    "a comma), or delete the stored conversations (the embedded bot's tracker.db, "
                    "or the events table: dialogue state only, never the incident log)")
            removed = session.query(self.SQLEvent).delete(synchronize_session=False)
            session.commit()
        logger.warning("the tracker-store key is new: %d events of conversations written with "
                       "another key were deleted (no key can read them)", removed)

    # -- Rasa's SQLTrackerStore, with data sealed and opened ---------------------------

    async def _retrieve(self, sender_id: str,
                        fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        cached = None if fetch_events_from_all_sessions else self._cached_session(sender_id)
        if cached is not None:
            events = [json.loads(text) for text in cached.texts]
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        with self.session_scope() as session:
            rows = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions
            ).all()
            texts, events, ids, unreadable = [], [], [], []
            for row in rows:
                try:
                    text, event = self._open(row.data)
                except (InvalidToken, ValueError):
                    unreadable.append(row.id)
                    continue
                texts.append(text)
                events.append(event)
                ids.append(row.id)
            if unreadable:
                session.query(self.SQLEvent).filter(self.SQLEvent.id.in_(unreadable)).delete(
                    synchronize_session=False)
                session.commit()
                logger.error("deleted %d conversation events that did not decrypt", len(unreadable))
        if not fetch_events_from_all_sessions and self.domain and texts:
            self._sessions.put(sender_id, _Session(ids[0], ids[-1], texts,
                                                   events[-1].get("timestamp")))
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    # -- the current session of recent conversations, kept in memory -------------------

    def _cached_session(self, sender_id: str) -> Optional[_Session]:
        """The cached session of ``sender_id`` if the database still holds exactly it.

        One aggregate query (rows of the conversation from the cached first id on: how
        many, the newest id) instead of reading and decrypting every row: when another
        process added or deleted rows, the counts differ and the caller reads them all.
        """
        cached = self._sessions.get(sender_id)
        if cached is None or not self.domain:
            return None
        table = self.SQLEvent.__table__
        query = (sa.select(sa.func.count(table.c.id), sa.func.max(table.c.id))
                 .where(table.c.sender_id == sender_id, table.c.id >= cached.first_id))
        with self.engine.connect() as connection:
            count, newest = connection.execute(query).one()
        if count == len(cached.texts) and newest == cached.last_id:
            return cached
        self._sessions.drop(sender_id)
        return None

    def drop_cached(self, sender_id: str) -> None:
        """Forget the in-memory copy of one conversation (it is being deleted)."""
        self._sessions.drop(sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        intents = set(self.domain.intents) if self.domain else set()
        cached = self._sessions.get(tracker.sender_id)
        with self.session_scope() as session:
            if cached is not None and cached.continued_by(tracker):
                # The tracker was read from the cached session: what follows it is new
                # (Rasa's own way counts the stored rows with a query).
                new_events = list(itertools.islice(tracker.events, len(cached.texts), None))
            else:
                cached = None
                new_events = list(self._additional_events(session, tracker))
            rows, texts = [], []
            for event in new_events:
                data = event.as_dict()
                text = json.dumps(data)
                intent = (data.get("parse_data") or {}).get("intent", {}).get("name")
                rows.append({
                    "sender_id": tracker.sender_id,
                    "type_name": event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": intent if intent in intents else None,
                    "action_name": data.get("name") if event.type_name == "action" else None,
                    "data": self._seal_text(text),
                })
                texts.append(text)
            last_id = None
            if rows:  # one statement for the turn's events, not the ORM's unit of work
                table = self.SQLEvent.__table__
                session.execute(table.insert(), rows)
                if cached is not None:
                    last_id = session.execute(sa.select(sa.func.max(table.c.id))
                                              .where(table.c.sender_id == tracker.sender_id)).scalar()
                session.commit()
        self._remember(tracker.sender_id, cached, new_events, last_id, texts)
        if self.retention_hours and time.monotonic() >= self._next_expiry:
            self._next_expiry = time.monotonic() + self.expire_every
            try:
                expired = self.expire_idle(self.retention_hours)
            except Exception as error:  # noqa: BLE001 - expiry must not fail a message
                logger.error("expiring idle conversations failed: %s", type(error).__name__)
            else:
                if expired:
                    logger.info("expired %d idle conversations", expired)

    # -- expiry ------------------------------------------------------------------------

    def idle_conversations(self, before: float) -> list[str]:
        """Ids of the conversations whose newest event is older than ``before`` (Unix time)."""
        with self.session_scope() as session:
            newest = sa.func.max(self.SQLEvent.timestamp)
            rows = (session.query(self.SQLEvent.sender_id)
                    .group_by(self.SQLEvent.sender_id)
                    .having(sa.or_(newest < before, newest.is_(None)))
                    .all())
        return [sender_id for (sender_id,) in rows]

    def delete_conversations(self, sender_ids: Iterable[str]) -> int:
        """Delete every event of these conversations; the number of rows deleted."""
        ids = list(sender_ids)
        if not ids:
            return 0
        with self.session_scope() as session:
            deleted = int(session.query(self.SQLEvent).filter(self.SQLEvent.sender_id.in_(ids))
                          .delete(synchronize_session=False))
            session.commit()
        for sender_id in ids:
            self._sessions.drop(sender_id)
        return deleted

    def expire_idle(self, hours: float, now: Optional[float] = None) -> int:
        """Delete the conversations idle for more than ``hours``; how many went."""
        cutoff = (time.time() if now is None else now) - hours * 3600
        idle = self.idle_conversations(cutoff)
        self.delete_conversations(idle)
        return len(idle)


def _hours(value: Any) -> Optional[float]:
    """``retention_hours`` from an endpoints file: a number, or empty / 0 for "keep"."""
    if value is None or str(value).strip() == "":
        return None
    hours = float(value)
    return hours if hours > 0 else None


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """Per connection: WAL commits without a sync each (a killed process still loses no
    committed turn), and a wait rather than an error while another connection writes."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


__all__ = ["EncryptedSQLTrackerStore", "TrackerKeyError", "parse_keys"]
