"""An ordinary message costs no store access; a pending edit or forget still works, across a restart too.

Before a message goes to Rasa the core asks the desk whether something waits for
this user (a forget whose conversation is still to be deleted, a note edit waiting
for its text).  The desk knows that in memory (``bot.desk.pending``): the store is
read once at the first message after start, and then only for a user who has
something waiting.  With a database other processes may share (not SQLite) every
message asks the store, so a mark another process wrote is never missed.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

import pytest

from bot.core import Core
from bot.desk import PENDING_EDIT, DiaryDesk
from bot.diary.crypto import Cipher
from bot.diary.store import DiaryStore, NoteFields, migrate
from bot.guard import SafetyGuard
from guidance.facts import Facts

FREE = {"user_key"}  # the pseudonym: an HMAC in memory, no database


class CountingStore:
    """The real store, counting every call that may reach the database."""

    def __init__(self, store: DiaryStore) -> None:
        self._store = store
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._store, name)
        if callable(value) and name not in FREE:
            def counted(*args: Any, **kwargs: Any) -> Any:
                self.calls.append(name)
                return value(*args, **kwargs)
            return counted
        return value


class EchoEngine:
    """Rasa stand-in: answers every message; deleting a conversation can be made to fail."""

    intents = frozenset({"greet", "help"})

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.forgotten: list[str] = []
        self.forget_fails = False

    async def handle(self, user_id: str, text: str,
                     metadata: Optional[dict[str, Any]] = None) -> list[dict[str, Any]]:
        self.seen.append(text)
        return [] if text == "/pause" else [{"text": "Rasa heard you"}]

    async def reset(self, user_id: str) -> None: ...

    async def forget(self, user_id: str) -> None:
        if self.forget_fails:
            raise ConnectionError("rasa is down")
        self.forgotten.append(user_id)

    async def close(self) -> None: ...


class Bot:
    """One bot process over a diary database; a second ``Bot`` on the same file is a restart."""

    def __init__(self, store: DiaryStore, engine: EchoEngine) -> None:
        self.store = CountingStore(store)
        self.engine = engine
        self.desk = DiaryDesk(self.store, Facts.load(), engine.forget)  # type: ignore[arg-type]
        self.core = Core(engine, SafetyGuard.from_file(), Facts.load(), engine_timeout=2.0,  # type: ignore[arg-type]
                         desk=self.desk)

    async def say(self, user: str, text: str) -> str:
        return "\n".join(r.text for r in await self.core.handle(user, text))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DiaryStore]:
    url = f"sqlite:///{tmp_path / 'diary.db'}"
    migrate(url)
    opened = DiaryStore(url, Cipher.generate())
    yield opened
    opened.close()


def _fields(what: str) -> NoteFields:
    return NoteFields(occurred_at=datetime.now(timezone.utc) - timedelta(hours=1), what_happened=what)


async def test_an_ordinary_message_does_not_touch_the_store(store: DiaryStore) -> None:
    bot = Bot(store, EchoEngine())
    assert await bot.say("alice", "hello") == "Rasa heard you"
    assert sorted(bot.store.calls) == ["answer_holders", "pending_forgets"]  # once, at the first message
    bot.store.calls.clear()
    for text in ("he was outside my flat again", "what counts as stalking?", "/help", "thanks"):
        assert await bot.say("alice", text) == "Rasa heard you"
        assert await bot.say("bob", text) == "Rasa heard you"
    assert bot.store.calls == []  # no query, no worker thread, for eight ordinary messages


async def test_a_pending_edit_takes_the_next_message_and_then_stops_costing(store: DiaryStore) -> None:
    note = store.add_note("alice", _fields("he followed me"))
    bot = Bot(store, EchoEngine())
    await bot.say("alice", f"diary:field:{note.id}:place")
    assert store.get_answer("alice", PENDING_EDIT) == {"id": note.id, "field": "place"}
    reply = await bot.say("alice", "outside the station")
    assert reply.startswith("✅ Updated.") and "outside the station" in reply
    assert getattr(store.get_note("alice", note.id), "place", None) == "outside the station"
    assert bot.engine.seen == []  # the edit's text never went to Rasa
    bot.store.calls.clear()
    assert await bot.say("alice", "thank you") == "Rasa heard you"
    assert bot.store.calls == []


async def test_a_pending_edit_survives_a_restart(store: DiaryStore) -> None:
    note = store.add_note("alice", _fields("he followed me"))
    before = Bot(store, EchoEngine())
    await before.say("alice", f"diary:field:{note.id}:witnesses")
    after = Bot(store, EchoEngine())  # a new process: nothing in memory, the row in the store
    reply = await after.say("alice", "my neighbour Sam")
    assert reply.startswith("✅ Updated.") and "my neighbour Sam" in reply
    assert getattr(store.get_note("alice", note.id), "witnesses", None) == "my neighbour Sam"
    assert store.get_answer("alice", PENDING_EDIT) is None and after.engine.seen == []


async def test_a_command_cancels_a_pending_edit(store: DiaryStore) -> None:
    note = store.add_note("alice", _fields("he followed me"))
    bot = Bot(store, EchoEngine())
    await bot.say("alice", f"diary:field:{note.id}:place")
    assert await bot.say("alice", "/help") == "Rasa heard you"
    assert store.get_answer("alice", PENDING_EDIT) is None
    assert await bot.say("alice", "outside the station") == "Rasa heard you"  # not an edit any more
    assert getattr(store.get_note("alice", note.id), "place", None) != "outside the station"


async def test_a_pending_forget_is_finished_before_the_next_message_after_a_restart(
        store: DiaryStore) -> None:
    store.add_note("alice", _fields("he followed me"))
    down = EchoEngine()
    down.forget_fails = True
    before = Bot(store, down)
    reply = await before.say("alice", "diary:forget_yes")
    assert "conversation" in reply and store.forget_pending("alice")
    for task in before.desk.background:
        task.cancel()
    after = Bot(store, EchoEngine())  # restarted, Rasa back
    assert await after.say("alice", "hello") == "Rasa heard you"
    assert after.engine.forgotten == ["alice"] and not store.forget_pending("alice")
    after.store.calls.clear()
    assert await after.say("alice", "hello again") == "Rasa heard you"
    assert after.store.calls == [] and after.engine.forgotten == ["alice"]


async def test_with_a_shared_database_a_mark_another_process_wrote_is_seen(store: DiaryStore) -> None:
    note = store.add_note("alice", _fields("he followed me"))
    bot = Bot(store, EchoEngine())
    bot.desk.pending.shared = True  # what a PostgreSQL diary gives (bot/desk/pending.py)
    assert await bot.say("alice", "hello") == "Rasa heard you"
    store.set_answer("alice", PENDING_EDIT, {"id": note.id, "field": "place"})  # another bot process
    reply = await bot.say("alice", "at the bus stop")
    assert reply.startswith("✅ Updated.")
    assert getattr(store.get_note("alice", note.id), "place", None) == "at the bus stop"
    store.forget("alice", True)  # another process's forget, its conversation not yet deleted
    assert await bot.say("alice", "hello") == "Rasa heard you"
    assert bot.engine.forgotten == ["alice"] and not store.forget_pending("alice")
