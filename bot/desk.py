"""The incident log's desk: where the bot carries out diary requests against its store.

Rasa decides *what* should happen (save this note, list, export, forget) and says
so in a ``{"diary": {...}}`` custom message; the desk does it, because the bot
owns the data.  The browse screens (open, edit, delete, paging, attachments) are
drawn here too, as buttons whose payloads start with ``diary:``; their state
(a pending edit or attachment) lives in the store, never in the process.
"""
from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import logging
import math
import re
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import yaml

from bot.diary.crypto import Cipher
from bot.diary.errors import DiaryError, NoteNotFoundError
from bot.diary.store import (
    MAX_ATTACHMENT_BYTES,
    MAX_FIELD_CHARS,
    MAX_FILENAME_CHARS,
    DiaryLimitError,
    DiaryStore,
    Note,
    NoteFields,
)
from bot.plan_pdf import render_plan_pdf
from bot.replies import Button, Document, Reply
from guidance.advice import place_of, plan_report_text, route, where_question
from guidance.dates import echo_when, find_when, read_when, saved_as
from guidance.facts import Facts
from guidance.risk import assess, plan_steps, risk_copy
from guidance.when import FutureDate, When, local_zone

logger = logging.getLogger(__name__)

COPY_PATH = Path(__file__).resolve().parent.parent / "data" / "diary_copy.yml"
PAGE_SIZE = 5
#: Seconds one attempt to delete a conversation may take; the waits between retries.
FORGET_CONVERSATION_TIMEOUT = 2.0
FORGET_RETRY_DELAYS = (5.0, 15.0, 60.0, 300.0)
EDITABLE = ("occurred_at", "place", "what_happened", "kind", "how_detail", "appearance",
            "witnesses", "feelings", "evidence", "police_ref")
PENDING_EDIT = "pending_edit"
PENDING_ATTACHMENT = "pending_attachment"
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


class UnsavedNotes:
    """Notes the store could not save, kept for "Try saving again".

    They live in this process's memory only (the database is what failed),
    encrypted under a key that exists nowhere else, keyed by a hash of the user
    id, for at most ``ttl`` seconds and ``per_user`` notes a user.  A restart
    loses them: the user was told the note is NOT saved, so nothing they were
    told is saved is ever lost.
    """

    def __init__(self, ttl: float = 3600.0, per_user: int = 5) -> None:
        self.ttl = ttl
        self.per_user = per_user
        self._cipher = Cipher.generate()
        self._held: dict[str, list[tuple[float, bytes]]] = {}

    def put(self, user_id: str, fields: NoteFields) -> None:
        data = {f.name: getattr(fields, f.name) for f in dataclasses.fields(NoteFields)}
        data["occurred_at"] = fields.occurred_at.isoformat()
        token = self._cipher.encrypt(json.dumps(data, ensure_ascii=False))
        held = self._fresh(self._cipher.user_key(user_id))
        held.append((time.monotonic(), token))
        del held[:-self.per_user]

    def take(self, user_id: str) -> list[NoteFields]:
        """The user's waiting notes, oldest first; they are no longer held."""
        held = self._fresh(self._cipher.user_key(user_id))
        self._held.pop(self._cipher.user_key(user_id), None)
        notes = []
        for _, token in held:
            data = json.loads(self._cipher.decrypt_text(token))
            data["occurred_at"] = datetime.fromisoformat(data["occurred_at"])
            notes.append(NoteFields(**data))
        return notes

    def count(self, user_id: str) -> int:
        return len(self._fresh(self._cipher.user_key(user_id)))

    def _fresh(self, key: str) -> list[tuple[float, bytes]]:
        now = time.monotonic()
        for other in [k for k, v in self._held.items() if not v or now - v[-1][0] > self.ttl]:
            del self._held[other]
        held = self._held.setdefault(key, [])
        held[:] = [(t, token) for t, token in held if now - t <= self.ttl]
        return held


def megabytes(size: int) -> str:
    """A file size as people read it: "19.9" (MB, one decimal)."""
    return f"{size / (1024 * 1024):.1f}"


def _short_name(filename: Optional[str]) -> Optional[str]:
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


class DiaryDesk:
    """Executes diary operations for one user at a time and draws their replies."""

    def __init__(self, store: DiaryStore, facts: Facts,
                 forget_conversation: Callable[[str], Any]) -> None:
        self.store = store
        self.facts = facts
        self.forget_conversation = forget_conversation
        self.copy: dict[str, Any] = {**DEFAULT_COPY, **yaml.safe_load(COPY_PATH.read_text("utf-8"))}
        self.unsaved = UnsavedNotes()
        #: Tasks the desk starts (forget retries); ``bot.app`` shares the core's list, which
        #: ``Core.close`` cancels.
        self.background: list[asyncio.Task[Any]] = []
        self._forget_retries: set[str] = set()

    # -- helpers ---------------------------------------------------------------------------
    def _t(self, key: str, **values: Any) -> str:
        return self.facts.render(str(self.copy[key]).format(**values))

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

    # -- saving ----------------------------------------------------------------------------
    async def save(self, user_id: str, fields: NoteFields) -> list[Reply]:
        """Save a note; when the store fails, say it is NOT saved and keep it for a retry.

        The note is held (encrypted, in memory, for ``UnsavedNotes.ttl`` seconds)
        until "Try saving again" (``diary:retry``) saves it, so a database
        outage does not lose what the user wrote, whether it came from
        ``/note ...`` or from the guided note (whose Rasa slots are reset once
        the save is handed to the bot).
        """
        try:
            await self._run(self.store.add_note, user_id, fields)
        except DiaryLimitError:
            return [Reply(self._t("field_too_long", limit=MAX_FIELD_CHARS))]
        except DiaryError as error:  # a value the store refuses: a retry cannot help
            logger.error("saving a note was refused: %s", type(error).__name__)
            return [Reply(self._t("save_failed"))]
        except Exception as error:  # noqa: BLE001 - the user must learn it was not saved
            logger.error("saving a note failed: %s", type(error).__name__)
            self.unsaved.put(user_id, fields)
            return [self.save_failed_reply()]
        return [await self.saved_reply(user_id)]

    def save_failed_reply(self) -> Reply:
        return Reply(f"{self._t('save_failed')}\n\n{self.facts.help_line}",
                     [Button(self._t("retry_button"), "diary:retry")])

    async def saved_reply(self, user_id: str) -> Reply:
        try:
            pattern_text = await self.pattern_text(user_id)
        except Exception as error:  # noqa: BLE001 - it IS saved: say so, without the counts
            logger.error("counting notes failed: %s", type(error).__name__)
            pattern_text = ""
        parts = [self._t("saved"), pattern_text, self._t("after_save_hint")]
        return Reply("\n\n".join(p for p in parts if p),
                     [Button(self._b("my_notes"), "diary:page:0"),
                      Button(self._b("export"), "/export_notes")])

    async def retry(self, user_id: str) -> list[Reply]:
        """The "Try saving again" button: save the notes the store refused, oldest first."""
        waiting = self.unsaved.take(user_id)
        if not waiting:
            return [Reply(self._t("retry_nothing"), [Button(self._b("my_notes"), "diary:page:0")])]
        for index, fields in enumerate(waiting):
            try:
                await self._run(self.store.add_note, user_id, fields)
            except Exception as error:  # noqa: BLE001 - still down: keep the rest for later
                logger.error("saving a note failed again: %s", type(error).__name__)
                for left in waiting[index:]:
                    self.unsaved.put(user_id, left)
                return [self.save_failed_reply()]
        return [await self.saved_reply(user_id)]

    async def pattern_text(self, user_id: str) -> str:
        pattern = await self._run(self.store.pattern, user_id, datetime.now(timezone.utc))
        kinds = ""
        if pattern.by_kind_30_days:
            kinds = " (" + ", ".join(f"{self._kind(k).lower()}: {n}"
                                     for k, n in sorted(pattern.by_kind_30_days.items(),
                                                        key=lambda kv: -kv[1])) + ")"
        text = self._t("pattern", last_7=pattern.last_7_days, last_30=pattern.last_30_days, kinds=kinds)
        if pattern.last_14_days >= 2 and pattern.newest_ordinal_14_days:
            text += "\n" + self._t("pattern_repeated", ordinal=ordinal(pattern.newest_ordinal_14_days))
        return text

    async def save_from_form(self, user_id: str, fields: dict[str, Any]) -> list[Reply]:
        when = fields.get("occurred_at")  # ISO, or When.to_slot()'s "ISO|about"
        read = When.from_slot(when) if when else When(datetime.now(timezone.utc))
        note = NoteFields(
            occurred_at=read.at, time_precision=None if read.precision == "exact" else read.precision,
            kind=fields.get("kind"), place=fields.get("place"),
            what_happened=fields.get("what_happened"), how_detail=fields.get("how_detail"),
            appearance=fields.get("appearance"), witnesses=fields.get("witnesses"),
            feelings=fields.get("feelings"), evidence=fields.get("evidence"),
            police_ref=fields.get("police_ref"),
        )
        return await self.save(user_id, note)

    async def quick_note(self, user_id: str, text: str) -> list[Reply]:
        found = find_when(text)  # "/note he was outside at 7pm": 7pm, shown back
        fields = NoteFields(occurred_at=found.at if found else datetime.now(timezone.utc), kind=None,
                            place=None, what_happened=text, how_detail=None, appearance=None,
                            witnesses=None, feelings=None, evidence=None, police_ref=None,
                            time_precision=None if not found or found.precision == "exact"
                            else found.precision)
        replies = await self.save(user_id, fields)
        if found and replies and any(b.payload == "diary:page:0" for b in replies[0].buttons):  # saved
            replies[0] = dataclasses.replace(replies[0], text=f"{saved_as(found)}\n\n{replies[0].text}")
        return replies

    async def log_mention(self, user_id: str) -> Optional[Reply]:
        _, total = await self._run(self.store.list_notes, user_id, 0, 1)
        return Reply(self._t("log_mention", count=total)) if total else None

    # -- Rasa's requests -------------------------------------------------------------------
    async def execute(self, user_id: str, request: dict[str, Any]) -> list[Reply]:
        op = request.get("op")
        if op == "save_note":
            return await self.save_from_form(user_id, dict(request.get("fields") or {}))
        if op == "list":
            return await self.page(user_id, 0)
        # Rasa only ever asks for a confirmation: export and forget run from the
        # bot's own buttons (diary:export_yes, diary:forget_yes), never on a guess.
        if op in ("export", "confirm_export"):
            return await self.confirm_export(user_id)
        if op == "forget":
            return self.confirm_forget()
        if op == "confirm_forget":
            return self.confirm_forget()
        if op == "save_answers" and request.get("name") in ("four", "risk", WHERE):
            await self._run(self.store.set_answer, user_id, str(request["name"]), request.get("value"))
            return []
        if op == "plan":
            return await self.plan(user_id)
        if op == "where":
            return await self.where_route(user_id, str(request.get("topic") or "report"))
        if op == "log_mention":
            mention = await self.log_mention(user_id)
            return [mention] if mention else []
        logger.warning("unknown diary request %r", op)
        return []

    # -- the data screens: /notes, /export, /forget ----------------------------------------
    async def data_screen(self, user_id: str, payload: str) -> list[Reply]:
        """/notes, /export or /forget, drawn by the bot from its store alone.

        They need no dialogue engine, so they work while Rasa is down; /forget
        still asks first, with the bot's own buttons (``diary:forget_yes``).
        """
        await self.cancel_pending(user_id)
        if payload == "/list_notes":
            return await self.page(user_id, 0)
        if payload == "/export_notes":
            return await self.confirm_export(user_id)
        if payload == CLEAR_CHAT:
            return self.clear_chat()
        return self.confirm_forget()

    def clear_chat_button(self) -> Button:
        return Button(self._b("clear_chat"), CLEAR_CHAT)

    def clear_chat(self) -> list[Reply]:
        """"Clear this chat": the channel deletes what it may, then this says what only the person can do.

        Nothing in the log is touched.  "Done" (``diary:clear_done``) removes this
        message too, leaving nothing in the chat.
        """
        return [Reply(self._t("clear_chat"), [Button(self._b("clear_done"), "diary:clear_done")],
                      clear_chat=True)]

    async def confirm_export(self, user_id: str) -> list[Reply]:
        """Say what an export puts on the phone before doing it (diary:export_yes does it)."""
        _, total = await self._run(self.store.list_notes, user_id, 0, 1)
        if not total:
            return [Reply(self._t("export_empty"))]
        return [Reply(self._t("export_confirm", count=total), [
            Button(self._b("export_yes"), "diary:export_yes"),
            Button(self._b("export_no"), "diary:export_no"),
        ])]

    def confirm_plan_pdf(self) -> list[Reply]:
        """Say what "Send as PDF" puts on the phone before doing it (diary:plan_pdf_yes does it)."""
        return [Reply(self._t("plan_pdf_confirm"), [
            Button(self._b("plan_pdf_yes"), "diary:plan_pdf_yes"),
            Button(self._b("plan_pdf_no"), "diary:plan_pdf_no"),
        ])]

    async def pending_edit(self, user_id: str) -> Optional[dict[str, Any]]:
        """The note edit waiting for the user's text (``{"id", "field"}``), or None."""
        pending = await self._run(self.store.get_answer, user_id, PENDING_EDIT)
        return dict(pending) if pending else None

    def confirm_forget(self) -> list[Reply]:
        return [Reply(self._t("forget_confirm"), [
            Button(self._b("forget_yes"), "diary:forget_yes"),
            Button(self._b("forget_clear"), "diary:forget_clear"),
            Button(self._b("forget_no"), "diary:forget_no"),
        ])]

    async def forget_and_clear(self, user_id: str) -> list[Reply]:
        """Delete everything, and clear this chat in the same turn (its message ids go with the rest).

        One neutral message is left: that it is done (or what could not be
        deleted), then the steps only the person can take.
        """
        [reply] = await self.forget(user_id)
        whole = reply.text.startswith(str(self.copy["forgotten"]).split("{", 1)[0])
        done = self._t("forgotten_cleared") if whole else reply.text  # else: what was NOT deleted
        steps = self.clear_chat()[0]
        return [Reply(f"{done}\n\n{steps.text}", steps.buttons, clear_chat=True)]

    # -- browse, open, edit, delete --------------------------------------------------------
    async def page(self, user_id: str, page: int) -> list[Reply]:
        page = max(page, 0)
        notes, total = await self._run(self.store.list_notes, user_id, page * PAGE_SIZE, PAGE_SIZE)
        waiting = await self._run(self.store.unfiled_attachments, user_id)
        file_them = ([Button(self._t("waiting_button", count=len(waiting)), "diary:attach:ask")]
                     if waiting else [])
        if not total:
            return [Reply(self._t("empty_log"), [Button(self._b("new_note"), "/record_incident"),
                                                 *file_them])]
        pages = max(1, math.ceil(total / PAGE_SIZE))
        if page >= pages:
            return await self.page(user_id, pages - 1)
        buttons = []
        for note in notes:
            what = (self._t("unreadable_title") if note.unreadable
                    else (note.what_happened or "").replace("\n", " "))
            shown = "%d %b" if note.time_precision == "date" else "%d %b %H:%M"  # never a made-up 00:00
            title = f"{note.occurred_at.astimezone(local_zone()).strftime(shown)} · {what}"
            buttons.append(Button(title[:60] + ("…" if len(title) > 60 else ""), f"diary:open:{note.id}"))
        if page > 0:
            buttons.append(Button(self._b("newer"), f"diary:page:{page - 1}"))
        if page + 1 < pages:
            buttons.append(Button(self._b("older"), f"diary:page:{page + 1}"))
        buttons.append(Button(self._b("export"), "/export_notes"))
        buttons.extend(file_them)
        header = self._t("list_header", total=total, page=page + 1, pages=pages)
        unreadable = sum(1 for note in notes if note.unreadable)
        if unreadable:
            header += "\n" + self._unreadable_text("unreadable", unreadable)
        return [Reply(header, buttons)]

    def _unreadable_text(self, key: str, count: int) -> str:
        """"1 note could not be read" (``key``_one / ``key``_many in the copy)."""
        return self._t(f"{key}_one") if count == 1 else self._t(f"{key}_many", count=count)

    def describe(self, note: Note) -> str:
        labels = self.copy["fields"]
        rows = [f"{labels['occurred_at']}: {self._when(note)}"]
        for field in EDITABLE[1:]:
            value = getattr(note, field)
            if field == "kind":
                value = self._kind(value) if value else None
            if value:
                rows.append(f"{labels[field]}: {value}")
        if note.attachment_count:
            rows.append(self._t("attachments_line", count=note.attachment_count))
        return "\n".join(rows)

    async def open(self, user_id: str, note_id: int) -> list[Reply]:
        note = await self._run(self.store.get_note, user_id, note_id)
        if note is None:
            return [Reply(self._t("not_found"), [Button(self._b("back"), "diary:page:0")])]
        if note.unreadable:  # damaged: say so, and let it be deleted
            return [Reply(f"{self._t('open_header', number=note.id)}\n{self._when(note)}\n\n"
                          f"{self._t('unreadable_note')}", [
                Button(self._b("delete"), f"diary:delete:{note.id}"),
                Button(self._b("back"), "diary:page:0"),
            ])]
        return [Reply(f"{self._t('open_header', number=note.id)}\n{self.describe(note)}", [
            Button(self._b("edit"), f"diary:edit:{note.id}"),
            Button(self._b("delete"), f"diary:delete:{note.id}"),
            Button(self._b("back"), "diary:page:0"),
        ])]

    async def edit_menu(self, user_id: str, note_id: int) -> list[Reply]:
        note = await self._run(self.store.get_note, user_id, note_id)
        if note is None:
            return [Reply(self._t("not_found"))]
        buttons = [Button(str(self.copy["fields"][f]), f"diary:field:{note_id}:{f}") for f in EDITABLE]
        buttons.append(Button(self._b("cancel"), f"diary:open:{note_id}"))
        return [Reply(self._t("edit_menu"), buttons)]

    async def ask_field(self, user_id: str, note_id: int, field: str) -> list[Reply]:
        note = await self._run(self.store.get_note, user_id, note_id)
        if note is None or field not in EDITABLE:
            return [Reply(self._t("not_found"))]
        if field == "kind":
            buttons = [Button(str(label), f"diary:kind:{note_id}:{key}")
                       for key, label in self.copy["kinds"].items()]
            return [Reply(self._t("edit_menu"), buttons)]
        await self._run(self.store.set_answer, user_id, PENDING_EDIT, {"id": note_id, "field": field})
        prompt = (self._t("edit_prompt_when") if field == "occurred_at"
                  else self._t("edit_prompt", label=self.copy["fields"][field]))
        return [Reply(prompt, [Button(self._b("cancel"), "diary:cancel")])]

    async def pending_input(self, user_id: str, text: str) -> Optional[list[Reply]]:
        """If an edit is waiting for the user's text, apply it; None when nothing waits."""
        pending = await self._run(self.store.get_answer, user_id, PENDING_EDIT)
        if not pending:
            return None
        field, note_id = str(pending["field"]), int(pending["id"])
        value: Any = text
        read: Optional[When] = None
        if field == "occurred_at":
            try:
                read = read_when(text)
            except FutureDate:
                return [Reply(self._t("date_future"), [Button(self._b("cancel"), "diary:cancel")])]
            if read is None:
                return [Reply(self._t("date_unclear"), [Button(self._b("cancel"), "diary:cancel")])]
            value = read.at
        try:
            note = await self._run(self.store.update_field, user_id, note_id, field, value,
                                   None if read is None or read.precision == "exact" else read.precision)
        except DiaryLimitError:
            return [Reply(self._t("field_too_long", limit=MAX_FIELD_CHARS),
                          [Button(self._b("cancel"), "diary:cancel")])]
        except Exception as error:  # noqa: BLE001
            logger.error("updating a note failed: %s", type(error).__name__)
            return [Reply(self._t("save_failed"))]
        await self._run(self.store.delete_answer, user_id, PENDING_EDIT)
        if note is None:
            return [Reply(self._t("not_found"))]
        done = self._t("edit_done") + (f" {saved_as(read)}" if read else "")  # the time as read
        return [Reply(done), *await self.open(user_id, note_id)]

    async def set_kind(self, user_id: str, note_id: int, kind: str) -> list[Reply]:
        if kind not in self.copy["kinds"]:
            return [Reply(self._t("not_found"))]
        note = await self._run(self.store.update_field, user_id, note_id, "kind", kind)
        if note is None:
            return [Reply(self._t("not_found"))]
        return [Reply(self._t("edit_done")), *await self.open(user_id, note_id)]

    async def cancel_pending(self, user_id: str) -> None:
        """A command or button moves on: forget a half-started edit."""
        if await self._run(self.store.get_answer, user_id, PENDING_EDIT):
            await self._run(self.store.delete_answer, user_id, PENDING_EDIT)

    async def cancel(self, user_id: str) -> list[Reply]:
        await self._run(self.store.delete_answer, user_id, PENDING_EDIT)
        return [Reply(self._t("edit_cancelled"), [Button(self._b("back"), "diary:page:0")])]

    async def confirm_delete(self, user_id: str, note_id: int) -> list[Reply]:
        note = await self._run(self.store.get_note, user_id, note_id)
        if note is None:
            return [Reply(self._t("not_found"))]
        return [Reply(f"{self._t('delete_confirm')}\n\n{self.describe(note)}", [
            Button(self._b("delete_yes"), f"diary:delete_yes:{note_id}"),
            Button(self._b("keep"), f"diary:open:{note_id}"),
        ])]

    async def delete(self, user_id: str, note_id: int) -> list[Reply]:
        deleted = await self._run(self.store.delete_note, user_id, note_id)
        text = self._t("deleted") if deleted else self._t("not_found")
        return [Reply(text, [Button(self._b("back"), "diary:page:0")])]

    # -- attachments -----------------------------------------------------------------------
    def too_big(self, size: Optional[int] = None) -> Reply:
        """The refusal of a file over the limit (20 MB, what Telegram lets a bot download)."""
        limit = MAX_ATTACHMENT_BYTES // (1024 * 1024)
        if size:
            return Reply(self._t("too_big_size", size=megabytes(size), limit=limit))
        return Reply(self._t("too_big", limit=limit))

    async def attachment(self, user_id: str, kind: str, file_id: Optional[str], filename: str,
                         mime_type: str, content: bytes) -> list[Reply]:
        """Evidence sent to the bot: keep it at once (unfiled), then ask which note it belongs to.

        The file is its own encrypted row from the moment it arrives, whatever its
        size up to the limit, so nothing is lost while the person chooses; several
        files sent before choosing (an album) are all kept and filed together.
        """
        if len(content) > MAX_ATTACHMENT_BYTES:
            return [self.too_big(len(content))]
        await self._adopt_legacy_pending(user_id)
        try:
            await self._run(self.store.add_attachment, user_id, None, kind, file_id or None,
                            _short_name(filename), (mime_type or None) and mime_type[:255], content)
        except DiaryLimitError:
            return [self.too_big(len(content))]
        latest = await self._run(self.store.latest_note, user_id)
        if latest is None:
            return await self.attach(user_id, "new")
        return await self.ask_where(user_id, latest)

    async def ask_where(self, user_id: str, latest: Optional[Note] = None) -> list[Reply]:
        """Ask which note the waiting (unfiled) files go to: the last one or a new one."""
        waiting = await self._run(self.store.unfiled_attachments, user_id)
        if not waiting:
            return [self._nothing_waiting()]
        if latest is None:
            latest = await self._run(self.store.latest_note, user_id)
        if latest is None:
            return await self.attach(user_id, "new")
        text = (self._t("attach_ask", kind=waiting[0].kind) if len(waiting) == 1
                else self._t("attach_ask_many", count=len(waiting)))
        return [Reply(text, [
            Button(self._t("attach_last", when=self._when(latest)), "diary:attach:last"),
            Button(self._t("attach_new"), "diary:attach:new"),
        ])]

    def _nothing_waiting(self) -> Reply:
        return Reply(self._t("attach_nothing_waiting"), [Button(self._b("my_notes"), "diary:page:0")])

    def _kinds_text(self, waiting: list[Any]) -> str:
        counts: dict[str, int] = {}
        for item in waiting:
            counts[item.kind] = counts.get(item.kind, 0) + 1
        return ", ".join(kind if n == 1 else f"{kind} ×{n}" for kind, n in counts.items())

    async def attach(self, user_id: str, target: str) -> list[Reply]:
        """File every waiting file to the last note or to a new one (``diary:attach:...``)."""
        await self._adopt_legacy_pending(user_id)
        waiting = await self._run(self.store.unfiled_attachments, user_id)
        if not waiting:
            return [self._nothing_waiting()]
        note = await self._run(self.store.latest_note, user_id) if target == "last" else None
        filed, count = None, 0
        if note is not None:
            note_id = note.id
            try:
                filed, count = await self._run(lambda: self.store.file_unfiled(user_id, note_id=note_id))
            except NoteNotFoundError:  # deleted meanwhile: a new note keeps the files
                note = None
        created_new = note is None
        if created_new:
            names = "; ".join(a.filename or a.kind for a in waiting)
            fields = NoteFields(occurred_at=datetime.now(timezone.utc), kind=None, place=None,
                                what_happened=self._t("attach_new_note_text", kind=self._kinds_text(waiting)),
                                how_detail=None, appearance=None, witnesses=None, feelings=None,
                                evidence=names[:MAX_FIELD_CHARS], police_ref=None)
            filed, count = await self._run(lambda: self.store.file_unfiled(user_id, new_note=fields))
        if filed is None:  # another message filed them first
            return [self._nothing_waiting()]
        text = (self._t("attached", when=self._when(filed)) if count == 1
                else self._t("attached_many", count=count, when=self._when(filed)))
        replies = [Reply(text, [Button(self._b("edit"), f"diary:edit:{filed.id}"),
                                Button(self._b("my_notes"), "diary:page:0")])]
        if created_new:
            replies.append(Reply(await self.pattern_text(user_id)))
        return replies

    async def _adopt_legacy_pending(self, user_id: str) -> None:
        """A file left waiting by an older version (inside a saved answer) becomes an unfiled row."""
        pending = await self._run(self.store.get_answer, user_id, PENDING_ATTACHMENT)
        if not pending:
            return
        try:
            await self._run(self.store.add_attachment, user_id, None, pending["kind"],
                            pending.get("file_id") or None, _short_name(pending.get("filename") or ""),
                            pending.get("mime") or None, base64.b64decode(pending["content"]))
        except Exception as error:  # noqa: BLE001 - an unreadable leftover must not block new files
            logger.error("an old waiting file could not be kept: %s", type(error).__name__)
        await self._run(self.store.delete_answer, user_id, PENDING_ATTACHMENT)

    # -- where the person is: asked once (reporting, the law, the plan) -------------------
    def _rendered(self, message: dict[str, Any]) -> Reply:
        buttons = []
        for raw in message.get("buttons") or []:
            title, payload = self.facts.render(str(raw["title"])), self.facts.render(str(raw["payload"]))
            link = payload.startswith(("http://", "https://"))
            buttons.append(Button(title, url=payload) if link else Button(title, payload))
        return Reply(self.facts.render(str(message.get("text", ""))), buttons)

    async def where_route(self, user_id: str, topic: str) -> list[Reply]:
        """The route of the place the person told us before, or the question, once."""
        place = place_of(await self._run(self.store.get_answer, user_id, WHERE))
        if topic == "plan":  # the plan never waits: it comes with the question, asked once
            plan = await self.plan(user_id)
            return plan if place else plan + [self._rendered(where_question(topic))]
        if place is None:
            return [self._rendered(where_question(topic))]
        return [self._rendered(route(place, topic))]

    # -- the personal safety plan ----------------------------------------------------------
    async def _plan(self, user_id: str) -> tuple[list[str], set[str], int, bool]:
        four = await self._run(self.store.get_answer, user_id, "four")
        risk = await self._run(self.store.get_answer, user_id, "risk")
        done = set(await self._run(self.store.get_answer, user_id, PLAN_DONE) or [])
        _, log_count = await self._run(self.store.list_notes, user_id, 0, 1)
        steps = plan_steps(four, risk, log_count)
        several = bool(risk) and assess(risk).level in ("report_now", "report_spo")
        return steps, done, log_count, several or not (four or risk)

    def _step_text(self, key: str, log_count: int, spo: bool,
                   place: Optional[str] = None) -> tuple[str, str]:
        plan = risk_copy()["plan"]
        step = plan["steps"][key]
        log_line = plan["log_line"].format(count=log_count) if log_count else ""
        text = str(step["text"]).replace("{log}", log_line).replace("{spo}", plan["spo_line"] if spo else "")
        where = plan_report_text(place)  # the place's own route, when the person told us
        if where and key == "report":
            text = where + (plan["spo_line"] if spo else "")
        elif where and key == "report_now":
            text = str(plan["report_now_where"]).replace("{route}", where)
        return self.facts.render(str(step["title"])), self.facts.render(text)

    async def plan(self, user_id: str) -> list[Reply]:
        steps, done, log_count, spo = await self._plan(user_id)
        plan = risk_copy()["plan"]
        four = await self._run(self.store.get_answer, user_id, "four")
        risk = await self._run(self.store.get_answer, user_id, "risk")
        lines = [plan["header"]]
        if not (four and risk):
            lines.append(plan["empty_hint"])
        buttons = []
        place = place_of(await self._run(self.store.get_answer, user_id, WHERE))
        for number, key in enumerate(steps, start=1):
            title, text = self._step_text(key, log_count, spo, place)
            mark = plan["done_mark"] if key in done else plan["todo_mark"]
            lines.append(f"\n{mark} {number}. {title}\n{text}")
            label = plan["mark_undo"] if key in done else plan["mark_done"]
            buttons.append(Button(label.format(title=title), f"diary:plan_done:{key}"))
        buttons.append(Button(plan["pdf_button"], "diary:plan_pdf"))
        return [Reply("\n".join(lines), buttons)]

    async def toggle_plan_step(self, user_id: str, key: str) -> list[Reply]:
        if key not in risk_copy()["plan"]["steps"]:
            return [Reply(self._t("not_found"))]
        done = list(await self._run(self.store.get_answer, user_id, PLAN_DONE) or [])
        if key in done:
            done.remove(key)
        else:
            done.append(key)
        await self._run(self.store.set_answer, user_id, PLAN_DONE, done)
        return await self.plan(user_id)

    async def plan_pdf(self, user_id: str) -> list[Reply]:
        steps, done, log_count, spo = await self._plan(user_id)
        plan = risk_copy()["plan"]
        items = []
        place = place_of(await self._run(self.store.get_answer, user_id, WHERE))
        for key in steps:
            title, text = self._step_text(key, log_count, spo, place)
            items.append((title, text, key in done))
        content = await self._run(render_plan_pdf, self.facts.render(plan["pdf_title"]), items,
                                  self.facts.help_line)
        # A neutral name: a file list or a preview must not give the person away.
        document = Document(content, f"plan-{datetime.now(local_zone()):%Y-%m-%d}.pdf")
        return [Reply(self.facts.render(plan["pdf_caption"]), document=document)]

    # -- export and forget -----------------------------------------------------------------
    async def export(self, user_id: str) -> list[Reply]:
        from bot.diary.export import export_csv, export_pdf

        notes = await self._run(self.store.all_notes, user_id)
        unreadable = sum(1 for note in notes if note.unreadable)  # damaged rows: left out, and said
        notes = [note for note in notes if not note.unreadable]
        unreadable_line = self._unreadable_text("export_unreadable", unreadable) if unreadable else ""
        if not notes:
            return [Reply(unreadable_line or self._t("export_empty"))]
        # Made in memory and sent as bytes: what the user wrote is never a file on disk.
        now = datetime.now(timezone.utc)
        pdf = await self._run(lambda: export_pdf(notes, now, unreadable=unreadable))
        csv = await self._run(export_csv, notes)
        # Neutral names: a file list or a preview must not give the person away.
        name = f"notes-{datetime.now(local_zone()):%Y-%m-%d}"
        text = "\n\n".join(t for t in (self._t("exported"), unreadable_line) if t)
        return [Reply(text, document=Document(pdf, f"{name}.pdf")),
                Reply(self._t("export_clear_offer"), [self.clear_chat_button()],
                      document=Document(csv, f"{name}.csv"))]

    async def forget(self, user_id: str) -> list[Reply]:
        """Delete everything of the user, as one operation that completes or is retried until it does.

        The store deletes every row of the user and leaves a pending-forget mark in
        one transaction (all or nothing); then the dialogue engine's conversation
        is deleted and the mark removed.  If that deletion fails, the reply says
        exactly what was deleted and what was not, and the mark makes it happen
        later: before the user's next message is answered (``retry_forget``), by
        a retry task with back-off, and at the next start-up.
        """
        self.unsaved.take(user_id)  # notes held for "Try saving again" go too
        try:
            counts = await self._run(self.store.forget, user_id, True)
        except Exception as error:  # noqa: BLE001 - nothing was deleted: say so
            logger.error("forget failed in the store, nothing deleted: %s", type(error).__name__)
            return [Reply(f"{self._t('forget_failed')}\n\n{self.facts.help_line}")]
        deleted = {"notes": counts.get("notes", 0), "attachments": counts.get("attachments", 0),
                   "answers": counts.get("answers", 0)}
        if await self._forget_conversation_now(user_id):
            return [Reply(self._t("forgotten", **deleted))]
        self._retry_forget_later(user_id)
        return [Reply(self._t("forget_conversation_pending", **deleted))]

    async def _forget_conversation_now(self, user_id: str) -> bool:
        """Delete the user's conversation, then the pending-forget mark; False when the first failed."""
        try:
            await asyncio.wait_for(self.forget_conversation(user_id), FORGET_CONVERSATION_TIMEOUT)
        except Exception as error:  # noqa: BLE001 - the mark stays: retried later
            logger.error("deleting a conversation failed (forget is pending): %s", type(error).__name__)
            return False
        try:
            await self._run(self.store.forget_done, user_id)
        except Exception as error:  # noqa: BLE001 - harmless: the retry deletes it once more
            logger.error("clearing a pending forget failed: %s", type(error).__name__)
        return True

    async def retry_forget(self, user_id: str) -> None:
        """Before a user's message is answered: finish their forget if it still waits."""
        if await self._run(self.store.forget_pending, user_id):
            await self._forget_conversation_now(user_id)

    def _retry_forget_later(self, user_id: str) -> None:
        key = self.store.user_key(user_id)
        if key in self._forget_retries:
            return
        self._forget_retries.add(key)

        async def retry() -> None:
            try:
                for delay in (*FORGET_RETRY_DELAYS, *[FORGET_RETRY_DELAYS[-1]] * 10_000):
                    await asyncio.sleep(delay)
                    if not await self._run(self.store.forget_pending, user_id):
                        return  # done meanwhile (the user's next message)
                    if await self._forget_conversation_now(user_id):
                        return
            except Exception as error:  # noqa: BLE001 - the mark stays for the next start-up
                logger.error("retrying a pending forget failed: %s", type(error).__name__)
            finally:
                self._forget_retries.discard(key)

        self.background.append(asyncio.get_running_loop().create_task(retry(), name="forget-retry"))

    async def finish_pending_forgets(self) -> int:
        """At start-up: finish every forget left pending; how many are still waiting afterwards."""
        waiting = 0
        for user_id in await self._run(self.store.pending_forgets):
            if not await self._forget_conversation_now(user_id):
                waiting += 1
                self._retry_forget_later(user_id)
        return waiting

    # -- the diary:... buttons ------------------------------------------------------------
    async def handle_payload(self, user_id: str, payload: str) -> list[Reply]:
        parts = payload.split(":")
        action = parts[1] if len(parts) > 1 else ""
        numbers = [int(p) for p in parts[2:3] if re.fullmatch(r"\d{1,12}", p)]
        note_id = numbers[0] if numbers else -1
        if action == "page":
            return await self.page(user_id, max(note_id, 0))
        if action == "open":
            return await self.open(user_id, note_id)
        if action == "edit":
            return await self.edit_menu(user_id, note_id)
        if action == "field" and len(parts) == 4:
            return await self.ask_field(user_id, note_id, parts[3])
        if action == "kind" and len(parts) == 4:
            return await self.set_kind(user_id, note_id, parts[3])
        if action == "cancel":
            return await self.cancel(user_id)
        if action == "delete":
            return await self.confirm_delete(user_id, note_id)
        if action == "delete_yes":
            return await self.delete(user_id, note_id)
        if action == "plan_done" and len(parts) == 3:
            return await self.toggle_plan_step(user_id, parts[2])
        if action == "plan_pdf" and len(parts) == 2:
            return self.confirm_plan_pdf()
        if action == "plan_pdf_yes" and len(parts) == 2:
            return await self.plan_pdf(user_id)
        if action == "plan_pdf_no" and len(parts) == 2:
            return [Reply(self._t("plan_pdf_cancelled"))]
        if action == "export_yes" and len(parts) == 2:
            return await self.export(user_id)
        if action == "export_no" and len(parts) == 2:
            return [Reply(self._t("export_cancelled"))]
        if action == "attach" and len(parts) == 3 and parts[2] in ("last", "new"):
            return await self.attach(user_id, parts[2])
        if action == "attach" and parts[2:] == ["ask"]:
            return await self.ask_where(user_id)
        if action == "forget_yes" and len(parts) == 2:
            return await self.forget(user_id)
        if action == "forget_clear" and len(parts) == 2:
            return await self.forget_and_clear(user_id)
        if action == "forget_no" and len(parts) == 2:
            return [Reply(self._t("forget_cancelled"))]
        if action == "retry" and len(parts) == 2:
            return await self.retry(user_id)
        if action == "clear" and len(parts) == 2:
            return self.clear_chat()
        if action == "clear_done" and len(parts) == 2:
            return [Reply(clear_chat=True)]  # the steps go too: nothing is left
        return [Reply(self._t("not_found"), [Button(self._b("back"), "diary:page:0")])]

