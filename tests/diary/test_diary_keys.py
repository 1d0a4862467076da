"""Issue 13, item 2: a lost or changed key never silently starts an empty log.

Each test runs on SQLite and on the real PostgreSQL (``database_url``).  The core is
built by ``bot.app.build_core`` exactly as the bot builds itself, with the dialogue
engine swapped for a stand-in (no model load): the guard, the desk and the store
are the real ones.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Optional

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select, text

import bot.app as app
from bot.core import Core
from bot.diary.crypto import Cipher
from bot.diary.errors import DiaryKeyError, DiaryKeyMismatchError
from bot.diary.keyring import encrypted_columns, rotate_keys, verify_key
from bot.diary.store import DiaryStore, NoteFields, make_engine, migrate
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DANGER = "he's outside my house right now with a knife"


class StandInEngine:
    """A dialogue engine that answers "ok" and records which conversations were deleted."""

    intents = frozenset({"greet"})

    def __init__(self) -> None:
        self.forgotten: list[str] = []

    async def start(self) -> None: ...

    async def handle(self, user_id: str, text: str, metadata: Optional[dict[str, Any]] = None) -> list[Any]:
        return [] if text == "/pause" else [{"text": "ok"}]  # no form in progress: nothing to pause

    async def reset(self, user_id: str) -> None: ...

    async def forget(self, user_id: str) -> None:
        self.forgotten.append(user_id)

    async def close(self) -> None: ...


def settings(database_url: str, folder: Path, key: Optional[str]) -> Settings:
    return Settings(database_url=database_url, diary_key=key, diary_key_file=folder / "state" / "diary.key",
                    export_dir=folder, conversation_retention_hours=0, _env_file=None)


@contextmanager
def core_for(database_url: str, folder: Path, key: Optional[str],
             monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Core, asyncio.AbstractEventLoop]]:
    monkeypatch.setattr(app, "build_engine", lambda _settings: StandInEngine())
    loop = asyncio.new_event_loop()
    core = loop.run_until_complete(app.build_core(settings(database_url, folder, key)))
    try:
        yield core, loop
    finally:
        loop.run_until_complete(core.close())
        core.desk.store.close()
        loop.close()


def ask(core: Core, loop: asyncio.AbstractEventLoop, text: str, user: str = "alice") -> list[str]:
    return [r.text for r in loop.run_until_complete(core.handle(user, text))]


def count_notes(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM notes")).scalar_one())
    finally:
        engine.dispose()


def test_a_changed_key_is_refused_and_the_log_is_not_shown_empty(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with core_for(database_url, tmp_path, key_a, monkeypatch) as (core, loop):
        assert "Saved" in ask(core, loop, "/note he was at the bus stop again")[0]
    with caplog.at_level(logging.CRITICAL), \
            core_for(database_url, tmp_path, key_b, monkeypatch) as (core, loop):
        listing = " ".join(ask(core, loop, "diary:page:0"))
        assert "can't be opened" in listing and "empty" not in listing.lower()
        assert "Nothing in it has been deleted" in listing
        assert "call 999 now" in ask(core, loop, DANGER)[0]  # the guard still answers danger
        assert "NOT saved" in ask(core, loop, "/note another one")[0]
        forget = loop.run_until_complete(core.desk.forget("alice"))[0].text
        assert "could NOT delete anything" in forget and "Nothing of yours is left" not in forget
        assert core.engine.inner.forgotten == []  # type: ignore[attr-defined]  # nothing deleted
    message = " ".join(r.getMessage() for r in caplog.records if r.levelno >= logging.CRITICAL)
    assert "DIARY KEY PROBLEM" in message and "SWITCHED OFF" in message and "DIARY_KEY" in message
    assert key_a not in message and key_b not in message
    assert count_notes(database_url) == 1  # nothing written, nothing deleted under the wrong key
    with core_for(database_url, tmp_path, key_a, monkeypatch) as (core, loop):
        assert "1 incident " in ask(core, loop, "diary:page:0")[0]  # the right key: all there


def test_a_deleted_key_file_is_not_replaced_by_a_new_key(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "state" / "diary.key"
    with core_for(database_url, tmp_path, None, monkeypatch) as (core, loop):
        assert "Saved" in ask(core, loop, "/note first note")[0]
    backup = key_file.read_bytes()
    key_file.unlink()
    with core_for(database_url, tmp_path, None, monkeypatch) as (core, loop):
        assert "can't be opened" in ask(core, loop, "diary:page:0")[0]
        assert "call 999 now" in ask(core, loop, DANGER)[0]
    assert not key_file.exists(), "no new key is made while the database holds a log"
    key_file.write_bytes(backup)
    key_file.chmod(0o600)
    with core_for(database_url, tmp_path, None, monkeypatch) as (core, loop):
        assert "1 incident " in ask(core, loop, "diary:page:0")[0]


def test_a_database_from_before_the_key_check_gets_one(database_url: str) -> None:
    """Databases written before the check existed: the key that opens their data is accepted
    (and the same users find the same rows); another key is refused."""
    migrate(database_url)
    key = Fernet.generate_key()
    old = DiaryStore(database_url, Cipher(key))  # as the bot wrote before: no check
    old.add_note("alice", NoteFields(occurred_at=_now(), what_happened="before the check"))
    old.close()
    with pytest.raises(DiaryKeyMismatchError):
        verify_key(make_engine(database_url), Cipher.generate())
    store = DiaryStore(database_url, Cipher(key))
    try:
        assert verify_key(store.engine, store.cipher).created
        assert [n.what_happened for n in store.all_notes("alice")] == ["before the check"]
        assert not verify_key(store.engine, store.cipher).created
    finally:
        store.close()


def _now() -> Any:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def test_key_rotation_re_encrypts_everything_and_users_keep_their_notes(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with core_for(database_url, tmp_path, old, monkeypatch) as (core, loop):
        for user in ("alice", "bob"):
            assert "Saved" in ask(core, loop, f"/note {user} saw him at the station", user)[0]
        store: DiaryStore = core.desk.store
        note = store.latest_note("alice")
        assert note is not None
        store.add_attachment("alice", note.id, "photo", "file-id", "door.jpg", "image/jpeg", b"\xff\xd8 jpeg")
        store.set_answer("bob", "four", {"fixated": "yes"})
    # new key first, old one after it: everything still reads
    with core_for(database_url, tmp_path, f"{new},{old}", monkeypatch) as (core, loop):
        assert "1 incident " in ask(core, loop, "diary:page:0", "bob")[0]
    env = {**os.environ, "DATABASE_URL": database_url, "DIARY_KEY": f"{new}, {old}",
           "DIARY_KEY_FILE": str(tmp_path / "unused.key"), "LOG_LEVEL": "WARNING"}
    done = subprocess.run([sys.executable, "-m", "bot", "rotate-key"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "0 unreadable" in done.stdout and "Traceback" not in done.stderr
    # every encrypted value is now under the new key, none under the old one
    engine = make_engine(database_url)
    values = 0
    with engine.connect() as connection:
        for _table, column in encrypted_columns():
            for token in connection.scalars(select(column).where(column.isnot(None))):
                values += 1
                Fernet(new.encode()).decrypt(bytes(token))
                with pytest.raises(InvalidToken):
                    Fernet(old.encode()).decrypt(bytes(token))
        check = connection.execute(text("SELECT value_enc FROM diary_meta")).scalar_one()
        Fernet(new.encode()).decrypt(bytes(check))
    engine.dispose()
    assert values >= 5
    # the old key is gone: the same users still find their own notes (the pseudonym did not change)
    with core_for(database_url, tmp_path, new, monkeypatch) as (core, loop):
        assert "alice saw him" in " ".join(b.title for r in loop.run_until_complete(
            core.handle("alice", "diary:page:0")) for b in r.buttons)
        store = core.desk.store
        assert store.get_answer("bob", "four") == {"fixated": "yes"}
        (attachment,) = store.latest_note("alice").attachments  # type: ignore[union-attr]
        assert store.get_attachment_content("alice", attachment.id) == b"\xff\xd8 jpeg"
    # and the old key alone is now refused
    with core_for(database_url, tmp_path, old, monkeypatch) as (core, loop):
        assert "can't be opened" in ask(core, loop, "diary:page:0")[0]
    # running it again finds nothing to do
    again = rotate_keys(make_engine(database_url), Cipher(new))
    assert again.rotated == 0 and again.already == values and again.unreadable == 0


def test_rotation_refuses_a_key_that_does_not_open_the_log(database_url: str) -> None:
    migrate(database_url)
    store = DiaryStore(database_url, Cipher.generate())
    verify_key(store.engine, store.cipher)
    store.add_note("alice", NoteFields(occurred_at=_now(), what_happened="x"))
    store.close()
    with pytest.raises(DiaryKeyMismatchError):
        rotate_keys(make_engine(database_url), Cipher(f"{Fernet.generate_key().decode()}"))


@pytest.mark.parametrize("bad", ["not-a-key", "c2hvcnQ=", "KEY1,KEY2"])
def test_a_malformed_key_is_a_clear_message_not_a_traceback(bad: str, tmp_path: Path) -> None:
    good = Fernet.generate_key().decode()
    value = bad.replace("KEY1", good).replace("KEY2", "oops")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'diary.db'}", "DIARY_KEY": value,
           "DIARY_KEY_FILE": str(tmp_path / "unused.key"), "LOG_LEVEL": "WARNING"}
    for command in ("check-key", "rotate-key"):
        done = subprocess.run([sys.executable, "-m", "bot", command], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 2
        assert "Traceback" not in done.stderr and "malformed" in done.stderr
        assert good not in done.stderr and ("key 2 of 2" in done.stderr) == ("," in value)


def test_a_malformed_key_switches_the_log_off_and_danger_still_gets_999(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    url = f"sqlite:///{tmp_path / 'diary.db'}"
    with caplog.at_level(logging.CRITICAL), core_for(url, tmp_path, "not-a-key", monkeypatch) as (core, loop):
        assert "call 999 now" in ask(core, loop, DANGER)[0]
        assert "can't be opened" in ask(core, loop, "diary:page:0")[0]
    assert any("malformed" in r.getMessage() for r in caplog.records)


def test_check_key_says_ok_for_the_right_key(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'diary.db'}", "DIARY_KEY": key,
           "DIARY_KEY_FILE": str(tmp_path / "unused.key"), "LOG_LEVEL": "WARNING"}
    first = subprocess.run([sys.executable, "-m", "bot", "check-key"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
    assert first.returncode == 0 and first.stdout.startswith("ok"), first.stderr
    env["DIARY_KEY"] = Fernet.generate_key().decode()
    other = subprocess.run([sys.executable, "-m", "bot", "check-key"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
    assert other.returncode == 2 and "does not match" in other.stderr


def test_several_keys_read_old_data_and_write_under_the_first() -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    token = Cipher(old).encrypt("written under the old key")
    both = Cipher(new + b"\n" + old)
    assert both.decrypt_text(token) == "written under the old key"
    fresh = both.encrypt("new")
    assert Cipher(new).decrypt_text(fresh) == "new"
    with pytest.raises(DiaryKeyError):
        Cipher(old).decrypt_text(fresh)
    assert Cipher(new).decrypt_text(both.rotate(token)) == "written under the old key"
