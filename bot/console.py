"""The local console chat: the same core as Telegram, in a terminal or a pipe.

Two forms:
* interactive: a prompt, buttons shown as numbered options; typing a number or
  a button's title picks it;
* ``--jsonl``: one message per stdin line, exactly one JSON line per input on
  stdout (``{"in": ..., "out": [...]}``), for scripts and tests.  Everything
  else (logs, library chatter) goes to stderr.

"Clear this chat" (``/clear``) has no Telegram messages to delete here: the
console says what it would delete in Telegram (this session's messages, both
ways, since the start or the last clear), then shows the same steps.

In both, ``/attach PATH`` sends a local file as evidence, as a Telegram user
sends a photo or a file: the same size limit (refused before it is read, as
Telegram's is before the download) and the same screens.  The kind comes from
the file's type: an image is a photo, ``audio/ogg`` a voice note, a video a
video, anything else a document.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import mimetypes
import re
import sys
from pathlib import Path
from typing import Optional, TextIO

from bot.core import Core
from bot.diary.store import MAX_ATTACHMENT_BYTES
from bot.replies import Button, Reply

_ATTACH = re.compile(r"^/attach(?:\s+(.*))?$", re.DOTALL)


class ButtonMemory:
    """The buttons last shown, so a typed number or title selects one."""

    def __init__(self) -> None:
        self.buttons: list[Button] = []

    def remember(self, replies: list[Reply]) -> None:
        shown = [b for r in replies for b in r.buttons if b.payload]
        if shown:
            self.buttons = shown

    def resolve(self, text: str, by_number: bool) -> str:
        stripped = text.strip()
        if by_number and stripped.isdigit():
            index = int(stripped) - 1
            if 0 <= index < len(self.buttons):
                return self.buttons[index].payload
        for button in self.buttons:
            if stripped.casefold() == button.title.casefold():
                return button.payload
        return text


def format_reply(reply: Reply, start: int) -> tuple[str, int]:
    """A reply as console text; payload buttons numbered from ``start``."""
    lines = [reply.text] if reply.text else []
    number = start
    for button in reply.buttons:
        if button.url:
            lines.append(f"   🔗 {button.title}: {button.url}")
        else:
            lines.append(f"   {number}) {button.title}")
            number += 1
    if reply.document:
        lines.append(f"   📎 {reply.document.filename}: {reply.document.path}")
    return "\n".join(lines), number


def attachment_kind(mime_type: str) -> str:
    """What Telegram would call a file of this type."""
    if mime_type.startswith("image/"):
        return "photo"
    if mime_type == "audio/ogg":
        return "voice"
    if mime_type.startswith("video/"):
        return "video"
    return "document"


async def attach_file(core: Core, user_id: str, raw_path: str) -> list[Reply]:
    """``/attach PATH``: the file at PATH as evidence, exactly as if sent on Telegram."""
    desk = core.desk
    if desk is None:
        return [core.error_reply()]
    path_text = raw_path.strip()
    if len(path_text) >= 2 and path_text[0] == path_text[-1] and path_text[0] in "'\"":
        path_text = path_text[1:-1]
    if not path_text:
        return [Reply(desk.copy["console_attach_usage"])]
    path = Path(path_text).expanduser()
    try:
        size = path.stat().st_size if path.is_file() else -1
    except OSError:
        size = -1
    if size < 0:
        return [Reply(desk.copy["console_attach_missing"])]
    if size > MAX_ATTACHMENT_BYTES:  # Telegram's limit: refused before it is read
        return [desk.too_big(size)]
    try:
        content = await asyncio.to_thread(path.read_bytes)
    except OSError:
        return [Reply(desk.copy["console_attach_missing"])]
    mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return await core.handle_attachment(user_id, attachment_kind(mime_type), None, path.name,
                                        mime_type, content)


async def answer(core: Core, user_id: str, text: str) -> list[Reply]:
    """One console input: ``/attach PATH`` or a message (or a button's payload)."""
    attach = _ATTACH.match(text.strip())
    if attach:
        return await attach_file(core, user_id, attach.group(1) or "")
    return await core.handle(user_id, text)


class ChatTally:
    """How many messages this console chat holds, both ways, as Telegram would count them."""

    def __init__(self) -> None:
        self.yours = 0
        self.mine = 0

    def after(self, core: Core, replies: list[Reply]) -> list[Reply]:
        """Count one input and its replies; a "clear this chat" says what it would delete."""
        self.yours += 1
        desk = core.desk
        if desk is None or not any(r.clear_chat for r in replies):
            self.mine += sum(1 for r in replies if r.text or r.buttons or r.document)
            return replies
        shaped: list[Reply] = []
        for reply in replies:
            if reply.clear_chat:
                total = self.yours + self.mine
                note = (desk.copy["clear_chat_console"].format(total=total, yours=self.yours,
                                                                mine=self.mine)
                        if reply.text else desk.copy["clear_chat_console_done"])
                shaped.append(Reply(note))
                self.yours = self.mine = 0
            if reply.text or reply.buttons or reply.document:
                shaped.append(reply)
                self.mine += 1
        return shaped


async def _read_line(stream: TextIO) -> Optional[str]:
    line = await asyncio.get_running_loop().run_in_executor(None, stream.readline)
    return line if line else None


async def run_jsonl(core: Core, user_id: str, stdin: TextIO, stdout: TextIO) -> None:
    memory = ButtonMemory()
    tally = ChatTally()
    while (line := await _read_line(stdin)) is not None:
        text = line.rstrip("\r\n")
        replies = tally.after(core, await answer(core, user_id, memory.resolve(text, by_number=False)))
        memory.remember(replies)
        stdout.write(json.dumps({"in": text, "out": [r.to_dict() for r in replies]},
                                ensure_ascii=False) + "\n")
        stdout.flush()


async def run_interactive(core: Core, user_id: str, stdin: TextIO, stdout: TextIO) -> None:
    memory = ButtonMemory()
    stdout.write("Type a message (or a button's number). Ctrl-D to leave.\n")
    tally = ChatTally()
    replies = tally.after(core, await core.handle(user_id, "/start"))
    while True:
        memory.remember(replies)
        number = 1
        for reply in replies:
            text, number = format_reply(reply, number)
            stdout.write(f"\n{text}\n")
        stdout.write("\nYou: ")
        stdout.flush()
        line = await _read_line(stdin)
        if line is None:
            stdout.write("\n")
            return
        text = line.strip()
        if not text:
            replies = []
            continue
        replies = tally.after(core, await answer(core, user_id, memory.resolve(text, by_number=True)))


async def chat(core_factory, user_id: str, jsonl: bool) -> None:  # type: ignore[no-untyped-def]
    """Load the core with stdout pointed at stderr, then chat on the real stdout."""
    real_stdout = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):
        core: Core = await core_factory()
        if jsonl:
            await run_jsonl(core, user_id, sys.stdin, real_stdout)
        else:
            await run_interactive(core, user_id, sys.stdin, real_stdout)
        await core.close()
