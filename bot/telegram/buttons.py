"""A pressed inline button: answered, its keyboard closed, its payload routed as a message."""
from __future__ import annotations

import asyncio

from bot.telegram.clearing import CLEARING_PAYLOADS
from bot.telegram.conversation import Context, Conversation
from bot.telegram.render import chosen_title
from telegram import Message, Update
from telegram.constants import ChatType


class ButtonHandler:
    """The callback-query handler.

    A keyboard that is gone (used before) or a second press of the same button
    gets "already answered" and is not routed, so an old button cannot derail a
    later step; Telegram's copy of the message is the only record of that.
    """

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation

    async def on_callback(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None:
            return
        sender = self.conversation.sender
        stale = self.conversation.copy.stale_button
        chat = update.effective_chat
        if not query.data or (chat is not None and chat.type != ChatType.PRIVATE):
            await sender.answer(query)
            return
        message = query.message
        if isinstance(message, Message) and chosen_title(message.reply_markup, query.data) is None:
            await sender.answer(query, stale)  # its keyboard is gone: used before
            return
        if query.data not in CLEARING_PAYLOADS:  # a message about to be deleted is not edited
            try:
                fresh = await sender.close_keyboard(query)
            except Exception:
                await sender.answer(query)
                raise
            if not fresh:  # the same press twice: the first closed the keyboard
                await sender.answer(query, stale)
                return
        # Telegram wants every press answered (the button spins until then); the answer
        # carries nothing here, so it goes beside the work instead of before it.
        answering = asyncio.create_task(sender.answer(query))
        try:
            await self.conversation.converse(update, context.bot, query.data)
        finally:
            await answering
