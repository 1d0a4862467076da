"""What the emulator says differently from the Bot API, mended; and the records the proxy keeps."""
from __future__ import annotations

import contextlib
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Optional

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BOT_USER = {"id": 666, "is_bot": True, "first_name": "Test First name", "username": "TestNameBot"}
MESSAGE_FIELDS = {"message_id", "date", "chat", "from", "text", "reply_markup"}
_TAG = re.compile(r"<[^>]+>")

JSONDict = dict[str, Any]


@dataclass
class ApiCall:
    token: str
    method: str
    params: JSONDict

    def json_param(self, name: str) -> Any:
        value = self.params.get(name)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return json.loads(value)
        return value


@dataclass
class Webhook:
    url: str
    secret: Optional[str]


@dataclass
class HostedFile:
    """A file the emulated Telegram holds: what ``getFile`` describes and the download serves."""

    token: str
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.content)

    def as_file(self) -> JSONDict:
        """The Bot API ``File`` object."""
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id,
                "file_size": self.size, "file_path": self.file_path}


@dataclass
class SentDocument:
    """A document the bot uploaded with ``sendDocument``, as the proxy received it."""

    token: str
    chat_id: int
    filename: str
    mime_type: str
    content: bytes = field(repr=False)
    caption: Optional[str] = None
    message_id: Optional[int] = None


def _seconds(value: Any) -> Any:
    return value // 1000 if isinstance(value, int) and value > 100_000_000_000 else value


def mend(value: Any) -> Any:
    """Recursively: dates to seconds, the emulator's ``botToken`` field removed."""
    if isinstance(value, dict):
        return {
            key: (_seconds(item) if key in ("date", "edit_date") else mend(item))
            for key, item in value.items()
            if key != "botToken"
        }
    if isinstance(value, list):
        return [mend(item) for item in value]
    return value


def mend_update(update: JSONDict) -> JSONDict:
    update = mend(update)
    query = update.get("callback_query")
    if isinstance(query, dict):
        message = query.get("message")
        chat_id = (message or {}).get("chat", {}).get("id", query.get("from", {}).get("id"))
        query.setdefault("chat_instance", f"ci{chat_id}")
        if isinstance(message, dict):
            message.setdefault("message_id", 0)
            message.setdefault("date", int(time.time()))
    return update


def update_chat_id(update: JSONDict) -> Optional[int]:
    for key in ("message", "edited_message", "channel_post", "edited_channel_post"):
        if isinstance(update.get(key), dict):
            return update[key].get("chat", {}).get("id")
    query = update.get("callback_query")
    if isinstance(query, dict) and isinstance(query.get("message"), dict):
        return query["message"].get("chat", {}).get("id")
    return None



def mend_result(method: str, data: Any) -> Any:
    """What the emulator answered, as the Bot API would have."""
    data = mend(data)
    if not isinstance(data, dict) or "result" not in data:
        return data
    result = data["result"]
    if method == "getMe" and isinstance(result, dict):
        result.setdefault("is_bot", True)
        result.setdefault("can_join_groups", True)
        result.setdefault("can_read_all_group_messages", False)
        result.setdefault("supports_inline_queries", False)
    elif result is None:
        data["result"] = True
    elif method.startswith("send") and isinstance(result, dict):
        # The emulator echoes the request's parameters (as strings) into the
        # Message it returns; keep only what a Message has.
        message = {k: v for k, v in result.items() if k in MESSAGE_FIELDS}
        if not isinstance(message.get("reply_markup"), dict):
            message.pop("reply_markup", None)
        message.setdefault("from", dict(BOT_USER))
        data["result"] = message
    return data
