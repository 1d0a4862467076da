"""Telegram updates in, the core's replies out: the adapter's handlers.

The adapter only translates.  A message or a pressed button becomes
``core.handle(user_id, text_or_payload)``; the returned replies become Telegram
messages.  It keeps no dialogue state and makes no dialogue decisions: the
conversation belongs to the core (safety guard, then Rasa), so Telegram, the
console and the tests all see the same bot.

Two privacy rules hold everywhere in this module:

* a log line never contains what a user wrote (we log kinds and error types);
* nothing a user sends is kept here: photos and files go to an attachment
  sink (the incident log will plug in there), everything else is answered and
  forgotten.  Only the ids and times of a private chat's messages are noted
  (:class:`bot.diary.trail.MessageTrail`, 48 hours), so that "Clear this chat"
  can delete them.

One Bot API call per reply on the common path: the replies of a turn are sent as
few messages as Telegram allows (:func:`bot.telegram.render.coalesce`; a short
text goes with its file as the caption), "typing…" is sent only when a reply
takes longer than ``typing_delay`` (a second), and a pressed button's callback
is answered beside the work, not before it.
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Optional, Protocol, TypeVar

from bot.diary.trail import MessageTrail, batches
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
from telegram import (
    Bot,
    CallbackQuery,
    ChatMember,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
Context = ContextTypes.DEFAULT_TYPE

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
REMOVE_KEYBOARD = InlineKeyboardMarkup([])

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
#: Attachments that may be evidence: routed to :meth:`TelegramAdapter.on_attachment`.
ATTACHMENT_KINDS = ("photo", "document", "video", "voice", "audio")

#: Button payloads that clear the chat: their message is deleted, so it is not edited first.
CLEARING_PAYLOADS = frozenset({"/clear_chat", "diary:clear", "diary:clear_done", "diary:forget_clear"})
#: "Delete everything": the ids still waiting are written first, so the forget deletes them too.
FORGET_PAYLOADS = frozenset({"diary:forget_yes"})
#: A typed "Clear this chat".
_CLEAR_COMMAND = re.compile(r"^/clear(?:_chat)?(?:@\w+)?$")
#: "typing…" only for a reply slower than this (seconds): a quick reply costs one call.
TYPING_DELAY = 1.0
#: Message ids are written to the trail in one transaction at most this often (seconds),
#: not one write per turn; "Clear this chat" and shutdown write what is waiting first.
NOTE_EVERY = 0.5

#: Updates the bot asks Telegram for.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member", "channel_post"]


class CoreLike(Protocol):
    """What the adapter needs from :class:`bot.core.Core`."""

    async def handle(self, user_id: str, text: str) -> list[Reply]: ...

    def error_reply(self) -> Reply: ...

    def help_line(self) -> str: ...


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


class TelegramAdapter:
    """All handlers, registered in one place by :meth:`register`."""

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
        self.attachment_sink = attachment_sink
        self.send_attempts = max(1, send_attempts)
        self.retry_delay = retry_delay
        self.typing_interval = typing_interval
        self.typing_delay = typing_delay
        #: Message ids and times of private chats, for "Clear this chat" (None: not kept).
        self.trail = trail
        self.note_every = note_every
        #: Ids not yet written to the trail, by user id (ids only: no content).
        self._unsaved: dict[str, list[int]] = {}
        self._writing: Optional[asyncio.Task[None]] = None
        self._write_lock = asyncio.Lock()  # a reader of the trail waits for a write in flight
        # Ids of groups/channels already told that the bot works only in private
        # chats.  The bot leaves such a chat right after telling it, which is what
        # makes "once" hold across restarts and replicas; this bounded set only
        # stops repeats while leaving fails.  It holds chat ids, never content.
        self._told_chats: OrderedDict[int, None] = OrderedDict()
        self._told_chats_limit = told_chats_limit

    # -- registration ---------------------------------------------------------

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

    # -- private chats: the conversation --------------------------------------

    async def on_text(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None or message.text is None:
            return
        await self.converse(update, context.bot, message.text, incoming=[message.message_id])

    async def on_callback(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None:
            return
        chat = update.effective_chat
        if not query.data or (chat is not None and chat.type != ChatType.PRIVATE):
            await self._answer(query)
            return
        message = query.message
        if isinstance(message, Message) and chosen_title(message.reply_markup, query.data) is None:
            await self._answer(query, self.copy.stale_button)  # its keyboard is gone: used before
            return
        if query.data not in CLEARING_PAYLOADS:  # a message about to be deleted is not edited
            try:
                fresh = await self._close_keyboard(query)
            except Exception:
                await self._answer(query)
                raise
            if not fresh:  # the same press twice: the first closed the keyboard
                await self._answer(query, self.copy.stale_button)
                return
        # Telegram wants every press answered (the button spins until then); the answer
        # carries nothing here, so it goes beside the work instead of before it.
        answering = asyncio.create_task(self._answer(query))
        try:
            await self.converse(update, context.bot, query.data)
        finally:
            await answering

    async def on_edited(self, update: Update, context: Context) -> None:
        """An edit is not a new message; only a danger signal in it is acted on."""
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None:
            return
        text = message.text or message.caption or ""
        if text and self._signals_danger(text):
            await self.converse(update, context.bot, text)
            return
        user_id = str(update.effective_user.id) if update.effective_user else str(chat.id)
        await self.deliver(context.bot, chat.id, user_id, [Reply(self.copy.edited_message)])

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
        replies: list[Reply] = []
        async with self._typing(context.bot, chat.id):
            if attachment.caption and self._signals_danger(attachment.caption):
                # The alert stays a message of its own: never joined to what follows.
                replies.extend(coalesce(await self.core.handle(str(user.id), attachment.caption)))
            replies.extend(coalesce(await self.on_attachment(context.bot, str(user.id), attachment)))
        await self.deliver(context.bot, chat.id, str(user.id), replies, [message.message_id],
                           join=False)

    async def on_attachment(self, bot: Bot, user_id: str, attachment: Attachment) -> list[Reply]:
        """The hook for photos, files and videos: the incident log plugs in here.

        Without an ``attachment_sink`` (see ``bot.telegram.attachments``),
        nothing is kept and the user is told so (copy in ``data/telegram.yml``).
        """
        if self.attachment_sink is not None:
            return await self.attachment_sink(bot, user_id, attachment)
        return [Reply(self.copy.attachment_received)]

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
        await self.deliver(context.bot, chat.id, user_id, [Reply(self.copy.unsupported_reply(kind))],
                           [message.message_id])

    async def converse(self, update: Update, bot: Bot, text: str,
                       incoming: Sequence[int] = ()) -> None:
        """The one path: the user's text or payload to the core, its replies back."""
        user = update.effective_user
        chat = update.effective_chat
        if user is None:
            return
        chat_id = chat.id if chat is not None else user.id
        # A request that clears the chat reads the ids first: "delete everything and
        # clear this chat" deletes them from the trail with the rest of the person's data.
        known = (await self._deletable(str(user.id))
                 if text in CLEARING_PAYLOADS or _CLEAR_COMMAND.match(text) else [])
        if text in FORGET_PAYLOADS:
            await self.flush_notes()
        async with self._typing(bot, chat_id):
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
                await self.clear_chat(bot, chat_id, user_id, noted)
                noted = []
            await self.send_replies(bot, chat_id, replies, sent, join=join)
        finally:
            await self._note(user_id, [*noted, *sent])

    async def clear_chat(self, bot: Bot, chat_id: int, user_id: str,
                         also: Sequence[int] = ()) -> int:
        """Delete every message of the chat the bot may: the trail's ids of the last 48 hours.

        Telegram's ``deleteMessages`` takes up to 100 ids a call and skips those it
        cannot find.  A refused batch is tried one message at a time, so one
        message Telegram refuses does not keep the others.  The ids are then
        forgotten, deleted or not (a message Telegram refuses now it refuses later).
        """
        ids = {int(i) for i in also if i}
        ids.update(await self._deletable(user_id))
        deleted = 0
        for batch in batches(ids):
            try:
                await self._with_retries(functools.partial(bot.delete_messages, chat_id, batch))
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

    async def _deletable(self, user_id: str) -> list[int]:
        """The trail's ids Telegram still lets the bot delete; [] without a trail or on a fault."""
        if self.trail is None:
            return []
        await self.flush_notes()
        try:
            return list(await asyncio.to_thread(self.trail.deletable, user_id))
        except Exception as error:  # noqa: BLE001 - delete what we know of
            logger.error("reading the message trail failed: %s", type(error).__name__)
            return []

    async def _note(self, user_id: str, message_ids: Sequence[int]) -> None:
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

    # -- groups, supergroups and channels: refused ----------------------------

    async def on_my_chat_member(self, update: Update, context: Context) -> None:
        change = update.my_chat_member
        if change is None or change.chat.type == ChatType.PRIVATE:
            return
        status = change.new_chat_member.status
        if status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.RESTRICTED):
            self._told_chats.pop(change.chat.id, None)  # added (again): tell this time too
            await self._refuse_chat(context.bot, change.chat.id)

    async def on_shared_chat(self, update: Update, context: Context) -> None:
        chat = update.effective_chat
        if chat is None or chat.id in self._told_chats:
            return
        await self._refuse_chat(context.bot, chat.id)

    async def _refuse_chat(self, bot: Bot, chat_id: int) -> None:
        """Say once that the bot works only in private chats, then leave the chat."""
        self._told_chats[chat_id] = None
        while len(self._told_chats) > self._told_chats_limit:
            self._told_chats.popitem(last=False)
        logger.info("refusing a shared chat")
        try:
            await self.send_replies(bot, chat_id, [Reply(self.copy.group_refusal)])
        except TelegramError as error:
            logger.warning("could not post the private-chat notice: %s", type(error).__name__)
        try:
            await bot.leave_chat(chat_id)
        except TelegramError as error:
            logger.warning("could not leave a shared chat: %s", type(error).__name__)

    # -- errors ---------------------------------------------------------------

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
            await self.deliver(context.bot, chat.id, str(chat.id), [self.core.error_reply()])
        except Exception as failure:  # noqa: BLE001 - the error handler must not raise
            logger.error("could not send the error reply: %s", type(failure).__name__)

    # -- sending --------------------------------------------------------------

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
            return await self._with_retries(
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
            return await self._with_retries(
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

        _note_sent(sent, await self._with_retries(send))
        if long_caption:
            await self.send_reply(bot, chat_id, Reply(caption), sent)

    async def _with_retries(self, call: Callable[[], Awaitable[T]]) -> T:
        """Retry network failures and flood waits; never retry a refusal (bad request etc.).

        The rate limiter already retries flood waits; this also covers a
        dropped connection or a timeout, where a message may rarely be sent
        twice, which is better than a safety message not being sent at all.
        """
        for attempt in range(1, self.send_attempts + 1):
            try:
                return await call()
            except RetryAfter as error:
                if attempt == self.send_attempts:
                    raise
                await asyncio.sleep(_seconds(error.retry_after))
            except BadRequest:
                raise
            except NetworkError as error:
                if attempt == self.send_attempts:
                    raise
                logger.warning("sending failed (%s); retrying", type(error).__name__)
                await asyncio.sleep(self.retry_delay * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    # -- pressed buttons ------------------------------------------------------

    async def _answer(self, query: CallbackQuery, text: Optional[str] = None) -> None:
        """Every callback query is answered, so the button stops spinning."""
        try:
            await query.answer(text)
        except TelegramError as error:
            logger.debug("callback query not answered: %s", type(error).__name__)

    async def _close_keyboard(self, query: CallbackQuery) -> bool:
        """Remove the keyboard of a used message and note the choice under it.

        Returns False when the button was already used (its keyboard is gone), so
        an old button cannot derail a later step.  Telegram's copy of the
        message is the only record used: the adapter keeps no state for this.
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

    # -- helpers --------------------------------------------------------------

    def _signals_danger(self, text: str) -> bool:
        signal = getattr(self.core, "signal_danger", None)
        if not callable(signal):
            return False
        try:
            return bool(signal(text))
        except Exception:  # noqa: BLE001 - a broken check must not stop the answer
            logger.error("danger check failed")
            return False

    @contextlib.asynccontextmanager
    async def _typing(self, bot: Bot, chat_id: int) -> AsyncIterator[None]:
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


def _note_sent(sent: list[int], message: Any) -> None:
    """Add a sent message's id to ``sent`` (the API answers a Message)."""
    message_id = getattr(message, "message_id", None)
    if isinstance(message_id, int) and message_id > 0:
        sent.append(message_id)


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


def _seconds(value: Any) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)
