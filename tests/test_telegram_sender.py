"""The sender on its own, against a recording fake Bot (no network): what reaches the chat.

Long text split at Telegram's 4096 limit, files from memory, keyboards under the
last part, flood waits and dropped connections retried, "typing…" only for a
slow reply, a used keyboard closed with the choice under its question.
"""
from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from telegram import CallbackQuery, Update
from telegram.error import BadRequest, NetworkError, RetryAfter

from bot.replies import Button, Document, Reply
from bot.telegram.copy import TelegramCopy
from bot.telegram.render import MAX_MESSAGE
from bot.telegram.sender import Sender

COPY = TelegramCopy.load()
CHAT = 42


class FakeBot:
    """Records every Bot API call and when it came; ``fail[method]`` holds errors to raise, one per call."""

    defaults = None

    def __init__(self) -> None:
        self.calls: list[tuple[str, float, tuple, dict[str, Any]]] = []
        self.fail: dict[str, list[Exception]] = {}
        self.next_id = 100

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, time.monotonic(), args, kwargs))
            errors = self.fail.get(name)
            if errors:
                raise errors.pop(0)
            if name in ("send_message", "send_document"):
                self.next_id += 1
                return SimpleNamespace(message_id=self.next_id)
            return True

        return call

    def names(self) -> list[str]:
        return [name for name, *_ in self.calls]

    def sent(self) -> list[tuple[str, Any]]:
        """What the chat shows, in order: ("text", words) or ("file", (name, bytes, caption))."""
        shown: list[tuple[str, Any]] = []
        for name, _, args, kwargs in self.calls:
            if name == "send_message":
                shown.append(("text", args[1]))
            elif name == "send_document":
                shown.append(("file", (kwargs["filename"], args[1], kwargs["caption"])))
        return shown

    def keyboards(self) -> list[Any]:
        """The keyboard under each sent message (None: none), as callback data rows."""
        boards = []
        for name, _, _, kwargs in self.calls:
            if name in ("send_message", "send_document"):
                markup = kwargs.get("reply_markup")
                boards.append(None if markup is None else
                              [[b.callback_data for b in row] for row in markup.inline_keyboard])
        return boards


@pytest.fixture
def bot() -> FakeBot:
    return FakeBot()


@pytest.fixture
def sender() -> Sender:
    return Sender(COPY, retry_delay=0.0)


# -- long text -----------------------------------------------------------------------


async def test_a_long_reply_is_split_at_a_paragraph_under_4096(sender: Sender, bot: FakeBot) -> None:
    first = "Keep a record of every incident. " * 90  # about 2970 characters
    second = "Call 999 in an emergency. " * 80  # about 2080: the two together are too long
    reply = Reply(f"{first.strip()}\n\n{second.strip()}", [Button("Yes", "/affirm")])
    sent = await sender.send_replies(bot, CHAT, [reply])
    assert bot.sent() == [("text", first.strip()), ("text", second.strip())]
    assert all(len(text) <= MAX_MESSAGE for _, text in bot.sent())
    assert bot.keyboards() == [None, [["/affirm"]]]  # the keyboard under the last part only
    assert sent == [101, 102]


async def test_without_a_paragraph_the_split_is_at_a_line(sender: Sender, bot: FakeBot) -> None:
    lines = [f"{n}. Write down the date, the time and what happened." for n in range(1, 101)]
    await sender.send_reply(bot, CHAT, Reply("\n".join(lines)))
    parts = [text for _, text in bot.sent()]
    assert len(parts) == 2 and all(len(part) <= MAX_MESSAGE for part in parts)
    assert "\n".join(parts) == "\n".join(lines)  # nothing lost, no line cut in two
    next_line = parts[1].split("\n")[0]
    assert len(f"{parts[0]}\n{next_line}") > MAX_MESSAGE  # as many whole lines as fit


async def test_text_is_escaped_and_a_refused_markup_is_sent_plain(sender: Sender, bot: FakeBot) -> None:
    await sender.send_reply(bot, CHAT, Reply("a <b> & c"))
    assert bot.sent() == [("text", "a &lt;b&gt; &amp; c")]
    bot.fail["send_message"] = [BadRequest("Can't parse entities: unsupported start tag")]
    await sender.send_reply(bot, CHAT, Reply("x < y"))
    assert bot.sent()[1:] == [("text", "x &lt; y"), ("text", "x < y")]


async def test_buttons_without_words_get_the_prompt(sender: Sender, bot: FakeBot) -> None:
    await sender.send_reply(bot, CHAT, Reply("", [Button("Yes", "/affirm")]))
    assert bot.sent() == [("text", COPY.buttons_prompt)]
    assert bot.keyboards() == [[["/affirm"]]]


# -- files ---------------------------------------------------------------------------


async def test_a_short_text_is_the_caption_of_its_file(sender: Sender, bot: FakeBot) -> None:
    reply = Reply("Your notes", [Button("Clear this chat", "/clear_chat")],
                  document=Document(b"date,what\n", "notes.csv"))
    await sender.send_reply(bot, CHAT, reply)
    assert bot.sent() == [("file", ("notes.csv", b"date,what\n", "Your notes"))]  # one message
    assert bot.keyboards() == [[["/clear_chat"]]]


async def test_a_caption_over_1024_follows_the_file_as_text(sender: Sender, bot: FakeBot) -> None:
    caption = "Keep this file somewhere safe. " * 40  # 1240 characters
    await sender.send_reply(bot, CHAT, Reply("", document=Document(b"%PDF", "plan.pdf", caption)))
    assert bot.sent() == [("file", ("plan.pdf", b"%PDF", None)), ("text", caption.strip())]


# -- retries -------------------------------------------------------------------------


async def test_a_flood_wait_is_retried_once_after_the_wait(sender: Sender, bot: FakeBot) -> None:
    bot.fail["send_message"] = [RetryAfter(timedelta(seconds=0.2))]
    await sender.send_reply(bot, CHAT, Reply("Call 999 in an emergency."))
    assert bot.sent() == [("text", "Call 999 in an emergency.")] * 2  # refused, then sent
    (_, refused, *_), (_, sent, *_) = bot.calls
    # not before Telegram said it may (less a millisecond: the event loop may wake a sleep that
    # early; it failed once under load at 0.19991 s)
    assert sent - refused >= 0.199


async def test_a_flood_wait_on_every_attempt_gives_up(bot: FakeBot) -> None:
    sender = Sender(COPY, attempts=2)
    bot.fail["send_message"] = [RetryAfter(timedelta(seconds=0.01))] * 2
    with pytest.raises(RetryAfter):
        await sender.send_reply(bot, CHAT, Reply("Answer"))
    assert len(bot.calls) == 2


async def test_network_errors_back_off_and_then_give_up(bot: FakeBot) -> None:
    sender = Sender(COPY, attempts=3, retry_delay=0.05)
    bot.fail["send_message"] = [NetworkError("reset")] * 3
    with pytest.raises(NetworkError):
        await sender.send_reply(bot, CHAT, Reply("Answer"))
    times = [at for _, at, *_ in bot.calls]
    assert len(times) == 3
    # the wait doubles (less a millisecond: the event loop's clock may wake a sleep that early)
    assert times[1] - times[0] >= 0.049 and times[2] - times[1] >= 0.099


async def test_a_refused_file_is_not_sent_twice(sender: Sender, bot: FakeBot) -> None:
    bot.fail["send_document"] = [BadRequest("File must be non-empty")]
    with pytest.raises(BadRequest):
        await sender.send_reply(bot, CHAT, Reply("", document=Document(b"", "notes.csv")))
    assert bot.names() == ["send_document"]


# -- "typing…" -----------------------------------------------------------------------


async def test_no_typing_for_a_fast_reply(bot: FakeBot) -> None:
    sender = Sender(COPY, typing_delay=0.1)
    async with sender.typing(bot, CHAT):
        await asyncio.sleep(0.01)
    await sender.send_reply(bot, CHAT, Reply("Answer"))
    await asyncio.sleep(0.15)  # past the delay: nothing arrives late either
    assert bot.names() == ["send_message"]


async def test_typing_for_a_slow_reply_comes_before_it_and_repeats(bot: FakeBot) -> None:
    sender = Sender(COPY, typing_delay=0.05, typing_interval=0.1)
    async with sender.typing(bot, CHAT):
        await asyncio.sleep(0.22)
    await sender.send_reply(bot, CHAT, Reply("Answer"))
    await asyncio.sleep(0.15)  # stopped with the reply: no "typing…" after it
    assert bot.names() == ["send_chat_action", "send_chat_action", "send_message"]
    assert bot.calls[0][2] == (CHAT, "typing")


# -- a used keyboard ----------------------------------------------------------------------


def pressed(bot: FakeBot, text: str, data: str = "/deny") -> CallbackQuery:
    question = {"message_id": 10, "date": 1_700_000_000, "text": text,
                "chat": {"id": CHAT, "type": "private"},
                "from": {"id": 666, "is_bot": True, "first_name": "Bot"},
                "reply_markup": {"inline_keyboard": [[{"text": "Yes", "callback_data": "/affirm"},
                                                      {"text": "No", "callback_data": "/deny"}]]}}
    query = Update.de_json({"update_id": 1, "callback_query": {
        "id": "q1", "chat_instance": "ci", "data": data, "message": question,
        "from": {"id": CHAT, "is_bot": False, "first_name": "Sam"}}}, bot).callback_query  # type: ignore[arg-type]
    assert query is not None
    return query


async def test_a_used_keyboard_is_closed_with_the_choice_under_it(sender: Sender, bot: FakeBot) -> None:
    assert await sender.close_keyboard(pressed(bot, "Is the person <Fixated>?"))
    [(name, _, _, edit)] = bot.calls
    assert name == "edit_message_text"
    assert edit["text"] == "Is the person &lt;Fixated&gt;?\n\n✓ No"
    assert edit["reply_markup"].inline_keyboard == ()


async def test_a_question_too_long_for_the_choice_only_loses_its_keyboard(
    sender: Sender, bot: FakeBot
) -> None:
    assert await sender.close_keyboard(pressed(bot, "x" * (MAX_MESSAGE - 3)))
    assert bot.names() == ["edit_message_reply_markup"]


async def test_a_second_press_of_a_closed_keyboard_is_told_apart(sender: Sender, bot: FakeBot) -> None:
    bot.fail["edit_message_text"] = [BadRequest("Message is not modified")]
    assert not await sender.close_keyboard(pressed(bot, "Is the person Fixated?"))
    assert not await sender.close_keyboard(pressed(bot, "Is the person Fixated?", data="/other"))
