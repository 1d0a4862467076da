"""Everything the bot sends to a chat: one :class:`Sender` for the Bot API's output.

The handlers decide *what* to send (the core's replies); the sender decides
*how*: as few messages as Telegram allows, long text split at its 4096 limit,
files uploaded from memory, keyboards under the last part, network failures
and flood waits retried, "typing…" only for a slow reply, a used keyboard
closed with the choice written under its question.

It keeps no state between calls and logs only error types, never text.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, Optional, TypeVar

from bot.replies import Reply
from bot.telegram.copy import TelegramCopy
from bot.telegram.render import (
    MAX_CAPTION,
    MAX_MESSAGE,
    build_keyboard,
    chosen_title,
    coalesce,
    escape,
    split_text,
    telegram_length,
)
from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

logger = logging.getLogger(__name__)

T = TypeVar("T")

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
REMOVE_KEYBOARD = InlineKeyboardMarkup([])
#: "typing…" only for a reply slower than this (seconds): a quick reply costs one call.
TYPING_DELAY = 1.0


class Sender:
    """Sends a turn's replies (texts, files, keyboards), retrying what may be retried."""

    def __init__(
        self,
        copy: TelegramCopy,
        *,
        attempts: int = 3,
        retry_delay: float = 0.5,
        typing_delay: float = TYPING_DELAY,
        typing_interval: float = 4.5,
    ) -> None:
        self.copy = copy
        self.attempts = max(1, attempts)
        self.retry_delay = retry_delay
        self.typing_delay = typing_delay
        self.typing_interval = typing_interval

    # -- replies ----------------------------------------------------------------

    async def send_replies(self, bot: Bot, chat_id: int, replies: Sequence[Reply],
                           sent: Optional[list[int]] = None, join: bool = True) -> list[int]:
        """Send the replies, as few messages as they allow (``join``); the ids sent (also in ``sent``)."""
        sent = sent if sent is not None else []
        for reply in (coalesce(replies) if join else replies):
            await self.send_reply(bot, chat_id, reply, sent)
        return sent

    async def send_reply(self, bot: Bot, chat_id: int, reply: Reply,
                         sent: Optional[list[int]] = None) -> None:
        """One reply: its text (split if long) with the keyboard on the last part, then its file.

        A file whose reply has a short text (and no caption of its own) goes as one
        message: the text is its caption, the keyboard under it.
        """
        sent = sent if sent is not None else []
        keyboard = build_keyboard(reply.buttons)
        document = reply.document
        text = (reply.text or "").strip()
        if (document is not None and text and not document.caption
                and telegram_length(text) <= MAX_CAPTION):
            await self._send_document(bot, chat_id, reply, sent, caption=text, markup=keyboard)
            return
        chunks = split_text(text)
        if not chunks and keyboard is not None:
            chunks = [self.copy.buttons_prompt]
        for index, chunk in enumerate(chunks):
            markup = keyboard if index == len(chunks) - 1 else None
            _note_sent(sent, await self._send_text(bot, chat_id, chunk, markup))
        if document is not None:
            await self._send_document(bot, chat_id, reply, sent)

    async def _send_text(
        self, bot: Bot, chat_id: int, text: str, markup: Optional[InlineKeyboardMarkup]
    ) -> Any:
        try:
            return await self.with_retries(
                lambda: bot.send_message(
                    chat_id,
                    escape(text),
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    link_preview_options=NO_PREVIEW,
                )
            )
        except BadRequest as error:
            if "entit" not in str(error).lower():
                raise
            # Should not happen (everything is escaped); if it does, plain text still helps.
            logger.warning("HTML refused; sending as plain text")
            return await self.with_retries(
                lambda: bot.send_message(
                    chat_id, text, reply_markup=markup, link_preview_options=NO_PREVIEW
                )
            )

    async def _send_document(self, bot: Bot, chat_id: int, reply: Reply, sent: list[int],
                             caption: Optional[str] = None,
                             markup: Optional[InlineKeyboardMarkup] = None) -> None:
        document = reply.document
        assert document is not None
        caption = caption if caption is not None else (document.caption or "")
        long_caption = telegram_length(caption) > MAX_CAPTION

        async def send() -> Message:
            # Uploaded from memory (an export holds what the user wrote): no file on disk.
            return await bot.send_document(
                chat_id,
                document.content,
                filename=document.filename,
                caption=None if long_caption or not caption else escape(caption),
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )

        _note_sent(sent, await self.with_retries(send))
        if long_caption:
            await self.send_reply(bot, chat_id, Reply(caption), sent)

    async def with_retries(self, call: Callable[[], Awaitable[T]]) -> T:
        """Retry network failures and flood waits; never retry a refusal (bad request etc.).

        The rate limiter already retries flood waits; this also covers a
        dropped connection or a timeout, where a message may rarely be sent
        twice, which is better than a safety message not being sent at all.
        """
        for attempt in range(1, self.attempts + 1):
            try:
                return await call()
            except RetryAfter as error:
                if attempt == self.attempts:
                    raise
                await asyncio.sleep(_seconds(error.retry_after))
            except BadRequest:
                raise
            except NetworkError as error:
                if attempt == self.attempts:
                    raise
                logger.warning("sending failed (%s); retrying", type(error).__name__)
                await asyncio.sleep(self.retry_delay * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    # -- "typing…" --------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def typing(self, bot: Bot, chat_id: int) -> AsyncIterator[None]:
        """Show "typing…" while a slow reply is computed; a refusal is logged and ignored.

        Nothing is sent for a reply ready within ``typing_delay`` (the common
        case: one call per reply).  On leaving, if an action is on its way, waits
        (briefly) for it, so that it cannot arrive after the reply and leave
        "typing…" showing.
        """
        first_sent = asyncio.Event()
        started = False

        async def keep_typing() -> None:
            nonlocal started
            if self.typing_delay > 0:
                await asyncio.sleep(self.typing_delay)
            started = True
            while True:
                try:
                    await bot.send_chat_action(chat_id, ChatAction.TYPING)
                except TelegramError as error:
                    logger.debug("typing action not sent: %s", type(error).__name__)
                    return
                finally:
                    first_sent.set()
                await asyncio.sleep(self.typing_interval)

        task = asyncio.create_task(keep_typing())
        try:
            yield
        finally:
            if started:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(first_sent.wait(), timeout=1.0)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- pressed buttons --------------------------------------------------------

    async def answer(self, query: CallbackQuery, text: Optional[str] = None) -> None:
        """Every callback query is answered, so the button stops spinning."""
        try:
            await query.answer(text)
        except TelegramError as error:
            logger.debug("callback query not answered: %s", type(error).__name__)

    async def close_keyboard(self, query: CallbackQuery) -> bool:
        """Remove the keyboard of a used message and note the choice under it.

        Returns False when the button was already used (its keyboard is gone), so
        an old button cannot derail a later step.  Telegram's copy of the
        message is the only record used: the bot keeps no state for this.
        """
        message = query.message
        if not isinstance(message, Message):
            return True  # inline or inaccessible message: nothing to edit
        title = chosen_title(message.reply_markup, query.data or "")
        if title is None:
            return False
        try:
            body = message.text_html if message.text else None
        except Exception:  # noqa: BLE001 - a malformed entity: fall back to removing the keyboard
            body = None
        if body is not None:
            chosen = self.copy.chosen_line(title)
            edited = f"{body}\n\n{escape(chosen)}"
            if telegram_length(f"{message.text}\n\n{chosen}") <= MAX_MESSAGE:
                try:
                    await message.edit_text(
                        edited,
                        parse_mode=ParseMode.HTML,
                        reply_markup=REMOVE_KEYBOARD,
                        link_preview_options=NO_PREVIEW,
                    )
                    return True
                except BadRequest as error:
                    if "not modified" in str(error).lower():
                        return False  # the same press, already handled
                    logger.debug("could not edit the message: %s", type(error).__name__)
                except TelegramError as error:
                    logger.debug("could not edit the message: %s", type(error).__name__)
        try:
            await message.edit_reply_markup(reply_markup=REMOVE_KEYBOARD)
        except BadRequest as error:
            if "not modified" in str(error).lower():
                return False
            logger.debug("could not remove the keyboard: %s", type(error).__name__)
        except TelegramError as error:
            logger.debug("could not remove the keyboard: %s", type(error).__name__)
        return True


def _note_sent(sent: list[int], message: Any) -> None:
    """Add a sent message's id to ``sent`` (the API answers a Message)."""
    message_id = getattr(message, "message_id", None)
    if isinstance(message_id, int) and message_id > 0:
        sent.append(message_id)


def _seconds(value: Any) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)
