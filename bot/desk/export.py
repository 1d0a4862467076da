"""/export: the notes as a PDF and a CSV, made in memory and sent as bytes, after asking first."""
from __future__ import annotations

from datetime import datetime, timezone

from bot.desk.base import DeskBase
from bot.replies import Button, Document, Reply
from guidance.when import local_zone


class ExportScreen(DeskBase):
    async def confirm_export(self, user_id: str) -> list[Reply]:
        """Say what an export puts on the phone before doing it (diary:export_yes does it)."""
        _, total = await self._run(self.store.list_notes, user_id, 0, 1)
        if not total:
            return [Reply(self._t("export_empty"))]
        return [Reply(self._t("export_confirm", count=self._counted("notes", total)), [
            Button(self._b("export_yes"), "diary:export_yes"),
            Button(self._b("export_no"), "diary:export_no"),
        ])]

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
