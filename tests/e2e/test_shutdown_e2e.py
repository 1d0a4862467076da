"""SIGTERM lets the message in flight finish, then the bot stops cleanly."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from .harness import BotApiProxy, Emulator, TelegramUser

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

RUN_BOT = Path(__file__).resolve().parent / "run_bot.py"
ROOT = Path(__file__).resolve().parents[2]


async def eventually(check: Callable[[], object], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.05)


async def test_sigterm_finishes_the_message_in_flight(
    bot_api: BotApiProxy, emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    token = "424242:shutdown"
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(RUN_BOT), f"{bot_api.url}/bot", token, "2.0",
        cwd=str(ROOT), stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        await eventually(lambda: bot_api.calls_to("getUpdates", token))
        user = TelegramUser(http, emulator.url, token, 99001)
        await user.say("please answer me slowly")
        await eventually(lambda: bot_api.calls_to("sendChatAction", token))  # being handled
        process.send_signal(signal.SIGTERM)
        replies = await user.replies(timeout=15)
        assert [m.text for m in replies] == ["You said: please answer me slowly"]
        code = await asyncio.wait_for(process.wait(), timeout=20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.stderr is not None
    log = (await process.stderr.read()).decode()
    assert code == 0, log
    assert "stop signal received" in log and "clean exit" in log
    assert "answer me slowly" not in log
