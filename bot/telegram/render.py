"""Turns the core's :class:`~bot.replies.Reply` into Telegram message parts.

Pure functions, no network: escaping, splitting long text, inline keyboards.
Everything is sent in HTML parse mode with *all* text escaped, so neither what
a user wrote nor what the data says can inject markup.
"""
from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from typing import Optional

from bot.replies import Button, Reply
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

logger = logging.getLogger(__name__)

MAX_MESSAGE = 4096  # Telegram's limit for a message's text, after entity parsing
MAX_CAPTION = 1024  # Telegram's limit for a document's caption
MAX_CALLBACK_DATA = 64  # bytes
ROW_BUTTONS = 3  # at most this many buttons side by side
ROW_CHARS = 30  # and only while their titles together stay this short

_SEPARATORS = ("\n\n", "\n", ". ", " ")


def escape(text: str) -> str:
    """Escape for Telegram's HTML parse mode (which needs only &, < and >)."""
    return html.escape(text, quote=False)


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _longest_prefix(text: str, limit: int) -> int:
    """The largest index ``i`` with ``telegram_length(text[:i]) <= limit``."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Split text into chunks Telegram accepts, at paragraph, then line, then word breaks.

    A break is only used if it falls in the second half of the allowed window,
    so a chunk is never cut needlessly short; failing that, the text is cut hard.
    """
    text = text.strip()
    chunks: list[str] = []
    while text:
        if telegram_length(text) <= limit:
            chunks.append(text)
            break
        window = _longest_prefix(text, limit)
        cut = 0
        for separator in _SEPARATORS:
            position = text.rfind(separator, 0, window)
            if position >= window // 2:
                cut = position + (1 if separator == ". " else 0)
                break
        if cut <= 0:
            cut = window
        chunk, text = text[:cut].rstrip(), text[cut:].lstrip()
        if chunk:
            chunks.append(chunk)
    return chunks


def coalesce(replies: Sequence[Reply]) -> list[Reply]:
    """The replies of one turn as few Telegram messages as they allow (one call each).

    A reply's text is joined to the text of the reply before it (a blank line
    between) when the two fit in one message and at most one of them has
    buttons that call back, or when the earlier one's buttons are only links:
    the keyboard (links first) goes under the joined text.  Two sets of choices
    stay two messages, so each keyboard stays under the question it answers; a
    reply with a file or a "clear this chat" stays where it is; nothing is
    reordered.
    """
    shaped: list[Reply] = []
    for reply in replies:
        before = shaped[-1] if shaped else None
        if before is not None and _joinable(before, reply):
            joined = f"{before.text.strip()}\n\n{reply.text.strip()}"
            if telegram_length(joined) <= MAX_MESSAGE:
                shaped[-1] = Reply(joined, [*before.buttons, *reply.buttons])
                continue
        shaped.append(reply)
    return shaped


def _joinable(before: Reply, after: Reply) -> bool:
    if not before.text.strip() or not after.text.strip():
        return False
    if before.document is not None or after.document is not None or before.clear_chat or after.clear_chat:
        return False
    choices_before = any(not b.url for b in before.buttons)
    return not (choices_before and after.buttons)


def _fit_bytes(text: str, limit: int = MAX_CALLBACK_DATA) -> str:
    data = text.encode("utf-8")[:limit]
    return data.decode("utf-8", "ignore")


def callback_data_for(button: Button) -> str:
    """The callback data for a payload button: the payload, if Telegram allows it.

    Telegram limits callback data to 64 bytes.  A longer payload cannot travel
    with the button, so the button sends its title instead, and the core reads
    it as words (the same as if the user had typed it).
    """
    payload = button.payload or ""
    if payload and len(payload.encode("utf-8")) <= MAX_CALLBACK_DATA:
        return payload
    if payload:
        logger.warning(
            "button payload of %d bytes exceeds Telegram's %d-byte limit; sending its title",
            len(payload.encode("utf-8")), MAX_CALLBACK_DATA,
        )
    return _fit_bytes(button.title)


def build_keyboard(buttons: Sequence[Button]) -> Optional[InlineKeyboardMarkup]:
    """Inline keyboard for the buttons: link buttons open the URL, others call back."""
    rows: list[list[InlineKeyboardButton]] = []
    row: list[InlineKeyboardButton] = []
    row_chars = 0
    for button in buttons:
        title = button.title.strip() or button.payload
        if not title:
            continue
        if button.url:
            item = InlineKeyboardButton(title, url=button.url)
        else:
            item = InlineKeyboardButton(title, callback_data=callback_data_for(button))
        if row and (len(row) >= ROW_BUTTONS or row_chars + len(title) > ROW_CHARS):
            rows.append(row)
            row, row_chars = [], 0
        row.append(item)
        row_chars += len(title)
    if row:
        rows.append(row)
    return InlineKeyboardMarkup(rows) if rows else None


def chosen_title(markup: Optional[InlineKeyboardMarkup], data: str) -> Optional[str]:
    """The title of the callback button carrying ``data``, if the keyboard has one."""
    if markup is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return button.text
    return None
