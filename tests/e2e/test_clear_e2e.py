""""Clear this chat" end to end: after it, the emulator holds none of the chat's messages.

A person talks to a long-polling bot (the real core: guard + Rasa, and its own
throwaway incident log) through the telegram-test-api emulator, whose storage
holds both sides of the chat: the person's messages (as Telegram's servers hold
them) and the bot's.  The emulator has no ``deleteMessages``; the proxy in
``harness.py`` implements it against that storage, so what the test reads back
is what a deleted chat looks like there.  Skipped, with the reason, when no
trained model is in ``models/`` (failed under CI=true).
"""
from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Callable

import pytest

from .conftest import DiaryCore, RunningBot, UserFactory
from .harness import BotApiProxy, BotMessage, TelegramUser

pytestmark = [pytest.mark.e2e, pytest.mark.model, pytest.mark.asyncio(loop_scope="session")]

CLEAR = "Clear this chat"
STEPS = "Only you can do these"
Predicate = Callable[[list[BotMessage]], bool]


def containing(text: str) -> Predicate:
    return lambda messages: any(text in m.text for m in messages)


def the(messages: list[BotMessage], text: str) -> BotMessage:
    for message in messages:
        if text in message.text:
            return message
    raise AssertionError(f"no message with {text!r} in {[m.text[:80] for m in messages]}")


def with_document(suffix: str) -> Predicate:
    return lambda messages: any((m.document or {}).get("file_name", "").endswith(suffix)
                                for m in messages)


async def trail_rows(diary_core: DiaryCore, user: TelegramUser, bot: RunningBot) -> int:
    """The person's rows in the message trail, counted with sqlite3 (not through the bot),
    once the ids the adapter holds for its next batched write are written."""
    await bot.service.adapter.flush_notes()
    key = diary_core.core.desk.store.user_key(str(user.chat_id))
    with contextlib.closing(sqlite3.connect(diary_core.files.database)) as db:
        return int(db.execute("select count(*) from message_trail where user_key = ?",
                              (key,)).fetchone()[0])


async def trail_settled(diary_core: DiaryCore, user: TelegramUser, bot: RunningBot, rows: int,
                        timeout: float = 15.0) -> int:
    """The person's rows in the message trail, once they are ``rows`` (or the time is up)."""
    deadline = time.monotonic() + timeout
    while True:
        found = await trail_rows(diary_core, user, bot)
        if found == rows or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.1)


async def held_settled(user: TelegramUser, until: Callable[[list[dict]], bool],
                       timeout: float = 15.0) -> list[dict]:
    """The chat as the emulator holds it, once ``until`` holds (or the time is up)."""
    deadline = time.monotonic() + timeout
    while True:
        held = await user.stored_messages()
        if until(held) or time.monotonic() > deadline:
            return held
        await asyncio.sleep(0.1)


async def a_conversation_with_an_export(user: TelegramUser) -> list[BotMessage]:
    """/start, a quick note, /export confirmed: the chat holds both sides and two files."""
    welcome = await user.ask("/start", until=lambda ms: any(m.buttons for m in ms))
    assert any(b.get("callback_data") == "/clear_chat" for m in welcome for b in m.buttons), \
        "the welcome offers 'Clear this chat'"
    await user.ask("/note he sent me flowers again at work", until=containing("Saved to your log"))
    asked = await user.ask("/export", until=lambda ms: any(m.buttons for m in ms))
    confirm = next(m for m in asked for b in m.buttons if b.get("callback_data") == "diary:export_yes")
    return await user.choose(confirm, "Yes, send the files", until=with_document(".csv"))


async def test_clear_this_chat_leaves_none_of_the_chat_in_the_emulator(
    diary_bot: RunningBot, diary_core: DiaryCore, new_user: UserFactory, bot_api: BotApiProxy
) -> None:
    user = new_user(diary_bot)
    sent = await a_conversation_with_an_export(user)
    names = [m.document["file_name"] for m in sent if m.document]
    assert all(n.startswith("notes-") for n in names) and len(names) == 2, names  # neutral names
    before = await user.stored_messages()
    assert {m["from_bot"] for m in before} == {True, False}, "both sides are in the emulator"
    assert len(before) >= 8
    assert await trail_rows(diary_core, user, diary_bot) == len(before), "every message of the chat is noted"

    # The export's last file offers it, once the files are saved elsewhere.
    csv = next(m for m in sent if (m.document or {}).get("file_name", "").endswith(".csv"))
    assert "saved these files somewhere safe" in csv.text and CLEAR in csv.titles[0]
    replies = await user.choose(csv, CLEAR, until=containing(STEPS))
    steps = the(replies, STEPS)
    for step in ("Delete chat", "Auto-delete", "Downloads", "Message preview"):
        assert step in steps.text
    held = await held_settled(user, lambda h: len(h) <= 1)
    # Nothing of the conversation is left: only the steps, which say nothing about why.
    assert [(m["message_id"], m["from_bot"]) for m in held] == [(steps.message_id, True)]
    deleted = {m for t, c, m in bot_api.deleted if t == user.token and c == user.chat_id}
    assert {m["message_id"] for m in before} <= deleted
    assert await trail_settled(diary_core, user, diary_bot, 1) == 1  # the steps, removed by "Done"

    # "Done" removes the steps too: the emulator holds nothing of the chat.
    await user.press(steps, "Done")
    held = await held_settled(user, lambda h: not h)
    assert held == []
    # the trail's row goes once the emulator has deleted the message: it may lag that by a moment
    assert await trail_settled(diary_core, user, diary_bot, 0) == 0


async def test_a_typed_clear_deletes_itself_too(
    diary_bot: RunningBot, diary_core: DiaryCore, new_user: UserFactory
) -> None:
    user = new_user(diary_bot)
    await user.ask("/note he sent flowers to my work", until=containing("Saved to your log"))
    await user.ask("what is stalking?")
    replies = await user.ask("/clear", until=containing(STEPS))
    steps = the(replies, STEPS)
    held = await held_settled(user, lambda h: len(h) <= 1)
    assert [m["message_id"] for m in held] == [steps.message_id]  # "/clear" itself is gone too


async def test_delete_everything_and_clear_this_chat(
    diary_bot: RunningBot, diary_core: DiaryCore, new_user: UserFactory
) -> None:
    user = new_user(diary_bot)
    await user.ask("/note he left a letter on my car", until=containing("Saved to your log"))
    confirm = the(await user.ask("/forget", until=lambda ms: any(m.buttons for m in ms)),
                  "Delete everything?")
    assert await trail_rows(diary_core, user, diary_bot) >= 4
    replies = await user.choose(confirm, "Delete everything and clear this chat",
                                until=containing(STEPS))
    done = the(replies, STEPS)
    assert done.text.startswith("Everything I kept is deleted.")
    held = await held_settled(user, lambda h: len(h) <= 1)
    assert [m["message_id"] for m in held] == [done.message_id]  # nothing of the conversation
    assert diary_core.core.desk.store.list_notes(str(user.chat_id))[1] == 0
    # The trail went with everything else; only the message just sent is noted since.
    assert await trail_rows(diary_core, user, diary_bot) == 1


async def test_forget_deletes_the_trail(
    diary_bot: RunningBot, diary_core: DiaryCore, new_user: UserFactory
) -> None:
    user = new_user(diary_bot)
    await user.ask("/note he called my work five times", until=containing("Saved to your log"))
    confirm = the(await user.ask("/forget", until=lambda ms: any(m.buttons for m in ms)),
                  "Delete everything?")
    assert await trail_rows(diary_core, user, diary_bot) >= 4
    await user.choose(confirm, "Yes, delete everything", until=containing("Deleted everything"))
    assert await trail_rows(diary_core, user, diary_bot) == 1  # only the reply sent after the forget
