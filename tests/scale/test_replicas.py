"""Two real Rasa server replicas sharing PostgreSQL (tracker store) and Redis (lock store).

Every test talks to the replicas through :class:`bot.remote_engine.RemoteEngine`,
one engine per replica, so the test decides which replica gets each message.
The FOUR check is the conversation used throughout: its replies are numbered
("1 of 4" ... "Last part" ... the summary), so a lost, repeated or reordered
message shows as a wrong or repeated step.
"""
from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest

from bot.engine import EngineUnavailable
from bot.remote_engine import RemoteEngine

from .cluster import Cluster

SIGNS = ["Fixated", "Obsessive", "Unwanted", "Repeated"]
STEPS = ["1 of 4 · FIXATED", "2 of 4 · OBSESSIVE", "3 of 4 · UNWANTED", "4 of 4 · REPEATED", "Last part."]
USERS = 20


def user(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}"


@asynccontextmanager
async def engines(cluster: Cluster, token: str | None = None) -> AsyncIterator[list[RemoteEngine]]:
    """One started engine per replica (A, B, ...)."""
    started = [RemoteEngine(url, token=token or cluster.token, start_timeout=10) for url in cluster.urls]
    try:
        await asyncio.gather(*(e.start() for e in started))
        yield started
    finally:
        await asyncio.gather(*(e.close() for e in started))


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [str(m.get("text") or "") for m in messages]


def summary_for(answers: list[bool]) -> str:
    """The first line of the FOUR summary for these yes/no answers (see data/copy.yml)."""
    yes = [s for s, a in zip(SIGNS, answers, strict=False) if a]
    named = ""
    if yes:
        named = ": " + (yes[0] if len(yes) == 1 else ", ".join(yes[:-1]) + " and " + yes[-1])
    return f"You answered yes to {len(yes)} of the 4 warning signs{named}."


def check_walk(answers: list[bool]) -> list[tuple[str, str]]:
    """(message, what its reply must start with) for the whole FOUR check."""
    sends = ["/start_check"] + ["/affirm" if a else "/deny" for a in answers] + ["/deny"]
    expected = STEPS + [summary_for(answers)]
    return list(zip(sends, expected, strict=False))


def step_of(reply_texts: list[str]) -> list[str]:
    """Which check steps (a STEPS entry, or the summary's first line) a reply contains."""
    found = []
    for text in reply_texts:
        found += [step for step in STEPS if text.startswith(step)]
        if text.startswith("You answered yes to"):
            found.append(text.split("\n", 1)[0])
    return found


async def test_check_started_on_replica_a_finishes_on_replica_b(scale_cluster: Cluster) -> None:
    sender = user("handover")
    async with engines(scale_cluster) as (a, b):
        assert "affirm" in a.intents and "emergency" in a.intents and a.intents == b.intents
        walk = check_walk([True, True, True, True])
        for index, (message, expected) in enumerate(walk):
            engine = a if index < 3 else b  # start and two answers on A, the rest on B
            replies = texts(await engine.handle(sender, message))
            assert any(t.startswith(expected) for t in replies), (message, replies)
    assert replies[0].startswith("You answered yes to 4 of the 4 warning signs: "
                                 "Fixated, Obsessive, Unwanted and Repeated.")
    # one stored user event per message: nothing lost, nothing stored twice
    assert scale_cluster.event_count(sender, "user") == len(walk)


async def test_twenty_users_at_once_over_both_replicas_get_every_reply_in_order(
    scale_cluster: Cluster, record_property: Any
) -> None:
    senders = [user(f"crowd{n}") for n in range(USERS)]
    answers = {s: [bool(n >> bit & 1) for bit in range(4)] for n, s in enumerate(senders)}

    async with engines(scale_cluster) as replicas:
        async def walk(n: int, sender: str) -> list[list[str]]:
            got = []
            for index, (message, _) in enumerate(check_walk(answers[sender])):
                engine = replicas[(n + index) % len(replicas)]  # every user alternates A, B, A, ...
                got.append(texts(await engine.handle(sender, message)))
            return got

        started = time.perf_counter()
        results = await asyncio.gather(*(walk(n, s) for n, s in enumerate(senders)))
        elapsed = time.perf_counter() - started

    for sender, replies in zip(senders, results, strict=False):
        expected = [e for _, e in check_walk(answers[sender])]
        steps = [step_of(r) for r in replies]
        # exactly one step per message, the right one, in order: none lost, repeated or swapped
        assert [len(s) for s in steps] == [1] * len(expected), (sender, steps)
        assert [s[0] for s in steps] == [e.split("\n", 1)[0] for e in expected], (sender, steps)
    stored = dict(scale_cluster.query(
        "SELECT sender_id, count(*) FROM events WHERE type_name = 'user' AND sender_id LIKE 'crowd%%' "
        "GROUP BY sender_id"))
    assert {s: stored.get(s) for s in senders} == {s: 6 for s in senders}
    messages = USERS * 6
    record_property("messages_per_second", round(messages / elapsed, 1))
    print(f"\n{messages} messages from {USERS} concurrent users over {len(scale_cluster.urls)} replicas "
          f"in {elapsed:.2f} s: {messages / elapsed:.1f} msg/s")


async def test_one_users_simultaneous_messages_on_two_replicas_are_serialised(scale_cluster: Cluster) -> None:
    """The Redis lock store makes the two replicas take turns on one conversation."""
    sender = user("race")
    async with engines(scale_cluster) as (a, b):
        assert step_of(texts(await a.handle(sender, "/start_check"))) == [STEPS[0]]
        first, second = await asyncio.gather(a.handle(sender, "/affirm"), b.handle(sender, "/affirm"))
    steps = sorted(step_of(texts(first)) + step_of(texts(second)))
    assert steps == [STEPS[1], STEPS[2]]  # one answered "2 of 4", the other "3 of 4"
    assert scale_cluster.event_count(sender, "user") == 3


async def test_forget_deletes_the_users_history_from_the_shared_store(scale_cluster: Cluster) -> None:
    sender, other = user("forget"), user("keep")
    async with engines(scale_cluster) as (a, b):
        for who in (sender, other):
            await a.handle(who, "/start_check")
            await a.handle(who, "/affirm")
        assert scale_cluster.event_count(sender) > 0
        await b.forget(sender)  # on the other replica: the store is shared
        assert scale_cluster.event_count(sender) == 0
        assert scale_cluster.event_count(other) > 0  # nobody else's
        await b.forget(sender)  # forgetting twice is fine
        # the conversation starts afresh, on either replica
        replies = texts(await a.handle(sender, "/affirm"))
        assert not step_of(replies), replies
        assert step_of(texts(await b.handle(other, "/affirm"))) == [STEPS[2]]


async def test_forget_needs_the_token(scale_cluster: Cluster) -> None:
    sender = user("forget-token")
    async with engines(scale_cluster) as (a, _):
        await a.handle(sender, "/start_check")
    async with aiohttp.ClientSession() as session:
        url = f"{scale_cluster.urls[0]}/webhooks/bot/conversations/{sender}"
        for params in ({}, {"token": "wrong"}):
            async with session.delete(url, params=params) as resp:
                assert resp.status == 401
        async with session.post(f"{scale_cluster.urls[0]}/webhooks/bot/webhook",
                                json={"sender": sender, "message": "/affirm"}) as resp:
            assert resp.status == 401
    assert scale_cluster.event_count(sender) > 0
    wrong = RemoteEngine(scale_cluster.urls[0], token="wrong", start_timeout=0)
    with pytest.raises(EngineUnavailable):
        await wrong.start()
    await wrong.close()


async def test_reset_starts_the_conversation_afresh(scale_cluster: Cluster) -> None:
    sender = user("reset")
    async with engines(scale_cluster) as (a, b):
        await a.handle(sender, "/start_check")
        assert step_of(texts(await a.handle(sender, "/affirm"))) == [STEPS[1]]
        await b.reset(sender)
        async with aiohttp.ClientSession() as session:
            url = f"{scale_cluster.urls[0]}/conversations/{sender}/tracker"
            async with session.get(url, params={"token": scale_cluster.token}) as resp:
                tracker = await resp.json()
        assert tracker["slots"].get("sign_fixated") is None
        assert not tracker.get("active_loop", {}).get("name")
        replies = texts(await a.handle(sender, "/affirm"))  # no check going on any more
        assert not step_of(replies), replies
        assert step_of(texts(await b.handle(sender, "/start_check"))) == [STEPS[0]]
