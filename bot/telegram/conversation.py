"""The one path every handler takes: the user's words to the core, its replies back.

A message or a pressed button becomes ``core.handle(user_id, text_or_payload)``;
the returned replies go out through the :class:`~bot.telegram.sender.Sender`,
and the turn's message ids (the person's and ours, never content) are noted for
"Clear this chat".  No dialogue state and no dialogue decisions here: the
conversation belongs to the core (safety guard, then Rasa), so Telegram, the
console and the tests all see the same bot.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from bot.replies import Reply
from bot.telegram.clearing import FORGET_PAYLOADS, ChatClearing, asks_to_clear
from bot.telegram.copy import TelegramCopy
from bot.telegram.sender import Sender
from telegram import Bot, Update
from telegram.ext import ContextTypes

logger = logging.getLogger(__name__)

#: The context PTB hands every handler (only ``context.bot`` and ``context.error`` are read).
Context = ContextTypes.DEFAULT_TYPE


class CoreLike(Protocol):
    """What the Telegram side needs from :class:`bot.core.Core`."""

    async def handle(self, user_id: str, text: str) -> list[Reply]: ...

    def error_reply(self) -> Reply: ...

    def help_line(self) -> str: ...


class Conversation:
    """The core, the sender and the chat's message ids, for the handlers to share."""

    def __init__(self, core: CoreLike, copy: TelegramCopy, sender: Sender,
                 clearing: ChatClearing) -> None:
        self.core = core
        self.copy = copy
        self.sender = sender
        self.clearing = clearing

    async def converse(self, update: Update, bot: Bot, text: str,
                       incoming: Sequence[int] = ()) -> None:
        """The user's text or payload to the core, its replies back ("typing…" if slow)."""
        user = update.effective_user
        chat = update.effective_chat
        if user is None:
            return
        chat_id = chat.id if chat is not None else user.id
        # A request that clears the chat reads the ids first: "delete everything and
        # clear this chat" deletes them from the trail with the rest of the person's data.
        known = await self.clearing.deletable(str(user.id)) if asks_to_clear(text) else []
        if text in FORGET_PAYLOADS:
            await self.clearing.flush_notes()
        async with self.sender.typing(bot, chat_id):
            replies = await self.core.handle(str(user.id), text)
        await self.deliver(bot, chat_id, str(user.id), replies, [*incoming, *known])

    async def deliver(self, bot: Bot, chat_id: int, user_id: str, replies: Sequence[Reply],
                      incoming: Sequence[int] = (), join: bool = True) -> None:
        """Send a private chat's replies and note the turn's message ids (the person's and ours).

        A reply that clears the chat first deletes every message it may (the
        person's message that asked included), then is sent.
        """
        sent: list[int] = []
        noted = list(incoming)
        try:
            if any(reply.clear_chat for reply in replies):
                await self.clearing.clear_chat(bot, chat_id, user_id, noted)
                noted = []
            await self.sender.send_replies(bot, chat_id, replies, sent, join=join)
        finally:
            await self.clearing.note(user_id, [*noted, *sent])

    def signals_danger(self, text: str) -> bool:
        """Whether the core's danger check flags ``text`` (False without one, or if it fails)."""
        signal = getattr(self.core, "signal_danger", None)
        if not callable(signal):
            return False
        try:
            return bool(signal(text))
        except Exception:  # noqa: BLE001 - a broken check must not stop the answer
            logger.error("danger check failed")
            return False
