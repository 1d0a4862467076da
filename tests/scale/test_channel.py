"""nlu.channels.delete_conversation: "forget me" on each tracker store Rasa may be given."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require, require_module

from .cluster import REDIS, stores_unreachable

require_module("rasa")


def wrapped(store: Any) -> Any:
    """As the agent holds it: FailSafeTrackerStore(AwaitableTrackerStore(store))."""
    from rasa.core.tracker_store import AwaitableTrackerStore, FailSafeTrackerStore

    return FailSafeTrackerStore(AwaitableTrackerStore(store))


async def roundtrip(store: Any) -> None:
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from conversations.stores import delete_conversation

    gone, kept = f"gone-{uuid.uuid4().hex[:6]}", f"kept-{uuid.uuid4().hex[:6]}"
    for sender in (gone, kept):
        events = [ActionExecuted("action_listen"), UserUttered("hi")]
        tracker = DialogueStateTracker.from_events(sender, events)
        await store.save(tracker)
    assert await store.retrieve(gone) is not None
    assert delete_conversation(store, gone) >= 1
    assert await store.retrieve(gone) is None
    assert await store.retrieve(kept) is not None
    assert delete_conversation(store, gone) == 0  # twice is fine


async def test_in_memory() -> None:
    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.shared.core.domain import Domain

    await roundtrip(wrapped(InMemoryTrackerStore(Domain.empty())))


async def test_sql(tmp_path: Path) -> None:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    await roundtrip(wrapped(SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db"))))


async def test_encrypted_sql(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet
    from rasa.shared.core.domain import Domain

    from conversations.tracker_store import EncryptedSQLTrackerStore

    store = EncryptedSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db"),
                                     key=Fernet.generate_key().decode())
    await roundtrip(wrapped(store))


async def test_redis() -> None:
    reason = stores_unreachable()
    require(reason is None, str(reason))
    from rasa.core.tracker_store import RedisTrackerStore
    from rasa.shared.core.domain import Domain

    prefix = f"forgettest{uuid.uuid4().hex[:6]}"
    store = RedisTrackerStore(Domain.empty(), host=REDIS["host"], port=REDIS["port"], db=REDIS["db"],
                              key_prefix=prefix)
    try:
        await roundtrip(wrapped(store))
    finally:
        for key in store.red.scan_iter(f"{prefix}:*"):
            store.red.delete(key)


def test_an_unknown_store_is_refused() -> None:
    from conversations.stores import ForgetNotSupported, delete_conversation

    with pytest.raises(ForgetNotSupported):
        delete_conversation(object(), "someone")
