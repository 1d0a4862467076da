"""/notes: the pages of notes, one note opened, edited field by field, deleted.

Editing a field that takes text or the time is a Rasa form (``edit_note_form``,
:mod:`nlu.actions.edit`): the field's button starts it (:meth:`BrowseScreen.ask_field`
gives the core its payload once the note is found to be the user's), and it ends in an
``update_field`` request (:meth:`BrowseScreen.update_from_edit`).  The kind of incident
is changed by buttons alone.
"""
from __future__ import annotations

import dataclasses
import json
import math
import re
from typing import Any, Optional, Union

from bot.desk.base import EDITABLE, PAGE_SIZE, DeskBase, logger
from bot.diary.store import MAX_FIELD_CHARS, DiaryLimitError, Note
from bot.replies import Button, Reply
from guidance.dates import read_time_correction, saved_as, short_when
from guidance.note_schema import schema
from guidance.when import When

#: The fields the edit form changes (nlu/actions/edit.py): the time and the free text.
FORM_FIELDS = schema().typed_fields


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
            # never a made-up 00:00, nor 19:00 for "Tuesday evening"
            title = f"{short_when(note.occurred_at, note.time_precision)} · {what}"
            buttons.append(Button(title[:60] + ("…" if len(title) > 60 else ""), f"diary:open:{note.id}"))
        if page > 0:
            buttons.append(Button(self._b("newer"), f"diary:page:{page - 1}"))
        if page + 1 < pages:
            buttons.append(Button(self._b("older"), f"diary:page:{page + 1}"))
        buttons.append(Button(self._b("export"), "/export_notes"))
        buttons.extend(file_them)
        header = self._t("list_header", total=self._counted("incidents", total), page=page + 1, pages=pages)
        if page == 0:  # how often, by when it happened: "how many times has he done it now"
            header += "\n" + await self.pattern_text(user_id, repeated=False)
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

    async def ask_field(self, user_id: str, note_id: int, field: str) -> Union[list[Reply], str]:
        """A field of the edit menu: the kind's buttons, or the payload that starts Rasa's edit
        form (``/edit_note{...}``) once the note is found to be the user's."""
        note = await self._run(self.store.get_note, user_id, note_id)
        if note is None or field not in EDITABLE:
            return [Reply(self._t("not_found"))]
        if field == "kind":
            buttons = [Button(str(label), f"diary:kind:{note_id}:{key}")
                       for key, label in self.copy["kinds"].items()]
            return [Reply(self._t("edit_menu"), buttons)]
        if field not in FORM_FIELDS:
            return [Reply(self._t("not_found"))]
        return "/edit_note" + json.dumps({"edit_note_id": str(note_id), "edit_field": field})

    async def update_from_edit(self, user_id: str, request: dict[str, Any]) -> list[Reply]:
        """Rasa's edit form is done: ``{"op": "update_field", "id", "field", "value"}`` (a time
        as ``When.to_slot`` writes it, with ``alternative``, the other reading of an ambiguous
        one).  The store changes the note only if it is the user's; the note is shown again,
        the time as read."""
        field, note_id = str(request.get("field")), str(request.get("id"))
        if field not in FORM_FIELDS or not re.fullmatch(r"\d{1,12}", note_id):
            logger.warning("an edit request named no editable field")
            return [Reply(self._t("not_found"))]
        value: Any = request.get("value")
        read: Optional[When] = None
        try:
            if schema().field(field).type == "when":
                read = When.from_slot(str(value))
                if request.get("alternative"):
                    other = When.from_slot(str(request["alternative"]))
                    read = dataclasses.replace(read, alternative=other.at,
                                               alternative_precision=other.precision)
                read = await self._time_alone(user_id, int(note_id), request.get("time_alone")) or read
                value = read.at
            note = await self._run(self.store.update_field, user_id, int(note_id), field, value,
                                   None if read is None or read.precision == "exact" else read.precision)
        except DiaryLimitError:
            return [Reply(self._t("field_too_long", limit=MAX_FIELD_CHARS))]
        except Exception as error:  # noqa: BLE001
            logger.error("updating a note failed: %s", type(error).__name__)
            return [Reply(self._t("save_failed"))]
        if note is None:  # not the user's note, or deleted meanwhile: nothing changed
            return [Reply(self._t("not_found"))]
        done = self._t("edit_done") + (f" {saved_as(read)}" if read else "")  # the time as read
        return [Reply(done), *await self.open(user_id, int(note_id))]

    async def _time_alone(self, user_id: str, note_id: int, said: Any) -> Optional[When]:
        """A time given alone in an edit ("more like half 8") corrects the note's own time: its
        day kept and the reading nearest it (08:30 after 08:00, not 20:30), as a time corrected
        in the note's form is.  None: no such time, or it can't be read that way."""
        if not said:
            return None
        note = await self._run(self.store.get_note, user_id, note_id)
        if note is None:
            return None
        before = When(note.occurred_at, note.time_precision or "exact")
        try:
            return read_time_correction(str(said), before)
        except ValueError:  # FutureDate included: the form's own reading stands
            return None

    async def set_kind(self, user_id: str, note_id: int, kind: str) -> list[Reply]:
        if kind not in self.copy["kinds"]:
            return [Reply(self._t("not_found"))]
        note = await self._run(self.store.update_field, user_id, note_id, "kind", kind)
        if note is None:
            return [Reply(self._t("not_found"))]
        return [Reply(self._t("edit_done")), *await self.open(user_id, note_id)]

    async def cancel(self, user_id: str) -> list[Reply]:
        """"Cancel" of an edit asked before edits were a Rasa form (its button may still be in a
        chat): nothing waits any more, so nothing is changed."""
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
