"""Which users have a forget waiting, known without asking the store on every message.

A "forget me" whose conversation is still to be deleted (the store's pending-forget
mark) must be finished before the user's next message is answered.  The mark stays
in the store, so it survives a restart; this keeps *who* has one in memory, so that
an ordinary message (none waiting) costs no store access at all.  (A note edit
waiting for its text is Rasa's ``edit_note_form`` now: nothing of it is in the store.)

* The desk is the only writer of the mark: it notes each one here as it writes it.
* At the first check after start (``load``), the users who have one are read from the
  store once: a restart loses no pending forget.
* A mark may only ever be wrong towards asking: it is set before the row is written and
  cleared after the row is deleted, so at worst the store is asked and finds nothing.
* Several bot processes sharing one diary database (``docker-compose up --scale bot=N``
  behind one webhook: any process may take any message) could each write a mark the
  others do not know.  A database other than SQLite is taken to be shared that way, and
  then every check asks the store, as before (``shared``).  SQLite is one machine's file,
  used by the embedded bot, a single process.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

logger = logging.getLogger("bot.desk")


def shares_database(store: Any) -> bool:
    """True when other bot processes may use the same diary database (not SQLite)."""
    try:
        return str(store.engine.dialect.name) != "sqlite"
    except Exception:  # noqa: BLE001 - a stand-in store (the log switched off): nothing is shared
        return False


class PendingMarks:
    """The users (by the store's pseudonym) with a forget waiting."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.shared = shares_database(store)
        self._forgets: set[str] = set()
        self._loaded = False
        self._lock = asyncio.Lock()

    def _key(self, user_id: str) -> str:
        return str(self.store.user_key(user_id))

    async def load(self) -> None:
        """Read once who has a forget waiting (what a restart left in the store)."""
        if self._loaded or self.shared:
            return
        async with self._lock:
            if self._loaded:
                return
            self._forgets |= await asyncio.to_thread(self._read)
            self._loaded = True

    def _read(self) -> set[str]:
        return {self._key(user_id) for user_id in self.store.pending_forgets()}

    async def may_forget(self, user_id: str) -> bool:
        """False only when no forget of the user can be waiting."""
        if self.shared:
            return True
        await self.load()
        return self._key(user_id) in self._forgets

    def forget_set(self, user_id: str) -> None:
        self._forgets.add(self._key(user_id))

    def forget_cleared(self, user_id: str) -> None:
        self._forgets.discard(self._key(user_id))
