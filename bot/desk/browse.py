"""/notes: the pages of notes, one note opened, edited field by field, deleted.

Editing a field that takes text leaves a pending edit (``pending_edit`` in the store's
answers, and in :class:`bot.desk.pending.PendingMarks`): the user's next message is
that field's new value.
"""
from __future__ import annotations

import math
from typing import Any, Optional

from bot.desk.base import EDITABLE, PAGE_SIZE, PENDING_EDIT, DeskBase, logger
from bot.diary.store import MAX_FIELD_CHARS, DiaryLimitError, Note
from bot.replies import Button, Reply
from guidance.dates import read_when, saved_as
from guidance.when import FutureDate, When, local_zone


class BrowseScreen(DeskBase):
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
        self.pending.edit_set(user_id)  # before the row: a mark may only be wrong towards asking
        await self._run(self.store.set_answer, user_id, PENDING_EDIT, {"id": note_id, "field": field})
        prompt = (self._t("edit_prompt_when") if field == "occurred_at"
                  else self._t("edit_prompt", label=self.copy["fields"][field]))
        return [Reply(prompt, [Button(self._b("cancel"), "diary:cancel")])]

    async def pending_edit(self, user_id: str) -> Optional[dict[str, Any]]:
        """The note edit waiting for the user's text (``{"id", "field"}``), or None."""
        if not await self.pending.may_edit(user_id):
            return None
        pending = await self._run(self.store.get_answer, user_id, PENDING_EDIT)
        if not pending:
            self.pending.edit_cleared(user_id)
        return dict(pending) if pending else None

    async def pending_input(self, user_id: str, text: str) -> Optional[list[Reply]]:
        """If an edit is waiting for the user's text, apply it; None when nothing waits."""
        pending = await self.pending_edit(user_id)
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
        await self._clear_pending_edit(user_id)
        if note is None:
            return [Reply(self._t("not_found"))]
        done = self._t("edit_done") + (f" {saved_as(read)}" if read else "")  # the time as read
        return [Reply(done), *await self.open(user_id, note_id)]

    async def _clear_pending_edit(self, user_id: str) -> None:
        await self._run(self.store.delete_answer, user_id, PENDING_EDIT)
        self.pending.edit_cleared(user_id)  # after the row: a mark may only be wrong towards asking

    async def set_kind(self, user_id: str, note_id: int, kind: str) -> list[Reply]:
        if kind not in self.copy["kinds"]:
            return [Reply(self._t("not_found"))]
        note = await self._run(self.store.update_field, user_id, note_id, "kind", kind)
        if note is None:
            return [Reply(self._t("not_found"))]
        return [Reply(self._t("edit_done")), *await self.open(user_id, note_id)]

    async def cancel_pending(self, user_id: str) -> None:
        """A command or button moves on: forget a half-started edit."""
        if await self.pending.may_edit(user_id):
            await self._clear_pending_edit(user_id)

    async def cancel(self, user_id: str) -> list[Reply]:
        await self._clear_pending_edit(user_id)
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
