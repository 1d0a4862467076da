"""Issue 13, item 4: "forget me" completes, or is retried until it does, and says exactly what it did.

Before: when deleting the conversation (the dialogue engine's tracker) failed, the
notes were gone, the conversation stayed, and the user read only "something went
wrong".  Now the store deletes the data and leaves a pending-forget mark in one
transaction; the conversation is deleted next, and a failure there is retried
before the user's next message, by a retry task, and at start-up.  On SQLite and
the real PostgreSQL.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import pytest
from sqlalchemy import text

import bot.desk.forget as desk_module
from bot.core import Core
from bot.desk import DiaryDesk
from bot.diary.store import DiaryStore, NoteFields
from bot.guard import SafetyGuard
from guidance.facts import Facts

NOW = datetime(2024, 5, 1, 9, 0, tzinfo=timezone.utc)


class Conversations:
    """The dialogue engine's side: deleting a conversation fails while ``down``."""

    def __init__(self) -> None:
        self.down = True
        self.events: list[str] = []

    async def forget(self, user_id: str) -> None:
        self.events.append(f"forget {user_id}")
        if self.down:
            raise ConnectionError("tracker store unreachable")


class Engine:
    intents = frozenset({"greet"})

    def __init__(self, conversations: Conversations) -> None:
        self.conversations = conversations

    async def handle(self, user_id: str, text: str, metadata: Optional[dict[str, Any]] = None) -> list[Any]:
        self.conversations.events.append(f"message {user_id}")
        return [{"text": "hello"}]

    async def reset(self, user_id: str) -> None: ...

    async def forget(self, user_id: str) -> None:
        await self.conversations.forget(user_id)

    async def close(self) -> None: ...


def _fill(store: DiaryStore) -> None:
    for what in ("he followed me", "he called 12 times"):
        note = store.add_note("alice", NoteFields(occurred_at=NOW, what_happened=what))
    store.add_attachment("alice", note.id, "photo", "fid", "door.jpg", "image/jpeg", b"jpeg")
    store.set_answer("alice", "four", {"fixated": "yes"})
    store.add_note("bob", NoteFields(occurred_at=NOW, what_happened="bob's note"))


def _rows(store: DiaryStore, table: str) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_a_failed_conversation_delete_is_said_exactly_and_finished_before_the_next_answer(
        store: DiaryStore, tmp_path: Path) -> None:
    _fill(store)
    conversations = Conversations()
    desk = DiaryDesk(store, Facts.load(), conversations.forget)
    core = Core(Engine(conversations), SafetyGuard.from_file(), Facts.load(), desk=desk)

    async def scenario() -> None:
        (reply,) = await desk.forget("alice")
        assert reply.text.startswith("I deleted 2 notes, 1 attachment and 1 saved answer.")
        assert "could NOT delete our conversation history" in reply.text
        assert "Nothing of yours is left" not in reply.text
        assert store.all_notes("alice") == [] and store.get_answer("alice", "four") is None
        assert store.forget_pending("alice") and _rows(store, "pending_forgets") == 1
        assert [n.what_happened for n in store.all_notes("bob")] == ["bob's note"]

        conversations.down = False
        conversations.events.clear()
        replies = await core.handle("alice", "hello")
        assert [r.text for r in replies] == ["hello"]
        # the conversation is deleted BEFORE the message is answered, and the mark is gone
        assert conversations.events == ["forget alice", "message alice"]
        assert not store.forget_pending("alice") and _rows(store, "pending_forgets") == 0
        for task in desk.background:
            task.cancel()

    asyncio.run(scenario())


def test_a_pending_forget_is_retried_until_it_completes(
        store: DiaryStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(desk_module, "FORGET_RETRY_DELAYS", (0.05,))
    _fill(store)
    conversations = Conversations()
    desk = DiaryDesk(store, Facts.load(), conversations.forget)

    async def scenario() -> None:
        await desk.forget("alice")
        await asyncio.sleep(0.2)  # a few retries, all failing
        assert store.forget_pending("alice")
        failures = len(conversations.events)
        assert failures >= 3
        conversations.down = False
        for _ in range(50):
            await asyncio.sleep(0.05)
            if not store.forget_pending("alice"):
                break
        assert not store.forget_pending("alice")
        assert all(task.done() for task in desk.background)  # the retry stops once done

    asyncio.run(scenario())


def test_a_pending_forget_is_finished_at_start_up(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.app as app
    from bot.settings import Settings

    conversations = Conversations()

    class StandIn(Engine):
        async def start(self) -> None: ...

    monkeypatch.setattr(app, "build_engine", lambda _settings: StandIn(conversations))
    settings = Settings(database_url=database_url, diary_key_file=tmp_path / "diary.key",
                        export_dir=tmp_path, conversation_retention_hours=0, _env_file=None)

    async def first_run() -> None:
        core = await app.build_core(settings)
        core.desk.store.add_note("alice", NoteFields(occurred_at=NOW, what_happened="x"))
        (reply,) = await core.desk.forget("alice")
        assert "could NOT delete our conversation history" in reply.text
        await core.close()  # stops before the retry could succeed
        core.desk.store.close()

    async def second_run() -> None:
        conversations.down = False
        conversations.events.clear()
        core = await app.build_core(settings)
        await asyncio.gather(*core.background, return_exceptions=True)
        assert conversations.events and conversations.events[0].startswith("forget ")
        assert not core.desk.store.forget_pending("alice")
        await core.close()
        core.desk.store.close()

    asyncio.run(first_run())
    asyncio.run(second_run())


def test_a_store_failure_deletes_nothing_and_says_so(
        store: DiaryStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fill(store)
    conversations = Conversations()
    conversations.down = False
    desk = DiaryDesk(store, Facts.load(), conversations.forget)

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError("disk gone")

    monkeypatch.setattr(store, "forget", broken)
    (reply,) = asyncio.run(desk.forget("alice"))
    assert "couldn't delete anything" in reply.text and "999" in reply.text
    assert conversations.events == []  # the conversation was not deleted either
    monkeypatch.undo()
    assert len(store.all_notes("alice")) == 2


def test_everything_of_the_user_is_deleted_when_all_works(store: DiaryStore, tmp_path: Path) -> None:
    _fill(store)
    conversations = Conversations()
    conversations.down = False
    desk = DiaryDesk(store, Facts.load(), conversations.forget)
    (reply,) = asyncio.run(desk.forget("alice"))
    assert reply.text.startswith("Deleted everything: 2 notes, 1 attachment, 1 saved answer")
    assert conversations.events == ["forget alice"]
    assert _rows(store, "pending_forgets") == 0 and not store.forget_pending("alice")
    assert _rows(store, "notes") == 1  # bob's


def test_counts_are_said_in_the_singular_when_there_is_one(store: DiaryStore) -> None:
    store.add_note("carol", NoteFields(occurred_at=NOW, what_happened="he was outside"))
    conversations = Conversations()
    conversations.down = False
    desk = DiaryDesk(store, Facts.load(), conversations.forget)
    (confirm,) = asyncio.run(desk.confirm_export("carol"))
    assert "(1 note)" in confirm.text, confirm.text
    (gone,) = asyncio.run(desk.forget("carol"))
    assert gone.text.startswith("Deleted everything: 1 note, 0 attachments, 0 saved answers"), gone.text
