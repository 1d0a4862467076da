"""The Telegram adapter: python-telegram-bot in front of the core's one message path.

``run(settings)`` is what ``python -m bot run`` calls when a bot token is set.
"""
from bot.telegram.adapter import TelegramAdapter
from bot.telegram.conversation import CoreLike
from bot.telegram.copy import TelegramCopy
from bot.telegram.media import Attachment
from bot.telegram.service import TelegramService, build_application, run, serve

__all__ = [
    "Attachment",
    "CoreLike",
    "TelegramAdapter",
    "TelegramCopy",
    "TelegramService",
    "build_application",
    "run",
    "serve",
]
