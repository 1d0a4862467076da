"""Saving a note (the guided note, ``/note ...``), and "Try saving again" when the store failed."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Any, Optional

from bot.desk.base import DeskBase, logger, note_from_words
from bot.diary.errors import DiaryError
from bot.diary.store import MAX_FIELD_CHARS, TEXT_FIELDS, DiaryLimitError, NoteFields
from bot.replies import Button, Reply
from guidance.dates import echo, names_a_vague_past, saved_as
from guidance.when import When


class NotesScreen(DeskBase):
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

    async def save_from_form(self, user_id: str, fields: dict[str, Any]) -> list[Reply]:
        when = fields.get("occurred_at")  # ISO, or When.to_slot()'s "ISO|about"
        read = When.from_slot(when) if when else When(datetime.now(timezone.utc))
        note = NoteFields(
            occurred_at=read.at, time_precision=None if read.precision == "exact" else read.precision,
            kind=fields.get("kind"), **{name: fields.get(name) for name in TEXT_FIELDS},
        )
        return await self.save(user_id, note)

    async def quick_note(self, user_id: str, text: str) -> list[Reply]:
        fields, found, future = note_from_words(text)  # "/note he was outside at 7pm": 7pm, shown back
        replies = await self.save(user_id, fields)
        if replies and any(b.payload == "diary:page:0" for b in replies[0].buttons):  # saved
            sent = echo(When(fields.occurred_at))
            saved, _, rest = replies[0].text.partition("\n\n")
            if found:  # the time read, said first
                parts = (saved_as(found), saved, rest)
            elif future:  # "at 5pm today" sent at 3am: kept as sent, and said first
                parts = (self._t("quick_note_future", when=sent), saved, rest)
            elif names_a_vague_past(text):  # "a few days ago": no day to write down, and it says so
                parts = (saved, self._t("quick_note_vague_time", when=sent), rest)
            else:  # no time in it: the time it was sent, said after "Saved" (never taken in silence)
                parts = (saved, self._t("quick_note_sent_time", when=sent), rest)
            replies[0] = dataclasses.replace(replies[0], text="\n\n".join(p for p in parts if p))
        return replies

    async def log_mention(self, user_id: str) -> Optional[Reply]:
        _, total = await self._run(self.store.list_notes, user_id, 0, 1)
        return Reply(self._t("log_mention", count=self._counted("incidents", total))) if total else None
