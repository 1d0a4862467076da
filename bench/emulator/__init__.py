"""A Telegram for tests and benchmarks: the telegram-test-api emulator, a mending proxy, and users.

::

    TelegramUser ──HTTP client API──> emulator (node, telegram-test-api 4.2.1)
                                          ^   │ webhook POSTs
    bot (PTB, in-process) ──Bot API──> BotApiProxy ──┘ (and on to the bot, with the secret)

Used by the end-to-end tests (``tests/e2e/harness.py`` re-exports it) and by the
Telegram load benchmark (``bench/telegram_load.py``); it imports nothing of the bot.
``process`` runs the emulator, ``proxy`` (with ``files``) is the mending proxy,
``mending`` holds what it mends, ``user`` plays a person.

The emulator speaks a Bot API close to Telegram's, but not close enough for
python-telegram-bot 22.8.  :class:`BotApiProxy` sits between the bot and the
emulator and mends the departures, so production code talks plain Bot API:

* ``getMe`` lacks ``is_bot`` (a required field): added.
* message ``date`` comes back in milliseconds: turned into seconds, everywhere.
* updates carry the emulator's own ``botToken`` field: removed.
* callback queries lack ``chat_instance`` (and, from the emulator's own client
  helper, the message's ``message_id``/``date``): filled in.
* ``getUpdates`` answers at once, ignoring the long-poll ``timeout`` (and
  ``offset``: it marks updates read when it hands them out): the proxy waits
  (briefly) for updates, like Telegram does, instead of letting PTB spin.
* ``sendMessage`` echoes the request's parameters, as strings, into the Message
  it returns (``link_preview_options`` as a string breaks PTB): only Message
  fields are kept.
* ``editMessageText``/``editMessageReplyMarkup``/``answerCallbackQuery``/
  ``setWebhook`` answer ``result: null``, which PTB cannot read as a Message:
  answered ``true`` (what the Bot API returns for edits it has no message for).
* ``setWebhook`` is remembered but the emulator POSTs updates *without* the
  ``X-Telegram-Bot-Api-Secret-Token`` header: the proxy registers itself as the
  webhook and forwards each update to the bot's URL with the secret, as Telegram
  does.
* ``leaveChat`` is missing: the proxy answers it and, like Telegram, delivers no
  more updates from a chat the bot has left.
* ``deleteMessages`` (up to 100 ids) is missing: the proxy deletes each id with
  the emulator's own ``deleteMessage``, from its storage, as Telegram does (ids
  it cannot find are skipped).  The emulator's ``deleteMessage`` removes the
  first stored update with that id and chat; a button press is stored with the
  id the next message gets, so each id is deleted until none is left.  Every
  deleted id is kept in :attr:`BotApiProxy.deleted`.

Files, which the emulator does not know at all, are emulated by the proxy:

* ``getFile`` answers for files a test user "sent" (:meth:`BotApiProxy.host_file`,
  or :meth:`TelegramUser.send_photo` and friends) with a ``file_path``, and the
  file download URL (``<proxy>/file/bot<token>/<file_path>``, the bot's
  ``base_file_url``) serves their bytes, so the bot downloads real content.  An
  unknown ``file_id`` (or another bot's) gets Telegram's ``400 invalid file_id``.
* ``sendDocument`` (a multipart upload) is read by the proxy: the file name, type,
  bytes and caption are kept in :attr:`BotApiProxy.documents`, the document is
  stored in the emulator as a bot message of the chat (so the user sees it in
  order with the text), and the bot gets a Message with a ``document``.

Two more are mended in ``tests/e2e/emulator.js``: messages are kept 3600 s (not 60), and
a webhook POST that fails no longer ends the node process (an unhandled
promise rejection).  Not mended, as PTB does not mind: the Message the emulator
returns always says its chat is private.

Methods the emulator lacks and Telegram has (``setMyCommands``,
``sendChatAction``) are deliberately *not* mended: the emulator refuses them,
which tests that the bot logs such a refusal and carries on.  The proxy records
every call, so tests can still see that the bot asked.
"""
from __future__ import annotations

from bench.emulator.mending import (
    BOT_USER,
    MESSAGE_FIELDS,
    SECRET_HEADER,
    ApiCall,
    HostedFile,
    JSONDict,
    SentDocument,
    Webhook,
    mend,
    mend_result,
    mend_update,
    update_chat_id,
)
from bench.emulator.process import (
    E2E_DIR,
    EMULATOR_PACKAGE,
    EMULATOR_SCRIPT,
    Emulator,
    ensure_emulator_installed,
    free_port,
)
from bench.emulator.proxy import BotApiProxy
from bench.emulator.user import BotMessage, Predicate, TelegramUser, last_with_buttons, with_buttons

__all__ = [
    "BOT_USER", "E2E_DIR", "EMULATOR_PACKAGE", "EMULATOR_SCRIPT", "MESSAGE_FIELDS", "SECRET_HEADER",
    "ApiCall", "BotApiProxy", "BotMessage", "Emulator", "HostedFile", "JSONDict", "Predicate",
    "SentDocument", "TelegramUser", "Webhook", "ensure_emulator_installed", "free_port",
    "last_with_buttons", "mend", "mend_result", "mend_update", "update_chat_id", "with_buttons",
]
