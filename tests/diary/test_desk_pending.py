"""An ordinary message costs no store access; an edit is Rasa's form; a pending forget still works.

Before a message goes to Rasa the core asks the desk whether a forget waits for this
user (its conversation still to be deleted).  The desk knows that in memory
(``bot.desk.pending``): the store is read once at the first message after start, and
then only for a user who has one waiting.  With a database other processes may share
(not SQLite) every message asks the store, so a mark another process wrote is never
missed.  A note edit waiting for its text is Rasa's ``edit_note_form``
(``nlu/actions/edit.py``): the core asks the store nothing about edits, and the form
ends in an ``update_field`` request the desk carries out (the form itself, through the
real model: tests/test_safety_pause.py, tests/test_dates.py).
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

import pytest

from bot.core import Core
from bot.desk import DiaryDesk
from bot.diary.crypto import Cipher
from bot.diary.store import DiaryStore, NoteFields, migrate
from bot.guard import SafetyGuard
from guidance.dates import saved_as
from guidance.facts import Facts
from guidance.when import When

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
        self.down = False

    async def handle(self, user_id: str, text: str,
                     metadata: Optional[dict[str, Any]] = None) -> list[dict[str, Any]]:
        if self.down:
            raise ConnectionError("rasa is down")
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
    assert bot.store.calls == ["pending_forgets"]  # once, at the first message
    bot.store.calls.clear()
    for text in ("he was outside my flat again", "what counts as stalking?", "/help", "thanks"):
        assert await bot.say("alice", text) == "Rasa heard you"
        assert await bot.say("bob", text) == "Rasa heard you"
    assert bot.store.calls == []  # no query, no worker thread, for eight ordinary messages


async def test_an_edit_button_starts_rasas_form_and_leaves_nothing_in_the_store(store: DiaryStore) -> None:
    note = store.add_note("alice", _fields("he followed me"))
    bot = Bot(store, EchoEngine())
    await bot.say("alice", "hello")
    bot.store.calls.clear()
    assert await bot.say("alice", f"diary:field:{note.id}:place") == "Rasa heard you"
    # the note is checked to be hers (one read), a form in progress is put aside, and Rasa
    # gets the edit's payload; nothing is written
    assert bot.store.calls == ["get_note"]
    payload = f'/edit_note{{"edit_note_id": "{note.id}", "edit_field": "place"}}'
    assert bot.engine.seen[-2:] == ["/pause", payload]
    assert store.get_answer("alice", "pending_edit") is None
    bot.store.calls.clear()
    assert await bot.say("alice", "outside the station") == "Rasa heard you"  # Rasa's form reads it
    assert bot.store.calls == [] and bot.engine.seen[-1] == "outside the station"
    assert getattr(store.get_note("alice", note.id), "place", None) is None  # only Rasa's request saves


async def test_the_edit_forms_request_saves_the_field_and_shows_the_note(store: DiaryStore) -> None:
    note = store.add_note("alice", _fields("he followed me"))
    bot = Bot(store, EchoEngine())
    replies = await bot.desk.execute("alice", {"op": "update_field", "id": note.id, "field": "witnesses",
                                               "value": "my neighbour Sam"})
    assert replies[0].text == "✅ Updated." and "Witnesses: my neighbour Sam" in replies[1].text
    assert getattr(store.get_note("alice", note.id), "witnesses", None) == "my neighbour Sam"
    at = (datetime.now(timezone.utc) - timedelta(days=2)).replace(hour=18, minute=30, second=0, microsecond=0)
    when = {"op": "update_field", "id": note.id, "field": "occurred_at", "value": When(at, "about").to_slot()}
    replies = await bot.desk.execute("alice", when)
    assert replies[0].text == f"✅ Updated. {saved_as(When(at, 'about'))}"  # the time as read
    assert "about" in replies[0].text
    saved = store.get_note("alice", note.id)
    assert saved is not None and saved.time_precision == "about" and saved.occurred_at == at


@pytest.mark.parametrize("request_", [
    {"id": "OWN", "field": "kind", "value": "following"},  # the kind: buttons only
    {"id": "OWN", "field": "user_key", "value": "x"},
    {"id": "OWN", "field": "__class__", "value": "x"},
    {"id": "OTHER", "field": "what_happened", "value": "overwritten"},  # Bob's note
    {"id": "-1", "field": "what_happened", "value": "overwritten"},
    {"id": "OWN", "field": "occurred_at", "value": "not a time"},
])
async def test_a_forged_edit_request_changes_nothing(store: DiaryStore, request_: dict[str, Any]) -> None:
    own = store.add_note("alice", _fields("he followed me"))
    other = store.add_note("bob", _fields("bob's own note"))
    bot = Bot(store, EchoEngine())
    note_id = {"OWN": own.id, "OTHER": other.id}.get(request_["id"], request_["id"])
    replies = await bot.desk.execute("alice", {"op": "update_field", **request_, "id": note_id})
    assert "Updated" not in " ".join(r.text for r in replies)
    assert store.get_note("bob", other.id) == other
    assert store.get_note("alice", own.id) == own


async def test_a_forged_field_button_reaches_neither_the_store_nor_rasa(store: DiaryStore) -> None:
    other = store.add_note("bob", _fields("bob's own note"))
    bot = Bot(store, EchoEngine())
    for payload in (f"diary:field:{other.id}:place", "diary:field:1:user_key", "diary:field:1:__class__"):
        assert "can't find that note" in await bot.say("alice", payload)
    assert bot.engine.seen == []


async def test_with_rasa_down_an_edit_button_says_nothing_was_changed(store: DiaryStore) -> None:
    note = store.add_note("alice", _fields("he followed me"))
    engine = EchoEngine()
    engine.down = True
    bot = Bot(store, engine)
    reply = await bot.say("alice", f"diary:field:{note.id}:place")
    assert reply.startswith("Sorry, I can't change your note just now: nothing was changed.")
    assert "999" in reply  # the help line, as every failure carries


async def test_an_old_pending_edit_row_is_harmless(store: DiaryStore) -> None:
    note = store.add_note("alice", _fields("he followed me"))
    store.set_answer("alice", "pending_edit", {"id": note.id, "field": "place"})  # left by an old version
    bot = Bot(store, EchoEngine())
    assert await bot.say("alice", "outside the station") == "Rasa heard you"
    assert getattr(store.get_note("alice", note.id), "place", None) is None
    assert store.forget("alice", False)["answers"] == 1  # and "forget me" deletes it with the rest


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
    store.add_note("alice", _fields("he followed me"))
    bot = Bot(store, EchoEngine())
    bot.desk.pending.shared = True  # what a PostgreSQL diary gives (bot/desk/pending.py)
    assert await bot.say("alice", "hello") == "Rasa heard you"
    store.forget("alice", True)  # another process's forget, its conversation not yet deleted
    assert await bot.say("alice", "hello") == "Rasa heard you"
    assert bot.engine.forgotten == ["alice"] and not store.forget_pending("alice")
