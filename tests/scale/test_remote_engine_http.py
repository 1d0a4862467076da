"""RemoteEngine's HTTP behaviour against a fake Rasa server: time-outs, retries, failover, token.

No stores and no Rasa needed: these run everywhere and in a second.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from bot.engine import EngineUnavailable
from bot.remote_engine import RemoteEngine, parse_urls

from .cluster import free_port

DOMAIN = {"intents": ["greet", {"affirm": {"use_entities": True}}, "emergency"]}


class FakeRasa:
    """Records requests; behaviour per test through the attributes."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, str], Any]] = []
        self.domain_failures = 0  # answer 409 (no model yet) this many times
        self.delay = 0.0
        self.webhook_status = 200

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json() if request.can_read_body else None
        self.calls.append((request.method, request.path, dict(request.query), body))
        if request.path == "/domain":
            if self.domain_failures > 0:
                self.domain_failures -= 1
                return web.json_response({"message": "no agent"}, status=409)
            if request.query.get("token") != "t0k":
                return web.json_response({"message": "unauthorised"}, status=401)
            return web.json_response(DOMAIN)
        if request.path == "/webhooks/bot/webhook":
            await asyncio.sleep(self.delay)
            if self.webhook_status != 200:
                return web.json_response({"error": "boom"}, status=self.webhook_status)
            return web.json_response([{"recipient_id": body["sender"], "text": f"echo {body['message']}"}])
        if request.method == "DELETE":
            return web.json_response({"deleted": 3})
        if request.path.endswith("/tracker/events"):
            return web.json_response({"sender_id": "x"})
        return web.json_response({}, status=404)


@pytest_asyncio.fixture(loop_scope="function")  # the loop the test runs in
async def fake() -> AsyncIterator[tuple[FakeRasa, str]]:
    rasa = FakeRasa()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", rasa.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    yield rasa, f"http://127.0.0.1:{port}"
    await runner.cleanup()


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"  # nothing listens there


def test_parse_urls() -> None:
    assert parse_urls(" http://a:5005/, https://b ") == ["http://a:5005", "https://b"]
    with pytest.raises(ValueError):
        parse_urls("a:5005")
    with pytest.raises(ValueError):
        parse_urls(" , ")


async def test_start_reads_intents_and_waits_for_a_loading_server(fake: tuple[FakeRasa, str]) -> None:
    rasa, url = fake
    rasa.domain_failures = 2
    engine = RemoteEngine(url, token="t0k", start_timeout=10)
    await engine.start()
    assert engine.intents == {"greet", "affirm", "emergency"}
    assert rasa.calls[-1][2] == {"token": "t0k"}
    await engine.close()


async def test_a_wrong_token_fails_at_once(fake: tuple[FakeRasa, str]) -> None:
    _, url = fake
    engine = RemoteEngine(url, token="nope", start_timeout=30)
    started = time.monotonic()
    with pytest.raises(EngineUnavailable, match="401"):
        await engine.start()
    assert time.monotonic() - started < 2  # not waited for as if the server were loading
    await engine.close()


async def test_handle_sends_sender_text_metadata_and_token(fake: tuple[FakeRasa, str]) -> None:
    rasa, url = fake
    engine = RemoteEngine(url, token="t0k")
    await engine.start()
    assert await engine.handle("u1", "/emergency", {"via_guard": True}) == [
        {"recipient_id": "u1", "text": "echo /emergency"}]
    method, path, query, body = rasa.calls[-1]
    assert (method, path, query) == ("POST", "/webhooks/bot/webhook", {"token": "t0k"})
    assert body == {"sender": "u1", "message": "/emergency", "metadata": {"via_guard": True}}
    await engine.reset("a/b c")
    assert rasa.calls[-1][:2] == ("POST", "/conversations/a/b c/tracker/events")
    assert rasa.calls[-1][3] == {"event": "restart"}
    await engine.forget("u1")
    assert rasa.calls[-1][:2] == ("DELETE", "/webhooks/bot/conversations/u1")
    await engine.close()


async def test_a_slow_server_times_out(fake: tuple[FakeRasa, str]) -> None:
    rasa, url = fake
    engine = RemoteEngine(url, token="t0k", timeout=0.5)
    await engine.start()
    rasa.delay = 3.0
    started = time.monotonic()
    with pytest.raises(EngineUnavailable, match="timed out"):
        await engine.handle("u1", "hello")
    assert time.monotonic() - started < 1.5
    await engine.close()


async def test_a_failed_message_is_reported_and_never_sent_twice(fake: tuple[FakeRasa, str]) -> None:
    rasa, url = fake
    engine = RemoteEngine(url, token="t0k", retries=3)
    await engine.start()
    rasa.webhook_status = 500
    before = len(rasa.calls)
    with pytest.raises(EngineUnavailable, match="500"):
        await engine.handle("u1", "hello")
    assert len(rasa.calls) == before + 1
    await engine.close()


async def test_connection_refused_fails_over_to_the_next_server(fake: tuple[FakeRasa, str]) -> None:
    rasa, url = fake
    engine = RemoteEngine([dead_url(), url], token="t0k", retries=2, backoff=0.01)
    await engine.start()
    for n in range(4):
        assert (await engine.handle("u1", f"m{n}"))[0]["text"] == f"echo m{n}"
    assert [c[3]["message"] for c in rasa.calls if c[1].endswith("webhook")] == ["m0", "m1", "m2", "m3"]
    await engine.close()


async def test_no_server_at_all_is_unavailable_quickly() -> None:
    engine = RemoteEngine([dead_url(), dead_url()], retries=2, backoff=0.01, start_timeout=0)
    started = time.monotonic()
    with pytest.raises(EngineUnavailable):
        await engine.start()
    with pytest.raises(EngineUnavailable):
        await engine.handle("u1", "hello")
    assert time.monotonic() - started < 3
    await engine.close()


def test_from_settings_reads_the_rasa_settings() -> None:
    from types import SimpleNamespace

    settings = SimpleNamespace(rasa_url="http://a:5005/,http://b:5005", rasa_token="t", rasa_timeout=3.5,
                               rasa_retries=4, rasa_start_timeout=9.0)
    engine = RemoteEngine.from_settings(settings)
    assert engine.urls == ["http://a:5005", "http://b:5005"]
    assert (engine.token, engine.timeout, engine.retries, engine.start_timeout) == ("t", 3.5, 4, 9.0)
    bare = RemoteEngine.from_settings(SimpleNamespace(rasa_url="http://a:5005"))  # before the new settings
    assert (bare.token, bare.timeout, bare.retries) == (None, 8.0, 2)
