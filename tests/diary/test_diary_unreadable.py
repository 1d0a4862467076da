"""Issue 13, item 3: one damaged row no longer breaks the whole log.

A note whose stored ciphertext is damaged is skipped and reported ("1 note could
not be read"); every other note stays readable, listable and exportable.  On
SQLite and the real PostgreSQL.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from bot.desk import DiaryDesk
from bot.diary.store import DiaryStore, NoteFields
from guidance.facts import Facts

START = datetime(2024, 5, 1, 9, 0, tzinfo=timezone.utc)


def _damage(store: DiaryStore, note_id: int, field: str = "what_happened") -> None:
    token = b"gAAAAA" + b"x" * 90  # looks like a Fernet token, opens with no key
    with store.engine.begin() as connection:
        damaged = connection.execute(
            text("UPDATE note_texts SET value_enc = :t WHERE note_id = :i AND name = :f"),
            {"t": token, "i": note_id, "f": field})
        assert damaged.rowcount == 1


def _three_notes(store: DiaryStore) -> list[int]:
    ids = []
    for n, what in enumerate(["first: he followed me", "second: DAMAGED-ONE", "third: flowers again"]):
        note = store.add_note("alice", NoteFields(occurred_at=START + timedelta(days=n), what_happened=what,
                                                  place=f"place {n}"))
        ids.append(note.id)
    return ids


def test_a_damaged_note_is_skipped_and_reported_by_the_store(store: DiaryStore) -> None:
    ids = _three_notes(store)
    _damage(store, ids[1])
    notes, total = store.list_notes("alice", 0, 5)
    assert total == 3
    assert [n.unreadable for n in notes] == [False, True, False]
    assert [n.what_happened for n in notes] == ["third: flowers again", None, "first: he followed me"]
    assert notes[1].occurred_at == START + timedelta(days=1)  # its date is still known
    every = store.all_notes("alice")
    assert [n.what_happened for n in every if not n.unreadable] == ["first: he followed me",
                                                                   "third: flowers again"]
    opened = store.get_note("alice", ids[1])
    assert opened is not None and opened.unreadable
    assert store.delete_note("alice", ids[1])  # a damaged note can still be deleted


def test_a_damaged_answer_reads_as_absent(store: DiaryStore) -> None:
    store.set_answer("alice", "four", {"fixated": "yes"})
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE answers SET value_enc = :t"), {"t": b"gAAAAAbroken"})
    assert store.get_answer("alice", "four") is None


def test_the_log_and_the_export_still_work_and_say_what_could_not_be_read(
        store: DiaryStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _three_notes(store)
    _damage(store, ids[1], "place")
    desk = DiaryDesk(store, Facts.load(), lambda _user: asyncio.sleep(0))

    (listing,) = asyncio.run(desk.page("alice", 0))
    assert "1 note could not be read" in listing.text
    titles = [b.title for b in listing.buttons]
    assert any("could not be read" in t for t in titles) and any("flowers again" in t for t in titles)

    (opened,) = asyncio.run(desk.open("alice", ids[1]))
    assert "could not be read" in opened.text and "DAMAGED-ONE" not in opened.text
    assert any(b.payload == f"diary:delete:{ids[1]}" for b in opened.buttons)

    spool = tmp_path / "tmp"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    replies = asyncio.run(desk.export("alice"))
    assert "1 note could not be read" in replies[0].text
    assert list(spool.iterdir()) == []  # the export is bytes in the reply, never a file
    pdf_bytes = replies[0].document.content  # type: ignore[union-attr]
    csv_bytes = replies[1].document.content  # type: ignore[union-attr]
    pages = PdfReader(io.BytesIO(pdf_bytes)).pages
    pdf = " ".join(re.sub(r"\s+", " ", p.extract_text() or "") for p in pages)
    assert "Incidents recorded: 2" in pdf and "1 note in the diary could not be read" in pdf
    assert "he followed me" in pdf and "flowers again" in pdf and "DAMAGED-ONE" not in pdf
    rows = list(csv.DictReader(io.StringIO(csv_bytes.decode("utf-8"), newline="")))
    assert [r["what_happened"] for r in rows] == ["first: he followed me", "third: flowers again"]
