"""The per-turn shortcuts of the embedded engine keep the conversation exactly as without them.

* The encrypted tracker store keeps each recent conversation's current session in
  memory (``conversations.tracker_store._Sessions``), so a turn reads no row: the tracker it
  gives back must be the one a full read from the database gives, a conversation
  deleted in the database (here, or by another process) must not come back from
  memory, and "delete everything" must drop the in-memory copy too.
* The in-process action endpoint hands Rasa's action call to the actions without a
  copy: the actions must leave it as they found it.
* The sentence embedder keeps the vectors of recent texts (the guard and the NLU read
  the same message): the vector must be the one computed afresh, and no text is kept.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from tests.hardening.conftest import RealBot, real_bot


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealBot]:
    yield from real_bot(tmp_path_factory, "shortcuts")


def _store(bot: RealBot) -> Any:
    from conversations.stores import concrete_stores as _stores
    from conversations.tracker_store import EncryptedSQLTrackerStore

    agent = bot.core.engine.inner._agent
    (store,) = [s for s in _stores(agent.tracker_store) if isinstance(s, EncryptedSQLTrackerStore)]
    return store


def _events(tracker: Any) -> list[dict[str, Any]]:
    return [json.loads(json.dumps(e.as_dict())) for e in tracker.events]


def _user() -> str:
    return str(uuid.uuid4().int % 10**12)


CONVERSATION = ["hi", "/start_check", "/affirm", "he texts me 20 times a day",
                "what is a stalking protection order", "not sure", "/deny"]


def test_a_conversation_read_from_memory_is_the_one_in_the_database(bot: RealBot) -> None:
    store = _store(bot)
    user = _user()
    sender = bot.core.engine.conversation_id(user)
    for text in CONVERSATION:
        assert bot.ask(user, text), text
    assert store._sessions.get(sender) is not None  # the shortcut is in use
    from_memory = bot.run(store.retrieve(sender))
    store.drop_cached(sender)
    from_database = bot.run(store.retrieve(sender))
    assert from_memory is not None and from_database is not None
    assert _events(from_memory) == _events(from_database)
    assert len(from_database.events) > 20
    # The conversation goes on the same way after a full read.
    assert bot.texts(user, "/affirm")


def test_rows_deleted_in_the_database_do_not_come_back_from_memory(bot: RealBot) -> None:
    store = _store(bot)
    user = _user()
    sender = bot.core.engine.conversation_id(user)
    bot.ask(user, "hi")  # a new conversation's first turn starts a session: read afresh next time
    bot.ask(user, "/start_check")
    assert store._sessions.get(sender) is not None
    with store.session_scope() as session:  # as another process's "delete everything" would
        session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == sender).delete()
        session.commit()
    assert bot.run(store.retrieve(sender)) is None
    assert store._sessions.get(sender) is None


def test_rows_added_by_another_process_are_read(bot: RealBot) -> None:
    from rasa.shared.core.events import SlotSet

    store = _store(bot)
    user = _user()
    sender = bot.core.engine.conversation_id(user)
    bot.ask(user, "hi")
    bot.ask(user, "what is stalking")
    tracker = bot.run(store.retrieve(sender))
    before = len(tracker.events)
    tracker.update(SlotSet("where_person", "scotland"))
    store.drop_cached(sender)  # the other process has its own memory
    bot.run(store.save(tracker))
    store._sessions.put(sender, _stale_copy(store, sender, before))
    again = bot.run(store.retrieve(sender))
    assert len(again.events) == before + 1
    assert again.get_slot("where_person") == "scotland"


def _stale_copy(store: Any, sender: str, keep: int) -> Any:
    """What this process would remember had it not seen the other's write."""
    from conversations.tracker_store import _Session

    with store.session_scope() as session:
        rows = (session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == sender)
                .order_by(store.SQLEvent.id).all())
        texts = [store._open_text(r.data) for r in rows][:keep]
        ids = [r.id for r in rows][:keep]
    return _Session(ids[0], ids[-1], texts, json.loads(texts[-1]).get("timestamp"))


def test_forget_drops_the_conversation_from_memory(bot: RealBot) -> None:
    store = _store(bot)
    user = _user()
    sender = bot.core.engine.conversation_id(user)
    for text in ("hi", "/start_check", "/affirm"):
        bot.ask(user, text)
    assert store._sessions.get(sender) is not None
    bot.run(bot.core.engine.forget(user))
    assert store._sessions.get(sender) is None
    assert bot.run(store.retrieve(sender)) is None


def test_the_actions_change_nothing_rasa_keeps(bot: RealBot, monkeypatch: pytest.MonkeyPatch) -> None:
    """The call holds Rasa's own domain and, in the events, Rasa's parse data: the actions may
    add to the call's fresh lists (rasa_sdk appends the slots it sets), never change those."""
    agent = bot.core.engine.inner._agent
    executor = agent.action_endpoint.executor
    original = executor.run
    domain_before = json.dumps(agent.domain.as_dict(), sort_keys=True)
    calls: list[tuple[str, list[str], list[str], bool]] = []

    def kept(call: dict[str, Any]) -> list[str]:
        tracker = call.get("tracker") or {}
        return [json.dumps(x, sort_keys=True) for x in
                [call.get("domain"), tracker.get("latest_message"), *(tracker.get("events") or [])]]

    async def watched(action_call: dict[str, Any]) -> Any:
        before = kept(action_call)
        result = await original(action_call)
        after = kept(action_call)[:len(before)]
        calls.append((str(action_call.get("next_action")), before, after, "domain" in action_call))
        return result

    monkeypatch.setattr(executor, "run", watched)
    user = _user()
    for text in CONVERSATION + ["/record_incident", "yesterday at 9pm", "he followed me"]:
        bot.ask(user, text)
    assert len(calls) >= 5 and any(with_domain for *_, with_domain in calls)
    assert [name for name, before, after, _ in calls if before != after] == []
    assert json.dumps(agent.domain.as_dict(), sort_keys=True) == domain_before


def test_a_remembered_vector_is_the_one_computed_afresh() -> None:
    from embedding.minilm import default_embedder

    embedder = default_embedder()
    text = f"he was outside my work again {uuid.uuid4().hex}"
    first = embedder.embed([text])
    again = embedder.embed([text, "what is stalking"])
    fresh = embedder._embed([text], 128)
    assert np.allclose(first[0], fresh[0], atol=1e-6)
    assert np.allclose(again[0], fresh[0], atol=1e-6)
    again[0][:] = 0  # a caller changing its copy does not change what is remembered
    assert np.allclose(embedder.embed([text])[0], fresh[0], atol=1e-6)
    assert all(isinstance(k, bytes) and len(k) == 16 for k in embedder._recent)
