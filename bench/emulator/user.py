"""The user's side: a person in one chat driving the emulator's client API, and the bot's messages."""
from __future__ import annotations

import asyncio
import html
import json
import mimetypes
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import aiohttp

from bench.emulator.mending import _TAG, BOT_USER, HostedFile, JSONDict, SentDocument, _seconds
from bench.emulator.proxy import BotApiProxy


@dataclass
class BotMessage:
    """A message the bot sent, as the emulator stored it (edits applied when re-read)."""

    message_id: int
    chat_id: int
    date: int
    raw_text: str
    parse_mode: Optional[str]
    reply_markup: Optional[JSONDict]
    raw: JSONDict = field(repr=False, default_factory=dict)

    @classmethod
    def from_store(cls, item: JSONDict) -> BotMessage:
        message = item["message"]
        markup = message.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        return cls(
            message_id=int(item["messageId"]),
            chat_id=int(message["chat_id"]),
            date=_seconds(int(item["time"])),
            raw_text=str(message.get("text", "")),
            parse_mode=message.get("parse_mode"),
            reply_markup=markup,
            raw=item,
        )

    @property
    def text(self) -> str:
        """What the user sees: HTML parsed as Telegram parses it."""
        if (self.parse_mode or "").upper() == "HTML":
            return html.unescape(_TAG.sub("", self.raw_text))
        return self.raw_text

    @property
    def document(self) -> Optional[JSONDict]:
        """The document the message carries (``file_name``, ``mime_type``...), if any."""
        document = self.raw.get("message", {}).get("document")
        return document if isinstance(document, dict) else None

    @property
    def buttons(self) -> list[JSONDict]:
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]

    @property
    def titles(self) -> list[str]:
        return [b["text"] for b in self.buttons]

    def button(self, title: str) -> JSONDict:
        """The button whose title is ``title`` (or, failing that, contains it; any case)."""
        for button in self.buttons:
            if button["text"] == title:
                return button
        for button in self.buttons:
            if title.lower() in button["text"].lower():
                return button
        raise AssertionError(f"no button {title!r} in {self.titles}")

    def as_telegram(self, chat: JSONDict) -> JSONDict:
        """The message as Telegram puts it in a callback query."""
        message: JSONDict = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": chat,
            "from": dict(BOT_USER),
            "text": self.text,
        }
        if self.reply_markup is not None:
            message["reply_markup"] = self.reply_markup
        return message


Predicate = Callable[[list[BotMessage]], bool]


class TelegramUser:
    """A person in one chat with the bot, driving the emulator's client HTTP API."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        emulator_url: str,
        token: str,
        user_id: int,
        *,
        chat_id: Optional[int] = None,
        chat_type: str = "private",
        title: Optional[str] = None,
        first_name: str = "Sam",
        files: Optional[BotApiProxy] = None,
    ) -> None:
        self.session = session
        self.files = files  # where the files this person sends are held
        self.url = emulator_url.rstrip("/")
        self.token = token
        self.user = {"id": user_id, "is_bot": False, "first_name": first_name,
                     "username": f"user{user_id}"}
        self.chat: JSONDict = {"id": chat_id if chat_id is not None else user_id,
                               "type": chat_type}
        if chat_type == "private":
            self.chat.update(first_name=first_name, username=f"user{user_id}")
        else:
            self.chat["title"] = title or "A group"

    @property
    def chat_id(self) -> int:
        return int(self.chat["id"])

    async def _post(self, path: str, payload: JSONDict) -> Any:
        async with self.session.post(f"{self.url}{path}", json=payload) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    def _message(self, **fields: Any) -> JSONDict:
        return {"botToken": self.token, "from": self.user, "chat": self.chat,
                "date": int(time.time()), **fields}

    async def say(self, text: str) -> None:
        """Send a text message (a command, with its ``bot_command`` entity, if it is one)."""
        if text.startswith("/"):
            length = len(text.split()[0])
            entities = [{"offset": 0, "length": length, "type": "bot_command"}]
            await self._post("/sendCommand", self._message(text=text, entities=entities))
        else:
            await self._post("/sendMessage", self._message(text=text))

    async def send(self, **fields: Any) -> None:
        """Send any other kind of message: ``sticker={...}``, ``photo=[...]``..."""
        await self._post("/sendMessage", self._message(**fields))

    def _host(self, content: bytes, kind: str, suffix: str) -> HostedFile:
        assert self.files is not None, "this user was made without a file host (files=)"
        return self.files.host_file(self.token, content, kind=kind, suffix=suffix)

    async def send_photo(self, content: bytes, *, caption: Optional[str] = None,
                         width: int = 1280, height: int = 960) -> HostedFile:
        """Send a photo whose bytes the bot can download (Telegram's sizes: a thumbnail, the photo)."""
        thumb = self._host(content[: max(1, len(content) // 8)], "photo", ".jpg")
        hosted = self._host(content, "photo", ".jpg")
        sizes = [
            {"file_id": thumb.file_id, "file_unique_id": thumb.file_unique_id,
             "width": max(1, width // 8), "height": max(1, height // 8), "file_size": thumb.size},
            {"file_id": hosted.file_id, "file_unique_id": hosted.file_unique_id,
             "width": width, "height": height, "file_size": hosted.size},
        ]
        fields: JSONDict = {"photo": sizes}
        if caption:
            fields["caption"] = caption
        await self.send(**fields)
        return hosted

    async def send_document(self, content: bytes, file_name: str, *,
                            mime_type: Optional[str] = None,
                            caption: Optional[str] = None) -> HostedFile:
        """Send a file whose bytes the bot can download."""
        hosted = self._host(content, "document", Path(file_name).suffix)
        document = {"file_id": hosted.file_id, "file_unique_id": hosted.file_unique_id,
                    "file_name": file_name, "file_size": hosted.size,
                    "mime_type": mime_type or mimetypes.guess_type(file_name)[0]
                    or "application/octet-stream"}
        fields: JSONDict = {"document": document}
        if caption:
            fields["caption"] = caption
        await self.send(**fields)
        return hosted

    async def send_voice(self, content: bytes, *, duration: int = 3) -> HostedFile:
        """Send a voice note whose bytes the bot can download."""
        hosted = self._host(content, "voice", ".oga")
        await self.send(voice={"file_id": hosted.file_id, "file_unique_id": hosted.file_unique_id,
                               "duration": duration, "mime_type": "audio/ogg",
                               "file_size": hosted.size})
        return hosted

    def documents(self) -> list[SentDocument]:
        """Every document the bot sent to this chat, as uploaded (name, type, bytes)."""
        assert self.files is not None, "this user was made without a file host (files=)"
        return self.files.documents_to(self.token, self.chat_id)

    async def press(self, message: BotMessage, title: str) -> None:
        """Press an inline button of ``message`` (a callback query, as Telegram sends it)."""
        button = message.button(title)
        assert "callback_data" in button, f"{button} is not a callback button"
        await self._post("/sendCallback", {
            "botToken": self.token,
            "from": self.user,
            "message": message.as_telegram(self.chat),
            "data": button["callback_data"],
        })

    async def press_data(self, data: str, message: BotMessage, *, forge_keyboard: bool = False) -> None:
        """A callback query with ``data`` of the user's choosing, as a tampering client sends.

        ``message`` is the message the query claims to come from.  With
        ``forge_keyboard`` its keyboard is replaced by one button carrying ``data``
        too (a client that forges the message as well as the data).
        """
        claimed = message.as_telegram(self.chat)
        if forge_keyboard:
            claimed["reply_markup"] = {"inline_keyboard": [[{"text": "Open", "callback_data": data}]]}
        await self._post("/sendCallback", {
            "botToken": self.token,
            "from": self.user,
            "message": claimed,
            "data": data,
        })

    async def replies(
        self,
        *,
        until: Optional[Predicate] = None,
        settle: float = 0.35,
        timeout: float = 30.0,
        expect_none: bool = False,
    ) -> list[BotMessage]:
        """The bot's new messages in this chat, once it has gone quiet.

        Waits for at least one message (and for ``until``, if given), then until
        no new message came for ``settle`` seconds.  With ``expect_none`` it
        waits ``settle`` seconds and returns whatever came (normally nothing).
        """
        received: list[BotMessage] = []
        deadline = time.monotonic() + (settle if expect_none else timeout)
        last_new = time.monotonic()
        while True:
            data = await self._post("/getUpdates", {"token": self.token, "chatId": self.chat_id})
            fresh = [BotMessage.from_store(item) for item in data.get("result") or []]
            now = time.monotonic()
            if fresh:
                received.extend(fresh)
                last_new = now
            done = bool(received) and (until is None or until(received))
            if done and now - last_new >= settle:
                return received
            if now >= deadline:
                if expect_none:
                    return received
                seen = [m.text[:120] for m in received]
                raise AssertionError(f"the bot did not answer as expected in {timeout}s: {seen}")
            await asyncio.sleep(0.05)

    async def ask(self, text: str, **wait: Any) -> list[BotMessage]:
        await self.say(text)
        return await self.replies(**wait)

    async def choose(self, message: BotMessage, title: str, **wait: Any) -> list[BotMessage]:
        await self.press(message, title)
        return await self.replies(**wait)

    async def history(self) -> list[BotMessage]:
        """Every message the bot sent to this chat, as it is now (edits applied)."""
        data = await self._post("/getUpdatesHistory", {"token": self.token})
        return [
            BotMessage.from_store(item)
            for item in data.get("result") or []
            if "chat_id" in item.get("message", {})
            and str(item["message"]["chat_id"]) == str(self.chat_id)
        ]

    async def stored_messages(self) -> list[JSONDict]:
        """Every message of this chat the emulator holds, both ways (button presses are not
        messages): ``{"message_id", "from_bot", "time"}``, oldest first."""
        data = await self._post("/getUpdatesHistory", {"token": self.token})
        held = []
        for item in data.get("result") or []:
            if "callbackQuery" in item:
                continue
            message = item.get("message") or {}
            if "chat_id" in message:
                chat, from_bot = message["chat_id"], True
            else:
                chat, from_bot = (message.get("chat") or {}).get("id"), False
            if str(chat) == str(self.chat_id):
                held.append({"message_id": int(item["messageId"]), "from_bot": from_bot,
                             "time": int(item["time"])})
        return held

    async def current(self, message: BotMessage) -> BotMessage:
        for stored in await self.history():
            if stored.message_id == message.message_id:
                return stored
        raise AssertionError(f"message {message.message_id} is gone")


def with_buttons(messages: list[BotMessage]) -> bool:
    return any(m.buttons for m in messages)


def last_with_buttons(messages: list[BotMessage]) -> BotMessage:
    for message in reversed(messages):
        if message.buttons:
            return message
    raise AssertionError(f"no message with buttons in {[m.text[:80] for m in messages]}")
