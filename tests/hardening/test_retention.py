"""Retention: notes expire N days after they were written, idle conversations after N hours.

Both are off by default; when set, a sweep runs at start-up and then
periodically, and stops with the core.
"""
from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from bot.diary.crypto import Cipher
from bot.diary.store import DiaryStore, NoteFields, migrate
from bot.retention import RetentionSweeper, purge_conversations, purge_notes, tracker_store_of
from bot.settings import Settings
from tests.hardening.conftest import RealBot

NOW = datetime.now(timezone.utc)


@pytest.fixture
def store(tmp_path: Path) -> Any:
    url = f"sqlite:///{tmp_path / 'diary.db'}"
    migrate(url)
    store = DiaryStore(url, Cipher.generate())
    yield store
    store.close()


def note(text: str, occurred: datetime = NOW) -> NoteFields:
    return NoteFields(occurred_at=occurred, what_happened=text)


def test_notes_are_kept_and_idle_conversations_expire_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NOTE_RETENTION_DAYS", "CONVERSATION_RETENTION_HOURS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.note_retention_days is None  # evidence: kept until the user deletes it
    assert settings.conversation_retention_hours == 24  # dialogue state: a day idle (bot/retention.py)
    sweeper = RetentionSweeper(None, None, settings.note_retention_days,
                               settings.conversation_retention_hours)
    assert sweeper.enabled and sweeper.note_days is None and sweeper.conversation_hours == 24
    assert not RetentionSweeper(None, None, 0, 0).enabled  # 0 is off too


def test_settings_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTE_RETENTION_DAYS", "90")
    monkeypatch.setenv("CONVERSATION_RETENTION_HOURS", "24")
    settings = Settings(_env_file=None)
    assert (settings.note_retention_days, settings.conversation_retention_hours) == (90, 24)


def test_notes_expire_by_when_they_were_written_not_when_it_happened(store: DiaryStore) -> None:
    old = store.add_note("alice", note("written long ago"))
    store.add_attachment("alice", old.id, "photo", "file-1", "a.jpg", "image/jpeg", b"jpeg")
    store.set_answer("alice", "four", {"fixated": "yes"})
    # written now about something a year ago: kept
    backdated = store.add_note("bob", note("it happened last year", NOW - timedelta(days=365)))
    # 31 days on, with 30 days' retention
    counts = purge_notes(store, days=30, now=datetime.now(timezone.utc) + timedelta(days=31))
    assert counts == {"notes": 2, "attachments": 1, "answers": 1}
    assert store.all_notes("alice") == [] and store.get_answer("alice", "four") is None
    assert store.all_notes("bob") == []
    # with the clock at today, a backdated note written today is kept
    fresh = store.add_note("bob", note("it happened last year", NOW - timedelta(days=365)))
    assert purge_notes(store, days=30)["notes"] == 0
    assert [n.id for n in store.all_notes("bob")] == [fresh.id]
    assert backdated.id != fresh.id


def test_the_sweep_deletes_rows_for_good(store: DiaryStore, tmp_path: Path) -> None:
    marker = f"expired-{uuid.uuid4().hex}"
    store.add_note("alice", note(marker))
    purge_notes(store, days=1, now=datetime.now(timezone.utc) + timedelta(days=2))
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("diary.db*"))
    assert marker.encode() not in raw


def test_idle_conversations_are_forgotten_and_active_ones_kept(real: RealBot) -> None:
    idle, active = f"idle-{uuid.uuid4().hex[:8]}", f"active-{uuid.uuid4().hex[:8]}"
    engine = real.core.engine
    trackers = tracker_store_of(engine)
    assert trackers is not None
    real.ask(idle, "hello")
    time.sleep(0.05)
    between = time.time()
    time.sleep(0.05)
    real.ask(active, "hello")
    # an hour after "between": the idle one has been idle for over an hour
    forgotten = real.run(purge_conversations(engine, hours=1, now=between + 3600))
    keys = set(real.run(trackers.keys()))  # stored under the pseudonym, never the user id
    assert engine.conversation_id(idle) not in keys and engine.conversation_id(active) in keys
    assert active not in keys
    assert forgotten >= 1
    # the forgotten user simply starts afresh
    assert real.texts(idle, "hello")[0]


async def test_idle_conversations_are_found_behind_rasas_store_wrappers() -> None:
    """Rasa wraps the configured store (fail-safe, with a fallback, around awaitable): the one
    query of the SQL store behind them is asked, and only the ids it names are forgotten."""

    class Sql:
        def __init__(self, idle: list[str]) -> None:
            self.idle, self.asked = idle, []

        def idle_conversations(self, before: float) -> list[str]:
            self.asked.append(before)
            return list(self.idle)

    class Wrapper:
        def __init__(self, inner: Any, fallback: Any = None) -> None:
            self._tracker_store, self._fallback_tracker_store = inner, fallback

    primary, fallback = Sql(["old-1", "old-2"]), Sql(["old-3"])
    forgotten: list[str] = []

    class Engine:
        _agent = type("Agent", (), {"tracker_store": Wrapper(Wrapper(primary), fallback)})()

        async def forget(self, sender_id: str) -> None:
            forgotten.append(sender_id)

    assert await purge_conversations(Engine(), hours=2, now=10_000.0) == 3
    assert sorted(forgotten) == ["old-1", "old-2", "old-3"]
    assert primary.asked == fallback.asked == [10_000.0 - 2 * 3600]


async def test_the_sweeper_runs_at_start_up_then_periodically_and_stops_with_the_core(
        store: DiaryStore) -> None:
    from bot.core import Core
    from bot.guard import SafetyGuard
    from guidance.facts import Facts
    from tests.hardening.test_faults import FaultyEngine

    calls: list[float] = []
    sweeper = RetentionSweeper(store, None, note_days=30, interval=0.05)
    original = sweeper.sweep

    async def counted() -> Any:
        calls.append(time.monotonic())
        return await original()

    sweeper.sweep = counted  # type: ignore[method-assign]
    core = Core(FaultyEngine("slow"), SafetyGuard.from_file(), Facts.load())
    task = sweeper.start()
    assert task is not None
    core.background.append(task)
    await asyncio.sleep(0)  # the first sweep starts at once
    assert len(calls) == 1
    deadline = time.monotonic() + 10
    while len(calls) < 3 and time.monotonic() < deadline:  # every 0.05 s, even on a busy machine
        await asyncio.sleep(0.05)
    assert len(calls) >= 3
    await core.close()
    assert task.cancelled()
    count = len(calls)
    await asyncio.sleep(0.1)
    assert len(calls) == count


async def test_a_failing_sweep_is_logged_by_type_and_tried_again(
        store: DiaryStore, caplog: pytest.LogCaptureFixture) -> None:
    def broken(_cutoff: datetime) -> dict[str, int]:
        raise ConnectionError("database down")

    store.purge_before = broken  # type: ignore[method-assign]
    sweeper = RetentionSweeper(store, None, note_days=30)
    result = await sweeper.sweep()
    assert result.errors == ["ConnectionError"]
    assert "note retention sweep failed: ConnectionError" in caplog.text
    assert "database down" not in caplog.text


async def test_build_core_starts_the_sweeper_only_when_retention_is_set(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``build_core`` wiring, with the engine swapped for a stand-in (no model load)."""
    import bot.app as app
    from tests.hardening.test_faults import FaultyEngine

    monkeypatch.setattr(app, "build_engine", lambda _settings: FaultyEngine("slow"))
    off = await app.build_core(Settings(database_url=f"sqlite:///{tmp_path / 'off'}.db",
                                        diary_key_file=tmp_path / "key", conversation_retention_hours=0,
                                        _env_file=None))
    assert off.background == []
    default = await app.build_core(Settings(database_url=f"sqlite:///{tmp_path / 'default'}.db",
                                            diary_key_file=tmp_path / "key", _env_file=None))
    assert len(default.background) == 1  # idle conversations expire by default (24 h)
    await default.close()
    default.desk.store.close()
    on = await app.build_core(Settings(database_url=f"sqlite:///{tmp_path / 'on'}.db",
                                       diary_key_file=tmp_path / "key", note_retention_days=30,
                                       _env_file=None))
    assert len(on.background) == 1 and not on.background[0].done()
    task = on.background[0]
    await on.close()
    assert task.cancelled()
    for core in (off, on):
        core.desk.store.close()
