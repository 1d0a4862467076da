"""What a copy of the SQLite file shows: no text a user wrote, and no Telegram user id."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.diary.crypto import Cipher
from bot.diary.store import TEXT_FIELDS, DiaryStore, NoteFields, migrate

from .test_diary_store import T0


def _raw(db: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in db.parent.glob(db.name + "*")}


def test_sqlite_file_and_wal_hold_no_trace_of_the_text_or_the_user_id(
    sqlite_url: str, cipher: Cipher
) -> None:
    db = Path(make_url(sqlite_url).database or "")
    migrate(sqlite_url)
    marker = uuid.uuid4().hex
    user_id = "7318046529"  # a Telegram-like id that appears nowhere else
    holder = sqlite3.connect(db)  # holds the database open, so the WAL is not folded away on close
    try:
        holder.execute("SELECT count(*) FROM notes").fetchall()
        store = DiaryStore(sqlite_url, cipher)
        note = store.add_note(
            user_id, NoteFields(occurred_at=T0, kind="following", **{f: f"{f} {marker}" for f in TEXT_FIELDS})
        )
        store.add_attachment(
            user_id,
            note.id,
            "document",
            f"file-{marker}",
            f"{marker}.pdf",
            "application/pdf",
            f"content {marker}".encode(),
        )
        store.set_answer(user_id, "plan", {"step": marker})
        store.update_field(user_id, note.id, "witnesses", f"edited {marker}")

        files = _raw(db)
        assert (
            f"{db.name}-wal" in files and len(files[f"{db.name}-wal"]) > 0
        ), "expected an uncheckpointed WAL"
        everything = b"".join(files.values())
        assert cipher.user_key(user_id).encode() in everything, "the rows were not written where we look"
        for name, data in files.items():
            assert marker.encode() not in data, f"the text leaked into {name}"
            assert user_id.encode() not in data, f"the user id leaked into {name}"
            assert marker.encode("utf-16-le") not in data
        store.close()
    finally:
        holder.close()

    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for name, data in _raw(db).items():
        assert marker.encode() not in data, f"the text leaked into {name} after a checkpoint"
        assert user_id.encode() not in data


def test_forget_leaves_no_rows_in_the_file(sqlite_url: str, cipher: Cipher) -> None:
    db = Path(make_url(sqlite_url).database or "")
    migrate(sqlite_url)
    with DiaryStore(sqlite_url, cipher) as store:
        note = store.add_note("555", NoteFields(occurred_at=T0, place="somewhere"))
        store.add_attachment("555", note.id, "photo", None, None, None, b"\x89PNG" * 1000)
        store.forget("555")
    data = b"".join(_raw(db).values())
    assert cipher.user_key("555").encode() not in data  # secure_delete overwrote the freed rows


def test_database_file_is_private(sqlite_url: str) -> None:
    db = Path(make_url(sqlite_url).database or "")
    migrate(sqlite_url)
    assert db.exists() and db.stat().st_mode & 0o077 == 0
