"""The Telegram adapter's handlers, against a recording fake Bot (no network).

What the emulator cannot show (edited messages, being added to a group, a
double-tapped button, network failures) is pinned here.
"""
from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Optional

import pytest
from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, TimedOut

from bot.replies import Button, Document, Reply
from bot.telegram.adapter import TelegramAdapter
from bot.telegram.attachments import attachment_sink_for
from bot.telegram.copy import TelegramCopy
from bot.telegram.media import Attachment
from bot.telegram.processor import PerUserOrderedProcessor
from bot.telegram.service import set_command_menu

COPY = TelegramCopy.load()
# What the user reads, written out (not read back from data/telegram.yml, which the bot reads).
STALE = "That question has already been answered."
GROUP_REFUSAL = "Hello. I only work in a private chat, one to one."
USER = {"id": 42, "is_bot": False, "first_name": "Sam"}
PRIVATE = {"id": 42, "type": "private", "first_name": "Sam"}
GROUP = {"id": -100500, "type": "group", "title": "Friends"}
BOT_USER = {"id": 666, "is_bot": True, "first_name": "Bot", "username": "the_bot"}


class FakeBot:
    """Records every Bot API call; ``fail[method]`` holds errors to raise, one per call."""

    defaults = None

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail: dict[str, list[Exception]] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            if name == "send_document":  # sent from memory: the bytes themselves, never a file
                assert isinstance(args[1], bytes), type(args[1])
                kwargs["content"] = args[1]
            self.calls.append((name, {"args": args, **kwargs}))
            errors = self.fail.get(name)
            if errors:
                raise errors.pop(0)
            if name == "get_file":
                async def download_as_bytearray(**_timeouts: Any) -> bytearray:
                    return bytearray(b"image bytes")
                return SimpleNamespace(download_as_bytearray=download_as_bytearray)
            return True

        return call

    def called(self, name: str) -> list[dict[str, Any]]:
        return [kwargs for method, kwargs in self.calls if method == name]

    def texts(self) -> list[str]:
        return [c["args"][1] for c in self.called("send_message")]


class FakeCore:
    def __init__(self, replies: Optional[list[Reply]] = None) -> None:
        self.received: list[tuple[str, str]] = []
        self.replies = replies or [Reply("Answer")]

    async def handle(self, user_id: str, text: str) -> list[Reply]:
        self.received.append((user_id, text))
        return list(self.replies)

    def error_reply(self) -> Reply:
        return Reply("Sorry. Call 999 in an emergency.")

    def help_line(self) -> str:
        return "Call 999 in an emergency."

    def signal_danger(self, text: str) -> Optional[str]:
        return "danger" if "outside now" in text else None


def ctx(bot: FakeBot, error: Optional[BaseException] = None) -> Any:
    return SimpleNamespace(bot=bot, error=error)


def update(bot: FakeBot, **fields: Any) -> Update:
    return Update.de_json({"update_id": 1, **fields}, bot)  # type: ignore[arg-type]


def message(text: Optional[str] = "hello", chat: Optional[dict] = None, **extra: Any) -> dict:
    data = {"message_id": 10, "date": 1_700_000_000, "chat": chat or PRIVATE, "from": USER,
            **extra}
    if text is not None:
        data["text"] = text
    return data


def question_message(keyboard: bool = True) -> dict:
    data = message("Is the person Fixated?", **{"from": BOT_USER})
    if keyboard:
        data["reply_markup"] = {"inline_keyboard": [[
            {"text": "Yes", "callback_data": "/affirm"},
            {"text": "No", "callback_data": "/deny"},
        ]]}
    return data


def callback(data: str = "/affirm", keyboard: bool = True) -> dict:
    return {"id": "q1", "from": USER, "chat_instance": "ci", "data": data,
            "message": question_message(keyboard)}


@pytest.fixture
def bot() -> FakeBot:
    return FakeBot()


@pytest.fixture
def core() -> FakeCore:
    return FakeCore()


@pytest.fixture
def adapter(core: FakeCore) -> TelegramAdapter:
    return TelegramAdapter(core, COPY, retry_delay=0.0)


async def test_text_goes_to_the_core_and_replies_come_back_escaped(
    adapter: TelegramAdapter, core: FakeCore, bot: FakeBot
) -> None:
    # Two questions with their own buttons: two messages, each keyboard under its words.
    core.replies = [Reply("a <b> & c", [Button("Yes", "/affirm")]), Reply("second", [Button("No", "/deny")])]
    await adapter.on_text(update(bot, message=message("<i>hi</i>")), ctx(bot))
    assert core.received == [("42", "<i>hi</i>")]
    sends = bot.called("send_message")
    assert [s["args"] for s in sends] == [(42, "a &lt;b&gt; &amp; c"), (42, "second")]
    assert sends[0]["parse_mode"] == "HTML"
    assert sends[0]["reply_markup"].inline_keyboard[0][0].callback_data == "/affirm"
    assert sends[1]["reply_markup"].inline_keyboard[0][0].callback_data == "/deny"
    assert bot.called("send_chat_action") == []  # a quick reply: no "typing…" call


async def test_typing_shows_only_when_the_reply_is_slow(core: FakeCore, bot: FakeBot) -> None:
    adapter = TelegramAdapter(core, COPY, retry_delay=0.0, typing_delay=0.05)

    async def slow(user_id: str, text: str) -> list[Reply]:
        await asyncio.sleep(0.2)
        return [Reply("Answer")]

    core.handle = slow  # type: ignore[method-assign]
    await adapter.on_text(update(bot, message=message()), ctx(bot))
    assert bot.called("send_chat_action")[0]["args"] == (42, "typing")
    assert [name for name, _ in bot.calls] == ["send_chat_action", "send_message"]


async def test_a_turn_of_several_texts_is_one_message(
    adapter: TelegramAdapter, core: FakeCore, bot: FakeBot
) -> None:
    core.replies = [Reply("First."), Reply("Second, with a choice:", [Button("Yes", "/affirm")])]
    await adapter.on_text(update(bot, message=message()), ctx(bot))
    assert [name for name, _ in bot.calls] == ["send_message"]  # one call for the whole turn
    [sent] = bot.called("send_message")
    assert sent["args"][1] == "First.\n\nSecond, with a choice:"
    assert sent["reply_markup"].inline_keyboard[0][0].callback_data == "/affirm"


async def test_a_refused_typing_action_does_not_stop_the_answer(
    adapter: TelegramAdapter, bot: FakeBot
) -> None:
    bot.fail["send_chat_action"] = [NetworkError("API method not supported")]
    await adapter.on_text(update(bot, message=message()), ctx(bot))
    assert bot.texts() == ["Answer"]


async def test_network_errors_are_retried(adapter: TelegramAdapter, bot: FakeBot) -> None:
    bot.fail["send_message"] = [NetworkError("reset"), TimedOut()]
    await adapter.on_text(update(bot, message=message()), ctx(bot))
    assert bot.texts() == ["Answer"] * 3  # two failed attempts, then the one that went


async def test_a_refusal_is_not_retried(adapter: TelegramAdapter, bot: FakeBot) -> None:
    bot.fail["send_message"] = [BadRequest("chat not found")]
    with pytest.raises(BadRequest):
        await adapter.on_text(update(bot, message=message()), ctx(bot))
    assert len(bot.called("send_message")) == 1


async def test_a_pressed_button_is_answered_closed_and_routed(
    adapter: TelegramAdapter, core: FakeCore, bot: FakeBot
) -> None:
    await adapter.on_callback(update(bot, callback_query=callback("/deny")), ctx(bot))
    assert core.received == [("42", "/deny")]
    assert bot.called("answer_callback_query")[0]["callback_query_id"] == "q1"
    edit = bot.called("edit_message_text")[0]
    assert edit["text"] == "Is the person Fixated?\n\n✓ No"
    assert edit["reply_markup"].inline_keyboard == ()
    assert (edit["chat_id"], edit["message_id"]) == (42, 10)


async def test_an_already_used_keyboard_is_not_routed_again(
    adapter: TelegramAdapter, core: FakeCore, bot: FakeBot
) -> None:
    await adapter.on_callback(update(bot, callback_query=callback(keyboard=False)), ctx(bot))
    assert core.received == []
    assert bot.called("answer_callback_query")[0]["text"] == STALE
    assert bot.texts() == []


async def test_a_double_tap_is_routed_once(
    adapter: TelegramAdapter, core: FakeCore, bot: FakeBot
) -> None:
    # The first tap: routed, answered, its keyboard closed with the choice under the question.
    await adapter.on_callback(update(bot, callback_query=callback("/deny")), ctx(bot))
    assert core.received == [("42", "/deny")]
    assert bot.texts() == ["Answer"]
    assert bot.called("edit_message_text")[0]["text"] == "Is the person Fixated?\n\n✓ No"
    # The second tap of the same button, sent before the client saw the edit: Telegram
    # refuses an edit that changes nothing, as the first tap already closed the keyboard.
    bot.fail["edit_message_text"] = [BadRequest("Message is not modified")]
    await adapter.on_callback(update(bot, callback_query=callback("/deny")), ctx(bot))
    assert core.received == [("42", "/deny")]  # not routed again
    assert bot.texts() == ["Answer"]  # and no second answer
    assert [a.get("text") for a in bot.called("answer_callback_query")] == [None, STALE]


async def test_a_message_that_cannot_be_edited_still_routes_the_choice(
    adapter: TelegramAdapter, core: FakeCore, bot: FakeBot
) -> None:
    bot.fail["edit_message_text"] = [BadRequest("Message can't be edited")]
    await adapter.on_callback(update(bot, callback_query=callback()), ctx(bot))
    assert core.received == [("42", "/affirm")]
    assert bot.called("edit_message_reply_markup")


async def test_a_button_in_a_group_is_ignored(
    adapter: TelegramAdapter, core: FakeCore, bot: FakeBot
) -> None:
    query = callback()
    query["message"]["chat"] = GROUP
    await adapter.on_callback(update(bot, callback_query=query), ctx(bot))
    assert core.received == [] and bot.called("answer_callback_query")


async def test_an_edit_is_not_read_unless_it_signals_danger(
    adapter: TelegramAdapter, core: FakeCore, bot: FakeBot
) -> None:
    await adapter.on_edited(update(bot, edited_message=message("typo fixed")), ctx(bot))
    assert core.received == [] and len(bot.texts()) == 1
    assert bot.texts()[0].startswith("I only read messages when they are first sent")
    await adapter.on_edited(update(bot, edited_message=message("he is outside now")), ctx(bot))
    assert core.received == [("42", "he is outside now")]


async def test_added_to_a_group_says_so_once_and_leaves(
    adapter: TelegramAdapter, bot: FakeBot
) -> None:
    change = {"chat": GROUP, "from": USER, "date": 1_700_000_000,
              "old_chat_member": {"status": "left", "user": BOT_USER},
              "new_chat_member": {"status": "member", "user": BOT_USER}}
    await adapter.on_my_chat_member(update(bot, my_chat_member=change), ctx(bot))
    [refusal] = bot.texts()
    assert refusal.startswith(GROUP_REFUSAL) and "In an emergency call 999." in refusal
    assert bot.called("leave_chat")[0]["args"] == (-100500,)
    # Leaving produces a "left" update: nothing more is said.
    change["old_chat_member"], change["new_chat_member"] = (
        change["new_chat_member"], {"status": "left", "user": BOT_USER})
    await adapter.on_my_chat_member(update(bot, my_chat_member=change), ctx(bot))
    assert bot.texts() == [refusal]


async def test_a_group_is_told_once_even_if_leaving_fails(
    adapter: TelegramAdapter, core: FakeCore, bot: FakeBot
) -> None:
    bot.fail["leave_chat"] = [Forbidden("no"), Forbidden("no")]
    for _ in range(3):
        await adapter.on_shared_chat(update(bot, message=message("hi", GROUP)), ctx(bot))
    assert len(bot.texts()) == 1 and bot.texts()[0].startswith(GROUP_REFUSAL)
    assert core.received == []


async def test_errors_are_logged_by_type_and_the_user_gets_the_error_reply(
    adapter: TelegramAdapter, bot: FakeBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    failed = update(bot, message=message("my secret words"))
    await adapter.on_error(failed, ctx(bot, RuntimeError("while reading my secret words")))
    assert bot.texts() == ["Sorry. Call 999 in an emergency."]
    assert "RuntimeError" in caplog.text and "secret" not in caplog.text


async def test_no_error_reply_to_someone_who_blocked_the_bot(
    adapter: TelegramAdapter, bot: FakeBot
) -> None:
    await adapter.on_error(update(bot, message=message()), ctx(bot, Forbidden("blocked")))
    assert bot.texts() == []


async def test_photos_go_to_the_attachment_hook(core: FakeCore, bot: FakeBot) -> None:
    kept: list[tuple[str, Attachment]] = []

    async def sink(_bot: Any, user_id: str, attachment: Attachment) -> list[Reply]:
        kept.append((user_id, attachment))
        return [Reply("Saved to your log.")]

    adapter = TelegramAdapter(core, COPY, attachment_sink=sink)
    photo = message(None, photo=[
        {"file_id": "small", "file_unique_id": "s", "width": 90, "height": 90},
        {"file_id": "big", "file_unique_id": "b", "width": 900, "height": 900}],
        caption="he is outside now")
    await adapter.on_attachment_message(update(bot, message=photo), ctx(bot))
    assert [(u, a.kind, a.file_id) for u, a in kept] == [("42", "photo", "big")]
    # the caption signalled danger, so the core answered first
    assert core.received == [("42", "he is outside now")]
    assert bot.texts() == ["Answer", "Saved to your log."]  # the alert is never joined to more


async def test_without_a_hook_attachments_get_the_copy(
    adapter: TelegramAdapter, core: FakeCore, bot: FakeBot
) -> None:
    doc = message(None, document={"file_id": "d", "file_unique_id": "du", "file_name": "a.pdf"})
    await adapter.on_attachment_message(update(bot, message=doc), ctx(bot))
    assert core.received == [] and len(bot.texts()) == 1
    assert "I haven't kept this one: please keep the original safe" in bot.texts()[0]


class DiaryCore(FakeCore):
    desk = object()

    def __init__(self) -> None:
        super().__init__()
        self.attachments: list[tuple] = []

    async def handle_attachment(self, *args: Any, caption: Optional[str] = None) -> list[Reply]:
        self.attachments.append((*args, caption))
        return [Reply("Kept with your log.")]


async def test_with_an_incident_log_attachments_are_downloaded_and_kept(bot: FakeBot) -> None:
    assert attachment_sink_for(FakeCore(), COPY) is None  # no diary: nothing is kept
    core = DiaryCore()
    adapter = TelegramAdapter(core, COPY, attachment_sink=attachment_sink_for(core, COPY))
    # the words sent with it (the caption) go with the file, to be kept with the note
    doc = message(None, document={"file_id": "d", "file_unique_id": "du",
                                  "mime_type": "application/pdf", "file_size": 11},
                  caption="his letter, left on my car")
    await adapter.on_attachment_message(update(bot, message=doc), ctx(bot))
    assert core.attachments == [("42", "document", "d", "file", "application/pdf",
                                 b"image bytes", "his letter, left on my car")]
    assert bot.texts() == ["Kept with your log."]
    big = message(None, video={"file_id": "v", "file_unique_id": "vu", "width": 1,
                               "height": 1, "duration": 1, "file_size": 50 * 1024 * 1024})
    await adapter.on_attachment_message(update(bot, message=big), ctx(bot))
    assert bot.texts()[-1].startswith("This file is too big for me to keep (the limit is 20 MB).")
    assert len(core.attachments) == 1


async def test_service_messages_get_no_answer(adapter: TelegramAdapter, bot: FakeBot) -> None:
    pinned = message(None, pinned_message=message("old"))
    await adapter.on_other_message(update(bot, message=pinned), ctx(bot))
    assert bot.calls == []


async def test_a_document_reply_is_sent_as_a_file(
    adapter: TelegramAdapter, bot: FakeBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An export's bytes go to Telegram from memory, under the reply's file name; no file is written."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    await adapter.send_reply(bot, 42, Reply("Here it is", document=Document(
        b"my log", "notes-2026-11-28.csv", "Your log <v1>")))
    sent = bot.called("send_document")[0]
    assert sent["content"] == b"my log" and sent["filename"] == "notes-2026-11-28.csv"
    assert sent["caption"] == "Your log &lt;v1&gt;"
    assert bot.texts() == ["Here it is"]
    assert list(tmp_path.iterdir()) == []


def test_a_document_never_shows_its_bytes() -> None:
    """A reply in a log line or a JSON dump names the file and its size, never what it holds."""
    reply = Reply("Here it is", document=Document(b"he followed me", "notes.csv"))
    assert "followed" not in repr(reply)
    assert reply.to_dict()["document"] == {"filename": "notes.csv", "caption": "", "size": 14}


async def test_command_menu_comes_from_commands_yml(bot: FakeBot) -> None:
    assert await set_command_menu(bot)  # type: ignore[arg-type]
    commands = bot.called("set_my_commands")[0]["args"][0]
    menu = {c.command: c.description for c in commands}
    assert menu["start"] == "Start again from the beginning"
    assert menu["check"] == "Check what is happening against the FOUR warning signs"
    assert menu["help"] == "Who to contact (emergency, police, helplines)"
    assert menu["forget"] == "Delete everything I keep about you"
    assert list(menu)[:2] == ["start", "check"] and len(menu) == len(commands)


async def test_a_refused_command_menu_is_logged_and_skipped(
    bot: FakeBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot.fail["set_my_commands"] = [NetworkError("API method 'setMyCommands' is not supported")]
    assert not await set_command_menu(bot)  # type: ignore[arg-type]
    assert "command menu not set: NetworkError" in caplog.text


async def test_each_user_is_served_in_order_and_users_in_parallel(bot: FakeBot) -> None:
    processor = PerUserOrderedProcessor(8)
    events: list[str] = []

    async def work(name: str, delay: float) -> None:
        events.append(f"start {name}")
        await asyncio.sleep(delay)
        events.append(f"end {name}")

    def upd(user_id: int) -> Update:
        return update(bot, message=message(chat={"id": user_id, "type": "private"},
                                           **{"from": {**USER, "id": user_id}}))

    await asyncio.gather(
        processor.process_update(upd(1), work("a1", 0.05)),
        processor.process_update(upd(1), work("a2", 0.0)),
        processor.process_update(upd(2), work("b1", 0.0)),
    )
    assert events.index("end a1") < events.index("start a2")
    assert events.index("end b1") < events.index("end a1")
    assert processor._locks == {}
