""""Clear this chat" (issue 15) without the network: the trail, the core's routing, the adapter, the console.

The core is the real one (guard, desk, store on SQLite) in front of a stand-in
dialogue engine, so nothing here needs the trained model.  The end-to-end proof
(the emulator holds none of the chat afterwards) is ``tests/e2e/test_clear_e2e.py``.
"""
from __future__ import annotations

import io
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Optional

import pytest
from telegram import Update
from telegram.error import BadRequest

from bot.console import ChatTally
from bot.core import Core
from bot.desk import DiaryDesk
from bot.diary.crypto import Cipher
from bot.diary.store import DiaryStore, NoteFields, migrate
from bot.diary.trail import MessageTrail, batches
from bot.guard import SafetyGuard
from bot.replies import Reply
from bot.telegram.adapter import TelegramAdapter
from bot.telegram.copy import TelegramCopy
from guidance.facts import Facts

USER = "4242"
STEPS = "Only you can do these"
CLEAR = "🧹 Clear this chat"
GOODBYE = "Take care. If someone else might see this phone, you can delete this chat."


class WordsEngine:
    """Rasa's stand-in: a welcome with a button, a goodbye, anything else echoed."""

    intents = frozenset({"greet", "goodbye"})

    async def handle(self, user_id: str, text: str,
                     metadata: Optional[dict[str, Any]] = None) -> list[dict[str, Any]]:
        if text == "/greet":
            return [{"text": "Hello."},
                    {"text": "What would you like to do?",
                     "buttons": [{"title": "Check the warning signs", "payload": "/start_check"}]}]
        if text == "bye":
            return [{"text": GOODBYE}]
        if text == "/pause":  # no form in progress: Rasa has nothing to say
            return []
        return [{"text": "I see."}]

    async def reset(self, user_id: str) -> None: ...

    async def forget(self, user_id: str) -> None: ...

    async def close(self) -> None: ...


@pytest.fixture
def store(tmp_path: Path) -> DiaryStore:
    url = f"sqlite:///{tmp_path / 'diary.db'}"
    migrate(url)
    store = DiaryStore(url, Cipher.generate())
    yield store
    store.close()


@pytest.fixture
def core(store: DiaryStore, tmp_path: Path) -> Core:
    engine = WordsEngine()
    desk = DiaryDesk(store, Facts.load(), engine.forget)
    return Core(engine, SafetyGuard.from_file(), Facts.load(), engine_timeout=5.0, desk=desk)


def rows(store: DiaryStore, database: Path, table: str = "message_trail") -> int:
    with sqlite3.connect(database) as db:
        return int(db.execute(f"select count(*) from {table}").fetchone()[0])


# -- the trail: ids and times only, 48 hours, forgotten with everything ----------------


def test_the_trail_keeps_ids_for_48_hours_and_nothing_else(store: DiaryStore, tmp_path: Path) -> None:
    trail = MessageTrail(store)
    now = datetime.now(timezone.utc)
    assert trail.record(USER, [5, 6, 6, 7]) == 3
    assert trail.record(USER, [7]) == 0  # already noted
    trail.record(USER, [1, 2], sent_at=now - timedelta(hours=49))  # past Telegram's limit
    trail.record("someone else", [5, 6])
    assert trail.deletable(USER) == [5, 6, 7]
    with sqlite3.connect(tmp_path / "diary.db") as db:
        columns = [row[1] for row in db.execute("pragma table_info(message_trail)")]
        keys = {row[0] for row in db.execute("select user_key from message_trail")}
    assert columns == ["user_key", "message_id", "sent_at"]  # no content, no chat id
    assert USER not in keys and store.user_key(USER) in keys  # the diary's pseudonym
    assert trail.sweep() == 2  # the expired rows are swept
    assert trail.count(USER) == 3
    assert trail.drop(USER, [5]) == 1 and trail.deletable(USER) == [6, 7]


def test_forget_deletes_the_trail_too(store: DiaryStore, tmp_path: Path) -> None:
    trail = MessageTrail(store)
    trail.record(USER, range(1, 11))
    store.add_note(USER, NoteFields(occurred_at=datetime.now(timezone.utc), what_happened="x"))
    assert store.forget(USER)["message_trail"] == 10
    assert rows(store, tmp_path / "diary.db") == 0


def test_batches_are_at_most_100_ids() -> None:
    assert [len(b) for b in batches(range(250))] == [100, 100, 50]
    assert batches([3, 1, 2, 1]) == [[1, 2, 3]]


# -- the core: where "Clear this chat" is offered -------------------------------------


def clear_buttons(replies: list[Reply]) -> list[str]:
    return [b.title for r in replies for b in r.buttons if b.payload == "/clear_chat"]


async def test_clear_is_offered_on_start_after_export_after_forget_and_on_goodbye(
    core: Core, store: DiaryStore
) -> None:
    welcome = await core.handle(USER, "/start")
    assert clear_buttons(welcome) == [CLEAR] and welcome[-1].buttons[-1].title == CLEAR
    assert clear_buttons(await core.handle(USER, "bye")) == [CLEAR]  # "how do I hide this chat"
    assert clear_buttons(await core.handle(USER, "hello there")) == []  # not everywhere
    await core.handle(USER, "/note he followed me to the station")
    exported = await core.handle(USER, "diary:export_yes")
    names = [r.document.filename for r in exported if r.document]
    today = datetime.now().strftime("%Y-%m-%d")
    assert names == [f"notes-{today}.pdf", f"notes-{today}.csv"]  # neutral names
    assert "saved these files somewhere safe" in exported[-1].text
    assert clear_buttons(exported[-1:]) == [CLEAR]
    [asked] = await core.handle(USER, "/forget")
    assert ("Delete everything and clear this chat", "diary:forget_clear") in [
        (b.title, b.payload) for b in asked.buttons]


async def test_delete_everything_and_clear_this_chat(core: Core, store: DiaryStore, tmp_path: Path) -> None:
    trail = MessageTrail(store)
    await core.handle(USER, "/note he waited by my car")
    trail.record(USER, [1, 2, 3])
    [reply] = await core.handle(USER, "diary:forget_clear")
    assert reply.clear_chat and reply.text.startswith("Everything I kept is deleted.")
    assert STEPS in reply.text and "note" not in reply.text.split(STEPS)[0]  # neutral
    assert store.list_notes(USER)[1] == 0 and trail.count(USER) == 0
    adapter = TelegramAdapter(core, TelegramCopy.load(), trail=trail)
    bot = FakeBot()
    trail.record(USER, [4, 5])
    await adapter.on_callback(Update.de_json({"update_id": 9, "callback_query": {
        "id": "q", "chat_instance": "c", "data": "diary:forget_clear",
        "from": {"id": int(USER), "is_bot": False, "first_name": "Sam"},
        "message": {"message_id": 5, "date": 1_700_000_000, "text": "Delete everything?",
                    "chat": {"id": int(USER), "type": "private"},
                    "reply_markup": {"inline_keyboard": [[
                        {"text": "Delete everything and clear this chat",
                         "callback_data": "diary:forget_clear"}]]}}}}, bot),  # type: ignore[arg-type]
        SimpleNamespace(bot=bot))
    # The ids were read before the forget deleted them, then deleted in Telegram.
    assert [args[1] for args, _ in bot.named("delete_messages")] == [[4, 5]]
    assert not bot.named("edit_message_text")  # the pressed message is deleted, not edited
    await adapter.flush_notes()
    assert trail.deletable(USER) == [bot.next_id]


async def test_clear_runs_without_the_engine_and_says_what_is_left(core: Core) -> None:
    for typed in ("/clear", "/clear_chat", "diary:clear"):
        [reply] = await core.handle(USER, typed)
        assert reply.clear_chat and STEPS in reply.text
        for step in ("Delete chat", "Auto-delete", "Downloads", "Message preview"):
            assert step in reply.text
        assert "stalk" not in reply.text.lower()  # neutral: it may stay on the screen
        assert [b.payload for b in reply.buttons] == ["diary:clear_done"]
    [done] = await core.handle(USER, "diary:clear_done")
    assert done.clear_chat and not done.text and not done.buttons


# -- the adapter: what Telegram is asked to delete -------------------------------------


class FakeBot:
    """Records Bot API calls; a sent message gets the next id; ``refuse`` batches fail."""

    defaults = None

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple, dict]] = []
        self.next_id = 1000
        self.refuse_batches = 0

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args, kwargs))
            if name == "delete_messages" and self.refuse_batches:
                self.refuse_batches -= 1
                raise BadRequest("Message can't be deleted")
            if name in ("send_message", "send_document"):
                self.next_id += 1
                return SimpleNamespace(message_id=self.next_id)
            return True

        return call

    def named(self, name: str) -> list[tuple[tuple, dict]]:
        return [(a, k) for n, a, k in self.calls if n == name]


def text_update(bot: FakeBot, text: str, message_id: int) -> Update:
    return Update.de_json({"update_id": message_id, "message": {
        "message_id": message_id, "date": 1_700_000_000, "text": text,
        "chat": {"id": int(USER), "type": "private"},
        "from": {"id": int(USER), "is_bot": False, "first_name": "Sam"}}}, bot)  # type: ignore[arg-type]


async def test_the_adapter_deletes_everything_noted_in_batches_of_100(
    core: Core, store: DiaryStore, tmp_path: Path
) -> None:
    trail = MessageTrail(store)
    adapter = TelegramAdapter(core, TelegramCopy.load(), trail=trail)
    bot = FakeBot()
    context = SimpleNamespace(bot=bot)
    await adapter.on_text(text_update(bot, "hello there", 1), context)
    assert trail.deletable(USER) == []  # noted, waiting to be written with others' ids
    await adapter.flush_notes()
    assert trail.deletable(USER) == [1, 1001]  # the person's message and the reply
    trail.record(USER, range(2, 250))  # a long conversation
    await adapter.on_text(text_update(bot, "/clear", 300), context)
    deletes = bot.named("delete_messages")
    assert [len(args[1]) for args, _ in deletes] == [100, 100, 51]
    asked = sorted(i for args, _ in deletes for i in args[1])
    assert asked == sorted({1, 1001, *range(2, 250), 300})  # "/clear" itself too
    assert all(args[0] == int(USER) for args, _ in deletes)
    # The steps come after the deletions, and are all the trail holds now.
    names = [n for n, _, _ in bot.calls]
    assert names[-4:] == ["delete_messages"] * 3 + ["send_message"]
    await adapter.close()  # shutdown writes what waits
    assert trail.deletable(USER) == [bot.next_id]


async def test_a_refused_batch_is_deleted_one_by_one(core: Core, store: DiaryStore) -> None:
    trail = MessageTrail(store)
    trail.record(USER, [11, 12, 13])
    adapter = TelegramAdapter(core, TelegramCopy.load(), trail=trail)
    bot = FakeBot()
    bot.refuse_batches = 1
    await adapter.on_text(text_update(bot, "/clear", 14), SimpleNamespace(bot=bot))
    assert [args[1] for args, _ in bot.named("delete_message")] == [11, 12, 13, 14]
    await adapter.flush_notes()
    assert trail.deletable(USER) == [bot.next_id]


# -- the console: what it would delete ---------------------------------------------------


async def test_the_console_says_what_clearing_would_delete(core: Core) -> None:
    tally = ChatTally()
    tally.after(core, await core.handle(USER, "/start"))  # 1 in, 2 out (as the console shows them)
    tally.after(core, await core.handle(USER, "hello there"))
    shown = tally.after(core, await core.handle(USER, "/clear"))
    assert shown[0].text.startswith("(Console: in Telegram this deletes 6 messages")
    assert "3 of yours and 3 of mine" in shown[0].text
    assert STEPS in shown[1].text
    [done] = tally.after(core, await core.handle(USER, "diary:clear_done"))
    assert "removes the message with the steps too" in done.text


# -- files that don't give the person away -------------------------------------------------


def test_the_plan_pdf_has_a_neutral_heading() -> None:
    from pypdf import PdfReader

    from bot.plan_pdf import render_plan_pdf

    pdf = render_plan_pdf("My safety plan", [("Keep a record", "Write down every incident.", False)],
                          "Call 999.")
    reader = PdfReader(io.BytesIO(pdf))
    first_line = reader.pages[0].extract_text().splitlines()[0]
    assert first_line == "My plan" and reader.metadata.title == "My plan"


async def test_ids_noted_just_before_a_forget_are_forgotten_too(core: Core, store: DiaryStore) -> None:
    trail = MessageTrail(store)
    adapter = TelegramAdapter(core, TelegramCopy.load(), trail=trail)  # batched writes (0.5 s)
    bot = FakeBot()
    await adapter.on_text(text_update(bot, "hello there", 1), SimpleNamespace(bot=bot))
    await adapter.on_callback(Update.de_json({"update_id": 9, "callback_query": {
        "id": "q", "chat_instance": "c", "data": "diary:forget_yes",
        "from": {"id": int(USER), "is_bot": False, "first_name": "Sam"},
        "message": {"message_id": 1001, "date": 1_700_000_000, "text": "Delete everything?",
                    "chat": {"id": int(USER), "type": "private"},
                    "reply_markup": {"inline_keyboard": [[
                        {"text": "Yes, delete everything", "callback_data": "diary:forget_yes"}]]}}}},
        bot), SimpleNamespace(bot=bot))  # type: ignore[arg-type]
    await adapter.close()
    assert trail.deletable(USER) == [bot.next_id]  # only the reply sent after the forget
