"""Fixtures for the end-to-end tests: one emulator, one proxy, bots per mode.

Everything async runs in the session's event loop (pyproject sets fixtures'
loop scope to "session"; the test modules mark their tests the same), so the
bot, the proxy and the tests share one loop, and the slow Rasa model is loaded
once per session.
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import aiohttp
import pytest
import pytest_asyncio

from bot.settings import Settings
from bot.telegram import TelegramService
from tests.conftest import IN_CI, require, require_model

from .fakes import FakeCore
from .harness import (
    EMULATOR_PACKAGE,
    BotApiProxy,
    Emulator,
    TelegramUser,
    ensure_emulator_installed,
    free_port,
)

ROOT = Path(__file__).resolve().parents[2]
MODES = ["polling", "webhook"]
_user_ids = itertools.count(70001)
_bot_ids = itertools.count(1)


@dataclass
class RunningBot:
    service: TelegramService
    settings: Settings
    token: str
    mode: str
    core: Any


@dataclass
class DiaryFiles:
    """An isolated incident-log database, its key and its export folder, in a tmp folder."""

    folder: Path

    @property
    def database(self) -> Path:
        return self.folder / "diary.db"

    @property
    def key_file(self) -> Path:
        return self.folder / "diary.key"

    @property
    def export_dir(self) -> Path:
        return self.folder / "exports"

    def settings(self, **more: Any) -> Settings:
        return Settings(database_url=f"sqlite:///{self.database}", diary_key_file=self.key_file,
                        export_dir=self.export_dir, **more)

    def user_key(self, user_id: int | str) -> str:
        """What the database stores for the user instead of the id."""
        from bot.diary.crypto import Cipher

        return Cipher.from_settings(None, self.key_file).user_key(str(user_id))

    def rows_of(self, user_id: int | str) -> dict[str, int]:
        """The user's rows in each table, counted with sqlite3 (not through the store)."""
        key = self.user_key(user_id)
        with contextlib.closing(sqlite3.connect(self.database)) as db:
            return {table: db.execute(f"select count(*) from {table} where user_key = ?",
                                      (key,)).fetchone()[0]
                    for table in ("notes", "attachments", "answers")}

    def raw_bytes(self) -> bytes:
        """Every byte of the database as it lies on disk (the file, its WAL and shm)."""
        return b"".join(p.read_bytes() for p in sorted(self.folder.glob("diary.db*")) if p.is_file())

    def leftover_exports(self) -> list[Path]:
        """Files left in the export folder (exports the bot did not clean up)."""
        return sorted(p for p in self.export_dir.rglob("*") if p.is_file())


@pytest.fixture(scope="session")
def emulator_installed() -> None:
    """The pinned emulator in tests/e2e/node_modules.

    ``./test.sh`` installs it before pytest runs; with ``CI=true`` a missing one is a
    failure (no install from here); otherwise it is installed now, or skipped with why not.
    """
    if IN_CI:
        require(EMULATOR_PACKAGE.exists(),
                f"the Telegram emulator is not installed ({EMULATOR_PACKAGE.relative_to(ROOT)} is "
                "missing): ./test.sh installs it with npm ci --prefix tests/e2e")
        return
    reason = ensure_emulator_installed()
    require(reason is None, reason or "")


@pytest_asyncio.fixture(scope="session")
async def emulator(emulator_installed: None) -> AsyncIterator[Emulator]:
    emulator = Emulator()
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest_asyncio.fixture(scope="session")
async def bot_api(emulator: Emulator) -> AsyncIterator[BotApiProxy]:
    proxy = BotApiProxy(emulator.url)
    await proxy.start()
    yield proxy
    await proxy.stop()


@pytest_asyncio.fixture(scope="session")
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


def bot_settings(bot_api: BotApiProxy, token: str, mode: str) -> Settings:
    webhook_port = free_port()
    return Settings(
        telegram_bot_token=token,
        telegram_api_base_url=f"{bot_api.url}/bot",
        telegram_api_file_url=f"{bot_api.url}/file/bot",
        telegram_webhook_url=(
            f"http://127.0.0.1:{webhook_port}/telegram/hook" if mode == "webhook" else None
        ),
        telegram_webhook_secret=None,  # the service makes a random one
        telegram_webhook_listen="127.0.0.1",
        telegram_webhook_port=webhook_port,
    )


async def start_bot(bot_api: BotApiProxy, core: Any, mode: str, name: str) -> RunningBot:
    token = f"{100000 + next(_bot_ids)}:{name}-{mode}"
    settings = bot_settings(bot_api, token, mode)
    service = TelegramService(settings, core)
    await service.start()
    return RunningBot(service, settings, token, mode, core)


@pytest_asyncio.fixture(scope="session", params=MODES)
async def fake_bot(request: pytest.FixtureRequest, bot_api: BotApiProxy) -> AsyncIterator[RunningBot]:
    """A bot in front of :class:`FakeCore`, for what the adapter itself does."""
    running = await start_bot(bot_api, FakeCore(), request.param, "fake")
    yield running
    await running.service.stop()


@pytest.fixture(scope="session")
def model_path() -> Path:
    return require_model()


@pytest_asyncio.fixture(scope="session")
async def real_core(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Any]:
    """The real core (guard + Rasa), built once per session: loading the model is slow.

    Its incident log is a throwaway database in a tmp folder, never the repository's.
    """
    from bot.app import build_core

    files = DiaryFiles(tmp_path_factory.mktemp("real-core-diary"))
    # Loading Rasa switches the event-loop policy to uvloop's; pytest-asyncio
    # goes on asking the original policy for the session's loop.
    policy = asyncio.get_event_loop_policy()
    try:
        core = await build_core(files.settings(model_dir=model_path.parent))
    finally:
        asyncio.set_event_loop_policy(policy)
    yield core
    desk = getattr(core, "desk", None)
    if desk is not None:
        desk.store.close()
    engine = getattr(core, "engine", None)
    if engine is not None:
        await engine.close()


@pytest_asyncio.fixture(scope="session", params=MODES)
async def real_bot(
    request: pytest.FixtureRequest, bot_api: BotApiProxy, real_core: Any
) -> AsyncIterator[RunningBot]:
    running = await start_bot(bot_api, real_core, request.param, "real")
    yield running
    await running.service.stop()


@dataclass
class DiaryCore:
    """The real core with an incident log of its own (see :class:`DiaryFiles`)."""

    core: Any
    files: DiaryFiles


@pytest_asyncio.fixture(scope="module")
async def diary_core(
    real_core: Any, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[DiaryCore]:
    """The real core (the session's loaded model) over a fresh, isolated diary database."""
    from bot.app import build_store
    from bot.core import Core
    from bot.desk import DiaryDesk

    files = DiaryFiles(tmp_path_factory.mktemp("diary-e2e"))
    files.export_dir.mkdir(mode=0o700)
    settings = files.settings()
    store = await asyncio.to_thread(build_store, settings)
    desk = DiaryDesk(store, real_core.facts, real_core.engine.forget)
    core = Core(real_core.engine, real_core.guard, real_core.facts,
                engine_timeout=real_core.engine_timeout, desk=desk)
    yield DiaryCore(core, files)
    store.close()


@pytest_asyncio.fixture(scope="module")
async def diary_bot(bot_api: BotApiProxy, diary_core: DiaryCore) -> AsyncIterator[RunningBot]:
    """One polling bot in front of :func:`diary_core`, for a test module."""
    running = await start_bot(bot_api, diary_core.core, "polling", "diary")
    yield running
    await running.service.stop()


UserFactory = Callable[..., TelegramUser]


@pytest.fixture
def new_user(http: aiohttp.ClientSession, emulator: Emulator, bot_api: BotApiProxy) -> UserFactory:
    """Make a person (or a group) talking to a given bot; each gets fresh ids."""

    def make(bot: RunningBot, *, chat_type: str = "private",
             title: Optional[str] = None) -> TelegramUser:
        user_id = next(_user_ids)
        chat_id = None if chat_type == "private" else -(10**12 + user_id)
        return TelegramUser(http, emulator.url, bot.token, user_id,
                            chat_id=chat_id, chat_type=chat_type, title=title, files=bot_api)

    return make
