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

Files the bot sends (the export's PDF and CSV, the plan's PDF) come as bytes; with
no chat to upload them to, the console saves each in the person's export folder
and says where: ``EXPORT_DIR`` when it is set, else an ``exports`` folder beside a
SQLite diary (``var/exports`` by default), made ``0700``, each file ``0600``,
never replacing one already there (``notes-2026-11-28-2.pdf``).  They hold what
the person wrote, in clear, and stay until the person deletes them: the start-up
sweep never touches them.  Nothing else is written.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import mimetypes
import os
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Optional, TextIO

from bot.core import Core
from bot.diary.store import MAX_ATTACHMENT_BYTES
from bot.engine import sqlite_path
from bot.replies import Button, Document, Reply
from bot.settings import ROOT, Settings
from guidance.copy import fill

#: Where the console saves the files the bot sends when neither ``EXPORT_DIR`` nor a
#: SQLite diary says otherwise.
DEFAULT_EXPORT_DIR = ROOT / "var" / "exports"

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


def export_folder(settings: Settings) -> Path:
    """Where the console saves what the bot sends: ``EXPORT_DIR``, else ``exports`` beside a
    SQLite diary, else ``var/exports``."""
    if settings.export_dir is not None:
        return settings.export_dir
    diary = sqlite_path(settings.database_url)
    return diary.parent / "exports" if diary is not None else DEFAULT_EXPORT_DIR


def save_document(document: Document, folder: Path) -> Path:
    """Write the document's bytes to a new file in ``folder`` (0700), readable by its owner only.

    Never replaces a file: a second export of the day is ``notes-2026-11-28-2.pdf``.
    """
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = Path(document.filename).name or "file"
    stem, suffix = os.path.splitext(name)
    for number in range(1, 1000):
        path = folder / (name if number == 1 else f"{stem}-{number}{suffix}")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as handle:
            handle.write(document.content)
        return path.resolve()
    raise FileExistsError(f"no free file name for {name} in {folder}")


def save_documents(replies: list[Reply], folder: Path) -> list[Optional[Path]]:
    """Each reply's file saved in ``folder`` (None for a reply without one)."""
    return [None if r.document is None else save_document(r.document, folder) for r in replies]


def reply_dict(reply: Reply, saved: Optional[Path]) -> dict[str, Any]:
    """A reply as a JSON line's item; a file shows its name, size and where it was saved."""
    data = reply.to_dict()
    if saved is not None:
        data["document"]["path"] = str(saved)
    return data


def format_reply(reply: Reply, start: int, saved: Optional[Path] = None) -> tuple[str, int]:
    """A reply as console text; payload buttons numbered from ``start``; ``saved``: its file."""
    lines = [reply.text] if reply.text else []
    number = start
    for button in reply.buttons:
        if button.url:
            lines.append(f"   🔗 {button.title}: {button.url}")
        else:
            lines.append(f"   {number}) {button.title}")
            number += 1
    if reply.document:
        where = f"saved to {saved}" if saved is not None else "not saved"
        lines.append(f"   📎 {reply.document.filename}: {where}")
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
    """``/attach PATH``: the file at PATH as evidence, exactly as if sent on Telegram;
    ``/attach PATH | words``: with the words as its caption."""
    desk = core.desk
    if desk is None:
        return [core.error_reply()]
    path_text, _, caption = raw_path.partition(" | ")
    path_text = path_text.strip()
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
                                        mime_type, content, caption=caption.strip() or None)


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
                note = (fill(desk.copy["clear_chat_console"], total=total, yours=self.yours,
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


async def run_jsonl(core: Core, user_id: str, stdin: TextIO, stdout: TextIO,
                    export_dir: Path = DEFAULT_EXPORT_DIR) -> None:
    memory = ButtonMemory()
    tally = ChatTally()
    while (line := await _read_line(stdin)) is not None:
        text = line.rstrip("\r\n")
        replies = tally.after(core, await answer(core, user_id, memory.resolve(text, by_number=False)))
        memory.remember(replies)
        saved = await asyncio.to_thread(save_documents, replies, export_dir)
        out = [reply_dict(reply, path) for reply, path in zip(replies, saved, strict=True)]
        stdout.write(json.dumps({"in": text, "out": out}, ensure_ascii=False) + "\n")
        stdout.flush()


async def run_interactive(core: Core, user_id: str, stdin: TextIO, stdout: TextIO,
                          export_dir: Path = DEFAULT_EXPORT_DIR) -> None:
    memory = ButtonMemory()
    stdout.write("Type a message (or a button's number). Ctrl-D to leave.\n")
    tally = ChatTally()
    replies = tally.after(core, await core.handle(user_id, "/start"))
    while True:
        memory.remember(replies)
        saved = await asyncio.to_thread(save_documents, replies, export_dir)
        number = 1
        for reply, path in zip(replies, saved, strict=True):
            text, number = format_reply(reply, number, path)
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


async def chat(core_factory: Callable[[], Awaitable[Core]], user_id: str, jsonl: bool,
               export_dir: Path = DEFAULT_EXPORT_DIR) -> None:
    """Load the core with stdout pointed at stderr, then chat on the real stdout.

    Files the bot sends are saved in ``export_dir`` (``export_folder(settings)``)."""
    real_stdout = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):
        core: Core = await core_factory()
        if jsonl:
            await run_jsonl(core, user_id, sys.stdin, real_stdout, export_dir)
        else:
            await run_interactive(core, user_id, sys.stdin, real_stdout, export_dir)
        await core.close()
