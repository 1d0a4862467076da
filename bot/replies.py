"""The shapes the core hands to adapters: plain data, no Telegram or console types.

Adapters (console, Telegram, tests) only translate these into their own medium,
so every channel shows the same bot.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass(frozen=True)
class Button:
    """A choice offered to the user.

    ``payload`` is what is sent back as the user's message when the button is
    chosen.  ``url`` is set for link buttons (for example the force's Live Chat);
    a link button has no payload to send back.
    """

    title: str
    payload: str = ""
    url: Optional[str] = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"title": self.title, "payload": self.payload}
        if self.url:
            data["url"] = self.url
        return data


@dataclass(frozen=True)
class Document:
    """A file the bot sends (an export, a plan): its bytes and a neutral file name.

    The bytes hold what the user wrote, in clear, so they live in memory only: a
    channel uploads them (Telegram) or saves them where the person chose (the
    console); the bot never writes them to disk.  They are left out of ``repr``
    and ``to_dict``, so a log line or a JSON dump cannot carry them.
    """

    content: bytes = field(repr=False)
    filename: str
    caption: str = ""

    def to_dict(self) -> dict[str, Any]:
        """What the file is, never what it holds: its name, caption and size in bytes."""
        return {"filename": self.filename, "caption": self.caption, "size": len(self.content)}


@dataclass
class Reply:
    """One message from the bot: text, optional buttons, optional document."""

    text: str = ""
    buttons: list[Button] = field(default_factory=list)
    document: Optional[Document] = None
    #: "Clear this chat": before this reply, the channel deletes every message of the
    #: conversation it may (Telegram: its own and the person's, of the last 48 hours).
    clear_chat: bool = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.text}
        data["buttons"] = [b.to_dict() for b in self.buttons]
        if self.document:
            data["document"] = self.document.to_dict()
        if self.clear_chat:
            data["clear_chat"] = True
        return data
