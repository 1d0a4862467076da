"""Where photos, files and videos go: the incident log, when the core has one.

The adapter hands every attachment to a *sink* (``MediaHandler.on_attachment``,
``bot.telegram.media``).
:class:`CoreAttachmentSink` is the sink that downloads the file from Telegram
and gives it to ``core.handle_attachment`` (the diary keeps it with a note).
:func:`attachment_sink_for` picks it only when the core has a diary to keep
files in; otherwise the adapter says that attachments are not kept yet.
"""
from __future__ import annotations

import logging
from typing import Any, Optional

from bot.diary.store import MAX_ATTACHMENT_BYTES
from bot.replies import Reply
from bot.telegram.copy import TelegramCopy
from bot.telegram.media import Attachment, AttachmentSink
from telegram import Bot
from telegram.error import BadRequest

logger = logging.getLogger(__name__)

#: The Bot API lets bots download files up to 20 MB (the diary's limit too).
MAX_DOWNLOAD = MAX_ATTACHMENT_BYTES
#: Seconds to download one file: 20 MB must not fail on PTB's 5 s default read time-out.
DOWNLOAD_TIMEOUT = 120.0
DEFAULT_NAMES = {"photo": "photo.jpg", "video": "video.mp4", "document": "file"}
DEFAULT_TYPES = {"photo": "image/jpeg", "video": "video/mp4", "document": "application/octet-stream"}


async def download(bot: Bot, attachment: Attachment) -> bytes:
    file = await bot.get_file(attachment.file_id)
    return bytes(await file.download_as_bytearray(read_timeout=DOWNLOAD_TIMEOUT))


class CoreAttachmentSink:
    """Download the attachment and hand it to ``core.handle_attachment``."""

    def __init__(self, core: Any, too_big: str) -> None:
        self.core = core
        self.too_big = too_big

    async def __call__(self, bot: Bot, user_id: str, attachment: Attachment) -> list[Reply]:
        if attachment.file_size and attachment.file_size > MAX_DOWNLOAD:
            logger.info("attachment too big to download (%d bytes)", attachment.file_size)
            return [self._too_big(attachment.file_size)]
        try:
            content = await download(bot, attachment)
        except BadRequest as error:
            if "too big" not in str(error).lower():
                raise
            logger.info("attachment too big to download (size not given)")
            return [self._too_big(None)]
        return await self.core.handle_attachment(
            user_id, attachment.kind, attachment.file_id, self._name(attachment),
            self._type(attachment), content, caption=attachment.caption,
        )

    def _too_big(self, size: Optional[int]) -> Reply:
        """The incident log's refusal (the same screen as the console's), else the adapter's copy."""
        too_big = getattr(getattr(self.core, "desk", None), "too_big", None)
        return too_big(size) if callable(too_big) else Reply(self.too_big)

    @staticmethod
    def _name(attachment: Attachment) -> str:
        return attachment.file_name or DEFAULT_NAMES.get(attachment.kind, "file")

    @staticmethod
    def _type(attachment: Attachment) -> str:
        return attachment.mime_type or DEFAULT_TYPES.get(attachment.kind, "application/octet-stream")


def attachment_sink_for(core: Any, copy: TelegramCopy) -> Optional[AttachmentSink]:
    """The core's incident log as the sink, if it has one; else None (nothing is kept)."""
    if callable(getattr(core, "handle_attachment", None)) and getattr(core, "desk", None):
        return CoreAttachmentSink(core, copy.attachment_too_big)
    return None
