"""Telegram updates in, the core's replies out: the handlers, wired in one place.

The Telegram side only translates.  A message or a pressed button becomes
``core.handle(user_id, text_or_payload)`` (:class:`~bot.telegram.conversation.Conversation`);
the returned replies become Telegram messages (:class:`~bot.telegram.sender.Sender`).
It keeps no dialogue state and makes no dialogue decisions: the conversation
belongs to the core (safety guard, then Rasa), so Telegram, the console and the
tests all see the same bot.  The handlers are small, one module each:

* ``messages``: typed text (slash commands included) and edits;
* ``buttons``: pressed inline buttons;
* ``media``: photos, files, voice notes, and what is answered but not kept;
* ``shared_chats``: groups and channels, told once and left;
* ``clearing``: the message ids noted for "Clear this chat", and the clearing;
* the error handler, here.

Two privacy rules hold everywhere: a log line never contains what a user wrote
(we log kinds and error types); nothing a user sends is kept by the Telegram
side: attachments go to an attachment sink (the incident log), everything else
is answered and forgotten.  Only the ids and times of a private chat's messages
are noted (:class:`bot.diary.trail.MessageTrail`, 48 hours).

One Bot API call per reply on the common path: the replies of a turn are sent as
few messages as Telegram allows (:func:`bot.telegram.render.coalesce`; a short
text goes with its file as the caption), "typing…" is sent only when a reply
takes longer than ``typing_delay`` (a second), and a pressed button's callback
is answered beside the work, not before it.
"""
from __future__ import annotations

import logging
from typing import Any, Optional

from bot.diary.trail import MessageTrail
from bot.telegram.buttons import ButtonHandler
from bot.telegram.clearing import NOTE_EVERY, ChatClearing
from bot.telegram.conversation import Context, Conversation, CoreLike
from bot.telegram.copy import TelegramCopy
from bot.telegram.media import AttachmentSink, MediaHandler
from bot.telegram.messages import TextHandler
from bot.telegram.sender import TYPING_DELAY, Sender
from bot.telegram.shared_chats import SharedChatHandler
from telegram import Update
from telegram.constants import ChatType
from telegram.error import Forbidden
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    MessageHandler,
    filters,
)

__all__ = ["ALLOWED_UPDATES", "CoreLike", "TelegramAdapter"]

logger = logging.getLogger(__name__)

#: Updates the bot asks Telegram for.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member", "channel_post"]


class TelegramAdapter:
    """The handlers and the sender they share, registered in one place by :meth:`register`."""

    def __init__(
        self,
        core: CoreLike,
        copy: Optional[TelegramCopy] = None,
        *,
        attachment_sink: Optional[AttachmentSink] = None,
        send_attempts: int = 3,
        retry_delay: float = 0.5,
        typing_interval: float = 4.5,
        typing_delay: float = TYPING_DELAY,
        told_chats_limit: int = 10_000,
        trail: Optional[MessageTrail] = None,
        note_every: float = NOTE_EVERY,
    ) -> None:
        self.core = core
        self.copy = copy or TelegramCopy.load()
        self.sender = Sender(self.copy, attempts=send_attempts, retry_delay=retry_delay,
                             typing_delay=typing_delay, typing_interval=typing_interval)
        self.clearing = ChatClearing(self.sender, trail, note_every)
        self.conversation = Conversation(core, self.copy, self.sender, self.clearing)
        self.texts = TextHandler(self.conversation)
        self.buttons = ButtonHandler(self.conversation)
        self.media = MediaHandler(self.conversation, attachment_sink)
        self.shared_chats = SharedChatHandler(self.sender, self.copy, told_chats_limit)
        # The handlers, by the names PTB and the tests call them.
        self.on_text = self.texts.on_text
        self.on_edited = self.texts.on_edited
        self.on_callback = self.buttons.on_callback
        self.on_attachment_message = self.media.on_attachment_message
        self.on_attachment = self.media.on_attachment
        self.on_other_message = self.media.on_other_message
        self.on_my_chat_member = self.shared_chats.on_my_chat_member
        self.on_shared_chat = self.shared_chats.on_shared_chat
        # What the service and the tests use of the sender and the chat's ids.
        self.send_reply = self.sender.send_reply
        self.send_replies = self.sender.send_replies
        self.flush_notes = self.clearing.flush_notes
        self.close = self.clearing.close  # at shutdown: write the ids still waiting

    @property
    def trail(self) -> Optional[MessageTrail]:
        """Message ids and times of private chats, for "Clear this chat" (None: not kept)."""
        return self.clearing.trail

    def register(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        private = filters.ChatType.PRIVATE
        shared = filters.ChatType.GROUPS | filters.ChatType.CHANNEL
        new_message = filters.UpdateType.MESSAGE
        attachments = (filters.PHOTO | filters.Document.ALL | filters.VIDEO
                       | filters.VOICE | filters.AUDIO)
        application.add_handlers(
            [
                ChatMemberHandler(self.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER),
                MessageHandler(shared, self.on_shared_chat),
                CallbackQueryHandler(self.on_callback),
                MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, self.on_edited),
                MessageHandler(private & new_message & filters.TEXT, self.on_text),
                MessageHandler(private & new_message & attachments, self.on_attachment_message),
                MessageHandler(private & new_message, self.on_other_message),
            ]
        )
        application.add_error_handler(self.on_error)

    async def on_error(self, update: object, context: Context) -> None:
        """Log the error's type (never the update: it holds the user's words) and apologise."""
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        logger.error("handling update %s failed: %s", update_id, type(error).__name__)
        if not isinstance(update, Update) or isinstance(error, Forbidden):
            return
        chat = update.effective_chat
        if chat is None or chat.type != ChatType.PRIVATE:
            return
        try:
            await self.conversation.deliver(context.bot, chat.id, str(chat.id),
                                            [self.core.error_reply()])
        except Exception as failure:  # noqa: BLE001 - the error handler must not raise
            logger.error("could not send the error reply: %s", type(failure).__name__)
