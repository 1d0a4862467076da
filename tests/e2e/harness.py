"""End-to-end harness: the telegram-test-api emulator, a mending proxy, and a test user.

The code lives in ``bench/emulator/`` (the Telegram load benchmark drives the same
emulator, and a benchmark must not import test code); this module keeps the names
the end-to-end tests import.  What the proxy mends, and why: ``bench/emulator/__init__.py``.
The emulator itself stays here: ``package.json`` (pinned), ``emulator.js`` (its start
script, mended), ``node_modules`` (``npm ci --prefix tests/e2e``).
"""
from __future__ import annotations

from bench.emulator import (
    BOT_USER,
    E2E_DIR,
    EMULATOR_PACKAGE,
    EMULATOR_SCRIPT,
    MESSAGE_FIELDS,
    SECRET_HEADER,
    ApiCall,
    BotApiProxy,
    BotMessage,
    Emulator,
    HostedFile,
    JSONDict,
    Predicate,
    SentDocument,
    TelegramUser,
    Webhook,
    ensure_emulator_installed,
    free_port,
    last_with_buttons,
    mend,
    mend_update,
    update_chat_id,
    with_buttons,
)

__all__ = [
    "BOT_USER", "E2E_DIR", "EMULATOR_PACKAGE", "EMULATOR_SCRIPT", "MESSAGE_FIELDS", "SECRET_HEADER",
    "ApiCall", "BotApiProxy", "BotMessage", "Emulator", "HostedFile", "JSONDict", "Predicate",
    "SentDocument", "TelegramUser", "Webhook", "ensure_emulator_installed", "free_port",
    "last_with_buttons", "mend", "mend_update", "update_chat_id", "with_buttons",
]
