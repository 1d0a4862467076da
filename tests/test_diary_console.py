"""The incident log through the console, as a new user would use it.

Three incidents in words (a guided note and quick notes), browse, open, edit,
export (PDF and CSV), then delete everything and find nothing of the user left.
"""
from __future__ import annotations

import csv
import sqlite3
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import JsonlChat, require_model

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def diary_chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[JsonlChat, Path]]:
    require_model()
    folder = tmp_path_factory.mktemp("diary-console")
    session = JsonlChat(folder / "stderr.log", user="diary-user")
    yield session, folder
    code, log = session.close()
    assert code == 0


def buttons(reply: dict) -> dict[str, str]:
    return {b["title"]: b["payload"] for out in reply["out"] for b in out["buttons"]}


def test_record_browse_edit_export_forget(diary_chat: tuple[JsonlChat, Path]) -> None:
    chat, folder = diary_chat
    marker = uuid.uuid4().hex
    chat.send("/start")
    # 1. a guided note, with a natural-language date and skipped steps
    assert "When did it happen" in chat.texts("I want to record what happened")[-1]
    assert "future" in chat.texts("tomorrow at 5pm")[0]
    assert "Where did it happen" in chat.texts("yesterday at 5pm")[-1]
    chat.send("outside the gym")
    chat.send(f"he followed me to the bus stop {marker}")
    chat.send('/affirm{"behaviour": "following"}')
    chat.send("grey hoodie, blue ford focus AB12 CDE")
    for _ in range(4):
        confirm = chat.send("skip")
    text = confirm["out"][-1]["text"]
    assert "Save it?" in text and "outside the gym" in text and "AB12 CDE" in text
    assert "Witnesses: (skipped)" in text
    saved = chat.texts("/affirm")[0]
    assert "Saved" in saved and "In the last 7 days: 1" in saved
    # 2 and 3. quick notes, saved at once with the current time
    chat.send("/note he sent me 14 texts this evening")
    third = chat.texts("/note he left flowers on my doorstep <b>not bold</b>")[0]
    assert "In the last 7 days: 3" in third and "3rd time in 14 days" in third
    assert "Repeated sign" in third
    # browse: newest first, open one, every field shown exactly as written
    listing = chat.send("/notes")
    assert "3 incidents" in listing["out"][0]["text"]
    titles = list(buttons(listing))
    assert "flowers" in titles[0] and "gym" not in titles[0]
    guided = next(p for t, p in buttons(listing).items() if marker[:8] in t or "bus stop" in t)
    opened = chat.send(guided)
    assert "grey hoodie, blue ford focus AB12 CDE" in opened["out"][0]["text"]
    # edit a field
    edit_menu = chat.send(buttons(opened)["✏️ Edit"])
    ask = chat.send(buttons(edit_menu)["Witnesses"])
    assert "new text" in ask["out"][0]["text"]
    edited = chat.texts("Sam from the gym, 07700 900123")
    assert "Updated" in edited[0] and "Witnesses: Sam from the gym, 07700 900123" in edited[1]
    # the pattern shows in the FOUR check's summary
    chat.send("/check")
    for answer in ["/affirm"] * 4 + ["/deny"]:
        summary = chat.texts(answer)
    assert any("3 incidents in your log" in t for t in summary)
    # export: a PDF and a CSV with every incident
    documents = exported_documents(chat)
    assert [d.suffix for d in documents] == [".pdf", ".csv"]
    # saved where the console said: the exports folder beside the diary, readable by the owner only
    assert {d.parent for d in documents} == {(folder / "exports").resolve()}
    assert all(stat.S_IMODE(d.stat().st_mode) == 0o600 for d in documents)
    pdf, csv_path = documents
    assert pdf.read_bytes().startswith(b"%PDF")
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8")))
    assert len(rows) == 3
    assert any(marker in " ".join(r.values()) for r in rows)
    assert any("<b>not bold</b>" in " ".join(r.values()) for r in rows)
    # encrypted at rest: the marker is nowhere in the raw database
    raw = b"".join(p.read_bytes() for p in folder.glob("diary.db*"))
    assert marker.encode() not in raw and b"AB12 CDE" not in raw
    # delete everything
    assert "Delete everything?" in chat.texts("/forget")[0]
    gone = chat.texts("Yes, delete everything")[0]
    assert "3 notes" in gone and "conversation history" in gone
    assert "empty" in chat.texts("/notes")[0]
    with sqlite3.connect(folder / "diary.db") as db:
        counts = [db.execute(f"select count(*) from {t}").fetchone()[0]
                  for t in ("notes", "attachments", "answers")]
    assert counts == [0, 0, 0]


def exported_documents(chat: JsonlChat) -> list[Path]:
    """/export, pressing the bot's confirmation first if it asks for one."""
    out = chat.send("/export")["out"]
    if not any(o.get("document") for o in out):
        payload = next(b["payload"] for o in out for b in o["buttons"] if b["payload"].startswith("diary:"))
        out = chat.send(payload)["out"]
    return [Path(o["document"]["path"]) for o in out if o.get("document")]


def test_attach_keeps_a_3_mb_photo_and_a_19_9_mb_file_and_refuses_25_mb(
        diary_chat: tuple[JsonlChat, Path], tmp_path: Path) -> None:
    """/attach PATH in the console: evidence kept, exported, and the 20 MB limit, as on Telegram."""
    chat, folder = diary_chat
    mb = 1024 * 1024
    photo, video, huge = tmp_path / "door.jpg", tmp_path / "dashcam.mp4", tmp_path / "long.mov"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + uuid.uuid4().bytes * (3 * mb // 16) + b"\xff\xd9")
    video.write_bytes(uuid.uuid4().bytes * int(19.9 * mb / 16))
    with huge.open("wb") as handle:
        handle.truncate(25 * mb)
    chat.send("/start")
    assert "Saved" in chat.texts("/note he was parked outside my flat")[0]
    ask = chat.send(f"/attach {photo}")["out"][0]
    assert ask["text"] == "Which note should I attach this photo to?"
    assert [b["payload"] for b in ask["buttons"]] == ["diary:attach:last", "diary:attach:new"]
    assert chat.texts("diary:attach:last")[0].startswith("📎 Attached")
    assert chat.texts(f"/attach {video}")[0] == "Which note should I attach this video to?"
    assert chat.texts("A new note")[0].startswith("📎 Attached to the note of ")
    refused = chat.send(f"/attach {huge}")["out"]
    assert len(refused) == 1 and "NOT saved" in refused[0]["text"] and "25.0 MB" in refused[0]["text"]
    assert "20 MB" in refused[0]["text"]
    # kept, encrypted: the photo's bytes are nowhere in the raw database
    with sqlite3.connect(folder / "diary.db") as db:
        sizes = sorted(size for (size,) in db.execute("select size from attachments"))
    assert sizes == [photo.stat().st_size, video.stat().st_size]
    raw = b"".join(p.read_bytes() for p in folder.glob("diary.db*"))
    assert photo.read_bytes()[4:68] not in raw
    # exported: every file listed with its name, kind and size, in the PDF and the CSV
    pdf_path, csv_path = exported_documents(chat)
    from pypdf import PdfReader

    pdf_text = " ".join(page.extract_text() for page in PdfReader(pdf_path).pages)
    assert "door.jpg (photo, 3.0 MB)" in pdf_text and "dashcam.mp4 (video, 19.9 MB)" in pdf_text
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8")))
    details = [r["attachment_details"] for r in rows]
    assert "door.jpg (photo, 3.0 MB)" in details and "dashcam.mp4 (video, 19.9 MB)" in details
