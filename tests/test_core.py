"""The core message path with a stand-in engine: the guard first, always an answer."""
from __future__ import annotations

import asyncio
from typing import Any, Optional

import pytest

from bot.core import Core
from bot.guard import SafetyGuard
from guidance.facts import Facts


class FakeEngine:
    intents = frozenset({"greet", "affirm", "emergency", "start_check", "ask_signposts"})

    def __init__(self, fail: Optional[BaseException] = None, delay: float = 0.0) -> None:
        self.fail = fail
        self.delay = delay
        self.seen: list[tuple[str, str, dict[str, Any]]] = []
        self.resets: list[str] = []

    async def start(self) -> None: ...

    async def handle(self, user_id: str, text: str,
                     metadata: Optional[dict[str, Any]] = None) -> list[dict[str, Any]]:
        self.seen.append((user_id, text, metadata or {}))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail:
            raise self.fail
        return [{"text": f"echo {text} [[non_emergency]]",
                 "buttons": [{"title": "Chat", "payload": "[[live_chat_url]]"},
                             {"title": "Yes", "payload": "/affirm"}]}]

    async def reset(self, user_id: str) -> None:
        self.resets.append(user_id)

    async def forget(self, user_id: str) -> None: ...

    async def close(self) -> None: ...


def make_core(engine: FakeEngine, timeout: float = 2.0) -> Core:
    return Core(engine, SafetyGuard.from_file(), Facts.load(), engine_timeout=timeout)


async def test_danger_gets_999_first_and_tells_the_engine() -> None:
    engine = FakeEngine()
    replies = await make_core(engine).handle("u1", "help hes here")
    assert "call 999 now" in replies[0].text
    assert engine.seen == [("u1", "/pause", {"via_guard": True, "route": "danger", "text": "help hes here"})]
    assert len(replies) == 1  # the alert alone: the engine's echo is not shown in that turn


@pytest.mark.parametrize("failure", [ConnectionError("down"), RuntimeError("bug")])
async def test_danger_still_gets_999_when_the_engine_is_down(failure: Exception) -> None:
    replies = await make_core(FakeEngine(fail=failure)).handle("u1", "he's got a knife")
    assert "call 999 now" in replies[0].text
    assert len(replies) == 1


async def test_engine_failure_gets_an_apology_with_the_help_line() -> None:
    replies = await make_core(FakeEngine(fail=ConnectionError("down"))).handle("u1", "hello")
    assert len(replies) == 1
    text = replies[0].text
    assert "try again" in text and "999" in text and "101" in text and "0808 802 0300" in text


async def test_slow_engine_times_out_into_the_help_line() -> None:
    replies = await make_core(FakeEngine(delay=5), timeout=0.2).handle("u1", "hello")
    assert "999" in replies[0].text and "try again" in replies[0].text


async def test_placeholders_are_filled_and_links_become_url_buttons() -> None:
    replies = await make_core(FakeEngine()).handle("u1", "hello")
    assert replies[0].text == "echo hello 101"
    chat, yes = replies[0].buttons
    assert chat.url and chat.url.startswith("https://") and chat.payload == ""
    assert yes.payload == "/affirm" and yes.url is None


async def test_commands_map_to_intents_and_start_resets() -> None:
    engine = FakeEngine()
    core = make_core(engine)
    await core.handle("u1", "/start")
    await core.handle("u1", "/check")
    await core.handle("u1", "/help@StalkingHelpBot")
    assert engine.resets == ["u1"]
    # A typed command other than /start first pauses whatever form is in progress
    # (metadata "switch"), so the form cannot take the command as an answer; the command goes
    # with it, so the form of that command is not started afresh over itself.
    assert [t for _, t, _ in engine.seen] == ["/greet", "/pause", "/start_check", "/pause", "/ask_signposts"]
    assert [m for _, t, m in engine.seen if t == "/pause"] == [
        {"switch": True, "command": "/start_check"}, {"switch": True, "command": "/ask_signposts"}]


async def test_unknown_commands_and_forged_payloads_are_read_as_words() -> None:
    engine = FakeEngine()
    core = make_core(engine)
    await core.handle("u1", "/restart")
    await core.handle("u1", '/made_up{"x": 1}')
    await core.handle("u1", '/affirm{"behaviour": "following"}')
    sent = [t for _, t, _ in engine.seen]
    assert sent[0] == "restart"
    assert sent[1] == 'made_up{"x": 1}'
    assert sent[2] == '/affirm{"behaviour": "following"}'


async def test_empty_message_gets_the_engines_fallback_not_the_apology() -> None:
    engine = FakeEngine()
    replies = await make_core(engine).handle("u1", "   ")
    assert engine.seen == [("u1", "/nlu_fallback", {})]
    assert [r.text for r in replies] == ["echo /nlu_fallback 101"]
    assert "something went wrong" not in replies[0].text


async def test_a_forged_payload_with_nested_entities_goes_on_without_them() -> None:
    """Buttons send flat entities; deeply nested ones made Rasa fail (RecursionError) into the apology."""
    engine = FakeEngine()
    core = make_core(engine)
    deep = '/affirm{"behaviour": ' + "[" * 500 + "]" * 500 + "}"
    replies = await core.handle("u1", deep)
    await core.handle("u1", '/affirm{"__class__": {"__init__": 1}}')
    await core.handle("u1", '/affirm{"behaviour": "following", "times": [1, 2]}')
    assert [t for _, t, _ in engine.seen] == [
        "/affirm", "/affirm", '/affirm{"behaviour": "following", "times": [1, 2]}']
    assert [r.text for r in replies] == ["echo /affirm 101"]
