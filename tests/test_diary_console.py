"""The incident log through the console, as a new user would use it.

Three incidents in words (a guided note and quick notes), browse, open, edit,
export (PDF and CSV), then delete everything and find nothing of the user left.
"""
from __future__ import annotations

import csv
import sqlite3
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
    out = chat.send("/export")["out"]
    documents = [o["document"] for o in out if o.get("document")]
    assert [Path(d["filename"]).suffix for d in documents] == [".pdf", ".csv"]
    pdf, csv_path = (Path(d["path"]) for d in documents)
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
    gone = chat.texts("/affirm")[0]
    assert "3 notes" in gone and "conversation history" in gone
    assert "empty" in chat.texts("/notes")[0]
    with sqlite3.connect(folder / "diary.db") as db:
        counts = [db.execute(f"select count(*) from {t}").fetchone()[0]
                  for t in ("notes", "attachments", "answers")]
    assert counts == [0, 0, 0]
