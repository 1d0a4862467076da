"""Faults: the dialogue engine down, slow, hanging or raising; the database down while saving.

Whatever fails, the user gets an answer within 3 seconds that carries the
999 / 101 / helpline line, and a note they were not told is saved is not lost:
"Try saving again" saves it once the database is back.
"""
from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any, Optional

import pytest
import pytest_asyncio
from aiohttp import web

from bot.core import Core
from bot.desk import DiaryDesk, UnsavedNotes
from bot.diary.crypto import Cipher
from bot.diary.store import DiaryStore, NoteFields, migrate
from bot.engine import EngineUnavailable
from bot.guard import SafetyGuard
from bot.remote_engine import RemoteEngine
from bot.replies import Reply
from bot.settings import Settings
from guidance.facts import Facts
from tests.hardening.conftest import RealBot

FACTS = Facts.load()
HELPLINE = "0808 802 0300"
WITHIN = 3.0  # seconds: the promise to the user
INTENTS = frozenset({"greet", "affirm", "deny", "emergency", "start_check", "ask_signposts"})


def assert_help(replies: list[Reply]) -> None:
    """The apology: "please try again" and every contact of the help line."""
    text = "\n".join(r.text for r in replies)
    assert "try again" in text.lower()
    for contact in ("999", "101", HELPLINE):
        assert contact in text


class FaultyEngine:
    """A dialogue engine that fails in one chosen way."""

    intents = INTENTS

    def __init__(self, mode: str, delay: float = 0.0, error: Optional[BaseException] = None) -> None:
        self.mode = mode
        self.delay = delay
        self.error = error or ConnectionError("engine down")
        self.release = asyncio.Event()

    async def start(self) -> None: ...

    async def _misbehave(self) -> None:
        if self.mode == "hang":  # never answers (cancellable)
            await asyncio.Event().wait()
        if self.mode == "stubborn":  # never answers, and ignores being cancelled
            while not self.release.is_set():
                try:
                    await self.release.wait()
                except asyncio.CancelledError:
                    continue
        if self.mode == "slow":
            await asyncio.sleep(self.delay)
        if self.mode == "raise":
            raise self.error

    async def handle(self, user_id: str, text: str,
                     metadata: Optional[dict[str, Any]] = None) -> list[dict[str, Any]]:
        await self._misbehave()
        return [{"text": f"the engine's answer to {text}"}]

    async def reset(self, user_id: str) -> None:
        await self._misbehave()

    async def forget(self, user_id: str) -> None: ...

    async def close(self) -> None:
        self.release.set()


def core_with(engine: Any) -> Core:
    """A core with the production defaults (no time-out given: the default applies)."""
    return Core(engine, SafetyGuard.from_file(), FACTS)


async def timed(core: Core, text: str) -> tuple[list[Reply], float]:
    started = time.monotonic()
    replies = await core.handle("u1", text)
    return replies, time.monotonic() - started


@pytest.mark.parametrize("mode", ["hang", "stubborn"])
async def test_with_the_default_settings_a_hanging_engine_is_answered_within_3_seconds(
        monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    """Timed, with the core built as ``bot.app.build_core`` builds it: from the settings' default."""
    monkeypatch.delenv("ENGINE_TIMEOUT", raising=False)
    settings = Settings(_env_file=None)
    engine = FaultyEngine(mode)
    core = Core(engine, SafetyGuard.from_file(), FACTS, engine_timeout=settings.engine_timeout)
    started = time.monotonic()
    try:
        # a time-out far too long must fail here, not hang the run
        replies = await asyncio.wait_for(core.handle("u1", "hello"), timeout=WITHIN + 1)
    finally:
        engine.release.set()
    took = time.monotonic() - started
    assert took < WITHIN, took
    assert_help(replies)


async def test_a_failing_engine_gets_the_help_line_within_3_seconds() -> None:
    """Every way of failing, on a message, a /start (which resets first), a command and a payload.

    The cases run side by side (each timed on its own), so the test takes one time-out.
    """
    cases = [(mode, text) for mode in ("hang", "stubborn", "raise")
             for text in ("hello", "/start", "/check", '/affirm{"behaviour": "following"}')]
    engines = [FaultyEngine(mode) for mode, _ in cases]
    try:
        results = await asyncio.gather(*(timed(core_with(engine), text)
                                         for engine, (_, text) in zip(engines, cases, strict=False)))
    finally:
        for engine in engines:
            engine.release.set()
    for (mode, text), (replies, took) in zip(cases, results, strict=False):
        assert took < WITHIN, (mode, text, took)
        assert_help(replies)


@pytest.mark.parametrize("error", [EngineUnavailable("down"), ConnectionRefusedError(),
                                   asyncio.TimeoutError(), RuntimeError("bug"), KeyError("slot"),
                                   ValueError("bad json")])
async def test_any_engine_error_gets_the_help_line(error: BaseException) -> None:
    replies, took = await timed(core_with(FaultyEngine("raise", error=error)), "hello")
    assert took < WITHIN
    assert_help(replies)


async def test_danger_still_gets_999_first_within_3_seconds() -> None:
    engines = [FaultyEngine(mode) for mode in ("hang", "stubborn", "raise")]
    try:
        results = await asyncio.gather(*(timed(core_with(engine), "he's outside my house right now")
                                         for engine in engines))
    finally:
        for engine in engines:
            engine.release.set()
    for engine, (replies, took) in zip(engines, results, strict=False):
        assert took < WITHIN, engine.mode
        assert "call 999 now" in replies[0].text


async def test_a_slow_but_working_engine_is_not_cut_off() -> None:
    replies, took = await timed(core_with(FaultyEngine("slow", delay=1.0)), "hello")
    assert replies[0].text == "the engine's answer to hello"
    assert 1.0 <= took < WITHIN


# -- a remote Rasa server over real HTTP: down, hanging, failing ----------------------------


@pytest_asyncio.fixture(loop_scope="function")
async def rasa_server() -> AsyncIterator[dict[str, Any]]:
    """A stand-in Rasa server: answers /domain, then does to messages what ``state["mode"]`` says."""
    state: dict[str, Any] = {"mode": "ok"}

    async def domain(_request: web.Request) -> web.Response:
        return web.json_response({"intents": sorted(INTENTS)})

    async def message(_request: web.Request) -> web.Response:
        if state["mode"] == "hang":
            await asyncio.sleep(30)
        if state["mode"] == "error":
            return web.Response(status=500, text="Internal Server Error")
        return web.json_response([{"recipient_id": "u1", "text": "hi"}])

    app = web.Application()
    app.router.add_get("/domain", domain)
    app.router.add_post("/webhooks/bot/webhook", message)
    app.router.add_post("/conversations/{id}/tracker/events", message)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    state["url"] = f"http://127.0.0.1:{port}"
    state["runner"] = runner
    yield state
    await runner.cleanup()


@pytest.mark.parametrize("mode", ["down", "hang", "error"])
async def test_a_remote_rasa_down_hanging_or_failing_gets_the_help_line(
        rasa_server: dict[str, Any], mode: str) -> None:
    engine = RemoteEngine(rasa_server["url"], timeout=8.0)  # its own budget is longer than the core's
    await engine.start()
    core = core_with(engine)
    try:
        assert (await core.handle("u1", "hello"))[0].text == "hi"
        if mode == "down":
            await rasa_server["runner"].cleanup()  # the server is gone: connections are refused
        rasa_server["mode"] = mode
        for replies, took in await asyncio.gather(timed(core, "hello"), timed(core, "/start")):
            assert took < WITHIN
            assert_help(replies)
    finally:
        await engine.close()


# -- the database unavailable while saving -------------------------------------------------


def user() -> str:
    return f"fault-{uuid.uuid4().hex[:12]}"


def notes_of(real: RealBot, user_id: str) -> list[Any]:
    return real.core.desk.store.all_notes(user_id)


def button(replies: list[Reply], title: str) -> str:
    found = [b.payload for r in replies for b in r.buttons if b.title == title]
    assert found, f"no {title!r} button in {[b.title for r in replies for b in r.buttons]}"
    return found[0]


def test_a_quick_note_not_saved_is_said_so_and_saved_on_retry(real: RealBot) -> None:
    me, marker = user(), uuid.uuid4().hex
    text = f"he was at the school gates again {marker}"
    with real.database_down():
        failed = real.ask(me, f"/note {text}")
        assert "NOT saved" in failed[0].text
        assert_help(failed)
        retry = button(failed, "Try saving again")
        # what the user wrote is held encrypted, not as text, while it waits
        held = b"".join(token for tokens in real.core.desk.unsaved._held.values() for _, token in tokens)
        assert held and marker.encode() not in held
        # the chat goes on while the database is down (a real answer, not the apology)
        hello = real.texts(me, "hello")
        assert hello[0].startswith("Hello. I'm a chatbot") and "something went wrong" not in hello[0]
        assert_help(real.ask(me, "/notes"))
        # retrying while it is still down keeps it
        assert "NOT saved" in real.texts(me, retry)[0]
    assert notes_of(real, me) == []
    saved = real.texts(me, retry)
    assert saved[0].startswith("✅ Saved") and "In the last 7 days: 1" in saved[0]
    [note] = notes_of(real, me)
    assert note.what_happened == text
    # a second press saves nothing twice
    assert "no unsaved note" in real.texts(me, retry)[0]
    assert len(notes_of(real, me)) == 1


def guided_note(real: RealBot, me: str, what: str) -> list[Reply]:
    """Write a guided note (the Rasa form) up to its confirmation; the replies to "yes"."""
    real.ask(me, "/start")
    assert "When did it happen" in real.texts(me, "I want to record what happened")[-1]
    assert "Where did it happen" in real.texts(me, "yesterday at 5pm")[-1]
    real.ask(me, "outside the gym")
    real.ask(me, what)
    real.ask(me, '/affirm{"behaviour": "following"}')
    real.ask(me, "grey hoodie, blue ford focus AB12 CDE")
    for _ in range(4):
        confirm = real.texts(me, "skip")
    assert "Save it?" in confirm[-1] and what in confirm[-1]
    return real.ask(me, "/affirm")


def test_a_guided_note_not_saved_is_kept_whole_and_saved_on_retry(real: RealBot) -> None:
    me, marker = user(), uuid.uuid4().hex
    what = f"he followed me to the bus stop {marker}"
    with real.database_down():
        failed = guided_note(real, me, what)
        assert "NOT saved" in failed[0].text
        assert_help(failed)
    # Rasa's form is over (its slots were handed to the bot); the note waits in the desk
    saved = real.texts(me, button(failed, "Try saving again"))
    assert saved[0].startswith("✅ Saved")
    [note] = notes_of(real, me)
    assert (note.place, note.what_happened, note.kind, note.appearance) == (
        "outside the gym", what, "following", "grey hoodie, blue ford focus AB12 CDE")
    assert note.witnesses is None and note.police_ref is None


def test_a_saved_note_is_reported_saved_even_if_counting_then_fails(
        real: RealBot, monkeypatch: pytest.MonkeyPatch) -> None:
    me = user()

    def broken_pattern(*_args: Any) -> Any:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(real.core.desk.store, "pattern", broken_pattern)
    replies = real.texts(me, "/note he rang 20 times")
    assert replies[0].startswith("✅ Saved") and "In the last" not in replies[0]
    assert len(notes_of(real, me)) == 1


def test_retry_with_nothing_waiting_or_for_another_user(real: RealBot) -> None:
    me, other = user(), user()
    with real.database_down():
        failed = real.ask(me, "/note he left a letter")
    # someone else pressing (or forging) the same payload gets nothing of mine
    assert "no unsaved note" in real.texts(other, button(failed, "Try saving again"))[0]
    assert notes_of(real, other) == []
    assert real.texts(me, "diary:retry")[0].startswith("✅ Saved")


async def test_unsaved_notes_expire_and_are_bounded() -> None:
    held = UnsavedNotes(ttl=0.2, per_user=2)
    for n in range(3):
        held.put("u", NoteFields(occurred_at=datetime.now(timezone.utc), what_happened=f"note {n}"))
    assert held.count("u") == 2 and held.count("v") == 0
    await asyncio.sleep(0.3)
    assert held.take("u") == []


async def test_a_value_the_store_refuses_is_not_offered_for_retry(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'diary.db'}"
    migrate(url)
    store = DiaryStore(url, Cipher.generate())
    desk = DiaryDesk(store, FACTS, lambda _user: asyncio.sleep(0))
    naive = NoteFields(occurred_at=datetime(2024, 1, 1), what_happened="x")  # refused: no time zone
    replies = await desk.save("u1", naive)
    assert "NOT saved" in replies[0].text and not replies[0].buttons
    assert desk.unsaved.count("u1") == 0
    store.close()
