""""Clear this chat": the ids of a private chat's messages, noted and deleted.

Only the ids and times of messages are kept (:class:`bot.diary.trail.MessageTrail`,
48 hours, under the diary's pseudonym), never what they say.  A turn's ids wait
here and go to the trail in one transaction with everybody else's, at most
every ``note_every`` seconds; "Clear this chat", "delete everything" and
shutdown write what is waiting first.
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
from collections.abc import Sequence
from typing import Optional

from bot.diary.trail import MessageTrail, batches
from bot.telegram.sender import Sender
from telegram import Bot
from telegram.error import BadRequest, TelegramError

logger = logging.getLogger(__name__)

#: Button payloads that clear the chat: their message is deleted, so it is not edited first.
CLEARING_PAYLOADS = frozenset({"/clear_chat", "diary:clear", "diary:clear_done", "diary:forget_clear"})
#: "Delete everything": the ids still waiting are written first, so the forget deletes them too.
FORGET_PAYLOADS = frozenset({"diary:forget_yes"})
#: A typed "Clear this chat".
_CLEAR_COMMAND = re.compile(r"^/clear(?:_chat)?(?:@\w+)?$")
#: Message ids are written to the trail in one transaction at most this often (seconds),
#: not one write per turn; "Clear this chat" and shutdown write what is waiting first.
NOTE_EVERY = 0.5


def asks_to_clear(text: str) -> bool:
    """Whether a message or button payload asks to clear the chat."""
    return text in CLEARING_PAYLOADS or bool(_CLEAR_COMMAND.match(text))


class ChatClearing:
    """Notes the ids of a private chat's messages, and deletes them on "Clear this chat"."""

    def __init__(self, sender: Sender, trail: Optional[MessageTrail] = None,
                 note_every: float = NOTE_EVERY) -> None:
        self.sender = sender
        #: Message ids and times of private chats (None: not kept, nothing to clear).
        self.trail = trail
        self.note_every = note_every
        #: Ids not yet written to the trail, by user id (ids only: no content).
        self._unsaved: dict[str, list[int]] = {}
        self._writing: Optional[asyncio.Task[None]] = None
        self._write_lock = asyncio.Lock()  # a reader of the trail waits for a write in flight

    async def clear_chat(self, bot: Bot, chat_id: int, user_id: str,
                         also: Sequence[int] = ()) -> int:
        """Delete every message of the chat the bot may: the trail's ids of the last 48 hours.

        Telegram's ``deleteMessages`` takes up to 100 ids a call and skips those it
        cannot find.  A refused batch is tried one message at a time, so one
        message Telegram refuses does not keep the others.  The ids are then
        forgotten, deleted or not (a message Telegram refuses now it refuses later).
        """
        ids = {int(i) for i in also if i}
        ids.update(await self.deletable(user_id))
        deleted = 0
        for batch in batches(ids):
            try:
                await self.sender.with_retries(functools.partial(bot.delete_messages, chat_id, batch))
                deleted += len(batch)
                continue
            except BadRequest as error:
                logger.warning("deleting %d messages refused (%s); one by one",
                               len(batch), type(error).__name__)
            except TelegramError as error:
                logger.warning("deleting %d messages failed: %s", len(batch), type(error).__name__)
                continue
            for message_id in batch:
                try:
                    await bot.delete_message(chat_id, message_id)
                    deleted += 1
                except TelegramError as error:
                    logger.debug("a message could not be deleted: %s", type(error).__name__)
        if self.trail is not None and ids:
            try:
                await asyncio.to_thread(self.trail.drop, user_id, ids)
            except Exception as error:  # noqa: BLE001 - they expire within 48 hours anyway
                logger.error("dropping cleared ids failed: %s", type(error).__name__)
        logger.info("chat cleared: %d of %d messages deleted", deleted, len(ids))
        return deleted

    async def deletable(self, user_id: str) -> list[int]:
        """The trail's ids Telegram still lets the bot delete; [] without a trail or on a fault."""
        if self.trail is None:
            return []
        await self.flush_notes()
        try:
            return list(await asyncio.to_thread(self.trail.deletable, user_id))
        except Exception as error:  # noqa: BLE001 - delete what we know of
            logger.error("reading the message trail failed: %s", type(error).__name__)
            return []

    async def note(self, user_id: str, message_ids: Sequence[int]) -> None:
        """Keep a turn's message ids (never content) for "Clear this chat".

        They wait here (at most ``note_every`` seconds) and go to the trail in one
        transaction with everybody else's: one write a turn cost more CPU than
        the rest of the adapter's work.
        """
        if self.trail is None or not message_ids:
            return
        self._unsaved.setdefault(user_id, []).extend(int(i) for i in message_ids)
        if self.note_every <= 0:
            await self.flush_notes()
        elif self._writing is None or self._writing.done():
            self._writing = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(self.note_every)
        await self.flush_notes()

    async def flush_notes(self) -> None:
        """Write the waiting message ids to the trail now; a failure is logged (they are lost)."""
        if self.trail is None:
            return
        async with self._write_lock:
            if not self._unsaved:
                return
            waiting, self._unsaved = self._unsaved, {}
            try:
                await asyncio.to_thread(self.trail.record_many, waiting)
            except Exception as error:  # noqa: BLE001 - the replies are out; only clearing loses them
                logger.error("noting message ids failed: %s", type(error).__name__)

    async def close(self) -> None:
        """At shutdown: write what is waiting, stop the timer."""
        writing, self._writing = self._writing, None
        if writing is not None and not writing.done():
            writing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writing
        await self.flush_notes()
