"""Builds, starts and stops the Telegram bot: long polling, or a webhook when one is set.

:class:`TelegramService` is used the same way by :func:`run` (production) and by
the end-to-end tests, so both go through one start-up and one shutdown path.
Shutdown stops fetching updates first, then lets the messages in flight finish
(PTB's ``Application.stop`` waits for them), then closes the connections.
"""
from __future__ import annotations

import asyncio
import logging
import re
import secrets
import signal
from datetime import timedelta
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlparse

import yaml

from bot.diary.trail import MessageTrail
from bot.settings import Settings
from bot.telegram.adapter import ALLOWED_UPDATES, CoreLike, TelegramAdapter
from bot.telegram.attachments import attachment_sink_for
from bot.telegram.copy import TelegramCopy
from bot.telegram.logs import protect_library_logs
from bot.telegram.processor import PerUserOrderedProcessor
from telegram import Bot, BotCommand
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, Updater

logger = logging.getLogger(__name__)

COMMANDS_PATH = Path(__file__).resolve().parents[2] / "data" / "commands.yml"
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")

#: Users served at the same time (each user's own messages stay in order).
MAX_CONCURRENT_UPDATES = 16
#: Flood waits the rate limiter sits out before giving up on a request.
RATE_LIMIT_RETRIES = 3
#: Start-up calls (deleteWebhook / setWebhook) retried this often on network errors.
BOOTSTRAP_RETRIES = 5
LONG_POLL = timedelta(seconds=30)


def load_menu(path: Path = COMMANDS_PATH) -> list[BotCommand]:
    """The command menu, from the same file the core maps commands with."""
    raw = yaml.safe_load(path.read_text("utf-8"))
    menu: list[BotCommand] = []
    for item in raw.get("commands") or []:
        command = str(item.get("command", "")).strip().lstrip("/")
        description = str(item.get("description", "")).strip()
        if _COMMAND.match(command) and 1 <= len(description) <= 256:
            menu.append(BotCommand(command, description))
        else:
            logger.warning("command %r left out of the menu: invalid for Telegram", command)
    return menu


async def set_command_menu(bot: Bot, path: Path = COMMANDS_PATH) -> bool:
    """Set the menu of commands; a refusal is logged and the bot carries on."""
    try:
        return bool(await bot.set_my_commands(load_menu(path)))
    except TelegramError as error:
        logger.warning("command menu not set: %s", type(error).__name__)
        return False
    except (OSError, yaml.YAMLError) as error:
        logger.warning("command menu not set: %s reading %s", type(error).__name__, path.name)
        return False


def build_application(
    settings: Settings, adapter: TelegramAdapter
) -> Application[Any, Any, Any, Any, Any, Any]:
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    builder = (
        Application.builder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base_url)
        .rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
        .concurrent_updates(PerUserOrderedProcessor(MAX_CONCURRENT_UPDATES))
        .connect_timeout(10.0)
        .read_timeout(20.0)
        .write_timeout(30.0)
        .pool_timeout(10.0)
        .get_updates_connect_timeout(10.0)
        .get_updates_read_timeout(10.0)  # PTB adds the long-poll time to this
        .get_updates_pool_timeout(10.0)
        .job_queue(None)  # no scheduled jobs: the adapter keeps no timers
    )
    if settings.telegram_api_file_url:
        builder = builder.base_file_url(settings.telegram_api_file_url)
    application = builder.build()
    adapter.register(application)
    return application


def trail_for(core: Any) -> Optional[MessageTrail]:
    """The message trail on the core's diary database ("Clear this chat"); None without a diary."""
    store = getattr(getattr(core, "desk", None), "store", None)
    if store is None or not hasattr(store, "engine") or not hasattr(store, "user_key"):
        return None
    return MessageTrail(store)


def _log_polling_error(error: TelegramError) -> None:
    # PTB retries get_updates itself; this only keeps the error's text out of the logs.
    logger.warning("polling for updates failed (%s); retrying", type(error).__name__)


class TelegramService:
    """One bot: an :class:`Application` wired to the adapter, started and stopped cleanly."""

    def __init__(
        self,
        settings: Settings,
        core: CoreLike,
        adapter: Optional[TelegramAdapter] = None,
    ) -> None:
        protect_library_logs()
        self.settings = settings
        if adapter is None:
            copy = TelegramCopy.load()
            adapter = TelegramAdapter(core, copy, attachment_sink=attachment_sink_for(core, copy),
                                      trail=trail_for(core))
        self.adapter = adapter
        self.application = build_application(settings, self.adapter)
        self.webhook_secret: Optional[str] = None

    @property
    def mode(self) -> str:
        return "webhook" if self.settings.telegram_webhook_url else "polling"

    async def start(self) -> None:
        app = self.application
        await app.initialize()
        if self.adapter.trail is not None:  # ids past Telegram's 48 hours are of no use: swept
            await asyncio.to_thread(self.adapter.trail.sweep)
        try:
            await set_command_menu(app.bot)
            if self.mode == "webhook":
                await self._start_webhook()
            else:
                await self._updater().start_polling(
                    poll_interval=0.0,
                    timeout=LONG_POLL,
                    bootstrap_retries=BOOTSTRAP_RETRIES,
                    allowed_updates=ALLOWED_UPDATES,
                    drop_pending_updates=False,
                    error_callback=_log_polling_error,
                )
            await app.start()
        except BaseException:
            await self._shutdown()
            raise
        logger.info("Telegram bot started (%s)", self.mode)

    def _updater(self) -> Updater:
        """The application's updater (``build_application`` always makes one)."""
        updater = self.application.updater
        if updater is None:
            raise RuntimeError("the Telegram application was built without an updater")
        return updater

    async def _start_webhook(self) -> None:
        url = self.settings.telegram_webhook_url or ""
        secret = self.settings.telegram_webhook_secret
        if not secret:
            secret = secrets.token_urlsafe(32)
            logger.warning(
                "TELEGRAM_WEBHOOK_SECRET is not set: using a random one for this process; "
                "set it when more than one replica shares the webhook"
            )
        self.webhook_secret = secret
        await self._updater().start_webhook(
            listen=self.settings.telegram_webhook_listen,
            port=self.settings.telegram_webhook_port,
            url_path=urlparse(url).path.lstrip("/"),
            webhook_url=url,
            secret_token=secret,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=False,
            bootstrap_retries=BOOTSTRAP_RETRIES,
        )

    async def stop(self) -> None:
        """Stop fetching, finish the updates in flight, then close."""
        await self._shutdown()
        logger.info("Telegram bot stopped")

    async def _shutdown(self) -> None:
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await self.adapter.close()  # the message ids still waiting go to the trail
        await app.shutdown()

    async def __aenter__(self) -> TelegramService:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


async def _close_core(core: Any) -> None:
    close = getattr(core, "close", None) or getattr(getattr(core, "engine", None), "close", None)
    if close is not None:
        try:
            await close()
        except Exception as error:  # noqa: BLE001 - shutting down anyway
            logger.warning("closing the dialogue engine failed: %s", type(error).__name__)


async def serve(
    settings: Settings,
    core: Optional[CoreLike] = None,
    stop: Optional[asyncio.Event] = None,
) -> None:
    """Run the bot until ``stop`` is set or SIGTERM/SIGINT arrives; then shut down gracefully."""
    owns_core = core is None
    if core is None:
        from bot.app import build_core

        core = await build_core(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)

    def on_signal() -> None:
        logger.info("stop signal received: finishing messages in flight")
        stop.set()
        for sig in signals:  # a second signal then interrupts as usual
            loop.remove_signal_handler(sig)

    installed = []
    for sig in signals:
        try:
            loop.add_signal_handler(sig, on_signal)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            logger.debug("cannot handle signal %s here", sig)
    try:
        service = TelegramService(settings, core)
        await service.start()
        try:
            await stop.wait()
        finally:
            await service.stop()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        if owns_core:
            await _close_core(core)


def run(settings: Settings, core: Optional[CoreLike] = None) -> None:
    """Blocking entry point for ``python -m bot run``: returns after SIGTERM/SIGINT."""
    asyncio.run(serve(settings, core))
