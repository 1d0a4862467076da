"""What every diary screen shares: the store, the copy, the worker thread, and the small helpers.

Each screen is a mixin of :class:`DeskBase` (``browse``, ``attachments``, ``plan``,
``export``, ``forget``, ``notes``); :class:`bot.desk.DiaryDesk` is all of them.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import yaml

from bot.desk.pending import PendingMarks
from bot.desk.unsaved import UnsavedNotes
from bot.diary.store import MAX_FILENAME_CHARS, DiaryStore, Note, NoteFields
from bot.replies import Button, Reply
from guidance.behaviours import extract_behaviours
from guidance.copy import counted, fill
from guidance.dates import echo_when, time_in_note
from guidance.facts import Facts
from guidance.note_schema import schema
from guidance.when import When, local_zone

logger = logging.getLogger("bot.desk")


def note_from_words(text: str, **fields: Any) -> tuple[NoteFields, Optional[When], bool]:
    """A note of typed words (a quick note, the words sent with a file): what happened, the time
    written in them ("he was outside at 7pm": 7pm; none: now) and the first form of unwanted
    attention they name as its kind ("he followed me": following).  Also the time read (or None)
    and whether it was None because that time is still to come."""
    found, future = time_in_note(text)
    kind = next((k for k in extract_behaviours(text) if k in schema().kinds), None)
    note = NoteFields(occurred_at=found.at if found else datetime.now(timezone.utc), what_happened=text,
                      time_precision=None if not found or found.precision == "exact" else found.precision,
                      kind=kind, **fields)
    return note, found, future

COPY_PATH = Path(__file__).resolve().parent.parent.parent / "data" / "diary_copy.yml"
PAGE_SIZE = 5
#: What the edit menu offers: every field of the note schema (data/note.yml), in its order.
EDITABLE = schema().names
# A note edit waiting for its text was once a "pending_edit" answer row; an edit is Rasa's
# edit_note_form now (nlu/actions/edit.py).  Such a row left in a database is never read
# again: harmless, and "forget me" deletes it with every other answer.
PENDING_ATTACHMENT = "pending_attachment"
# The words sent with waiting files (Telegram captions), kept encrypted until the files are filed.
PENDING_CAPTIONS = "pending_captions"
PLAN_DONE = "plan_done"
WHERE = "where"  # where the person is (issue 12 item 6): a saved answer
#: The data screens the bot draws itself, with or without the dialogue engine:
#: the payloads of /notes, /export, /forget and /clear (data/commands.yml).
DATA_SCREENS = ("/list_notes", "/export_notes", "/forget_me", "/clear_chat")
#: The payload of "Clear this chat" (/clear, its buttons).
CLEAR_CHAT = "/clear_chat"
_ORDINAL = {1: "st", 2: "nd", 3: "rd"}

# Copy for the retry after a failed save, used until data/diary_copy.yml has these keys.
DEFAULT_COPY = {
    "retry_button": "Try saving again",
    "retry_nothing": ("There is no unsaved note waiting: it may be saved already (see My notes), "
                      "or it was kept too long. If it is not in your log, please write it again."),
}


def megabytes(size: int) -> str:
    """A file size as people read it: "19.9" (MB, one decimal)."""
    return f"{size / (1024 * 1024):.1f}"


def short_name(filename: Optional[str]) -> Optional[str]:
    """A file name the store takes (at most 255 characters), its extension kept."""
    if not filename:
        return None
    if len(filename) <= MAX_FILENAME_CHARS:
        return filename
    suffix = Path(filename).suffix[:16]
    return filename[:MAX_FILENAME_CHARS - len(suffix)] + suffix


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else _ORDINAL.get(n % 10, "th")
    return f"{n}{suffix}"


class DeskBase:
    """The store, the copy and the helpers every screen of the desk uses."""

    def __init__(self, store: DiaryStore, facts: Facts,
                 forget_conversation: Callable[[str], Any]) -> None:
        self.store = store
        self.facts = facts
        self.forget_conversation = forget_conversation
        self.copy: dict[str, Any] = {
            **DEFAULT_COPY, **yaml.safe_load(COPY_PATH.read_text("utf-8")),
            # The labels of a note's fields and kinds: the note schema's, as everywhere else.
            "fields": {field.name: field.label for field in schema().fields},
            "kinds": dict(schema().kinds),
        }
        self.unsaved = UnsavedNotes()
        #: Which users have a forget waiting, known without asking the store.
        self.pending = PendingMarks(store)
        #: Tasks the desk starts (forget retries); ``bot.app`` shares the core's list, which
        #: ``Core.close`` cancels.
        self.background: list[asyncio.Task[Any]] = []
        self._forget_retries: set[str] = set()

    # -- helpers ---------------------------------------------------------------------------
    def _t(self, key: str, **values: Any) -> str:
        """Copy ``key`` with its contacts and then its ``[[name]]`` values filled (a value is never
        read as a placeholder itself)."""
        return fill(self.facts.render(str(self.copy[key])), values)

    def _counted(self, unit: str, count: int) -> str:
        """``count`` with its unit, singular or plural: "1 note", "3 notes" (copy ``counted``)."""
        return counted(count, self.copy["counted"][unit])

    def _b(self, key: str) -> str:
        return str(self.copy["buttons"][key])

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(fn, *args)

    def _when(self, note: Note) -> str:
        if note.time_precision not in (None, "exact"):  # "about 23:00", "time not given"
            return echo_when(note.occurred_at, str(note.time_precision))
        return note.occurred_at.astimezone(local_zone()).strftime("%a %d %b %Y, %H:%M")

    def _kind(self, kind: Optional[str]) -> str:
        return str(self.copy["kinds"].get(kind or "", kind or ""))

    def _unreadable_text(self, key: str, count: int) -> str:
        """"1 note could not be read" (``key``_one / ``key``_many in the copy)."""
        return self._t(f"{key}_one") if count == 1 else self._t(f"{key}_many", count=count)

    async def pattern_text(self, user_id: str, repeated: bool = True) -> str:
        """"In the last 7 days: 3 ..." under a saved note (and a new note made for files) and at the
        top of "My notes" ("how many times has he done it now"); with ``repeated``, the Repeated
        sign's line about the newest note too."""
        pattern = await self._run(self.store.pattern, user_id, datetime.now(timezone.utc))
        kinds = ""
        if pattern.by_kind_30_days:
            kinds = " (" + ", ".join(f"{self._kind(k).lower()}: {n}"
                                     for k, n in sorted(pattern.by_kind_30_days.items(),
                                                        key=lambda kv: -kv[1])) + ")"
        text = self._t("pattern", last_7=pattern.last_7_days, last_30=pattern.last_30_days, kinds=kinds)
        if repeated and pattern.last_14_days >= 2 and pattern.newest_ordinal_14_days:
            text += "\n" + self._t("pattern_repeated", ordinal=ordinal(pattern.newest_ordinal_14_days))
        return text

    # -- "Clear this chat" (offered by the core, export and forget) ------------------------
    def clear_chat_button(self) -> Button:
        return Button(self._b("clear_chat"), CLEAR_CHAT)

    def clear_chat(self) -> list[Reply]:
        """"Clear this chat": the channel deletes what it may, then this says what only the person can do.

        Nothing in the log is touched.  "Done" (``diary:clear_done``) removes this
        message too, leaving nothing in the chat.
        """
        return [Reply(self._t("clear_chat"), [Button(self._b("clear_done"), "diary:clear_done")],
                      clear_chat=True)]
