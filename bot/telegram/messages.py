"""A private chat's text: a new message goes to the core; an edit only if it signals danger."""
from __future__ import annotations

from bot.replies import Reply
from bot.telegram.conversation import Context, Conversation
from telegram import Update


class TextHandler:
    """Handlers for typed messages (slash commands included: the core reads them) and edits."""

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation

    async def on_text(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None or message.text is None:
            return
        await self.conversation.converse(update, context.bot, message.text,
                                         incoming=[message.message_id])

    async def on_edited(self, update: Update, context: Context) -> None:
        """An edit is not a new message; only a danger signal in it is acted on."""
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None:
            return
        talk = self.conversation
        text = message.text or message.caption or ""
        if text and talk.signals_danger(text):
            await talk.converse(update, context.bot, text)
            return
        user_id = str(update.effective_user.id) if update.effective_user else str(chat.id)
        await talk.deliver(context.bot, chat.id, user_id, [Reply(talk.copy.edited_message)])
