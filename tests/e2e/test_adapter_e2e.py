"""What the Telegram adapter itself does, end to end through the emulator.

The bot here stands in front of :class:`FakeCore` (no Rasa model needed), in
long-polling and in webhook mode; for "danger first", in front of the real core
(the real safety guard) with a stand-in dialogue engine.  The conversation with
the real model is in ``test_conversation_e2e.py``.

Expected words are written out here as the user reads them, not read back from
the copy files the bot itself reads.
"""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any, Optional

import aiohttp
import pytest
import pytest_asyncio

from bot.core import Core
from bot.guard import SafetyGuard
from guidance.facts import Facts

from .conftest import MODES, RunningBot, UserFactory, start_bot
from .fakes import LONG_PAYLOAD
from .harness import SECRET_HEADER, BotApiProxy, last_with_buttons, with_buttons

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

#: Telegram's command menu as the user sees it: command and description.
MENU = [
    ("start", "Start again from the beginning"),
    ("check", "Check what is happening against the FOUR warning signs"),
    ("safety", "Safety advice"),
    ("plan", "Your personal safety plan"),
    ("risk", "Risk self-check (not a police risk assessment)"),
    ("help", "Who to contact (emergency, police, helplines)"),
    ("questions", "Questions people ask about stalking"),
    ("cancel", "Stop what we are doing"),
    ("note", "Record what happened (or /note followed by the text to save it now)"),
    ("notes", "Your incident log"),
    ("export", "Export your log as a PDF and CSV for the police"),
    ("forget", "Delete everything I keep about you"),
    ("clear", "Clear this chat (delete our recent messages from this phone)"),
]
GROUP_REFUSAL = ("Hello. I only work in a private chat, one to one. I don't read or keep anything "
                 "written in this group, and I'm leaving it now.")


async def test_start_gets_welcome_with_inline_keyboard(
    fake_bot: RunningBot, new_user: UserFactory, bot_api: BotApiProxy
) -> None:
    user = new_user(fake_bot)
    replies = await user.ask("/start")
    assert len(replies) == 1
    welcome = replies[0]
    assert welcome.text == "Hello. I can help you recognise stalking."
    assert welcome.parse_mode == "HTML"
    check = welcome.button("Check the FOUR signs")
    assert check["callback_data"] == "/check"
    link = welcome.button("Police Live Chat")
    assert link["url"] == "https://example.org/live-chat" and "callback_data" not in link
    assert (str(user.user["id"]), "/start") in fake_bot.core.received
    # A quick reply costs one call: no "typing…" before it.
    chat = str(user.chat_id)
    assert not [c for c in bot_api.calls_to("sendChatAction", fake_bot.token)
                if str(c.params.get("chat_id")) == chat]


async def test_typing_shows_for_a_slow_reply_only(
    fake_bot: RunningBot, new_user: UserFactory, bot_api: BotApiProxy
) -> None:
    user = new_user(fake_bot)
    replies = await user.ask("/slow")
    assert [m.text for m in replies] == ["That took a while."]
    # "typing…" was asked for (the emulator refuses the method; the bot carried on).
    typing = [c for c in bot_api.calls_to("sendChatAction", fake_bot.token)
              if str(c.params.get("chat_id")) == str(user.chat_id)]
    assert [c.params.get("action") for c in typing] == ["typing"]


async def test_command_menu_is_offered_at_start_up(
    fake_bot: RunningBot, bot_api: BotApiProxy
) -> None:
    calls = bot_api.calls_to("setMyCommands", fake_bot.token)
    assert calls, "the bot did not try to set its command menu"
    sent = calls[0].json_param("commands")
    assert [(c["command"], c["description"]) for c in sent] == MENU


async def test_buttons_walk_through_the_check_and_close_behind_them(
    fake_bot: RunningBot, new_user: UserFactory, bot_api: BotApiProxy
) -> None:
    user = new_user(fake_bot)
    question = last_with_buttons(await user.ask("/check", until=with_buttons))
    for sign in ["Obsessive", "Unwanted", "Repeated"]:
        replies = await user.choose(question, "Yes", until=with_buttons)
        used = await user.current(question)
        assert used.buttons == [], "a used keyboard must be removed"
        assert used.text.endswith("✓ Yes")
        question = last_with_buttons(replies)
        assert sign in question.text
        assert [(b["text"], b["callback_data"]) for b in question.buttons] == [
            ("Yes", "/affirm"), ("No", "/deny"), ("Not sure", "/unsure")]
    behaviours = last_with_buttons(await user.choose(question, "Not sure", until=with_buttons))
    assert (await user.current(question)).text.endswith("✓ Not sure")
    assert "None of these" in behaviours.titles
    summary = await user.choose(behaviours, "None of these")
    # The turn's two texts arrive as one message: one Bot API call (issue 15).
    assert len(summary) == 1
    assert "3 of the 4 warning signs" in summary[0].text and "101" in summary[0].text
    mine = [text for uid, text in fake_bot.core.received if uid == str(user.user["id"])]
    assert mine == ["/check", "/affirm", "/affirm", "/affirm", "/unsure", "/behaviour_none"]
    answered = bot_api.calls_to("answerCallbackQuery", fake_bot.token)
    assert len(answered) >= 5


async def test_text_is_escaped_for_html(fake_bot: RunningBot, new_user: UserFactory) -> None:
    user = new_user(fake_bot)
    said = "<b>not bold</b> & <a href='x'>not a link</a>"
    replies = await user.ask(said)
    assert replies[0].text == f"You said: {said}"
    assert "&lt;b&gt;" in replies[0].raw_text and "<b>" not in replies[0].raw_text


async def test_long_reply_is_split_at_paragraphs(
    fake_bot: RunningBot, new_user: UserFactory
) -> None:
    user = new_user(fake_bot)
    replies = await user.ask("/long", until=with_buttons)
    assert len(replies) >= 2
    assert all(len(m.text) <= 4096 for m in replies)
    assert all(m.text.startswith("Paragraph") for m in replies)
    assert [bool(m.buttons) for m in replies] == [False] * (len(replies) - 1) + [True]


async def test_payload_too_long_for_telegram_sends_the_title(
    fake_bot: RunningBot, new_user: UserFactory
) -> None:
    user = new_user(fake_bot)
    pick = last_with_buttons(await user.ask("/long_button"))
    assert pick.button("Something else")["callback_data"] == "Something else"
    replies = await user.choose(pick, "Something else")
    assert replies[0].text == "You said: Something else"
    assert (str(user.user["id"]), LONG_PAYLOAD) not in fake_bot.core.received


async def test_buttons_without_text_get_a_prompt(
    fake_bot: RunningBot, new_user: UserFactory
) -> None:
    user = new_user(fake_bot)
    replies = await user.ask("/buttons_only")
    assert replies[0].text == "Please choose one:" and replies[0].titles == ["Yes"]


@pytest.mark.parametrize(
    ("said", "fields"),
    [
        ("Thanks for the sticker 🙂 I can only understand words",
         {"sticker": {"file_id": "s1", "file_unique_id": "u1", "width": 512,
                      "height": 512, "is_animated": False, "is_video": False,
                      "type": "regular"}}),
        ("I can't use locations, and I haven't kept this one. If you're in danger now, call 999.",
         {"location": {"latitude": 52.48, "longitude": -1.89}}),
        ("I can't use contact cards, and I haven't kept this one.",
         {"contact": {"phone_number": "+440000000000", "first_name": "Jo"}}),
        ("I'm sorry, I can't watch video messages. Could you type what you wanted to say? "
         "If you're in danger now, call 999.", {"video_note": {"file_id": "n1", "file_unique_id": "u3",
                                       "length": 240, "duration": 2}}),
    ],
)
async def test_what_the_bot_cannot_read_gets_a_kind_answer(
    fake_bot: RunningBot, new_user: UserFactory, said: str, fields: dict
) -> None:
    user = new_user(fake_bot)
    await user.send(**fields)
    replies = await user.replies()
    assert len(replies) == 1 and replies[0].text.startswith(said)
    assert not any(uid == str(user.user["id"]) for uid, _ in fake_bot.core.received)


@pytest.mark.parametrize(
    "fields",
    [
        {"photo": [{"file_id": "p1", "file_unique_id": "pu1", "width": 90, "height": 90},
                   {"file_id": "p2", "file_unique_id": "pu2", "width": 900, "height": 900}]},
        {"document": {"file_id": "d1", "file_unique_id": "du1", "file_name": "texts.pdf",
                      "mime_type": "application/pdf"}},
        {"voice": {"file_id": "v1", "file_unique_id": "u2", "duration": 3}},
    ],
)
async def test_photos_and_documents_go_to_the_attachment_hook(
    fake_bot: RunningBot, new_user: UserFactory, fields: dict
) -> None:
    user = new_user(fake_bot)
    await user.send(**fields)
    replies = await user.replies()
    assert len(replies) == 1
    assert "I haven't kept this one: please keep the original safe" in replies[0].text


async def test_group_is_told_once_and_left(
    fake_bot: RunningBot, new_user: UserFactory, bot_api: BotApiProxy
) -> None:
    group = new_user(fake_bot, chat_type="group", title="Friends")
    replies = await group.ask("/start")
    assert len(replies) == 1 and replies[0].text.startswith(GROUP_REFUSAL)
    assert "In an emergency call 999." in replies[0].text
    left = bot_api.calls_to("leaveChat", fake_bot.token)
    assert [int(c.params["chat_id"]) for c in left] == [group.chat_id]
    assert await group.ask("hello? is anyone there", expect_none=True, settle=1.0) == []
    assert not any(text in ("/start", "hello? is anyone there")
                   for uid, text in fake_bot.core.received if uid == str(group.user["id"]))


async def test_supergroup_is_refused_too(
    fake_bot: RunningBot, new_user: UserFactory
) -> None:
    group = new_user(fake_bot, chat_type="supergroup", title="Big group")
    replies = await group.ask("he follows me everywhere")
    assert len(replies) == 1 and replies[0].text.startswith(GROUP_REFUSAL)


async def test_a_failure_gets_the_error_reply(
    fake_bot: RunningBot, new_user: UserFactory
) -> None:
    user = new_user(fake_bot)
    replies = await user.ask("/boom")
    assert [m.text for m in replies] == [
        "Sorry, something went wrong.\n\nIn an emergency call 999. Otherwise call 101."]
    # and the bot is still there
    assert (await user.ask("still there?"))[0].text == "You said: still there?"


class CalmEngine:
    """A dialogue engine that never mentions 999: any 999 the user sees came from the guard."""

    intents = frozenset({"greet", "emergency"})

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict[str, Any]]] = []

    async def start(self) -> None: ...

    async def handle(self, user_id: str, text: str,
                     metadata: Optional[dict[str, Any]] = None) -> list[dict[str, Any]]:
        self.seen.append((user_id, text, dict(metadata or {})))
        return [{"text": "Tell me more about what happened."}]

    async def reset(self, user_id: str) -> None: ...

    async def forget(self, user_id: str) -> None: ...

    async def close(self) -> None: ...


@pytest_asyncio.fixture(scope="module", params=MODES)
async def guarded_bot(request: pytest.FixtureRequest, bot_api: BotApiProxy) -> AsyncIterator[RunningBot]:
    """The real core (the real safety guard and facts) behind the adapter, with :class:`CalmEngine`."""
    core = Core(CalmEngine(), SafetyGuard.from_file(), Facts.load(), engine_timeout=2.0)
    running = await start_bot(bot_api, core, request.param, "guarded")
    yield running
    await running.service.stop()


async def test_danger_first(guarded_bot: RunningBot, new_user: UserFactory) -> None:
    user = new_user(guarded_bot)
    replies = await user.ask("hes outside my house now")
    assert replies[0].text.startswith("🚨 If you are in danger now, call 999 now.")
    assert "press 55" in replies[0].text  # the Silent Solution, for someone who can't speak
    assert "Tell me more about what happened." not in [m.text for m in replies]
    # the engine was told the guard had answered (so it does not carry on as if nothing happened)
    _, _, metadata = guarded_bot.core.engine.seen[-1]
    assert metadata.get("via_guard") is True
    # and an ordinary message gets no 999 banner
    calm = await user.ask("he sent me flowers again")
    assert [m.text for m in calm] == ["Tell me more about what happened."]


async def test_logs_never_hold_what_users_wrote(
    fake_bot: RunningBot, new_user: UserFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    user = new_user(fake_bot)
    secrets = ["my ex Jordan Smith keeps texting", "/boom", "he's outside my house now"]
    for text in secrets:
        await user.ask(text)
    await user.send(location={"latitude": 52.4862, "longitude": -1.8904})
    await user.replies()
    lines = [record.getMessage() for record in caplog.records]
    assert lines, "expected some log lines"
    for line in lines:
        for text in ("Jordan Smith", "keeps texting", "outside my house", "52.4862"):
            assert text not in line, line


@pytest.mark.parametrize("fake_bot", ["webhook"], indirect=True)
async def test_webhook_refuses_requests_without_the_secret(
    fake_bot: RunningBot, http: aiohttp.ClientSession
) -> None:
    url = fake_bot.settings.telegram_webhook_url
    update = {"update_id": 99999, "message": {
        "message_id": 1, "date": 1, "chat": {"id": 5, "type": "private"},
        "from": {"id": 5, "is_bot": False, "first_name": "Mallory"}, "text": "forged"}}
    async with http.post(url, json=update) as response:
        assert response.status == 403
    async with http.post(url, json=update, headers={SECRET_HEADER: "wrong"}) as response:
        assert response.status == 403
    assert not any(text == "forged" for _, text in fake_bot.core.received)


@pytest.mark.parametrize("fake_bot", ["webhook"], indirect=True)
async def test_webhook_was_registered_with_a_secret(
    fake_bot: RunningBot, bot_api: BotApiProxy, new_user: UserFactory
) -> None:
    webhook = bot_api.webhooks[fake_bot.token]
    assert webhook.url == fake_bot.settings.telegram_webhook_url
    assert webhook.secret and len(webhook.secret) >= 32
    before = len(bot_api.webhook_deliveries)
    replies = await new_user(fake_bot).ask("is the webhook up?")
    assert [m.text for m in replies] == ["You said: is the webhook up?"]
    delivered = bot_api.webhook_deliveries[before:]
    assert delivered and set(delivered) == {200}
    assert bot_api.errors == []
