"""Photos, files and everything that is not text: the handlers for attachments and the rest.

Nothing a user sends is kept here: an attachment goes to an attachment *sink*
(``bot.telegram.attachments``: the incident log), a sticker, location or poll
gets a kind answer, and a service message (a pin, a timer change) none.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Optional

from bot.replies import Reply
from bot.telegram.conversation import Context, Conversation
from bot.telegram.render import coalesce
from telegram import Bot, Message, Update

logger = logging.getLogger(__name__)

#: Message attributes answered with ``unsupported`` copy, and which copy key answers each.
UNSUPPORTED_KINDS: tuple[tuple[str, str], ...] = (
    ("sticker", "sticker"),
    ("animation", "sticker"),
    ("video_note", "video_note"),
    ("venue", "location"),
    ("location", "location"),
    ("contact", "contact"),
    ("poll", "poll"),
    ("dice", "poll"),
    ("game", "poll"),
)
#: Attachments that may be evidence: routed to :meth:`MediaHandler.on_attachment`.
ATTACHMENT_KINDS = ("photo", "document", "video", "voice", "audio")


@dataclass(frozen=True)
class Attachment:
    """A photo, file or video a user sent: Telegram's reference to it, not its bytes.

    ``file_id`` lets the incident log fetch the file later with ``bot.get_file``.
    """

    kind: str
    file_id: str
    file_unique_id: str
    file_name: Optional[str] = None
    mime_type: Optional[str] = None
    file_size: Optional[int] = None
    caption: Optional[str] = None


#: Receives (bot, user_id, attachment); the bot is there to download the file.
AttachmentSink = Callable[[Bot, str, Attachment], Awaitable[list[Reply]]]


class MediaHandler:
    """Handlers for a private chat's attachments and other non-text messages."""

    def __init__(self, conversation: Conversation,
                 attachment_sink: Optional[AttachmentSink] = None) -> None:
        self.conversation = conversation
        self.attachment_sink = attachment_sink

    async def on_attachment_message(self, update: Update, context: Context) -> None:
        message = update.effective_message
        user = update.effective_user
        chat = update.effective_chat
        if message is None or user is None or chat is None:
            return
        attachment = attachment_of(message)
        if attachment is None:
            await self.on_other_message(update, context)
            return
        logger.info("attachment received (%s)", attachment.kind)
        talk = self.conversation
        replies: list[Reply] = []
        async with talk.sender.typing(context.bot, chat.id):
            if attachment.caption and talk.signals_danger(attachment.caption):
                # The alert stays a message of its own: never joined to what follows.
                replies.extend(coalesce(await talk.core.handle(str(user.id), attachment.caption)))
            replies.extend(coalesce(await self.on_attachment(context.bot, str(user.id), attachment)))
        await talk.deliver(context.bot, chat.id, str(user.id), replies, [message.message_id],
                           join=False)

    async def on_attachment(self, bot: Bot, user_id: str, attachment: Attachment) -> list[Reply]:
        """The hook for photos, files and videos: the incident log plugs in here.

        Without an ``attachment_sink`` (see ``bot.telegram.attachments``),
        nothing is kept and the user is told so (copy in ``data/telegram.yml``).
        """
        if self.attachment_sink is not None:
            return await self.attachment_sink(bot, user_id, attachment)
        return [Reply(self.conversation.copy.attachment_received)]

    async def on_other_message(self, update: Update, context: Context) -> None:
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None:
            return
        if message.effective_attachment is None and message.text is None:
            return  # a service message (pin, timer change...): nothing to answer
        kind = unsupported_kind(message)
        logger.info("unsupported message kind (%s)", kind)
        user_id = str(update.effective_user.id) if update.effective_user else str(chat.id)
        reply = Reply(self.conversation.copy.unsupported_reply(kind))
        await self.conversation.deliver(context.bot, chat.id, user_id, [reply],
                                        [message.message_id])


def unsupported_kind(message: Message) -> str:
    for attribute, kind in UNSUPPORTED_KINDS:
        if getattr(message, attribute, None):
            return kind
    return "other"


def attachment_of(message: Message) -> Optional[Attachment]:
    caption = message.caption
    if message.photo:
        photo = message.photo[-1]  # the largest size
        return Attachment("photo", photo.file_id, photo.file_unique_id,
                          file_size=photo.file_size, caption=caption)
    if message.document:
        doc = message.document
        return Attachment("document", doc.file_id, doc.file_unique_id, doc.file_name,
                          doc.mime_type, doc.file_size, caption)
    if message.video:
        video = message.video
        return Attachment("video", video.file_id, video.file_unique_id, video.file_name,
                          video.mime_type, video.file_size, caption)
    if message.voice:  # a voice note is evidence too ("he left this voicemail")
        voice = message.voice
        return Attachment("voice", voice.file_id, voice.file_unique_id, "voice-note.ogg",
                          voice.mime_type, voice.file_size, caption)
    if message.audio:
        audio = message.audio
        return Attachment("audio", audio.file_id, audio.file_unique_id, audio.file_name,
                          audio.mime_type, audio.file_size, caption)
    return None
