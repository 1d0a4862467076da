"""Notes the store could not save, held in memory for "Try saving again"."""
from __future__ import annotations

import dataclasses
import json
import time
from datetime import datetime

from bot.diary.crypto import Cipher
from bot.diary.store import NoteFields


class UnsavedNotes:
    """Notes the store could not save, kept for "Try saving again".

    They live in this process's memory only (the database is what failed),
    encrypted under a key that exists nowhere else, keyed by a hash of the user
    id, for at most ``ttl`` seconds and ``per_user`` notes a user.  A restart
    loses them: the user was told the note is NOT saved, so nothing they were
    told is saved is ever lost.
    """

    def __init__(self, ttl: float = 3600.0, per_user: int = 5) -> None:
        self.ttl = ttl
        self.per_user = per_user
        self._cipher = Cipher.generate()
        self._held: dict[str, list[tuple[float, bytes]]] = {}

    def put(self, user_id: str, fields: NoteFields) -> None:
        data = {f.name: getattr(fields, f.name) for f in dataclasses.fields(NoteFields)}
        data["occurred_at"] = fields.occurred_at.isoformat()
        token = self._cipher.encrypt(json.dumps(data, ensure_ascii=False))
        held = self._fresh(self._cipher.user_key(user_id))
        held.append((time.monotonic(), token))
        del held[:-self.per_user]

    def take(self, user_id: str) -> list[NoteFields]:
        """The user's waiting notes, oldest first; they are no longer held."""
        held = self._fresh(self._cipher.user_key(user_id))
        self._held.pop(self._cipher.user_key(user_id), None)
        notes = []
        for _, token in held:
            data = json.loads(self._cipher.decrypt_text(token))
            data["occurred_at"] = datetime.fromisoformat(data["occurred_at"])
            notes.append(NoteFields(**data))
        return notes

    def count(self, user_id: str) -> int:
        return len(self._fresh(self._cipher.user_key(user_id)))

    def _fresh(self, key: str) -> list[tuple[float, bytes]]:
        now = time.monotonic()
        for other in [k for k, v in self._held.items() if not v or now - v[-1][0] > self.ttl]:
            del self._held[other]
        held = self._held.setdefault(key, [])
        held[:] = [(t, token) for t, token in held if now - t <= self.ttl]
        return held
