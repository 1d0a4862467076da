"""The diary's own screens with the dialogue engine down, and evidence of any size up to 20 MB.

Issue 13: item 6 (/notes, /export and /forget work while Rasa is down; /forget
still asks first) and item 1 (a file is kept from the moment it arrives, as its
own encrypted row; an album keeps every photo; over 20 MB is refused clearly).
The core is the real one (guard, desk, store on SQLite); only the engine is a
stand-in that fails, so nothing here needs the trained model.
"""
from __future__ import annotations

import csv
import io
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest
from pypdf import PdfReader

from bot.core import Core
from bot.desk import DiaryDesk
from bot.diary.crypto import Cipher
from bot.diary.store import MAX_ATTACHMENT_BYTES, DiaryStore, migrate
from bot.engine import EngineUnavailable
from bot.guard import SafetyGuard
from bot.replies import Reply
from guidance.facts import Facts

MB = 1024 * 1024


class DownEngine:
    """Rasa down: every call fails (``forget_fails``: deleting the conversation fails too)."""

    intents = frozenset({"greet", "affirm", "deny", "list_notes", "export_notes", "forget_me"})

    def __init__(self, forget_fails: bool = False) -> None:
        self.forget_fails = forget_fails
        self.seen: list[str] = []
        self.forgotten: list[str] = []

    async def start(self) -> None: ...

    async def handle(self, user_id: str, text: str,
                     metadata: Optional[dict[str, Any]] = None) -> list[dict[str, Any]]:
        self.seen.append(text)
        raise EngineUnavailable("rasa is down")

    async def reset(self, user_id: str) -> None:
        raise EngineUnavailable("rasa is down")

    async def forget(self, user_id: str) -> None:
        if self.forget_fails:
            raise EngineUnavailable("rasa is down")
        self.forgotten.append(user_id)

    async def close(self) -> None: ...


class Bot:
    def __init__(self, folder: Path, engine: DownEngine) -> None:
        url = f"sqlite:///{folder / 'diary.db'}"
        migrate(url)
        self.folder = folder
        self.store = DiaryStore(url, Cipher.generate())
        self.engine = engine
        desk = DiaryDesk(self.store, Facts.load(), engine.forget)
        self.core = Core(engine, SafetyGuard.from_file(), Facts.load(), engine_timeout=1.0, desk=desk)

    async def ask(self, user: str, text: str) -> list[Reply]:
        return await self.core.handle(user, text)

    async def send_file(self, user: str, kind: str, name: str, mime: str, content: bytes,
                        caption: Optional[str] = None) -> list[Reply]:
        return await self.core.handle_attachment(user, kind, f"tg-{name}", name, mime, content,
                                                 caption=caption)

    def rows(self, user: str) -> dict[str, int]:
        key = self.store._uk(user)
        with sqlite3.connect(self.folder / "diary.db") as db:
            return {t: db.execute(f"select count(*) from {t} where user_key = ?", (key,)).fetchone()[0]
                    for t in ("notes", "attachments", "answers")}


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[Bot]:
    running = Bot(tmp_path, DownEngine())
    yield running
    running.store.close()


def payloads(replies: list[Reply]) -> dict[str, str]:
    return {b.title: b.payload for r in replies for b in r.buttons if b.payload}


async def export(bot: Bot, user: str, command: str = "/export") -> list[Any]:
    """The exported documents, pressing the bot's confirmation first if it asks for one."""
    replies = await bot.ask(user, command)
    if not any(r.document for r in replies) and "diary:export_yes" in payloads(replies).values():
        replies = await bot.ask(user, "diary:export_yes")
    return [r.document for r in replies if r.document]


# -- item 6: the data screens without the dialogue engine ------------------------------------


async def test_notes_and_export_work_with_the_engine_down(bot: Bot) -> None:
    assert "Saved" in (await bot.ask("u1", "/note he waited outside my work again"))[0].text
    listing = await bot.ask("u1", "/notes")
    assert "1 incident " in listing[0].text and "page 1 of 1" in listing[0].text
    assert any(p.startswith("diary:open:") for p in payloads(listing).values())
    assert "1 incident " in (await bot.ask("u1", "/notes@StalkingHelpBot"))[0].text
    documents = await export(bot, "u1")
    assert [Path(d.filename).suffix for d in documents] == [".pdf", ".csv"]
    pdf = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(documents[0].content)).pages)
    assert "he waited outside my work again" in pdf
    # the export button's payload works the same way
    assert len(await export(bot, "u1", "/export_notes")) == 2
    # the engine was never needed: only asked to pause a form in progress first, which failed
    assert set(bot.engine.seen) <= {"/pause"}


async def test_forget_asks_first_then_deletes_with_the_engine_down(bot: Bot) -> None:
    await bot.ask("u1", "/note he sent flowers to my office")
    await bot.send_file("u1", "photo", "door.jpg", "image/jpeg", b"\xff\xd8" + os.urandom(5000))
    await bot.ask("u1", "diary:attach:last")
    confirm = await bot.ask("u1", "/forget")
    assert "Delete everything?" in confirm[0].text
    buttons = payloads(confirm)
    assert buttons == {"Yes, delete everything": "diary:forget_yes",
                       "Delete everything and clear this chat": "diary:forget_clear",
                       "No, keep it": "diary:forget_no"}
    assert bot.rows("u1") == {"notes": 1, "attachments": 1, "answers": 0}  # nothing deleted yet
    kept = await bot.ask("u1", buttons["No, keep it"])
    assert kept[0].text == "OK, nothing was deleted."
    assert bot.rows("u1")["notes"] == 1
    await bot.ask("u1", "/forget")
    gone = await bot.ask("u1", "diary:forget_yes")
    assert gone[0].text.startswith("Deleted everything: 1 note, 1 attachment")
    assert bot.rows("u1") == {"notes": 0, "attachments": 0, "answers": 0}
    assert bot.engine.forgotten == ["u1"]
    assert set(bot.engine.seen) <= {"/pause"}


async def test_forget_deletes_the_log_even_when_the_conversation_cannot_be(tmp_path: Path) -> None:
    bot = Bot(tmp_path, DownEngine(forget_fails=True))
    try:
        assert "Saved" in (await bot.ask("u1", "/note he sent me a parcel at work"))[0].text
        assert "Delete everything?" in (await bot.ask("u1", "/forget"))[0].text
        assert bot.rows("u1")["notes"] == 1
        replies = await bot.ask("u1", "diary:forget_yes")
        assert replies and all(r.text for r in replies)
        assert "1 note," in replies[0].text  # what was deleted is said, not just "something went wrong"
        assert bot.rows("u1") == {"notes": 0, "attachments": 0, "answers": 0}
    finally:
        bot.store.close()


# -- item 1: evidence of any size up to 20 MB, kept from arrival -----------------------------


async def test_a_3_mb_photo_and_a_19_9_mb_file_are_kept_and_exported(bot: Bot) -> None:
    photo = b"\xff\xd8\xff\xe0" + os.urandom(3 * MB) + b"\xff\xd9"
    video = os.urandom(int(19.9 * MB))
    await bot.ask("u1", "/note he was parked outside again")
    ask = await bot.send_file("u1", "photo", "photo.jpg", "image/jpeg", photo)
    assert ask[0].text == "Which note should I attach this photo to?"
    assert bot.rows("u1")["attachments"] == 1  # kept before the person chose
    attached = await bot.ask("u1", payloads(ask)["A new note"])
    assert attached[0].text.startswith("📎 Attached to the note of ")
    ask = await bot.send_file("u1", "document", "dashcam.mp4", "video/mp4", video)
    await bot.ask("u1", "diary:attach:last")
    notes = bot.store.all_notes("u1")
    kept = {a.filename: bot.store.get_attachment_content("u1", a.id) for n in notes for a in n.attachments}
    assert kept == {"photo.jpg": photo, "dashcam.mp4": video}
    exported = await export(bot, "u1")
    pdf = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(exported[0].content)).pages)
    assert "photo.jpg (photo, 3.0 MB)" in pdf and "dashcam.mp4 (document, 19.9 MB)" in pdf
    rows = list(csv.DictReader(io.StringIO(exported[1].content.decode("utf-8"), newline="")))
    details = " | ".join(r["attachment_details"] for r in rows)
    assert "photo.jpg (photo, 3.0 MB)" in details and "dashcam.mp4 (document, 19.9 MB)" in details


async def test_a_25_mb_file_is_refused_clearly_and_nothing_is_kept(bot: Bot) -> None:
    await bot.ask("u1", "/note he rang 20 times")
    refused = await bot.send_file("u1", "video", "long.mp4", "video/mp4", b"\0" * (25 * MB))
    assert len(refused) == 1 and not refused[0].buttons
    assert "NOT saved" in refused[0].text and "25.0 MB" in refused[0].text and "20 MB" in refused[0].text
    assert bot.rows("u1")["attachments"] == 0
    at_limit = await bot.send_file("u1", "document", "max.bin", "", b"\0" * MAX_ATTACHMENT_BYTES)
    assert "Which note" in at_limit[0].text


async def test_an_album_keeps_every_photo(bot: Bot) -> None:
    await bot.ask("u1", "/note he left a letter")
    photos = [bytes([n]) * (400_000 + n) for n in range(4)]
    asks = [await bot.send_file("u1", "photo", f"p{n}.jpg", "image/jpeg", p) for n, p in enumerate(photos)]
    assert asks[-1][0].text == "I have kept the 4 files you sent. Which note should I attach them to?"
    filed = await bot.ask("u1", payloads(asks[0])["A new note"])
    assert filed[0].text.startswith("📎 Attached 4 files to the note of ")
    # the buttons of the other questions find nothing left to file, and say so
    assert "already with a note" in (await bot.ask("u1", payloads(asks[1])["A new note"]))[0].text
    newest = bot.store.latest_note("u1")
    assert newest is not None and newest.what_happened == "Evidence sent: photo ×4"
    assert [bot.store.get_attachment_content("u1", a.id) for a in newest.attachments] == photos
    assert bot.store.list_notes("u1")[1] == 2


async def test_waiting_files_are_shown_in_the_log_until_filed(bot: Bot) -> None:
    await bot.ask("u1", "/note he messaged my sister")
    await bot.send_file("u1", "voice", "voice-note.ogg", "audio/ogg", b"OggS" + os.urandom(3000))
    listing = await bot.ask("u1", "/notes")
    button = payloads(listing)["📎 Attach the 1 file(s) I am keeping for you"]
    ask = await bot.ask("u1", button)
    assert ask[0].text == "Which note should I attach this voice to?"
    await bot.ask("u1", "diary:attach:last")
    assert "📎" not in " ".join(payloads(await bot.ask("u1", "/notes")))


async def test_a_file_left_waiting_by_the_old_version_is_kept(bot: Bot) -> None:
    """Before issue 13 a waiting file sat base64 in the "pending_attachment" answer."""
    import base64

    await bot.ask("u1", "/note first")
    bot.store.set_answer("u1", "pending_attachment", {
        "kind": "photo", "file_id": "old", "filename": "old.jpg", "mime": "image/jpeg",
        "content": base64.b64encode(b"old photo").decode()})
    replies = await bot.ask("u1", "diary:attach:last")
    assert replies[0].text.startswith("📎 Attached to the note of ")
    [attachment] = bot.store.latest_note("u1").attachments  # type: ignore[union-attr]
    assert bot.store.get_attachment_content("u1", attachment.id) == b"old photo"
    assert bot.store.get_answer("u1", "pending_attachment") is None


# -- the console's /attach: a local file as evidence, as Telegram would send it -----------


async def test_console_attach_keeps_files_and_refuses_25_mb(bot: Bot, tmp_path: Path) -> None:
    import io
    import json

    from bot.console import attachment_kind, run_jsonl

    assert [attachment_kind(m) for m in ("image/png", "audio/ogg", "video/mp4", "application/pdf",
                                         "audio/mpeg")] == ["photo", "voice", "video", "document",
                                                            "document"]
    photo = tmp_path / "front door.jpg"
    photo.write_bytes(b"\xff\xd8" + os.urandom(3 * MB))
    big = tmp_path / "big.mp4"
    with big.open("wb") as handle:
        handle.truncate(25 * MB)
    lines = ["/note he was at my door", f'/attach "{photo}"', "diary:attach:last", f"/attach {big}",
             f"/attach {tmp_path / 'missing.jpg'}", "/attach"]
    out = io.StringIO()
    await run_jsonl(bot.core, "u1", io.StringIO("\n".join(lines) + "\n"), out)
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [a["in"] for a in answers] == lines
    texts = [a["out"][0]["text"] for a in answers]
    assert texts[1] == "Which note should I attach this photo to?"
    assert texts[2].startswith("📎 Attached to the note of ")
    assert "NOT saved" in texts[3] and "25.0 MB" in texts[3]
    assert "can't read a file" in texts[4] and "/attach followed by" in texts[5]
    [note] = bot.store.all_notes("u1")
    [kept] = note.attachments
    assert (kept.kind, kept.filename, kept.mime_type, kept.telegram_file_id) == (
        "photo", "front door.jpg", "image/jpeg", None)
    assert bot.store.get_attachment_content("u1", kept.id) == photo.read_bytes()


# -- the console saves what the bot sends, where it says -----------------------------------


async def test_console_saves_exports_where_it_says_and_never_replaces_one(bot: Bot, tmp_path: Path) -> None:
    import json
    import re
    import stat

    from bot.console import format_reply, run_jsonl

    folder = tmp_path / "my exports"
    lines = ["/note he was at my door", "diary:export_yes", "diary:export_yes"]
    out = io.StringIO()
    await run_jsonl(bot.core, "u1", io.StringIO("\n".join(lines) + "\n"), out, folder)
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    documents = [o["document"] for a in answers for o in a["out"] if o.get("document")]
    names = [Path(d["path"]).name for d in documents]
    assert [re.sub(r"\d{4}-\d\d-\d\d", "DATE", n) for n in names] == [
        "notes-DATE.pdf", "notes-DATE.csv", "notes-DATE-2.pdf", "notes-DATE-2.csv"]  # nothing replaced
    assert [d["filename"] for d in documents][:2] == names[:2]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for document in documents:
        path = Path(document["path"])
        assert path.parent == folder.resolve() and stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.stat().st_size == document["size"] and set(document) == {"filename", "caption",
                                                                              "size", "path"}
    table = Path(documents[1]["path"]).read_text(encoding="utf-8")
    assert "he was at my door" in table  # in the saved file, never in the JSON lines
    assert all("he was at my door" not in json.dumps(a["out"], ensure_ascii=False) for a in answers[1:])
    # the interactive console says where each file went
    [reply] = [r for r in await bot.ask("u1", "diary:export_yes") if r.document][:1]
    text, _ = format_reply(reply, 1, folder / "notes.pdf")
    assert text.endswith(f"📎 {reply.document.filename}: saved to {folder / 'notes.pdf'}")  # type: ignore[union-attr]


def test_console_export_folder_is_export_dir_else_beside_the_diary(tmp_path: Path) -> None:
    from bot.console import DEFAULT_EXPORT_DIR, export_folder
    from bot.settings import Settings

    beside = Settings(database_url=f"sqlite:///{tmp_path / 'db' / 'diary.db'}", _env_file=None)
    assert export_folder(beside) == tmp_path / "db" / "exports"
    chosen = Settings(database_url=f"sqlite:///{tmp_path / 'diary.db'}", export_dir=tmp_path / "mine",
                      _env_file=None)
    assert export_folder(chosen) == tmp_path / "mine"
    remote = Settings(database_url="postgresql://bot@db/diary", _env_file=None)
    assert export_folder(remote) == DEFAULT_EXPORT_DIR


async def test_the_words_sent_with_a_file_are_kept_with_the_note(bot: Bot) -> None:
    """Played as a person: a photo sent with a caption ("him outside my house last night about 11")
    kept the photo and lost the words: the note said "Evidence sent: photo", at the time it was
    sent.  The words are now what happened (their time read, as a quick note's), and words sent
    with a file for an earlier note go with its evidence, said back; kept, encrypted, while the
    person chooses the note."""
    photo = b"\xff\xd8" + os.urandom(3000)
    await bot.send_file("u1", "photo", "door.jpg", "image/jpeg", photo,
                        caption="him outside my house last night about 11")
    first = bot.store.latest_note("u1")
    assert first is not None and first.what_happened == "him outside my house last night about 11"
    assert first.time_precision == "about" and first.kind == "turning_up"  # filed as a quick note is
    ask = await bot.send_file("u1", "photo", "car.jpg", "image/jpeg", photo, caption="the car he drives")
    assert "diary:attach:last" in payloads(ask).values()
    assert bot.rows("u1")["answers"] == 1  # the words wait, encrypted, with the file
    done = await bot.ask("u1", "diary:attach:last")
    assert "the car he drives" in done[0].text and "Evidence" in done[0].text
    note = bot.store.latest_note("u1")
    assert note is not None and note.evidence == "door.jpg; the car he drives" and len(note.attachments) == 2
    assert bot.rows("u1")["answers"] == 0  # nothing of it left waiting
