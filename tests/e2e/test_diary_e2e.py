"""The incident log through Telegram, end to end, with the real core (guard + Rasa).

A person talks to a long-polling bot through the telegram-test-api emulator; the
proxy in ``harness.py`` plays the parts of Telegram the emulator lacks (``getFile``,
file downloads, ``sendDocument``).  The bot's incident log is a throwaway SQLite
database with its own key in a tmp folder (``diary_core`` in ``conftest.py``), so
the tests can look at the database itself.  Skipped, with the reason, when no
trained model is in ``models/``.
"""
from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.telegram.copy import TelegramCopy

from .conftest import DiaryCore, RunningBot, UserFactory
from .harness import BotApiProxy, BotMessage, TelegramUser, last_with_buttons, with_buttons

pytestmark = [pytest.mark.e2e, pytest.mark.model, pytest.mark.asyncio(loop_scope="session")]

COPY = TelegramCopy.load()
NOT_FOUND = "I can't find that note"
Predicate = Callable[[list[BotMessage]], bool]


def containing(text: str) -> Predicate:
    """Wait until a message containing ``text`` came."""

    def check(messages: list[BotMessage]) -> bool:
        return any(text in m.text for m in messages)

    return check


def documents_in(count: int) -> Predicate:
    def check(messages: list[BotMessage]) -> bool:
        return sum(1 for m in messages if m.document) >= count

    return check


def the(messages: list[BotMessage], text: str) -> BotMessage:
    """The message containing ``text``."""
    for message in messages:
        if text in message.text:
            return message
    raise AssertionError(f"no message with {text!r} in {[m.text[:80] for m in messages]}")


def note_buttons(listing: BotMessage) -> list[dict]:
    return [b for b in listing.buttons if str(b.get("callback_data", "")).startswith("diary:open:")]


def note_id(button: dict) -> int:
    return int(button["callback_data"].rsplit(":", 1)[1])


def photo_bytes() -> bytes:
    """A JPEG-shaped blob, random enough to be looked for in the database's raw bytes."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(6000) + b"\xff\xd9"


def export_done_or_asked(messages: list[BotMessage]) -> bool:
    return documents_in(2)(messages) or any(
        b.get("callback_data") == "diary:export_yes" for m in messages for b in m.buttons)


async def export(user: TelegramUser) -> list[BotMessage]:
    """/export, pressing the bot's confirmation first if it asks for one; every reply."""
    replies = await user.ask("/export", until=export_done_or_asked)
    if documents_in(2)(replies):
        return replies
    ask = next(m for m in replies for b in m.buttons if b.get("callback_data") == "diary:export_yes")
    title = next(b["text"] for b in ask.buttons if b.get("callback_data") == "diary:export_yes")
    return await user.choose(ask, title, until=documents_in(2))


async def quick_note(user: TelegramUser, text: str) -> str:
    replies = await user.ask(f"/note {text}", until=containing("Saved to your log"))
    return the(replies, "Saved to your log").text


async def open_listing(user: TelegramUser) -> BotMessage:
    return the(await user.ask("/notes", until=containing("Your log")), "Your log")


async def guided_note(user: TelegramUser, marker: str) -> str:
    """/note, step by step: buttons where there are some, words elsewhere, "Skip" three times."""
    replies = await user.ask("/note", until=containing("When did it happen"))
    when = the(replies, "When did it happen")
    assert when.titles == ["Just now", "Earlier today", "Yesterday"]
    replies = await user.choose(when, "Yesterday", until=containing("Where did it happen"))
    replies = await user.ask("outside the gym on Hill Street", until=containing("What happened?"))
    replies = await user.ask(f"he followed me to the bus stop {marker}",
                             until=containing("How did it happen"))
    how = the(replies, "How did it happen")
    assert how.titles[-1] == "Skip" and how.button("Skip")["callback_data"] == "/deny"
    assert how.button("Following")["callback_data"] == '/affirm{"behaviour": "following"}'
    replies = await user.choose(how, "Following", until=containing("look like"))
    assert the(replies, "look like").titles == ["Skip"]
    replies = await user.ask("grey hoodie, blue ford focus AB12 CDE",
                             until=containing("Did anyone see it"))
    replies = await user.choose(the(replies, "Did anyone see it"), "Skip",
                                until=containing("How did it make you feel"))
    replies = await user.ask("scared, I took a taxi home", until=containing("What evidence"))
    replies = await user.choose(the(replies, "What evidence"), "Skip",
                                until=containing("crime reference"))
    replies = await user.choose(the(replies, "crime reference"), "Skip", until=containing("Save it?"))
    confirm = the(replies, "Save it?")
    assert [(b["text"], b["callback_data"]) for b in confirm.buttons] == [
        ("Save it", "/affirm"), ("✏️ Change a field", '/affirm{"note_step": "change"}'),
        ("⬅️ Back", '/affirm{"note_step": "back"}'), ("Don't save", "/stop")]
    for line in ("Where: outside the gym on Hill Street",
                 f"What happened: he followed me to the bus stop {marker}",
                 "How: Following",
                 "Person or vehicle: grey hoodie, blue ford focus AB12 CDE",
                 "Witnesses: (skipped)",
                 "How it made me feel: scared, I took a taxi home",
                 "Evidence kept: (skipped)",
                 "Police reference: (skipped)"):
        assert line in confirm.text, f"{line!r} not in the confirmation"
    replies = await user.choose(confirm, "Save it", until=containing("Saved to your log"))
    return the(replies, "Saved to your log").text


# -- the whole story ----------------------------------------------------------------


async def test_record_attach_browse_edit_export_and_forget(
    diary_bot: RunningBot, diary_core: DiaryCore, new_user: UserFactory, bot_api: BotApiProxy
) -> None:
    files = diary_core.files
    store = diary_core.core.desk.store
    user = new_user(diary_bot)
    user_id = str(user.user["id"])
    marker = f"mk{uuid.uuid4().hex}"
    await user.ask("/start", until=with_buttons)

    # Three incidents in words: two quick notes, then a guided one.
    first = await quick_note(user, "he sent me 14 texts this evening")
    assert "In the last 7 days: 1." in first and "time in 14 days" not in first
    second = await quick_note(user, "he left flowers on my doorstep <b>not bold</b>")
    assert "In the last 7 days: 2." in second
    assert "That is the 2nd time in 14 days: this is the Repeated sign" in second
    third = await guided_note(user, marker)
    assert "In the last 7 days: 3." in third and "following: 1" in third
    assert "That is the 3rd time in 14 days: this is the Repeated sign" in third

    # A photo: the bot asks which note, downloads the real bytes and keeps them.
    photo = photo_bytes()
    downloads_before = len(bot_api.downloads)
    hosted = await user.send_photo(photo)
    ask = the(await user.replies(until=containing("Which note")), "Which note")
    assert ask.text == "Which note should I attach this photo to?"
    assert [b["callback_data"] for b in ask.buttons] == ["diary:attach:last", "diary:attach:new"]
    assert ask.titles[0].startswith("My last note (") and ask.titles[1] == "A new note"
    attached = the(await user.choose(ask, "My last note", until=containing("Attached")), "Attached")
    assert attached.text.startswith("📎 Attached to the note of ")
    assert bot_api.downloads[downloads_before:] == [(diary_bot.token, hosted.file_path)]
    assert any(c.params.get("file_id") == hosted.file_id
               for c in bot_api.calls_to("getFile", diary_bot.token))
    latest = store.latest_note(user_id)
    assert latest is not None and latest.attachment_count == 1
    kept = latest.attachments[0]
    assert (kept.kind, kept.telegram_file_id, kept.size) == ("photo", hosted.file_id, len(photo))
    assert store.get_attachment_content(user_id, kept.id) == photo

    # /notes: newest first, a button per note.
    listing = await open_listing(user)
    assert "3 incidents" in listing.text and "page 1 of 1" in listing.text
    notes = note_buttons(listing)
    assert len(notes) == 3
    assert "flowers" in notes[0]["text"] and "14 texts" in notes[1]["text"]
    assert "bus stop" in notes[2]["text"]
    assert listing.titles[-1] == "Export (PDF and CSV)"
    guided_id = note_id(notes[2])

    # Open the guided note: every field that was given, and the attachment.
    opened = the(await user.choose(listing, notes[2]["text"], until=containing("Incident #")),
                 "Incident #")
    assert opened.text.splitlines()[0] == f"Incident #{guided_id}"
    for line in ("Where: outside the gym on Hill Street",
                 f"What happened: he followed me to the bus stop {marker}",
                 "How: Following",
                 "Person or vehicle: grey hoodie, blue ford focus AB12 CDE",
                 "How it made me feel: scared, I took a taxi home",
                 "Attachments: 1"):
        assert line in opened.text.splitlines(), f"{line!r} not shown"
    # "Yesterday" is a date with no time: said so, never 00:00 (issue 12 item 5)
    assert re.search(r"^When: \w{3} \d{1,2} \w{3}, time not given$", opened.text, re.MULTILINE)
    assert "Witnesses" not in opened.text  # skipped
    assert [(b["text"], b["callback_data"]) for b in opened.buttons] == [
        ("✏️ Edit", f"diary:edit:{guided_id}"), ("🗑 Delete", f"diary:delete:{guided_id}"),
        ("⬅ Back to my log", "diary:page:0")]

    # Edit a field: a button per field, then the next message is the new value.
    menu = last_with_buttons(await user.choose(opened, "✏️ Edit", until=with_buttons))
    assert menu.text == "Which part would you like to change?"
    assert menu.button("Witnesses")["callback_data"] == f"diary:field:{guided_id}:witnesses"
    assert len([b for b in menu.buttons if b["callback_data"].startswith("diary:field:")]) == 10
    prompt = the(await user.choose(menu, "Witnesses", until=containing("new text")), "new text")
    assert "Witnesses" in prompt.text and prompt.titles == ["Cancel"]
    replies = await user.ask("Sam from the gym, 07700 900123", until=containing("Incident #"))
    # "Updated" and the note come as one message (one Bot API call a turn, issue 15).
    assert replies[0].text.startswith("✅ Updated.") and "\n\nIncident #" in replies[0].text
    reopened = the(replies, "Incident #")
    assert "Witnesses: Sam from the gym, 07700 900123" in reopened.text.splitlines()
    assert "Attachments: 1" in reopened.text.splitlines()
    saved = store.get_note(user_id, guided_id)
    assert saved is not None and saved.witnesses == "Sam from the gym, 07700 900123"
    # The edit is Rasa's form: Cancel (its own button) leaves it with nothing changed, and
    # nothing is left waiting for the next message.
    menu = last_with_buttons(await user.choose(reopened, "✏️ Edit", until=with_buttons))
    prompt = the(await user.choose(menu, "Where", until=containing("new text")), "new text")
    assert prompt.text == "Send the new text for “Where”, or press Cancel."
    assert [b["callback_data"] for b in prompt.buttons] == ["/stop"]
    cancelled = await user.choose(prompt, "Cancel", until=containing("nothing was changed"))
    assert the(cancelled, "nothing was changed").text == "OK, nothing was changed."
    await user.ask("somewhere else entirely", until=with_buttons)
    kept = store.get_note(user_id, guided_id)
    assert kept is not None and kept.place == "outside the gym on Hill Street"

    # Encrypted at rest: nothing written or sent is in the raw database.
    assert files.rows_of(user_id) == {"notes": 3, "attachments": 1, "answers": 0}
    raw = files.raw_bytes()
    for secret in (marker.encode(), b"AB12 CDE", b"07700 900123", photo[16:80]):
        assert secret not in raw

    # Export: a PDF and a CSV, uploaded as documents.
    replies = await export(user)
    assert the(replies, "Here is your incident log")
    shown = [m.document for m in replies if m.document]
    assert [Path(d["file_name"]).suffix for d in shown] == [".pdf", ".csv"]
    pdf, table = user.documents()[-2:]
    assert [d.filename for d in (pdf, table)] == [d["file_name"] for d in shown]
    assert pdf.mime_type == "application/pdf" and pdf.content.startswith(b"%PDF")
    pages = PdfReader(io.BytesIO(pdf.content)).pages
    assert len(pages) >= 2  # a cover, then the incidents
    pdf_text = re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in pages))
    assert marker in pdf_text and "Sam from the gym" in pdf_text
    rows = list(csv.DictReader(io.StringIO(table.content.decode("utf-8-sig"), newline="")))
    assert len(rows) == 3
    written = [" ".join(row.values()) for row in rows]
    assert any(marker in w and "Sam from the gym, 07700 900123" in w for w in written)
    assert any("14 texts" in w for w in written)
    assert any("<b>not bold</b>" in w for w in written)  # as written, not interpreted
    by_text = {row["what_happened"]: row for row in rows}
    assert by_text[f"he followed me to the bus stop {marker}"]["attachment_count"] == "1"

    # Forget: confirm, then nothing of the user is left.
    confirm = the(await user.ask("/forget", until=with_buttons), "Delete everything?")
    assert confirm.button("Yes, delete everything")["callback_data"] == "diary:forget_yes"
    gone = the(await user.choose(confirm, "Yes, delete everything",
                                 until=containing("Deleted everything")), "Deleted everything")
    assert gone.text.startswith("Deleted everything: 3 notes, 1 attachment, ")
    assert files.rows_of(user_id) == {"notes": 0, "attachments": 0, "answers": 0}
    raw = files.raw_bytes()
    for secret in (marker.encode(), b"AB12 CDE", b"07700 900123", photo[16:80]):
        assert secret not in raw
    assert "Your log is empty" in (await user.ask("/notes"))[0].text


async def test_exported_files_are_never_written_to_disk(
    diary_bot: RunningBot, diary_core: DiaryCore, new_user: UserFactory
) -> None:
    """The PDF and CSV hold everything the user wrote, in clear: they go to Telegram from memory,
    so no file holding them is written, in the export folder, the temp folder or anywhere else."""
    user = new_user(diary_bot)
    marker = f"car-{uuid.uuid4().hex}"
    since = time.time() - 1
    await quick_note(user, f"he was waiting by my car again {marker}")
    await export(user)
    pdf, table = user.documents()
    assert [Path(d.filename).suffix for d in (pdf, table)] == [".pdf", ".csv"]
    assert pdf.content.startswith(b"%PDF") and marker.encode() in table.content  # what Telegram got
    leftovers = diary_core.files.leftover_exports()
    assert leftovers == [], f"exports left on disk: {[p.name for p in leftovers]}"
    written = [path for root in (Path(tempfile.gettempdir()), diary_core.files.folder)
               for folder, _dirs, names in os.walk(root) for path in (Path(folder) / n for n in names)
               if _holds(path, marker.encode(), since)]
    assert written == [], f"files holding the export: {written}"


def _holds(path: Path, marker: bytes, since: float) -> bool:
    """A regular file (not a link) of up to 50 MB, changed since ``since``, that holds ``marker``."""
    try:
        info = path.lstat()
        return (path.is_file() and not path.is_symlink() and info.st_mtime >= since
                and info.st_size < 50 * 2**20 and marker in path.read_bytes())
    except OSError:
        return False


# -- more of the log's screens ---------------------------------------------------------


async def test_paging_and_deleting_a_note(
    diary_bot: RunningBot, diary_core: DiaryCore, new_user: UserFactory
) -> None:
    user = new_user(diary_bot)
    for number in range(1, 7):
        await quick_note(user, f"incident number {number}")
    first_page = await open_listing(user)
    assert "6 incidents" in first_page.text and "page 1 of 2" in first_page.text
    assert [b["text"].split(" · ")[1] for b in note_buttons(first_page)] == [
        f"incident number {n}" for n in (6, 5, 4, 3, 2)]
    assert first_page.button("Older ▶")["callback_data"] == "diary:page:1"
    assert "◀ Newer" not in first_page.titles
    second_page = the(await user.choose(first_page, "Older ▶", until=containing("page 2 of 2")),
                      "page 2 of 2")
    oldest = note_buttons(second_page)
    assert [b["text"].split(" · ")[1] for b in oldest] == ["incident number 1"]
    assert second_page.button("◀ Newer")["callback_data"] == "diary:page:0"
    opened = the(await user.choose(second_page, oldest[0]["text"], until=containing("Incident #")),
                 "Incident #")
    confirm = the(await user.choose(opened, "🗑 Delete", until=containing("Delete this note")),
                  "Delete this note")
    number = note_id(oldest[0])
    assert [(b["text"], b["callback_data"]) for b in confirm.buttons] == [
        ("Yes, delete it", f"diary:delete_yes:{number}"), ("No, keep it", f"diary:open:{number}")]
    assert "incident number 1" in confirm.text
    deleted = await user.choose(confirm, "Yes, delete it", until=containing("Deleted"))
    assert deleted[0].text == "🗑 Deleted that note."
    listing = await open_listing(user)
    assert "5 incidents" in listing.text and "page 1 of 1" in listing.text
    assert "Older ▶" not in listing.titles
    assert diary_core.files.rows_of(user.user["id"])["notes"] == 5


async def test_a_document_and_a_voice_note_become_notes_of_their_own(
    diary_bot: RunningBot, diary_core: DiaryCore, new_user: UserFactory, bot_api: BotApiProxy
) -> None:
    store = diary_core.core.desk.store
    user = new_user(diary_bot)
    user_id = str(user.user["id"])
    # No notes yet: a file starts a new note at once.
    screenshot = b"%PDF-1.4 screenshots " + os.urandom(2000)
    sent = await user.send_document(screenshot, "screenshots.pdf")
    first = await user.replies(until=containing("Attached"))
    assert first[0].text.startswith("📎 Attached to the note of ")
    assert "In the last 7 days: 1." in the(first, "In the last 7 days").text
    # With a note: asked which one; "A new note" makes another.
    voice = b"OggS" + os.urandom(3000)
    said = await user.send_voice(voice)
    ask = the(await user.replies(until=containing("Which note")), "Which note")
    assert ask.text == "Which note should I attach this voice to?"
    await user.choose(ask, "A new note", until=containing("Attached"))
    assert {(sent.token, sent.file_path), (said.token, said.file_path)} <= set(bot_api.downloads)
    notes, total = store.list_notes(user_id, 0, 5)
    assert total == 2
    kept = {a.kind: store.get_attachment_content(user_id, a.id)
            for note in notes for a in note.attachments}
    assert kept == {"document": screenshot, "voice": voice}
    listing = await open_listing(user)
    assert [b["text"].split(" · ")[1] for b in note_buttons(listing)] == [
        "Evidence sent: voice", "Evidence sent: document"]


async def test_another_user_cannot_reach_a_note_by_forging_callback_data(
    diary_bot: RunningBot, diary_core: DiaryCore, new_user: UserFactory, bot_api: BotApiProxy
) -> None:
    alice, mallory = new_user(diary_bot), new_user(diary_bot)
    secret = f"alice-only-{uuid.uuid4().hex}"
    await quick_note(alice, f"he came to my flat {secret}")
    alices = await open_listing(alice)
    [button] = note_buttons(alices)
    target = note_id(button)
    await quick_note(mallory, "a note of my own")
    hers = await open_listing(mallory)
    assert note_id(note_buttons(hers)[0]) != target

    # Alice's payload on Mallory's genuine keyboard: no such button, nothing reaches the core.
    answered = len(bot_api.calls_to("answerCallbackQuery", diary_bot.token))
    await mallory.press_data(f"diary:open:{target}", hers)
    assert await mallory.replies(expect_none=True, settle=1.0) == []
    answers = bot_api.calls_to("answerCallbackQuery", diary_bot.token)[answered:]
    assert any(c.params.get("text") == COPY.stale_button for c in answers)

    # A client that forges the message's keyboard as well reaches the core: still not found.
    for payload in (f"diary:open:{target}", f"diary:edit:{target}",
                    f"diary:field:{target}:what_happened", f"diary:delete_yes:{target}"):
        await mallory.press_data(payload, hers, forge_keyboard=True)
        replies = await mallory.replies(until=containing(NOT_FOUND))
        assert all(secret not in m.text for m in replies)
    # and typing the payload gets no further
    replies = await mallory.ask(f"diary:open:{target}", until=containing(NOT_FOUND))
    assert all(secret not in m.text for m in replies)

    # Alice's note is untouched.
    assert diary_core.files.rows_of(alice.user["id"])["notes"] == 1
    opened = the(await alice.choose(alices, button["text"], until=containing("Incident #")),
                 "Incident #")
    assert f"What happened: he came to my flat {secret}" in opened.text


# -- evidence of real sizes (issue 13, item 1) -------------------------------------------------

MB = 1024 * 1024


async def test_a_3_mb_photo_and_a_19_9_mb_file_are_kept_and_exported_and_25_mb_is_refused(
    diary_bot: RunningBot, diary_core: DiaryCore, new_user: UserFactory, bot_api: BotApiProxy
) -> None:
    store = diary_core.core.desk.store
    user = new_user(diary_bot)
    user_id = str(user.user["id"])
    await quick_note(user, "his car was outside my flat all evening")

    photo = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(3 * MB) + b"\xff\xd9"
    await user.send_photo(photo)
    ask = the(await user.replies(until=containing("Which note")), "Which note")
    assert ask.text == "Which note should I attach this photo to?"
    assert files_of(diary_core, user_id) == 1  # kept before the person chose
    await user.choose(ask, "My last note", until=containing("Attached"))

    video = os.urandom(int(19.9 * MB))
    sent = await user.send_document(video, "dashcam.mp4", mime_type="video/mp4")
    ask = the(await user.replies(until=containing("Which note"), timeout=60), "Which note")
    assert ask.text == "Which note should I attach this document to?"
    attached = the(await user.choose(ask, "A new note", until=containing("Attached")), "Attached")
    assert attached.text.startswith("📎 Attached to the note of ")
    assert (diary_bot.token, sent.file_path) in bot_api.downloads

    downloads = len(bot_api.downloads)
    too_big = await user.send_document(b"\0" * (25 * MB), "long-video.mov", mime_type="video/quicktime")
    refused = the(await user.replies(until=containing("NOT saved")), "NOT saved")
    assert "25.0 MB" in refused.text and "20 MB" in refused.text and "keep the original safe" in refused.text
    assert not refused.buttons
    assert (diary_bot.token, too_big.file_path) not in bot_api.downloads[downloads:]  # never downloaded
    assert files_of(diary_core, user_id) == 2

    kept = {a.filename or a.kind: store.get_attachment_content(user_id, a.id)
            for note in store.all_notes(user_id) for a in note.attachments}
    assert kept == {"photo.jpg": photo, "dashcam.mp4": video}
    raw = diary_core.files.raw_bytes()
    assert photo[16:80] not in raw and video[:64] not in raw  # encrypted at rest

    replies = await export(user)
    pdf, table = user.documents()[-2:]
    assert [m.document["file_name"] for m in replies if m.document] == [pdf.filename, table.filename]
    pages = PdfReader(io.BytesIO(pdf.content)).pages
    pdf_text = re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in pages))
    assert "photo.jpg (photo, 3.0 MB)" in pdf_text and "dashcam.mp4 (document, 19.9 MB)" in pdf_text
    rows = list(csv.DictReader(io.StringIO(table.content.decode("utf-8-sig"), newline="")))
    details = [row["attachment_details"] for row in rows]
    assert "photo.jpg (photo, 3.0 MB)" in details and "dashcam.mp4 (document, 19.9 MB)" in details


async def test_an_album_keeps_every_photo(
    diary_bot: RunningBot, diary_core: DiaryCore, new_user: UserFactory, bot_api: BotApiProxy
) -> None:
    """Several photos sent at once (one media group) arrive before the person chooses: all are kept."""
    store = diary_core.core.desk.store
    user = new_user(diary_bot)
    user_id = str(user.user["id"])
    await quick_note(user, "he left letters on my car")
    photos = [b"\xff\xd8" + os.urandom(300_000 + n) + b"\xff\xd9" for n in range(4)]
    for photo in photos:
        hosted = bot_api.host_file(diary_bot.token, photo, kind="photo", suffix=".jpg")
        await user.send(media_group_id="album-1", photo=[{
            "file_id": hosted.file_id, "file_unique_id": hosted.file_unique_id,
            "width": 1280, "height": 960, "file_size": hosted.size}])
    replies = await user.replies(until=containing("the 4 files you sent"))
    asks = [m for m in replies if "Which note" in m.text]
    assert len(asks) == 4 and asks[-1].text == (
        "I have kept the 4 files you sent. Which note should I attach them to?")
    filed = the(await user.choose(asks[-1], "My last note", until=containing("Attached")), "Attached")
    assert filed.text.startswith("📎 Attached 4 files to the note of ")
    [note] = store.all_notes(user_id)
    assert sorted(store.get_attachment_content(user_id, a.id) for a in note.attachments) == sorted(photos)
    # an older question's button finds nothing left, and says so
    late = await user.choose(asks[0], "A new note", until=containing("already with a note"))
    assert "already with a note" in late[0].text
    assert len(store.all_notes(user_id)) == 1


def files_of(diary_core: DiaryCore, user_id: str) -> int:
    return diary_core.files.rows_of(user_id)["attachments"]


async def test_the_words_sent_with_a_photo_are_kept_with_the_note(
    diary_bot: RunningBot, diary_core: DiaryCore, new_user: UserFactory, bot_api: BotApiProxy
) -> None:
    """A photo sent with a caption, through the emulator: the caption was read only for danger,
    then lost.  Filed to a new note it is what happened; the note keeps the photo too."""
    store = diary_core.core.desk.store
    user = new_user(diary_bot)
    user_id = str(user.user["id"])
    await quick_note(user, "he left letters on my car")
    photo = photo_bytes()
    hosted = bot_api.host_file(diary_bot.token, photo, kind="photo", suffix=".jpg")
    await user.send(caption="him at my window", photo=[{
        "file_id": hosted.file_id, "file_unique_id": hosted.file_unique_id,
        "width": 1280, "height": 960, "file_size": hosted.size}])
    ask = the(await user.replies(until=containing("Which note")), "Which note")
    filed = the(await user.choose(ask, "A new note", until=containing("Attached")), "Attached")
    assert filed.text.startswith("📎 Attached to the note of ")
    newest = store.latest_note(user_id)
    assert newest is not None and newest.what_happened == "him at my window"
    assert [store.get_attachment_content(user_id, a.id) for a in newest.attachments] == [photo]
