"""How the Telegram application is put together, seen from outside (emulator, real PTB application).

* A configured ``TELEGRAM_WEBHOOK_SECRET`` is the secret Telegram is given and the one the
  webhook accepts (every replica behind one URL must share it), not a random one.
* The per-user ordering processor is installed: one user's messages are answered in the
  order sent, while another user is served at the same time.
"""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
import pytest_asyncio

from bot.replies import Reply
from bot.telegram import TelegramService

from .conftest import MODES, RunningBot, UserFactory, _bot_ids, bot_settings, start_bot
from .fakes import FakeCore
from .harness import SECRET_HEADER, BotApiProxy, BotMessage

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

SLOW = 1.5  # seconds the first message of a user takes to answer


def forged_update(update_id: int, text: str) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": 1, "date": 1, "chat": {"id": 5, "type": "private"},
        "from": {"id": 5, "is_bot": False, "first_name": "Replica"}, "text": text}}


async def test_a_configured_webhook_secret_is_the_one_telegram_gets_and_the_hook_accepts(
    bot_api: BotApiProxy, http: aiohttp.ClientSession, new_user: UserFactory
) -> None:
    secret = f"shared-by-all-replicas-{uuid.uuid4().hex}"
    token = f"{100000 + next(_bot_ids)}:secret-webhook"
    settings = bot_settings(bot_api, token, "webhook").copy(update={"telegram_webhook_secret": secret})
    core = FakeCore()
    service = TelegramService(settings, core)
    await service.start()
    try:
        running = RunningBot(service, settings, token, "webhook", core)
        # Telegram was told the configured secret ...
        assert bot_api.webhooks[token].secret == secret
        # ... so updates it delivers (with that header) get through and are answered
        user = new_user(running)
        assert [m.text for m in await user.ask("hello")] == ["You said: hello"]
        # another replica's Telegram delivery carries the same secret: accepted; any other: refused
        url = settings.telegram_webhook_url
        async with http.post(url, json=forged_update(777001, "with the shared secret"),
                             headers={SECRET_HEADER: secret}) as response:
            assert response.status == 200
        async with http.post(url, json=forged_update(777002, "with another secret"),
                             headers={SECRET_HEADER: "x" * 43}) as response:
            assert response.status == 403
        for _ in range(50):
            if ("5", "with the shared secret") in core.received:
                break
            await asyncio.sleep(0.1)
        assert ("5", "with the shared secret") in core.received
        assert ("5", "with another secret") not in core.received
    finally:
        await service.stop()


class OrderCore(FakeCore):
    """Answers "slow ..." after :data:`SLOW` seconds, anything else at once; records when."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, str, str]] = []

    async def handle(self, user_id: str, text: str) -> list[Reply]:
        self.events.append(("start", user_id, text))
        if text.startswith("slow"):
            await asyncio.sleep(SLOW)
        self.events.append(("end", user_id, text))
        return [Reply(f"done: {text}")]


@pytest_asyncio.fixture(scope="module", params=MODES)
async def ordered_bot(request: pytest.FixtureRequest, bot_api: BotApiProxy) -> AsyncIterator[RunningBot]:
    running = await start_bot(bot_api, OrderCore(), request.param, "order")
    yield running
    await running.service.stop()


def count(n: int) -> Callable[[list[BotMessage]], bool]:
    def enough(messages: list[BotMessage]) -> bool:
        return len(messages) >= n

    return enough


async def test_one_users_messages_stay_in_order_while_another_user_is_served(
    ordered_bot: RunningBot, new_user: UserFactory
) -> None:
    alice, bob = new_user(ordered_bot), new_user(ordered_bot)
    a, b = str(alice.user["id"]), str(bob.user["id"])
    await alice.say("slow: he followed me")
    await alice.say("quick: and then he waited")
    await asyncio.sleep(0.3)
    await bob.say("quick: hello")
    alice_got, bob_got = await asyncio.gather(alice.replies(until=count(2)), bob.replies())
    # Alice sees her answers in the order she wrote; Bob gets his
    assert [m.text for m in alice_got] == ["done: slow: he followed me", "done: quick: and then he waited"]
    assert [m.text for m in bob_got] == ["done: quick: hello"]
    events = ordered_bot.core.events
    # Alice's second message was not started before her first was answered ...
    assert events.index(("end", a, "slow: he followed me")) < events.index(
        ("start", a, "quick: and then he waited"))
    # ... and Bob did not wait for Alice's slow answer
    assert events.index(("end", b, "quick: hello")) < events.index(("end", a, "slow: he followed me"))
