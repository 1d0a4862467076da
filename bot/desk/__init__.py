"""The incident log's desk: where the bot carries out diary requests against its store.

Rasa decides *what* should happen (save this note, list, export, forget) and says
so in a ``{"diary": {...}}`` custom message; the desk does it, because the bot
owns the data.  The browse screens (open, edit, delete, paging, attachments) are
drawn here too, as buttons whose payloads start with ``diary:``; their state
(an attachment waiting to be filed) lives in the store.  Editing a field is Rasa's
``edit_note_form``: its button becomes that form's payload here (:meth:`DiaryDesk.button`)
and the form ends in an ``update_field`` request.  Who has a forget waiting is known in
memory (:mod:`bot.desk.pending`), so an ordinary message costs no store access.

One module per screen: ``notes`` (saving, "Try saving again"), ``browse`` (pages,
open, edit, delete), ``attachments``, ``plan`` (the safety plan, where the person
is), ``export``, ``forget``; ``base`` holds what they share.  :class:`DiaryDesk` is
all of them, and routes Rasa's requests, the data screens and the ``diary:``
buttons through three tables.
"""
from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from typing import Any, Optional, Union

from bot.desk.attachments import AttachmentsScreen
from bot.desk.base import (
    CLEAR_CHAT,
    COPY_PATH,
    DATA_SCREENS,
    EDITABLE,
    PAGE_SIZE,
    PENDING_ATTACHMENT,
    PLAN_DONE,
    WHERE,
    logger,
    megabytes,
    ordinal,
)
from bot.desk.browse import BrowseScreen
from bot.desk.export import ExportScreen
from bot.desk.forget import FORGET_CONVERSATION_TIMEOUT, FORGET_RETRY_DELAYS, ForgetScreen
from bot.desk.notes import NotesScreen
from bot.desk.plan import PlanScreen
from bot.desk.unsaved import UnsavedNotes
from bot.replies import Button, Reply

__all__ = ["CLEAR_CHAT", "COPY_PATH", "DATA_SCREENS", "EDITABLE", "FORGET_CONVERSATION_TIMEOUT",
           "FORGET_RETRY_DELAYS", "PAGE_SIZE", "PENDING_ATTACHMENT", "PLAN_DONE",
           "WHERE", "DiaryDesk", "UnsavedNotes", "megabytes", "ordinal"]

Replies = Union[list[Reply], Awaitable[list[Reply]], None]
#: The answers Rasa's custom actions may ask the bot to keep.
SAVED_ANSWERS = ("four", "risk", WHERE)


def _note_id(parts: list[str]) -> int:
    """The note number of ``diary:<action>:<number>...``; -1 when there is none."""
    return int(parts[2]) if len(parts) > 2 and re.fullmatch(r"\d{1,12}", parts[2]) else -1


#: Rasa's requests (``{"diary": {"op": ...}}``).  Rasa only ever asks for a confirmation
#: of export and forget: they run from the bot's own buttons, never on a guess.
_REQUESTS: dict[str, Callable[[DiaryDesk, str, dict[str, Any]], Replies]] = {
    "save_note": lambda d, u, r: d.save_from_form(u, dict(r.get("fields") or {})),
    "update_field": lambda d, u, r: d.update_from_edit(u, r),
    "list": lambda d, u, r: d.page(u, 0),
    "export": lambda d, u, r: d.confirm_export(u),
    "confirm_export": lambda d, u, r: d.confirm_export(u),
    "forget": lambda d, u, r: d.confirm_forget(),
    "confirm_forget": lambda d, u, r: d.confirm_forget(),
    "save_answers": lambda d, u, r: d.save_answers(u, r),
    "plan": lambda d, u, r: d.plan(u),
    "where": lambda d, u, r: d.where_route(u, str(r.get("topic") or "report")),
    "elsewhere": lambda d, u, r: d.elsewhere(u, str(r.get("topic") or "")),
    "log_mention": lambda d, u, r: d.log_mentions(u),
}

#: /notes, /export, /clear and /forget (their payloads), drawn from the store alone.
_SCREENS: dict[str, Callable[[DiaryDesk, str], Replies]] = {
    "/list_notes": lambda d, u: d.page(u, 0),
    "/export_notes": lambda d, u: d.confirm_export(u),
    CLEAR_CHAT: lambda d, u: d.clear_chat(),
    "/forget_me": lambda d, u: d.confirm_forget(),
}

#: The ``diary:<action>:...`` buttons: action -> (how many parts the payload has, None: any;
#: what it does).  A handler's None means "no such button".
_PAYLOADS: dict[str, tuple[Optional[int], Callable[[DiaryDesk, str, list[str]], Replies]]] = {
    "page": (None, lambda d, u, p: d.page(u, max(_note_id(p), 0))),
    "open": (None, lambda d, u, p: d.open(u, _note_id(p))),
    "edit": (None, lambda d, u, p: d.edit_menu(u, _note_id(p))),
    "kind": (4, lambda d, u, p: d.set_kind(u, _note_id(p), p[3])),
    "cancel": (None, lambda d, u, p: d.cancel(u)),
    "delete": (None, lambda d, u, p: d.confirm_delete(u, _note_id(p))),
    "delete_yes": (None, lambda d, u, p: d.delete(u, _note_id(p))),
    "plan_done": (3, lambda d, u, p: d.toggle_plan_step(u, p[2])),
    "plan_pdf": (2, lambda d, u, p: d.confirm_plan_pdf()),
    "plan_pdf_yes": (2, lambda d, u, p: d.plan_pdf(u)),
    "plan_pdf_no": (2, lambda d, u, p: [Reply(d._t("plan_pdf_cancelled"))]),
    "export_yes": (2, lambda d, u, p: d.export(u)),
    "export_no": (2, lambda d, u, p: [Reply(d._t("export_cancelled"))]),
    "attach": (3, lambda d, u, p: (d.attach(u, p[2]) if p[2] in ("last", "new")
                                   else d.ask_where(u) if p[2] == "ask" else None)),
    "forget_yes": (2, lambda d, u, p: d.forget(u)),
    "forget_clear": (2, lambda d, u, p: d.forget_and_clear(u)),
    "forget_no": (2, lambda d, u, p: [Reply(d._t("forget_cancelled"))]),
    "retry": (2, lambda d, u, p: d.retry(u)),
    "clear": (2, lambda d, u, p: d.clear_chat()),
    "clear_done": (2, lambda d, u, p: [Reply(clear_chat=True)]),  # the steps go too: nothing is left
}


async def _replies(result: Replies) -> Optional[list[Reply]]:
    return await result if inspect.isawaitable(result) else result


class DiaryDesk(NotesScreen, BrowseScreen, AttachmentsScreen, PlanScreen, ExportScreen, ForgetScreen):
    """Executes diary operations for one user at a time and draws their replies."""

    async def execute(self, user_id: str, request: dict[str, Any]) -> list[Reply]:
        """What Rasa asked for (``request["op"]``)."""
        handler = _REQUESTS.get(str(request.get("op")))
        if handler is None:
            logger.warning("unknown diary request %r", request.get("op"))
            return []
        return await _replies(handler(self, user_id, request)) or []

    async def data_screen(self, user_id: str, payload: str) -> list[Reply]:
        """/notes, /export or /forget, drawn by the bot from its store alone.

        They need no dialogue engine, so they work while Rasa is down; /forget
        still asks first, with the bot's own buttons (``diary:forget_yes``).
        """
        handler = _SCREENS.get(payload, _SCREENS["/forget_me"])
        return await _replies(handler(self, user_id)) or []

    async def button(self, user_id: str, payload: str) -> Union[list[Reply], str]:
        """A ``diary:...`` button: its replies, or for a field to edit (``diary:field:<id>:<field>``)
        of the user's own note, the payload that starts Rasa's edit form, for the core to send."""
        parts = payload.split(":")
        if len(parts) == 4 and parts[1] == "field":
            return await self.ask_field(user_id, _note_id(parts), parts[3])
        return await self.handle_payload(user_id, payload)

    async def handle_payload(self, user_id: str, payload: str) -> list[Reply]:
        """A ``diary:...`` button."""
        parts = payload.split(":")
        parts_count, handler = _PAYLOADS.get(parts[1] if len(parts) > 1 else "", (None, None))
        found = None
        if handler is not None and parts_count in (None, len(parts)):
            found = await _replies(handler(self, user_id, parts))
        if found is None:
            return [Reply(self._t("not_found"), [Button(self._b("back"), "diary:page:0")])]
        return found

    async def save_answers(self, user_id: str, request: dict[str, Any]) -> list[Reply]:
        """Keep an answer of Rasa's checks (the FOUR check, the risk check, where the person is)."""
        if request.get("name") not in SAVED_ANSWERS:
            logger.warning("unknown diary answer %r", request.get("name"))
            return []
        await self._run(self.store.set_answer, user_id, str(request["name"]), request.get("value"))
        return []

    async def log_mentions(self, user_id: str) -> list[Reply]:
        mention = await self.log_mention(user_id)
        return [mention] if mention else []
