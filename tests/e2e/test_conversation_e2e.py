"""The real bot (safety guard + trained Rasa model) played through Telegram, end to end.

A person talks to the bot through the telegram-test-api emulator, in long
polling and in webhook mode.  Skipped, with the reason, when no trained model
is in ``models/``.
"""
from __future__ import annotations

import logging
import re

import pytest

from .conftest import RunningBot, UserFactory
from .harness import BotApiProxy, BotMessage, TelegramUser, last_with_buttons, with_buttons

pytestmark = [pytest.mark.e2e, pytest.mark.model, pytest.mark.asyncio(loop_scope="session")]

ANSWER_PAYLOADS = {"Yes": "/affirm", "No": "/deny", "Not sure": "/unsure"}
SIGNS = ["fixated", "obsessive", "unwanted", "repeated"]
SUMMARY = re.compile(r"\b([0-4]) of the 4 warning signs")


def is_sign_question(sign: str) -> callable:
    def check(messages: list[BotMessage]) -> bool:
        return any(sign in m.text.lower() and m.buttons for m in messages)

    return check


def summary_in(messages: list[BotMessage]) -> bool:
    return any(SUMMARY.search(m.text) for m in messages)


def none_option(message: BotMessage) -> str:
    for title in message.titles:
        if "none" in title.lower():
            return title
    raise AssertionError(f"no 'none' option in {message.titles}")


async def start_check(user: TelegramUser) -> BotMessage:
    replies = await user.ask("/check", until=is_sign_question("fixated"))
    question = last_with_buttons(replies)
    assert "fixated" in question.text.lower()
    assert {b["text"]: b.get("callback_data") for b in question.buttons} == ANSWER_PAYLOADS
    return question


async def test_start_welcomes_with_buttons(real_bot: RunningBot, new_user: UserFactory) -> None:
    user = new_user(real_bot)
    replies = await user.ask("/start", until=with_buttons)
    welcome = last_with_buttons(replies)
    assert welcome.text.startswith("Hello. I'm a chatbot that helps you make sense of unwanted attention")
    assert "check what is happening against the police's FOUR warning signs" in welcome.text
    assert "I'm not the police and nobody reads this chat live. In an emergency call 999." in welcome.text
    assert "999 now" not in welcome.text  # a greeting is not a danger message
    assert [(b["text"], b.get("callback_data")) for b in welcome.buttons] == [
        ("Check the warning signs", "/start_check"), ("Safety advice", "/ask_safety_advice"),
        ("Who to contact", "/ask_signposts"), ("Questions about stalking", "/ask_questions"),
        ("🧹 Clear this chat", "/clear_chat")]
    # pressing the first button starts the check
    replies = await user.choose(welcome, "Check the warning signs", until=is_sign_question("fixated"))
    assert "1 of 4 · FIXATED" in last_with_buttons(replies).text


async def test_the_four_check_by_pressing_buttons(
    real_bot: RunningBot, new_user: UserFactory, bot_api: BotApiProxy
) -> None:
    user = new_user(real_bot)
    question = await start_check(user)
    asked = [question]
    for sign in SIGNS[1:]:
        replies = await user.choose(question, "Yes", until=is_sign_question(sign))
        question = last_with_buttons(replies)
        assert sign in question.text.lower()
        assert {b["text"]: b.get("callback_data") for b in question.buttons} == ANSWER_PAYLOADS
        asked.append(question)
    replies = await user.choose(question, "Yes", until=with_buttons)
    behaviours = last_with_buttons(replies)
    assert len(behaviours.buttons) > 3
    summary = await user.choose(behaviours, none_option(behaviours), until=summary_in)
    match = next(SUMMARY.search(m.text) for m in summary if SUMMARY.search(m.text))
    assert match.group(1) == "4"
    # Every used keyboard is gone and the choice is shown under its question.
    for used in asked + [behaviours]:
        now = await user.current(used)
        assert now.buttons == [], f"keyboard left on {now.text[:60]!r}"
        assert now.text.startswith(used.text) and "✓" in now.text
    assert len(bot_api.calls_to("answerCallbackQuery", real_bot.token)) >= 5


async def test_the_four_check_answered_in_words(
    real_bot: RunningBot, new_user: UserFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    user = new_user(real_bot)
    await start_check(user)
    words = [
        ("yes he is obsessed", "obsessive"),
        ("yes he messages me constantly", "unwanted"),
        ("I've told him to leave me alone", "repeated"),
    ]
    for text, next_sign in words:
        replies = await user.ask(text, until=is_sign_question(next_sign))
        assert next_sign in last_with_buttons(replies).text.lower()
    replies = await user.ask("he texts me 20 times a day", until=with_buttons)
    behaviours = last_with_buttons(replies)
    assert any("none" in t.lower() for t in behaviours.titles)
    summary = await user.ask("none of these", until=summary_in)
    match = next(SUMMARY.search(m.text) for m in summary if SUMMARY.search(m.text))
    assert match.group(1) == "4"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for said in ("obsessed", "constantly", "leave me alone", "20 times"):
        assert said not in logged


async def test_danger_in_the_middle_of_the_check_comes_first(
    real_bot: RunningBot, new_user: UserFactory
) -> None:
    user = new_user(real_bot)
    question = await start_check(user)
    await user.choose(question, "Yes", until=is_sign_question("obsessive"))
    replies = await user.ask("he's outside my house now")
    assert replies[0].text.startswith("🚨 If you are in danger now, call 999 now.")


async def test_how_to_report_mentions_101(real_bot: RunningBot, new_user: UserFactory) -> None:
    user = new_user(real_bot)
    replies = await user.ask("how do I report it?", until=with_buttons)
    where = last_with_buttons(replies)  # asked once: the route depends on the place
    # 999 and 101 first (they hold anywhere in the UK), then the question
    assert where.text.startswith("In an emergency, or if you are in danger now: call 999.")
    assert "Where are you?" in where.text
    replies = await user.choose(where, "West Midlands", until=with_buttons)
    report = last_with_buttons(replies)
    assert "👮 Report it to the police" in report.text
    assert "Otherwise call 101, or use Live Chat" in report.text
    links = [(b["text"], b["url"]) for m in replies for b in m.buttons if "url" in b]
    assert [title for title, _ in links] == ["Live Chat with the police"]
    assert links[0][1].startswith("https://")


async def test_a_group_is_refused(real_bot: RunningBot, new_user: UserFactory) -> None:
    group = new_user(real_bot, chat_type="group", title="Family")
    replies = await group.ask("/check")
    assert len(replies) == 1
    assert replies[0].text.startswith("Hello. I only work in a private chat, one to one.")
