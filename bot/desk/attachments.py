"""Evidence sent to the bot: kept at once (unfiled), then filed to the last note or a new one."""
from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Any, Optional

from bot.desk.base import (
    PENDING_ATTACHMENT,
    PENDING_CAPTIONS,
    DeskBase,
    logger,
    megabytes,
    note_from_words,
    short_name,
)
from bot.diary.errors import NoteNotFoundError
from bot.diary.store import MAX_ATTACHMENT_BYTES, MAX_FIELD_CHARS, DiaryLimitError, Note, NoteFields
from bot.replies import Button, Reply


class AttachmentsScreen(DeskBase):
    def too_big(self, size: Optional[int] = None) -> Reply:
        """The refusal of a file over the limit (20 MB, what Telegram lets a bot download)."""
        limit = MAX_ATTACHMENT_BYTES // (1024 * 1024)
        if size:
            return Reply(self._t("too_big_size", size=megabytes(size), limit=limit))
        return Reply(self._t("too_big", limit=limit))

    async def attachment(self, user_id: str, kind: str, file_id: Optional[str], filename: str,
                         mime_type: str, content: bytes, caption: Optional[str] = None) -> list[Reply]:
        """Evidence sent to the bot: keep it at once (unfiled), then ask which note it belongs to.

        The file is its own encrypted row from the moment it arrives, whatever its
        size up to the limit, so nothing is lost while the person chooses; several
        files sent before choosing (an album) are all kept and filed together.  The words
        sent with it (``caption``) are kept too, encrypted, and go with the files (:meth:`attach`).
        """
        if len(content) > MAX_ATTACHMENT_BYTES:
            return [self.too_big(len(content))]
        await self._adopt_legacy_pending(user_id)
        try:
            await self._run(self.store.add_attachment, user_id, None, kind, file_id or None,
                            short_name(filename), (mime_type or None) and mime_type[:255], content)
        except DiaryLimitError:
            return [self.too_big(len(content))]
        words = " ".join((caption or "").split())
        if words:
            kept = list(await self._run(self.store.get_answer, user_id, PENDING_CAPTIONS) or [])
            await self._run(self.store.set_answer, user_id, PENDING_CAPTIONS, [*kept, words][-20:])
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
        words = "\n".join(await self._run(self.store.get_answer, user_id, PENDING_CAPTIONS) or [])
        words = words[:MAX_FIELD_CHARS]
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
            # the words sent with the files are what happened ("him outside my house at 11pm"), read
            # as a quick note's are; without words, what was sent
            evidence = names[:MAX_FIELD_CHARS]
            fields = note_from_words(words, evidence=evidence)[0] if words else NoteFields(
                occurred_at=datetime.now(timezone.utc), evidence=evidence,
                what_happened=self._t("attach_new_note_text", kind=self._kinds_text(waiting)))
            filed, count = await self._run(lambda: self.store.file_unfiled(user_id, new_note=fields))
        if filed is None:  # another message filed them first
            return [self._nothing_waiting()]
        said = ""
        if words and not created_new:
            # an earlier note: the words go with its evidence, said back (never lost, never silent)
            evidence = "; ".join(part for part in (filed.evidence, words) if part)[:MAX_FIELD_CHARS]
            filed = await self._run(self.store.update_field, user_id, filed.id, "evidence", evidence) or filed
            said = "\n" + self._t("caption_kept", field=self.copy["fields"]["evidence"], words=words)
        if words:
            await self._run(self.store.delete_answer, user_id, PENDING_CAPTIONS)
        text = (self._t("attached", when=self._when(filed)) if count == 1
                else self._t("attached_many", count=count, when=self._when(filed))) + said
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
                            pending.get("file_id") or None, short_name(pending.get("filename") or ""),
                            pending.get("mime") or None, base64.b64decode(pending["content"]))
        except Exception as error:  # noqa: BLE001 - an unreadable leftover must not block new files
            logger.error("an old waiting file could not be kept: %s", type(error).__name__)
        await self._run(self.store.delete_answer, user_id, PENDING_ATTACHMENT)
