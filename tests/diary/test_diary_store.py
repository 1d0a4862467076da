"""Every DiaryStore method, on SQLite and on PostgreSQL (the ``store`` fixture runs both)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, update

from bot.diary.errors import DiaryLimitError, DiaryValueError, NoteNotFoundError
from bot.diary.models import NoteRow
from bot.diary.store import (
    EDITABLE_FIELDS,
    MAX_ATTACHMENT_BYTES,
    MAX_FIELD_CHARS,
    TEXT_FIELDS,
    DiaryStore,
    Note,
    NoteFields,
)

ALICE = "100000001"
BOB = 100000002  # Telegram ids arrive as ints too
T0 = datetime(2024, 5, 6, 20, 30, tzinfo=timezone.utc)


def full_fields(occurred_at: datetime = T0, **overrides: object) -> NoteFields:
    values = {name: f'{name}: ’quoted’, "double", line1\nline2 😢 مرحبا' for name in TEXT_FIELDS}
    values.update(overrides)  # type: ignore[arg-type]
    return NoteFields(occurred_at=occurred_at, kind=values.pop("kind", "following"), **values)  # type: ignore[arg-type]


def content_of(note: Note) -> dict[str, object]:
    return {f.name: getattr(note, f.name) for f in dataclasses.fields(NoteFields)}


# ------------------------------------------------------------------ add / get


def test_add_note_round_trips_every_field(store: DiaryStore) -> None:
    fields = full_fields()
    saved = store.add_note(ALICE, fields)
    assert saved.id > 0
    assert content_of(saved) == dataclasses.asdict(fields)
    assert saved.created_at.tzinfo is not None and saved.created_at == saved.updated_at
    got = store.get_note(ALICE, saved.id)
    assert got is not None
    assert content_of(got) == dataclasses.asdict(fields)
    assert got.occurred_at == T0 and got.occurred_at.utcoffset() == timedelta(0)
    assert got.created_at == saved.created_at
    assert got.attachment_count == 0 and got.attachments == ()
    assert got.fields() == fields


def test_occurred_at_in_another_zone_is_kept_as_the_same_instant(store: DiaryStore) -> None:
    bst = timezone(timedelta(hours=1))
    saved = store.add_note(ALICE, NoteFields(occurred_at=datetime(2024, 6, 1, 21, 15, tzinfo=bst)))
    got = store.get_note(ALICE, saved.id)
    assert got is not None
    assert got.occurred_at == datetime(2024, 6, 1, 20, 15, tzinfo=timezone.utc)
    assert got.occurred_at.tzinfo == timezone.utc


def test_minimal_note_and_blank_fields_are_none(store: DiaryStore) -> None:
    saved = store.add_note(ALICE, NoteFields(occurred_at=T0, what_happened="  ", place=""))
    got = store.get_note(ALICE, saved.id)
    assert got is not None
    assert got.kind is None
    assert all(getattr(got, name) is None for name in TEXT_FIELDS)


def test_get_note_missing_is_none(store: DiaryStore) -> None:
    assert store.get_note(ALICE, 999_999) is None


def test_field_limit_is_enforced_not_truncated(store: DiaryStore) -> None:
    exact = "x" * MAX_FIELD_CHARS
    saved = store.add_note(ALICE, NoteFields(occurred_at=T0, what_happened=exact))
    assert saved.what_happened == exact
    with pytest.raises(DiaryLimitError, match=str(MAX_FIELD_CHARS)):
        store.add_note(ALICE, NoteFields(occurred_at=T0, what_happened="y" * (MAX_FIELD_CHARS + 1)))
    assert store.list_notes(ALICE)[1] == 1  # nothing of the refused note was saved


def test_invalid_notes_are_refused(store: DiaryStore) -> None:
    with pytest.raises(DiaryValueError, match="timezone"):
        store.add_note(ALICE, NoteFields(occurred_at=datetime(2024, 1, 1, 12, 0)))
    with pytest.raises(DiaryValueError, match="kind"):
        store.add_note(ALICE, NoteFields(occurred_at=T0, kind="stalking"))
    with pytest.raises(DiaryValueError):
        store.add_note(ALICE, NoteFields(occurred_at=T0, place=42))  # type: ignore[arg-type]
    assert store.list_notes(ALICE) == ([], 0)


def test_error_messages_never_contain_what_was_written(store: DiaryStore) -> None:
    secret = "MY-SECRET-ADDRESS " * 300
    with pytest.raises(DiaryLimitError) as info:
        store.add_note(ALICE, NoteFields(occurred_at=T0, place=secret))
    assert "MY-SECRET" not in str(info.value)


# ------------------------------------------------------------------ list / latest / all


def test_list_notes_newest_first_with_paging_and_total(store: DiaryStore) -> None:
    ids = [
        store.add_note(ALICE, NoteFields(occurred_at=T0 + timedelta(days=d), place=f"p{d}")).id
        for d in range(7)
    ]
    store.add_note(BOB, NoteFields(occurred_at=T0, place="bob"))
    page, total = store.list_notes(ALICE, offset=0, limit=5)
    assert total == 7
    assert [n.id for n in page] == list(reversed(ids))[:5]
    page2, total2 = store.list_notes(ALICE, offset=5, limit=5)
    assert total2 == 7 and [n.id for n in page2] == [ids[1], ids[0]]
    assert store.list_notes(ALICE, offset=10) == ([], 7)
    with pytest.raises(DiaryValueError):
        store.list_notes(ALICE, limit=0)


def test_latest_note_is_the_last_written(store: DiaryStore) -> None:
    assert store.latest_note(ALICE) is None
    store.add_note(ALICE, NoteFields(occurred_at=T0 + timedelta(days=5), place="first written"))
    second = store.add_note(ALICE, NoteFields(occurred_at=T0, place="written later, about an earlier day"))
    latest = store.latest_note(ALICE)
    assert latest is not None and latest.id == second.id
    assert store.latest_note(BOB) is None


def test_all_notes_oldest_first_with_attachment_names(store: DiaryStore) -> None:
    late = store.add_note(ALICE, NoteFields(occurred_at=T0 + timedelta(days=3), place="late"))
    early = store.add_note(ALICE, NoteFields(occurred_at=T0, place="early"))
    store.add_attachment(ALICE, late.id, "photo", "file-1", "door.jpg", "image/jpeg", b"jpeg")
    notes = store.all_notes(ALICE)
    assert [n.id for n in notes] == [early.id, late.id]
    assert notes[1].attachment_count == 1 and notes[1].attachments[0].filename == "door.jpg"
    assert store.all_notes(BOB) == []


# ------------------------------------------------------------------ update / delete


@pytest.mark.parametrize("field_name", TEXT_FIELDS)
def test_update_each_text_field(store: DiaryStore, field_name: str) -> None:
    note = store.add_note(ALICE, full_fields())
    updated = store.update_field(ALICE, note.id, field_name, 'new, "value" ’ 🚗')
    assert updated is not None
    assert getattr(updated, field_name) == 'new, "value" ’ 🚗'
    assert updated.updated_at >= note.updated_at
    got = store.get_note(ALICE, note.id)
    assert got is not None and getattr(got, field_name) == 'new, "value" ’ 🚗'
    others = {k: v for k, v in content_of(got).items() if k != field_name}
    assert others == {k: v for k, v in content_of(note).items() if k != field_name}
    cleared = store.update_field(ALICE, note.id, field_name, None)
    assert cleared is not None and getattr(cleared, field_name) is None


def test_update_occurred_at_and_kind(store: DiaryStore) -> None:
    note = store.add_note(ALICE, full_fields())
    moved = store.update_field(ALICE, note.id, "occurred_at", T0 - timedelta(hours=3))
    assert moved is not None and moved.occurred_at == T0 - timedelta(hours=3)
    rekinded = store.update_field(ALICE, note.id, "kind", "damage_threats")
    assert rekinded is not None and rekinded.kind == "damage_threats"
    unkinded = store.update_field(ALICE, note.id, "kind", None)
    assert unkinded is not None and unkinded.kind is None


def test_update_refuses_bad_input(store: DiaryStore) -> None:
    note = store.add_note(ALICE, full_fields())
    assert set(EDITABLE_FIELDS) == {"occurred_at", "kind", *TEXT_FIELDS}
    for bad_name in ("id", "user_key", "created_at", "place_enc", "nonsense"):
        with pytest.raises(DiaryValueError, match="unknown field"):
            store.update_field(ALICE, note.id, bad_name, "x")
    with pytest.raises(DiaryValueError):
        store.update_field(ALICE, note.id, "kind", "nonsense")
    with pytest.raises(DiaryValueError):
        store.update_field(ALICE, note.id, "occurred_at", datetime(2024, 1, 1))
    with pytest.raises(DiaryLimitError):
        store.update_field(ALICE, note.id, "place", "z" * (MAX_FIELD_CHARS + 1))
    got = store.get_note(ALICE, note.id)
    assert got is not None and content_of(got) == content_of(note)


def test_update_missing_note_is_none(store: DiaryStore) -> None:
    assert store.update_field(ALICE, 424242, "place", "x") is None


def test_delete_note_removes_its_attachments(store: DiaryStore) -> None:
    note = store.add_note(ALICE, full_fields())
    attachment_id = store.add_attachment(ALICE, note.id, "photo", "f", "a.jpg", "image/jpeg", b"abc")
    assert store.delete_note(ALICE, note.id) is True
    assert store.get_note(ALICE, note.id) is None
    assert store.get_attachment_content(ALICE, attachment_id) is None
    assert store.list_attachments(ALICE, note.id) == []
    assert store.delete_note(ALICE, note.id) is False


# ------------------------------------------------------------------ attachments


def test_attachments_round_trip(store: DiaryStore) -> None:
    note = store.add_note(ALICE, full_fields())
    blob = bytes(range(256)) * 40
    first = store.add_attachment(ALICE, note.id, "photo", "AgACAgQAAxkBAAI", None, "image/jpeg", blob)
    second = store.add_attachment(
        ALICE, note.id, "document", "BQACAgQ", "Letter – scan ’1’.pdf", "application/pdf", b"%PDF"
    )
    infos = store.list_attachments(ALICE, note.id)
    assert [a.id for a in infos] == [first, second]
    assert infos[0].kind == "photo" and infos[0].filename is None and infos[0].size == len(blob)
    assert infos[0].telegram_file_id == "AgACAgQAAxkBAAI" and infos[0].mime_type == "image/jpeg"
    assert infos[1].filename == "Letter – scan ’1’.pdf" and infos[1].note_id == note.id
    assert store.get_attachment_content(ALICE, first) == blob
    assert store.get_attachment_content(ALICE, second) == b"%PDF"
    assert store.get_attachment_content(ALICE, 987654) is None
    got = store.get_note(ALICE, note.id)
    assert got is not None and got.attachment_count == 2
    assert got.updated_at >= note.updated_at
    page, _ = store.list_notes(ALICE)
    assert page[0].attachment_count == 2
    assert store.delete_attachment(ALICE, first) is True
    assert store.delete_attachment(ALICE, first) is False
    assert [a.id for a in store.list_attachments(ALICE, note.id)] == [second]


def test_attachment_limits(store: DiaryStore) -> None:
    note = store.add_note(ALICE, full_fields())
    at_limit = store.add_attachment(
        ALICE, note.id, "video", None, "v.mp4", "video/mp4", b"\0" * MAX_ATTACHMENT_BYTES
    )
    assert store.list_attachments(ALICE, note.id)[0].size == MAX_ATTACHMENT_BYTES
    assert store.delete_attachment(ALICE, at_limit)
    with pytest.raises(DiaryLimitError, match="20 MB"):
        store.add_attachment(
            ALICE, note.id, "video", None, "big.mp4", "video/mp4", b"\0" * (MAX_ATTACHMENT_BYTES + 1)
        )
    with pytest.raises(DiaryValueError):
        store.add_attachment(ALICE, note.id, "spreadsheet", None, None, None, b"x")
    with pytest.raises(NoteNotFoundError):
        store.add_attachment(ALICE, 55555, "photo", None, None, None, b"x")
    assert store.list_attachments(ALICE, note.id) == []


# ------------------------------------------------------------------ isolation


def test_user_b_cannot_touch_user_a_notes(store: DiaryStore) -> None:
    note = store.add_note(ALICE, full_fields())
    attachment_id = store.add_attachment(ALICE, note.id, "photo", "f", "a.jpg", "image/jpeg", b"alice")
    store.set_answer(ALICE, "four", {"fixated": True})

    assert store.get_note(BOB, note.id) is None
    assert store.update_field(BOB, note.id, "place", "hijacked") is None
    assert store.delete_note(BOB, note.id) is False
    with pytest.raises(NoteNotFoundError):
        store.add_attachment(BOB, note.id, "photo", None, None, None, b"bob")
    assert store.list_attachments(BOB, note.id) == []
    assert store.get_attachment_content(BOB, attachment_id) is None
    assert store.delete_attachment(BOB, attachment_id) is False
    assert store.list_notes(BOB) == ([], 0)
    assert store.all_notes(BOB) == []  # so Bob's export holds none of Alice's notes
    assert store.latest_note(BOB) is None
    assert store.get_answer(BOB, "four") is None
    assert store.pattern(BOB, T0 + timedelta(days=1)).total == 0
    assert store.forget(BOB) == {"notes": 0, "attachments": 0, "answers": 0, "message_trail": 0}

    unchanged = store.get_note(ALICE, note.id)
    assert unchanged is not None and content_of(unchanged) == content_of(note)
    assert unchanged.attachment_count == 1
    assert store.get_attachment_content(ALICE, attachment_id) == b"alice"
    assert store.get_answer(ALICE, "four") == {"fixated": True}


# ------------------------------------------------------------------ pattern


def test_pattern_counts_windows_kinds_and_ordinal(store: DiaryStore) -> None:
    now = datetime(2024, 6, 30, 12, 0, tzinfo=timezone.utc)
    days_ago = {
        0.5: "turning_up",
        2: "following",
        6.9: "following",
        8: "contacting",
        13: None,
        20: "gifts",
        29: "nonsense-old-kind",  # a kind since removed from data/note.yml counts as other
        31: "turning_up",
        45: "following",
    }
    for ago, kind in days_ago.items():
        note = store.add_note(ALICE, NoteFields(occurred_at=now - timedelta(days=ago)))
        if kind is not None:
            with store.engine.begin() as connection:  # bypasses validation, as old data would
                connection.execute(update(NoteRow).where(NoteRow.id == note.id).values(kind=kind))
    store.add_note(
        ALICE, NoteFields(occurred_at=now + timedelta(days=2), kind="following")
    )  # mistyped future date
    store.add_note(BOB, NoteFields(occurred_at=now - timedelta(days=1), kind="following"))

    pattern = store.pattern(ALICE, now)
    assert pattern.total == 10
    assert pattern.last_7_days == 3
    assert pattern.last_14_days == 5
    assert pattern.last_30_days == 7
    assert pattern.by_kind_30_days == {
        "turning_up": 1,
        "following": 2,
        "contacting": 1,
        "gifts": 1,
        "other": 2,
    }
    assert list(pattern.by_kind_30_days) == ["turning_up", "following", "contacting", "gifts", "other"]
    assert pattern.newest_ordinal_14_days == 5  # "that is the 5th time in 14 days"

    # A week later the future-dated note has come into the windows; it is the newest, and
    # the 14 days up to it hold it and the 4 notes 0.5 to 8 days before "now".
    later = store.pattern(ALICE, now + timedelta(days=7))
    assert (later.last_7_days, later.last_14_days) == (1, 4)
    assert later.newest_ordinal_14_days == 5

    assert store.pattern(ALICE, now + timedelta(days=60)).newest_ordinal_14_days is None
    with pytest.raises(DiaryValueError):
        store.pattern(ALICE, datetime(2024, 6, 30))


def test_pattern_boundaries(store: DiaryStore) -> None:
    now = datetime(2024, 6, 30, 12, 0, tzinfo=timezone.utc)
    store.add_note(ALICE, NoteFields(occurred_at=now))  # counted: windows include now
    store.add_note(
        ALICE, NoteFields(occurred_at=now - timedelta(days=7))
    )  # exactly 7 days: outside 7, inside 14
    pattern = store.pattern(ALICE, now)
    assert (pattern.last_7_days, pattern.last_14_days, pattern.last_30_days) == (1, 2, 2)
    assert pattern.by_kind_30_days == {"other": 2}


# ------------------------------------------------------------------ answers


def test_answers_round_trip_and_overwrite(store: DiaryStore) -> None:
    assert store.get_answer(ALICE, "four") is None
    value = {
        "fixated": True,
        "obsessed": False,
        "steps": ["told a friend", "changed route"],
        "score": 3,
        "note": "’😢",
    }
    store.set_answer(ALICE, "four", value)
    assert store.get_answer(ALICE, "four") == value
    store.set_answer(ALICE, "four", [1, 2, 3])
    assert store.get_answer(ALICE, "four") == [1, 2, 3]
    store.set_answer(ALICE, "flag", True)
    store.set_answer(BOB, "four", "bob's")
    assert store.get_answer(ALICE, "flag") is True
    assert store.get_answer(BOB, "four") == "bob's"
    assert store.get_answer(ALICE, "four") == [1, 2, 3]
    assert store.delete_answer(ALICE, "flag") is True
    assert store.get_answer(ALICE, "flag") is None


def test_answers_refuse_bad_values(store: DiaryStore) -> None:
    with pytest.raises(DiaryValueError):
        store.set_answer(ALICE, "when", datetime.now(timezone.utc))
    with pytest.raises(DiaryValueError):
        store.set_answer(ALICE, "", 1)
    with pytest.raises(DiaryLimitError):
        store.set_answer(ALICE, "huge", "x" * 70_000)
    assert store.get_answer(ALICE, "when") is None


# ------------------------------------------------------------------ forget


def test_forget_deletes_everything_of_that_user_only(store: DiaryStore) -> None:
    for i in range(3):
        note = store.add_note(ALICE, full_fields(T0 + timedelta(hours=i)))
        store.add_attachment(ALICE, note.id, "photo", None, None, "image/jpeg", b"a")
    store.add_attachment(ALICE, note.id, "voice", None, None, "audio/ogg", b"b")
    store.set_answer(ALICE, "four", [1])
    store.set_answer(ALICE, "plan", {"done": [1, 2]})
    bob_note = store.add_note(BOB, full_fields())
    bob_attachment = store.add_attachment(BOB, bob_note.id, "photo", None, None, None, b"bob")
    store.set_answer(BOB, "four", [2])

    assert store.forget(ALICE) == {"notes": 3, "attachments": 4, "answers": 2, "message_trail": 0}
    assert store.list_notes(ALICE) == ([], 0)
    assert store.get_answer(ALICE, "four") is None and store.get_answer(ALICE, "plan") is None
    assert store.forget(ALICE) == {"notes": 0, "attachments": 0, "answers": 0, "message_trail": 0}

    assert store.list_notes(BOB)[1] == 1
    assert store.get_attachment_content(BOB, bob_attachment) == b"bob"
    assert store.get_answer(BOB, "four") == [2]


# ------------------------------------------------------------------ one transaction per write


def _fail_on(store: DiaryStore, statement_start: str) -> None:
    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(statement_start):
            raise RuntimeError("simulated database failure")

    event.listen(store.engine, "before_cursor_execute", before)


def test_a_failed_attachment_leaves_the_note_untouched(store: DiaryStore) -> None:
    note = store.add_note(ALICE, full_fields())
    _fail_on(store, "INSERT INTO ATTACHMENTS")
    with pytest.raises(Exception, match="simulated"):
        store.add_attachment(ALICE, note.id, "photo", None, None, None, b"x")
    got = store.get_note(ALICE, note.id)
    assert got is not None and got.updated_at == note.updated_at and got.attachment_count == 0


def test_a_failed_forget_deletes_nothing(store: DiaryStore) -> None:
    note = store.add_note(ALICE, full_fields())
    store.add_attachment(ALICE, note.id, "photo", None, None, None, b"x")
    store.set_answer(ALICE, "four", [1])
    _fail_on(store, "DELETE FROM ANSWERS")
    with pytest.raises(Exception, match="simulated"):
        store.forget(ALICE)
    got = store.get_note(ALICE, note.id)
    assert got is not None and got.attachment_count == 1


def test_a_failed_update_keeps_the_old_value(store: DiaryStore) -> None:
    note = store.add_note(ALICE, full_fields())
    _fail_on(store, "UPDATE NOTES")
    with pytest.raises(Exception, match="simulated"):
        store.update_field(ALICE, note.id, "place", "changed")
    got = store.get_note(ALICE, note.id)
    assert got is not None and got.place == note.place


def test_concurrent_writers_from_threads(store: DiaryStore) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def write(i: int) -> int:
        note = store.add_note(
            f"user-{i % 3}", NoteFields(occurred_at=T0 + timedelta(minutes=i), place=f"p{i}")
        )
        store.set_answer(f"user-{i % 3}", "counter", i)
        return note.id

    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = list(pool.map(write, range(30)))
    assert len(set(ids)) == 30
    assert sum(store.list_notes(f"user-{u}")[1] for u in range(3)) == 30


# ------------------------------------------------------------------ unfiled attachments (issue 13, item 1)


def test_a_file_is_kept_unfiled_at_once_and_filed_later(store: DiaryStore) -> None:
    """A 3 MB photo is its own encrypted row from the moment it arrives, not a capped JSON answer."""
    photo = b"\xff\xd8" + bytes(range(256)) * (3 * 1024 * 4) + b"\xff\xd9"  # about 3 MB
    attachment_id = store.add_attachment(ALICE, None, "photo", "AgAC-photo", "photo.jpg", "image/jpeg", photo)
    [waiting] = store.unfiled_attachments(ALICE)
    assert (waiting.id, waiting.note_id, waiting.size, waiting.filename) == (
        attachment_id, None, len(photo), "photo.jpg")
    assert store.get_attachment_content(ALICE, attachment_id) == photo
    assert store.unfiled_attachments(BOB) == []
    note = store.add_note(ALICE, full_fields())
    filed, count = store.file_unfiled(ALICE, note_id=note.id)
    assert count == 1 and filed is not None and filed.id == note.id
    assert [a.id for a in filed.attachments] == [attachment_id]
    assert store.unfiled_attachments(ALICE) == []
    assert store.file_unfiled(ALICE, note_id=note.id) == (None, 0)  # nothing waits any more
    [exported] = store.all_notes(ALICE)
    assert exported.attachment_count == 1 and exported.attachments[0].size == len(photo)


def test_an_album_keeps_every_photo(store: DiaryStore) -> None:
    photos = [bytes([n]) * (200_000 + n) for n in range(5)]
    for number, photo in enumerate(photos):
        store.add_attachment(ALICE, None, "photo", f"f{number}", None, "image/jpeg", photo)
    assert len(store.unfiled_attachments(ALICE)) == 5
    note, count = store.file_unfiled(ALICE, new_note=NoteFields(occurred_at=T0, what_happened="album"))
    assert count == 5 and note is not None and note.what_happened == "album"
    assert [store.get_attachment_content(ALICE, a.id) for a in note.attachments] == photos


def test_filing_to_a_new_note_keeps_no_empty_note_when_nothing_waits(store: DiaryStore) -> None:
    assert store.file_unfiled(ALICE, new_note=NoteFields(occurred_at=T0, what_happened="x")) == (None, 0)
    assert store.list_notes(ALICE) == ([], 0)


def test_files_cannot_be_filed_to_another_users_note(store: DiaryStore) -> None:
    bobs = store.add_note(BOB, full_fields())
    store.add_attachment(ALICE, None, "photo", None, None, None, b"alice's")
    with pytest.raises(NoteNotFoundError):
        store.file_unfiled(ALICE, note_id=bobs.id)
    assert len(store.unfiled_attachments(ALICE)) == 1
    assert store.get_note(BOB, bobs.id).attachment_count == 0  # type: ignore[union-attr]


def test_unfiled_files_at_the_limit_and_over_it(store: DiaryStore) -> None:
    store.add_attachment(ALICE, None, "document", None, "big.bin", None, b"\0" * MAX_ATTACHMENT_BYTES)
    with pytest.raises(DiaryLimitError):
        store.add_attachment(ALICE, None, "document", None, "huge.bin", None,
                             b"\0" * (MAX_ATTACHMENT_BYTES + 1))
    assert [a.size for a in store.unfiled_attachments(ALICE)] == [MAX_ATTACHMENT_BYTES]


def test_forget_removes_unfiled_files(store: DiaryStore) -> None:
    store.add_attachment(ALICE, None, "photo", None, None, None, b"waiting")
    store.add_attachment(BOB, None, "photo", None, None, None, b"bob's")
    assert store.forget(ALICE)["attachments"] == 1
    assert store.unfiled_attachments(ALICE) == []
    assert len(store.unfiled_attachments(BOB)) == 1


def test_retention_removes_old_unfiled_files_only(store: DiaryStore) -> None:
    from bot.diary.models import AttachmentRow

    old = store.add_attachment(ALICE, None, "photo", None, None, None, b"old")
    store.add_attachment(ALICE, None, "photo", None, None, None, b"new")
    with store.engine.begin() as connection:
        connection.execute(update(AttachmentRow).where(AttachmentRow.id == old)
                           .values(created_at=T0 - timedelta(days=40)))
    counts = store.purge_before(T0)
    assert counts["attachments"] == 1
    assert [store.get_attachment_content(ALICE, a.id) for a in store.unfiled_attachments(ALICE)] == [b"new"]
