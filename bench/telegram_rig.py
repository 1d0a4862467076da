"""The Telegram rig the load benchmarks share: the emulator, a proxy that wakes readers, the bot.

The bot runs in this process (``TelegramService``, long polling, as ``python -m
bot run`` does) in front of the real core, behind the end-to-end tests' emulator
and mending proxy (``bench/emulator``).  All traffic stays on 127.0.0.1.
To look for replies rarely, a person is woken when the proxy has passed a
message of the bot to their chat, then reads the chat from the emulator like
any client.
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Optional

import aiohttp
from aiohttp import web

from bench.emulator import BotApiProxy, BotMessage, Emulator, TelegramUser, free_port

FALLBACK_POLL = 5.0  # seconds
#: Bot API methods a user message can cost (everything but polling and start-up).
TURN_METHODS = ("sendMessage", "sendChatAction", "editMessageText", "editMessageReplyMarkup",
                "answerCallbackQuery", "sendDocument", "deleteMessages", "deleteMessage")
#: Methods python-telegram-bot's AIORateLimiter throttles (those that name a chat).
LIMITED_METHODS = ("sendMessage", "sendChatAction", "editMessageText", "editMessageReplyMarkup",
                   "sendDocument", "deleteMessages", "deleteMessage")
#: Simulated people and bots: ids no other part uses.
user_ids = itertools.count(910_001)
_bot_ids = itertools.count(1)


class NotifyingProxy(BotApiProxy):
    """The mending proxy, also counting Bot API calls and waking whoever the bot just wrote to."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.events: dict[int, asyncio.Event] = {}
        self.api_calls: dict[str, int] = {}
        self.abandoned: dict[str, int] = {}

    def event(self, chat_id: int) -> asyncio.Event:
        return self.events.setdefault(chat_id, asyncio.Event())

    async def _bot_api(self, request: Any) -> Any:
        method = request.match_info.get("method", "")
        try:
            response = await super()._bot_api(request)
        except ConnectionResetError:
            # The bot dropped the request before sending all of it (a cancelled task, e.g. the
            # "typing…" loop once the reply is ready): counted, nobody is left to answer.
            self.abandoned[method] = self.abandoned.get(method, 0) + 1
            return web.Response(status=499)
        self.api_calls[method] = self.api_calls.get(method, 0) + 1
        if method.startswith("send") and method != "sendChatAction":
            with contextlib.suppress(Exception):
                params = self._params(request, await request.read())
                self.event(int(params["chat_id"])).set()
        # Keep memory flat over thousands of calls: the load test reads none of them.
        self.calls.clear()
        return response


async def fetch(user: TelegramUser) -> list[BotMessage]:
    data = await user._post("/getUpdates", {"token": user.token, "chatId": user.chat_id})
    return [BotMessage.from_store(item) for item in data.get("result") or []]


def stored_at(message: BotMessage) -> float:
    return int(message.raw.get("time", message.date * 1000)) / 1000.0


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: Optional[int]) -> float:
    """User + system CPU time of a process (Linux /proc); 0 when unknown."""
    if not pid:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


def bot_settings(proxy: BotApiProxy, token: str) -> Any:
    from bot.settings import Settings

    return Settings(telegram_bot_token=token, telegram_api_base_url=f"{proxy.url}/bot",
                    telegram_api_file_url=f"{proxy.url}/file/bot", telegram_webhook_url=None,
                    telegram_webhook_port=free_port(), telegram_webhook_listen="127.0.0.1")


@contextlib.asynccontextmanager
async def telegram(core: Any, rate_limiter: bool = True,
                   ) -> AsyncIterator[tuple[Emulator, NotifyingProxy, str]]:
    """Emulator, proxy and the bot (polling) in front of ``core``; torn down on leaving."""
    import bot.telegram.service as service_module
    from bot.telegram.service import TelegramService

    emulator = Emulator()
    await emulator.start()
    proxy = NotifyingProxy(emulator.url)
    original = service_module.AIORateLimiter
    service = None
    try:
        await proxy.start()
        if not rate_limiter:  # a diagnostic only: what the flood limit costs
            def unlimited(**kwargs: Any) -> Any:
                return original(overall_max_rate=0, group_max_rate=0, **kwargs)

            service_module.AIORateLimiter = unlimited  # type: ignore[assignment,misc]
        token = f"{200000 + next(_bot_ids)}:bench-{'limited' if rate_limiter else 'unlimited'}"
        service = TelegramService(bot_settings(proxy, token), core)
        service_module.AIORateLimiter = original  # type: ignore[misc]
        await service.start()
        yield emulator, proxy, token
    finally:
        service_module.AIORateLimiter = original  # type: ignore[misc]
        if service is not None:
            await service.stop()
        await proxy.stop()
        await emulator.stop()


def calls_per_message(calls: dict[str, int], user_messages: int) -> dict[str, Any]:
    """Bot API calls per user message, all of them and those the rate limiter throttles."""
    turn = {m: calls.get(m, 0) for m in TURN_METHODS if calls.get(m)}
    limited = sum(calls.get(m, 0) for m in LIMITED_METHODS)
    n = max(1, user_messages)
    return {"by_method": turn, "per_user_message": round(sum(turn.values()) / n, 2),
            "limited_per_user_message": round(limited / n, 2),
            "ceiling_user_msgs_per_s": round(30.0 * n / limited, 1) if limited else None}


def client_session() -> aiohttp.ClientSession:
    """The simulated people's HTTP client.

    A new connection per request: the emulator (node) closes idle keep-alive connections after
    5 s, and a person waiting longer than that would race it when reusing one.
    """
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60))
