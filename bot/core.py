"""The one message path every channel shares: safety guard, then the dialogue engine.

Adapters (console, Telegram, tests) turn what the user did into
``Core.handle(user_id, text)`` and show the returned :class:`Reply` list.  The
guard runs first on every message, before and independently of Rasa, so a
danger message gets "call 999" even when the engine is down or slow.
"""
from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path
from typing import Any, Optional

import yaml

from bot.desk import DiaryDesk
from bot.engine import BotMessage, DialogueEngine
from bot.facts import Facts
from bot.guard import SafetyGuard
from bot.replies import Button, Reply

logger = logging.getLogger(__name__)

COMMANDS_PATH = Path(__file__).resolve().parent.parent / "data" / "commands.yml"
_PAYLOAD = re.compile(r"^/([A-Za-z_][A-Za-z0-9_]*)(\{.*\})?$", re.DOTALL)
MAX_TEXT = 4000


def load_commands(path: Path = COMMANDS_PATH) -> list[dict[str, str]]:
    return list(yaml.safe_load(path.read_text("utf-8"))["commands"])


class Core:
    """Safety guard, command mapping, dialogue engine, and reply shaping."""

    def __init__(self, engine: DialogueEngine, guard: SafetyGuard, facts: Facts,
                 engine_timeout: float = 10.0, desk: Optional[DiaryDesk] = None) -> None:
        self.engine = engine
        self.guard = guard
        self.facts = facts
        self.engine_timeout = engine_timeout
        self.desk = desk
        self.commands = {c["command"]: c["payload"] for c in load_commands()}

    async def handle(self, user_id: str, text: str) -> list[Reply]:
        """Answer one user message.  Never raises; never returns an empty list."""
        text = (text or "").strip()
        replies: list[Reply] = []
        metadata: dict[str, Any] = {}
        rule = self.guard.match(text) if text else None
        if rule:
            logger.info("safety guard fired (rule %s)", rule)
            replies.append(Reply(self.facts.emergency_reply))
            engine_text = "/emergency"
            # Rasa gets the emergency intent; the words go along so that a note
            # being written keeps them (the guard already said "call 999").
            metadata = {"via_guard": True, "text": text[:MAX_TEXT]}
        else:
            try:
                handled = await self._diary_first(user_id, text)
            except Exception as error:  # noqa: BLE001 - the user must always get an answer
                logger.error("diary request failed: %s", type(error).__name__)
                handled = [self.error_reply()]
            if handled is not None:
                return handled
            engine_text = await self._engine_text(user_id, text)
        try:
            messages = await asyncio.wait_for(
                self.engine.handle(user_id, engine_text, metadata), self.engine_timeout
            )
            for message in messages:
                replies.extend(await self._message_replies(user_id, message))
        except Exception as error:  # noqa: BLE001 - the user must always get an answer
            logger.error("dialogue engine failed: %s", type(error).__name__)
            if not rule:
                replies.append(self.error_reply())
        replies = [r for r in replies if r.text or r.buttons or r.document]
        if not replies:
            replies.append(self.error_reply())
        return replies

    async def _diary_first(self, user_id: str, text: str) -> Optional[list[Reply]]:
        """Diary screens and quick notes the bot handles itself; None: go on to Rasa."""
        if self.desk is None:
            return None
        if text.startswith("diary:"):
            return await self.desk.handle_payload(user_id, text)
        quick = re.match(r"^/note(?:@\w+)?\s+(.+)$", text, re.DOTALL)
        if quick:
            return await self.desk.quick_note(user_id, quick.group(1).strip())
        try:
            if not text.startswith("/"):
                return await self.desk.pending_input(user_id, text)
            await self.desk.cancel_pending(user_id)
        except Exception as error:  # noqa: BLE001 - a store fault must not stop the chat
            logger.error("checking for a pending edit failed: %s", type(error).__name__)
        return None

    async def _message_replies(self, user_id: str, message: BotMessage) -> list[Reply]:
        custom = message.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("diary"), dict):
            if self.desk is None:
                return []
            return await self.desk.execute(user_id, custom["diary"])
        return [self._to_reply(message)]

    async def handle_attachment(self, user_id: str, kind: str, file_id: str, filename: str,
                                mime_type: str, content: bytes) -> list[Reply]:
        """A photo, screenshot, document or voice note sent as evidence."""
        if self.desk is None:
            return [self.error_reply()]
        try:
            return await self.desk.attachment(user_id, kind, file_id, filename, mime_type, content)
        except Exception as error:  # noqa: BLE001
            logger.error("keeping an attachment failed: %s", type(error).__name__)
            return [Reply(f"{self.desk.copy['save_failed']}")]

    async def _engine_text(self, user_id: str, text: str) -> str:
        """Map slash commands and button payloads; keep anything else as text."""
        if not text:
            return "/nlu_fallback"
        match = _PAYLOAD.match(text.split("@", 1)[0] if text.startswith("/") else text)
        if not match:
            return text[:MAX_TEXT]
        name = match.group(1)
        if name in self.commands:
            if name == "start":
                await asyncio.wait_for(self.engine.reset(user_id), self.engine_timeout)
            return self.commands[name]
        if name in self.engine.intents and name not in {"restart", "session_start", "back"}:
            return text[:MAX_TEXT]
        # An unknown command or a forged payload: let NLU read it as words.
        return text.lstrip("/")[:MAX_TEXT] or "/nlu_fallback"

    def _to_reply(self, message: BotMessage) -> Reply:
        text = self.facts.render(str(message.get("text") or ""))
        buttons: list[Button] = []
        for raw in message.get("buttons") or []:
            title = self.facts.render(str(raw.get("title", "")))
            payload = self.facts.render(str(raw.get("payload", "")))
            if payload.startswith(("http://", "https://")):
                buttons.append(Button(title=title, url=payload))
            else:
                buttons.append(Button(title=title, payload=payload))
        return Reply(text=text, buttons=buttons)

    def error_reply(self) -> Reply:
        """What the user sees when something failed: an apology and the help line."""
        return Reply(f"{self.facts.error_reply}\n\n{self.facts.help_line}")

    def help_line(self) -> str:
        return self.facts.help_line

    def signal_danger(self, text: str) -> Optional[str]:
        return self.guard.match(text)
