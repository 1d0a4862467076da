"""The embedded engine's conversations: kept across restarts, encrypted, under a pseudonym.

* A guided note half-written survives the bot being killed (SIGKILL) and
  restarted: the next answer goes on with the note, and the saved note holds
  the answers given before the restart (Rasa's SQL tracker store on a SQLite
  file, ``conversations.tracker_store.EncryptedSQLTrackerStore``).
* The tracker file holds neither what the user wrote nor their user id: every
  event is encrypted, and Rasa knows the user by ``Cipher.user_key`` of the id.
* ``/forget`` deletes the conversation stored under that pseudonym.
* The store itself: no key or a malformed key refuses to start; a key that reads
  none of the stored events refuses to start (or, for a freshly made key file,
  drops what nobody can read); rotation reads old events; an altered row is
  dropped and the conversation goes on; forged intent names are not kept;
  idle conversations expire.
* Memory: the embedded engine keeps no conversation in memory.
"""
from __future__ import annotations

import os
import random
import signal
import sqlite3
import time
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.diary.crypto import Cipher
from bot.diary.store import DiaryStore
from tests.conftest import MODEL, JsonlChat, require
from tests.hardening.conftest import RealBot, child_env


def raw_user_id() -> str:
    """A Telegram-like id that cannot be mistaken for a timestamp (12 digits, starts with 98)."""
    return f"98{random.randrange(10**9, 10**10)}"


def raw_bytes(folder: Path, name: str) -> bytes:
    """The database file and its write-ahead log, as they are on disk."""
    return b"".join(p.read_bytes() for p in sorted(folder.glob(f"{name}*")) if p.is_file())


def require_model() -> None:
    require(MODEL.exists(), "no trained model: run ./test.sh, which trains it")


# -- through the console, as a user would ---------------------------------------------

def test_a_restart_mid_note_keeps_the_draft_and_the_tracker_holds_no_text_or_id(tmp_path: Path) -> None:
    require_model()
    marker = f"draft-{uuid.uuid4().hex}"
    user = raw_user_id()
    env = child_env(tmp_path)
    first = JsonlChat(tmp_path / "first.log", user=user, env=env)
    try:
        assert "When did it happen?" in first.texts("/note")[-1]
        assert first.texts("yesterday at 5pm")[-1].startswith("Where did it happen?")
        assert first.texts(f"outside the gym {marker}")[-1].startswith("What happened?")
    finally:
        os.kill(first.proc.pid, signal.SIGKILL)  # no goodbye: as a crash or a power cut of the process
        first.proc.wait(timeout=30)
        first._stderr.close()

    folder = tmp_path / "db"
    assert (folder / "tracker.db").exists()
    second = JsonlChat(tmp_path / "second.log", user=user, env=env)
    try:
        # the draft goes on where it was: the answer is taken as "what happened"
        assert second.texts(f"he followed me to the bus stop {marker}")[-1].startswith("How did it happen?")
        second.texts("/deny")
        for _ in range(5):
            shown = second.texts("skip")
        assert "Save it?" in shown[-1] and f"outside the gym {marker}" in shown[-1]
        assert second.texts("/affirm")[0].startswith("✅ Saved")

        cipher = Cipher.from_settings(None, tmp_path / "diary.key")
        store = DiaryStore(env["DATABASE_URL"], cipher)
        try:
            (note,) = store.all_notes(user)
        finally:
            store.close()
        assert note.place == f"outside the gym {marker}"  # written before the restart
        assert note.what_happened == f"he followed me to the bus stop {marker}"

        # the tracker holds the conversation under the pseudonym, and nothing readable
        with sqlite3.connect(folder / "tracker.db") as db:
            senders = {s for (s,) in db.execute("SELECT DISTINCT sender_id FROM events")}
        assert senders == {cipher.user_key(user)}
        raw = raw_bytes(folder, "tracker.db")
        assert marker.encode() not in raw and user.encode() not in raw
        assert b"bus stop" not in raw  # (a space: never in the encrypted data's base64)

        # /forget deletes the conversation stored under the same pseudonym
        confirm = second.send("/forget")["out"][0]
        assert second.texts(confirm["buttons"][0]["payload"])
    finally:
        code, log = second.close()
    assert code == 0
    assert marker not in log
    with sqlite3.connect(folder / "tracker.db") as db:
        assert db.execute("SELECT count(*) FROM events WHERE sender_id = ?",
                          (cipher.user_key(user),)).fetchone() == (0,)
    assert os.stat(folder / "tracker.db").st_mode & 0o077 == 0  # the owner's only, like the diary


def test_the_embedded_engine_keeps_no_conversation_in_memory(real: RealBot) -> None:
    from conversations.stores import concrete_stores as _stores
    from conversations.tracker_store import EncryptedSQLTrackerStore

    user = raw_user_id()
    real.ask(user, "/note")
    stores = _stores(real.core.engine._agent.tracker_store)
    assert stores and all(isinstance(s, EncryptedSQLTrackerStore) for s in stores), stores
    assert real.run(stores[0].keys()) and user not in real.run(stores[0].keys())
    assert real.core.engine.conversation_id(user) in real.run(stores[0].keys())
    real.ask(user, "/stop")


# -- the store on its own -----------------------------------------------------------

def make_store(path: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    from rasa.shared.core.domain import Domain

    from conversations.tracker_store import EncryptedSQLTrackerStore

    domain = Domain.from_dict({"intents": ["greet", "record_incident"], "slots": {},
                               "responses": {}, "actions": []})
    return EncryptedSQLTrackerStore(domain, host=f"sqlite:///{path}", **kwargs)


def conversation(sender: str, *texts: str, intent: str = "greet"):  # type: ignore[no-untyped-def]
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker(sender, [])
    for text in texts:
        tracker.update(ActionExecuted("action_listen"))
        tracker.update(UserUttered(text, {"name": intent, "confidence": 1.0},
                                   metadata={"text": text}))
    return tracker


def user_texts(tracker) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.text for e in tracker.events if e.type_name == "user"]


async def test_events_are_stored_encrypted_and_read_back(tmp_path: Path) -> None:
    marker = f"sealed-{uuid.uuid4().hex}"
    key = Fernet.generate_key().decode()
    store = make_store(tmp_path / "t.db", key=key)
    await store.save(conversation("pseudo-1", f"he was outside {marker}", intent="record_incident"))
    tracker = await store.retrieve("pseudo-1")
    assert user_texts(tracker) == [f"he was outside {marker}"]
    store.engine.dispose()
    raw = raw_bytes(tmp_path, "t.db")
    assert marker.encode() not in raw and b"outside" not in raw
    with sqlite3.connect(tmp_path / "t.db") as db:
        rows = db.execute("SELECT type_name, intent_name, action_name, data FROM events").fetchall()
    assert ("user", "record_incident", None) in [r[:3] for r in rows]
    assert all(data.startswith("fernet:") for *_, data in rows)


async def test_a_forged_intent_name_is_not_kept_in_the_clear(tmp_path: Path) -> None:
    store = make_store(tmp_path / "t.db", key=Fernet.generate_key().decode())
    await store.save(conversation("p", "x", intent="my_secret_words"))
    with sqlite3.connect(tmp_path / "t.db") as db:
        assert db.execute("SELECT intent_name FROM events WHERE type_name = 'user'").fetchall() == [(None,)]
    assert (await store.retrieve("p")).latest_message.intent["name"] == "my_secret_words"


def test_no_key_or_a_malformed_key_refuses_to_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conversations.tracker_store import TrackerKeyError

    monkeypatch.delenv("TRACKER_KEY", raising=False)
    with pytest.raises(TrackerKeyError, match="set TRACKER_KEY"):
        make_store(tmp_path / "t.db")
    with pytest.raises(TrackerKeyError, match="Fernet keys") as error:
        make_store(tmp_path / "t.db", key="not-a-key")
    assert "not-a-key" not in str(error.value)
    monkeypatch.setenv("TRACKER_KEY", Fernet.generate_key().decode())
    assert make_store(tmp_path / "t.db") is not None  # from the environment


async def test_a_wrong_key_refuses_to_start_and_a_fresh_key_file_drops_what_nobody_can_read(
        tmp_path: Path) -> None:
    from conversations.tracker_store import TrackerKeyError

    old = Fernet.generate_key().decode()
    await make_store(tmp_path / "t.db", key=old).save(conversation("p", "hello"))
    with pytest.raises(TrackerKeyError, match="does not decrypt the stored conversations"):
        make_store(tmp_path / "t.db", key=Fernet.generate_key().decode())
    # the same key still reads it: the refusal deleted nothing
    assert user_texts(await make_store(tmp_path / "t.db", key=old).retrieve("p")) == ["hello"]
    fresh = make_store(tmp_path / "t.db", key=Fernet.generate_key().decode(), discard_unreadable=True)
    assert list(await fresh.keys()) == []


async def test_rotation_reads_events_written_with_the_old_key(tmp_path: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    await make_store(tmp_path / "t.db", key=old).save(conversation("p", "before"))
    rotated = make_store(tmp_path / "t.db", key=f"{new},{old}")
    tracker = await rotated.retrieve("p")
    tracker.update(conversation("p", "after").events[-1])
    await rotated.save(tracker)
    assert user_texts(await make_store(tmp_path / "t.db", key=f"{new},{old}").retrieve("p")) == [
        "before", "after"]
    from conversations.tracker_store import TrackerKeyError

    with pytest.raises(TrackerKeyError):  # the newest event is written with the new key only
        make_store(tmp_path / "t.db", key=old)


async def test_an_altered_row_is_dropped_and_the_conversation_goes_on(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    store = make_store(tmp_path / "t.db", key=key)
    await store.save(conversation("p", "one", "two"))
    with sqlite3.connect(tmp_path / "t.db") as db:
        (first_user,) = db.execute("SELECT min(id) FROM events WHERE type_name = 'user'").fetchone()
        db.execute("UPDATE events SET data = 'fernet:garbage' WHERE id = ?", (first_user,))
    tracker = await store.retrieve("p")
    assert user_texts(tracker) == ["two"]
    tracker.update(conversation("p", "three").events[-1])
    await store.save(tracker)  # stored rows and tracker events agree again: nothing is skipped
    assert user_texts(await store.retrieve("p")) == ["two", "three"]


async def test_idle_conversations_expire(tmp_path: Path) -> None:
    store = make_store(tmp_path / "t.db", key=Fernet.generate_key().decode())
    await store.save(conversation("idle", "old"))
    between = time.time()
    time.sleep(0.02)
    await store.save(conversation("active", "new"))
    assert store.expire_idle(hours=1, now=between + 3600) == 1
    assert set(await store.keys()) == {"active"}


async def test_the_embedded_engine_does_not_start_on_a_key_that_reads_no_conversation(tmp_path: Path) -> None:
    """A clear operator message, not a traceback and not a silent empty store."""
    from bot.engine import EngineUnavailable, InProcessEngine

    require_model()
    old = Fernet.generate_key().decode()
    await make_store(tmp_path / "tracker.db", key=old).save(conversation("p", "hello"))
    (tmp_path / "tracker.key").write_text(Fernet.generate_key().decode())  # an existing, other key
    engine = InProcessEngine(MODEL, None, tracker_url=f"sqlite:///{tmp_path / 'tracker.db'}",
                             tracker_key_file=tmp_path / "tracker.key")
    with pytest.raises(EngineUnavailable, match="conversation store can't be opened.*TRACKER_KEY"):
        await engine.start()
    # the same key file, made afresh (the old one lost): what nobody can read is dropped, it starts
    (tmp_path / "tracker.key").unlink()
    from conversations.tracker_store import EncryptedSQLTrackerStore

    engine._agent = None
    config = engine._tracker_store_config()
    assert config.kwargs["discard_unreadable"] is True
    store = EncryptedSQLTrackerStore(None, host=config.url, **config.kwargs)
    assert list(await store.keys()) == []
