"""Groups, supergroups and channels: told once that the bot works one to one, then left."""
from __future__ import annotations

import logging
from collections import OrderedDict

from bot.replies import Reply
from bot.telegram.conversation import Context
from bot.telegram.copy import TelegramCopy
from bot.telegram.sender import Sender
from telegram import Bot, ChatMember, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

logger = logging.getLogger(__name__)


class SharedChatHandler:
    """Handlers for being added to a shared chat and for anything posted there."""

    def __init__(self, sender: Sender, copy: TelegramCopy, told_chats_limit: int = 10_000) -> None:
        self.sender = sender
        self.copy = copy
        # Ids of groups/channels already told that the bot works only in private
        # chats.  The bot leaves such a chat right after telling it, which is what
        # makes "once" hold across restarts and replicas; this bounded set only
        # stops repeats while leaving fails.  It holds chat ids, never content.
        self._told_chats: OrderedDict[int, None] = OrderedDict()
        self._told_chats_limit = told_chats_limit

    async def on_my_chat_member(self, update: Update, context: Context) -> None:
        change = update.my_chat_member
        if change is None or change.chat.type == ChatType.PRIVATE:
            return
        status = change.new_chat_member.status
        if status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.RESTRICTED):
            self._told_chats.pop(change.chat.id, None)  # added (again): tell this time too
            await self.refuse_chat(context.bot, change.chat.id)

    async def on_shared_chat(self, update: Update, context: Context) -> None:
        chat = update.effective_chat
        if chat is None or chat.id in self._told_chats:
            return
        await self.refuse_chat(context.bot, chat.id)

    async def refuse_chat(self, bot: Bot, chat_id: int) -> None:
        """Say once that the bot works only in private chats, then leave the chat."""
        self._told_chats[chat_id] = None
        while len(self._told_chats) > self._told_chats_limit:
            self._told_chats.popitem(last=False)
        logger.info("refusing a shared chat")
        try:
            await self.sender.send_replies(bot, chat_id, [Reply(self.copy.group_refusal)])
        except TelegramError as error:
            logger.warning("could not post the private-chat notice: %s", type(error).__name__)
        try:
            await bot.leave_chat(chat_id)
        except TelegramError as error:
            logger.warning("could not leave a shared chat: %s", type(error).__name__)
