"""The real core (safety guard first, commands, reply shaping) on top of the remote engine."""
from __future__ import annotations

import uuid

import aiohttp

from bot.core import Core
from bot.guard import SafetyGuard
from bot.remote_engine import RemoteEngine
from guidance.facts import Facts

from .cluster import Cluster

DANGER = "he is outside my house with a knife"
CALL_999 = "call 999 now"  # in the emergency reply (Rasa splits long texts at blank lines)


async def latest_user_metadata(cluster: Cluster, sender: str) -> dict:
    async with aiohttp.ClientSession() as session:
        url = f"{cluster.urls[1]}/conversations/{sender}/tracker"
        async with session.get(url, params={"token": cluster.token}) as resp:
            assert resp.status == 200
            tracker = await resp.json()
    return dict(tracker["latest_message"].get("metadata") or {})


async def test_core_guard_first_and_rasa_does_not_repeat_the_999_text(scale_cluster: Cluster) -> None:
    facts = Facts.load()
    guard = SafetyGuard.from_file()
    assert guard.match(DANGER), "the danger sentence no longer trips the guard"
    engine = RemoteEngine(",".join(scale_cluster.urls), token=scale_cluster.token, start_timeout=10)
    await engine.start()
    try:
        core = Core(engine, guard, facts, engine_timeout=10.0)
        sender = f"core-{uuid.uuid4().hex[:8]}"

        replies = await core.handle(sender, "/check")
        assert any(r.text.startswith("1 of 4") for r in replies)
        assert [b.payload for r in replies for b in r.buttons][:2] == ["/affirm", "/deny"]

        replies = await core.handle(sender, DANGER)
        texts = [r.text for r in replies]
        assert texts[0] == facts.emergency_reply  # the guard's answer, first
        assert CALL_999 in facts.emergency_reply
        assert texts == [facts.emergency_reply], texts  # the alert alone: nothing else asked
        # Rasa paused the check: its buttons joined the alert.
        assert [b.payload for b in replies[0].buttons] == ["/resume", "/stop"]
        assert (await latest_user_metadata(scale_cluster, sender)).get("via_guard") is True
        resumed = await core.handle(sender, "/resume")
        assert resumed[-1].text.startswith("1 of 4")  # the same step, asked again

        # Rasa's own reading of danger (no guard) still says "call 999 now", without the alarm.
        direct = [str(m.get("text")) for m in await engine.handle(f"{sender}-direct", "/emergency")]
        assert sum("call [[emergency]] now" in t for t in direct) == 1, direct

        # /start resets the conversation on the server, then greets.
        await core.handle(sender, "/check")
        await core.handle(sender, "/affirm")
        await core.handle(sender, "/start")
        replies = await core.handle(sender, "/affirm")
        assert not any(r.text.startswith(("2 of 4", "3 of 4")) for r in replies)
    finally:
        await engine.close()


async def test_core_answers_danger_even_when_every_rasa_server_is_down() -> None:
    facts = Facts.load()
    engine = RemoteEngine("http://127.0.0.1:9", start_timeout=0, timeout=1.0, retries=1)
    # not started: every call fails the way a dead server does
    core = Core(engine, SafetyGuard.from_file(), facts, engine_timeout=2.0)
    replies = await core.handle("down-user", DANGER)
    assert replies[0].text == facts.emergency_reply
    replies = await core.handle("down-user", "hello")
    assert replies and replies[0].text.startswith(facts.error_reply)
